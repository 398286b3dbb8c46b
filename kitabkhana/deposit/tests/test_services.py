"""The CIP services: ISBN checks, the request workflow, the national bibliography number, the record, access."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kitabkhana.catalogue.models import RecordIdentifier
from kitabkhana.catalogue.selectors import record_marc
from kitabkhana.catalogue.services.records import record_create
from kitabkhana.core.errors import NotFound, ValidationFailed
from kitabkhana.deposit import selectors, services
from kitabkhana.deposit.models import CipEvent, CipRequest, Publisher
from kitabkhana.deposit.tests.conftest import DEMO_ISBN, ISBN_A, ISBN_B, approved_request

pytestmark = pytest.mark.django_db


def test_isbn_bad_check_digit_is_named(publisher):
    with pytest.raises(ValidationFailed) as exc:
        services.isbns_check(publisher=publisher, isbns=["978-964-5620-16-4"])
    assert "978-964-5620-16-4" in str(exc.value)
    assert "check digit" in str(exc.value).lower()


def test_isbn_of_a_foreign_prefix_is_refused(publisher, other_publisher):
    assert services.isbns_check(publisher=publisher, isbns=[ISBN_A, "964-5620-69-4"]) == [
        "9789645620163", "9789645620699"]  # the ISBN-10 form is read as its ISBN-13
    with pytest.raises(ValidationFailed) as exc:
        services.isbns_check(publisher=other_publisher, isbns=[ISBN_A])
    assert ISBN_A in str(exc.value) and "978-600-5" in str(exc.value)


def test_isbn_used_by_another_request_is_refused(publisher, publisher_user, request_fields):
    first = services.cip_request_create(publisher=publisher, user=publisher_user, **request_fields)
    with pytest.raises(ValidationFailed) as exc:
        services.cip_request_create(publisher=publisher, user=publisher_user, **{**request_fields, "title": "Again"})
    assert ISBN_A in str(exc.value) and f"CIP request {first.pk}" in str(exc.value)
    assert CipRequest.objects.count() == 1
    # The request itself may keep its own ISBN when edited.
    services.cip_request_update(request=first, user=publisher_user, isbns=[ISBN_A, ISBN_B])
    assert CipRequest.objects.get().isbns == ["9789645620163", "9789645620699"]


def test_isbn_of_an_imported_catalogue_record_is_refused(supervisor, demo_record, request_fields):
    from kitabkhana.deposit.tests.conftest import _approved

    record = record_create(marc_record=demo_record, flavour="marc21")
    assert RecordIdentifier.objects.filter(record=record, scheme="isbn", value="9789645625960").exists()
    publisher = _approved(supervisor, name="Nashr", username="nashr", password="a-long-password-1",
                          isbn_prefixes=["978-964-5625"])
    with pytest.raises(ValidationFailed) as exc:
        services.cip_request_create(publisher=publisher, user=None, **{**request_fields, "isbns": [DEMO_ISBN]})
    assert f"already in the catalogue (record {record.pk})" in str(exc.value)
    assert not CipRequest.objects.exists()


def test_front_matter_must_really_be_a_small_pdf(publisher, publisher_user, request_fields, settings):
    fake = SimpleUploadedFile("front.pdf", b"<html>not a pdf</html>", content_type="application/pdf")
    with pytest.raises(ValidationFailed, match="front.pdf.*not a PDF"):
        services.cip_request_create(publisher=publisher, user=publisher_user, front_matter=fake, **request_fields)
    settings.KITABKHANA = {**settings.KITABKHANA, "CIP_FRONT_MATTER_MAX_BYTES": 100}
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"0" * 200, content_type="application/pdf")
    with pytest.raises(ValidationFailed, match="big.pdf.*limit is 100 bytes"):
        services.cip_request_create(publisher=publisher, user=publisher_user, front_matter=big, **request_fields)
    assert not CipRequest.objects.exists()
    ok = SimpleUploadedFile("ok.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    cip = services.cip_request_create(publisher=publisher, user=publisher_user, front_matter=ok, **request_fields)
    assert cip.front_matter.read().startswith(b"%PDF-")


def test_pending_publisher_cannot_request(request_fields):
    publisher = services.publisher_signup(name="New House", username="new", password="a-long-password-1",
                                          isbn_prefixes=["978-964-5620"])
    assert publisher.status == Publisher.Status.PENDING
    with pytest.raises(ValidationFailed, match="pending"):
        services.cip_request_create(publisher=publisher, user=None, **request_fields)


def test_suspended_publisher_cannot_submit_its_drafts(publisher, publisher_user, supervisor, request_fields):
    """A draft saved before the publisher was suspended does not reach the cataloguers' queue."""
    cip = services.cip_request_create(publisher=publisher, user=publisher_user, **request_fields)
    services.publisher_decide(publisher=publisher, user=supervisor, approve=False)
    with pytest.raises(ValidationFailed, match="suspended"):
        services.cip_request_submit(request=cip, user=publisher_user)
    cip.refresh_from_db()
    assert cip.status == CipRequest.Status.DRAFT
    assert not cip.events.filter(action=CipEvent.Action.SUBMIT).exists()


