"""Partner SRU servers the cataloguers copy records from."""

from __future__ import annotations

from django.db import models


class SruTarget(models.Model):
    """A partner's SRU endpoint, added by staff (admin) so cataloguers can search it and copy records."""

    class Version(models.TextChoices):
        V11 = "1.1", "SRU 1.1"
        V12 = "1.2", "SRU 1.2"
        V20 = "2.0", "SRU 2.0"

    class Flavour(models.TextChoices):
        DETECT = "", "detect per record"
        MARC21 = "marc21", "MARC 21"
        UNIMARC = "unimarc", "UNIMARC"

    name = models.CharField(max_length=120, unique=True)
    url = models.URLField(max_length=500, help_text="the SRU base URL, e.g. https://example.org/sru/db")
    version = models.CharField(max_length=3, choices=Version.choices, default=Version.V12)
    record_schema = models.CharField(
        max_length=200, default="marcxml",
        help_text="the recordSchema to ask for, as the partner names it (marcxml, unimarcxml, MARC21-xml...)",
    )
    flavour = models.CharField(max_length=8, choices=Flavour.choices, blank=True, default=Flavour.DETECT)
    institution = models.ForeignKey(
        "accounts.Institution", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="the partner that runs this server (for the record's provenance)",
    )
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
