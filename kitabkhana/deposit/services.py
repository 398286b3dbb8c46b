"""Writes for publishers and CIP requests: sign-up and approval, the request workflow, the record, the NBN.

Every decision writes a CipEvent in the same transaction as the change it records.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib

import jdatetime
import pymarc
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from stdnum import isbn as stdnum_isbn
from stdnum.exceptions import ValidationError as StdnumValidationError

from kitabkhana.accounts.models import Institution
from kitabkhana.accounts.selectors import staff_institution
from kitabkhana.accounts.services import institution_default
from kitabkhana.catalogue.models import Holding, RecordIdentifier
from kitabkhana.catalogue.selectors import record_marc
from kitabkhana.catalogue.services.records import holding_create, record_create, record_update
from kitabkhana.core.errors import NotFound, ValidationFailed
from kitabkhana.deposit.files import FileRefused, file_identify, file_sha256
from kitabkhana.deposit.marc import cip_marc_build, electronic_level_set, full_level_set, nbn_field_set
from kitabkhana.deposit.models import (
    CipEvent,
    CipIsbn,
    CipRequest,
    Claim,
    DepositReceipt,
    ElectronicDeposit,
    ElectronicDepositRead,
    NationalBibliographyNumber,
    Publisher,
    PublisherIsbnPrefix,
    PublisherMembership,
)
from kitabkhana.deposit.selectors import (
    DepositTitle,
    PlannedClaim,
    can_approve_publishers,
    cip_block_language,
    claims_due,
    copies_due,
    electronic_deposit_max_bytes,
    isbn_prefix_normalise,
    publisher_of,
)
from kitabkhana.scripts.calendars import to_persian_digits

log = logging.getLogger(__name__)
_ASCII_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")

_FRONT_MATTER_MAX_BYTES = 10 * 1024 * 1024
# Fields a publisher fills in; everything else on a request is the library's.
REQUEST_FIELDS = ("title", "subtitle", "contributors", "edition", "series", "expected_date", "pages", "format",
                  "medium", "languages", "isbns", "summary", "contents")
# What a publisher may change about itself after sign-up; its status and ISBN prefixes are the library's.
PUBLISHER_FIELDS = ("name", "names", "email", "phone", "contact_person", "address", "city", "city_names", "country")


def _event(*, publisher: Publisher, action: str, user, request: CipRequest | None = None, message: str = "") -> None:
    CipEvent.objects.create(publisher=publisher, request=request, action=action, user=user, message=message)


# --- publishers -------------------------------------------------------------------------------------------


@transaction.atomic
def publisher_signup(
    *, name: str, username: str, password: str, email: str = "", names: dict[str, str] | None = None,
    phone: str = "", contact_person: str = "", address: str = "", city: str = "", country: str = "",
    isbn_prefixes: list[str] | None = None, city_names: dict[str, str] | None = None,
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
        city=city, city_names=city_names or {}, country=country.upper(),
    )
    for prefix in isbn_prefixes or []:
        publisher_prefix_add(publisher=publisher, prefix=prefix)
    try:
        validate_password(password, user_model(username=username, email=email))
    except DjangoValidationError as exc:
        raise ValidationFailed("; ".join(exc.messages), list(exc.messages)) from None
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


@transaction.atomic
def publisher_update(*, publisher: Publisher, user, **fields) -> Publisher:
    """A publisher's own user (or a supervisor) corrects its name, contacts and address; audited with the changes."""
    unknown = set(fields) - set(PUBLISHER_FIELDS)
    if unknown:
        raise ValidationFailed(f"unknown publisher fields: {', '.join(sorted(unknown))}")
    if publisher_of(user) != publisher and not can_approve_publishers(user):
        raise NotFound(f"no publisher {publisher.pk} of yours")
    if "name" in fields and not str(fields["name"]).strip():
        raise ValidationFailed("the publisher needs a name")
    if "country" in fields:
        fields["country"] = str(fields["country"]).strip().upper()
    publisher = Publisher.objects.select_for_update().get(pk=publisher.pk)
    changed = [name for name, value in fields.items() if getattr(publisher, name) != value]
    for name in changed:
        setattr(publisher, name, fields[name])
    if changed:
        publisher.save(update_fields=changed)
        _event(publisher=publisher, action=CipEvent.Action.PUBLISHER_EDIT, user=user,
               message="changed: " + ", ".join(changed))
    return publisher


