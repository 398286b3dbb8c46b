"""Staff and publisher pages added after the first slices: deposit without CIP, publisher details and prefixes,
and the claims that run on a schedule inside the server."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.core import mail

from kitabkhana.catalogue.models import Holding, Record
from kitabkhana.catalogue.selectors import record_marc
from kitabkhana.core.errors import ValidationFailed
from kitabkhana.deposit import services
from kitabkhana.deposit.models import CipEvent, Claim, DepositReceipt, Publisher
from kitabkhana.deposit.tests.conftest import ISBN_A, ISBN_B, approved_request
from kitabkhana.tasks.models import TaskRun

pytestmark = pytest.mark.django_db


def test_staff_register_a_deposit_without_cip_and_it_gets_a_number(client, cataloguer_nl, publisher, national):
    client.force_login(cataloguer_nl)
    form = {"publisher": publisher.pk, "title": "دیوان حافظ", "contributors": "حافظ، شمس‌الدین محمد | author",
            "languages": "per", "isbns": ISBN_B, "copies": "NL-9001 | NL\nNL-9002 | NL | damaged", "pages": "512",
            "dimensions": "22 cm", "published_on": "1405-03-11"}
    bad = client.post("/staff/cip/deposit/", {**form, "isbns": "978-964-5620-69-8"})
    assert bad.status_code == 400 and "978-964-5620-69-8" in bad.content.decode()
    assert not Record.objects.exists() and not DepositReceipt.objects.exists()

    response = client.post("/staff/cip/deposit/", form)
    assert response.status_code == 302
    record = Record.objects.get()
    assert response["Location"] == f"/records/{record.pk}/"
    marc = record_marc(record)
    assert marc.leader[17] == " " and marc["245"]["a"].startswith("دیوان حافظ")
    assert marc["015"]["a"] == "NB-1405-00001" and marc["300"]["a"] == "۵۱۲ ص. ;"
    assert sorted(Holding.objects.filter(record=record).values_list("barcode", flat=True)) == ["NL-9001", "NL-9002"]
    assert CipEvent.objects.filter(publisher=publisher, action="deposit", message__contains="NB-1405-00001").exists()


def test_a_publisher_corrects_its_details_and_staff_manage_its_prefixes(client, publisher, publisher_user, supervisor,
                                                                      cataloguer_nl, request_fields):
    client.force_login(publisher_user)
    page = client.get("/publishers/profile/").content.decode()
    assert "info@example.org" in page and "نشر نی" in page
    response = client.post("/publishers/profile/", {"name": "Nashr-e Ney", "name_fa": "نشر نی", "email": "cip@ney.example",
                                                    "city": "Tehran", "country": "ir", "address": "Fatemi St."})
    assert response.status_code == 302
    publisher.refresh_from_db()
    assert publisher.email == "cip@ney.example" and publisher.country == "IR" and publisher.address == "Fatemi St."
    event = CipEvent.objects.filter(publisher=publisher, action=CipEvent.Action.PUBLISHER_EDIT).get()
    assert "email" in event.message and "address" in event.message and event.user == publisher_user
    # The publisher cannot change its prefixes; a supervisor can, and cannot drop one in use.
    with pytest.raises(ValidationFailed):
        services.publisher_prefixes_set(publisher=publisher, user=publisher_user, prefixes=["978-600-1"])
    services.cip_request_create(publisher=publisher, user=publisher_user, **request_fields)
    with pytest.raises(ValidationFailed, match="978-964-5620 is used"):
        services.publisher_prefixes_set(publisher=publisher, user=supervisor, prefixes=["978-600-1"])
    client.force_login(supervisor)
    assert client.get(f"/staff/cip/publishers/{publisher.pk}/").status_code == 200
    client.post(f"/staff/cip/publishers/{publisher.pk}/",
                {"form": "prefixes", "prefixes-prefixes": "978-964-5620\n978-600-1"})
    assert sorted(publisher.isbn_prefixes.values_list("display", flat=True)) == ["978-600-1", "978-964-5620"]
    assert CipEvent.objects.filter(publisher=publisher, message__contains="added: 978-600-1").exists()
    # A cataloguer may not manage publishers.
    client.force_login(cataloguer_nl)
    assert client.get(f"/staff/cip/publishers/{publisher.pk}/").status_code == 403


def test_another_publisher_cannot_edit_this_one(publisher, other_publisher):
    with pytest.raises(Exception, match="no publisher"):
        services.publisher_update(publisher=publisher, user=other_publisher.members.get().user, email="x@example.org")
    assert Publisher.objects.get(pk=publisher.pk).email == "info@example.org"


@pytest.mark.django_db(transaction=True)
def test_claims_run_on_a_schedule_inside_the_server(settings, publisher, publisher_user, cataloguer_nl,
                                                    request_fields, wait_for):
    """serving_started starts the scheduler; its claims job queues one deposit.claims task, which claims."""
    from kitabkhana.core.signals import serving_started
    from kitabkhana.tasks import scheduler

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Expected long ago: overdue today.
    cip = approved_request(publisher, publisher_user, cataloguer_nl,
                            {**request_fields, "isbns": [ISBN_A], "expected_date": dt.date(2025, 1, 10)})
    settings.KITABKHANA = {**settings.KITABKHANA, "DEPOSIT_CLAIMS_SCHEDULE": True, "DEPOSIT_CLAIMS_INTERVAL": 0.05}
    try:
        serving_started.send(sender=None)
        wait_for(lambda: Claim.objects.filter(request=cip).exists())
        time.sleep(0.3)  # more ticks: the first claim is not sent twice, the second is not due yet
    finally:
        scheduler.scheduler_stop()
    assert list(Claim.objects.filter(request=cip).values_list("level", flat=True)) == [Claim.Level.FIRST]
    assert len(mail.outbox) == 1
    assert TaskRun.objects.filter(name="deposit.claims", status="done").exists()


def test_after_a_first_delivery_the_block_stays_available_and_the_copies_owed_are_shown(
        client, publisher, publisher_user, cataloguer_nl, national, request_fields):
    cip = approved_request(publisher, publisher_user, cataloguer_nl, request_fields)
    services.deposit_receive(request=cip, copies=[{"barcode": "۱۲۳", "institution": national.code}], pages=300,
                             dimensions="24 cm", published_on=dt.date(2026, 6, 1), user=cataloguer_nl)
    # Persian digits are the same barcode as ASCII ones.
    assert DepositReceipt.objects.get().barcode == "123"
    with pytest.raises(ValidationFailed, match="barcode 123 is already used"):
        services.deposit_receive(request=cip, copies=[{"barcode": "123", "institution": national.code}],
                                 pages=300, dimensions="24 cm", published_on=dt.date(2026, 6, 1), user=cataloguer_nl)
    client.force_login(cataloguer_nl)
    page = client.get(f"/staff/cip/{cip.pk}/").content.decode()
    assert "Copies still owed:" in page and f"{national.code} × 1" in page
    client.force_login(publisher_user)
    # A deposited title's publisher can still download its CIP block (for a reprint).
    assert client.get(f"/publishers/requests/{cip.pk}/cip.txt").status_code == 200


def test_publisher_sign_up_applies_the_password_rules():
    with pytest.raises(ValidationFailed, match="too common"):
        services.publisher_signup(name="X", username="x-house", password="password123")
    assert not Publisher.objects.filter(name="X").exists()


def test_further_copies_of_a_title_deposited_without_cip(client, cataloguer_nl, cataloguer_isf, publisher, national,
                                                         provincial):
    from kitabkhana.deposit.models import DepositRule, DepositRuleShare

    rule = DepositRule.objects.create(name="Default", is_default=True)
    DepositRuleShare.objects.create(rule=rule, institution=national, copies=1)
    DepositRuleShare.objects.create(rule=rule, institution=provincial, copies=1)
    [first] = services.deposit_receive_without_cip(
        publisher=publisher, title="دیوان حافظ", isbns=[ISBN_B], pages=512, dimensions="22 cm",
        published_on=dt.date(2026, 6, 1), user=cataloguer_nl, copies=[{"barcode": "NL-1", "institution": "NL"}])
    # The provincial centre's copy arrives later and is registered by its own cataloguer.
    client.force_login(cataloguer_isf)
    response = client.post("/staff/cip/deposit/further/", {"record_id": first.record_id,
                                                             "copies": "ISF-1 | IR-ISF"})
    assert response.status_code == 302
    assert sorted(DepositReceipt.objects.values_list("barcode", flat=True)) == ["ISF-1", "NL-1"]
    assert Holding.objects.filter(record_id=first.record_id, institution=provincial, barcode="ISF-1").exists()
    # Nothing more is due to anyone; and a CIP title's record is refused here.
    response = client.post("/staff/cip/deposit/further/", {"record_id": first.record_id, "copies": "NL-2 | NL"})
    assert response.status_code == 400 and "only 1 copy due to NL" in response.content.decode()
    with pytest.raises(ValidationFailed, match="was not deposited without CIP"):
        services.deposit_receive_further(record_id=999999, copies=[{"barcode": "X", "institution": "NL"}],
                                         user=cataloguer_nl)


def test_my_queue_holds_the_work_still_to_do(publisher, publisher_user, cataloguer_nl, national, request_fields):
    from kitabkhana.deposit.selectors import cip_queue

    cip = approved_request(publisher, publisher_user, cataloguer_nl, request_fields)
    assert cip not in cip_queue(user=cataloguer_nl, mine=True)
    services.deposit_receive(request=cip, copies=[{"barcode": "NL-9", "institution": national.code}], pages=300,
                             dimensions="24 cm", published_on=dt.date(2026, 6, 1), user=cataloguer_nl)
    assert not cip_queue(user=cataloguer_nl, mine=True).exists()
