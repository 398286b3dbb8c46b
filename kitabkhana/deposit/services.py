"""Writes for publishers and CIP requests: sign-up and approval, the request workflow, the record, the NBN.

Every decision writes a CipEvent in the same transaction as the change it records.
"""

from __future__ import annotations

import datetime as dt

import jdatetime
import pymarc
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from stdnum import isbn as stdnum_isbn

from kitabkhana.accounts.models import Institution
from kitabkhana.accounts.selectors import staff_institution
from kitabkhana.accounts.services import institution_default
from kitabkhana.catalogue.models import RecordIdentifier
from kitabkhana.catalogue.selectors import record_marc
from kitabkhana.catalogue.services.records import record_create, record_update
from kitabkhana.core.errors import ValidationFailed
from kitabkhana.deposit.marc import cip_marc_build, nbn_field_set
from kitabkhana.deposit.models import (
    CipEvent,
    CipIsbn,
    CipRequest,
    NationalBibliographyNumber,
    Publisher,
    PublisherIsbnPrefix,
    PublisherMembership,
)
from kitabkhana.deposit.selectors import can_approve_publishers, cip_block_language, isbn_prefix_normalise

_FRONT_MATTER_MAX_BYTES = 10 * 1024 * 1024
# Fields a publisher fills in; everything else on a request is the library's.
REQUEST_FIELDS = ("title", "subtitle", "contributors", "edition", "series", "expected_date", "pages", "format",
                  "languages", "isbns", "summary", "contents")


def _event(*, publisher: Publisher, action: str, user, request: CipRequest | None = None, message: str = "") -> None:
    CipEvent.objects.create(publisher=publisher, request=request, action=action, user=user, message=message)


# --- publishers -------------------------------------------------------------------------------------------


@transaction.atomic
def publisher_signup(
    *, name: str, username: str, password: str, email: str = "", names: dict[str, str] | None = None,
    phone: str = "", contact_person: str = "", address: str = "", city: str = "", country: str = "",
    isbn_prefixes: list[str] | None = None,
) -> Publisher:
    """A publisher and its first user; the publisher waits for staff approval before it may submit requests."""
    name = name.strip()
    if not name:
        raise ValidationFailed("the publisher needs a name")
    user_model = get_user_model()
    if user_model.objects.filter(username=username).exists():
        raise ValidationFailed(f"the user name {username!r} is taken; choose another")
    publisher = Publisher.objects.create(
        name=name, names=names or {}, email=email, phone=phone, contact_person=contact_person, address=address,
        city=city, country=country.upper(),
    )
    for prefix in isbn_prefixes or []:
        publisher_prefix_add(publisher=publisher, prefix=prefix)
    user = user_model.objects.create_user(username=username, password=password, email=email)
    PublisherMembership.objects.create(user=user, publisher=publisher)
    _event(publisher=publisher, action=CipEvent.Action.CREATE, user=user, message="publisher signed up")
    return publisher


def publisher_prefix_add(*, publisher: Publisher, prefix: str) -> PublisherIsbnPrefix:
    digits, display = isbn_prefix_normalise(prefix)
    try:
        with transaction.atomic():
            return PublisherIsbnPrefix.objects.create(publisher=publisher, prefix=digits, display=display)
    except IntegrityError:
        owner = PublisherIsbnPrefix.objects.filter(prefix=digits).select_related("publisher").first()
        raise ValidationFailed(
            f"ISBN prefix {display} is already registered to {owner.publisher.name if owner else 'another publisher'}"
        ) from None


@transaction.atomic
def publisher_decide(*, publisher: Publisher, user, approve: bool, message: str = "") -> Publisher:
    """Approve (or suspend) a publisher; only supervisors and administrators decide."""
    if not can_approve_publishers(user):
        raise ValidationFailed("approving publishers needs a supervisor or administrator role")
    if approve:
        publisher.status = Publisher.Status.APPROVED
        publisher.approved_by = user
        publisher.approved_at = timezone.now()
        action = CipEvent.Action.PUBLISHER_APPROVE
    else:
        publisher.status = Publisher.Status.SUSPENDED
        action = CipEvent.Action.PUBLISHER_SUSPEND
    publisher.save(update_fields=["status", "approved_by", "approved_at"])
    _event(publisher=publisher, action=action, user=user, message=message)
    return publisher


# --- ISBNs and front matter ---------------------------------------------------------------------------


