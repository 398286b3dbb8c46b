"""Pages of the publisher portal and of the staff CIP queue (thin: parse, call one service, render).

Every request object comes from a selector that checks who is asking (publisher_request_get, staff_request_get),
so a page of another publisher or another institution's queue is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kitabkhana.accounts.decorators import cataloguer_required
from kitabkhana.core.errors import NotFound, ValidationFailed
from kitabkhana.deposit import selectors, services
from kitabkhana.deposit.cip_block import CipFontMissing
from kitabkhana.deposit.forms import (
    CipRecordForm,
    CipRequestForm,
    DepositForm,
    DepositWithoutCipForm,
    ElectronicDepositForm,
    FileAccessForm,
    FurtherCopiesForm,
    PrefixesForm,
    PublisherProfileForm,
    PublisherSignupForm,
    ReturnForm,
)
from kitabkhana.deposit.models import CipRequest, ElectronicDeposit


def _or_404(fn, **kwargs):
    try:
        return fn(**kwargs)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


def _publisher_or_403(request):
    publisher = selectors.publisher_of(request.user)
    if publisher is None:
        raise PermissionDenied("the publisher portal is for users of a registered publisher")
    return publisher


def _file_response(cip: CipRequest) -> FileResponse:
    if not cip.front_matter:
        raise Http404("no front matter uploaded")
    return FileResponse(cip.front_matter.open("rb"), content_type="application/pdf", as_attachment=True,
                        filename=f"cip-{cip.pk}-front-matter.pdf")


def _block_response(cip: CipRequest, fmt: str) -> HttpResponse:
    try:
        body = _or_404(selectors.cip_block, request=cip, fmt=fmt)
    except CipFontMissing as exc:  # a server without the Noto fonts: say which package, keep the text block
        return HttpResponse(f"{exc}. The text block is available as .txt.", status=503,
                            content_type="text/plain; charset=utf-8")
    content_type = "application/pdf" if fmt == "pdf" else "text/plain; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="cip-{cip.nbn or cip.pk}.{fmt}"'
    return response


def _detail_context(cip: CipRequest) -> dict:
    return {
        "cip": cip, "events": selectors.request_events(cip), "returned_message": selectors.returned_message(cip),
        "expected": selectors.both_calendars(cip.expected_date),
        "isbns": [selectors.isbn_display(n) for n in cip.isbns],
        "receipts": [(r, selectors.both_calendars(r.received_on)) for r in selectors.request_receipts(cip)],
        "claims": [(c, selectors.both_calendars(c.sent_on)) for c in selectors.request_claims(cip)],
        "files": selectors.request_files(cip),
    }


# --- publisher portal --------------------------------------------------------------------------------------


def publisher_signup(request):
    form = PublisherSignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            publisher = services.publisher_signup(**form.service_arguments())
        except ValidationFailed as exc:
            form.add_error(None, str(exc))
        else:
            login(request, publisher.members.get().user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Thank you. The library will review your registration."))
            return redirect("publishers:home")
    return render(request, "deposit/publisher_signup.html", {"form": form},
                  status=400 if request.method == "POST" else 200)


@login_required
def publisher_home(request):
    publisher = _publisher_or_403(request)
    return render(request, "deposit/publisher_home.html", {
        "publisher": publisher, "requests": selectors.publisher_requests(publisher=publisher),
        "prefixes": publisher.isbn_prefixes.all(),
    })


def _request_form_view(request, cip: CipRequest | None):
    publisher = _publisher_or_403(request)
    initial = CipRequestForm.initial_from(cip) if cip else None
    form = CipRequestForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        arguments = form.service_arguments()
        try:
            if cip is None:
                cip = services.cip_request_create(publisher=publisher, user=request.user, **arguments)
            else:
                cip = services.cip_request_update(request=cip, user=request.user, **arguments)
        except ValidationFailed as exc:
            for message in exc.messages or [str(exc)]:
                form.add_error(None, message)
        else:
            return redirect("publishers:request", request_id=cip.pk)
    return render(request, "deposit/request_form.html", {"form": form, "cip": cip, "publisher": publisher},
                  status=400 if request.method == "POST" else 200)


@login_required
def request_new(request):
    return _request_form_view(request, None)


@login_required
def request_edit(request, request_id: int):
    return _request_form_view(request, _or_404(selectors.publisher_request_get, user=request.user,
                                               request_id=request_id))


@login_required
def request_detail(request, request_id: int):
    cip = _or_404(selectors.publisher_request_get, user=request.user, request_id=request_id)
    upload = ElectronicDepositForm() if cip.status in (CipRequest.Status.APPROVED, CipRequest.Status.DEPOSITED) else None
    return render(request, "deposit/publisher_request.html", {**_detail_context(cip), "file_upload": upload})


@login_required
@require_POST
def request_submit(request, request_id: int):
    cip = _or_404(selectors.publisher_request_get, user=request.user, request_id=request_id)
    try:
        services.cip_request_submit(request=cip, user=request.user)
    except ValidationFailed as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Submitted to the library."))
    return redirect("publishers:request", request_id=cip.pk)


@login_required
def request_front_matter(request, request_id: int):
    return _file_response(_or_404(selectors.publisher_request_get, user=request.user, request_id=request_id))


@login_required
def request_block(request, request_id: int, fmt: str):
    return _block_response(_or_404(selectors.publisher_request_get, user=request.user, request_id=request_id), fmt)


@login_required
@require_POST
def request_file_upload(request, request_id: int):
    cip = _or_404(selectors.publisher_request_get, user=request.user, request_id=request_id)
    form = ElectronicDepositForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        return redirect("publishers:request", request_id=cip.pk)
    try:
        services.electronic_deposit_upload(request=cip, upload=form.cleaned_data["file"], user=request.user,
                                           published_on=form.cleaned_data["published_on"])
    except ValidationFailed as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The file is deposited."))
    return redirect("publishers:request", request_id=cip.pk)


@login_required
def publisher_profile(request):
    publisher = _publisher_or_403(request)
    form = PublisherProfileForm(request.POST or None, initial=PublisherProfileForm.initial_from(publisher))
    if request.method == "POST" and form.is_valid():
        try:
            services.publisher_update(publisher=publisher, user=request.user, **form.service_arguments())
        except ValidationFailed as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Your details are saved."))
            return redirect("publishers:home")
    return render(request, "deposit/publisher_profile.html", {"form": form, "publisher": publisher},
                  status=400 if request.method == "POST" else 200)


# --- everyone: deposited files under their access rule -------------------------------------------------------


def file_read(request, file_id: int):
    """A deposited PDF or EPUB, for whoever its access rule admits; every reading but the publisher's is logged."""
    ip = request.META.get("REMOTE_ADDR")
    deposit = _or_404(selectors.electronic_deposit_readable, user=request.user, file_id=file_id, ip=ip)
    services.electronic_deposit_read_log(deposit=deposit, user=request.user, ip=ip)
    response = FileResponse(deposit.file.open("rb"), content_type=deposit.media_type,
                            filename=deposit.original_name, as_attachment=request.GET.get("download") == "1")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- staff: the CIP queue --------------------------------------------------------------------------------


