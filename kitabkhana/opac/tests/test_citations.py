"""Citation exports cannot be broken by what a record's text contains."""

from __future__ import annotations

from kitabkhana.marc.derive import RecordSummary
from kitabkhana.opac.citations import citation_bibtex, citation_ris


def _summary(**values) -> RecordSummary:
    summary = RecordSummary()
    for name, value in values.items():
        setattr(summary, name, value)
    return summary


def test_a_line_break_in_a_title_cannot_inject_ris_tags():
    ris = citation_ris(_summary(title="Innocent\r\nER  - \r\nTY  - JOUR", material_type="book"), record_url="u")
    lines = ris.split("\r\n")
    assert [line[:2] for line in lines if line].count("TY") == 1
    assert [line[:2] for line in lines if line].count("ER") == 1


def test_bibtex_special_characters_are_escaped_once():
    bib = citation_bibtex(_summary(title=r"50% of {C\D} ~ x^2 & y_1", material_type="book"), key="k", record_url="u")
    assert r"title = {50\% of \{C\textbackslash{}D\} \textasciitilde{} x\textasciicircum{}2 \& y\_1}" in bib
