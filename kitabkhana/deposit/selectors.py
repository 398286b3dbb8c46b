"""Reads for the publisher portal and the CIP queue; every page gets its objects through these access checks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import jdatetime
from django.conf import settings
from django.db.models import QuerySet
from django.utils.dates import MONTHS
from django.utils.translation import get_language
from stdnum import isbn as stdnum_isbn

from kitabkhana.accounts.models import Institution, Role
from kitabkhana.accounts.selectors import can_catalogue, in_reading_room, staff_institution, staff_role
from kitabkhana.accounts.services import institution_default
from kitabkhana.core.errors import NotFound, ValidationFailed
from kitabkhana.deposit.models import (
    CipEvent,
    CipRequest,
    Claim,
    DepositReceipt,
    DepositRule,
    ElectronicDeposit,
    Publisher,
    PublisherMembership,
)
from kitabkhana.scripts.calendars import SOLAR

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


def publishers_all() -> QuerySet[Publisher]:
    return Publisher.objects.prefetch_related("isbn_prefixes").order_by("name")


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
        # Work still to do: approved and deposited titles have left the cataloguer's hands.
        return queue.filter(assigned_to=user).exclude(
            status__in=(CipRequest.Status.APPROVED, CipRequest.Status.DEPOSITED))
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


def publisher_events(publisher: Publisher) -> QuerySet[CipEvent]:
    """The publisher's own history (sign-up, approval, changed details and prefixes, deposits without CIP)."""
    return publisher.events.filter(request__isnull=True).select_related("user")


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


def month_name(calendar: str, year: int, month: int) -> str:
    """``Ordibehesht 1405`` / ``اردیبهشت 1405`` / ``May 2026``: a month of either calendar in the active language."""
    if calendar == SOLAR:
        persian = (get_language() or "").startswith("fa")
        names = jdatetime.date.j_months_fa if persian else jdatetime.date.j_months_en
        return f"{names[month - 1]} {year}"
    return f"{MONTHS[month]} {year}"


def isbn_display(number: str) -> str:
    return stdnum_isbn.format(number)


def cip_block_language(request: CipRequest) -> str:
    """The book's language (MARC code) the CIP block is written in: the first language of the request."""
    return request.languages[0] if request.languages else "per"


def cip_block(*, request: CipRequest, fmt: str) -> bytes:
    """The CIP data block of an approved (or deposited: a reprint needs it) request as UTF-8 text or PDF."""
    # Imported when first needed: the block module is written alongside this app.
    from kitabkhana.catalogue.selectors import record_marc
    from kitabkhana.deposit import cip_block as block

    if request.status not in (CipRequest.Status.APPROVED, CipRequest.Status.DEPOSITED) or request.record_id is None:
        raise NotFound(f"CIP request {request.pk} is not approved yet; its CIP block is issued on approval")
    marc_record = record_marc(request.record)
    language = cip_block_language(request)
    if fmt == "pdf":
        return block.cip_block_pdf(marc_record, language=language, nbn=request.nbn)
    if fmt == "txt":
        return block.cip_block_text(marc_record, language=language, nbn=request.nbn).encode("utf-8")
    raise NotFound(f"no CIP block format {fmt!r} (txt or pdf)")


# --- legal deposit ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DepositTitle:
    """What the deposit rules look at: the kind of material and where it was published."""

    material_type: str = "book"
    country: str = ""
    city: str = ""


def deposit_title_of(request: CipRequest) -> DepositTitle:
    # A CIP title is published where its publisher is.
    material_type = "electronic" if request.medium == CipRequest.Medium.ELECTRONIC else "book"
    return DepositTitle(material_type=material_type, country=request.publisher.country, city=request.publisher.city)


def _rule_matches(rule: DepositRule, title: DepositTitle) -> int | None:
    """How many criteria of the rule the title meets (its specificity), or None when one of them fails."""
    score = 0
    for wanted, have in ((rule.material_type, title.material_type), (rule.country, title.country),
                         (rule.city, title.city)):
        if not wanted:
            continue
        if wanted.casefold() != (have or "").strip().casefold():
            return None
        score += 1
    return score


def deposit_rule_for(title: DepositTitle) -> DepositRule | None:
    """The most specific rule the title meets (a city rule beats a country rule), else the default rule."""
    best: tuple[int, DepositRule] | None = None
    for rule in DepositRule.objects.filter(is_default=False).order_by("id"):
        score = _rule_matches(rule, title)
        if score is not None and (best is None or score > best[0]):
            best = (score, rule)
    if best:
        return best[1]
    return DepositRule.objects.filter(is_default=True).order_by("id").first()


def copies_due(request_or_title: CipRequest | DepositTitle) -> list[tuple[Institution, int]]:
    """The copies due for a title under the deposit rules: [(institution, number of copies), ...].

    With no rule configured at all, the national library receives KITABKHANA["DEPOSIT_DEFAULT_COPIES"] (2).
    """
    title = deposit_title_of(request_or_title) if isinstance(request_or_title, CipRequest) else request_or_title
    rule = deposit_rule_for(title)
    if rule is None:
        return [(institution_default(), int(settings.KITABKHANA.get("DEPOSIT_DEFAULT_COPIES", 2)))]
    return [(share.institution, share.copies)
            for share in rule.shares.select_related("institution").order_by("institution__code")]


