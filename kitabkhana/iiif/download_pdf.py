"""A PDF of page images written as a stream: each page's JPEG goes into the file as it is (DCTDecode, no
re-encoding) the moment it is made, so a 200-page download holds one page in memory, not the book.

No Django here. The object numbers are fixed in advance (catalogue 1, page tree 2, then page, contents and
image for each page), which is what lets the page tree be written before any page is rendered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class PdfImage:
    """One page: a baseline JPEG of ``pixel_width`` × ``pixel_height`` (grey or RGB) shown at ``points`` size."""

    jpeg: bytes
    pixel_width: int
    pixel_height: int
    grey: bool
    width_points: float
    height_points: float


def _text_string(text: str) -> bytes:
    """A PDF text string in UTF-16BE with its byte-order mark: Persian and Arabic titles survive."""
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode() + b">"


def pdf_stream(pages: Sequence[Callable[[], PdfImage]], *, title: str = "") -> Iterator[bytes]:
    """Yield a PDF of ``pages`` (each a callable rendering its page when the stream reaches it)."""
    count = len(pages)
    info_number = 3 + 3 * count
    offsets: list[int] = []
    written = 0

    def emit(chunk: bytes) -> bytes:
        nonlocal written
        written += len(chunk)
        return chunk

    def start(number: int) -> bytes:
        offsets.append(written)
        assert len(offsets) == number, "objects are written in number order"
        return emit(f"{number} 0 obj\n".encode())

    yield emit(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    yield start(1) + emit(b"<< /Type /Catalog /Pages 2 0 R >>\nendobj\n")
    kids = " ".join(f"{3 + 3 * i} 0 R" for i in range(count))
    yield start(2) + emit(f"<< /Type /Pages /Kids [{kids}] /Count {count} >>\nendobj\n".encode())
    for index, render in enumerate(pages):
        page = render()
        number = 3 + 3 * index
        w, h = round(page.width_points, 2), round(page.height_points, 2)
        yield start(number) + emit(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {w} {h}] /Contents {number + 1} 0 R "
            f"/Resources << /XObject << /Im0 {number + 2} 0 R >> >> >>\nendobj\n".encode())
        content = f"q {w} 0 0 {h} 0 0 cm /Im0 Do Q".encode()
        yield start(number + 1) + emit(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream\nendobj\n")
        colour = "/DeviceGray" if page.grey else "/DeviceRGB"
        yield start(number + 2) + emit(
            f"<< /Type /XObject /Subtype /Image /Width {page.pixel_width} /Height {page.pixel_height} "
            f"/ColorSpace {colour} /BitsPerComponent 8 /Filter /DCTDecode /Length {len(page.jpeg)} >>\n"
            "stream\n".encode())
        yield emit(page.jpeg)
        yield emit(b"\nendstream\nendobj\n")
    yield start(info_number) + emit(b"<< /Producer (Kitabkhana)" + (b" /Title " + _text_string(title) if title else b"")
                                    + b" >>\nendobj\n")
    xref_at = written
    table = [f"xref\n0 {info_number + 1}\n", "0000000000 65535 f \n"]
    table += [f"{offset:010d} 00000 n \n" for offset in offsets]
    table.append(f"trailer\n<< /Size {info_number + 1} /Root 1 0 R /Info {info_number} 0 R >>\n"
                 f"startxref\n{xref_at}\n%%EOF\n")
    yield emit("".join(table).encode())
