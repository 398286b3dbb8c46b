"""The record schemas this server sends, and how a stored record becomes each of them.

``marcxml`` is MARC 21 in MARCXML (UNIMARC records are cross-walked to MARC 21 first);
``unimarc`` is UNIMARC in the same MARCXML element vocabulary (MARC 21 records cross-walked to
UNIMARC), which is what our reader and most UNIMARC software accept as "UNIMARC XML";
``dc`` is LC's SRU Dublin Core (``<srw_dc:dc>`` holding DCMES elements) from
``marc.dublin_core.record_to_dc``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pymarc
from lxml import etree

from kitabkhana.marc.dublin_core import record_to_dc
from kitabkhana.marc.errors import RecordError
from kitabkhana.marc.writer import to_marcxml
from kitabkhana.sru.diagnostics import SruDiagnostic

__all__ = ["SCHEMAS", "RecordSchema", "record_element", "schema_for"]

DC_NAMESPACE = "http://purl.org/dc/elements/1.1/"
SRW_DC_NAMESPACE = "info:srw/schema/1/dc-schema"


@dataclass(frozen=True)
class RecordSchema:
    name: str  # the short name published in explain
    identifier: str  # the URI a response carries in <recordSchema>
    title: str
    aliases: tuple[str, ...] = ()


SCHEMAS: tuple[RecordSchema, ...] = (
    RecordSchema("marcxml", "info:srw/schema/1/marcxml-v1.1", "MARC 21 XML (MARCXML)",
                 ("marc21", "marcxml-v1.1", "http://www.loc.gov/marc21/slim", "info:srw/schema/1/marcxml-v1.2")),
    RecordSchema("dc", "info:srw/schema/1/dc-v1.1", "Dublin Core (simple)",
                 ("dc-v1.1", "info:srw/schema/1/dc-schema", "http://purl.org/dc/elements/1.1/")),
    RecordSchema("unimarc", "info:srw/schema/8/unimarcxml-v0.1", "UNIMARC in MARCXML elements",
                 ("unimarcxml", "unimarcxml-v0.1")),
)
DEFAULT_SCHEMA = SCHEMAS[0]


def schema_for(value: str | None) -> RecordSchema | None:
    """The schema a ``recordSchema`` parameter names (short name, alias or URI, any case); None if unknown."""
    if not value:
        return DEFAULT_SCHEMA
    wanted = value.strip().lower()
    for schema in SCHEMAS:
        if wanted in (schema.name, schema.identifier.lower(), *schema.aliases):
            return schema
    return None


def _crosswalked(record: pymarc.Record, flavour: str, wanted: str) -> pymarc.Record:
    if flavour == wanted:
        return record
    # Imported here, not at module load: the crosswalk is a sizeable table-driven module that
    # only these two conversions need.
    from kitabkhana.marc import crosswalk

    if wanted == "unimarc":
        return crosswalk.marc21_to_unimarc(record).record
    return crosswalk.unimarc_to_marc21(record).record


def _dc_element(record: pymarc.Record, flavour: str) -> etree._Element:
    root = etree.Element(f"{{{SRW_DC_NAMESPACE}}}dc", nsmap={"srw_dc": SRW_DC_NAMESPACE, "dc": DC_NAMESPACE})
    for element, value in record_to_dc(record, flavour):
        child = etree.SubElement(root, f"{{{DC_NAMESPACE}}}{element}")
        child.text = value
    return root


def record_element(record: pymarc.Record, flavour: str, schema: RecordSchema) -> etree._Element:
    """The record in ``schema`` as an element ready to be put into ``<recordData>``.

    Raises SruDiagnostic 67 when the record cannot be converted (the caller sends it as a
    surrogate diagnostic in the record's place, and the other records still go out).
    """
    if schema.name == "dc":
        return _dc_element(record, flavour)
    target = "unimarc" if schema.name == "unimarc" else "marc21"
    try:
        converted = _crosswalked(record, flavour, target)
    except RecordError as exc:
        raise SruDiagnostic(67, schema.identifier, f"the record cannot be cross-walked to {target}: {exc}") from None
    return etree.fromstring(to_marcxml(converted, flavour=target))
