"""The matcher on real labelled pairs (shared/data/dedup) and on real records split by script.

The floors are what the matcher measured when this was written (see docs/union-catalogue.md), less a
small margin: a change that makes matching worse fails here. bench/dedup_eval.py prints the full table.
"""

from __future__ import annotations

import pymarc
import pytest

from kitabkhana.marc.matching import compare, match_keys
from kitabkhana.marc.reader import read_records
from kitabkhana.union.evaluation import evaluate_aco, evaluate_melinda, evaluate_nyu, predict
from kitabkhana.union.features import match_features as features

pytestmark = pytest.mark.shared_data

ACO_FILES = {"aco-NIC-cornell.mrc", "aco-NNU-nyu.mrc", "oclc-master-records.mrc"}


def test_aco_local_against_oclc_master_records(shared_data):
    """Measured: 646 positives, 33 negatives; precision 0.992, recall 0.957, F1 0.974."""
    scores = evaluate_aco(shared_data, files=ACO_FILES)
    assert scores.tp + scores.fn > 600 and scores.fp + scores.tn > 30
    assert scores.f1 >= 0.965, (scores.precision, scores.recall, scores.errors[:10])
    assert scores.precision >= 0.98


def test_nyu_brief_against_full_persian(shared_data):
    """Measured: 210 positives, 420 sampled negatives; precision 0.990, recall 0.948, F1 0.968."""
    scores = evaluate_nyu(shared_data, languages=["persian"])
    assert scores.tp + scores.fn == 210
    assert scores.f1 >= 0.955, (scores.precision, scores.recall, scores.errors[:10])


def test_melinda_whole_detector_cases(shared_data):
    scores = evaluate_melinda(shared_data)
    assert scores.tp + scores.fn >= 8
    assert scores.recall >= 0.75


def _split_by_script(record: pymarc.Record) -> tuple[pymarc.Record, pymarc.Record]:
    """(Arabic-script record as a national library writes it, romanised record without 880s)."""
    native = pymarc.Record(force_utf8=True, leader=record.leader)
    roman = pymarc.Record(force_utf8=True, leader=record.leader)
    originals = {}
    for f in record.get_fields("880"):
        link = f.get("6") or ""
        originals[link[:3] + link[3:6]] = f
    for f in record.fields:
        if f.tag in ("001", "003", "035"):
            continue
        if f.tag == "880":
            continue
        roman.add_field(f)
        link = f.get("6") if not f.is_control_field() else None
        original = originals.get(f"{f.tag}-{link[4:6]}") if link else None
        if original is not None:
            native.add_field(pymarc.Field(tag=f.tag, indicators=f.indicators,
                                          subfields=[s for s in original.subfields if s.code != "6"]))
        else:
            native.add_field(f)
    return native, roman


def test_real_arabic_script_records_match_their_romanised_form(shared_data):
    """200 real ACO records with vernacular titles, each split into an Arabic-script-only record and a
    romanised-only one: the two halves of (nearly) every record must meet in a block and match."""
    path = shared_data / "marc21-nonlatin/aco/aco-NNU-nyu.mrc"
    pairs = 0
    same = 0
    for result in read_records(path):
        r = result.record
        if r is None or not any((f.get("6") or "").startswith("245") for f in r.get_fields("880")):
            continue
        native, roman = _split_by_script(r)
        a, b = features(native, "marc21"), features(roman, "marc21")
        assert not any("\u0600" <= ch <= "\u06ff" for t in b.titles for ch in t)
        pairs += 1
        same += predict(a, b)
        if pairs == 200:
            break
    assert pairs == 200
    assert same / pairs >= 0.95, same


def test_two_real_books_with_one_title_and_different_years_do_not_match(shared_data):
    """NYU 002174357 and 002287401 (ACO): the same title, 1962 and 1956, different OCLC records."""
    path = shared_data / "marc21-nonlatin/aco/aco-NNU-nyu.mrc"
    found = {}
    for result in read_records(path):
        r = result.record
        if r is not None and r["001"].data in ("002174357", "002287401"):
            found[r["001"].data] = features(r, "marc21")
    a, b = found["002174357"], found["002287401"]
    assert a.titles == b.titles
    assert set(match_keys(a)) & set(match_keys(b))  # they do meet (same title) ...
    decision = compare(a, b)
    assert not decision.same and decision.reasons == ["years 1962 and 1956"]  # ... and the years tell them apart
