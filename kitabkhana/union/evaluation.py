"""Precision and recall of the matcher on the labelled pairs in ``shared/data/dedup``.

Used by ``bench/dedup_eval.py`` (the full table) and by the tests (a subset, with a floor), so both
measure the same thing. Nothing here touches the database: records are read from the files the pair
lists name and the matcher (:mod:`kitabkhana.marc.matching`) runs on them directly.

A pair counts as predicted "same" only if the two records share a blocking key (so the figures include
what blocking misses) and :func:`~kitabkhana.marc.matching.compare` says yes.

Fields that define the labels are removed before features are computed, as PROVENANCE.md asks:
035 everywhere, 001/003 of the OCLC master records (ACO), and 001/003, 852 and 035 of both sides
(NYU brief vs full). The matcher reads neither 001 nor 035 anyway; removing them makes that checkable.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pymarc

from kitabkhana.marc.matching import MatchFeatures, compare, match_keys, title_similarity
from kitabkhana.marc.reader import read_records
from kitabkhana.union.features import match_features as features

LABEL_FIELDS = ("001", "003", "035", "852")


@dataclass
class Scores:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, *, label: bool, predicted: bool, note: str = "") -> None:
        if label and predicted:
            self.tp += 1
        elif label:
            self.fn += 1
            self.errors.append(f"FN {note}")
        elif predicted:
            self.fp += 1
            self.errors.append(f"FP {note}")
        else:
            self.tn += 1

    def merge(self, other: Scores) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.tn += other.tn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _strip(record: pymarc.Record) -> pymarc.Record:
    for tag in LABEL_FIELDS:
        for f in record.get_fields(tag):
            record.remove_field(f)
    return record


def _flavour(record: pymarc.Record) -> str:
    return "unimarc" if record.get("200") is not None and record.get("245") is None else "marc21"


def _read_keyed(path: Path) -> dict[tuple[str, str], MatchFeatures]:
    """(003, 001) -> features of the record with its label fields removed."""
    out: dict[tuple[str, str], MatchFeatures] = {}
    for result in read_records(path):
        r = result.record
        if r is None:
            continue
        f001 = r.get("001")
        f003 = r.get("003")
        key = ((f003.data or "").strip() if f003 else "", (f001.data or "").strip() if f001 else "")
        out[key] = features(_strip(r), _flavour(r))
    return out


def predict(a: MatchFeatures, b: MatchFeatures) -> bool:
    if not set(match_keys(a)) & set(match_keys(b)):
        return False
    return compare(a, b).same


def evaluate_aco(root: Path, limit: int | None = None, files: set[str] | None = None) -> Scores:
    """ACO pairs labelled 0 or 1 (the 3 "uncertain" ones are left out); ``files``: only pairs whose two
    record files (base names) are among these; ``limit``: a seeded sample of that many pairs."""
    base = root / "dedup/aco-local-vs-oclc"
    rows = [r for r in csv.DictReader((base / "pairs.tsv").open(encoding="utf-8"), delimiter="\t")
            if r["label"] in ("0", "1")]
    if files:
        rows = [r for r in rows if Path(r["left_file"]).name in files and Path(r["right_file"]).name in files]
    if limit:
        rows = random.Random(7).sample(rows, min(limit, len(rows)))
    files: dict[str, dict] = {}
    scores = Scores()
    for row in rows:
        sides = []
        for side in ("left", "right"):
            name = row[f"{side}_file"]
            if name not in files:
                files[name] = _read_keyed((base / name).resolve())
            sides.append(files[name].get((row[f"{side}_003"], row[f"{side}_001"])))
        if None in sides:
            continue
        scores.add(label=row["label"] == "1", predicted=predict(*sides),
                   note=f"{row['pair_type']} {row['left_003']}:{row['left_001']} {row['right_003']}:{row['right_001']}")
    return scores


def evaluate_nyu(root: Path, negatives_per_brief: int = 2, languages: Iterable[str] | None = None) -> Scores:
    """Labelled brief->full pairs, plus sampled negatives (none are labelled).

    Negatives: for each brief record, the full record of the same file (not its partner) with the most
    similar title — the hardest wrong candidate — and one drawn at random (seed 7).
    """
    base = root / "dedup/nyu-brief-vs-full"
    scores = Scores()
    rng = random.Random(7)
    for tsv in sorted(base.glob("pairs-*.tsv")):
        language = tsv.stem.split("-", 1)[1]
        if languages and language not in languages:
            continue
        rows = list(csv.DictReader(tsv.open(encoding="utf-8"), delimiter="\t"))
        if not rows:
            continue
        briefs = _read_keyed(base / rows[0]["brief_file"])
        fulls = _read_keyed((base / rows[0]["full_file"]).resolve())
        brief_by_001 = {k[1]: v for k, v in briefs.items()}
        full_by_001 = {k[1]: v for k, v in fulls.items()}
        # _read_keyed removed 001, so key by what the TSV names before they are compared.
        full_ids = list(full_by_001)
        for row in rows:
            a, b = brief_by_001.get(row["brief_001"]), full_by_001.get(row["full_001"])
            if a is None or b is None:
                continue
            scores.add(label=True, predicted=predict(a, b), note=f"{language} {row['brief_001']}")
            others = [i for i in full_ids if i != row["full_001"]]
            if not others:
                continue
            hardest = max(others, key=lambda i: title_similarity(a, full_by_001[i]))
            picks = [hardest, rng.choice(others)][:negatives_per_brief]
            for other in picks:
                scores.add(label=False, predicted=predict(a, full_by_001[other]),
                           note=f"{language} brief {row['brief_001']} vs full {other}")
    return scores


def _json_records(path: Path) -> list[pymarc.Record]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [_json_record(d) for d in (data if isinstance(data, list) else [data])]


def _json_record(data: dict) -> pymarc.Record:
    record = pymarc.Record(force_utf8=True)
    record.leader = pymarc.Leader(data.get("leader", " " * 24).ljust(24)[:24])
    for f in data.get("fields", []):
        tag = f["tag"]
        if "value" in f:
            if tag.isdigit() and tag < "010":
                record.add_field(pymarc.Field(tag=tag, data=f["value"]))
            continue
        subfields = [pymarc.Subfield(s["code"], s.get("value", "")) for s in f.get("subfields", [])]
        record.add_field(pymarc.Field(tag=tag, indicators=[f.get("ind1", " "), f.get("ind2", " ")],
                                      subfields=subfields))
    return record


def evaluate_melinda(root: Path) -> Scores:
    """Melinda's whole-detector cases (index/): expected match true/false per record pair.

    Cases whose expectation rests on Melinda's source-system ids (SID: "same content, different SID, not
    a match") are left out: they test Melinda's rule that two records of one source system are never
    merged, not whether two records describe one book.
    """
    base = root / "dedup/melinda-match-detection/index"
    scores = Scores()
    for case in sorted(p for p in base.iterdir() if p.is_dir()):
        meta = json.loads((case / "metadata.json").read_text(encoding="utf-8"))
        if meta.get("options", {}).get("strategy", {}).get("type") != "bib":
            continue
        if "SID" in meta.get("description", ""):
            continue  # decided by Melinda's source-system ids alone (see the docstring)
        a = features(_strip(_json_records(case / "recordA.json")[0]), "marc21")
        expected = meta["expectedResults"]
        expected = expected if isinstance(expected, list) else [expected]
        for b_record, want in zip(_json_records(case / "recordB.json"), expected, strict=True):
            b = features(_strip(b_record), "marc21")
            scores.add(label=bool(want["match"]), predicted=predict(a, b),
                       note=f"melinda {case.name}: {meta.get('description', '')}")
    return scores


def evaluate_all(root: Path, aco_limit: int | None = None) -> dict[str, Scores]:
    results = {"aco-local-vs-oclc": evaluate_aco(root, aco_limit), "nyu-brief-vs-full": evaluate_nyu(root),
               "melinda-match-detection": evaluate_melinda(root)}
    overall = Scores()
    for s in results.values():
        overall.merge(s)
    results["overall"] = overall
    return results
