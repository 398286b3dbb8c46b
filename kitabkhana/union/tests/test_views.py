"""Staff cluster pages: sign-in required, members shown with why they matched, split and merge forms work."""

from __future__ import annotations

import pytest

from kitabkhana.accounts.models import Institution
from kitabkhana.accounts.services import institution_default
from kitabkhana.catalogue.models import Record
from kitabkhana.catalogue.services.records import record_create
from kitabkhana.union.models import ClusterDecision
from kitabkhana.union.tests.records import book, persian_native, persian_romanised

pytestmark = pytest.mark.django_db



@pytest.fixture
def cluster_id():
    national = Institution.objects.create(code="IrTeNL", name="National Library", kind="national")
    partner = Institution.objects.create(code="NNU", name="Partner", kind="partner")
    native = record_create(marc_record=persian_native(), flavour="marc21", institution=national)
    record_create(marc_record=persian_romanised(), flavour="marc21", institution=partner)
    return Record.objects.get(pk=native.pk).cluster_id


def test_pages_need_sign_in(client, cluster_id):
    response = client.get(f"/staff/union/clusters/{cluster_id}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.post(f"/staff/union/clusters/{cluster_id}/split/").status_code == 302
    assert Record.objects.filter(cluster_id=cluster_id).count() == 2


def test_cluster_page_shows_members_and_reasons(client, cataloguer, cluster_id):
    page = client.get(f"/staff/union/clusters/{cluster_id}/").content.decode()
    assert "تاریخ ادبیات ایران" in page and "Tārīkh-i adabīyāt-i Īrān" in page
    assert "IrTeNL:1001" in page and "NNU:ocm1" in page
    assert "title 1.00" in page  # why the second record joined ...
    assert "ty:trxdbrn|2013" in page  # ... and the blocking key that brought it
    assert client.get("/staff/union/").status_code == 200
    assert client.get("/staff/union/", {"cluster": cluster_id})["Location"] == f"/staff/union/clusters/{cluster_id}/"
    assert client.get("/staff/union/clusters/999999/").status_code == 404


def test_split_form_needs_a_reason_then_splits(client, cataloguer, cluster_id):
    roman = Record.objects.get(cluster_id=cluster_id, institution__code="NNU")
    client.post(f"/staff/union/clusters/{cluster_id}/split/", {"record": [roman.pk], "note": ""})
    assert Record.objects.get(pk=roman.pk).cluster_id == cluster_id  # refused: no reason given
    response = client.post(f"/staff/union/clusters/{cluster_id}/split/", {"record": [roman.pk], "note": "two printings"})
    assert response.status_code == 302
    assert Record.objects.get(pk=roman.pk).cluster_id is None
    assert ClusterDecision.objects.get().decided_by == cataloguer


def test_records_can_be_put_together_from_the_form(client, cataloguer):
    institution = institution_default()
    a = record_create(marc_record=book(control="1", title="Masnavi", author="Rumi", year=1990), flavour="marc21",
                      institution=institution)
    b = record_create(marc_record=book(control="2", title="Mathnawi", author="Jalal al-Din"), flavour="marc21",
                      institution=institution)
    response = client.post("/staff/union/records/decide/", {"record": a.pk, "other": b.pk, "note": "same", "action": "merge"})
    cid = Record.objects.get(pk=a.pk).cluster_id
    assert cid and Record.objects.get(pk=b.pk).cluster_id == cid
    assert response["Location"] == f"/staff/union/clusters/{cid}/"