def isbns_check(*, publisher: Publisher, isbns: list[str], exclude_request_id: int | None = None) -> list[str]:
    """Normalise ISBNs to hyphen-less ISBN-13 (as the catalogue keeps them), or fail naming every bad one."""
    prefixes = list(publisher.isbn_prefixes.values_list("prefix", flat=True))
    problems: list[str] = []
    normalised: list[str] = []
    for raw in isbns:
        raw = raw.strip()
        if not raw:
            continue
        try:
            number = stdnum_isbn.validate(raw, convert=True)
        except Exception as exc:  # stdnum's ValidationError subclasses say what is wrong
            problems.append(f"ISBN {raw}: {exc}")
            continue
        if not any(number.startswith(p) for p in prefixes):
            registered = ", ".join(publisher.isbn_prefixes.values_list("display", flat=True)) or "none"
            problems.append(f"ISBN {raw} does not start with one of {publisher.name}'s registered prefixes "
                            f"({registered})")
            continue
        if number in normalised:
            problems.append(f"ISBN {raw} is given twice")
            continue
        used = CipIsbn.objects.filter(isbn=number).exclude(request_id=exclude_request_id).select_related("request")
        hit_request = used.first()
        if hit_request:
            problems.append(f"ISBN {raw} is already used by CIP request {hit_request.request_id} "
                            f"({hit_request.request.title})")
            continue
        in_catalogue = RecordIdentifier.objects.filter(scheme="isbn", value=number, record__deleted_at__isnull=True)
        request_record = (CipRequest.objects.filter(pk=exclude_request_id).values_list("record_id", flat=True).first()
                          if exclude_request_id else None)
        if request_record:
            in_catalogue = in_catalogue.exclude(record_id=request_record)
        hit = in_catalogue.first()
        if hit:
            problems.append(f"ISBN {raw} is already in the catalogue (record {hit.record_id})")
            continue
        normalised.append(number)
    if problems:
        raise ValidationFailed("; ".join(problems), problems)
    return normalised


def front_matter_check(upload: UploadedFile) -> None:
    limit = settings.KITABKHANA.get("CIP_FRONT_MATTER_MAX_BYTES", _FRONT_MATTER_MAX_BYTES)
    if upload.size > limit:
        raise ValidationFailed(f"front matter {upload.name!r} is {upload.size} bytes; the limit is {limit} bytes")
    upload.seek(0)
    head = upload.read(5)
    upload.seek(0)
    if head != b"%PDF-":
        raise ValidationFailed(f"front matter {upload.name!r} is not a PDF file (it does not start with %PDF-)")


# --- the request workflow -----------------------------------------------------------------------------


def _request_fields(publisher: Publisher, fields: dict, exclude_request_id: int | None) -> dict:
    unknown = set(fields) - set(REQUEST_FIELDS)
    if unknown:
        raise ValidationFailed(f"unknown CIP request fields: {', '.join(sorted(unknown))}")
    if "title" in fields and not str(fields["title"]).strip():
        raise ValidationFailed("the request needs a title")
    for c in fields.get("contributors", []):
        if not isinstance(c, dict) or not str(c.get("name", "")).strip():
            raise ValidationFailed(f"contributor {c!r} needs a name")
    if "isbns" in fields:
        fields = {**fields, "isbns": isbns_check(publisher=publisher, isbns=fields["isbns"],
                                                 exclude_request_id=exclude_request_id)}
    return fields


def _isbn_rows_sync(request: CipRequest) -> None:
    """Claim the request's ISBNs; the unique index refuses one that a concurrent request claimed first."""
    CipIsbn.objects.filter(request=request).exclude(isbn__in=request.isbns).delete()
    have = set(CipIsbn.objects.filter(request=request).values_list("isbn", flat=True))
    try:
        with transaction.atomic():
            CipIsbn.objects.bulk_create([CipIsbn(request=request, isbn=n) for n in request.isbns if n not in have])
    except IntegrityError:
        raise ValidationFailed(f"one of the ISBNs {', '.join(request.isbns)} was just taken by another request") from None


