"""A cluster (one book catalogued by several libraries) is one search result, held by every member's library."""

from __future__ import annotations

from pathlib import Path

import pytest

from kitabkhana.accounts.models import Institution
from kitabkhana.catalogue.models import Cluster, Record
from kitabkhana.catalogue.services.importing import marc_file_import
from kitabkhana.catalogue.services.indexing import records_index

pytestmark = pytest.mark.django_db
DEMO = Path(__file__).resolve().parents[3] / "demo"


@pytest.fixture
def two_libraries():
    national = Institution.objects.create(code="NLI", name="National Library", kind="national",
                                          names={"fa": "کتابخانه ملی"})
    tabriz = Institution.objects.create(code="TBZ", name="Tabriz provincial centre", kind="provincial")
    for institution in (national, tabriz):
        job = marc_file_import(path=DEMO / "rusmarc-nlr-cp1251.iso", institution=institution)
        assert job.status == "done", job.error
    return national, tabriz


def _same_book(national: Institution, tabriz: Institution) -> tuple[Record, Record]:
    ours = Record.objects.filter(institution=national).order_by("pk").first()
    theirs = Record.objects.get(institution=tabriz, control_key=ours.control_key)
    return ours, theirs


def _cluster(*records: Record) -> None:
    """What a staff merge does (kept here so the test does not depend on the matcher's thresholds)."""
    cluster = Cluster.objects.create()
    Record.objects.filter(pk__in=[r.pk for r in records]).update(cluster=cluster)
    records_index(record_ids=[r.pk for r in records])


def test_cluster_is_found_once_and_held_by_both_libraries(client, two_libraries):
    national, tabriz = two_libraries
    ours, theirs = _same_book(national, tabriz)
    _cluster(ours, theirs)
    word = ours.title.split()[0]

    page = client.get("/search/", {"q": f'title:"{ours.title}"'})
    hit_ids = [item["record"].pk for item in page.context["results"]]
    assert ours.pk in hit_ids and theirs.pk not in hit_ids, (word, hit_ids)
    item = next(i for i in page.context["results"] if i["record"].pk == ours.pk)
    assert item["held_by"] == ["National Library", "Tabriz provincial centre"]
    facet = dict(page.context["page"].response.facets["institution"])
    assert facet.get("NLI") and facet.get("TBZ"), facet

    api = client.get("/api/search", {"q": f'title:"{ours.title}"'}).json()
    hit = next(h for h in api["hits"] if h["id"] == ours.pk)
    assert hit["cluster"] is not None and hit["cluster"] == Record.objects.get(pk=theirs.pk).cluster_id
    assert hit["held_by"] == ["NLI", "TBZ"]

    # The member that does not stand for the cluster is still a page of its own, pointing to the other.
    html = client.get(f"/records/{theirs.pk}/").content.decode()
    assert "Held by" in html and "Tabriz provincial centre" in html and "National Library" in html
    assert f'href="/records/{ours.pk}/"' in html
    assert "One description combined from 2 library records." in html


def test_withdrawing_the_cluster_primary_lets_the_other_member_stand_for_it(client, two_libraries):
    from kitabkhana.catalogue.services.records import record_delete

    national, tabriz = two_libraries
    ours, theirs = _same_book(national, tabriz)
    _cluster(ours, theirs)
    record_delete(record=ours, expected_version=ours.version)
    records_index(record_ids=[theirs.pk])

    page = client.get("/search/", {"q": f'title:"{ours.title}"'})
    hit_ids = [item["record"].pk for item in page.context["results"]]
    assert theirs.pk in hit_ids and ours.pk not in hit_ids


def test_held_by_names_follow_the_reader_language(client, two_libraries):
    national, tabriz = two_libraries
    ours, theirs = _same_book(national, tabriz)
    _cluster(ours, theirs)
    page = client.get("/search/", {"q": f'title:"{ours.title}"'}, HTTP_ACCEPT_LANGUAGE="fa")
    item = next(i for i in page.context["results"] if i["record"].pk == ours.pk)
    assert item["held_by"][0] == "کتابخانه ملی"
