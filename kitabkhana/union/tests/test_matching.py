"""The pairwise matcher (kitabkhana.marc.matching) and the skeleton keys it compares across scripts."""

from __future__ import annotations

from kitabkhana.marc.matching import compare, features_from_json, features_to_json, match_keys
from kitabkhana.scripts.translit import skeleton
from kitabkhana.union.features import match_features as features
from kitabkhana.union.tests.records import book, persian_native, persian_romanised


def test_skeletons_meet_across_arabic_script_and_romanisation():
    """Vowel-less Arabic script and ALA-LC romanisation give one key (articles, tāʼ marbūṭah, shadda)."""
    assert skeleton("قلائد الجمان") == skeleton("Qalāʼid al-Jumān")
    assert skeleton("الطبعة الأولى") == skeleton("al-Ṭabʻah al-ūlá")
    assert skeleton("حسين، محسن محمد") == skeleton("Ḥusayn, Muḥsin Muḥammad")
    assert skeleton("کتابخانه ملی تبریز") == skeleton("Kitābkhānah-i Millī-i Tabrīz")
    assert skeleton("Война и мир") == skeleton("Voĭna i mir")
    assert skeleton("Tārīkh") != skeleton("Jughrāfiyā")


def test_persian_record_matches_its_romanised_counterpart():
    native = features(persian_native(), "marc21")
    for partner in (persian_romanised(with_880=False), persian_romanised(with_880=True)):
        other = features(partner, "marc21")
        assert set(match_keys(native)) & set(match_keys(other)), "they must meet in a block"
        decision = compare(native, other)
        assert decision.same, decision


def test_same_title_different_years_are_different_books():
    a = features(book(control="1", title="Divan-i Hafiz", author="Hafiz", year=1990), "marc21")
    b = features(book(control="2", title="Divan-i Hafiz", author="Hafiz", year=2005), "marc21")
    decision = compare(a, b)
    assert not decision.same and "years" in decision.reasons[0]


def test_vetoes_different_isbns_and_editions():
    base = dict(title="Shahnamah", author="Firdawsi", year=2001)
    a = features(book(control="1", isbn="9789642281107", **base), "marc21")
    b = features(book(control="2", isbn="9789643809461", **base), "marc21")
    assert compare(a, b).reasons == ["different ISBNs"]
    c = features(book(control="3", edition="2nd ed.", **base), "marc21")
    d = features(book(control="4", edition="Chāp-i 3", **base), "marc21")
    assert not compare(c, d).same
    e = features(book(control="5", edition="Second edition", **base), "marc21")
    assert compare(c, e).same


def test_shared_isbn_with_a_brief_record():
    full = features(book(control="1", title="Kitab al-aghani", subtitle="wa huwa majmu", author="Isfahani",
                         year=2008, isbn="9789642281107", pages="300 p."), "marc21")
    brief = features(book(control="2", title="Kitab al-aghani", year=2008, isbn="964-228-110-4"), "marc21")
    decision = compare(full, brief)
    assert decision.same and "same ISBN" in decision.reasons


def test_features_survive_their_stored_form():
    f = features(persian_romanised(with_880=True), "marc21")
    assert features_from_json(features_to_json(f)) == f


def test_fragments_of_one_title_and_date_with_different_catalogue_numbers_are_different_editions():
    """Princeton's Donatus fragments (demo file): same title, author and decade, different GW/Goff numbers."""
    from pathlib import Path

    from kitabkhana.marc.matching import compare
    from kitabkhana.marc.reader import read_records
    from kitabkhana.union.features import match_features

    demo = Path(__file__).resolve().parents[3] / "demo" / "lc-marc2bibframe2-princeton.xml"
    fragments = {r.record["001"].data: r.record for r in read_records(demo)
                 if r.record is not None and r.record["001"] and r.record["001"].data in {"4606192", "4606209"}}
    a, b = (match_features(fragments[n], "marc21") for n in ("4606192", "4606209"))
    assert a.citations == ["gw 8713", "goff d-318"] and b.citations == ["gw 8682", "goff d-315"]
    decision = compare(a, b)
    assert not decision.same and decision.reasons == ["different GOFF/GW numbers"]
    assert compare(a, match_features(fragments["4606192"], "marc21")).same  # the same record still matches itself