@transaction.atomic
def publisher_prefixes_set(*, publisher: Publisher, user, prefixes: list[str]) -> list[PublisherIsbnPrefix]:
    """Staff register the publisher's ISBN prefixes (the ISBN agency's decision, not the publisher's)."""
    if not can_approve_publishers(user):
        raise ValidationFailed("registering ISBN prefixes needs a supervisor or administrator role")
    wanted = {}
    for raw in prefixes:
        if raw.strip():
            digits, display = isbn_prefix_normalise(raw)
            wanted[digits] = display
    have = {p.prefix: p for p in publisher.isbn_prefixes.all()}
    in_use = [have[d].display for d in have if d not in wanted and CipIsbn.objects.filter(
        request__publisher=publisher, isbn__startswith=d).exists()]
    if in_use:
        raise ValidationFailed(f"ISBN prefix {', '.join(in_use)} is used by this publisher's CIP requests; "
                               "it cannot be removed")
    removed = [have[d].display for d in have if d not in wanted]
    publisher.isbn_prefixes.exclude(prefix__in=wanted).delete()
    added = [publisher_prefix_add(publisher=publisher, prefix=display).display
             for digits, display in wanted.items() if digits not in have]
    if added or removed:
        _event(publisher=publisher, action=CipEvent.Action.PUBLISHER_EDIT, user=user,
               message="ISBN prefixes" + (f" added: {', '.join(added)}" if added else "")
               + (f" removed: {', '.join(removed)}" if removed else ""))
    return list(publisher.isbn_prefixes.all())


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
        except StdnumValidationError as exc:  # its subclasses say what is wrong (checksum, length, format)
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
    if request.publisher.status != Publisher.Status.APPROVED:
        raise ValidationFailed(f"publisher {request.publisher.name} is {request.publisher.status.replace('_', ' ')}; "
                               "only approved publishers may submit CIP requests")
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
        place=request.publisher.city_in("fa") if request.languages[:1] == ["per"] else request.publisher.city,
        country=request.publisher.country, subjects=request.subjects,
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
    # The record is built from the request when it is saved; a correction made after that is not in it yet, and
    # the CIP block would print what the publisher has just corrected.
    saved = request.events.filter(action=CipEvent.Action.RECORD).order_by("-id").values_list("id", flat=True).first()
    if request.events.filter(action=CipEvent.Action.EDIT, id__gt=saved or 0).exists():
        raise ValidationFailed(f"request {request.pk} was corrected by the publisher after its record was saved; "
                               "save the record again, then approve")
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


# --- legal deposit ------------------------------------------------------------------------------------------


def _copies_check(copies: list[dict], due: list[tuple[Institution, int]], already: dict[int, int]) -> list[dict]:
    """Resolve and check the copies in hand against the rules; fail naming every bad line, before anything is saved.

    ``already`` counts copies received earlier per institution id, so a second delivery cannot exceed what is due.
    """
    if not copies:
        raise ValidationFailed("a deposit needs at least one copy (barcode, institution, condition)")
    due_by_code = {institution.code.casefold(): (institution, count) for institution, count in due}
    problems: list[str] = []
    resolved: list[dict] = []
    seen: set[tuple[int, str]] = set()
    counted: dict[int, int] = dict(already)
    conditions = set(DepositReceipt.Condition.values)
    for n, copy in enumerate(copies, start=1):
        # Barcodes typed with Persian or Arabic-Indic digits are the same barcodes as their ASCII form.
        barcode = str(copy.get("barcode") or "").strip().translate(_ASCII_DIGITS)
        code = str(copy.get("institution") or "").strip()
        condition = str(copy.get("condition") or DepositReceipt.Condition.GOOD).strip().lower()
        where = f"copy {n} ({barcode or 'no barcode'})"
        if not barcode:
            problems.append(f"{where}: the barcode is missing")
            continue
        if condition not in conditions:
            problems.append(f"{where}: condition {condition!r} is not one of {', '.join(sorted(conditions))}")
            continue
        hit = due_by_code.get(code.casefold())
        if hit is None:
            owed = ", ".join(f"{i.code} ({c})" for i, c in due) or "none"
            problems.append(f"{where}: no copy is due to institution {code!r} under the deposit rules "
                            f"(due: {owed})")
            continue
        institution, count = hit
        if (institution.pk, barcode) in seen:
            problems.append(f"{where}: barcode {barcode} is given twice for {institution.code}")
            continue
        seen.add((institution.pk, barcode))
        if (DepositReceipt.objects.filter(institution=institution, barcode=barcode).exists()
                or Holding.objects.filter(institution=institution, barcode=barcode).exists()):
            problems.append(f"{where}: barcode {barcode} is already used at {institution.code}")
            continue
        counted[institution.pk] = counted.get(institution.pk, 0) + 1
        if counted[institution.pk] > count:
            problems.append(f"{where}: only {count} cop{'y' if count == 1 else 'ies'} due to {institution.code}")
            continue
        resolved.append({"barcode": barcode, "institution": institution, "condition": condition})
    if problems:
        raise ValidationFailed("; ".join(problems), problems)
    return resolved


