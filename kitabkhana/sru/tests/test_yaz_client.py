"""An independent SRU client (YAZ's yaz-client) against the live server: SRU 1.2 and 2.0 GET, search, show."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

pytestmark = [
    pytest.mark.shared_data,
    pytest.mark.skipif(shutil.which("yaz-client") is None,
                       reason="yaz-client is not installed (Debian package yaz; .ci/run installs it)"),
]


def yaz(script: str) -> str:
    done = subprocess.run(["yaz-client"], input=script, capture_output=True, text=True, timeout=60)
    return done.stdout


@pytest.mark.django_db(transaction=True)
def test_yaz_client_searches_and_shows_records_over_sru_1_2_and_2_0(live_server, catalogue):
    base = f"{live_server.url}/sru"
    out = yaz(
        "sru get 1.2\n"
        f"open {base}\n"
        "querytype cql\n"
        "find dc.title=туризм\n"
        "show 1+1\n"
        "sru get 2.0\n"
        f"open {base}\n"
        'find dc.title="دیوان مولانا کمال"\n'
        "show 1+1\n"
        "find title=(\n"
        "quit\n"
    )
    hits = [int(n) for n in re.findall(r"Number of hits: (\d+)", out)]
    # find + show per search (yaz sends a second searchRetrieve to fetch), then the bad query.
    assert hits[:2] == [3, 3] and hits[2:4] == [1, 1] and hits[-1] == 0
    shown = re.findall(r"pos=(\d+) schema=(\S+)\n(<record .*?</record>)", out, re.S)
    assert [(pos, schema) for pos, schema, _ in shown] == [("1", "info:srw/schema/1/marcxml-v1.1")] * 2
    # A UNIMARC (RUSMARC) record of ours, cross-walked to MARC 21 for the marcxml schema.
    assert 'tag="245"' in shown[0][2] and "туризм" in shown[0][2].lower()
    # The Persian divan, with its vernacular 880 in Arabic letters.
    assert "ديوان مولانا كمال" in shown[1][2] and 'tag="880"' in shown[1][2]
    assert "SRW diagnostic info:srw/diagnostic/1/13" in out
