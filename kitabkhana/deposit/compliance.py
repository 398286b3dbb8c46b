"""Legal-deposit compliance per publisher and period: requested, published, deposited on time or late, missing.

Plain reads over the deposit tables, for the staff dashboard and its CSV export (docs/deposit.md, "Compliance").
Each figure is one query over ``values()`` counted in one pass, so the number of queries does not grow with the
number of publishers or titles.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.db.models import Min, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import get_language

from kitabkhana.accounts.models import Institution
from kitabkhana.deposit.models import CipEvent, CipRequest, Claim, DepositReceipt, Publisher
from kitabkhana.deposit.selectors import both_calendars, deposit_grace, month_name

# The calendars are part of this module's API (report forms ask for compliance.SOLAR or GREGORIAN).
from kitabkhana.scripts.calendars import CALENDARS, GREGORIAN, SOLAR, month_bounds, month_of  # noqa: F401

# The outcomes of a title due in the period, in the order the charts stack them.
OUTCOMES = ("on_time", "late", "missing", "pending")
DUE_STATUSES = (CipRequest.Status.APPROVED, CipRequest.Status.DEPOSITED)


# --- periods ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Month:
    """One calendar month of a period (Solar Hijri or Gregorian), clipped to the period's days."""

    year: int
    month: int
    calendar: str
    start: dt.date
    end: dt.date

    @property
    def label(self) -> str:
        """``1405-01``: the month as numbers, the same in every language."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def name(self) -> str:
        """``Farvardin 1405`` / ``فروردین 1405`` / ``March 2026``, in the reader's language."""
        return month_name(self.calendar, self.year, self.month)


@dataclass(frozen=True)
class Period:
    """A span of days, both ends included, and the calendar its months are counted in."""

    start: dt.date
    end: dt.date
    calendar: str = GREGORIAN
    # What the reader chose, for the label: "year", "month" or "range".
    kind: str = "range"

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"the period ends ({self.end}) before it starts ({self.start})")
        if self.calendar not in CALENDARS:
            raise ValueError(f"calendar {self.calendar!r} is not one of {', '.join(CALENDARS)}")

    @classmethod
    def solar_year(cls, year: int) -> Period:
        """1 Farvardin to the last day of Esfand (1405: 2026-03-21 to 2027-03-20)."""
        start, _ = month_bounds(SOLAR, year, 1)
        _, end = month_bounds(SOLAR, year, 12)
        return cls(start=start, end=end, calendar=SOLAR, kind="year")

    @classmethod
    def solar_month(cls, year: int, month: int) -> Period:
        start, end = month_bounds(SOLAR, year, month)
        return cls(start=start, end=end, calendar=SOLAR, kind="month")

    @classmethod
    def gregorian_year(cls, year: int) -> Period:
        return cls(start=dt.date(year, 1, 1), end=dt.date(year, 12, 31), calendar=GREGORIAN, kind="year")

    @classmethod
    def gregorian_month(cls, year: int, month: int) -> Period:
        start, end = month_bounds(GREGORIAN, year, month)
        return cls(start=start, end=end, calendar=GREGORIAN, kind="month")

    @classmethod
    def custom(cls, start: dt.date, end: dt.date, *, calendar: str = GREGORIAN) -> Period:
        """Any days; ``calendar`` says which months the monthly series is cut into."""
        return cls(start=start, end=end, calendar=calendar, kind="range")

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end

    @property
    def label(self) -> str:
        """``1405``, ``1405-01``, ``2026``, ``2026-03`` or ``2026-03-21_2026-04-20`` (for file names and titles)."""
        if self.kind in ("year", "month"):
            first = self.months()[0]
            return str(first.year) if self.kind == "year" else first.label
        return f"{self.start:%Y-%m-%d}_{self.end:%Y-%m-%d}"

    @property
    def description(self) -> str:
        """The first and last day, each in both calendars."""
        return f"{both_calendars(self.start)} – {both_calendars(self.end)}"

    def months(self) -> list[Month]:
        """The months of the period's calendar that it touches, each clipped to the period."""
        months = []
        year, month = month_of(self.calendar, self.start)
        while True:
            start, end = month_bounds(self.calendar, year, month)
            if start > self.end:
                return months
            months.append(Month(year=year, month=month, calendar=self.calendar, start=max(start, self.start),
                                end=min(end, self.end)))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _language(language: str | None = None) -> str:
    return (language or get_language() or "en").split("-")[0]


# --- figures -------------------------------------------------------------------------------------------------