def _physical_check(pages: int, dimensions: str) -> None:
    if not isinstance(pages, int) or pages <= 0:
        raise ValidationFailed(f"pages must be a positive whole number, not {pages!r}")
    if not dimensions.strip():
        raise ValidationFailed("give the dimensions of the copy in hand, e.g. 24 cm")


def _receipts_write(*, record, request: CipRequest | None, publisher: Publisher, copies: list[dict], user,
                    received_on: dt.date, note: str) -> list[DepositReceipt]:
    receipts = []
    try:
        # A savepoint: a barcode taken by a deposit committing at the same moment hits the unique index.
        with transaction.atomic():
            for copy in copies:
                holding = holding_create(record=record, institution=copy["institution"], barcode=copy["barcode"],
                                         note=note)
                receipts.append(DepositReceipt.objects.create(
                    request=request, publisher=publisher, record=record, holding=holding,
                    institution=copy["institution"], barcode=copy["barcode"], condition=copy["condition"],
                    received_on=received_on, received_by=user,
                ))
    except IntegrityError:
        raise ValidationFailed("one of the barcodes "
                               f"{', '.join(c['barcode'] for c in copies)} was just used by another deposit") from None
    return receipts


@transaction.atomic
def deposit_receive(
    *, request: CipRequest | int, copies: list[dict], pages: int, dimensions: str, published_on: dt.date, user,
    received_on: dt.date | None = None,
) -> list[DepositReceipt]:
    """Register the deposited copies of an approved CIP title, in one transaction.

    Records a receipt and a holding (with the copy's barcode) per copy, upgrades the pre-publication record to
    full level (leader/17 blank, 300 from the copy in hand, 264 $c from the actual publication date), marks
    the request deposited and audits it. Any bad copy line fails the whole deposit.
    """
    request_id = request.pk if isinstance(request, CipRequest) else request
    locked = (CipRequest.objects.select_for_update().filter(pk=request_id).first()
              if isinstance(request_id, int) else None)
    if locked is None:
        raise ValidationFailed(f"deposit for an unknown title: there is no CIP request {request_id!r}")
    request = CipRequest.objects.select_related("publisher", "institution", "record").get(pk=locked.pk)
    _staff_check(request, user)
    if request.status not in (CipRequest.Status.APPROVED, CipRequest.Status.DEPOSITED):
        raise ValidationFailed(f"request {request.pk} is {request.status.replace('_', ' ')}; "
                               "only approved requests can be deposited")
    if request.medium == CipRequest.Medium.ELECTRONIC:
        raise ValidationFailed(f"request {request.pk} is an e-book: it is deposited as its PDF or EPUB file, "
                               "not as copies")
    _physical_check(pages, dimensions)
    already: dict[int, int] = {}
    for institution_id in request.receipts.values_list("institution_id", flat=True):
        already[institution_id] = already.get(institution_id, 0) + 1
    resolved = _copies_check(copies, copies_due(request), already)
    marc_record = record_marc(request.record)
    full_level_set(marc_record, pages=pages, dimensions=dimensions.strip(), published_on=published_on,
                   language=cip_block_language(request))
    _record_write(request, user, marc_record, note=f"legal deposit of CIP request {request.pk}")
    receipts = _receipts_write(record=request.record, request=request, publisher=request.publisher, copies=resolved,
                               user=user, received_on=received_on or timezone.localdate(),
                               note=f"legal deposit, CIP {request.pk}")
    request.status = CipRequest.Status.DEPOSITED
    request.published_on = published_on
    request.deposited_at = request.deposited_at or timezone.now()
    request.save(update_fields=["status", "published_on", "deposited_at", "record", "updated_at"])
    _event(publisher=request.publisher, request=request, action=CipEvent.Action.DEPOSIT, user=user,
           message=", ".join(f"{c['institution'].code} {c['barcode']} ({c['condition']})" for c in resolved))
    return receipts


