"""Imprint years of Iranian publications in the Solar Hijri and Gregorian calendars.

Iranian imprints are dated in the Solar Hijri calendar (``۱۳۹۹``, ``1399 ش``), older ones
sometimes in the lunar Hijri calendar (``1320 ق``), foreign co-editions in the Gregorian one
(``c2020``). Readers want both, so the record page shows the year in each calendar.

A Solar Hijri year starts at the March equinox, so it overlaps two Gregorian years (1399 ran
from 20 March 2020 to 20 March 2021): without a month we can only say "2020/2021".
"""

from __future__ import annotations

import datetime as dt
import math
import re

import jdatetime

__all__ = ["CALENDARS", "GREGORIAN", "SOLAR", "describe_imprint_year", "month_bounds", "month_of",
           "to_persian_digits"]

# The two calendars reports and bibliographies are cut into months by.
SOLAR = "solar"
GREGORIAN = "gregorian"
CALENDARS = (SOLAR, GREGORIAN)

_TO_ASCII = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_TO_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")

_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
# Markers read in the text right after a year (or before it, for "c2020" / "©2020").
_SOLAR = re.compile(r"^\s*\]?\s*(?:ه\s*ـ?\s*\.?\s*ش|ش(?:مسی)?\b|a\.?\s*p\b|s\.?\s*h\b|h\.?\s*sh\b)", re.IGNORECASE)
_LUNAR = re.compile(r"^\s*\]?\s*(?:ه\s*ـ?\s*\.?\s*ق|ق(?:مری)?\b|a\.?\s*h\b)", re.IGNORECASE)
_GREGORIAN_AFTER = re.compile(r"^\s*\]?\s*(?:م(?:یلادی)?\b|c\.?\s*e\b|a\.?\s*d\b)", re.IGNORECASE)
_GREGORIAN_BEFORE = re.compile(r"(?:\bc|©|\bp|℗|\bcop\.?)\s*\[?$", re.IGNORECASE)

# Mean lunar Hijri year in Gregorian years, and 1 Muharram AH 1 (16 July 622) as a fractional year.
_LUNAR_YEAR = 354.36708 / 365.2425
_LUNAR_EPOCH = 622.5394


# Years a printed imprint can carry in any of the three calendars.
_PLAUSIBLE_YEARS = (1, 2200)


def to_persian_digits(s: str | int) -> str:
    """ASCII digits to Persian ones (``"1399"`` → ``"۱۳۹۹"``); everything else is left as it is."""
    return str(s).translate(_TO_PERSIAN)


def month_bounds(calendar: str, year: int, month: int) -> tuple[dt.date, dt.date]:
    """The first and last Gregorian day of a Solar Hijri or Gregorian month (Esfand ends on the day before
    1 Farvardin, 29 or 30 days). ``ValueError`` for a month that does not exist."""
    if calendar not in CALENDARS:
        raise ValueError(f"calendar {calendar!r} is not one of {', '.join(CALENDARS)}")
    if not 1 <= month <= 12 or year < 1:
        raise ValueError(f"no {calendar} month {year}/{month}")
    try:
        if calendar == SOLAR:
            following = jdatetime.date(year + 1, 1, 1) if month == 12 else jdatetime.date(year, month + 1, 1)
            return jdatetime.date(year, month, 1).togregorian(), following.togregorian() - dt.timedelta(days=1)
        following_day = dt.date(year + 1, 1, 1) if month == 12 else dt.date(year, month + 1, 1)
        return dt.date(year, month, 1), following_day - dt.timedelta(days=1)
    except (ValueError, OverflowError):
        raise ValueError(f"no {calendar} month {year}/{month}") from None


def month_of(calendar: str, day: dt.date) -> tuple[int, int]:
    """The (year, month) of ``calendar`` that the Gregorian ``day`` falls in."""
    if calendar == SOLAR:
        solar = jdatetime.date.fromgregorian(date=day)
        return solar.year, solar.month
    return day.year, day.month


def _solar_to_gregorian(year: int) -> tuple[int, int]:
    first = jdatetime.date(year, 1, 1).togregorian().year
    last = jdatetime.date(year, 12, 29).togregorian().year
    return first, last


def _gregorian_to_solar(year: int) -> tuple[int, int]:
    first = jdatetime.date.fromgregorian(year=year, month=1, day=1).year
    last = jdatetime.date.fromgregorian(year=year, month=12, day=31).year
    return first, last


def _span(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}/{last}"


