"""Stream MARC records out of ISO 2709 and MARCXML files, one ``ReadResult`` at a time.

Both readers hold one record in memory, never the file, so a 1 GB dump costs what one record
costs. Every record, good or bad, is one result with a number: a bad record is reported and
reading carries on with the next one, so an import can say "record 19 (byte 65012)" and go on.

ISO 2709 (``read_records(format="iso2709")``):

* the record is the 5-digit length from the leader, and must end with 0x1D;
* when the length lies (off by one, a record over 99999 bytes, garbage) the reader goes to the
  next 0x1D instead. If the bytes up to there still decode, the record is kept with a warning
  (CP866 UNIMARC files in the wild are off by one, and refusing them helps nobody); if not, the
  result carries a ``RecordError`` and the reader continues after that 0x1D;
* no 0x1D before the end of the file means a truncated final record: one error result, then stop;
* whitespace, NUL and ^Z between records (stray newlines after each record) are skipped;
* ``offset + length`` of a result is where the next record starts: store it, pass it back as
  ``start_offset`` together with ``start_number`` to resume without reading a byte twice.

MARCXML (``read_records(format="marcxml")``):

* parsed with ``lxml.etree.iterparse`` and cleared after each record; entities are not resolved,
  no network, and any DOCTYPE (the carrier of "billion laughs" and external entities) is refused
  with ``FileFormatError`` before parsing starts;
* the root must be ``collection`` or ``record`` in the MARC21/slim namespace (or none; the ISO
  25577 MarcXchange and RUSMARC "UNISlim" namespaces have the same shape and are accepted too);
* XML that stops being well-formed after the root started yields one error result naming the
  line, then the reader stops: XML cannot be resynchronised safely, and the records before the
  fault are good. A fault before the root element is a ``FileFormatError`` (nothing was read);
* there is no byte offset for an element out of iterparse, so ``offset`` and ``length`` are 0;
  resume by ``start_number`` (records before it are parsed and skipped, not yielded).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

import pymarc
from lxml import etree

from .charsets import RECORD_TERMINATOR, decode_iso2709_for_storage, normalise_coding
from .errors import FileFormatError, RecordError

MARCXML_NAMESPACE = "http://www.loc.gov/MARC21/slim"
# Same element vocabulary as MARCXML: ISO 25577 MarcXchange and the RUSMARC "UNISlim" schema.
ACCEPTED_NAMESPACES = frozenset(
    {"", MARCXML_NAMESPACE, "info:lc/xmlns/marcxchange-v2", "http://www.rba.ru/rusmarc/soft"}
)

_CHUNK = 1 << 16
# Longest stretch scanned for a record terminator when a leader lies (HathiTrust has 1 MB records).
_MAX_RESYNC = 1 << 26
_BETWEEN_RECORDS = b" \t\r\n\x00\x1a"
_BOM = b"\xef\xbb\xbf"


@dataclass
class ReadResult:
    """One record (or the error that replaced it) and where it sits in the file."""

    number: int
    offset: int
    length: int
    record: pymarc.Record | None
    flavour: str | None
    encoding: str | None
    error: RecordError | None = None
    warnings: list[str] = field(default_factory=list)
    # UTF-8 ISO 2709 ready to store as is, when decoding changed nothing but leader/09.
    utf8_iso2709: bytes | None = None


def detect_format(head: bytes) -> str:
    """'marcxml' or 'iso2709' from the first bytes of a file; ``FileFormatError`` otherwise."""
    if head.startswith(_BOM):
        head = head[len(_BOM) :]
    stripped = head.lstrip(_BETWEEN_RECORDS)
    if not stripped:
        raise FileFormatError("the file is empty")
    if stripped.startswith(b"<"):
        return "marcxml"
    if stripped[:5].isdigit() and len(stripped) >= 5:
        return "iso2709"
    raise FileFormatError(f"neither ISO 2709 nor MARCXML: the file starts with {stripped[:24]!r}")


def detect_flavour(record: pymarc.Record) -> str:
    """'unimarc' when the record has a UNIMARC title (200) and 100/801 and no 245, else 'marc21'."""
    if record.get("245") is not None:
        return "marc21"
    title = record.get("200")
    if title is None or title.is_control_field() or not title.subfields:
        return "marc21"
    processing = record.get("100")
    coded = ""
    if processing is not None and not processing.is_control_field():
        coded = next((sub.value for sub in processing.subfields if sub.code == "a"), "")
    if len(coded) >= 22 or record.get("801") is not None:
        return "unimarc"
    return "marc21"


def read_records(
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    flavour: str | None = None,
    name: str | None = None,
    start_offset: int = 0,
    start_number: int = 1,
) -> Iterator[ReadResult]:
    """Yield a ``ReadResult`` per record of an ISO 2709 or MARCXML file, streaming.

    ``format`` ('iso2709'/'marcxml') and ``flavour`` ('marc21'/'unimarc') are detected when
    not given; ``name`` is the file name used in messages. ``start_offset`` (ISO 2709) and
    ``start_number`` resume an interrupted read.
    """
    source = name if name is not None else str(path)
    with open(path, "rb") as stream:
        if format is None:
            try:
                format = detect_format(stream.read(4096))
            except FileFormatError as exc:
                raise FileFormatError(f"{source}: {exc}") from None
        if format == "iso2709":
            yield from _read_iso2709(stream, source, flavour, start_offset, start_number)
        elif format == "marcxml":
            yield from _read_marcxml(stream, source, flavour, start_number)
        else:
            raise ValueError(f"unknown MARC format {format!r}")


# --------------------------------------------------------------------------- ISO 2709


class _Window:
    """The unread bytes of a file from ``position`` on, fetched in chunks as needed."""

    def __init__(self, stream: BinaryIO, position: int) -> None:
        self.stream = stream
        self.position = position
        self.buffer = bytearray()
        self.eof = False
        stream.seek(position)

    def fill(self, size: int) -> int:
        while len(self.buffer) < size and not self.eof:
            chunk = self.stream.read(max(_CHUNK, size - len(self.buffer)))
            if chunk:
                self.buffer += chunk
            else:
                self.eof = True
        return len(self.buffer)

    def find(self, byte: int, limit: int = _MAX_RESYNC) -> int:
        searched = 0
        while True:
            index = self.buffer.find(byte, searched)
            if index != -1:
                return index
            searched = len(self.buffer)
            if self.eof or searched >= limit:
                return -1
            self.fill(searched + _CHUNK)

    def take(self, size: int) -> bytes:
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        self.position += len(data)
        return data

    def skip_between_records(self) -> None:
        while self.fill(1):
            stripped = self.buffer.lstrip(_BETWEEN_RECORDS)
            skipped = len(self.buffer) - len(stripped)
            if not skipped:
                return
            self.take(skipped)


def _read_iso2709(
    stream: BinaryIO, source: str, flavour: str | None, start_offset: int, start_number: int
) -> Iterator[ReadResult]:
    window = _Window(stream, start_offset)
    number = start_number
    while True:
        window.skip_between_records()
        if not window.buffer:
            return
        offset = window.position
        window.fill(5)
        head = bytes(window.buffer[:5])
        declared = int(head) if len(head) == 5 and head.isdigit() else None

        if declared is not None and declared > 24 and window.fill(declared) >= declared:
            if window.buffer[declared - 1] == RECORD_TERMINATOR:
                raw = window.take(declared)
                yield _decode(raw, source, number, offset, flavour, [])
                number += 1
                continue

        # The leader's length is wrong or missing: the record ends at the next terminator.
        end = window.find(RECORD_TERMINATOR)
        if end == -1:
            available = window.fill(_MAX_RESYNC) if not window.eof else len(window.buffer)
            window.take(available)
            if declared is None:
                message = f"{available} bytes without a record terminator and no numeric record length: not a MARC record"
            else:
                message = (
                    f"truncated record: the leader says {declared} bytes but the file ends after {available}"
                )
            error = RecordError(message, source=source, record_number=number, offset=offset)
            yield ReadResult(number, offset, available, None, None, None, error)
            return
        raw = window.take(end + 1)
        if declared is None:
            error = RecordError(
                f"record length in leader is not numeric ({head!r}); skipped {len(raw)} bytes to the next "
                "record terminator",
                source=source,
                record_number=number,
                offset=offset,
            )
            yield ReadResult(number, offset, len(raw), None, None, None, error)
        else:
            note = f"leader says the record is {declared} bytes but its terminator is at byte {len(raw)}; length ignored"
            yield _decode(raw, source, number, offset, flavour, [note])
        number += 1


def _decode(
    raw: bytes, source: str, number: int, offset: int, flavour: str | None, notes: list[str]
) -> ReadResult:
    try:
        decoded = decode_iso2709_for_storage(raw, flavour)
    except RecordError as exc:
        if notes:
            exc.message = f"{exc.message} ({notes[0]})"
        exc.located(source=source, record_number=number, offset=offset)
        return ReadResult(number, offset, len(raw), None, None, None, exc, list(notes))
    except Exception as exc:  # noqa: BLE001 - one odd record must not stop a million-record import
        error = RecordError(
            f"cannot decode record: {exc!r}", source=source, record_number=number, offset=offset
        )
        return ReadResult(number, offset, len(raw), None, None, None, error, list(notes))
    record = decoded.record
    flavour = flavour or detect_flavour(record)
    # Bytes reused only when nothing about the record was in doubt.
    reusable = decoded.utf8_iso2709 if not notes and flavour == decoded.flavour else None
    return ReadResult(
        number, offset, len(raw), record, flavour, decoded.encoding, None, notes + decoded.warnings, reusable
    )


# --------------------------------------------------------------------------- MARCXML


def _split_tag(tag: object) -> tuple[str, str]:
    if not isinstance(tag, str):
        return "", ""
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


def _refuse_doctype(head: bytes, source: str) -> None:
    # A DOCTYPE can only come before the root element; refuse it outright (defusedxml's stance):
    # MARCXML never needs one and it is how entity expansion attacks get in.
    first_element = re.search(rb"<[A-Za-z_]", head)
    prolog = head[: first_element.start()] if first_element else head
    if b"<!DOCTYPE" in prolog or b"<!ENTITY" in prolog:
        raise FileFormatError(
            f"{source}: XML with a DOCTYPE declaration is refused (entities are not allowed in MARCXML)"
        )


def _read_marcxml(
    stream: BinaryIO, source: str, flavour: str | None, start_number: int
) -> Iterator[ReadResult]:
    stream.seek(0)
    _refuse_doctype(stream.read(_CHUNK), source)
    stream.seek(0)
    events = etree.iterparse(
        stream,
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    root_seen = False
    number = 0
    iterator = iter(events)
    while True:
        try:
            event, element = next(iterator)
        except StopIteration:
            break
        except etree.XMLSyntaxError as exc:
            line = exc.lineno if exc.lineno else "?"
            message = f"XML is not well-formed at line {line}: {exc.msg}"
            if not root_seen:
                raise FileFormatError(f"{source}: {message}") from None
            error = RecordError(message + "; reading stopped", source=source, record_number=number + 1)
            yield ReadResult(number + 1, 0, 0, None, None, None, error)
            return
        if event == "start":
            if not root_seen:
                root_seen = True
                _check_root(element, source)
            continue
        namespace, local = _split_tag(element.tag)
        if local != "record" or namespace not in ACCEPTED_NAMESPACES:
            continue
        number += 1
        if number >= start_number:
            yield xml_element_result(element, source, number, flavour, element.getroottree().docinfo.encoding)
        element.clear()
        # Drop the finished records from the tree so memory stays flat over the whole file.
        parent = element.getparent()
        if parent is not None:
            while element.getprevious() is not None:
                del parent[0]
    if not root_seen:
        raise FileFormatError(f"{source}: no XML element found")


def _check_root(root: etree._Element, source: str) -> None:
    doctype = root.getroottree().docinfo
    if doctype.internalDTD is not None or doctype.doctype:
        raise FileFormatError(
            f"{source}: XML with a DOCTYPE declaration is refused (entities are not allowed in MARCXML)"
        )
    namespace, local = _split_tag(root.tag)
    if local not in ("collection", "record") or namespace not in ACCEPTED_NAMESPACES:
        raise FileFormatError(
            f"{source}: not MARCXML: the root element is <{root.tag}>, not a MARC21/slim collection or record"
        )


def _tag(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    return value.zfill(3) if value.isdigit() and len(value) < 3 else value


def _xml_text(element: etree._Element) -> str:
    # XML is Unicode already: keep the text as written, as for UTF-8 ISO 2709 (charsets docstring).
    return element.text or ""


def xml_element_result(
    element: etree._Element, source: str, number: int, flavour: str | None, encoding: str | None
) -> ReadResult:
    """One MARCXML ``<record>`` element (from a file, an OAI-PMH page, an SRU response) as a ReadResult."""
    warnings: list[str] = []
    try:
        record = _xml_record(element, warnings)
        detected = flavour or detect_flavour(record)
        normalise_coding(record, detected, warnings)
    except Exception as exc:  # noqa: BLE001 - report and go on with the next record
        error = RecordError(
            f"cannot read MARCXML record (line {element.sourceline}): {exc!r}",
            source=source,
            record_number=number,
        )
        return ReadResult(number, 0, 0, None, None, None, error, warnings)
    return ReadResult(number, 0, 0, record, detected, encoding or "utf-8", None, warnings)


def _xml_record(element: etree._Element, warnings: list[str]) -> pymarc.Record:
    leader: str | None = None
    fields: list[pymarc.Field] = []
    for child in element:
        _, local = _split_tag(child.tag)
        line = child.sourceline
        if local == "leader":
            leader = child.text or ""
        elif local == "controlfield":
            tag = _tag(child.get("tag"))
            if tag is None:
                warnings.append(f"line {line}: controlfield without a tag skipped: {_xml_text(child)!r}")
                continue
            fields.append(pymarc.Field(tag=tag, data=_xml_text(child)))
        elif local == "datafield":
            tag = _tag(child.get("tag"))
            if tag is None:
                text = " ".join(_xml_text(sub) for sub in child)
                warnings.append(f"line {line}: datafield without a tag skipped: {text!r}")
                continue
            fields.append(_xml_datafield(child, tag, warnings))
        else:
            warnings.append(f"line {line}: unexpected element <{local}> in record skipped")
    if leader is None:
        warnings.append("record has no leader; a blank one was supplied")
        leader = " " * 24
    elif len(leader) != 24:
        warnings.append(f"leader is {len(leader)} characters, not 24: {leader!r}")
        leader = leader[:24].ljust(24)
    record = pymarc.Record(leader=leader)
    record.fields = fields
    return record


def _xml_datafield(element: etree._Element, tag: str, warnings: list[str]) -> pymarc.Field:
    indicators = []
    for attribute in ("ind1", "ind2"):
        value = element.get(attribute)
        if value is None or len(value) != 1:
            warnings.append(f"field {tag}: {attribute} is {value!r}; blank used")
            value = (value or " ")[:1] or " "
        indicators.append(value)
    subfields: list[pymarc.Subfield] = []
    for child in element:
        _, local = _split_tag(child.tag)
        if local != "subfield":
            warnings.append(f"field {tag}: unexpected element <{local}> skipped: {_xml_text(child)!r}")
            continue
        code = child.get("code")
        if not code:
            warnings.append(f"field {tag}: subfield without a code skipped: {_xml_text(child)!r}")
            continue
        subfields.append(pymarc.Subfield(code=code, value=_xml_text(child)))
    return pymarc.Field(tag=tag, indicators=pymarc.Indicators(*indicators), subfields=subfields)
