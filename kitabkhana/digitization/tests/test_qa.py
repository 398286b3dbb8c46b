"""Automatic QA (kitabkhana.imaging.qa, no Django) on real rendered pages: resolution from the header, from the
record's page height or from pixel counts; blank pages; duplicates by fingerprint without confusing two text
pages of the same layout; colour mode per line; unreadable, truncated, unsupported files and decompression
bombs refused before a pixel is decoded."""

from __future__ import annotations

import struct
import zlib

import pytest
import pyvips

from kitabkhana.digitization.tests.lines_support import SIZE, page_text
from kitabkhana.imaging import qa


def _kinds(report: qa.PageReport) -> dict[str, qa.Finding]:
    return {f.kind: f for f in report.findings}


def test_a_good_page_has_no_finding_and_a_fingerprint(page_scan, tmp_path):
    page_scan(tmp_path / "p.tif", page_text(1), **SIZE)
    report = qa.page_check(tmp_path / "p.tif")
    assert report.readable and report.findings == () and len(report.fingerprint) == 64
    assert 0.005 < report.ink < 0.2


def test_duplicates_are_found_and_other_pages_of_the_same_layout_are_not(page_scan, tmp_path):
    prints = []
    for n in range(6):
        page_scan(tmp_path / f"{n}.tif", page_text(n), **SIZE)
        prints.append((str(n + 1), qa.page_check(tmp_path / f"{n}.tif").fingerprint))
    distances = [qa.fingerprint_distance(a, b) for i, (_, a) in enumerate(prints) for _, b in prints[i + 1:]]
    assert min(distances) > qa.Rules().duplicate_bits * 2  # well apart, not near the threshold
    # The same text scanned again (as JPEG, so not byte-identical) is a duplicate of page 3.
    page_scan(tmp_path / "again.jpg", page_text(2), **SIZE)
    report = qa.page_check(tmp_path / "again.jpg", earlier=prints)
    found = _kinds(report)["duplicate"]
    assert found.blocking and found.detail.startswith("looks like page 3") and report.duplicate_of == "3"


def test_blank_pages_are_noted_not_blocking_and_not_compared(page_scan, tmp_path):
    page_scan(tmp_path / "a.tif", blank=True, **SIZE)
    page_scan(tmp_path / "b.png", blank=True, **SIZE)
    first = qa.page_check(tmp_path / "a.tif")
    assert set(_kinds(first)) == {"blank"} and not first.blocking and first.fingerprint == ""
    second = qa.page_check(tmp_path / "b.png", earlier=[("1", first.fingerprint)])
    assert set(_kinds(second)) == {"blank"}


def test_resolution_rules(page_scan, tmp_path):
    page_scan(tmp_path / "low.jpg", page_text(1), width=600, height=850, dpi=150)
    found = _kinds(qa.page_check(tmp_path / "low.jpg"))["resolution"]
    assert found.blocking and "150 dpi" in found.detail
    # A line content with 150 dpi (newspapers on microfilm, say) accepts it.
    assert "resolution" not in _kinds(qa.page_check(tmp_path / "low.jpg", rules=qa.Rules(min_dpi=150)))
    # No resolution in the file: 1 pixel per millimetre is what libvips reports when the header says nothing.
    image = pyvips.Image.new_from_file(str(tmp_path / "low.jpg")).copy(xres=1.0, yres=1.0)
    image.pngsave(str(tmp_path / "nodpi.png"))
    assert qa.page_check(tmp_path / "nodpi.png").info.dpi is None
    by_pixels = _kinds(qa.page_check(tmp_path / "nodpi.png"))["resolution"]
    assert "850 pixels" in by_pixels.detail and "2400" in by_pixels.detail
    # With the record's page height (MARC 300 $c): 850 pixels for 7 cm is 308 dpi, enough; for 24 cm it is not.
    assert "resolution" not in _kinds(qa.page_check(tmp_path / "nodpi.png", rules=qa.Rules(page_height_cm=7)))
    tall = _kinds(qa.page_check(tmp_path / "nodpi.png", rules=qa.Rules(page_height_cm=24)))["resolution"]
    assert "24 cm page is 90 dpi" in tall.detail


def test_colour_mode(page_scan, tmp_path):
    page_scan(tmp_path / "grey.tif", page_text(1), colour=False, **SIZE)
    found = _kinds(qa.page_check(tmp_path / "grey.tif"))["colour"]
    assert found.blocking and found.detail == "grey page in a colour line"
    assert "colour" not in _kinds(qa.page_check(tmp_path / "grey.tif", rules=qa.Rules(colour_mode="grey")))
    # A bitonal master (1 bit per pixel) in a greyscale line; a 16-bit master is noted only.
    grey = pyvips.Image.new_from_file(str(tmp_path / "grey.tif"))
    (grey > 128).tiffsave(str(tmp_path / "bitonal.tif"), bitdepth=1, resunit="inch")
    bitonal = _kinds(qa.page_check(tmp_path / "bitonal.tif", rules=qa.Rules(colour_mode="grey")))["colour"]
    assert bitonal.blocking and bitonal.detail == "bitonal page in a greyscale line"
    page_scan(tmp_path / "rgb.tif", page_text(2), **SIZE)
    deep = pyvips.Image.new_from_file(str(tmp_path / "rgb.tif")).colourspace("rgb16")
    deep.tiffsave(str(tmp_path / "deep.tif"), resunit="inch")
    noted = _kinds(qa.page_check(tmp_path / "deep.tif"))["colour"]
    assert not noted.blocking and "16-bit" in noted.detail


@pytest.mark.parametrize("suffix", [".tif", ".jpg", ".png"])
def test_a_file_cut_in_half_is_unreadable(page_scan, tmp_path, suffix):
    path = tmp_path / f"page{suffix}"
    page_scan(path, page_text(1), **SIZE)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    report = qa.page_check(path)
    assert not report.readable and report.blocking
    assert [f.kind for f in report.findings] == ["unreadable"] and f"page{suffix}" in report.findings[0].detail


def test_a_text_file_named_tif_and_a_decompression_bomb(tmp_path):
    (tmp_path / "notes.tif").write_text("scanner log, saved with the wrong name\n")
    report = qa.page_check(tmp_path / "notes.tif")
    assert not report.readable and report.findings[0].kind == "unreadable" and "notes.tif" in report.findings[0].detail

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    (tmp_path / "bomb.png").write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b""))
    bomb = qa.page_check(tmp_path / "bomb.png")
    assert not bomb.readable and bomb.findings[0].kind == "oversized" and "100000 × 100000" in bomb.findings[0].detail


def test_an_unsupported_format(page_scan, tmp_path):
    page_scan(tmp_path / "p.png", page_text(1), width=300, height=400)
    pyvips.Image.new_from_file(str(tmp_path / "p.png")).gifsave(str(tmp_path / "p.gif"))
    report = qa.page_check(tmp_path / "p.gif")
    assert not report.readable and report.findings[0].kind == "unsupported" and "GIF" in report.findings[0].detail
