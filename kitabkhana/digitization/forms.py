"""Staff forms of the digitization lines (shape only; the services decide the rest)."""

from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from kitabkhana.digitization.models import Access, DigitalItem


class ItemAddForm(forms.Form):
    record = forms.IntegerField(min_value=1, label=_("Record id"))
    holding = forms.CharField(max_length=64, required=False, label=_("Holding barcode (optional)"))
    batch = forms.CharField(max_length=255, required=False, label=_("Batch (created when new; optional)"))
    access = forms.ChoiceField(choices=Access.choices, initial=Access.STAFF, label=_("Access"))


class BatchForm(forms.Form):
    name = forms.CharField(max_length=255, label=_("Batch name"))


class IngestForm(forms.Form):
    folder = forms.CharField(max_length=1000, label=_("Folder on the server"),
                             help_text=_("Full path of a folder of page images (TIFF, JPEG, PNG, JPEG 2000), "
                                         "under the ingest folders the server allows."))
    publish = forms.BooleanField(required=False, label=_("Publish when QA finds nothing blocking"))
    ocr = forms.BooleanField(required=False, label=_("Run OCR on the pages"))


class StageForm(forms.Form):
    stage = forms.ChoiceField(choices=DigitalItem.Stage.choices, label=_("Move to"))
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), label=_("Reason"))
    override = forms.BooleanField(required=False, label=_("Publish over blocking QA findings (supervisors)"))


class AccessForm(forms.Form):
    access = forms.ChoiceField(choices=Access.choices, label=_("Access"))
    embargo_until = forms.DateField(required=False, label=_("Embargo until"),
                                    widget=forms.DateInput(attrs={"type": "date"}))
    downloadable = forms.BooleanField(required=False, label=_("Downloads allowed"))
    rights = forms.URLField(required=False, max_length=200, assume_scheme="https", label=_("Rights (URI)"),
                            help_text=_("A Creative Commons or RightsStatements.org URI"))
    structure = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4, "dir": "ltr"}),
                                label=_("Structure (JSON ranges)"),
                                help_text=_('For example [{"label": "Preface", "first": 1, "last": 4}]'))

    def clean_structure(self) -> list:
        text = self.cleaned_data["structure"].strip()
        if not text:
            return []
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(_("Not valid JSON: %(error)s"), params={"error": exc.msg}) from None
        if not isinstance(value, list):
            raise forms.ValidationError(_("A list of ranges is expected."))
        return value


class GroundTruthForm(forms.Form):
    """What a page really says, typed by staff: the page's OCR is measured against it."""

    page = forms.IntegerField(label=_("Page (order)"), min_value=1)
    text = forms.CharField(label=_("Transcription of the page"), widget=forms.Textarea(attrs={"rows": 6, "dir": "auto"}),
                           required=False, strip=True)
