"""Load the demo: institutions of a sample network, real records from demo/, and a demo cataloguer.

  kitabkhana load-demo [--no-staff-user]

Safe to run again: institutions are created once and the import's matching skips records already
loaded. The demo cataloguer (user ``cataloguer``, password ``kitabkhana-demo``) is for a laptop on
127.0.0.1 only; never run this command on a server others can reach.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from kitabkhana.accounts.models import Institution, Role
from kitabkhana.accounts.services import institution_create, institution_default, staff_user_create
from kitabkhana.catalogue.services.importing import marc_file_import

DEMO_DIR = Path(__file__).resolve().parents[4] / "demo"
DEMO_PASSWORD = "kitabkhana-demo"
INSTITUTIONS = [
    ("IR-ISF", "Isfahan Provincial Centre", "provincial", "IR", {"fa": "مرکز استانی اصفهان"}),
    ("RU-NLR", "National Library of Russia", "partner", "RU", {"ru": "Российская национальная библиотека"}),
    ("TR-MK", "National Library of Türkiye", "partner", "TR", {"tr": "Millî Kütüphane"}),
    # Real copies of some of the Cairo records as other libraries catalogued them: the union catalogue
    # clusters them with ours (and keeps apart the same-titled different books among them).
    ("ACO", "Arabic Collections Online partner libraries", "partner", "US", {}),
    ("OCoLC", "OCLC WorldCat (copy-cataloguing source)", "partner", "US", {}),
]
# file → owning institution (None: the national library)
FILES = [
    ("aco-auc-cairo-150.mrc", None),
    ("lc-marc2bibframe2-princeton.xml", None),
    ("lc-convspec-880-fixtures.xml", None),
    ("lc-marc2bibframe2-british_library.xml", None),
    ("traject-test_data.utf8.mrc", "IR-ISF"),
    ("trln-marc-to-argot-880-fixtures.mrc", "IR-ISF"),
    ("rusmarc-nlr-cp1251.iso", "RU-NLR"),
    ("aco-partner-copies.mrc", "ACO"),
    ("aco-oclc-masters.mrc", "OCoLC"),
]


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser) -> None:
        parser.add_argument("--no-staff-user", action="store_true")

    def handle(self, *args, no_staff_user: bool, **options) -> None:
        national = institution_default()
        for code, name, kind, country, names in INSTITUTIONS:
            if not Institution.objects.filter(code=code).exists():
                institution_create(code=code, name=name, kind=kind, country=country, names=names)
        for filename, code in FILES:
            institution = Institution.objects.get(code=code) if code else national
            job = marc_file_import(path=DEMO_DIR / filename, institution=institution)
            self.stdout.write(
                f"{filename} → {institution.code}: {job.read} read, {job.created} created, "
                f"{job.skipped} already there, {job.rejected} rejected"
            )
        if not no_staff_user and not get_user_model().objects.filter(username="cataloguer").exists():
            staff_user_create(username="cataloguer", password=DEMO_PASSWORD, institution=national,
                              role=Role.CATALOGUER)
            self.stdout.write(f"demo cataloguer: user 'cataloguer', password '{DEMO_PASSWORD}' (sign in at /accounts/login/)")