@transaction.atomic
def cip_request_create(
    *, publisher: Publisher, user, institution: Institution | None = None, front_matter: UploadedFile | None = None,
    **fields,
) -> CipRequest:
    """A draft request of an approved publisher; it sits in the national library's queue unless told otherwise."""
    if publisher.status != Publisher.Status.APPROVED:
        raise ValidationFailed(f"publisher {publisher.name} is {publisher.status.replace('_', ' ')}; "
                               "only approved publishers may request CIP data")
    if front_matter is not None:
        front_matter_check(front_matter)
    fields = _request_fields(publisher, fields, None)
    request = CipRequest(publisher=publisher, institution=institution or institution_default(), created_by=user,
                         **fields)
    if front_matter is not None:
        request.front_matter = front_matter
    request.save()
    _isbn_rows_sync(request)
    _event(publisher=publisher, request=request, action=CipEvent.Action.CREATE, user=user)
    return request


@transaction.atomic
def cip_request_update(*, request: CipRequest, user, front_matter: UploadedFile | None = None, **fields) -> CipRequest:
    """The publisher edits a draft or a returned request."""
    request = CipRequest.objects.select_for_update().get(pk=request.pk)
    if request.status not in (CipRequest.Status.DRAFT, CipRequest.Status.RETURNED):
        raise ValidationFailed(f"request {request.pk} is {request.status.replace('_', ' ')}; "
                               "only drafts and returned requests can be edited")
    if front_matter is not None:
        front_matter_check(front_matter)
    fields = _request_fields(request.publisher, fields, request.pk)
    for name, value in fields.items():
        setattr(request, name, value)
    if front_matter is not None:
        request.front_matter = front_matter
    request.save()
    _isbn_rows_sync(request)
    _event(publisher=request.publisher, request=request, action=CipEvent.Action.EDIT, user=user)
    return request


@transaction.atomic
def cip_request_submit(*, request: CipRequest, user) -> CipRequest:
    request = CipRequest.objects.select_for_update().get(pk=request.pk)
    if request.status not in (CipRequest.Status.DRAFT, CipRequest.Status.RETURNED):
        raise ValidationFailed(f"request {request.pk} is {request.status.replace('_', ' ')}; "
                               "it cannot be submitted again")
    if not request.isbns:
        raise ValidationFailed("the request needs at least one ISBN before it is submitted")
    # The ISBNs may have been taken by someone else since the draft was saved.
    isbns_check(publisher=request.publisher, isbns=request.isbns, exclude_request_id=request.pk)
    # A resubmitted request goes back to the cataloguer who returned it.
    request.status = CipRequest.Status.IN_REVIEW if request.assigned_to_id else CipRequest.Status.SUBMITTED
    request.save(update_fields=["status", "updated_at"])
    _event(publisher=request.publisher, request=request, action=CipEvent.Action.SUBMIT, user=user)
    return request


def _staff_check(request: CipRequest, user) -> None:
    institution = staff_institution(user)
    if institution is None or institution.pk != request.institution_id:
        raise ValidationFailed(f"request {request.pk} is in the queue of another institution")


def _locked(request: CipRequest, user, allowed: tuple[str, ...], doing: str) -> CipRequest:
    request = CipRequest.objects.select_for_update().select_related("publisher", "institution").get(pk=request.pk)
    _staff_check(request, user)
    if request.status not in allowed:
        raise ValidationFailed(f"request {request.pk} is {request.status.replace('_', ' ')}; cannot {doing} it")
    return request


@transaction.atomic
def cip_request_assign(*, request: CipRequest, user, assignee=None) -> CipRequest:
    """Take a request from the queue (to oneself unless an assignee of the same institution is named)."""
    request = _locked(request, user, (CipRequest.Status.SUBMITTED, CipRequest.Status.IN_REVIEW), "assign")
    assignee = assignee or user
    _staff_check(request, assignee)
    request.assigned_to = assignee
    request.status = CipRequest.Status.IN_REVIEW
    request.save(update_fields=["assigned_to", "status", "updated_at"])
    _event(publisher=request.publisher, request=request, action=CipEvent.Action.ASSIGN, user=user,
           message=assignee.get_username())
    return request


def cip_marc(request: CipRequest, *, today: dt.date | None = None) -> pymarc.Record:
    """The pre-publication record as the request and the cataloguer's headings describe it now."""
    return cip_marc_build(
        control_number=f"CIP{request.pk}", agency=request.institution.code, title=request.title,
        subtitle=request.subtitle, contributors=request.contributors, edition=request.edition, series=request.series,
        expected_date=request.expected_date, pages=request.pages, format=request.format,
        languages=request.languages, isbns=request.isbns, summary=request.summary, contents=request.contents,
        publisher_name=request.publisher.name_in("fa") if request.languages[:1] == ["per"] else request.publisher.name,
        place=request.publisher.city, country=request.publisher.country, subjects=request.subjects,
        classification=request.classification, classification_scheme=request.classification_scheme,
        today=today or timezone.localdate(),
    )