@cataloguer_required
def queue(request):
    return render(request, "deposit/queue.html", {
        "queue": selectors.cip_queue(user=request.user), "mine": selectors.cip_queue(user=request.user, mine=True),
        "can_approve_publishers": selectors.can_approve_publishers(request.user),
    })


@cataloguer_required
def staff_request(request, request_id: int):
    cip = _or_404(selectors.staff_request_get, user=request.user, request_id=request_id)
    record_form = CipRecordForm(initial={
        "subjects": "\n".join(cip.subjects), "classification": cip.classification,
        "classification_scheme": cip.classification_scheme or "ddc",
    })
    return render(request, "deposit/staff_request.html", {
        **_detail_context(cip), "record_form": record_form, "return_form": ReturnForm(),
        "access_choices": ElectronicDeposit.Access.choices,
        "deposit_form": DepositForm(), "copies_due": selectors.copies_due(cip),
        "copies_owed": selectors.copies_owed(cip) if cip.status == CipRequest.Status.DEPOSITED else [],
    })


def _staff_action(request, request_id: int, action, done: str, **arguments):
    cip = _or_404(selectors.staff_request_get, user=request.user, request_id=request_id)
    try:
        action(request=cip, user=request.user, **arguments)
    except ValidationFailed as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect("cip:request", request_id=cip.pk)


@cataloguer_required
@require_POST
def staff_assign(request, request_id: int):
    return _staff_action(request, request_id, services.cip_request_assign, _("Assigned to you."))


@cataloguer_required
@require_POST
def staff_record(request, request_id: int):
    form = CipRecordForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        return redirect("cip:request", request_id=request_id)
    return _staff_action(request, request_id, services.cip_record_save, _("Record saved."), **form.cleaned_data)


@cataloguer_required
@require_POST
def staff_return(request, request_id: int):
    form = ReturnForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say what the publisher should correct."))
        return redirect("cip:request", request_id=request_id)
    return _staff_action(request, request_id, services.cip_request_return, _("Returned to the publisher."),
                         message=form.cleaned_data["message"])


@cataloguer_required
@require_POST
def staff_approve(request, request_id: int):
    return _staff_action(request, request_id, services.cip_request_approve, _("Approved."))


@cataloguer_required
@require_POST
def staff_deposit(request, request_id: int):
    form = DepositForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        return redirect("cip:request", request_id=request_id)
    return _staff_action(request, request_id, services.deposit_receive, _("Deposit registered."),
                         **form.cleaned_data)


