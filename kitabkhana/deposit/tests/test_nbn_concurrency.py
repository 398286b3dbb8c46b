"""Approvals running at the same time never share a national bibliography number (PostgreSQL row locks)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, transaction

from kitabkhana.deposit.models import NationalBibliographyNumber
from kitabkhana.deposit.services import nbn_allocate


@pytest.mark.django_db(transaction=True)
def test_concurrent_allocations_get_distinct_consecutive_numbers():
    if connection.vendor != "postgresql":
        pytest.skip("row locks (select_for_update) are what is tested; SQLite serialises writers anyway")
    NationalBibliographyNumber.objects.create(year=1405)
    numbers: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def approve() -> None:
        try:
            start.wait()
            with transaction.atomic():
                numbers.append(nbn_allocate(on=dt.date(2026, 6, 1)))
        except BaseException as exc:  # reported below: a failure in a thread must fail the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(numbers) == [f"NB-1405-{n:05d}" for n in range(1, 7)]
