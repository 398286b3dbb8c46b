"""Decode one ISO 2709 record into Unicode, letting the bytes decide the character set.

Real files lie about their encoding: MARC 21 leader/09 is blank on UTF-8 records, 'a' on
MARC-8 ones, and UNIMARC 100$a/26-29 declares ISO 646 on UTF-8 data. So the choice is:

1. valid UTF-8 with non-ASCII bytes is UTF-8, whatever the record says;
2. mostly valid UTF-8 with a few bad bytes (and no MARC-8 escapes) is UTF-8 with U+FFFD
   replacements, each field named in a warning;
3. UNIMARC declaring Windows-1251 ('89'), CP866 ('79') or KOI-8 ('99') is read so, unless the
   Cyrillic letter-frequency test clearly prefers another of the three;
4. otherwise 8-bit text in long runs of high bytes (Cyrillic words) goes to the letter-frequency
   test; anything else is MARC-8 for MARC 21 and ISO 8859-1 (with a warning) for UNIMARC.

Codes for UNIMARC 100$a/26-29 come from the UNIMARC manual (01 ISO 646, 02 ISO reg. 37,
03 ISO 5426, ..., 50 ISO 10646) and the RUSMARC extension listed in
../shared/data/unimarc/reference/RUSMARC20151123-format.xml (79 CP866, 89 WIN 1251, 99 KOI-8).

After decoding, the record says what it now is: MARC 21 leader/09 = 'a', UNIMARC
100$a/26-29 = '50  '. UTF-8 text is kept exactly as written (NFC or NFD), so import then export
gives the same bytes; text converted from MARC-8 or a legacy code page is composed (NFC), since
there is no original Unicode form to keep. Search and display do not depend on the form: the
index normalises (NFKC) on both sides.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import pymarc
from pymarc import marc8_mapping

from .errors import RecordError

FIELD_TERMINATOR = 0x1E
RECORD_TERMINATOR = 0x1D
SUBFIELD_DELIMITER = 0x1F
LEADER_LENGTH = 24

UNIMARC_CHARSETS = {"50": "utf-8", "89": "cp1251", "79": "cp866", "99": "koi8-r"}
CYRILLIC_ENCODINGS = ("cp1251", "cp866", "koi8-r")

RawField = tuple[str, bytes]


def decode_iso2709(raw: bytes, flavour: str | None) -> tuple[pymarc.Record, str, list[str]]:
    """Parse one ISO 2709 record (terminator included) into a Unicode ``pymarc.Record``.

    Returns the record, the name of the encoding used and warnings about what was repaired.
    Raises ``RecordError`` (naming the field when known) when the structure is unusable.
    """
    decoded = decode_iso2709_for_storage(raw, flavour)
    return decoded.record, decoded.encoding, decoded.warnings


@dataclass
class DecodedRecord:
    record: pymarc.Record
    encoding: str
    warnings: list[str]
    flavour: str
    # The record as UTF-8 ISO 2709, when that is the input with at most leader/09 set to 'a':
    # an importer stores these bytes instead of serialising the record again (the common case,
    # and a third of the cost of an import).
    utf8_iso2709: bytes | None


def decode_iso2709_for_storage(raw: bytes, flavour: str | None) -> DecodedRecord:
    warnings: list[str] = []
    leader, fields = split_iso2709(raw, warnings)
    intact = not warnings
    if flavour is None:
        flavour = _raw_flavour(fields)
    encoding = _choose_encoding(leader, fields, flavour, warnings)
    prebuilt = _utf8_fields(fields) if encoding == "utf-8" else None
    record = _build_record(leader, fields, encoding, warnings, prebuilt)
    normalise_coding(record, flavour, warnings)
    stored = None
    if (
        prebuilt is not None
        and intact
        and raw[:5].isdigit()
        and int(raw[:5]) == len(raw)
        and leader[10:12] == "22"
        and leader[20:23] == "450"
        and raw[:LEADER_LENGTH].isascii()
    ):
        if flavour == "unimarc":
            code = _unimarc_100a(fields)
            # Positions count characters and the check counts bytes: equal only for ASCII 100$a.
            ok = code is not None and code.isascii() and len(code) >= 36 and code[26:30] == b"50  "
            stored = raw if ok else None
        else:
            stored = raw[:9] + b"a" + raw[10:]
    return DecodedRecord(record, encoding, warnings, flavour, stored)


# --------------------------------------------------------------------------- structure


def split_iso2709(raw: bytes, warnings: list[str]) -> tuple[str, list[RawField]]:
    """Split a record into its leader and (tag, field bytes without terminator) pairs."""
    if len(raw) < LEADER_LENGTH + 2:
        raise RecordError(f"record is {len(raw)} bytes, shorter than a leader and a directory")
    if raw[-1] != RECORD_TERMINATOR:
        raise RecordError("record terminator (0x1D) missing at the end of the record")
    leader = _leader_text(raw[:LEADER_LENGTH], warnings)
    if not leader[:5].isdigit():
        raise RecordError(f"record length in leader is not numeric: {leader[:5]!r}")
    if not leader[12:17].isdigit():
        raise RecordError(f"base address of data in leader is not numeric: {leader[12:17]!r}")
    base = int(leader[12:17])
    if base <= LEADER_LENGTH:
        raise RecordError(f"base address of data ({base}) points inside the leader")
    if base >= len(raw):
        raise RecordError(f"base address of data ({base}) is beyond the end of the record ({len(raw)} bytes)")
    if raw[base - 1] != FIELD_TERMINATOR:
        raise RecordError(f"base address of data ({base}) does not follow the directory's field terminator")

    directory = raw[LEADER_LENGTH : base - 1]
    entry_length = _directory_entry_length(leader, len(directory))
    if len(directory) % entry_length:
        raise RecordError(
            f"directory length ({len(directory)}) is not a multiple of the entry length ({entry_length})"
        )
    length_digits = entry_length - 3 - 5 if entry_length != 12 else 4
    data = raw[base:-1]  # without the record terminator
    entries: list[tuple[str, int, int]] = []
    for number, start in enumerate(range(0, len(directory), entry_length), start=1):
        entry = directory[start : start + entry_length]
        try:
            tag = entry[:3].decode("ascii")
        except UnicodeDecodeError:
            raise RecordError(f"directory entry {number} has a non-ASCII tag {entry[:3]!r}") from None
        length_text, offset_text = entry[3 : 3 + length_digits], entry[3 + length_digits :]
        if not (length_text.isdigit() and offset_text.isdigit()):
            raise RecordError(f"directory entry {number} is not numeric: {entry!r}", field=tag)
        entries.append((tag, int(length_text), int(offset_text)))
    if not entries:
        raise RecordError("record has no fields")

    fields: list[RawField] = []
    consistent = True
    for tag, length, offset in entries:
        chunk = data[offset : offset + length]
        if offset + length > len(data) or length == 0 or chunk[-1] != FIELD_TERMINATOR:
            consistent = False
            break
        fields.append((tag, chunk[:-1]))
    if consistent:
        return leader, fields

    # A directory entry lies (typically a field longer than 9999 bytes). If the field
    # terminators still match the directory one for one, trust them rather than lose the record.
    pieces = data.split(bytes([FIELD_TERMINATOR]))
    bad_tag = tag
    if pieces and pieces[-1] == b"" and len(pieces) - 1 == len(entries):
        offsets = [offset for _, _, offset in entries]
        ordered = list(range(len(entries)))
        if len(set(offsets)) == len(offsets):
            ordered.sort(key=lambda i: offsets[i])  # data follows offsets, not directory order
        fields = [(entries[i][0], pieces[k]) for k, i in enumerate(ordered)]
        warnings.append(
            f"field {bad_tag}: directory entry does not match the data; fields recovered by splitting "
            "on field terminators"
        )
        return leader, fields
    raise RecordError("directory entry points outside the record or not at a field terminator", field=bad_tag)


def _leader_text(raw_leader: bytes, warnings: list[str]) -> str:
    text = raw_leader.decode("latin-1")
    if not raw_leader.isascii():
        warnings.append(f"leader has non-ASCII bytes, replaced by blanks: {text!r}")
        text = "".join(c if c.isascii() else " " for c in text)
    return text


def _directory_entry_length(leader: str, directory_length: int) -> int:
    # Leader/20-21 give the widths of length and offset; some huge records use 6-digit offsets.
    standard = 12
    if leader[20:22].isdigit():
        declared = 3 + int(leader[20]) + int(leader[21])
        if declared != standard and 8 <= declared <= 14 and directory_length % declared == 0:
            if directory_length % standard:
                return declared
    return standard


def _raw_flavour(fields: list[RawField]) -> str:
    tags = {tag for tag, _ in fields}
    if "245" in tags:
        return "marc21"
    has_200 = any(tag == "200" and bytes([SUBFIELD_DELIMITER]) in data for tag, data in fields)
    code = _unimarc_100a(fields)
    if has_200 and ((code is not None and len(code) >= 22) or "801" in tags):
        return "unimarc"
    return "marc21"


def _unimarc_100a(fields: list[RawField]) -> bytes | None:
    for tag, data in fields:
        if tag == "100":
            for chunk in data.split(bytes([SUBFIELD_DELIMITER]))[1:]:
                if chunk[:1] == b"a":
                    return chunk[1:]
            return None
    return None


# --------------------------------------------------------------------------- choosing


def _choose_encoding(leader: str, fields: list[RawField], flavour: str, warnings: list[str]) -> str:
    body = b"\x1e".join(data for tag, data in fields)
    has_escape = b"\x1b" in body
    unimarc = flavour == "unimarc"
    declared: str | None = None
    if unimarc:
        code = _unimarc_100a(fields)
        positions = code[26:30].decode("latin-1") if code is not None else ""
        for pair in (positions[:2], positions[2:4]):
            if pair in UNIMARC_CHARSETS:
                declared = UNIMARC_CHARSETS[pair]
                break
    else:
        declared = "utf-8" if leader[9] == "a" else "marc-8"

    if body.isascii():
        if unimarc:
            return "utf-8"
        if has_escape:
            if declared == "utf-8":
                warnings.append(
                    "leader/09 says UTF-8 but the data has MARC-8 escape sequences; read as MARC-8"
                )
            return "marc-8"
        return declared

    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        valid_utf8 = False
    else:
        valid_utf8 = True
    if valid_utf8:
        if declared != "utf-8":
            where = "100$a/26-29" if unimarc else "leader/09"
            warnings.append(f"{where} does not say UTF-8 but the bytes are valid UTF-8; read as UTF-8")
        return "utf-8"

    if not has_escape and _mostly_utf8(body):
        if declared == "utf-8" or not _looks_like_8bit_words(body):
            return "utf-8"  # replacement warnings are given per field

    cyrillic = _guess_cyrillic(body) if _looks_like_8bit_words(body) else None
    if unimarc:
        if declared in CYRILLIC_ENCODINGS:
            if (
                cyrillic
                and cyrillic != declared
                and _cyrillic_score(body, cyrillic) > 2 * max(_cyrillic_score(body, declared), 1)
            ):
                warnings.append(
                    f"100$a/26-29 says {declared} but the letters read as {cyrillic}; read as {cyrillic}"
                )
                return cyrillic
            return declared
        if cyrillic:
            warnings.append(
                f"100$a/26-29 does not name the character set; Cyrillic letters read as {cyrillic}"
            )
            return cyrillic
        warnings.append(
            "100$a/26-29 names a character set that is not decoded (ISO 5426?); read as ISO 8859-1"
        )
        return "iso-8859-1"

    if cyrillic and not has_escape:
        warnings.append(f"leader/09 does not describe the 8-bit Cyrillic text; read as {cyrillic}")
        return cyrillic
    if declared == "utf-8":
        if not has_escape and not _has_marc8_marks(body):
            return "utf-8"  # a stray bad byte in a UTF-8 record; replacement warnings per field
        warnings.append("leader/09 says UTF-8 but the bytes are not valid UTF-8; read as MARC-8")
    return "marc-8"


def _has_marc8_marks(body: bytes) -> bool:
    return re.search(rb"[\xe0-\xfe][A-Za-z]", body) is not None


def _mostly_utf8(body: bytes) -> bool:
    text = body.decode("utf-8", "replace")
    bad = text.count("\ufffd") - body.count(b"\xef\xbf\xbd")
    good = sum(1 for c in text if ord(c) > 0x7F and c != "\ufffd")
    return good > 0 and good >= 2 * bad


def _looks_like_8bit_words(body: bytes) -> bool:
    # MARC-8 puts a lone diacritic byte before an ASCII letter; Cyrillic code pages spell whole
    # words in high bytes. Count high bytes that have a high-byte neighbour.
    high = 0
    paired = 0
    marc8_marks = 0
    previous_high = False
    for index, byte in enumerate(body):
        is_high = byte >= 0x80
        if is_high:
            high += 1
            following = body[index + 1] if index + 1 < len(body) else 0
            if previous_high or following >= 0x80:
                paired += 1
            if 0xE0 <= byte <= 0xFE and (0x41 <= following <= 0x5A or 0x61 <= following <= 0x7A):
                marc8_marks += 1  # an ANSEL combining mark before its base letter
        previous_high = is_high
    return high >= 6 and paired >= 0.6 * high and marc8_marks < 0.2 * high


# Frequency-ordered Russian/Ukrainian lower-case letters: common letters weigh more.
_COMMON_LOWER = "оеаинтсрвлкмдпуяызьгбчйхжшюцщэфъёіїєґ"
_LETTER_WEIGHT = {c: 3.0 - 2.0 * i / len(_COMMON_LOWER) for i, c in enumerate(_COMMON_LOWER)}


def _cyrillic_score(body: bytes, encoding: str) -> float:
    score = 0.0
    for char in body.decode(encoding, "replace"):
        if char.isascii():
            continue
        if char in _LETTER_WEIGHT:
            score += _LETTER_WEIGHT[char]
        elif char.lower() in _LETTER_WEIGHT:
            score += 0.5
        else:
            score -= 2.0
    return score


def _guess_cyrillic(body: bytes) -> str | None:
    scores = {encoding: _cyrillic_score(body, encoding) for encoding in CYRILLIC_ENCODINGS}
    best = max(scores, key=lambda encoding: scores[encoding])
    return best if scores[best] > 0 else None


# --------------------------------------------------------------------------- decoding


def _utf8_fields(fields: list[RawField]) -> list[pymarc.Field] | None:
    """Fields of a clean UTF-8 record, built without per-subfield decoding or checks.

    Returns None at the first thing that needs the careful path (bad bytes, odd indicators or
    subfield codes, a field without subfields), which then decodes the record field by field.
    """
    new_field = pymarc.Field.__new__
    make = tuple.__new__
    field_class, subfield, indicators = pymarc.Field, pymarc.Subfield, pymarc.Indicators
    built: list[pymarc.Field] = []
    for tag, data in fields:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        # pymarc.Field.__init__ costs more than the rest of this loop; the slots are set as it would.
        field = new_field(field_class)
        field.tag = tag
        if tag < "010" and tag.isdigit():
            if "\x1f" in text:
                return None  # a delimiter inside a control field: the writer refuses it, so no shortcut
            field.control_field, field.data, field._indicators, field.subfields = True, text, None, []
        else:
            parts = text.split("\x1f")
            ind = parts[0]
            if len(ind) != 2 or len(parts) == 1 or not (ind.isascii() and ind.isprintable()):
                return None
            chunks = parts[1:]
            codes = "".join([part[:1] for part in chunks])
            if not (codes.isascii() and codes.isalnum()) or len(codes) != len(chunks):
                return None  # odd or empty subfield codes: the careful path reports them
            # tuple.__new__ skips namedtuple's Python-level __new__; same Subfield objects.
            subfields = [make(subfield, (part[0], part[1:])) for part in chunks]
            field.control_field, field.data = False, None
            field._indicators, field.subfields = indicators(ind[0], ind[1]), subfields
        built.append(field)
    return built


def _build_record(
    leader: str,
    fields: list[RawField],
    encoding: str,
    warnings: list[str],
    prebuilt: list[pymarc.Field] | None = None,
) -> pymarc.Record:
    decode = _decoder(encoding)
    built: list[pymarc.Field] = []
    for tag, data in [] if prebuilt is not None else fields:
        problems: list[str] = []
        if tag < "010" and tag.isdigit():
            built.append(pymarc.Field(tag=tag, data=decode(data, problems)))
        else:
            built.append(_data_field(tag, data, decode, problems, warnings))
        for problem in dict.fromkeys(problems):
            warnings.append(f"field {tag}: {problem}")
    record = pymarc.Record()
    record.fields = prebuilt if prebuilt is not None else built
    if leader[10:12] != "22" or leader[20:23] != "450":
        warnings.append(
            f"leader/10-11 and 20-22 repaired to '22' and '450' (were {leader[10:12]!r}, {leader[20:23]!r})"
        )
    # leader/23 is kept: MARC 21 says '0', UNIMARC leaves it blank.
    record.leader = pymarc.Leader(leader[:10] + "22" + leader[12:20] + "450" + leader[23])
    return record


def _data_field(
    tag: str, data: bytes, decode: Callable[[bytes, list[str]], str], problems: list[str], warnings: list[str]
) -> pymarc.Field:
    chunks = data.split(bytes([SUBFIELD_DELIMITER]))
    indicators = chunks[0].decode("latin-1")
    if len(chunks) == 1 and len(data) > 2:
        # Text with no subfield delimiter at all (IRBIS-style exports): keep all of it as $a
        # rather than guess that its first two characters are indicators.
        problems.append("data without subfield codes; kept whole as $a with blank indicators")
        chunks, indicators = [b"", b"a" + data], "  "
    if len(indicators) != 2:
        if len(indicators) > 2:
            problems.append(f"indicators {indicators!r} are not two characters; kept the first two")
        else:
            problems.append(f"indicators {indicators!r} are not two characters; padded with blanks")
        indicators = (indicators + "  ")[:2]
    if not (indicators.isascii() and indicators.isprintable()):
        problems.append(f"indicators {indicators!r} are not printable ASCII; replaced by blanks")
        indicators = "".join(c if c.isascii() and c.isprintable() else " " for c in indicators)
    subfields: list[pymarc.Subfield] = []
    for chunk in chunks[1:]:
        if not chunk:
            continue
        if chunk[0] < 0x80:
            code, value = chr(chunk[0]), decode(chunk[1:], problems)
        else:
            text = decode(chunk, problems)
            code, value = text[:1], text[1:]
        if not (code.isascii() and code.isalnum()):
            base = unicodedata.normalize("NFKD", code)[:1]
            if base.isascii() and base.isalnum():
                problems.append(f"subfield code {code!r} read as {base!r}")
                code = base
            else:
                problems.append(f"unusual subfield code {code!r}")
        subfields.append(pymarc.Subfield(code=code, value=value))
    return pymarc.Field(
        tag=tag, indicators=pymarc.Indicators(indicators[0], indicators[1]), subfields=subfields
    )


def _decoder(encoding: str) -> Callable[[bytes, list[str]], str]:
    if encoding == "marc-8":

        def decode_marc8(data: bytes, problems: list[str]) -> str:
            return unicodedata.normalize("NFC", marc8_decode(data, problems))

        return decode_marc8

    label = "UTF-8" if encoding == "utf-8" else encoding

    def decode_codec(data: bytes, problems: list[str]) -> str:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            text = data.decode(encoding, "replace")
            problems.append(f"bytes that are not valid {label} replaced with U+FFFD")
        if encoding == "utf-8" or text.isascii():
            return text
        return unicodedata.normalize("NFC", text)

    return decode_codec


_BASIC_LATIN = 0x42
_ANSEL = 0x45
_MULTIBYTE = 0x31
_MARC8_C1 = {0x88: "\u0098", 0x89: "\u009c", 0x8D: "\u200d", 0x8E: "\u200c"}
# "%x" before the ";" is a known mangled form (marc4j loongboonmee.mrc).
_NCR = re.compile(r"&#x([0-9A-Fa-f]{2,6})(?:%x)?;")


def marc8_decode(data: bytes, problems: list[str]) -> str:
    """MARC-8 to Unicode with pymarc's tables, reporting what it cannot map.

    pymarc's ``MARC8ToUnicode.translate`` writes failures to stderr, turns them into blanks and
    drops trailing combining marks; an importer needs them as warnings and U+FFFD instead.
    """
    g0, g1 = _BASIC_LATIN, _ANSEL
    out: list[str] = []
    combining: list[str] = []
    pos, end = 0, len(data)

    def emit(char: str, is_combining: bool) -> None:
        if is_combining:
            combining.append(char)  # MARC-8 puts marks before their base letter, Unicode after
        else:
            out.append(char)
            if combining:
                out.extend(combining)
                combining.clear()

    while pos < end:
        byte = data[pos]
        if byte == 0x1B:
            designator = data[pos + 1 : pos + 2]
            final_at = pos + 2
            target = 0
            if designator in (b"(", b","):
                target = 0
            elif designator in (b")", b"-"):
                target = 1
            elif designator == b"$":
                following = data[pos + 2 : pos + 3]
                if following in (b")", b"-"):
                    target, final_at = 1, pos + 3
                elif following == b",":
                    final_at = pos + 3
            elif designator and designator[0] in (0x62, 0x67, 0x70, 0x73):  # ESC b/g/p/s
                g0 = _BASIC_LATIN if designator[0] == 0x73 else designator[0]
                pos += 2
                continue
            else:
                problems.append(f"unknown MARC-8 escape sequence ESC {designator!r} ignored")
                pos += 1
                continue
            final = data[final_at : final_at + 1]
            if not final or final[0] not in marc8_mapping.CODESETS:
                # A stray ESC: drop only the ESC and read what follows as text.
                problems.append(f"invalid MARC-8 escape sequence {data[pos : final_at + 1]!r} ignored")
                pos += 1
                continue
            if target == 0:
                g0 = final[0]
            else:
                g1 = final[0]
            pos = final_at + 1
            continue

        if g0 == _MULTIBYTE and byte < 0x80:
            triple = data[pos : pos + 3]
            pos += 3
            if len(triple) < 3:
                problems.append("incomplete MARC-8 multibyte (EACC) character")
                out.append("\ufffd")
                continue
            code_point = (triple[0] << 16) | (triple[1] << 8) | triple[2]
            mapped = marc8_mapping.CODESETS[_MULTIBYTE].get(code_point)
            if mapped is None:
                odd = marc8_mapping.ODD_MAP.get(code_point)
                if odd is not None:
                    emit(chr(odd), False)
                    continue
                problems.append(f"MARC-8 EACC character 0x{code_point:06x} has no Unicode mapping")
                emit("\ufffd", False)
                continue
            emit(chr(mapped[0]), bool(mapped[1]))
            continue

        pos += 1
        if byte < 0x20 or byte == 0x7F:
            out.append(chr(byte))
            continue
        if 0x80 <= byte < 0xA0:
            if byte in _MARC8_C1:
                out.append(_MARC8_C1[byte])
            else:
                problems.append(f"MARC-8 byte 0x{byte:02x} is not a character")
                out.append("\ufffd")
            continue
        table = marc8_mapping.CODESETS.get(g1 if byte >= 0x80 else g0, {})
        mapped = table.get(byte)
        if mapped is None and byte < 0x80:
            if byte == 0x20 or g0 == _BASIC_LATIN:
                mapped = (byte, 0)
            elif byte < 0x41:
                # Digits and punctuation after a missing escape back to ASCII (greekmissingcharsetchange)
                mapped = (byte, 0)
        if mapped is None:
            problems.append(f"MARC-8 byte 0x{byte:02x} has no mapping in the current character set")
            emit("\ufffd", False)
            continue
        emit(chr(mapped[0]), bool(mapped[1]))

    if combining:
        out.extend(combining)  # a dangling mark is still data; keep it
    text = "".join(out)
    if "\ufe20" in text or "\ufe22" in text:
        # LC maps the MARC-8 ligature and double-tilde halves to U+FE20..U+FE23; the one-mark
        # form (U+0361, U+0360) is what UTF-8 MARC and every other converter use.
        text = _DOUBLE_MARKS.sub(_double_mark, text)
    if "&#x" in text:
        # MARC-8 "lossless" conversions write unmappable characters as &#xHHHH;
        text = _NCR.sub(_ncr_char, text)
    return text


_DOUBLE_MARKS = re.compile("([\ufe20\ufe22])(.)([\ufe21\ufe23])")


def _double_mark(match: re.Match[str]) -> str:
    return ("\u0361" if match.group(1) == "\ufe20" else "\u0360") + match.group(2)


def _ncr_char(match: re.Match[str]) -> str:
    value = int(match.group(1), 16)
    return chr(value) if value <= 0x10FFFF and not 0xD800 <= value <= 0xDFFF else match.group(0)


# --------------------------------------------------------------------------- normalising


def normalise_coding(record: pymarc.Record, flavour: str, warnings: list[str] | None = None) -> None:
    """Make the record say it is Unicode: MARC 21 leader/09 'a', UNIMARC 100$a/26-29 '50  '."""
    if flavour == "unimarc":
        field = record.get("100")
        if field is None or field.is_control_field():
            return
        for index, subfield in enumerate(field.subfields):
            if subfield.code == "a":
                value = subfield.value
                padded = value.ljust(36) if len(value) < 36 else value
                updated = padded[:26] + "50  " + padded[30:]
                if updated != value:
                    field.subfields[index] = pymarc.Subfield(code="a", value=updated)
                return
        return
    leader = str(record.leader)
    if len(leader) < LEADER_LENGTH:
        if warnings is not None:
            warnings.append(f"leader is {len(leader)} characters; padded to 24")
        leader = leader.ljust(LEADER_LENGTH)
    if leader[9] != "a":
        record.leader = pymarc.Leader(leader[:9] + "a" + leader[10:])