@cataloguer_required
def staff_front_matter(request, request_id: int):
    return _file_response(_or_404(selectors.staff_request_get, user=request.user, request_id=request_id))


@cataloguer_required
def staff_block(request, request_id: int, fmt: str):
    return _block_response(_or_404(selectors.staff_request_get, user=request.user, request_id=request_id), fmt)


@cataloguer_required
def publishers_pending(request):
    if not selectors.can_approve_publishers(request.user):
        raise PermissionDenied("approving publishers needs a supervisor or administrator role")
    return render(request, "deposit/publishers_pending.html", {
        "publishers": selectors.publishers_pending(), "all_publishers": selectors.publishers_all()})


@cataloguer_required
@require_POST
def publisher_decide(request, publisher_id: int):
    publisher = _or_404(selectors.publisher_get, publisher_id=publisher_id)
    try:
        services.publisher_decide(publisher=publisher, user=request.user, approve=request.POST.get("decision") != "suspend",
                                  message=request.POST.get("message", ""))
    except ValidationFailed as exc:
        raise PermissionDenied(str(exc)) from exc
    messages.success(request, _("Decision recorded."))
    return redirect("cip:publishers")


@cataloguer_required
@require_POST
def staff_file_access(request, file_id: int):
    deposit = _or_404(selectors.electronic_deposit_readable, user=request.user, file_id=file_id, ip=None)
    form = FileAccessForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose who may read the file."))
    else:
        try:
            services.electronic_deposit_access_set(deposit=deposit, user=request.user,
                                                   access=form.cleaned_data["access"])
        except ValidationFailed as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Access rule saved."))
    if deposit.request_id:
        return redirect("cip:request", request_id=deposit.request_id)
    return redirect("cip:queue")


@cataloguer_required
def staff_deposit_without_cip(request):
    """A title that arrives without CIP: the record is made at full level with its number, then the copies."""
    form = DepositWithoutCipForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        arguments = dict(form.cleaned_data)
        try:
            receipts = services.deposit_receive_without_cip(user=request.user, **arguments)
        except ValidationFailed as exc:
            for message in exc.messages or [str(exc)]:
                form.add_error(None, message)
        else:
            messages.success(request, _("Deposit registered."))
            return redirect("opac:record", record_id=receipts[0].record_id)
    return render(request, "deposit/deposit_without_cip.html", {"form": form, "further_form": FurtherCopiesForm()},
                  status=400 if request.method == "POST" else 200)


@cataloguer_required
def staff_deposit_further(request):
    form = FurtherCopiesForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.deposit_receive_further(record_id=form.cleaned_data["record_id"],
                                             copies=form.cleaned_data["copies"], user=request.user)
        except ValidationFailed as exc:
            for message in exc.messages or [str(exc)]:
                form.add_error(None, message)
        else:
            messages.success(request, _("Deposit registered."))
            return redirect("opac:record", record_id=form.cleaned_data["record_id"])
    return render(request, "deposit/deposit_without_cip.html", {"form": DepositWithoutCipForm(),
                                                                 "further_form": form},
                  status=400 if request.method == "POST" else 200)


@cataloguer_required
def staff_publisher(request, publisher_id: int):
    """A publisher's details, prefixes, requests and history; supervisors correct details and prefixes here."""
    if not selectors.can_approve_publishers(request.user):
        raise PermissionDenied("managing publishers needs a supervisor or administrator role")
    publisher = _or_404(selectors.publisher_get, publisher_id=publisher_id)
    profile = PublisherProfileForm(request.POST if request.POST.get("form") == "profile" else None,
                                   initial=PublisherProfileForm.initial_from(publisher), prefix="profile")
    prefixes = PrefixesForm(request.POST if request.POST.get("form") == "prefixes" else None,
                            initial={"prefixes": "\n".join(p.display for p in publisher.isbn_prefixes.all())},
                            prefix="prefixes")
    if request.method == "POST":
        try:
            if profile.is_bound and profile.is_valid():
                services.publisher_update(publisher=publisher, user=request.user, **profile.service_arguments())
            elif prefixes.is_bound and prefixes.is_valid():
                services.publisher_prefixes_set(publisher=publisher, user=request.user,
                                                prefixes=prefixes.cleaned_data["prefixes"])
            else:
                raise ValidationFailed(_("Nothing was saved; check the form."))
        except ValidationFailed as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Saved."))
            return redirect("cip:publisher", publisher_id=publisher.pk)
    return render(request, "deposit/staff_publisher.html", {
        "publisher": publisher, "profile_form": profile, "prefixes_form": prefixes,
        "requests": selectors.publisher_requests(publisher=publisher),
        "events": selectors.publisher_events(publisher),
    })
