"""The staff form for a harvest source (validation of shape only; the service decides the rest)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kitabkhana.accounts.models import Institution
from kitabkhana.harvest.models import MetadataPrefix


class HarvestSourceForm(forms.Form):
    code = forms.SlugField(max_length=64, label=_("Code"))
    name = forms.CharField(max_length=255, required=False, label=_("Name"))
    base_url = forms.URLField(max_length=500, label=_("Base URL"), assume_scheme="https")
    institution = forms.ModelChoiceField(queryset=Institution.objects.all(), to_field_name="code",
                                         label=_("Institution (owner of the harvested records)"))
    metadata_prefix = forms.ChoiceField(choices=MetadataPrefix.choices, label=_("Metadata format"),
                                        help_text=_("oai_dc (Dublin Core) cannot become a MARC record."))
    set_spec = forms.CharField(max_length=255, required=False, label=_("Set (optional)"))
    every_hours = forms.IntegerField(min_value=1, required=False, label=_("Harvest every … hours (empty: on demand)"))
    enabled = forms.BooleanField(required=False, initial=True, label=_("Enabled"))
