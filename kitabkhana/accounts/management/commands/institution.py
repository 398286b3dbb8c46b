"""Manage the institutions of the network.

  kitabkhana institution add CODE --name NAME --kind national|provincial|partner|publisher [--country IR] [--name-in fa=...]
  kitabkhana institution list
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from kitabkhana.accounts.models import InstitutionKind
from kitabkhana.accounts.selectors import institution_list
from kitabkhana.accounts.services import institution_create
from kitabkhana.core.errors import ValidationFailed


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="add an institution")
        add.add_argument("code")
        add.add_argument("--name", required=True)
        add.add_argument("--kind", required=True, choices=InstitutionKind.values)
        add.add_argument("--country", default="")
        add.add_argument("--name-in", action="append", default=[], metavar="LANG=NAME", help="name in another language")
        add.add_argument("--dry-run", action="store_true")
        sub.add_parser("list", help="list institutions")

    def handle(self, *args, action: str, **options) -> None:
        if action == "list":
            for inst in institution_list():
                self.stdout.write(f"{inst.code}\t{inst.kind}\t{inst.country}\t{inst.name}")
            return
        names = {}
        for item in options["name_in"]:
            lang, sep, name = item.partition("=")
            if not sep or not lang or not name:
                raise CommandError(f"--name-in {item!r}: expected LANG=NAME, e.g. fa=کتابخانه ملی")
            names[lang] = name
        if options["dry_run"]:
            self.stdout.write(f"would add {options['code']} ({options['kind']}): {options['name']}")
            return
        try:
            inst = institution_create(
                code=options["code"], name=options["name"], kind=options["kind"], country=options["country"], names=names
            )
        except ValidationFailed as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"added institution {inst.code}: {inst.name} ({inst.kind})"))
