"""Forms of the accounts pages: a reader registering from home."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ReaderRegistrationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    email = forms.EmailField(label=_("E-mail address"))
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    next = forms.CharField(required=False, widget=forms.HiddenInput)
