"""View decorators for staff pages, shared by every app that has some (catalogue, harvest, union, sru)."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from kitabkhana.accounts.selectors import can_catalogue


def cataloguer_required(view):
    """Anonymous users go to sign-in; signed-in users without a cataloguing role get 403."""
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not can_catalogue(request.user):
            raise PermissionDenied("cataloguing needs a cataloguer, supervisor or administrator role")
        return view(request, *args, **kwargs)

    return wrapped
