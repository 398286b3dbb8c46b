"""The national bibliography, public, mounted at /national-bibliography/ (docs/deposit.md).

Solar Hijri months by default (``1405/02/``), Gregorian months under ``g/`` (``g/2026/05/``); a month's files
are ``1405/02.pdf``, ``.mrc`` (ISO 2709), ``.xml`` (MARCXML) and ``.txt``.
"""

from django.urls import path, re_path

from kitabkhana.deposit import bibliography_views as views
from kitabkhana.deposit.bibliography import GREGORIAN, SOLAR

app_name = "bibliography"

_MONTH = r"(?P<year>\d{4})/(?P<month>\d{2})"
_FILE = _MONTH + r"\.(?P<fmt>pdf|mrc|xml|txt)"

urlpatterns = [
    path("", views.index, {"calendar": SOLAR}, name="index"),
    re_path(rf"^{_MONTH}/$", views.month, {"calendar": SOLAR}, name="month"),
    re_path(rf"^{_FILE}$", views.download, {"calendar": SOLAR}, name="file"),
    path("g/", views.index, {"calendar": GREGORIAN}, name="index-gregorian"),
    re_path(rf"^g/{_MONTH}/$", views.month, {"calendar": GREGORIAN}, name="month-gregorian"),
    re_path(rf"^g/{_FILE}$", views.download, {"calendar": GREGORIAN}, name="file-gregorian"),
]