@dataclass
class Counts:
    """The figures of one publisher, one month or the total."""

    requested: int = 0
    # Titles due: approved or deposited requests published in the period ("published").
    due: int = 0
    on_time: int = 0
    late: int = 0
    missing: int = 0
    pending: int = 0
    without_cip: int = 0
    claims: int = 0

    @property
    def rate(self) -> float | None:
        """On time / (on time + late + missing); None while no title has reached the end of its grace period."""
        judged = self.on_time + self.late + self.missing
        return self.on_time / judged if judged else None

    @property
    def rate_percent(self) -> str:
        """``66.7`` (one decimal), or an empty string when there is no rate."""
        rate = self.rate
        return "" if rate is None else f"{rate * 100:.1f}"

    def add(self, other: Counts) -> None:
        for name in ("requested", "due", "without_cip", "claims", *OUTCOMES):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class PublisherRow(Counts):
    """A publisher's figures; ``publisher_id`` is None on the total row."""

    publisher_id: int | None = None
    name: str = ""


@dataclass
class MonthRow(Counts):
    month: Month | None = None


@dataclass
class ComplianceReport:
    period: Period
    today: dt.date
    grace_days: int
    rows: list[PublisherRow]
    total: Counts
    months: list[MonthRow]
    publisher: Publisher | None = None
    institution: Institution | None = None
    # The filters applied, for the page to say so.
    filters: dict[str, str] = field(default_factory=dict)


def outcome(*, due_on: dt.date, first_receipt: dt.date | None, today: dt.date, grace: dt.timedelta) -> str:
    """``on_time``, ``late``, ``missing`` or ``pending`` for a title due on ``due_on``."""
    deadline = due_on + grace
    if first_receipt is not None:
        return "on_time" if first_receipt <= deadline else "late"
    return "missing" if deadline < today else "pending"


