"""Staff reports on legal deposit: the compliance dashboard and its CSV export (thin: parse, read, render).

Both pages take the same GET parameters (report_forms.ComplianceForm) and are for signed-in staff only:
anonymous users go to sign-in, publishers and readers get 403, as on the CIP queue.
"""

from __future__ import annotations

import csv

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language_bidi
from django.utils.translation import gettext as _

from kitabkhana.accounts.decorators import cataloguer_required
from kitabkhana.deposit import compliance, compliance_charts
from kitabkhana.deposit.report_forms import ComplianceForm


def _csv_headers() -> dict[str, str]:
    return {
        "publisher_id": _("Publisher ID"), "publisher": _("Publisher"), "requested": _("Requested"),
        "published": _("Published (due)"), "on_time": _("Deposited on time"), "late": _("Late"),
        "missing": _("Missing"), "pending": _("Pending"), "compliance_rate": _("Compliance rate (%)"),
        "without_cip": _("Deposits without CIP"), "claims": _("Claims sent"),
    }


@cataloguer_required
def compliance_dashboard(request):
    form = ComplianceForm.from_query(request.GET)
    if not form.is_valid():
        return render(request, "deposit/compliance.html", {"form": form}, status=400)
    report = compliance.compliance_report(**form.report_arguments())
    rtl = get_language_bidi()
    query = request.GET.urlencode()
    return render(request, "deposit/compliance.html", {
        "form": form, "report": report, "outcomes": compliance.OUTCOMES,
        "bar_chart": compliance_charts.bar_chart(report.rows, rtl=rtl),
        "column_chart": compliance_charts.column_chart(report.months, rtl=rtl),
        "csv_url": reverse("deposit-reports:compliance-csv") + (f"?{query}" if query else ""),
    })


@cataloguer_required
def compliance_csv(request):
    form = ComplianceForm.from_query(request.GET)
    if not form.is_valid():
        errors = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in form.errors.items())
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    report = compliance.compliance_report(**form.report_arguments())
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="deposit-compliance-{report.period.label}.csv"'
    # A byte-order mark: without it Excel reads UTF-8 as the local code page and Persian names come out garbled.
    response.write("\ufeff")
    writer = csv.writer(response)
    headers = _csv_headers()
    writer.writerow([headers[column] for column, _attribute in compliance.CSV_COLUMNS])
    writer.writerows(compliance.csv_rows(report, total_label=_("Total")))
    return response

