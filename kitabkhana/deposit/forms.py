"""Forms of the publisher portal and the CIP queue; they parse what people type, the services decide."""

from __future__ import annotations

import datetime as dt
import re

import jdatetime
from django import forms
from django.utils.translation import gettext_lazy as _

from kitabkhana.deposit.models import CipRequest, ElectronicDeposit, Publisher

_DATE = re.compile(r"^\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\s*$")
# Persian and Arabic-Indic digits to ASCII; the invisible direction marks that a date copied from Persian text
# carries (LRM, RLM, ALM, embeddings, isolates) are dropped.
_TO_ASCII = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789",
                          "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def parse_either_calendar(text: str) -> dt.date:
    """``2026-05-10`` (Gregorian) or ``1405-02-20`` / ``۱۴۰۵/۰۲/۲۰`` (Solar Hijri, told apart by the year)."""
    m = _DATE.match(text.translate(_TO_ASCII))
    if not m:
        raise forms.ValidationError(_("Write the date as year-month-day, e.g. 1405-02-20 or 2026-05-10."))
    year, month, day = (int(g) for g in m.groups())
    try:
        if year < 1700:
            return jdatetime.date(year, month, day).togregorian()
        return dt.date(year, month, day)
    except ValueError as exc:
        raise forms.ValidationError(_("%(date)s is not a valid date: %(error)s") % {"date": text, "error": exc}) \
            from None