@transaction.atomic
def deposit_receive_without_cip(
    *, publisher: Publisher, title: str, isbns: list[str], copies: list[dict], pages: int, dimensions: str,
    published_on: dt.date, user, languages: list[str] | None = None, subtitle: str = "",
    contributors: list[dict] | None = None, edition: str = "", series: str = "", material_type: str = "book",
    received_on: dt.date | None = None,
) -> list[DepositReceipt]:
    """A deposit of a title that never had CIP: the record is created at full level, then received as above."""
    institution = staff_institution(user)
    if institution is None:
        raise ValidationFailed("registering a deposit needs a staff user of an institution")
    if not title.strip():
        raise ValidationFailed("the deposited title needs a title")
    _physical_check(pages, dimensions)
    numbers = isbns_check(publisher=publisher, isbns=isbns)
    due = copies_due(DepositTitle(material_type=material_type, country=publisher.country, city=publisher.city))
    resolved = _copies_check(copies, due, {})
    languages = languages or ["per"]
    marc_record = cip_marc_build(
        control_number=f"DEP-{timezone.now():%Y%m%d%H%M%S%f}", agency=institution.code, title=title.strip(),
        subtitle=subtitle, contributors=contributors or [], edition=edition, series=series,
        expected_date=published_on, pages=pages, format=dimensions, languages=languages, isbns=numbers, summary="",
        contents="", publisher_name=publisher.name_in("fa") if languages[:1] == ["per"] else publisher.name,
        place=publisher.city_in("fa") if languages[:1] == ["per"] else publisher.city, country=publisher.country,
        subjects=[], classification="", classification_scheme="",
        today=timezone.localdate(),
    )
    full_level_set(marc_record, pages=pages, dimensions=dimensions.strip(), published_on=published_on,
                   language=languages[0])
    # A title that skipped CIP still enters the national bibliography, so it gets its number now.
    nbn = nbn_allocate(on=received_on or timezone.localdate())
    nbn_field_set(marc_record, nbn=nbn, source=settings.KITABKHANA.get("NBN_SOURCE_CODE", "nbir"))
    record = record_create(marc_record=marc_record, flavour="marc21", institution=institution, user=user,
                           note=f"legal deposit without CIP from {publisher.name}")
    receipts = _receipts_write(record=record, request=None, publisher=publisher, copies=resolved, user=user,
                               received_on=received_on or timezone.localdate(), note="legal deposit without CIP")
    _event(publisher=publisher, action=CipEvent.Action.DEPOSIT, user=user,
           message=f"record {record.pk} without CIP, {nbn}: " + ", ".join(f"{c['institution'].code} {c['barcode']}"
                                                                  for c in resolved))
    return receipts


@transaction.atomic
def deposit_receive_further(*, record_id: int, copies: list[dict], user,
                            received_on: dt.date | None = None) -> list[DepositReceipt]:
    """Later copies of a title deposited without CIP (e.g. the provincial centre's copy arriving after the
    national library's): checked against the copies still due under the rules, as a first delivery is."""
    if staff_institution(user) is None:
        raise ValidationFailed("registering a deposit needs a staff user of an institution")
    earlier = list(DepositReceipt.objects.select_for_update().filter(record_id=record_id, request__isnull=True)
                   .select_related("publisher", "record"))
    if not earlier:
        raise ValidationFailed(f"record {record_id} was not deposited without CIP; the copies of a CIP title are "
                               "registered on its request page")
    publisher, record = earlier[0].publisher, earlier[0].record
    already: dict[int, int] = {}
    for receipt in earlier:
        already[receipt.institution_id] = already.get(receipt.institution_id, 0) + 1
    due = copies_due(DepositTitle(material_type="book", country=publisher.country, city=publisher.city))
    resolved = _copies_check(copies, due, already)
    receipts = _receipts_write(record=record, request=None, publisher=publisher, copies=resolved, user=user,
                               received_on=received_on or timezone.localdate(),
                               note="legal deposit without CIP, further copies")
    _event(publisher=publisher, action=CipEvent.Action.DEPOSIT, user=user,
           message=f"record {record.pk} without CIP, further copies: "
                   + ", ".join(f"{c['institution'].code} {c['barcode']}" for c in resolved))
    return receipts


# --- electronic deposit -------------------------------------------------------------------------------------