def _classify(text: str, match: re.Match[str]) -> str | None:
    """Which calendar the year in ``match`` is in: from a marker next to it, else from its size."""
    after, before = text[match.end():], text[: match.start()]
    if _SOLAR.match(after):
        return "solar_hijri"
    if _LUNAR.match(after):
        return "lunar_hijri"
    if _GREGORIAN_AFTER.match(after) or _GREGORIAN_BEFORE.search(before):
        return "gregorian"
    return _classify_number(int(match.group(1)))


def _classify_number(year: int) -> str | None:
    # Solar Hijri 1200–1500 is 1821–2122 CE; Iranian printing starts in the 1810s, and no Gregorian
    # imprint we catalogue is that old, so the ranges cannot be confused.
    if 1200 <= year <= 1500:
        return "solar_hijri"
    if 1600 <= year <= 2200:
        return "gregorian"
    return None


def _describe(year: int, source: str, exact_gregorian: int | None = None) -> dict:
    if source == "solar_hijri":
        first, last = _solar_to_gregorian(year)
        gregorian = str(exact_gregorian) if exact_gregorian in (first, last) else _span(first, last)
        solar = str(year)
        result = {"gregorian": gregorian, "solar_hijri": solar, "source": source, "approximate": False}
    elif source == "gregorian":
        solar = _span(*_gregorian_to_solar(year))
        result = {"gregorian": str(year), "solar_hijri": solar, "source": source, "approximate": False}
    else:
        # The lunar year drifts about 11 days a year against the solar ones; the mean-length
        # arithmetic can be a few days off at a year's edges, hence "approximate".
        start = _LUNAR_EPOCH + (year - 1) * _LUNAR_YEAR
        end = start + _LUNAR_YEAR
        g_first, g_last = math.floor(start), math.floor(end)
        s_first = _gregorian_to_solar_at(start)
        s_last = _gregorian_to_solar_at(end)
        solar = _span(s_first, s_last)
        result = {"gregorian": _span(g_first, g_last), "solar_hijri": solar, "lunar_hijri": str(year),
                  "source": source, "approximate": True}
    result["solar_hijri_fa"] = to_persian_digits(solar)
    return result


def _gregorian_to_solar_at(fractional_year: float) -> int:
    year = math.floor(fractional_year)
    day_of_year = min(364, int((fractional_year - year) * 365))
    month, day = 1, 1 + day_of_year
    lengths = [31, 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28, 31, 30, 31, 30,
               31, 31, 30, 31, 30, 31]
    while day > lengths[month - 1]:
        day -= lengths[month - 1]
        month += 1
    return jdatetime.date.fromgregorian(year=year, month=month, day=day).year


def describe_imprint_year(date_text: str, year: int | None) -> dict | None:
    """The imprint year in both calendars, or ``None`` when no year can be read.

    ``date_text`` is the transcribed date (MARC 260/264 $c: ``"1399"``, ``"۱۳۹۹ ش."``, ``"[1399]"``,
    ``"c2020"``, ``"1320 ق"``); ``year`` is the year derived from the record's coded data, used
    when the text holds none. Returns ``{"gregorian": "2020/2021", "solar_hijri": "1399",
    "solar_hijri_fa": "۱۳۹۹", "source": "solar_hijri", "approximate": False}``; ``source`` is
    ``"solar_hijri"``, ``"gregorian"`` or ``"lunar_hijri"`` (which also gives ``"lunar_hijri"`` and
    is ``approximate``).
    """
    text = (date_text or "").translate(_TO_ASCII)
    found = [(m, _classify(text, m)) for m in _YEAR.finditer(text)]
    found = [(int(m.group(1)), source) for m, source in found if source]
    if found:
        first_year, source = found[0]
        # "1399 [2020]": a Gregorian year given alongside says which of the two it was; but
        # "1398 [2019 or 2020]" is the cataloguer saying they do not know either.
        alongside = {y for y, s in found[1:] if s == "gregorian"}
        exact = alongside.pop() if source == "solar_hijri" and len(alongside) == 1 else None
        return _describe_or_none(first_year, source, exact)
    if year is not None:
        source = _classify_number(year)
        if source:
            return _describe_or_none(year, source)
    return None


def _describe_or_none(year: int, source: str, exact: int | None = None) -> dict | None:
    # Catalogue dates hold placeholders ("c0000", "9999 ش") that no calendar can convert; a record
    # page shows the date as transcribed instead of failing.
    if not _PLAUSIBLE_YEARS[0] <= year <= _PLAUSIBLE_YEARS[1]:
        return None
    try:
        return _describe(year, source, exact)
    except (ValueError, OverflowError):
        return None
