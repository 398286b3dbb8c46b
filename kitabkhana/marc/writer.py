"""Write records as UTF-8 ISO 2709, MARCXML and MARC-in-JSON; read back our own ISO 2709 fast.

What we store is always UTF-8 ISO 2709 made by ``to_iso2709``, so ``iso2709_to_record`` trusts
it and skips the detection the importer needs (it runs on every page view and index rebuild).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, BinaryIO

import pymarc

from .errors import RecordError
from .reader import MARCXML_NAMESPACE, detect_flavour

FIELD_TERMINATOR = b"\x1e"
RECORD_TERMINATOR = b"\x1d"
SUBFIELD_DELIMITER = b"\x1f"
MAX_FIELD_LENGTH = 9999
MAX_RECORD_LENGTH = 99999

_DELIMITERS = re.compile("[\x1d\x1e\x1f]")
# Characters XML 1.0 forbids (C0 controls but tab/LF/CR, lone surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def to_iso2709(record: pymarc.Record, *, flavour: str | None = None) -> bytes:
    """Serialise as UTF-8 ISO 2709 with lengths and base address recomputed.

    MARC 21 gets leader/09 'a'; a UNIMARC leader is left as it is (UNIMARC says UTF-8 in
    100$a/26-29). Raises ``RecordError`` when a field or the record exceeds ISO 2709 limits.
    """
    if flavour is None:
        flavour = detect_flavour(record)
    leader = _ascii_leader(str(record.leader))
    if flavour != "unimarc":
        leader = leader[:9] + "a" + leader[10:]
    directory: list[bytes] = []
    data: list[bytes] = []
    offset = 0
    for field in record.fields:
        tag = field.tag if len(field.tag) == 3 else field.tag.zfill(3)
        tag_bytes = tag.encode("ascii", "replace")
        if len(tag_bytes) != 3:
            raise RecordError(f"tag {field.tag!r} is not three ASCII characters", field=field.tag)
        encoded = _field_bytes(field, tag)
        if len(encoded) > MAX_FIELD_LENGTH:
            raise RecordError(
                f"field is {len(encoded)} bytes; ISO 2709 allows at most {MAX_FIELD_LENGTH}", field=tag
            )
        directory.append(b"%s%04d%05d" % (tag_bytes, len(encoded), offset))
        data.append(encoded)
        offset += len(encoded)
    base = 24 + 12 * len(directory) + 1
    total = base + offset + 1
    if total > MAX_RECORD_LENGTH:
        raise RecordError(f"record is {total} bytes; ISO 2709 allows at most {MAX_RECORD_LENGTH}")
    # Entry map: MARC 21 says "4500"; UNIMARC leaves position 23 undefined (blank).
    entry_map = "450" + leader[23] if flavour == "unimarc" else "4500"
    leader = f"{total:05d}{leader[5:10]}22{base:05d}{leader[17:20]}{entry_map}"
    return b"".join([leader.encode("ascii"), *directory, FIELD_TERMINATOR, *data, RECORD_TERMINATOR])


def _ascii_leader(leader: str) -> str:
    leader = leader[:24].ljust(24)
    if not leader.isascii():
        leader = "".join(c if c.isascii() else " " for c in leader)
    return leader


def _field_bytes(field: pymarc.Field, tag: str) -> bytes:
    if field.is_control_field():
        value = field.data or ""
        if _DELIMITERS.search(value):
            raise RecordError("control field contains an ISO 2709 delimiter character", field=tag)
        return value.encode("utf-8") + FIELD_TERMINATOR
    indicators = "".join(_indicator(i) for i in (field.indicator1, field.indicator2))
    parts = [indicators.encode("ascii")]
    for code, value in field.subfields:
        if _DELIMITERS.search(value) or _DELIMITERS.search(code):
            raise RecordError(f"subfield ${code} contains an ISO 2709 delimiter character", field=tag)
        parts.append(SUBFIELD_DELIMITER + code.encode("utf-8") + value.encode("utf-8"))
    parts.append(FIELD_TERMINATOR)
    return b"".join(parts)


def _indicator(value: str | None) -> str:
    return value if value and len(value) == 1 and value.isascii() and value.isprintable() else " "


def iso2709_to_record(data: bytes) -> pymarc.Record:
    """Parse UTF-8 ISO 2709 written by ``to_iso2709`` (trusted: no charset detection)."""
    leader = data[:24].decode("ascii")
    base = int(leader[12:17])
    record = pymarc.Record()
    record.leader = pymarc.Leader(leader)
    fields: list[pymarc.Field] = []
    for start in range(24, base - 1, 12):
        tag = data[start : start + 3].decode("ascii")
        length = int(data[start + 3 : start + 7])
        offset = base + int(data[start + 7 : start + 12])
        chunk = data[offset : offset + length - 1]
        if tag < "010" and tag.isdigit():
            fields.append(pymarc.Field(tag=tag, data=chunk.decode("utf-8")))
            continue
        pieces = chunk.decode("utf-8").split("\x1f")
        head = pieces[0]
        fields.append(
            pymarc.Field(
                tag=tag,
                indicators=pymarc.Indicators(head[0:1] or " ", head[1:2] or " "),
                subfields=[pymarc.Subfield(code=piece[:1], value=piece[1:]) for piece in pieces[1:] if piece],
            )
        )
    record.fields = fields
    return record


# --------------------------------------------------------------------------- MARCXML


def _xml_text(value: str) -> str:
    if _NOT_XML.search(value):
        value = _NOT_XML.sub("\ufffd", value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _xml_attribute(value: str) -> str:
    return _xml_text(value).replace('"', "&quot;")


def _record_xml(record: pymarc.Record, *, namespace: bool, flavour: str | None) -> str:
    if flavour is None:
        flavour = detect_flavour(record)
    leader = _ascii_leader(str(record.leader))
    if flavour != "unimarc":
        leader = leader[:9] + "a" + leader[10:]
    opening = f'<record xmlns="{MARCXML_NAMESPACE}">' if namespace else "<record>"
    parts = [opening, f"<leader>{_xml_text(leader)}</leader>"]
    for field in record.fields:
        tag = _xml_attribute(field.tag)
        if field.is_control_field():
            parts.append(f'<controlfield tag="{tag}">{_xml_text(field.data or "")}</controlfield>')
            continue
        parts.append(
            f'<datafield tag="{tag}" ind1="{_xml_attribute(_indicator(field.indicator1))}" '
            f'ind2="{_xml_attribute(_indicator(field.indicator2))}">'
        )
        for code, value in field.subfields:
            parts.append(f'<subfield code="{_xml_attribute(code)}">{_xml_text(value)}</subfield>')
        parts.append("</datafield>")
    parts.append("</record>")
    return "".join(parts)


def to_marcxml(record: pymarc.Record, *, flavour: str | None = None) -> bytes:
    """One ``<record>`` element in the MARC21/slim namespace, UTF-8, always well-formed.

    Characters XML 1.0 cannot carry (control characters from old systems) become U+FFFD.
    """
    return _record_xml(record, namespace=True, flavour=flavour).encode("utf-8")


def marcxml_collection(records: Iterable[pymarc.Record], out: BinaryIO) -> int:
    """Stream a ``<collection>`` of the records to ``out``; return how many were written."""
    out.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<collection xmlns="{MARCXML_NAMESPACE}">\n'.encode())
    count = 0
    for record in records:
        out.write(_record_xml(record, namespace=False, flavour=None).encode("utf-8"))
        out.write(b"\n")
        count += 1
    out.write(b"</collection>\n")
    return count


# --------------------------------------------------------------------------- JSON


def to_json(record: pymarc.Record) -> dict[str, Any]:
    """MARC-in-JSON (the shape of pymarc's ``as_dict``): leader plus a list of one-key field dicts."""
    fields: list[dict[str, Any]] = []
    for field in record.fields:
        if field.is_control_field():
            fields.append({field.tag: field.data or ""})
        else:
            fields.append(
                {
                    field.tag: {
                        "ind1": _indicator(field.indicator1),
                        "ind2": _indicator(field.indicator2),
                        "subfields": [{code: value} for code, value in field.subfields],
                    }
                }
            )
    return {"leader": str(record.leader), "fields": fields}
