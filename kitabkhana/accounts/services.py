"""Writes for institutions and staff."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from kitabkhana.accounts.models import Institution, InstitutionKind, Role, StaffProfile
from kitabkhana.core.errors import ValidationFailed

_NATIONAL_LIBRARY_NAME = "National Library"


def institution_create(
    *, code: str, name: str, kind: str, country: str = "", names: dict[str, str] | None = None
) -> Institution:
    code = code.strip()
    if not code or any(c.isspace() for c in code):
        raise ValidationFailed(f"institution code {code!r} must be non-empty and contain no spaces")
    if kind not in InstitutionKind.values:
        raise ValidationFailed(f"institution kind {kind!r} is not one of {', '.join(InstitutionKind.values)}")
    if Institution.objects.filter(code=code).exists():
        raise ValidationFailed(f"an institution with code {code!r} already exists")
    return Institution.objects.create(code=code, name=name, kind=kind, country=country.upper(), names=names or {})


def institution_default() -> Institution:
    """The national library: owner of anything imported or edited without a named institution."""
    code = settings.KITABKHANA["DEFAULT_INSTITUTION"]
    institution, _ = Institution.objects.get_or_create(
        code=code,
        defaults={"name": _NATIONAL_LIBRARY_NAME, "kind": InstitutionKind.NATIONAL, "names": {"fa": "کتابخانه ملی"}},
    )
    return institution


@transaction.atomic
def staff_user_create(
    *, username: str, password: str, institution: Institution, role: str = Role.CATALOGUER, email: str = ""
) -> AbstractBaseUser:
    if role not in Role.values:
        raise ValidationFailed(f"role {role!r} is not one of {', '.join(Role.values)}")
    user = get_user_model().objects.create_user(
        username=username, password=password, email=email, is_staff=True, is_superuser=(role == Role.ADMIN)
    )
    StaffProfile.objects.create(user=user, institution=institution, role=role)
    return user
