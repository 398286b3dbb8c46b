"""Legal deposit: the rules for copies due, receipts that upgrade the CIP record and create holdings, bad input."""

from __future__ import annotations

import datetime as dt

import pytest

from kitabkhana.catalogue.models import Holding, Record
from kitabkhana.catalogue.selectors import record_marc
from kitabkhana.core.errors import ValidationFailed
from kitabkhana.deposit import selectors, services
from kitabkhana.deposit.models import CipEvent, CipRequest, DepositReceipt, DepositRule, DepositRuleShare
from kitabkhana.deposit.selectors import DepositTitle
from kitabkhana.deposit.tests.conftest import approved_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules(national, provincial):
    """Two copies by default (both to the national library); Isfahan books: one national, one provincial."""
    default = DepositRule.objects.create(name="Default", is_default=True)
    DepositRuleShare.objects.create(rule=default, institution=national, copies=2)
    isfahan = DepositRule.objects.create(name="Isfahan books", material_type="book", country="IR", city="Isfahan")
    DepositRuleShare.objects.create(rule=isfahan, institution=national, copies=1)
    DepositRuleShare.objects.create(rule=isfahan, institution=provincial, copies=1)
    iran = DepositRule.objects.create(name="Iranian books", material_type="book", country="IR")
    DepositRuleShare.objects.create(rule=iran, institution=national, copies=3)
    return {"default": default, "isfahan": isfahan, "iran": iran}


@pytest.fixture
def approved(publisher, publisher_user, cataloguer_nl, request_fields):
    return approved_request(publisher, publisher_user, cataloguer_nl, request_fields)


def test_copies_due_follow_the_most_specific_rule(rules, national, provincial):
    due = selectors.copies_due(DepositTitle("book", "IR", "isfahan"))  # the city is matched case-insensitively
    assert sorted((i.code, n) for i, n in due) == sorted([(national.code, 1), (provincial.code, 1)])
    assert selectors.copies_due(DepositTitle("book", "IR", "Tehran")) == [(national, 3)]
    assert selectors.copies_due(DepositTitle("map", "IR", "Tehran")) == [(national, 2)]  # the default rule
    assert selectors.copies_due(DepositTitle("book", "AF", "Kabul")) == [(national, 2)]


def test_copies_due_without_any_rule_fall_back_to_the_national_library(national, settings):
    settings.KITABKHANA = {**settings.KITABKHANA, "DEPOSIT_DEFAULT_COPIES": 4}
    assert selectors.copies_due(DepositTitle()) == [(national, 4)]


def test_deposit_upgrades_the_record_and_creates_holdings(rules, approved, cataloguer_nl, national):
    assert record_marc(approved.record).leader[17] == "8"
    receipts = services.deposit_receive(
        request=approved, pages=352, dimensions="23 cm", published_on=dt.date(2026, 6, 1), user=cataloguer_nl,
        copies=[{"barcode": "NL-0001", "institution": national.code, "condition": "good"},
                {"barcode": "NL-0002", "institution": national.code, "condition": "damaged"}],
    )
    assert [r.barcode for r in receipts] == ["NL-0001", "NL-0002"]
    cip = CipRequest.objects.get(pk=approved.pk)
    assert cip.status == CipRequest.Status.DEPOSITED and cip.published_on == dt.date(2026, 6, 1)
    marc = record_marc(Record.objects.get(pk=cip.record_id))
    assert marc.leader[17] == " "
    assert marc["300"].get_subfields("a", "c") == ["۳۵۲ ص. ;", "۲۳ س‌م."]
    # A Persian book: the imprint date is the Solar Hijri year of 2026-06-01 (1405-03-11).
    assert marc.get_fields("264")[0].get_subfields("c") == ["1405"]
    assert marc["008"].data[7:11] == "2026"
    assert marc["015"].get_subfields("a") == [cip.nbn]  # the NBN stays
    holdings = Holding.objects.filter(record_id=cip.record_id).order_by("barcode")
    assert [(h.institution.code, h.barcode) for h in holdings] == [(national.code, "NL-0001"), (national.code, "NL-0002")]
    assert DepositReceipt.objects.get(barcode="NL-0002").condition == "damaged"
    assert DepositReceipt.objects.get(barcode="NL-0001").holding == holdings[0]
    event = cip.events.get(action=CipEvent.Action.DEPOSIT)
    assert "NL-0001" in event.message and event.user == cataloguer_nl


