"""Add, change and list OAI-PMH harvest sources.

  kitabkhana harvest-source add CODE --url URL --institution CODE [--prefix marc21|unimarc]
                                [--set SETSPEC] [--every-hours N] [--name NAME] [--disabled]
  kitabkhana harvest-source list [--json]

The records harvested from a source belong to its institution (matched within it by 003|001).
oai_dc cannot be harvested into the catalogue: Dublin Core is not a MARC record.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from kitabkhana.accounts.selectors import institution_get
from kitabkhana.core.errors import NotFound, ValidationFailed
from kitabkhana.harvest.selectors import harvest_sources
from kitabkhana.harvest.services import harvest_source_create


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="add a source")
        add.add_argument("code")
        add.add_argument("--url", required=True, help="the provider's base URL")
        add.add_argument("--institution", required=True, metavar="CODE", help="owner of the harvested records")
        add.add_argument("--prefix", default="marc21", help="metadataPrefix: marc21 or unimarc")
        add.add_argument("--set", dest="set_spec", default="", metavar="SETSPEC")
        add.add_argument("--every-hours", type=int, default=None, metavar="N", help="schedule (default: on demand)")
        add.add_argument("--name", default="")
        add.add_argument("--disabled", action="store_true")
        listing = sub.add_parser("list", help="list sources and their last run")
        listing.add_argument("--json", action="store_true")

    def handle(self, *args, action: str, **options) -> None:
        if action == "add":
            try:
                source = harvest_source_create(
                    code=options["code"], base_url=options["url"],
                    institution=institution_get(code=options["institution"]), metadata_prefix=options["prefix"],
                    set_spec=options["set_spec"], every_hours=options["every_hours"], name=options["name"],
                    enabled=not options["disabled"],
                )
            except (NotFound, ValidationFailed) as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"harvest source {source.code} added ({source.base_url}, {source.metadata_prefix})")
            return
        rows = []
        for source in harvest_sources():
            run = source.last_run
            rows.append({
                "code": source.code, "url": source.base_url, "institution": source.institution.code,
                "prefix": source.metadata_prefix, "set": source.set_spec, "every_hours": source.every_hours,
                "enabled": source.enabled,
                "harvested_until": source.harvested_until.isoformat() if source.harvested_until else None,
                "last_run": run.summary() if run else None,
            })
        if options.get("json"):
            self.stdout.write(json.dumps(rows, ensure_ascii=False))
            return
        for row in rows:
            run = row["last_run"]
            last = f"run {run['run']} {run['status']} ({run['records']} records)" if run else "never harvested"
            schedule = f"every {row['every_hours']} h" if row["every_hours"] else "on demand"
            state = "" if row["enabled"] else " [disabled]"
            self.stdout.write(f"{row['code']}\t{row['institution']}\t{row['prefix']}\t{row['url']}"
                              f"{' set ' + row['set'] if row['set'] else ''}\t{schedule}{state}\t{last}")
