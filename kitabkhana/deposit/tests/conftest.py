"""People and publishers for the deposit tests: two institutions, their cataloguers, two approved publishers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pymarc
import pytest

from kitabkhana.accounts.models import InstitutionKind, Role
from kitabkhana.accounts.services import institution_create, institution_default, staff_user_create

DEMO = Path(__file__).resolve().parents[3] / "demo"
# Real ISBNs of an Iranian publisher (registrant 978-964-5620), as printed in records of /work/shared/data.
ISBN_A = "978-964-5620-16-3"
ISBN_B = "978-964-5620-69-9"
# demo/traject-test_data.utf8.mrc: "Naqdī barā-yi tamām-i fuṣūl", 020 $a 9645625963 (ISBN-13 978-964-5625-96-0).
DEMO_ISBN = "978-964-5625-96-0"


@pytest.fixture(autouse=True)
def file_storage(settings, tmp_path):
    """Uploaded front matter goes under the test's own data directory."""
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path / "files"}}}
    return tmp_path / "files"


@pytest.fixture
def national():
    return institution_default()


@pytest.fixture
def provincial():
    return institution_create(code="IR-ISF", name="Isfahan provincial centre", kind=InstitutionKind.PROVINCIAL)


@pytest.fixture
def cataloguer_nl(national):
    return staff_user_create(username="cat-nl", password="a-long-password-1", institution=national,
                             role=Role.CATALOGUER)


@pytest.fixture
def cataloguer_isf(provincial):
    return staff_user_create(username="cat-isf", password="a-long-password-1", institution=provincial,
                             role=Role.CATALOGUER)


@pytest.fixture
def supervisor(national):
    return staff_user_create(username="sup-nl", password="a-long-password-1", institution=national,
                             role=Role.SUPERVISOR)


def _approved(supervisor, **kwargs):
    from kitabkhana.deposit.services import publisher_decide, publisher_signup

    publisher = publisher_signup(**kwargs)
    return publisher_decide(publisher=publisher, user=supervisor, approve=True)


def approved_request(publisher, user, cataloguer, fields, *, subjects=("ادبیات فارسی -- تاریخ",),
                     classification="8fa9.09", institution=None):
    """A CIP request taken through the real services: created, submitted, assigned, catalogued and approved.

    ``institution`` puts it in that institution's queue (the national library's by default).
    """
    from kitabkhana.deposit import services

    cip = services.cip_request_create(publisher=publisher, user=user, institution=institution, **fields)
    services.cip_request_submit(request=cip, user=user)
    services.cip_request_assign(request=cip, user=cataloguer)
    services.cip_record_save(request=cip, user=cataloguer, subjects=list(subjects), classification=classification)
    return services.cip_request_approve(request=cip, user=cataloguer)


@pytest.fixture
def publisher(supervisor):
    return _approved(supervisor, name="Nashr-e Ney", names={"fa": "نشر نی"}, username="ney", password="a-long-password-1",
                     email="info@example.org", city="Tehran", country="IR", isbn_prefixes=["978-964-5620"])


@pytest.fixture
def publisher_user(publisher):
    return publisher.members.get().user


@pytest.fixture
def other_publisher(supervisor):
    return _approved(supervisor, name="Other House", username="other", password="a-long-password-1",
                     isbn_prefixes=["978-600-5"])


@pytest.fixture
def request_fields():
    return {
        "title": "تاریخ ادبیات ایران", "subtitle": "از آغاز تا امروز",
        "contributors": [{"name": "صفا، ذبیح‌الله", "role": "author"}, {"name": "رحیمی، مهدی", "role": "editor"}],
        "edition": "چاپ اول", "series": "تاریخ", "expected_date": dt.date(2026, 5, 10), "pages": 320,
        "format": "24 cm", "languages": ["per"], "isbns": [ISBN_A], "summary": "تاریخ ادبیات فارسی.",
        "contents": "بخش ۱ -- بخش ۲",
    }


@pytest.fixture
def demo_record():
    """The demo record carrying DEMO_ISBN, read from its file as an import would."""
    with open(DEMO / "traject-test_data.utf8.mrc", "rb") as fh:
        for record in pymarc.MARCReader(fh, to_unicode=True, force_utf8=True):
            if record is not None and any(v.startswith("9645625963")
                                          for f in record.get_fields("020") for v in f.get_subfields("a")):
                return record
    raise AssertionError("demo record with ISBN 978-964-5625-96-0 not found")
