"""The metadata formats the OAI-PMH provider disseminates, and how one stored record becomes each.

``marc21`` and ``unimarc`` are written straight from the stored UTF-8 ISO 2709 (``Record.marc``) by
walking its directory: no pymarc objects on the hot path of a ListRecords harvest. A record of the
other flavour is first converted with ``kitabkhana.marc.crosswalk``; when the crosswalk refuses it
(``CrosswalkError``) the record cannot be disseminated in that format. ``oai_dc`` goes through
``kitabkhana.marc.dublin_core.record_to_dc``.

XML 1.0 cannot carry most C0 control characters (old systems leave them in records); they are
written as U+FFFD, the way ``kitabkhana.marc.writer`` writes MARCXML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kitabkhana.marc.dublin_core import record_to_dc
from kitabkhana.marc.errors import RecordError
from kitabkhana.marc.writer import _xml_attribute as xml_attribute
from kitabkhana.marc.writer import _xml_text as xml_text
from kitabkhana.marc.writer import iso2709_to_record, to_iso2709

__all__ = ["FORMATS", "CannotDisseminate", "MetadataFormat", "metadata_xml", "xml_attribute", "xml_text"]

MARC21_NAMESPACE = "http://www.loc.gov/MARC21/slim"
MARC21_SCHEMA = "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd"
# ISO 25577 MarcXchange: MARCXML's structure for any MARC format, with format/type attributes. The BnF
# serves its UNIMARC this way ("unimarcxchange"); Koha serves UNIMARC under the MARC21/slim namespace,
# which tells a harvester nothing about the format.
MARCXCHANGE_NAMESPACE = "info:lc/xmlns/marcxchange-v2"
MARCXCHANGE_SCHEMA = "http://www.loc.gov/standards/iso25577/marcxchange-2-0.xsd"
OAI_DC_NAMESPACE = "http://www.openarchives.org/OAI/2.0/oai_dc/"
OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
DC_NAMESPACE = "http://purl.org/dc/elements/1.1/"


@dataclass(frozen=True, slots=True)
class MetadataFormat:
    prefix: str
    schema: str
    namespace: str


FORMATS: dict[str, MetadataFormat] = {
    "oai_dc": MetadataFormat("oai_dc", OAI_DC_SCHEMA, OAI_DC_NAMESPACE),
    "marc21": MetadataFormat("marc21", MARC21_SCHEMA, MARC21_NAMESPACE),
    "unimarc": MetadataFormat("unimarc", MARCXCHANGE_SCHEMA, MARCXCHANGE_NAMESPACE),
}


class CannotDisseminate(Exception):
    """This record has no representation in the requested format (the crosswalk refused it)."""


# Anything that needs escaping in XML text or attributes, or cannot be in XML 1.0 at all.
_SPECIAL = re.compile('[&<>"\x00-\x08\x0b\x0c\x0e-\x1d\ud800-\udfff\ufffe\uffff]')


_DELIMITER = "\x1f"


def _indicator(value: str) -> str:
    # The rule of iso2709_to_record and the MARCXML writer: blank unless one printable ASCII character.
    return value if value and value.isascii() and value.isprintable() else " "


def _marc_elements(data: bytes, parts: list[str]) -> None:
    """Append leader, control and data fields of UTF-8 ISO 2709 ``data`` as MARCXML elements.

    This runs for every record of a harvest, so the common case is one decode of the data area, one
    check that nothing needs escaping, and string splitting; records with ``&``, ``<``, ``>``, ``"``
    or control characters, or whose fields are not stored in directory order, take the careful path.
    """
    base = int(data[12:17])
    parts.append(f"<leader>{xml_text(data[:24].decode('ascii', 'replace'))}</leader>")
    entries = []
    expected = 0
    contiguous = True
    for pos in range(24, base - 1, 12):
        length = int(data[pos + 3 : pos + 7])
        offset = int(data[pos + 7 : pos + 12])
        tag = data[pos : pos + 3].decode("ascii", "replace")
        contiguous = contiguous and offset == expected and tag.isalnum()
        expected = offset + length
        entries.append((tag, length, offset))
    if contiguous:
        text = data[base : base + expected].decode("utf-8", "replace")
        if _SPECIAL.search(text) is None:
            chunks = text.split("\x1e")
            if len(chunks) == len(entries) + 1:
                _plain_fields(entries, chunks, parts)
                return
    _careful_fields(data, base, entries, parts)


def _plain_fields(entries: list[tuple[str, int, int]], chunks: list[str], parts: list[str]) -> None:
    """Fields whose text needs no escaping (checked by the caller)."""
    append = parts.append
    for (tag, _, _), chunk in zip(entries, chunks, strict=False):  # chunks ends with the empty tail
        if tag < "010" and tag.isdigit():
            # A subfield delimiter has no place in a control field, nor in XML.
            append(f'<controlfield tag="{tag}">{xml_text(chunk) if _DELIMITER in chunk else chunk}</controlfield>')
            continue
        pieces = chunk.split("\x1f")
        head = pieces[0]
        append(f'<datafield tag="{tag}" ind1="{_indicator(head[0:1])}" ind2="{_indicator(head[1:2])}">')
        for piece in pieces[1:]:
            if piece:
                append(f'<subfield code="{piece[0]}">{piece[1:]}</subfield>')
        append("</datafield>")


def _careful_fields(data: bytes, base: int, entries: list[tuple[str, int, int]], parts: list[str]) -> None:
    for tag, length, offset in entries:
        start = base + offset
        chunk = data[start : start + length - 1].decode("utf-8", "replace")
        tag_attribute = xml_attribute(tag)
        if tag < "010" and tag.isdigit():
            parts.append(f'<controlfield tag="{tag_attribute}">{xml_text(chunk)}</controlfield>')
            continue
        pieces = chunk.split("\x1f")
        head = pieces[0]
        ind1, ind2 = xml_attribute(_indicator(head[0:1])), xml_attribute(_indicator(head[1:2]))
        parts.append(f'<datafield tag="{tag_attribute}" ind1="{ind1}" ind2="{ind2}">')
        for piece in pieces[1:]:
            if piece:
                parts.append(f'<subfield code="{xml_attribute(piece[0])}">{xml_text(piece[1:])}</subfield>')
        parts.append("</datafield>")


def marcxml_record(data: bytes) -> str:
    """One MARCXML ``<record>`` (MARC21/slim namespace, with its schema location) from ISO 2709 bytes."""
    parts = [f'<record xmlns="{MARC21_NAMESPACE}" xsi:schemaLocation="{MARC21_NAMESPACE} {MARC21_SCHEMA}">']
    _marc_elements(data, parts)
    parts.append("</record>")
    return "".join(parts)


def marcxchange_record(data: bytes, *, kind: str) -> str:
    """One MarcXchange ``<record format="UNIMARC">`` from UNIMARC ISO 2709 bytes."""
    record_type = "Authority" if kind == "authority" else "Bibliographic"
    parts = [
        f'<record xmlns="{MARCXCHANGE_NAMESPACE}" xsi:schemaLocation="{MARCXCHANGE_NAMESPACE} {MARCXCHANGE_SCHEMA}" '
        f'format="UNIMARC" type="{record_type}">'
    ]
    _marc_elements(data, parts)
    parts.append("</record>")
    return "".join(parts)


def oai_dc_record(data: bytes, *, flavour: str) -> str:
    parts = [
        f'<oai_dc:dc xmlns:oai_dc="{OAI_DC_NAMESPACE}" xmlns:dc="{DC_NAMESPACE}" '
        f'xsi:schemaLocation="{OAI_DC_NAMESPACE} {OAI_DC_SCHEMA}">'
    ]
    for element, value in record_to_dc(iso2709_to_record(data), flavour):
        parts.append(f"<dc:{element}>{xml_text(value)}</dc:{element}>")
    parts.append("</oai_dc:dc>")
    return "".join(parts)


def _crosswalked(data: bytes, *, to: str) -> bytes:
    """The record converted to the other MARC flavour, as ISO 2709; ``CannotDisseminate`` if refused."""
    # Imported here: the crosswalk is a large table-driven module that only cross-flavour requests need.
    try:
        from kitabkhana.marc.crosswalk import CrosswalkError, marc21_to_unimarc, unimarc_to_marc21
    except ModuleNotFoundError as exc:  # a deployment without the crosswalk serves each record in its own flavour
        raise CannotDisseminate("no MARC 21 <-> UNIMARC crosswalk is installed") from exc

    convert = marc21_to_unimarc if to == "unimarc" else unimarc_to_marc21
    try:
        result = convert(iso2709_to_record(data))
        return to_iso2709(result.record, flavour=to)
    except (CrosswalkError, RecordError) as exc:
        raise CannotDisseminate(str(exc)) from exc


def metadata_xml(prefix: str, data: bytes, *, flavour: str, kind: str) -> str:
    """The ``<metadata>`` content of a record in ``prefix``; raises ``CannotDisseminate``."""
    if prefix == "marc21":
        return marcxml_record(data if flavour == "marc21" else _crosswalked(data, to="marc21"))
    if prefix == "unimarc":
        return marcxchange_record(data if flavour == "unimarc" else _crosswalked(data, to="unimarc"), kind=kind)
    if prefix == "oai_dc":
        return oai_dc_record(data, flavour=flavour)
    raise CannotDisseminate(f"unknown metadata format {prefix!r}")