def copies_owed(request: CipRequest) -> list[tuple[Institution, int]]:
    """The copies still due after the deliveries so far (a first delivery of some copies deposits the title)."""
    received: dict[int, int] = {}
    for institution_id in request.receipts.values_list("institution_id", flat=True):
        received[institution_id] = received.get(institution_id, 0) + 1
    owed = [(institution, count - received.get(institution.pk, 0)) for institution, count in copies_due(request)]
    return [(institution, count) for institution, count in owed if count > 0]


def request_receipts(request: CipRequest) -> QuerySet[DepositReceipt]:
    return request.receipts.select_related("institution", "received_by")



# --- electronic deposit -------------------------------------------------------------------------------------


def electronic_deposit_max_bytes() -> int:
    return int(settings.KITABKHANA.get("DEPOSIT_FILE_MAX_BYTES", 500 * 1024 * 1024))


def request_files(request: CipRequest) -> QuerySet[ElectronicDeposit]:
    return request.electronic_deposits.select_related("uploaded_by")


def electronic_deposit_readable(*, user, file_id: int, ip: str | None) -> ElectronicDeposit:
    """The deposited file, if this reader may open it: its publisher and library staff always; others by its
    access rule (open to everyone, or only from a reading-room address); NotFound otherwise, so that a file's
    existence is not given away."""
    deposit = ElectronicDeposit.objects.select_related("publisher", "request").filter(pk=file_id).first()
    if deposit is None:
        raise NotFound(f"no deposited file {file_id}")
    if user is not None and user.is_authenticated and (
            publisher_of(user) == deposit.publisher or staff_role(user) is not None):
        return deposit
    if deposit.access == ElectronicDeposit.Access.OPEN:
        return deposit
    if deposit.access == ElectronicDeposit.Access.READING_ROOM and in_reading_room(ip):
        return deposit
    raise NotFound(f"no deposited file {file_id} that you may read")


def record_open_files(*, record_id: int) -> QuerySet[ElectronicDeposit]:
    """The deposited files of a catalogue record that readers may be offered (not the staff-only ones)."""
    return ElectronicDeposit.objects.filter(record_id=record_id).exclude(access=ElectronicDeposit.Access.STAFF)


# --- claims -------------------------------------------------------------------------------------------------

CLAIM_LEVELS = (Claim.Level.FIRST, Claim.Level.SECOND, Claim.Level.FINAL)


@dataclass(frozen=True)
class PlannedClaim:
    """A claim the next run would send: which request, which level, to whom, in which language."""

    request: CipRequest
    level: str
    to: str
    language: str


def claim_language(request: CipRequest) -> str:
    """Persian letters for Persian books, English otherwise."""
    return "fa" if request.languages[:1] == ["per"] else "en"


def deposit_grace() -> dt.timedelta:
    """How long after its publication date a title may still be deposited: KITABKHANA["DEPOSIT_GRACE_DAYS"] (60).

    Claims start after it and the compliance report counts a deposit within it as on time.
    """
    return dt.timedelta(days=int(settings.KITABKHANA.get("DEPOSIT_GRACE_DAYS", 60)))


def claims_due(*, today: dt.date) -> list[PlannedClaim]:
    """The claims due on ``today``.

    A first claim once the expected date plus KITABKHANA["DEPOSIT_GRACE_DAYS"] (60) has passed with no copy
    received; a second and a final one each KITABKHANA["DEPOSIT_CLAIM_INTERVAL_DAYS"] (30) after the previous
    claim; nothing after the final claim, and nothing once a receipt exists. Publishers without an e-mail
    address cannot be claimed by mail and are left out.
    """
    grace = deposit_grace()
    interval = dt.timedelta(days=int(settings.KITABKHANA.get("DEPOSIT_CLAIM_INTERVAL_DAYS", 30)))
    overdue = (CipRequest.objects.filter(status=CipRequest.Status.APPROVED, expected_date__lt=today - grace,
                                         receipts__isnull=True)
               .exclude(publisher__email="").select_related("publisher").prefetch_related("claims")
               .order_by("expected_date", "id").distinct())
    planned = []
    for request in overdue:
        sent = sorted(request.claims.all(), key=lambda c: CLAIM_LEVELS.index(c.level))
        if not sent:
            level = Claim.Level.FIRST
        else:
            last = sent[-1]
            position = CLAIM_LEVELS.index(last.level)
            if position == len(CLAIM_LEVELS) - 1 or today < last.sent_on + interval:
                continue
            level = CLAIM_LEVELS[position + 1]
        planned.append(PlannedClaim(request=request, level=level, to=request.publisher.email,
                                    language=claim_language(request)))
    return planned


def request_claims(request: CipRequest) -> QuerySet[Claim]:
    return request.claims.all()
