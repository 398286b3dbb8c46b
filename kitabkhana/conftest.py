"""Fixtures for Django-side tests: a fresh search index per test, tasks run inline."""

from __future__ import annotations

import pytest
from django.utils import translation

from kitabkhana.core.backends import reset_backends


@pytest.fixture(autouse=True)
def isolated_data(settings, tmp_path):
    """Each test gets its own search index and data directory, and tasks run in the caller."""
    reset_backends()
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    settings.KITABKHANA = {
        **settings.KITABKHANA,
        "DATA_DIR": data_dir,
        "SEARCH_INDEX_DIR": data_dir / "index",
        "TASK_BACKEND": "kitabkhana.tasks.backends.InlineTaskBackend",
        # A test that sends serving_started must not leave a scheduler thread behind.
        "HARVEST_SCHEDULER": False,
        "DEPOSIT_CLAIMS_SCHEDULE": False,
    }
    yield data_dir
    reset_backends()
    # A test that served a Persian page leaves Persian active in this thread; the next test starts in English.
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def cataloguer(client):
    """A signed-in cataloguer of the national library (the staff pages' usual user)."""
    from kitabkhana.accounts.models import Role
    from kitabkhana.accounts.services import institution_default, staff_user_create

    user = staff_user_create(username="cat", password="a-long-password-1", institution=institution_default(),
                             role=Role.CATALOGUER)
    client.force_login(user)
    return user


@pytest.fixture
def wait_for():
    """``wait_for(predicate, timeout=20)``: poll until the predicate holds, for tests of background threads.

    On SQLite's in-memory test database a read can meet a table another thread is writing ("database table is
    locked"); that is a moment to poll again, not a failure.
    """
    import time

    from django.db import OperationalError

    def wait(predicate, timeout: float = 20) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if predicate():
                    return True
            except OperationalError:
                pass
            time.sleep(0.05)
        return False

    return wait
