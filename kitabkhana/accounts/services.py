"""Writes for institutions, staff and registered readers."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
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


@transaction.atomic
def reader_register(*, name: str, email: str, password: str) -> AbstractBaseUser:
    """A registered reader: a Django user signed in by e-mail address, with no staff profile (so no staff role).

    The e-mail address is the username (lower-cased, unique); the password must pass the site's validators.
    """
    email = email.strip().lower()
    name = " ".join(name.split())
    if not name:
        raise ValidationFailed("give your name")
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationFailed(f"{email!r} is not an e-mail address") from None
    users = get_user_model().objects
    if users.filter(username__iexact=email).exists() or users.filter(email__iexact=email).exists():
        raise ValidationFailed("an account with this e-mail address already exists: sign in instead")
    candidate = get_user_model()(username=email, email=email, first_name=name[:150])
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise ValidationFailed(" ".join(exc.messages)) from None
    return users.create_user(username=email, email=email, password=password, first_name=name[:150])
