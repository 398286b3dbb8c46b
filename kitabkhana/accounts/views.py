"""Where a signed-in user lands (staff at the staff pages, publishers at their portal, readers back at the
catalogue), and readers registering from home."""

from __future__ import annotations

from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from kitabkhana.accounts.forms import ReaderRegistrationForm
from kitabkhana.accounts.selectors import can_catalogue
from kitabkhana.accounts.services import reader_register
from kitabkhana.core.errors import ValidationFailed


@login_required
def home(request: HttpRequest) -> HttpResponse:
    # By URL name, not import: the publisher portal (deposit) and the OPAC sit above accounts.
    if can_catalogue(request.user):
        return redirect("catalogue:staff-home")
    if hasattr(request.user, "publisher_membership"):
        return redirect("publishers:home")
    return redirect("opac:home")


def _safe_next(request: HttpRequest, target: str | None) -> str | None:
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return None


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """A reader registers with name, e-mail and password, is signed in, and goes back where they came from."""
    if request.method == "GET":
        form = ReaderRegistrationForm(initial={"next": request.GET.get("next", "")})
        return render(request, "accounts/register.html", {"form": form})
    form = ReaderRegistrationForm(request.POST)
    if form.is_valid():
        try:
            user = reader_register(name=form.cleaned_data["name"], email=form.cleaned_data["email"],
                                   password=form.cleaned_data["password"])
        except ValidationFailed as exc:
            form.add_error(None, str(exc))
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect(_safe_next(request, form.cleaned_data.get("next")) or "opac:home")
    return render(request, "accounts/register.html", {"form": form}, status=400)