def _day_start(day: dt.date) -> dt.datetime:
    """Midnight at the start of ``day`` in the site's time zone (submissions are timestamps)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _local_date(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()


def _requests(publisher: Publisher | None, institution: Institution | None):
    requests = CipRequest.objects.order_by()
    if publisher is not None:
        requests = requests.filter(publisher=publisher)
    if institution is not None:
        requests = requests.filter(institution=institution)
    return requests


def _submissions(period: Period, publisher: Publisher | None,
                 institution: Institution | None) -> Iterator[tuple[int, dt.date]]:
    """(publisher id, day of first submission) of the requests first submitted in the period."""
    first_submit = Min("events__at", filter=Q(events__action=CipEvent.Action.SUBMIT))
    rows = (_requests(publisher, institution).annotate(first_submit=first_submit)
            .filter(first_submit__gte=_day_start(period.start),
                    first_submit__lt=_day_start(period.end + dt.timedelta(days=1)))
            .values_list("publisher_id", "first_submit"))
    for publisher_id, moment in rows:
        yield publisher_id, _local_date(moment)


def _titles_due(period: Period, publisher: Publisher | None,
                institution: Institution | None) -> Iterator[tuple[int, dt.date, dt.date | None]]:
    """(publisher id, publication date, day first deposited or None) of the approved and deposited titles due.

    The day deposited is the first copy's receipt date; a title deposited with no copy receipt (an e-book
    deposited as its file) counts from the day it was marked deposited.
    """
    rows = (_requests(publisher, institution).filter(status__in=DUE_STATUSES)
            .annotate(due_on=Coalesce("published_on", "expected_date"))
            .filter(due_on__gte=period.start, due_on__lte=period.end)
            .annotate(first_receipt=Min("receipts__received_on"))
            .values_list("publisher_id", "due_on", "first_receipt", "status", "deposited_at"))
    for publisher_id, due_on, first_receipt, status, deposited_at in rows:
        if first_receipt is None and status == CipRequest.Status.DEPOSITED and deposited_at is not None:
            first_receipt = _local_date(deposited_at)
        yield publisher_id, due_on, first_receipt


def _deposits_without_cip(period: Period, publisher: Publisher | None,
                          institution: Institution | None) -> Iterator[tuple[int, dt.date]]:
    """(publisher id, first receipt day in the period) per title (record) deposited without a CIP request."""
    receipts = DepositReceipt.objects.order_by().filter(request__isnull=True, received_on__gte=period.start,
                                                        received_on__lte=period.end)
    if publisher is not None:
        receipts = receipts.filter(publisher=publisher)
    if institution is not None:
        receipts = receipts.filter(institution=institution)
    rows = receipts.values("publisher_id", "record_id").annotate(first=Min("received_on"))
    for row in rows:
        yield row["publisher_id"], row["first"]


def _claims_sent(period: Period, publisher: Publisher | None,
                 institution: Institution | None) -> Iterator[tuple[int, dt.date]]:
    claims = Claim.objects.order_by().filter(sent_on__gte=period.start, sent_on__lte=period.end)
    if publisher is not None:
        claims = claims.filter(request__publisher=publisher)
    if institution is not None:
        claims = claims.filter(request__institution=institution)
    yield from claims.values_list("request__publisher_id", "sent_on")


def _month_index(months: list[Month]):
    """A function from a day to its MonthRow index (months are few: a linear scan is enough)."""
    def index(day: dt.date) -> int | None:
        for n, month in enumerate(months):
            if month.start <= day <= month.end:
                return n
        return None

    return index


def compliance_report(
    *, period: Period, today: dt.date | None = None, publisher: Publisher | None = None,
    institution: Institution | None = None, language: str | None = None,
) -> ComplianceReport:
    """The compliance figures of the period, per publisher (plus a total) and per month.

    ``publisher`` keeps one publisher; ``institution`` keeps the CIP requests in that institution's queue (its
    staff register their deposits and claims) and the deposits without CIP it received. ``today`` (default: the
    site's local date) only decides whether an undeposited title is missing or still pending. Publisher names are
    given in ``language`` (default: the active language).
    """
    today = today or timezone.localdate()
    grace = deposit_grace()
    months = period.months()
    month_rows = [MonthRow(month=month) for month in months]
    month_of = _month_index(months)
    by_publisher: dict[int, Counts] = {}

    def tally(publisher_id: int, day: dt.date, name: str) -> None:
        counts = by_publisher.setdefault(publisher_id, Counts())
        setattr(counts, name, getattr(counts, name) + 1)
        n = month_of(day)
        if n is not None:
            setattr(month_rows[n], name, getattr(month_rows[n], name) + 1)

    for publisher_id, day in _submissions(period, publisher, institution):
        tally(publisher_id, day, "requested")
    for publisher_id, due_on, first_receipt in _titles_due(period, publisher, institution):
        tally(publisher_id, due_on, "due")
        tally(publisher_id, due_on, outcome(due_on=due_on, first_receipt=first_receipt, today=today, grace=grace))
    for publisher_id, day in _deposits_without_cip(period, publisher, institution):
        tally(publisher_id, day, "without_cip")
    for publisher_id, day in _claims_sent(period, publisher, institution):
        tally(publisher_id, day, "claims")

    if publisher is not None:
        by_publisher.setdefault(publisher.pk, Counts())
    rows = _publisher_rows(by_publisher, _language(language))
    total = Counts()
    for row in rows:
        total.add(row)
    filters = {}
    if publisher is not None:
        filters["publisher"] = publisher.name_in(_language(language))
    if institution is not None:
        filters["institution"] = institution.name_in(_language(language))
    return ComplianceReport(period=period, today=today, grace_days=grace.days, rows=rows, total=total,
                            months=month_rows, publisher=publisher, institution=institution, filters=filters)


def _publisher_rows(by_publisher: dict[int, Counts], language: str) -> list[PublisherRow]:
    names = {p.pk: p.name_in(language) for p in Publisher.objects.filter(pk__in=list(by_publisher))
             .only("pk", "name", "names")}
    rows = []
    for publisher_id, counts in by_publisher.items():
        row = PublisherRow(publisher_id=publisher_id, name=names.get(publisher_id, str(publisher_id)))
        row.add(counts)
        rows.append(row)
    return sorted(rows, key=lambda r: (r.name.casefold(), r.publisher_id))


# --- the CSV export -------------------------------------------------------------------------------------------

# (column, attribute); the headers are translated by the caller.
CSV_COLUMNS = (
    ("publisher_id", "publisher_id"), ("publisher", "name"), ("requested", "requested"), ("published", "due"),
    ("on_time", "on_time"), ("late", "late"), ("missing", "missing"), ("pending", "pending"),
    ("compliance_rate", "rate_percent"), ("without_cip", "without_cip"), ("claims", "claims"),
)


def _cell(value: object) -> object:
    """A value as a spreadsheet should read it: text that would start a formula is quoted.

    Publisher names come from the public sign-up form; Excel would run ``=HYPERLINK(...)`` as a formula.
    """
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r")):
        return "'" + value
    return value


def csv_rows(report: ComplianceReport, *, total_label: str) -> Iterable[list[object]]:
    """One list of values per publisher, then the total row (no publisher id, ``total_label`` as its name)."""
    total = PublisherRow(publisher_id=None, name=total_label)
    total.add(report.total)
    for row in [*report.rows, total]:
        yield [_cell(getattr(row, attribute)) for _, attribute in CSV_COLUMNS]
