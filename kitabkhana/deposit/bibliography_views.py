"""The public pages of the national bibliography (thin: read the month, call kitabkhana.deposit.bibliography).

Anyone may read them: the national bibliography is published. A month that does not exist is a 404.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from kitabkhana.core.errors import NotFound
from kitabkhana.deposit import bibliography as nb
from kitabkhana.deposit.cip_block import CipFontMissing


def _month_or_404(calendar: str, year: str, month: str) -> nb.Month:
    try:
        return nb.month_get(calendar=calendar, year=int(year), month=int(month))
    except NotFound as exc:
        raise Http404(str(exc)) from exc


def _urls(calendar: str) -> tuple[str, str]:
    """The URL names of a month's page and of its files in ``calendar``."""
    return ("bibliography:month", "bibliography:file") if calendar == nb.SOLAR else \
        ("bibliography:month-gregorian", "bibliography:file-gregorian")


@require_safe
def index(request, calendar: str = nb.SOLAR):
    return render(request, "deposit/bibliography_index.html", {
        "calendar": calendar, "years": nb.bibliography_months(calendar=calendar),
        "month_url": _urls(calendar)[0],
    })


@require_safe
def month(request, year: str, month: str, calendar: str = nb.SOLAR):
    current = _month_or_404(calendar, year, month)
    month_url, file_url = _urls(calendar)
    return render(request, "deposit/bibliography_month.html", {
        "bibliography": nb.bibliography_get(month=current), "calendar": calendar,
        "month_url": month_url, "file_url": file_url, "formats": nb.FORMATS,
        "previous": current.previous(), "next": current.next(),
    })


@require_safe
def download(request, year: str, month: str, fmt: str, calendar: str = nb.SOLAR):
    current = _month_or_404(calendar, year, month)
    try:
        body = nb.bibliography_file(month=current, fmt=fmt)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except CipFontMissing as exc:  # a server without the Noto fonts: say which package, as the CIP block does
        return HttpResponse(f"{exc}. The bibliography is available as a web page and as .mrc, .xml and .txt.",
                            status=503, content_type="text/plain; charset=utf-8")
    response = HttpResponse(body, content_type=nb.MEDIA_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{nb.file_name(current, fmt)}"'
    return response
