"""What a deposited e-book file really is — PDF or EPUB — judged by its content, not by its name.

Pure Python (no Django): a seekable binary file in, a ``DepositFile`` (media type, extension, pages) out, or
``FileRefused`` naming what is wrong. The checks are the ones a preservation copy needs:

* PDF: the ``%PDF-`` header, an ``%%EOF`` trailer near the end (a truncated upload has none), a document
  pypdf can open and count the pages of, and no encryption (a file that needs a password cannot be
  preserved or read in a reading room).
* EPUB (OCF 3.x container): a ZIP whose first entry is an uncompressed ``mimetype`` holding exactly
  ``application/epub+zip``, with ``META-INF/container.xml``; every entry's CRC is checked, after the
  declared sizes are bounded so that a ZIP bomb is refused before anything is inflated.

The file name's extension must agree with the content, so a catalogue never serves an EPUB called .pdf.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

__all__ = ["DepositFile", "FileRefused", "file_identify", "file_sha256"]

_PDF_TAIL = 2048
_EPUB_MIMETYPE = b"application/epub+zip"
# The inflated content of an EPUB may be this many times the largest upload, and no more.
_EPUB_INFLATION_LIMIT = 4


class FileRefused(ValueError):
    """The file is not a PDF or EPUB we can keep (wrong type, truncated, encrypted, a ZIP bomb ...)."""


@dataclass(frozen=True)
class DepositFile:
    media_type: str
    extension: str
    pages: int | None = None


def file_sha256(stream: BinaryIO, chunk: int = 1 << 20) -> str:
    stream.seek(0)
    digest = hashlib.sha256()
    while block := stream.read(chunk):
        digest.update(block)
    stream.seek(0)
    return digest.hexdigest()


def _pdf(stream: BinaryIO, name: str, size: int) -> DepositFile:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    stream.seek(max(0, size - _PDF_TAIL))
    if b"%%EOF" not in stream.read():
        raise FileRefused(f"{name}: the PDF is truncated (no %%EOF trailer at its end)")
    stream.seek(0)
    try:
        reader = PdfReader(stream, strict=False)
        if reader.is_encrypted:
            raise FileRefused(f"{name}: the PDF is encrypted; deposit it without a password or restrictions")
        pages = len(reader.pages)
    except FileRefused:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise FileRefused(f"{name}: the PDF cannot be read ({exc})") from None
    finally:
        stream.seek(0)
    if pages == 0:
        raise FileRefused(f"{name}: the PDF has no pages")
    return DepositFile("application/pdf", "pdf", pages)


def _epub(stream: BinaryIO, name: str, max_bytes: int) -> DepositFile:
    try:
        with zipfile.ZipFile(stream) as archive:
            entries = archive.infolist()
            if not entries or entries[0].filename != "mimetype":
                raise FileRefused(f"{name}: not an EPUB (a ZIP whose first entry is not 'mimetype')")
            first = entries[0]
            if first.compress_type != zipfile.ZIP_STORED or first.file_size > 64:
                raise FileRefused(f"{name}: the EPUB 'mimetype' entry must be stored uncompressed")
            if archive.read(first).strip() != _EPUB_MIMETYPE:
                raise FileRefused(f"{name}: not an EPUB ('mimetype' does not say application/epub+zip)")
            names = {e.filename for e in entries}
            if "META-INF/container.xml" not in names:
                raise FileRefused(f"{name}: the EPUB has no META-INF/container.xml")
            inflated = sum(e.file_size for e in entries)
            if inflated > max_bytes * _EPUB_INFLATION_LIMIT:
                raise FileRefused(f"{name}: the EPUB would inflate to {inflated} bytes, more than "
                                  f"{max_bytes * _EPUB_INFLATION_LIMIT} allowed")
            broken = archive.testzip()
            if broken is not None:
                raise FileRefused(f"{name}: the EPUB entry {broken!r} is damaged (bad CRC)")
    except zipfile.BadZipFile as exc:
        raise FileRefused(f"{name}: the EPUB is not a readable ZIP ({exc})") from None
    finally:
        stream.seek(0)
    return DepositFile("application/epub+zip", "epub")


def file_identify(stream: BinaryIO, *, name: str, size: int, max_bytes: int) -> DepositFile:
    """Say what the deposited file is, or raise ``FileRefused`` naming the file and the problem."""
    if size <= 0:
        raise FileRefused(f"{name}: the file is empty")
    if size > max_bytes:
        raise FileRefused(f"{name}: {size} bytes is more than the {max_bytes} bytes allowed for a deposited file")
    stream.seek(0)
    head = stream.read(8)
    stream.seek(0)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if head.startswith(b"%PDF-"):
        kind = _pdf(stream, name, size)
    elif head.startswith(b"PK\x03\x04"):
        kind = _epub(stream, name, max_bytes)
    else:
        raise FileRefused(f"{name}: not a PDF or EPUB file (it starts with {head[:5]!r})")
    if extension != kind.extension:
        raise FileRefused(f"{name}: the content is {kind.extension.upper()} but the name ends in "
                          f"'.{extension}'; rename it to .{kind.extension}")
    return kind