def _nothing_saved(cip):
    assert DepositReceipt.objects.count() == 0
    assert Holding.objects.count() == 0
    assert CipRequest.objects.get(pk=cip.pk).status == CipRequest.Status.APPROVED
    assert record_marc(Record.objects.get(pk=cip.record_id)).leader[17] == "8"


def test_a_copy_for_an_institution_not_due_is_refused(rules, approved, cataloguer_nl, national, provincial):
    # The publisher is in Tehran: the Iranian rule owes everything to the national library.
    with pytest.raises(ValidationFailed) as exc:
        services.deposit_receive(
            request=approved, pages=352, dimensions="23 cm", published_on=dt.date(2026, 6, 1), user=cataloguer_nl,
            copies=[{"barcode": "NL-1", "institution": national.code, "condition": "good"},
                    {"barcode": "ISF-1", "institution": provincial.code, "condition": "good"}])
    assert "copy 2 (ISF-1)" in str(exc.value) and provincial.code in str(exc.value)
    _nothing_saved(approved)


def test_duplicate_barcode_and_too_many_copies_are_refused(rules, approved, cataloguer_nl, national):
    with pytest.raises(ValidationFailed) as exc:
        services.deposit_receive(
            request=approved, pages=352, dimensions="23 cm", published_on=dt.date(2026, 6, 1), user=cataloguer_nl,
            copies=[{"barcode": "NL-1", "institution": national.code, "condition": "good"},
                    {"barcode": "NL-1", "institution": national.code, "condition": "good"}])
    assert "barcode NL-1 is given twice" in str(exc.value)
    _nothing_saved(approved)
    services.deposit_receive(request=approved, pages=352, dimensions="23 cm", published_on=dt.date(2026, 6, 1),
                             user=cataloguer_nl, copies=[{"barcode": "NL-1", "institution": national.code}])
    with pytest.raises(ValidationFailed) as exc:  # a barcode already received at that institution
        services.deposit_receive(request=approved, pages=352, dimensions="23 cm", published_on=dt.date(2026, 6, 1),
                                 user=cataloguer_nl, copies=[{"barcode": "NL-1", "institution": national.code}])
    assert "already used at" in str(exc.value)
    with pytest.raises(ValidationFailed) as exc:  # 3 due, 1 received, 3 more offered
        services.deposit_receive(request=approved, pages=352, dimensions="23 cm", published_on=dt.date(2026, 6, 1),
                                 user=cataloguer_nl, copies=[{"barcode": f"NL-{n}", "institution": national.code}
                                                             for n in (2, 3, 4)])
    assert "copy 3 (NL-4): only 3 copies due" in str(exc.value)
    assert DepositReceipt.objects.count() == 1 and Holding.objects.count() == 1


def test_unknown_or_unapproved_request_is_refused(rules, publisher, publisher_user, cataloguer_nl, national,
                                                  request_fields):
    with pytest.raises(ValidationFailed, match="unknown title: there is no CIP request 9999"):
        services.deposit_receive(request=9999, pages=1, dimensions="20 cm", published_on=dt.date(2026, 1, 1),
                                 user=cataloguer_nl, copies=[{"barcode": "X", "institution": national.code}])
    draft = services.cip_request_create(publisher=publisher, user=publisher_user, **request_fields)
    with pytest.raises(ValidationFailed, match="only approved requests can be deposited"):
        services.deposit_receive(request=draft, pages=1, dimensions="20 cm", published_on=dt.date(2026, 1, 1),
                                 user=cataloguer_nl, copies=[{"barcode": "X", "institution": national.code}])
    assert DepositReceipt.objects.count() == 0


