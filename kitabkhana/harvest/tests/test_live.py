"""Kitabkhana harvesting Kitabkhana: this instance's own /oai (live server), and a second instance in a subprocess.

These go through every layer for real: the OAI-PMH provider writes MARCXML (marc21) or MarcXchange
(unimarc) from the stored records, the harvester reads it back over HTTP into another institution, and
the records that come out equal the records that went in.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kitabkhana.accounts.services import institution_create, institution_default
from kitabkhana.catalogue.models import Record
from kitabkhana.catalogue.services.importing import marc_file_import
from kitabkhana.catalogue.services.records import record_delete
from kitabkhana.harvest.models import HarvestedRecord
from kitabkhana.harvest.services import harvest_run, harvest_source_create
from kitabkhana.marc.writer import iso2709_to_record

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / "demo"


def fields_of(record: Record) -> list:
    marc = iso2709_to_record(bytes(record.marc))
    return [(f.tag, str(f)) for f in marc.fields if f.tag != "005"]


@pytest.mark.django_db(transaction=True)
def test_harvesting_our_own_oai_copies_an_institution(live_server, settings):
    """MARC 21 and UNIMARC records of the national library, harvested from /oai into a partner, in small pages."""
    settings.KITABKHANA = {**settings.KITABKHANA, "OAI_PAGE_SIZE": 25}
    national = institution_default()
    marc_file_import(path=DEMO / "traject-test_data.utf8.mrc", institution=national)
    marc_file_import(path=DEMO / "rusmarc-nlr-cp1251.iso", institution=national, flavour="unimarc")
    originals = {r.pk: r for r in Record.objects.filter(institution=national, deleted_at__isnull=True)}
    mirror = institution_create(code="MIRROR", name="Mirror", kind="partner")
    url = f"{live_server.url}/oai"

    marc21 = harvest_source_create(code="self-marc21", base_url=url, institution=mirror,
                                   set_spec=f"institution:{national.code}")
    run = harvest_run(source=marc21)
    assert run.status == "done", run.errors
    assert run.pages > 3 and run.records == len(originals)
    marc21_originals = [r for r in originals.values() if r.flavour == "marc21"]
    by_identifier = {h.identifier: h.record for h in HarvestedRecord.objects.filter(source=marc21)
                     .select_related("record")}
    for original in marc21_originals:
        copy = next(r for i, r in by_identifier.items() if i.endswith(f":{original.pk}"))
        assert copy.institution == mirror and copy.flavour == "marc21"
        assert copy.control_key == original.control_key and fields_of(copy) == fields_of(original)

    # Another partner (within one institution, a record matched by 003|001 keeps the flavour it was stored in).
    unimarc_mirror = institution_create(code="MIRROR-U", name="UNIMARC mirror", kind="partner")
    unimarc = harvest_source_create(code="self-unimarc", base_url=url, institution=unimarc_mirror,
                                    metadata_prefix="unimarc",
                                    set_spec=f"institution:{national.code}")
    run = harvest_run(source=unimarc)
    assert run.status == "done", run.errors
    copies = {h.identifier.rsplit(":", 1)[1]: h.record for h in HarvestedRecord.objects.filter(
        source=unimarc, record__isnull=False).select_related("record")}
    unimarc_originals = [r for r in originals.values() if r.flavour == "unimarc"]
    assert unimarc_originals
    for original in unimarc_originals:
        copy = copies[str(original.pk)]
        assert copy.flavour == "unimarc" and fields_of(copy) == fields_of(original)

    # A withdrawal at the provider reaches the partner on the next (incremental) harvest.
    gone = marc21_originals[0]
    record_delete(record=gone, expected_version=gone.version)
    again = harvest_run(source=marc21)
    assert again.status == "done" and again.from_date and again.deleted == 1 and again.new == 0
    mapped = HarvestedRecord.objects.get(source=marc21, identifier__endswith=f":{gone.pk}")
    assert mapped.deleted and mapped.record.deleted_at is not None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _kitabkhana(env: dict, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kitabkhana.cli", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, check=False)


@pytest.fixture
def second_instance(tmp_path):
    """Another Kitabkhana with its own data dir (always its own SQLite, never this test's database), serving /oai."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KITABKHANA_", "DJANGO_"))}
    env.update(KITABKHANA_DATA_DIR=str(tmp_path / "second"), KITABKHANA_TASK_BACKEND="kitabkhana.tasks.backends.InlineTaskBackend")
    for args in (("migrate", "-v0"), ("institution", "add", "RU-NLR", "--name", "National Library of Russia",
                                       "--kind", "partner"),
                 ("import-marc", str(DEMO / "rusmarc-nlr-cp1251.iso"), "--institution", "RU-NLR", "--flavour",
                  "unimarc", "--json"),
                 ("import-marc", str(DEMO / "aco-auc-cairo-150.mrc"), "--json")):
        done = _kitabkhana(env, *args)
        assert done.returncode == 0, done.stderr
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "kitabkhana.cli", "serve", "--port", str(port)], env=env,
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    yield {"url": f"http://127.0.0.1:{port}/oai", "env": env}
    server.terminate()
    server.wait(timeout=10)


@pytest.mark.django_db(transaction=True)
def test_two_instances_harvest_each_other(second_instance, live_server):
    """We harvest the second instance's UNIMARC partner set and its MARC 21 records; it harvests ours back."""
    russian = institution_create(code="RU-NLR", name="National Library of Russia", kind="partner")
    source = harvest_source_create(code="second-nlr", base_url=second_instance["url"], institution=russian,
                                   metadata_prefix="unimarc", set_spec="institution:RU-NLR")
    run = harvest_run(source=source)
    assert run.status == "done" and run.new > 0 and run.rejected == 0, run.errors
    assert Record.objects.filter(institution=russian, flavour="unimarc").count() == run.new

    cairo = institution_create(code="EG-CAIRO", name="AUC Cairo (via the second instance)", kind="partner")
    source = harvest_source_create(code="second-marc", base_url=second_instance["url"], institution=cairo,
                                   set_spec="institution:NL")
    run = harvest_run(source=source)
    assert run.status == "done", run.errors
    assert run.new + run.rejected == run.records and run.new > 100

    # And back: the second instance harvests this one (our RU-NLR copies) with its own CLI.
    env = second_instance["env"]
    done = _kitabkhana(env, "institution", "add", "MIRROR", "--name", "Mirror", "--kind", "partner")
    assert done.returncode == 0, done.stderr
    done = _kitabkhana(env, "harvest-source", "add", "first", "--url", f"{live_server.url}/oai", "--institution",
                       "MIRROR", "--prefix", "unimarc", "--set", "institution:RU-NLR")
    assert done.returncode == 0, done.stderr
    done = _kitabkhana(env, "harvest", "first", "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    ours = Record.objects.filter(institution=russian).count()
    assert summary["status"] == "done" and summary["new"] == ours and summary["rejected"] == 0
