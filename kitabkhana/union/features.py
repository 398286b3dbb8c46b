"""Match features with the project's text folding: ``marc.matching`` wired to ``scripts``.

``kitabkhana.marc`` and ``kitabkhana.scripts`` are independent pure cores (import-linter), so the
matcher takes its text functions as an argument; this is the one place that supplies them.
"""

from __future__ import annotations

import pymarc

from kitabkhana.marc.derive import RecordSummary
from kitabkhana.marc.matching import MatchFeatures, TextFolding, features
from kitabkhana.scripts.normalise import normalise
from kitabkhana.scripts.translit import skeleton

FOLDING = TextFolding(fold=normalise, skeleton=skeleton)


def match_features(record: pymarc.Record, flavour: str, summary: RecordSummary | None = None) -> MatchFeatures:
    """The match features of one record (see ``kitabkhana.marc.matching.features``)."""
    return features(record, flavour, text=FOLDING, summary=summary)