@transaction.atomic
def cip_record_save(
    *, request: CipRequest, user, subjects: list[str], classification: str = "", classification_scheme: str = "ddc",
) -> CipRequest:
    """Create or rebuild the pre-publication record in the catalogue, with the cataloguer's headings."""
    request = _locked(request, user, (CipRequest.Status.IN_REVIEW,), "catalogue")
    if classification_scheme not in ("ddc", "udc"):
        raise ValidationFailed(f"classification scheme {classification_scheme!r} is not ddc or udc")
    request.subjects = [s.strip() for s in subjects if s.strip()]
    request.classification = classification.strip()
    request.classification_scheme = classification_scheme
    _record_write(request, user, cip_marc(request), note=f"CIP request {request.pk}")
    request.save(update_fields=["subjects", "classification", "classification_scheme", "record", "updated_at"])
    _event(publisher=request.publisher, request=request, action=CipEvent.Action.RECORD, user=user,
           message=f"record {request.record_id}")
    return request


def _record_write(request: CipRequest, user, marc_record: pymarc.Record, *, note: str) -> None:
    if request.record_id is None:
        request.record = record_create(marc_record=marc_record, flavour="marc21", institution=request.institution,
                                       user=user, note=note)
    else:
        record = request.record
        request.record = record_update(record=record, marc_record=marc_record, expected_version=record.version,
                                       user=user, institution=request.institution, note=note)


@transaction.atomic
def cip_request_return(*, request: CipRequest, user, message: str) -> CipRequest:
    """Send a request back to the publisher for correction; the message says what to correct."""
    if not message.strip():
        raise ValidationFailed("say what the publisher should correct")
    request = _locked(request, user, (CipRequest.Status.SUBMITTED, CipRequest.Status.IN_REVIEW), "return")
    request.status = CipRequest.Status.RETURNED
    request.save(update_fields=["status", "updated_at"])
    _event(publisher=request.publisher, request=request, action=CipEvent.Action.RETURN, user=user,
           message=message.strip())
    return request


def nbn_allocate(*, on: dt.date) -> str:
    """The next national bibliography number of the Solar Hijri year of ``on``; call inside a transaction.

    The year's row is locked (select_for_update), so two approvals committing at once never share a number.
    """
    year = jdatetime.date.fromgregorian(date=on).year
    NationalBibliographyNumber.objects.get_or_create(year=year)
    row = NationalBibliographyNumber.objects.select_for_update().get(year=year)
    row.last += 1
    row.save(update_fields=["last"])
    prefix = settings.KITABKHANA.get("NBN_PREFIX", "NB")
    return f"{prefix}-{year}-{row.last:05d}"


def _block_check(request: CipRequest, marc_record: pymarc.Record, nbn: str) -> None:
    """Refuse the approval (and roll the number back) when no CIP block can be made from the record."""
    from kitabkhana.deposit.cip_block import CipBlockError, cip_block_text

    try:
        cip_block_text(marc_record, language=cip_block_language(request), nbn=nbn)
    except CipBlockError as exc:
        raise ValidationFailed(f"request {request.pk}: the CIP block cannot be made: {exc}") from exc


@transaction.atomic
def cip_request_approve(*, request: CipRequest, user) -> CipRequest:
    """Approve: number the title in the national bibliography and write the number into its record (015)."""
    request = _locked(request, user, (CipRequest.Status.IN_REVIEW,), "approve")
    if request.record_id is None:
        raise ValidationFailed(f"request {request.pk} has no catalogue record yet; save the record first")
    nbn = nbn_allocate(on=timezone.localdate())
    marc_record = record_marc(request.record)
    nbn_field_set(marc_record, nbn=nbn, source=settings.KITABKHANA.get("NBN_SOURCE_CODE", "nbir"))
    _block_check(request, marc_record, nbn)
    _record_write(request, user, marc_record, note=f"CIP request {request.pk} approved, {nbn}")
    request.nbn = nbn
    request.status = CipRequest.Status.APPROVED
    request.approved_at = timezone.now()
    request.save(update_fields=["nbn", "status", "approved_at", "record", "updated_at"])
    _event(publisher=request.publisher, request=request, action=CipEvent.Action.APPROVE, user=user, message=nbn)
    return request
