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
