"""Institutions: the command adds them, bad input is refused clearly, the default one exists on demand."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from kitabkhana.accounts.models import Institution
from kitabkhana.accounts.services import institution_default

pytestmark = pytest.mark.django_db


def test_institution_add_command_creates_it_with_other_names():
    out = io.StringIO()
    call_command("institution", "add", "IR-TBZ", "--name", "Tabriz Provincial Centre", "--kind", "provincial",
                 "--country", "ir", "--name-in", "fa=مرکز استانی تبریز", stdout=out)
    inst = Institution.objects.get(code="IR-TBZ")
    assert inst.kind == "provincial" and inst.country == "IR"
    assert inst.name_in("fa") == "مرکز استانی تبریز" and inst.name_in("ru") == "Tabriz Provincial Centre"


def test_duplicate_code_is_refused():
    call_command("institution", "add", "AM-NL", "--name", "National Library of Armenia", "--kind", "partner",
                 stdout=io.StringIO())
    with pytest.raises(CommandError, match="already exists"):
        call_command("institution", "add", "AM-NL", "--name", "Again", "--kind", "partner", stdout=io.StringIO())


def test_dry_run_writes_nothing():
    call_command("institution", "add", "KZ-NL", "--name", "X", "--kind", "partner", "--dry-run", stdout=io.StringIO())
    assert not Institution.objects.filter(code="KZ-NL").exists()


def test_default_institution_is_the_national_library():
    assert institution_default().kind == "national"
    assert institution_default().pk == institution_default().pk
