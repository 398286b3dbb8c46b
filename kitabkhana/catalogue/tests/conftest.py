from __future__ import annotations

from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parents[3] / "demo"


@pytest.fixture
def demo_dir() -> Path:
    """The project's own real, permissively licensed records (demo/PROVENANCE.md)."""
    return DEMO
