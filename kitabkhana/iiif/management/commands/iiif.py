"""The IIIF services.

  kitabkhana iiif add-image FILE --identifier ID [--dry-run]

``add-image`` keeps FILE (TIFF, JPEG, PNG or JPEG 2000) as the master of a standalone image, open to all, and
makes its pyramidal TIFF, so the Image API serves it at /iiif/3/ID/info.json (the IIIF validator's own test
image is added this way). ``--dry-run`` checks the identifier and the file's header and writes nothing.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kitabkhana.core.errors import ValidationFailed
from kitabkhana.digitization.services.images import identifier_check, image_register
from kitabkhana.imaging.pyramid import ImageRefused, master_inspect


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add-image", help="register a standalone image under an identifier")
        add.add_argument("file", type=Path)
        add.add_argument("--identifier", required=True)
        add.add_argument("--dry-run", action="store_true", help="check, write nothing")

    def handle(self, *args, action: str, **options) -> None:
        if action == "add-image":
            self._add_image(options["file"], options["identifier"], dry_run=options["dry_run"])

    def _add_image(self, source: Path, identifier: str, *, dry_run: bool) -> None:
        if not source.is_file():
            raise CommandError(f"{source}: no such file")
        try:
            if dry_run:
                identifier_check(identifier)
                info = master_inspect(source)
                self.stdout.write(f"would add {identifier}: {info.format} {info.width} × {info.height}")
                return
            image = image_register(source=source, identifier=identifier)
        except (ValidationFailed, ImageRefused) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(
            f"added image {image.identifier} ({image.width} × {image.height}): /iiif/3/{image.identifier}/info.json"))
