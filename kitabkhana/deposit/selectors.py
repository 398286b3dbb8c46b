"""Reads for the publisher portal and the CIP queue; every page gets its objects through these access checks."""

from __future__ import annotations

import datetime as dt

import jdatetime
from django.db.models import QuerySet
from stdnum import isbn as stdnum_isbn

from kitabkhana.accounts.models import Role
from kitabkhana.accounts.selectors import can_catalogue, staff_institution, staff_role
from kitabkhana.core.errors import NotFound, ValidationFailed
from kitabkhana.deposit.models import CipEvent, CipRequest, Publisher, PublisherMembership

QUEUE_STATUSES = (CipRequest.Status.SUBMITTED, CipRequest.Status.IN_REVIEW)
SOLAR_MARK = "SH"


def isbn_prefix_normalise(prefix: str) -> tuple[str, str]:
    """``"978-600-5"`` → ``("9786005", "978-600-5")``; a prefix written without 978 is read as 978."""
    display = prefix.strip()
    digits = "".join(ch for ch in display if ch.isdigit())
    if not digits or not 4 <= len(digits) <= 12:
        raise ValidationFailed(f"ISBN prefix {prefix!r} must have 4 to 12 digits, e.g. 978-600-5")
    if not digits.startswith(("978", "979")):
        digits, display = "978" + digits, "978-" + display
    return digits, display


def publisher_of(user) -> Publisher | None:
    """The publisher the user acts for, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    membership = PublisherMembership.objects.filter(user=user).select_related("publisher").first()
    return membership.publisher if membership else None


def publisher_requests(*, publisher: Publisher) -> QuerySet[CipRequest]:
    return CipRequest.objects.filter(publisher=publisher)


def publisher_request_get(*, user, request_id: int) -> CipRequest:
    """A request of the user's own publisher; any other is 'not found', so its existence is not revealed."""
    publisher = publisher_of(user)
    request = (CipRequest.objects.select_related("publisher", "institution", "record")
               .filter(pk=request_id, publisher=publisher).first() if publisher else None)
    if request is None:
        raise NotFound(f"CIP request {request_id} not found")
    return request


def can_approve_publishers(user) -> bool:
    return staff_role(user) in {Role.SUPERVISOR, Role.ADMIN}


def publishers_pending() -> QuerySet[Publisher]:
    return Publisher.objects.filter(status=Publisher.Status.PENDING).prefetch_related("isbn_prefixes", "members__user")


def publisher_get(*, publisher_id: int) -> Publisher:
    publisher = Publisher.objects.filter(pk=publisher_id).first()
    if publisher is None:
        raise NotFound(f"publisher {publisher_id} not found")
    return publisher


def cip_queue(*, user, mine: bool = False) -> QuerySet[CipRequest]:
    """Requests waiting in the queue of the cataloguer's own institution (empty for anyone else)."""
    institution = staff_institution(user)
    if institution is None or not can_catalogue(user):
        return CipRequest.objects.none()
    queue = CipRequest.objects.filter(institution=institution).select_related("publisher", "assigned_to")
    if mine:
        return queue.filter(assigned_to=user).exclude(status=CipRequest.Status.APPROVED)
    return queue.filter(status__in=QUEUE_STATUSES)


def staff_request_get(*, user, request_id: int) -> CipRequest:
    """A request in the queue of the staff user's institution; others are 'not found'."""
    institution = staff_institution(user)
    request = (CipRequest.objects.select_related("publisher", "institution", "record", "assigned_to")
               .filter(pk=request_id, institution=institution).first() if institution and can_catalogue(user)
               else None)
    if request is None:
        raise NotFound(f"CIP request {request_id} not found in your institution's queue")
    return request


def request_events(request: CipRequest) -> QuerySet[CipEvent]:
    return request.events.select_related("user")


def returned_message(request: CipRequest) -> str:
    """The cataloguer's latest message to the publisher, while the request waits for correction."""
    if request.status != CipRequest.Status.RETURNED:
        return ""
    event = request.events.filter(action=CipEvent.Action.RETURN).order_by("-at", "-id").first()
    return event.message if event else ""


def both_calendars(day: dt.date | None) -> str:
    """``2026-03-21 (1405-01-01)``: the Gregorian date with its Solar Hijri equivalent."""
    if day is None:
        return ""
    solar = jdatetime.date.fromgregorian(date=day)
    return f"{day:%Y-%m-%d} ({solar.strftime('%Y-%m-%d')} {SOLAR_MARK})"


def isbn_display(number: str) -> str:
    return stdnum_isbn.format(number)


def cip_block_language(request: CipRequest) -> str:
    """The book's language (MARC code) the CIP block is written in: the first language of the request."""
    return request.languages[0] if request.languages else "per"


def cip_block(*, request: CipRequest, fmt: str) -> bytes:
    """The CIP data block of an approved request as UTF-8 text (``fmt="txt"``) or PDF (``fmt="pdf"``)."""
    # Imported when first needed: the block module is written alongside this app.
    from kitabkhana.catalogue.selectors import record_marc
    from kitabkhana.deposit import cip_block as block

    if request.status != CipRequest.Status.APPROVED or request.record_id is None:
        raise NotFound(f"CIP request {request.pk} is not approved yet; its CIP block is issued on approval")
    marc_record = record_marc(request.record)
    language = cip_block_language(request)
    if fmt == "pdf":
        return block.cip_block_pdf(marc_record, language=language, nbn=request.nbn)
    if fmt == "txt":
        return block.cip_block_text(marc_record, language=language, nbn=request.nbn).encode("utf-8")
    raise NotFound(f"no CIP block format {fmt!r} (txt or pdf)")
