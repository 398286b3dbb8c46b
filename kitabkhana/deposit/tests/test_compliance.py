"""Legal-deposit compliance: exact figures per publisher, month and period, the CSV export, access, the charts.

Two publishers with titles published across Farvardin–Khordad 1405, built with the real services: deposited on
time, late, missing (claimed), pending, a draft never submitted, one still in review, one deposit without CIP,
titles on both sides of 1 Farvardin 1405, and one request in the Isfahan centre's queue.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from stdnum import ean

from kitabkhana.deposit import compliance_charts, services
from kitabkhana.deposit.compliance import GREGORIAN, SOLAR, Period, compliance_report, outcome
from kitabkhana.deposit.models import CipEvent, Claim
from kitabkhana.deposit.report_forms import ComplianceForm
from kitabkhana.deposit.tests.conftest import approved_request

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 8, 1)
NEY = "9789645620"  # the publisher fixture's prefix (978-964-5620)
OTHER = "9786005"  # the other publisher's (978-600-5)


@pytest.fixture(autouse=True)
def deposit_settings(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.KITABKHANA = {**settings.KITABKHANA, "DEPOSIT_GRACE_DAYS": 60, "DEPOSIT_CLAIM_INTERVAL_DAYS": 30}


def _isbn(prefix: str, n: int) -> str:
    body = prefix + str(n).zfill(12 - len(prefix))
    return body + ean.calc_check_digit(body)


def _submitted_on(cip, day: dt.date) -> None:
    # The services stamp the submission with the real clock; the test moves it to the day the story needs.
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
    CipEvent.objects.filter(request=cip, action=CipEvent.Action.SUBMIT).update(at=moment)


def _deposit(cip, cataloguer, institution, *, published_on: dt.date, received_on: dt.date, barcode: str) -> None:
    services.deposit_receive(request=cip, pages=200, dimensions="21 cm", published_on=published_on,
                             received_on=received_on, user=cataloguer,
                             copies=[{"barcode": barcode, "institution": institution.code}])


@pytest.fixture
def titles(publisher, publisher_user, other_publisher, cataloguer_nl, cataloguer_isf, provincial, national,
           request_fields):
    """The story (today 2026-08-01, grace 60 days); comments give the publication date in Solar Hijri."""
    other_user = other_publisher.members.get().user

    def title(pub, user, n, expected, submitted, cataloguer=cataloguer_nl, institution=None):
        prefix = NEY if pub == publisher else OTHER
        fields = {**request_fields, "title": f"Title {n}", "isbns": [_isbn(prefix, n)], "expected_date": expected}
        cip = approved_request(pub, user, cataloguer, fields, institution=institution)
        _submitted_on(cip, submitted)
        return cip

    t = {}
    # Nashr-e Ney.
    t["a1"] = title(publisher, publisher_user, 31, dt.date(2026, 5, 10), dt.date(2026, 4, 1))
    _deposit(t["a1"], cataloguer_nl, national, published_on=dt.date(2026, 5, 12),  # 1405-02-22
             received_on=dt.date(2026, 5, 20), barcode="A1")  # on time
    t["a2"] = title(publisher, publisher_user, 32, dt.date(2026, 4, 25), dt.date(2026, 3, 25))
    _deposit(t["a2"], cataloguer_nl, national, published_on=dt.date(2026, 4, 25),  # 1405-02-05
             received_on=dt.date(2026, 7, 30), barcode="A2")  # late: the grace ended 2026-06-24
    t["a3"] = title(publisher, publisher_user, 33, dt.date(2026, 5, 25), dt.date(2026, 4, 22))  # 1405-03-04, missing
    t["a4"] = title(publisher, publisher_user, 34, dt.date(2026, 6, 10), dt.date(2026, 5, 1))  # 1405-03-20, pending
    draft = services.cip_request_create(publisher=publisher, user=publisher_user, **{
        **request_fields, "title": "Draft", "isbns": [_isbn(NEY, 35)], "expected_date": dt.date(2026, 5, 1)})
    t["draft"] = draft  # never submitted: counts nowhere
    in_review = services.cip_request_create(publisher=publisher, user=publisher_user, **{
        **request_fields, "title": "In review", "isbns": [_isbn(NEY, 36)], "expected_date": dt.date(2026, 7, 1)})
    services.cip_request_submit(request=in_review, user=publisher_user)
    services.cip_request_assign(request=in_review, user=cataloguer_nl)
    _submitted_on(in_review, dt.date(2026, 5, 30))
    t["a6"] = in_review  # requested (Khordad), not due: never approved
    # Published on 1405-01-01, submitted on 1404-12-29: due in 1405, requested in 1404.
    t["a7"] = title(publisher, publisher_user, 37, dt.date(2026, 3, 21), dt.date(2026, 3, 20))
    _deposit(t["a7"], cataloguer_nl, national, published_on=dt.date(2026, 3, 21), received_on=dt.date(2026, 4, 1),
             barcode="A7")
    # Expected in 1404, actually published 1405-01-16: the date on the copy in hand wins.
    t["a8"] = title(publisher, publisher_user, 38, dt.date(2026, 3, 10), dt.date(2026, 2, 1))
    _deposit(t["a8"], cataloguer_nl, national, published_on=dt.date(2026, 4, 5), received_on=dt.date(2026, 4, 10),
             barcode="A8")
    # In the Isfahan centre's queue: expected 1405-02-25, missing (the grace ended 2026-07-14).
    t["c1"] = title(publisher, publisher_user, 39, dt.date(2026, 5, 15), dt.date(2026, 4, 15),
                    cataloguer=cataloguer_isf, institution=provincial)
    # Other House (no e-mail address: never claimed).
    t["b1"] = title(other_publisher, other_user, 1, dt.date(2026, 5, 1), dt.date(2026, 4, 10))
    _deposit(t["b1"], cataloguer_nl, national, published_on=dt.date(2026, 5, 1),  # 1405-02-11
             received_on=dt.date(2026, 6, 30), barcode="B1")  # on the last day of grace: on time
    t["b2"] = title(other_publisher, other_user, 2, dt.date(2026, 6, 1), dt.date(2026, 5, 1))
    # ^ 1405-03-11; the grace ended 2026-07-31, the day before TODAY: missing.
    t["b3"] = title(other_publisher, other_user, 3, dt.date(2026, 3, 20), dt.date(2026, 3, 1))
    _deposit(t["b3"], cataloguer_nl, national, published_on=dt.date(2026, 3, 20),  # 1404-12-29: in 1404
             received_on=dt.date(2026, 3, 25), barcode="B3")
    t["b4"] = title(other_publisher, other_user, 4, dt.date(2026, 6, 5), dt.date(2026, 5, 10))
    _deposit(t["b4"], cataloguer_nl, national, published_on=dt.date(2026, 6, 5),  # 1405-03-15
             received_on=dt.date(2026, 6, 20), barcode="B4")
    # A title that never had CIP, two copies received 2026-05-05 (1405-02-15): one title.
    services.deposit_receive_without_cip(
        publisher=other_publisher, title="Without CIP", isbns=[_isbn(OTHER, 5)], pages=90, dimensions="20 cm",
        published_on=dt.date(2026, 4, 20), user=cataloguer_nl, received_on=dt.date(2026, 5, 5),
        copies=[{"barcode": "W1", "institution": national.code}, {"barcode": "W2", "institution": national.code}])
    # The claim run of 2026-07-25 (1405-05-03) claims a3 and c1; a4 is within grace, b2 has no e-mail address.
    claims = services.claims_send(today=dt.date(2026, 7, 25))
    assert sorted(c.request_id for c in claims) == sorted([t["a3"].pk, t["c1"].pk])
    return t


def _figures(row) -> dict:
    return {name: getattr(row, name) for name in ("requested", "due", "on_time", "late", "missing", "pending",
                                                   "without_cip", "claims")}


def test_solar_year_per_publisher_and_total(titles, publisher, other_publisher):
    report = compliance_report(period=Period.solar_year(1405), today=TODAY, language="en")
    assert [(r.publisher_id, r.name) for r in report.rows] == [(publisher.pk, "Nashr-e Ney"),
                                                               (other_publisher.pk, "Other House")]
    ney, other = report.rows
    assert _figures(ney) == {"requested": 6, "due": 7, "on_time": 3, "late": 1, "missing": 2, "pending": 1,
                             "without_cip": 0, "claims": 2}
    assert _figures(other) == {"requested": 3, "due": 3, "on_time": 2, "late": 0, "missing": 1, "pending": 0,
                               "without_cip": 1, "claims": 0}
    assert _figures(report.total) == {"requested": 9, "due": 10, "on_time": 5, "late": 1, "missing": 3, "pending": 1,
                                      "without_cip": 1, "claims": 2}
    assert ney.rate == 3 / 6 and other.rate_percent == "66.7" and report.total.rate_percent == "55.6"
    assert report.grace_days == 60 and report.today == TODAY
    # Names in the reader's language.
    assert [r.name for r in compliance_report(period=Period.solar_year(1405), today=TODAY, language="fa").rows] \
        == ["Other House", "نشر نی"]


def test_monthly_series_follows_solar_hijri_months(titles):
    report = compliance_report(period=Period.solar_year(1405), today=TODAY, language="en")
    assert [m.month.label for m in report.months] == [f"1405-{n:02d}" for n in range(1, 13)]
    assert report.months[0].month.name == "Farvardin 1405"
    assert (report.months[0].month.start, report.months[-1].month.end) == (dt.date(2026, 3, 21), dt.date(2027, 3, 20))
    farvardin, ordibehesht, khordad, tir, mordad = report.months[:5]
    assert _figures(farvardin) == {"requested": 4, "due": 2, "on_time": 2, "late": 0, "missing": 0, "pending": 0,
                                   "without_cip": 0, "claims": 0}
    assert _figures(ordibehesht) == {"requested": 4, "due": 4, "on_time": 2, "late": 1, "missing": 1, "pending": 0,
                                     "without_cip": 1, "claims": 0}
    assert _figures(khordad) == {"requested": 1, "due": 4, "on_time": 1, "late": 0, "missing": 2, "pending": 1,
                                 "without_cip": 0, "claims": 0}
    assert _figures(tir)["due"] == 0 and _figures(mordad)["claims"] == 2
    assert sum(m.due for m in report.months) == report.total.due


def test_solar_year_boundary_1_farvardin(titles, other_publisher):
    """A title published 1405-01-01 counts in 1405, one published 1404-12-29 in 1404; submissions likewise."""
    year_1404 = compliance_report(period=Period.solar_year(1404), today=TODAY, language="en")
    assert Period.solar_year(1404).end == dt.date(2026, 3, 20)
    # Due in 1404: only b3 (1404-12-29); a7 (1405-01-01) and a8 (expected in 1404, published in 1405) are not.
    assert _figures(year_1404.total) == {"requested": 3, "due": 1, "on_time": 1, "late": 0, "missing": 0,
                                         "pending": 0, "without_cip": 0, "claims": 0}
    assert [(r.publisher_id, r.due) for r in year_1404.rows if r.due] == [(other_publisher.pk, 1)]
    farvardin = compliance_report(period=Period.solar_month(1405, 1), today=TODAY)
    assert farvardin.total.due == 2 and farvardin.total.on_time == 2  # a7 and a8
    assert [m.month.label for m in farvardin.months] == ["1405-01"]


def test_gregorian_month_and_custom_range(titles):
    may = compliance_report(period=Period.gregorian_month(2026, 5), today=TODAY, language="en")
    # Published in May 2026: a1 (12th), c1 (15th), a3 (25th), b1 (1st); submitted: a4, b2, b4 and the one in review.
    assert _figures(may.total) == {"requested": 4, "due": 4, "on_time": 2, "late": 0, "missing": 2, "pending": 0,
                                   "without_cip": 1, "claims": 0}
    assert [m.month.name for m in may.months] == ["May 2026"]
    # A range counted in Solar Hijri months: 2026-04-30 to 2026-05-31 touches Ordibehesht and Khordad only.
    period = Period.custom(dt.date(2026, 4, 30), dt.date(2026, 5, 31), calendar=SOLAR)
    report = compliance_report(period=period, today=TODAY)
    assert [(m.month.label, m.month.start, m.month.end) for m in report.months] == [
        ("1405-02", dt.date(2026, 4, 30), dt.date(2026, 5, 21)), ("1405-03", dt.date(2026, 5, 22), dt.date(2026, 5, 31))]
    assert [m.due for m in report.months] == [3, 1]  # a1, c1 and b1; a3 (a2, 04-25, is outside)


def test_filters_by_publisher_and_receiving_institution(titles, publisher, other_publisher, provincial):
    only_other = compliance_report(period=Period.solar_year(1405), today=TODAY, publisher=other_publisher)
    assert [r.publisher_id for r in only_other.rows] == [other_publisher.pk]
    assert _figures(only_other.total) == _figures(only_other.rows[0]) and only_other.total.due == 3
    isfahan = compliance_report(period=Period.solar_year(1405), today=TODAY, institution=provincial)
    assert [r.publisher_id for r in isfahan.rows] == [publisher.pk]
    assert _figures(isfahan.total) == {"requested": 1, "due": 1, "on_time": 0, "late": 0, "missing": 1, "pending": 0,
                                       "without_cip": 0, "claims": 1}
    # A publisher with nothing in the period still gets its (empty) row.
    empty = compliance_report(period=Period.solar_year(1400), today=TODAY, publisher=publisher)
    assert [(r.publisher_id, r.due, r.rate) for r in empty.rows] == [(publisher.pk, 0, None)]


def test_the_report_takes_a_bounded_number_of_queries(titles, django_assert_max_num_queries, publisher_user,
                                                      cataloguer_nl):
    # Submissions, titles due, deposits without CIP, claims, publisher names: five, however many publishers.
    with django_assert_max_num_queries(5):
        compliance_report(period=Period.solar_year(1405), today=TODAY)
    staff = Client()
    staff.force_login(cataloguer_nl)
    with django_assert_max_num_queries(12):
        assert staff.get(reverse("deposit-reports:compliance"), {"year": "1405"}).status_code == 200
    with django_assert_max_num_queries(9):
        assert staff.get(reverse("deposit-reports:compliance-csv"), {"year": "1405"}).status_code == 200


def _csv(response) -> list[list[str]]:
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_csv_export(titles, cataloguer_nl, publisher, other_publisher, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)
    staff = Client()
    staff.force_login(cataloguer_nl)
    response = staff.get(reverse("deposit-reports:compliance-csv"), {"period": "year", "calendar": "solar",
                                                                     "year": "1405"})
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="deposit-compliance-1405.csv"' in response["Content-Disposition"]
    assert _csv(response) == [
        ["Publisher ID", "Publisher", "Requested", "Published (due)", "Deposited on time", "Late", "Missing",
         "Pending", "Compliance rate (%)", "Deposits without CIP", "Claims sent"],
        [str(publisher.pk), "Nashr-e Ney", "6", "7", "3", "1", "2", "1", "50.0", "0", "2"],
        [str(other_publisher.pk), "Other House", "3", "3", "2", "0", "1", "0", "66.7", "1", "0"],
        ["", "Total", "9", "10", "5", "1", "3", "1", "55.6", "1", "2"],
    ]
    # In Persian: the publisher's Persian name survives the round trip through UTF-8.
    staff.cookies["django_language"] = "fa"
    rows = _csv(staff.get(reverse("deposit-reports:compliance-csv"), {"year": "۱۴۰۵", "publisher": publisher.pk},
                          HTTP_ACCEPT_LANGUAGE="fa"))
    assert [row[1] for row in rows[1:]][0] == "نشر نی" and len(rows) == 3


def test_csv_cells_that_would_be_formulas_are_quoted():
    from kitabkhana.deposit.compliance import ComplianceReport, Counts, PublisherRow, csv_rows

    row = PublisherRow(publisher_id=7, name='=HYPERLINK("http://example.org")', due=1, missing=1)
    report = ComplianceReport(period=Period.solar_year(1405), today=TODAY, grace_days=60, rows=[row], total=Counts(),
                              months=[])
    first, total = csv_rows(report, total_label="Total")
    assert first[:2] == [7, '\'=HYPERLINK("http://example.org")'] and first[8] == "0.0"
    assert total[:2] == ["", "Total"] and total[8] == ""


def test_only_signed_in_staff_see_the_reports(titles, client, publisher_user, cataloguer_nl, supervisor):
    for name in ("deposit-reports:compliance", "deposit-reports:compliance-csv"):
        url = reverse(name)
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
        publisher_client = Client()
        publisher_client.force_login(publisher_user)
        assert publisher_client.get(url).status_code == 403
        for user in (cataloguer_nl, supervisor):
            staff = Client()
            staff.force_login(user)
            assert staff.get(url).status_code == 200


def test_dashboard_draws_both_charts_with_their_tables(titles, cataloguer_nl, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)
    staff = Client()
    staff.force_login(cataloguer_nl)
    page = staff.get(reverse("deposit-reports:compliance")).content.decode()  # default: this Solar Hijri year
    assert page.count("<svg class=\"chart\"") == 2 and 'direction="ltr"' in page
    assert "<title id=\"compliance-bars-title\">Titles due per publisher, by outcome</title>" in page
    assert "<desc id=\"compliance-months-desc\">" in page
    assert 'fill="url(#compliance-bars-late)"' in page and "Late (striped)" in page
    assert "<th scope=\"row\">Nashr-e Ney</th><td class=\"n\">6</td><td class=\"n\">7</td>" in page
    assert "Farvardin 1405" in page and "55.6%" in page
    assert "/staff/deposit/compliance.csv" in page
    staff.cookies["django_language"] = "fa"
    page = staff.get(reverse("deposit-reports:compliance"), {"year": "1405"}, HTTP_ACCEPT_LANGUAGE="fa")
    text = page.content.decode()
    assert page.status_code == 200 and 'dir="rtl"' in text and 'direction="rtl"' in text
    assert "نشر نی" in text and "فروردین 1405" in text


def test_bad_periods_are_refused(cataloguer_nl):
    staff = Client()
    staff.force_login(cataloguer_nl)
    response = staff.get(reverse("deposit-reports:compliance"), {"period": "month", "year": "1405", "month": "13"})
    assert response.status_code == 400 and "<svg" not in response.content.decode()
    response = staff.get(reverse("deposit-reports:compliance-csv"),
                         {"period": "range", "from": "1405-07-31", "to": "2026-12-01"})
    assert response.status_code == 400 and b"from" in response.content
    response = staff.get(reverse("deposit-reports:compliance"),
                         {"period": "range", "from": "2026-06-01", "to": "2026-05-01"})
    assert response.status_code == 400 and "The period ends before it starts." in response.content.decode()


def test_the_form_reads_either_calendar_and_persian_digits():
    form = ComplianceForm.from_query({"period": "range", "calendar": "solar", "from": "۱۴۰۵/۰۲/۰۱",
                                      "to": "2026-06-21"}, today=TODAY)
    assert form.is_valid(), form.errors
    period = form.cleaned_data["period_value"]
    assert (period.start, period.end, period.calendar) == (dt.date(2026, 4, 21), dt.date(2026, 6, 21), SOLAR)
    form = ComplianceForm.from_query({"calendar": "gregorian", "period": "month"}, today=TODAY)
    assert form.is_valid() and form.cleaned_data["period_value"] == Period.gregorian_month(2026, 8)
    form = ComplianceForm.from_query({}, today=TODAY)  # nothing chosen: this Solar Hijri year
    assert form.is_valid() and form.cleaned_data["period_value"] == Period.solar_year(1405)


def test_periods_and_outcomes():
    assert (Period.solar_month(1403, 12).start, Period.solar_month(1403, 12).end) == (
        dt.date(2025, 2, 19), dt.date(2025, 3, 20))  # 1403 is a leap year: Esfand has 30 days
    assert Period.gregorian_month(2024, 2).end == dt.date(2024, 2, 29)
    assert Period.gregorian_year(2026).calendar == GREGORIAN and len(Period.gregorian_year(2026).months()) == 12
    assert len(Period.solar_year(1405).months()) == 12 and dt.date(2026, 3, 21) in Period.solar_year(1405)
    with pytest.raises(ValueError, match="ends"):
        Period.custom(dt.date(2026, 2, 1), dt.date(2026, 1, 1))
    grace = dt.timedelta(days=60)
    day = dt.date(2026, 5, 1)
    assert outcome(due_on=day, first_receipt=dt.date(2026, 6, 30), today=TODAY, grace=grace) == "on_time"
    assert outcome(due_on=day, first_receipt=dt.date(2026, 7, 1), today=TODAY, grace=grace) == "late"
    assert outcome(due_on=day, first_receipt=None, today=dt.date(2026, 7, 1), grace=grace) == "missing"
    assert outcome(due_on=day, first_receipt=None, today=dt.date(2026, 6, 30), grace=grace) == "pending"


def test_charts_mirror_for_right_to_left():
    from kitabkhana.deposit.compliance import PublisherRow

    rows = [PublisherRow(publisher_id=1, name="A", due=4, on_time=2, late=1, missing=1),
            PublisherRow(publisher_id=2, name="B", due=1, pending=1), PublisherRow(publisher_id=3, name="C")]
    ltr, rtl = compliance_charts.bar_chart(rows), compliance_charts.bar_chart(rows, rtl=True)
    assert [b.label for b in ltr.bars] == ["A", "B"]  # nothing due, no bar
    first_ltr, first_rtl = ltr.bars[0].segments[0], rtl.bars[0].segments[0]
    assert first_ltr.outcome == "on_time" and first_ltr.x == 208  # just after the names
    assert first_rtl.x + first_rtl.width == compliance_charts.WIDTH - 208  # just before the names, on the right
    assert rtl.bars[0].label_x > compliance_charts.WIDTH / 2 > ltr.bars[0].label_x
    assert rtl.direction == "rtl" and ltr.direction == "ltr"


def test_claims_are_counted_in_the_month_they_were_sent(titles):
    assert set(Claim.objects.values_list("sent_on", flat=True)) == {dt.date(2026, 7, 25)}
    mordad = compliance_report(period=Period.solar_month(1405, 5), today=TODAY)
    assert mordad.total.claims == 2 and mordad.total.due == 0
