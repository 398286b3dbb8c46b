"""Claims: overdue titles get first, second and final letters by e-mail, in the book's language; a deposit stops them."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from kitabkhana.catalogue.models import Holding, Record
from kitabkhana.catalogue.selectors import record_marc
from kitabkhana.deposit import services
from kitabkhana.deposit.models import CipEvent, CipRequest, Claim
from kitabkhana.deposit.tests.conftest import approved_request

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def mail_settings(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.KITABKHANA = {**settings.KITABKHANA, "DEPOSIT_GRACE_DAYS": 60, "DEPOSIT_CLAIM_INTERVAL_DAYS": 30}


@pytest.fixture
def approved(publisher, publisher_user, cataloguer_nl, request_fields):
    # Expected 2026-05-10: grace ends 2026-07-09, so the first claim is due from 2026-07-10.
    return approved_request(publisher, publisher_user, cataloguer_nl, request_fields)


def test_the_life_of_a_claimed_book(approved, cataloguer_nl, national):
    assert services.claims_send(today=dt.date(2026, 7, 9)) == []  # within the grace period
    assert mail.outbox == []

    [first] = services.claims_send(today=dt.date(2026, 7, 10))
    assert first.level == Claim.Level.FIRST and first.to == "info@example.org" and first.language == "fa"
    [letter] = mail.outbox
    assert letter.to == ["info@example.org"] and letter.subject == "واسپاری قانونی: تاریخ ادبیات ایران"
    # Persian letter: the expected date in Solar Hijri (2026-05-10 = 1405/02/20) with Persian digits, the NBN.
    assert "۱۴۰۵/۰۲/۲۰" in letter.body and approved.nbn in letter.body and "نشر نی" in letter.body
    assert letter.body == first.body and Claim.objects.get().subject == letter.subject

    assert services.claims_send(today=dt.date(2026, 7, 10)) == []  # not twice the same day
    assert services.claims_send(today=dt.date(2026, 8, 8)) == []  # the interval has not passed
    [second] = services.claims_send(today=dt.date(2026, 8, 9))
    assert second.level == Claim.Level.SECOND and len(mail.outbox) == 2
    assert mail.outbox[1].subject.startswith("یادآوری دوم")
    from django.test import Client
    from django.urls import reverse

    staff = Client()
    staff.force_login(cataloguer_nl)
    page = staff.get(reverse("cip:request", args=[approved.pk])).content.decode()
    assert "Second claim" in page and "2026-08-09 (1405-05-18 SH)" in page

    services.deposit_receive(request=approved, pages=330, dimensions="24 cm", published_on=dt.date(2026, 7, 1),
                             user=cataloguer_nl, copies=[{"barcode": "NL-500", "institution": national.code},
                                                         {"barcode": "NL-501", "institution": national.code}])
    assert services.claims_send(today=dt.date(2026, 9, 30)) == []  # the deposit stops the claims
    assert len(mail.outbox) == 2 and Claim.objects.count() == 2
    record = Record.objects.get(pk=approved.record_id)
    marc = record_marc(record)
    assert marc.leader[17] == " " and marc["300"].get_subfields("a", "c") == ["۳۳۰ ص. ;", "۲۴ س‌م."]
    assert sorted(Holding.objects.filter(record=record).values_list("barcode", flat=True)) == ["NL-500", "NL-501"]
    actions = list(CipRequest.objects.get(pk=approved.pk).events.values_list("action", flat=True))
    assert actions[-3:] == [CipEvent.Action.CLAIM, CipEvent.Action.CLAIM, CipEvent.Action.DEPOSIT]


def test_final_claim_in_english_then_nothing_more(publisher, publisher_user, cataloguer_nl, request_fields):
    fields = {**request_fields, "title": "A History of Persian Literature", "languages": ["eng"]}
    cip = approved_request(publisher, publisher_user, cataloguer_nl, fields)
    levels = [[c.level for c in services.claims_send(today=day)]
              for day in (dt.date(2026, 7, 10), dt.date(2026, 8, 9), dt.date(2026, 9, 8), dt.date(2026, 12, 31))]
    assert levels == [["first"], ["second"], ["final"], []]
    final = mail.outbox[-1]
    assert final.subject == "Final notice — legal deposit due: A History of Persian Literature"
    assert "10 May 2026" in final.body and cip.nbn in final.body
    assert all(c.language == "en" for c in Claim.objects.all())


def test_dry_run_sends_and_saves_nothing_and_the_command_prints(approved):
    planned = services.claims_send(today=dt.date(2026, 7, 10), dry_run=True)
    assert [(p.request.pk, p.level) for p in planned] == [(approved.pk, "first")]
    out = io.StringIO()
    call_command("deposit", "claims", "--dry-run", "--today", "2026-07-10", stdout=out)
    assert f"would send\tfirst\tCIP {approved.pk}\tinfo@example.org\tfa" in out.getvalue()
    assert mail.outbox == [] and Claim.objects.count() == 0
    out = io.StringIO()
    call_command("deposit", "claims", "--today", "2026-07-10", stdout=out)
    assert "1 claim(s) sent" in out.getvalue() and len(mail.outbox) == 1 and Claim.objects.count() == 1


def test_command_refuses_a_bad_date():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="2026-13-01"):
        call_command("deposit", "claims", "--today", "2026-13-01")


def test_a_mail_that_fails_logs_no_claim_and_the_run_says_so(approved, settings):
    # Nothing listens on port 1: the SMTP connection is refused, the claim rolls back and the next run retries.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    failed: list = []
    assert services.claims_send(today=dt.date(2026, 7, 10), failed=failed) == []
    [(plan, error)] = failed
    assert plan.request.pk == approved.pk and plan.level == Claim.Level.FIRST and error
    assert Claim.objects.count() == 0
    assert not CipEvent.objects.filter(action=CipEvent.Action.CLAIM).exists()
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 claim.* could not be sent"):
        call_command("deposit", "claims", "--today", "2026-07-10", stdout=io.StringIO(), stderr=err)
    assert f"not sent\tfirst\tCIP {approved.pk}\tinfo@example.org" in err.getvalue()
    # The mail server is back: the next run sends it.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert [c.level for c in services.claims_send(today=dt.date(2026, 7, 11))] == [Claim.Level.FIRST]


def test_without_a_mail_server_the_embedded_default_writes_letters_to_files(approved, settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    [claim] = services.claims_send(today=dt.date(2026, 7, 10))
    [letter] = list((tmp_path / "mail").iterdir())
    assert "info@example.org" in letter.read_text(encoding="utf-8")