def electronic_deposit_upload(
    *, request: CipRequest | int, upload: UploadedFile, user, published_on: dt.date | None = None,
) -> ElectronicDeposit:
    """Keep a publisher's PDF or EPUB of an approved title, checked, checksummed and stored untouched.

    The file is judged by its content (``files.file_identify``): type, size, truncation, encryption, ZIP bombs.
    For an e-book title the file is the deposit: the record goes to full level as an online resource, the
    request becomes deposited and its claims stop. For a printed book it is kept beside the copies.
    Nothing is kept when a check fails; the stored file is removed again if the database write fails.
    """
    request_id = request.pk if isinstance(request, CipRequest) else request
    with transaction.atomic():
        locked = CipRequest.objects.select_for_update().filter(pk=request_id).first()
        if locked is None:
            raise ValidationFailed(f"deposit for an unknown title: there is no CIP request {request_id!r}")
        request = CipRequest.objects.select_related("publisher", "institution", "record").get(pk=locked.pk)
        acting_for = publisher_of(user)
        if acting_for is not None and acting_for != request.publisher:
            raise NotFound(f"no CIP request {request.pk} of yours")
        if acting_for is None:
            _staff_check(request, user)
        if request.status not in (CipRequest.Status.APPROVED, CipRequest.Status.DEPOSITED):
            raise ValidationFailed(f"request {request.pk} is {request.status.replace('_', ' ')}; "
                                   "files are deposited for approved titles")
        name = upload.name or "upload"
        try:
            kind = file_identify(upload, name=name, size=upload.size, max_bytes=electronic_deposit_max_bytes())
        except FileRefused as exc:
            raise ValidationFailed(str(exc)) from None
        digest = file_sha256(upload)
        earlier = request.electronic_deposits.filter(sha256=digest).first()
        if earlier is not None:
            raise ValidationFailed(f"{name}: this file was already deposited on {earlier.uploaded_at:%Y-%m-%d} "
                                   f"as {earlier.original_name}")
        deposit = ElectronicDeposit(
            request=request, publisher=request.publisher, record=request.record, original_name=name[:255],
            media_type=kind.media_type, size=upload.size, sha256=digest, pages=kind.pages, uploaded_by=user,
        )
        # The stored name is ours (request and checksum), never the uploader's path.
        deposit.file.save(f"cip-{request.pk}-{digest[:16]}.{kind.extension}", upload, save=False)
        try:
            with transaction.atomic():
                deposit.save()
                if request.medium == CipRequest.Medium.ELECTRONIC and request.status == CipRequest.Status.APPROVED:
                    # Unless the publisher says when it came out, an e-book came out when it said it would (or
                    # today, if that is still to come): a file sent long after its date, maybe after claims, is
                    # a late deposit, not a book published today and deposited on time.
                    _electronic_title_deposited(request, deposit, user,
                                                published_on or min(request.expected_date, timezone.localdate()))
                _event(publisher=request.publisher, request=request, action=CipEvent.Action.FILE, user=user,
                       message=f"{name} ({kind.media_type}, {upload.size} bytes, sha256 {digest})")
        except BaseException:
            deposit.file.delete(save=False)
            raise
    return deposit


def _electronic_title_deposited(request: CipRequest, deposit: ElectronicDeposit, user, published_on: dt.date) -> None:
    marc_record = record_marc(request.record)
    electronic_level_set(marc_record, pages=deposit.pages, media_type=deposit.media_type, published_on=published_on,
                         language=cip_block_language(request))
    _record_write(request, user, marc_record, note=f"electronic legal deposit of CIP request {request.pk}")
    request.status = CipRequest.Status.DEPOSITED
    request.published_on = published_on
    request.deposited_at = timezone.now()
    request.save(update_fields=["status", "published_on", "deposited_at", "record", "updated_at"])
    _event(publisher=request.publisher, request=request, action=CipEvent.Action.DEPOSIT, user=user,
           message=f"e-book file {deposit.original_name}")


@transaction.atomic
def electronic_deposit_access_set(*, deposit: ElectronicDeposit, user, access: str) -> ElectronicDeposit:
    """Staff of the title's institution decide who may read a deposited file (audited)."""
    if access not in ElectronicDeposit.Access.values:
        raise ValidationFailed(f"access {access!r} is not one of {', '.join(ElectronicDeposit.Access.values)}")
    deposit = (ElectronicDeposit.objects.select_for_update(of=("self",)).select_related("request", "publisher")
               .get(pk=deposit.pk))
    if deposit.request is not None:
        _staff_check(deposit.request, user)
    elif staff_institution(user) is None:
        raise ValidationFailed("changing who may read a deposited file needs a staff user")
    if deposit.access != access:
        before = deposit.access
        deposit.access = access
        deposit.save(update_fields=["access"])
        _event(publisher=deposit.publisher, request=deposit.request, action=CipEvent.Action.FILE_ACCESS, user=user,
               message=f"{deposit.original_name}: {before} → {access}")
    return deposit


