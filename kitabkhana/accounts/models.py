from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class InstitutionKind(models.TextChoices):
    NATIONAL = "national", _("National library")
    PROVINCIAL = "provincial", _("Provincial centre")
    PARTNER = "partner", _("Partner national library")
    PUBLISHER = "publisher", _("Publisher")


class Institution(models.Model):
    """A member of the network; every record, holding and change belongs to one."""

    code = models.CharField(max_length=32, unique=True, help_text=_("Short code, e.g. an ISIL or MARC organisation code"))
    name = models.CharField(max_length=255)
    # Names in other languages, keyed by language code: {"fa": "کتابخانه ملی", "ru": "..."}.
    names = models.JSONField(default=dict, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text=_("ISO 3166-1 alpha-2"))
    kind = models.CharField(max_length=16, choices=InstitutionKind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    def name_in(self, language: str) -> str:
        return self.names.get(language) or self.name


class Role(models.TextChoices):
    CATALOGUER = "cataloguer", _("Cataloguer")
    SUPERVISOR = "supervisor", _("Supervisor")
    ADMIN = "admin", _("Administrator")


class StaffProfile(models.Model):
    """What a staff user may do, and for which institution."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="staff")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CATALOGUER)

    def __str__(self) -> str:
        return f"{self.user} ({self.role}, {self.institution.code})"
