"""Reads for institutions and staff roles."""

from __future__ import annotations

import ipaddress
import logging

from django.conf import settings
from django.db.models import QuerySet

from kitabkhana.accounts.models import Institution, Role, StaffProfile
from kitabkhana.core.errors import NotFound

log = logging.getLogger(__name__)


def institution_get(*, code: str) -> Institution:
    try:
        return Institution.objects.get(code=code)
    except Institution.DoesNotExist:
        known = ", ".join(Institution.objects.values_list("code", flat=True)[:20]) or "none yet"
        raise NotFound(f"no institution with code {code!r} (known: {known})") from None


def institution_list() -> QuerySet[Institution]:
    return Institution.objects.all()


def staff_role(user) -> str | None:
    """The user's role, or None for readers; superusers count as administrators."""
    if not getattr(user, "is_authenticated", False):
        return None
    if user.is_superuser:
        return Role.ADMIN
    profile = StaffProfile.objects.filter(user=user).only("role").first()
    return profile.role if profile else None


def staff_institution(user) -> Institution | None:
    profile = StaffProfile.objects.filter(user=user).select_related("institution").first()
    return profile.institution if profile else None


def can_catalogue(user) -> bool:
    return staff_role(user) in {Role.CATALOGUER, Role.SUPERVISOR, Role.ADMIN}


def in_reading_room(ip: str | None) -> bool:
    """Whether the address is inside one of KITABKHANA["READING_ROOM_NETWORKS"] (CIDR blocks)."""
    if not ip:
        return False
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    for network in settings.KITABKHANA.get("READING_ROOM_NETWORKS", []):
        try:
            if address in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:  # set in settings by hand; the environment variable is checked at start
            log.warning("READING_ROOM_NETWORKS: %r is not an address block", network)
    return False