def test_only_supervisors_approve_publishers(cataloguer_nl):
    publisher = services.publisher_signup(name="New House", username="new", password="a-long-password-1")
    with pytest.raises(ValidationFailed, match="supervisor"):
        services.publisher_decide(publisher=publisher, user=cataloguer_nl, approve=True)
    publisher.refresh_from_db()
    assert publisher.status == Publisher.Status.PENDING


def test_workflow_return_correct_resubmit_approve(publisher, publisher_user, cataloguer_nl, request_fields):
    cip = services.cip_request_create(publisher=publisher, user=publisher_user, **request_fields)
    services.cip_request_submit(request=cip, user=publisher_user)
    assert list(selectors.cip_queue(user=cataloguer_nl)) == [cip]
    services.cip_request_assign(request=cip, user=cataloguer_nl)
    with pytest.raises(ValidationFailed, match="say what"):
        services.cip_request_return(request=cip, user=cataloguer_nl, message="  ")
    services.cip_request_return(request=cip, user=cataloguer_nl, message="The subtitle is misspelt.")
    cip.refresh_from_db()
    assert cip.status == CipRequest.Status.RETURNED
    assert selectors.returned_message(cip) == "The subtitle is misspelt."
    with pytest.raises(ValidationFailed, match="returned"):
        services.cip_request_approve(request=cip, user=cataloguer_nl)

    services.cip_request_update(request=cip, user=publisher_user, subtitle="از آغاز تا امروز (ویراسته)")
    services.cip_request_submit(request=cip, user=publisher_user)
    cip.refresh_from_db()
    assert cip.status == CipRequest.Status.IN_REVIEW and cip.assigned_to == cataloguer_nl  # back to the same desk
    with pytest.raises(ValidationFailed, match="no catalogue record"):
        services.cip_request_approve(request=cip, user=cataloguer_nl)
    services.cip_record_save(request=cip, user=cataloguer_nl, subjects=["ادبیات فارسی -- تاریخ"],
                             classification="8fa9.09")
    cip = services.cip_request_approve(request=cip, user=cataloguer_nl)
    assert cip.status == CipRequest.Status.APPROVED and cip.nbn.startswith("NB-")
    actions = [e.action for e in cip.events.all()]
    assert actions == ["create", "submit", "assign", "return", "edit", "submit", "record", "approve"]
    returned = cip.events.get(action=CipEvent.Action.RETURN)
    assert returned.user == cataloguer_nl and returned.message == "The subtitle is misspelt."
    with pytest.raises(ValidationFailed, match="approved"):
        services.cip_request_update(request=cip, user=publisher_user, title="Changed after approval")


def test_approval_waits_for_the_record_to_show_the_publishers_corrections(publisher, publisher_user, cataloguer_nl,
                                                                           request_fields):
    """A correction made after the record was saved must reach the record (and so the CIP block) before approval."""
    cip = services.cip_request_create(publisher=publisher, user=publisher_user, **request_fields)
    services.cip_request_submit(request=cip, user=publisher_user)
    services.cip_request_assign(request=cip, user=cataloguer_nl)
    services.cip_record_save(request=cip, user=cataloguer_nl, subjects=["ادبیات فارسی"], classification="8fa9.09")
    services.cip_request_return(request=cip, user=cataloguer_nl, message="The title is misspelt.")
    services.cip_request_update(request=cip, user=publisher_user, title="تاریخ ادبیات در ایران")
    services.cip_request_submit(request=cip, user=publisher_user)
    with pytest.raises(ValidationFailed, match="save the record again"):
        services.cip_request_approve(request=cip, user=cataloguer_nl)
    cip.refresh_from_db()
    assert cip.status == CipRequest.Status.IN_REVIEW and cip.nbn == ""

    services.cip_record_save(request=cip, user=cataloguer_nl, subjects=["ادبیات فارسی"], classification="8fa9.09")
    cip = services.cip_request_approve(request=cip, user=cataloguer_nl)
    assert record_marc(cip.record)["245"]["a"].startswith("تاریخ ادبیات در ایران")
    assert "تاریخ ادبیات در ایران" in selectors.cip_block(request=cip, fmt="txt").decode()