class PublisherProfileForm(forms.Form):
    """What a publisher says about itself; it may correct it after sign-up."""

    name = forms.CharField(label=_("Publisher name"), max_length=255)
    name_fa = forms.CharField(label=_("Name in Persian"), max_length=255, required=False)
    contact_person = forms.CharField(label=_("Contact person"), max_length=255, required=False)
    email = forms.EmailField(label=_("E-mail"))
    phone = forms.CharField(label=_("Telephone"), max_length=64, required=False)
    address = forms.CharField(label=_("Address"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    city = forms.CharField(label=_("City"), max_length=128, required=False)
    city_fa = forms.CharField(label=_("City in Persian"), max_length=128, required=False)
    country = forms.CharField(label=_("Country (ISO code)"), max_length=2, initial="IR")

    def service_arguments(self) -> dict:
        d = self.cleaned_data
        return {
            "name": d["name"], "names": {"fa": d["name_fa"]} if d["name_fa"] else {},
            "contact_person": d["contact_person"], "email": d["email"], "phone": d["phone"],
            "address": d["address"], "city": d["city"], "city_names": {"fa": d["city_fa"]} if d["city_fa"] else {},
            "country": d["country"],
        }

    @staticmethod
    def initial_from(publisher) -> dict:
        return {"name": publisher.name, "name_fa": publisher.names.get("fa", ""),
                "contact_person": publisher.contact_person, "email": publisher.email, "phone": publisher.phone,
                "address": publisher.address, "city": publisher.city,
                "city_fa": publisher.city_names.get("fa", ""), "country": publisher.country}


class PublisherSignupForm(PublisherProfileForm):
    isbn_prefixes = forms.CharField(label=_("Registered ISBN prefixes, one per line"),
                                    widget=forms.Textarea(attrs={"rows": 2}), required=False)
    username = forms.CharField(label=_("User name"), max_length=150)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, min_length=10)

    def service_arguments(self) -> dict:
        d = self.cleaned_data
        return {
            **super().service_arguments(),
            "isbn_prefixes": [p for p in d["isbn_prefixes"].splitlines() if p.strip()],
            "username": d["username"], "password": d["password"],
        }


class PrefixesForm(forms.Form):
    prefixes = forms.CharField(label=_("Registered ISBN prefixes, one per line"),
                               widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def clean_prefixes(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["prefixes"].splitlines() if line.strip()]


class _TitleForm(forms.Form):
    """What identifies a title, shared by a CIP request and a deposit without CIP."""

    title = forms.CharField(label=_("Title"), max_length=500)
    subtitle = forms.CharField(label=_("Subtitle"), max_length=500, required=False)
    contributors = forms.CharField(
        label=_("Contributors, one per line: name | role (author, editor, translator, illustrator…)"),
        widget=forms.Textarea(attrs={"rows": 3}), required=False)
    edition = forms.CharField(label=_("Edition"), max_length=255, required=False)
    series = forms.CharField(label=_("Series"), max_length=255, required=False)
    languages = forms.CharField(label=_("Languages (MARC codes, e.g. per, eng)"), max_length=64, initial="per")
    isbns = forms.CharField(label=_("ISBNs, one per line"), widget=forms.Textarea(attrs={"rows": 2}))

    def clean_contributors(self) -> list[dict]:
        people = []
        for n, line in enumerate(self.cleaned_data["contributors"].splitlines(), start=1):
            if not line.strip():
                continue
            name, _sep, role = line.partition("|")
            if not name.strip():
                raise forms.ValidationError(_("Line %(n)d has no name.") % {"n": n})
            people.append({"name": name.strip(), "role": role.strip() or "author"})
        return people

    def clean_languages(self) -> list[str]:
        codes = [c.strip().lower() for c in re.split(r"[,\s]+", self.cleaned_data["languages"]) if c.strip()]
        bad = [c for c in codes if not re.fullmatch(r"[a-z]{3}", c)]
        if bad:
            raise forms.ValidationError(_("Not three-letter language codes: %(codes)s") % {"codes": ", ".join(bad)})
        return codes

    def clean_isbns(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["isbns"].splitlines() if line.strip()]


class CipRequestForm(_TitleForm):
    expected_date = forms.CharField(label=_("Expected publication date (Solar Hijri or Gregorian)"), max_length=20)
    medium = forms.ChoiceField(label=_("Published as"), choices=CipRequest.Medium.choices,
                               initial=CipRequest.Medium.PRINT, required=False)
    pages = forms.IntegerField(label=_("Pages"), min_value=1, required=False)
    format = forms.CharField(label=_("Format"), max_length=64, required=False)
    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    contents = forms.CharField(label=_("Contents"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    front_matter = forms.FileField(label=_("Front matter (PDF)"), required=False)

    field_order = ["title", "subtitle", "contributors", "edition", "series", "expected_date", "medium", "pages",
                   "format", "languages", "isbns", "summary", "contents", "front_matter"]

    def clean_expected_date(self) -> dt.date:
        return parse_either_calendar(self.cleaned_data["expected_date"])

    def clean_medium(self) -> str:
        return self.cleaned_data["medium"] or CipRequest.Medium.PRINT

    def service_arguments(self) -> dict:
        d = dict(self.cleaned_data)
        d["pages"] = d.get("pages")
        return d

    @staticmethod
    def initial_from(request) -> dict:
        return {
            "title": request.title, "subtitle": request.subtitle, "edition": request.edition,
            "series": request.series, "pages": request.pages, "format": request.format, "medium": request.medium,
            "contributors": "\n".join(f"{c['name']} | {c.get('role', 'author')}" for c in request.contributors),
            "expected_date": jdatetime.date.fromgregorian(date=request.expected_date).strftime("%Y-%m-%d"),
            "languages": ", ".join(request.languages), "isbns": "\n".join(request.isbns),
            "summary": request.summary, "contents": request.contents,
        }


class CipRecordForm(forms.Form):
    subjects = forms.CharField(label=_("Subject headings, one per line (use -- between subdivisions)"),
                               widget=forms.Textarea(attrs={"rows": 4}), required=False)
    classification = forms.CharField(label=_("Classification number"), max_length=64, required=False)
    classification_scheme = forms.ChoiceField(label=_("Scheme"), choices=[("ddc", "DDC (082)"), ("udc", "UDC (080)")])

    def clean_subjects(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["subjects"].splitlines() if line.strip()]


class ReturnForm(forms.Form):
    message = forms.CharField(label=_("What should the publisher correct?"), widget=forms.Textarea(attrs={"rows": 3}))


class DepositForm(forms.Form):
    """The copies in hand, one per line ``barcode | institution code | condition`` (condition defaults to good)."""

    copies = forms.CharField(label=_("Copies, one per line: barcode | institution code | condition"),
                             widget=forms.Textarea(attrs={"rows": 3}))
    pages = forms.IntegerField(label=_("Pages"), min_value=1)
    dimensions = forms.CharField(label=_("Dimensions"), max_length=64, initial="24 cm")
    published_on = forms.CharField(label=_("Publication date (1405-02-20 or 2026-05-10)"), max_length=32)

    def clean_published_on(self) -> dt.date:
        return parse_either_calendar(self.cleaned_data["published_on"])

    def clean_copies(self) -> list[dict]:
        copies = []
        for n, line in enumerate(self.cleaned_data["copies"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")]
            if len(parts) not in (2, 3):
                raise forms.ValidationError(
                    _("Line %(n)s: write barcode | institution code | condition.") % {"n": n})
            copies.append({"barcode": parts[0], "institution": parts[1],
                           "condition": parts[2] if len(parts) == 3 and parts[2] else "good"})
        return copies


class DepositWithoutCipForm(_TitleForm, DepositForm):
    """A title that arrives without CIP: who published it, what it is, and the copies in hand."""

    publisher = forms.ModelChoiceField(label=_("Publisher"),
                                       queryset=Publisher.objects.filter(status=Publisher.Status.APPROVED))

    field_order = ["publisher", "title", "subtitle", "contributors", "edition", "series", "languages", "isbns",
                   "copies", "pages", "dimensions", "published_on"]


class FurtherCopiesForm(forms.Form):
    """Later copies of a title deposited without CIP, one per line ``barcode | institution code | condition``."""

    record_id = forms.IntegerField(label=_("Record id of the title deposited without CIP"), min_value=1)
    copies = DepositForm.base_fields["copies"]
    clean_copies = DepositForm.clean_copies


class ElectronicDepositForm(forms.Form):
    file = forms.FileField(label=_("The book as PDF or EPUB"))
    published_on = forms.CharField(label=_("Publication date (1405-02-20 or 2026-05-10); default the expected "
                                           "date, or today if that is still to come"),
                                   max_length=32, required=False)

    def clean_published_on(self) -> dt.date | None:
        text = self.cleaned_data["published_on"]
        return parse_either_calendar(text) if text.strip() else None


class FileAccessForm(forms.Form):
    access = forms.ChoiceField(label=_("Who may read it"), choices=ElectronicDeposit.Access.choices)
