"""Images into the IIIF store: the master copied untouched with its SHA-256, its pyramidal TIFF made once."""

from __future__ import annotations

import hashlib
import re
import secrets
from pathlib import Path

from django.conf import settings
from django.db import transaction

from kitabkhana.core.errors import ValidationFailed
from kitabkhana.digitization.models import DigitalImage
from kitabkhana.imaging.pyramid import ImageRefused, master_inspect, pyramid_write

# An identifier is one path segment of the Image API URL: no slash, no dot-dot, nothing to escape.
IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_EXTENSIONS = {"tiff": "tif", "jpeg": "jpg", "png": "png", "jp2": "jp2"}


def image_store_dir() -> Path:
    return Path(settings.KITABKHANA["DATA_DIR"]) / "iiif"


def identifier_check(identifier: str) -> str:
    if not IDENTIFIER.fullmatch(identifier) or ".." in identifier:
        raise ValidationFailed(f"image identifier {identifier!r}: use letters, digits, '.', '_' and '-' "
                               "(at most 128, starting with a letter or digit)")
    return identifier


def _copy_with_checksum(source: Path, target: Path) -> str:
    """Copy byte for byte, hashing on the way; the copy is renamed into place only when complete."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    digest = hashlib.sha256()
    with source.open("rb") as src, partial.open("wb") as dst:
        while block := src.read(1 << 20):
            digest.update(block)
            dst.write(block)
    partial.replace(target)
    return digest.hexdigest()


def image_register(*, source: Path | str, identifier: str) -> DigitalImage:
    """Keep ``source`` as the master of a new image and make its pyramidal TIFF; fail naming the file.

    The master is copied untouched under the data directory (``iiif/masters/``) with its SHA-256, the served
    copy is written beside it (``iiif/pyramids/``); if anything fails, neither file nor row is left behind.
    """
    identifier_check(identifier)
    source = Path(source)
    if DigitalImage.objects.filter(identifier=identifier).exists():
        raise ValidationFailed(f"image identifier {identifier!r} is already in use")
    try:
        info = master_inspect(source)
    except ImageRefused as exc:
        raise ValidationFailed(str(exc)) from None
    shard = hashlib.sha1(identifier.encode()).hexdigest()[:2]
    # Each registration writes files of its own name: two registering one identifier at once cannot remove
    # each other's files when the loser's insert fails on the unique identifier.
    own = f"{identifier}.{secrets.token_hex(4)}"
    master = image_store_dir() / "masters" / shard / f"{own}.{_EXTENSIONS[info.format]}"
    pyramid = image_store_dir() / "pyramids" / shard / f"{own}.tif"
    try:
        sha256 = _copy_with_checksum(source, master)
        try:
            width, height = pyramid_write(master, pyramid)
        except ImageRefused as exc:
            # The message names the kept copy; say it of the file the user gave.
            raise ValidationFailed(str(exc).replace(master.name, source.name)) from None
        with transaction.atomic():
            return DigitalImage.objects.create(
                identifier=identifier, master_path=str(master.relative_to(settings.KITABKHANA["DATA_DIR"])),
                master_sha256=sha256, master_format=info.format,
                pyramid_path=str(pyramid.relative_to(settings.KITABKHANA["DATA_DIR"])), width=width, height=height,
            )
    except BaseException:
        master.unlink(missing_ok=True)
        pyramid.unlink(missing_ok=True)
        raise


def image_path(image: DigitalImage, which: str = "pyramid") -> Path:
    """The absolute path of an image's pyramid (what is served) or master (what is preserved)."""
    relative = image.pyramid_path if which == "pyramid" else image.master_path
    return Path(settings.KITABKHANA["DATA_DIR"]) / relative


def image_remove_files(image: DigitalImage) -> None:
    for which in ("pyramid", "master"):
        image_path(image, which).unlink(missing_ok=True)


__all__ = ["IDENTIFIER", "identifier_check", "image_path", "image_register", "image_remove_files",
           "image_store_dir"]