def test_record_is_prepublication_with_nbn(publisher, publisher_user, cataloguer_nl, request_fields, national):
    cip = approved_request(publisher, publisher_user, cataloguer_nl, request_fields)
    record = cip.record
    assert record.institution == national
    marc = record_marc(record)
    assert marc.leader[17] == "8"
    assert marc["015"].get_subfields("a") == [cip.nbn]
    assert marc["015"].get_subfields("2")
    assert marc["020"].get_subfields("a") == [ISBN_A]
    assert marc["100"].get_subfields("a", "e") == ["صفا، ذبیح‌الله", "author"]
    assert marc["700"].get_subfields("e") == ["editor"]
    assert marc["245"].get_subfields("b") == ["از آغاز تا امروز"]
    assert marc["264"].indicator2 == "1" and marc["264"].get_subfields("c") == ["1405"]
    assert marc["264"].get_subfields("b") == ["نشر نی,"]
    assert marc["300"].get_subfields("a")[0].startswith("۳۲۰ ص.")
    assert marc["650"].get_subfields("a", "x") == ["ادبیات فارسی", "تاریخ"]
    assert marc["082"].get_subfields("a") == ["8fa9.09"]
    assert marc["008"].data[35:38] == "per" and marc["008"].data[7:11] == "2026"
    assert RecordIdentifier.objects.filter(record=record, scheme="isbn", value="9789645620163").exists()


def test_nbn_numbers_are_consecutive_and_restart_per_solar_year():
    # 1404 ends on 20 March 2026; 21 March 2026 is 1 Farvardin 1405.
    assert services.nbn_allocate(on=dt.date(2026, 3, 19)) == "NB-1404-00001"
    assert services.nbn_allocate(on=dt.date(2026, 3, 20)) == "NB-1404-00002"
    assert services.nbn_allocate(on=dt.date(2026, 3, 21)) == "NB-1405-00001"
    assert services.nbn_allocate(on=dt.date(2026, 3, 19)) == "NB-1404-00003"


def test_two_approvals_get_consecutive_numbers(publisher, publisher_user, cataloguer_nl, request_fields, settings):
    settings.KITABKHANA = {**settings.KITABKHANA, "NBN_PREFIX": "KT"}
    first = approved_request(publisher, publisher_user, cataloguer_nl, request_fields)
    second = approved_request(publisher, publisher_user, cataloguer_nl, {**request_fields, "isbns": [ISBN_B]})
    prefix, year, n1 = first.nbn.split("-")
    assert prefix == "KT" and second.nbn == f"KT-{year}-{int(n1) + 1:05d}"


def test_cataloguer_of_another_institution_is_refused(publisher, publisher_user, cataloguer_isf, cataloguer_nl,
                                                       request_fields):
    cip = services.cip_request_create(publisher=publisher, user=publisher_user, **request_fields)
    services.cip_request_submit(request=cip, user=publisher_user)
    assert not selectors.cip_queue(user=cataloguer_isf).exists()
    with pytest.raises(NotFound):
        selectors.staff_request_get(user=cataloguer_isf, request_id=cip.pk)
    with pytest.raises(ValidationFailed, match="another institution"):
        services.cip_request_assign(request=cip, user=cataloguer_isf)
    with pytest.raises(ValidationFailed, match="another institution"):
        services.cip_request_assign(request=cip, user=cataloguer_nl, assignee=cataloguer_isf)
    cip.refresh_from_db()
    assert cip.status == CipRequest.Status.SUBMITTED and cip.assigned_to is None


def test_second_publisher_cannot_see_the_request(publisher, publisher_user, other_publisher, request_fields):
    cip = services.cip_request_create(publisher=publisher, user=publisher_user, **request_fields)
    other_user = other_publisher.members.get().user
    assert selectors.publisher_request_get(user=publisher_user, request_id=cip.pk) == cip
    with pytest.raises(NotFound):
        selectors.publisher_request_get(user=other_user, request_id=cip.pk)
    assert not selectors.publisher_requests(publisher=other_publisher).exists()


def test_isbn_prefix_cannot_belong_to_two_publishers(publisher):
    with pytest.raises(ValidationFailed, match="978-964-5620 is already registered to Nashr-e Ney"):
        services.publisher_signup(name="Copycat", username="copy", password="a-long-password-1",
                                  isbn_prefixes=["978-964-5620"])
    assert not Publisher.objects.filter(name="Copycat").exists()
