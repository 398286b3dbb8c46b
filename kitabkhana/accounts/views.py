"""Where a signed-in user lands: staff at the staff pages, publishers at their portal."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from kitabkhana.accounts.selectors import can_catalogue


@login_required
def home(request: HttpRequest) -> HttpResponse:
    # By URL name, not import: the publisher portal (deposit) sits above accounts.
    return redirect("catalogue:staff-home" if can_catalogue(request.user) else "publishers:home")