def electronic_deposit_read_log(*, deposit: ElectronicDeposit, user, ip: str | None) -> None:
    """Log an opening of a deposited file by anyone but its publisher (access to restricted material is logged)."""
    if user is not None and getattr(user, "is_authenticated", False) and publisher_of(user) == deposit.publisher:
        return
    ElectronicDepositRead.objects.create(deposit=deposit, user=user if getattr(user, "is_authenticated", False)
                                         else None, ip=ip)


# --- claims -------------------------------------------------------------------------------------------------



def _claim_date(day: dt.date, language: str) -> str:
    """Persian letters carry the Solar Hijri date in Persian digits, English ones the Gregorian date."""
    if language == "fa":
        return to_persian_digits(jdatetime.date.fromgregorian(date=day).strftime("%Y/%m/%d"))
    return f"{day:%d %B %Y}"


def claim_letter(planned: PlannedClaim, *, today: dt.date) -> tuple[str, str]:
    """(subject, body) of the letter, from templates/deposit/claims/claim_<level>.<language>.txt.

    The template's first line is the subject; the rest is the body.
    """
    request = planned.request
    text = render_to_string(f"deposit/claims/claim_{planned.level}.{planned.language}.txt", {
        "request": request, "publisher": request.publisher,
        "publisher_name": request.publisher.name_in(planned.language),
        "expected": _claim_date(request.expected_date, planned.language),
        "today": _claim_date(today, planned.language), "nbn": request.nbn,
        "isbns": ", ".join(stdnum_isbn.format(n) for n in request.isbns),
        "copies": ", ".join(f"{i.name_in(planned.language)}: {n}" for i, n in copies_due(request)),
    })
    subject, _, body = text.strip().partition("\n")
    return subject.strip(), body.strip() + "\n"


def claims_send(*, today: dt.date | None = None, dry_run: bool = False,
                failed: list[tuple[PlannedClaim, str]] | None = None) -> list[Claim | PlannedClaim]:
    """Send the claims due today (see selectors.claims_due) by e-mail and log each one as a Claim.

    Each claim is its own transaction: the request row is locked and checked again (a receipt may just have
    arrived), the Claim row and an audit event are written, and the mail is sent before commit, so a mail that
    fails leaves no claim logged and the next run tries again; the run goes on with the other claims and each
    failure is appended to ``failed`` (the plan and the error). ``dry_run`` sends and saves nothing and returns
    what would be sent.
    """
    today = today or timezone.localdate()
    planned = claims_due(today=today)
    if dry_run:
        return list(planned)
    sent: list[Claim] = []
    for plan in planned:
        try:
            with transaction.atomic():
                request = CipRequest.objects.select_for_update().get(pk=plan.request.pk)
                if (request.status != CipRequest.Status.APPROVED or request.receipts.exists()
                        or request.claims.filter(level=plan.level).exists()):
                    continue
                subject, body = claim_letter(plan, today=today)
                claim = Claim.objects.create(request=request, level=plan.level, sent_at=timezone.now(),
                                             sent_on=today, to=plan.to, subject=subject, body=body,
                                             language=plan.language)
                _event(publisher=plan.request.publisher, request=request, action=CipEvent.Action.CLAIM, user=None,
                       message=f"{plan.level} claim to {plan.to}")
                send_mail(subject, body, None, [plan.to])
        except (OSError, smtplib.SMTPException) as exc:  # the mail server refused or is down: try again next run
            log.warning("claim %s for CIP %s to %s not sent: %s", plan.level, plan.request.pk, plan.to, exc)
            if failed is not None:
                failed.append((plan, str(exc) or exc.__class__.__name__))
            continue
        sent.append(claim)
    return sent


def claims_schedule() -> None:
    """The scheduled job (kitabkhana.tasks.scheduler, every KITABKHANA["DEPOSIT_CLAIMS_INTERVAL"] s): queue a
    claims run unless one is queued or running already."""
    from kitabkhana.tasks.selectors import task_pending
    from kitabkhana.tasks.services import task_enqueue

    if not task_pending(name="deposit.claims"):
        task_enqueue(name="deposit.claims")
