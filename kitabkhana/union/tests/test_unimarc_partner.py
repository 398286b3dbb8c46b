"""A UNIMARC partner's records of books we hold arrive in the MARC 21 catalogue and join our copies.

The partner's catalogue is made from real records: our Arabic-script MARC 21 records (Cairo, with 880
parallel fields) cross-walked to UNIMARC, as a UNIMARC national library would describe the same books
(titles in both scripts under one tag with $7, names in 700/701, 100$a instead of 008). The shared data
holds no real UNIMARC record with a known MARC 21 counterpart (docs/crosswalk.md), hence the crosswalk.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kitabkhana.accounts.models import Institution
from kitabkhana.catalogue.models import Record
from kitabkhana.catalogue.services.importing import marc_file_import
from kitabkhana.marc.crosswalk import CrosswalkError, marc21_to_unimarc
from kitabkhana.marc.reader import read_records
from kitabkhana.marc.writer import to_iso2709

pytestmark = pytest.mark.django_db(transaction=True)
DEMO = Path(__file__).resolve().parents[3] / "demo"
SAMPLE = 40


@pytest.fixture
def partner_file(tmp_path) -> Path:
    out = tmp_path / "partner-unimarc.mrc"
    written = 0
    with open(out, "wb") as fh:
        for result in read_records(DEMO / "aco-auc-cairo-150.mrc"):
            if written == SAMPLE:
                break
            try:
                unimarc = marc21_to_unimarc(result.record).record
            except CrosswalkError:
                continue
            fh.write(to_iso2709(unimarc, flavour="unimarc"))
            written += 1
    assert written == SAMPLE
    return out


def test_unimarc_partner_records_cluster_with_our_marc21_copies(client, partner_file):
    national = Institution.objects.create(code="NL", name="National Library", kind="national")
    partner = Institution.objects.create(code="KZ-NL", name="National Library of Kazakhstan", kind="partner")
    ours = marc_file_import(path=DEMO / "aco-auc-cairo-150.mrc", institution=national)
    theirs = marc_file_import(path=partner_file, institution=partner, flavour="unimarc")
    assert (ours.status, theirs.status, theirs.created, theirs.rejected) == ("done", "done", SAMPLE, 0)

    partner_records = list(Record.objects.filter(institution=partner))
    assert {r.flavour for r in partner_records} == {"unimarc"}
    # Shown in the catalogue like any record: the title derived from the UNIMARC 200.
    assert all(r.title for r in partner_records)

    joined = []
    for record in partner_records:
        # UNIMARC carries the 001 but no 003 (the agency goes to 801), so the 001 finds our copy.
        number = record.control_key.split("|", 1)[1]
        own_copy = Record.objects.filter(institution=national, control_key__endswith=f"|{number}").first()
        if own_copy and record.cluster_id and record.cluster_id == own_copy.cluster_id:
            joined.append(record)
    missed = [(r.control_key, r.title) for r in partner_records if r not in joined]
    assert len(joined) >= 0.95 * SAMPLE, missed

    # The OPAC lists the book once, held by both libraries.
    record = joined[0]
    page = client.get("/search/", {"q": f'title:"{record.title}"'})
    hits = [item for item in page.context["results"] if item["record"].cluster_id == record.cluster_id]
    assert len(hits) == 1
    assert hits[0]["held_by"] == ["National Library", "National Library of Kazakhstan"]
