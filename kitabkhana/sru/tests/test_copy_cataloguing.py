"""Copy cataloguing end to end against our own /sru (a real SRU server over HTTP): search, diagnostics,
import with the UNIMARC → MARC 21 crosswalk, provenance, and the staff page."""

from __future__ import annotations

import pytest

from kitabkhana.accounts.models import Role
from kitabkhana.accounts.services import institution_create, staff_user_create
from kitabkhana.catalogue.models import Record
from kitabkhana.catalogue.selectors import record_marc
from kitabkhana.core.errors import ValidationFailed
from kitabkhana.marc.crosswalk import unimarc_to_marc21
from kitabkhana.sru.models import SruTarget
from kitabkhana.sru.selectors import copy_search, simple_terms_to_cql
from kitabkhana.sru.services import copy_record_import

pytestmark = [pytest.mark.shared_data]


@pytest.fixture
def setting(live_server, catalogue):
    province = institution_create(code="prov-isf", name="Isfahan provincial centre", kind="provincial")
    unimarc = SruTarget.objects.create(name="Network UNIMARC", url=f"{live_server.url}/sru", version="2.0",
                                       record_schema="unimarc", flavour="unimarc")
    marc21 = SruTarget.objects.create(name="Network MARC 21", url=f"{live_server.url}/sru", version="1.2",
                                      record_schema="marcxml", flavour="marc21")
    return province, unimarc, marc21


@pytest.mark.django_db(transaction=True)
def test_search_and_import_a_unimarc_copy_as_marc_21(setting):
    province, unimarc, _ = setting
    query = 'dc.title all "туризм история"'
    found = copy_search(target=unimarc, query=query)
    assert found.total == 1 and found.diagnostics == []
    hit = found.hits[0]
    assert hit.flavour == "unimarc" and hit.summary.title.startswith("Туризм: история и современность")
    source = Record.objects.get(title__startswith="Туризм: история и современность")
    assert hit.control_number == record_marc(source)["001"].data

    before = Record.objects.count()
    done = copy_record_import(target=unimarc, query=query, position=1, control_number=hit.control_number,
                              institution=province)
    assert Record.objects.count() == before + 1
    copy = done.record
    assert copy.flavour == "marc21" and copy.institution == province
    marc = record_marc(copy)
    assert marc["001"].data == hit.control_number  # the source's control number is kept
    assert marc["245"]["a"].startswith("Туризм")
    assert copy.versions.get(version=1).note == "copy catalogued from Network UNIMARC"
    # What the crosswalk could not carry is reported, exactly as the crosswalk states it.
    assert done.losses == unimarc_to_marc21(hit.record).losses

    with pytest.raises(ValidationFailed, match="different record at position 1"):
        copy_record_import(target=unimarc, query=query, position=1, control_number="something else",
                           institution=province)


@pytest.mark.django_db(transaction=True)
def test_marc_21_copies_over_sru_1_2_and_diagnostics_shown(setting):
    province, _, marc21 = setting
    found = copy_search(target=marc21, query=simple_terms_to_cql("دیوان مولانا کمال"))
    assert found.total == 1
    assert found.hits[0].flavour == "marc21" and found.hits[0].summary.title_original == "ديوان مولانا كمال"
    done = copy_record_import(target=marc21, query=found.query, position=1,
                              control_number=found.hits[0].control_number, institution=province)
    assert done.losses == [] and done.record.title_original == "ديوان مولانا كمال"

    refused = copy_search(target=marc21, query="a prox b")
    assert refused.total == 0 and refused.hits == []
    assert refused.diagnostics == [
        "Proximity not supported: prox is not supported; the index keeps no word distances across fields "
        "(diagnostic 39, prox)"
    ]


@pytest.mark.django_db(transaction=True)
def test_staff_page_searches_imports_and_redirects_to_the_record(setting, client):
    province, unimarc, _ = setting
    user = staff_user_create(username="cat", password="a-long-password-1", institution=province,
                             role=Role.CATALOGUER)
    assert client.get("/staff/sru/").status_code == 302  # sign-in first
    client.force_login(user)
    page = client.get("/staff/sru/", {"target": unimarc.pk, "q": "туризм история", "mode": "words"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Туризм: история и современность" in text and 'name="position" value="1"' in text
    bad = client.get("/staff/sru/", {"target": unimarc.pk, "q": "title=(", "mode": "cql"})
    assert "diagnostic 13" in bad.content.decode()

    hit = copy_search(target=unimarc, query=simple_terms_to_cql("туризм история")).hits[0]
    response = client.post("/staff/sru/import/", {
        "target": unimarc.pk, "query": simple_terms_to_cql("туризм история"), "position": 1,
        "control_number": hit.control_number,
    }, follow=True)
    copy = Record.objects.filter(institution=province).get()
    assert response.redirect_chain[-1][0] == f"/staff/records/{copy.pk}/edit/"
    shown = [str(m) for m in response.context["messages"]]
    assert shown[0] == f"Record {copy.pk} copied from Network UNIMARC."
    assert len(shown) == 1 + len(unimarc_to_marc21(hit.record).losses)
