"""Test-wide fixtures: where the real shared data lives, and what happens when it is absent.

Tests that read ../shared/data carry ``@pytest.mark.shared_data`` and use the ``shared_data``
fixture. In a user's clone the folder may be absent and those tests skip with a reason; CI sets
KITABKHANA_REQUIRE_SHARED_DATA=1 so that an absent folder fails the run instead of hiding tests.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(os.environ.get("KITABKHANA_SHARED_DATA", Path(__file__).resolve().parent.parent / "shared" / "data"))
FIXTURES = Path(__file__).resolve().parent / "tests" / "fixtures"


def _shared_data_required() -> bool:
    return os.environ.get("KITABKHANA_REQUIRE_SHARED_DATA", "").lower() in {"1", "true", "yes"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if SHARED_DATA.is_dir():
        return
    if _shared_data_required():
        raise pytest.UsageError(f"KITABKHANA_REQUIRE_SHARED_DATA is set but {SHARED_DATA} does not exist")
    skip = pytest.mark.skip(reason=f"real shared data not found at {SHARED_DATA} (a user's clone has none)")
    for item in items:
        if "shared_data" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The root of ../shared/data (tests using it must be marked ``shared_data``)."""
    return SHARED_DATA


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """Small permissively licensed fixture files kept in the project (tests/fixtures)."""
    return FIXTURES


@pytest.fixture(scope="session")
def cip_fonts() -> None:
    """The fonts the CIP data block's PDF embeds (Debian fonts-noto-core; `.ci/run` installs it).

    A laptop without them skips the PDF tests with the reason; CI (KITABKHANA_REQUIRE_FONTS=1) fails.
    """
    from kitabkhana.deposit.cip_block import CipFontMissing, required_fonts

    try:
        required_fonts()
    except CipFontMissing as exc:
        if os.environ.get("KITABKHANA_REQUIRE_FONTS", "").lower() in {"1", "true", "yes"}:
            raise
        pytest.skip(str(exc))


# --- page scans for the digitization tests ---------------------------------------------------------------------

# The public-domain texts rendered pages carry (kitabkhana/imaging/specimen.py), re-exported for tests.
from kitabkhana.imaging.specimen import ENGLISH_TEXT, PERSIAN_TEXT  # noqa: E402, F401


@pytest.fixture(scope="session")
def page_scan():
    """Make a page image like a scanner's: real text set in Noto (fonts-noto-core) on off-white paper.

    ``page_scan(path, text=PERSIAN_TEXT, width=2480, height=3508, dpi=300, colour=True, blank=False)`` writes
    the file (format from the suffix: .tif, .jpg, .png, .jp2) and returns the text on it (the OCR ground truth).
    Needs libvips (Debian libvips42) with Pango, which `.ci/run` installs.
    """
    from kitabkhana.imaging.specimen import page_render

    return page_render
