"""The filter of the compliance dashboard: which period (in which calendar), which publisher, which institution."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import jdatetime
from django import forms
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from kitabkhana.accounts.models import Institution
from kitabkhana.deposit.compliance import GREGORIAN, SOLAR, Period
from kitabkhana.deposit.forms import parse_either_calendar
from kitabkhana.deposit.models import Publisher


class _PublisherChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Publisher) -> str:
        return obj.name_in((get_language() or "en").split("-")[0])


class _InstitutionChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Institution) -> str:
        return f"{obj.name_in((get_language() or 'en').split('-')[0])} ({obj.code})"


class ComplianceForm(forms.Form):
    """GET parameters ``period`` (year, month, range), ``calendar`` (solar, gregorian), ``year``, ``month``,
    ``from`` and ``to`` (either calendar: 1405-01-01 or 2026-03-21), ``publisher`` (id), ``institution`` (code)."""

    period = forms.ChoiceField(label=_("Period"), choices=[
        ("year", _("Year")), ("month", _("Month")), ("range", _("From … to"))])
    calendar = forms.ChoiceField(label=_("Calendar"), choices=[(SOLAR, _("Solar Hijri")), (GREGORIAN, _("Gregorian"))])
    year = forms.IntegerField(label=_("Year"), min_value=1, max_value=9000, required=False)
    month = forms.IntegerField(label=_("Month"), min_value=1, max_value=12, required=False)
    publisher = _PublisherChoice(label=_("Publisher"), queryset=Publisher.objects.order_by("name"), required=False,
                                 empty_label=_("All publishers"))
    institution = _InstitutionChoice(label=_("Receiving institution"), queryset=Institution.objects.order_by("code"),
                                     to_field_name="code", required=False, empty_label=_("All institutions"))

    def __init__(self, data=None, *args, **kwargs) -> None:
        super().__init__(data, *args, **kwargs)
        # "from" is a Python keyword, so these two are added here rather than declared above.
        self.fields["from"] = forms.CharField(label=pgettext_lazy("period", "From"), max_length=32, required=False)
        self.fields["to"] = forms.CharField(label=pgettext_lazy("period", "To"), max_length=32, required=False)
        self.order_fields(["period", "calendar", "year", "month", "from", "to", "publisher", "institution"])

    @classmethod
    def from_query(cls, query: Mapping[str, str], *, today: dt.date | None = None) -> ComplianceForm:
        """The form bound to the query, blanks filled in: the current Solar Hijri year when nothing is chosen."""
        today = today or timezone.localdate()
        data = {key: value for key, value in query.items() if value.strip()}
        data.setdefault("period", "year")
        data.setdefault("calendar", SOLAR)
        if data["calendar"] == GREGORIAN:
            data.setdefault("year", str(today.year))
            data.setdefault("month", str(today.month))
        else:
            solar = jdatetime.date.fromgregorian(date=today)
            data.setdefault("year", str(solar.year))
            data.setdefault("month", str(solar.month))
        return cls(data)

    def clean(self) -> dict:
        data = super().clean()
        kind, calendar, year, month = (data.get(k) for k in ("period", "calendar", "year", "month"))
        if kind is None or calendar is None:
            return data
        try:
            if kind == "range":
                data["period_value"] = self._range(calendar)
            elif year is None or (kind == "month" and month is None):
                self.add_error("year" if year is None else "month", _("This field is required."))
            elif kind == "year":
                data["period_value"] = Period.solar_year(year) if calendar == SOLAR else Period.gregorian_year(year)
            else:
                data["period_value"] = (Period.solar_month(year, month) if calendar == SOLAR
                                        else Period.gregorian_month(year, month))
        except (ValueError, OverflowError) as exc:
            raise forms.ValidationError(_("No such period: %(error)s") % {"error": exc}) from None
        return data

    def _range(self, calendar: str) -> Period | None:
        days = {}
        for name in ("from", "to"):
            text = (self.cleaned_data.get(name) or "").strip()
            if not text:
                self.add_error(name, _("This field is required."))
                continue
            try:
                days[name] = parse_either_calendar(text)
            except forms.ValidationError as exc:
                self.add_error(name, exc)
        if len(days) < 2:
            return None
        if days["to"] < days["from"]:
            self.add_error("to", _("The period ends before it starts."))
            return None
        return Period.custom(days["from"], days["to"], calendar=calendar)

    def report_arguments(self) -> dict:
        """The keyword arguments of compliance.compliance_report."""
        d = self.cleaned_data
        return {"period": d["period_value"], "publisher": d.get("publisher"), "institution": d.get("institution")}