def test_a_cataloguer_of_another_institution_cannot_receive(rules, approved, cataloguer_isf, national):
    with pytest.raises(ValidationFailed, match="another institution"):
        services.deposit_receive(request=approved, pages=352, dimensions="23 cm", published_on=dt.date(2026, 6, 1),
                                 user=cataloguer_isf, copies=[{"barcode": "NL-1", "institution": national.code}])
    _nothing_saved(approved)


def test_deposit_without_cip_creates_a_full_record(rules, publisher, cataloguer_nl, national):
    receipts = services.deposit_receive_without_cip(
        publisher=publisher, title="سفرنامه", isbns=["978-964-5620-69-9"], pages=120, dimensions="21 cm",
        published_on=dt.date(2026, 3, 25), user=cataloguer_nl,
        copies=[{"barcode": "NL-9", "institution": national.code, "condition": "good"}],
    )
    record = receipts[0].record
    marc = record_marc(record)
    assert marc.leader[17] == " " and marc["245"]["a"] == "سفرنامه"
    assert marc["300"].get_subfields("a", "c") == ["۱۲۰ ص. ;", "۲۱ س‌م."]
    assert marc.get_fields("264")[0].get_subfields("c") == ["1405"]
    assert receipts[0].request is None and receipts[0].holding.barcode == "NL-9"
    with pytest.raises(ValidationFailed, match="check digit"):
        services.deposit_receive_without_cip(
            publisher=publisher, title="Bad", isbns=["978-964-5620-16-4"], pages=10, dimensions="21 cm",
            published_on=dt.date(2026, 3, 25), user=cataloguer_nl,
            copies=[{"barcode": "NL-10", "institution": national.code}])
    assert Record.objects.count() == 1 and DepositReceipt.objects.count() == 1


def _client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_receipt_registered_from_the_request_page(rules, approved, cataloguer_nl, cataloguer_isf, publisher_user,
                                                  national):
    from django.urls import reverse

    staff = _client(cataloguer_nl)
    page = staff.get(reverse("cip:request", args=[approved.pk])).content.decode()
    assert "Register the legal deposit" in page and f"{national.code} × 3" in page
    form = {"copies": f"NL-77 | {national.code} | good\nNL-78 | {national.code.lower()}", "pages": "300",
            "dimensions": "22 cm", "published_on": "1405-03-11"}
    # Another institution's cataloguer does not even see the request.
    assert _client(cataloguer_isf).post(reverse("cip:deposit", args=[approved.pk]), form).status_code == 404
    assert DepositReceipt.objects.count() == 0
    bad = staff.post(reverse("cip:deposit", args=[approved.pk]), {**form, "copies": "NL-79 | NOPE | good"},
                     follow=True).content.decode()
    assert "no copy is due to institution" in bad and "NOPE" in bad
    assert DepositReceipt.objects.count() == 0
    staff.post(reverse("cip:deposit", args=[approved.pk]), form)
    cip = CipRequest.objects.get(pk=approved.pk)
    assert cip.status == CipRequest.Status.DEPOSITED and cip.published_on == dt.date(2026, 6, 1)
    assert sorted(Holding.objects.values_list("barcode", flat=True)) == ["NL-77", "NL-78"]
    today = selectors.both_calendars(DepositReceipt.objects.first().received_on)
    page = staff.get(reverse("cip:request", args=[approved.pk])).content.decode()
    assert "NL-78" in page and today in page and "SH)" in today
    # The publisher follows its deposit too.
    assert "NL-77" in _client(publisher_user).get(reverse("publishers:request", args=[approved.pk])).content.decode()
