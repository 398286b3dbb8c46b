"""Reads for digitization, and the one access rule every face applies: images, manifests, OCR text, search
inside a book and downloads all ask ``item_reading`` (or ``image_reading``), so they can never disagree."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from kitabkhana.accounts.selectors import in_reading_room, staff_role
from kitabkhana.core.errors import NotFound
from kitabkhana.digitization.models import Access, DigitalImage, DigitalItem


@dataclass(frozen=True)
class Reading:
    """Whether someone may read an item, whether that reading is logged (restricted material), and why not."""

    allowed: bool
    logged: bool
    reason: str = ""


def item_reading(item: DigitalItem, *, user, ip: str | None, today: dt.date | None = None) -> Reading:
    """Apply the item's access rule to this reader at this address.

    Staff read everything (unpublished items too). Others only published items: an embargo keeps everyone but
    staff out until its day; then ``open`` admits all, ``registered`` signed-in readers, ``on_site`` addresses
    in KITABKHANA["READING_ROOM_NETWORKS"], ``staff`` nobody else. Every reading of material that is not open
    to all is logged.
    """
    today = today or timezone.localdate()
    restricted = item.access != Access.OPEN or (item.embargo_until is not None and today < item.embargo_until)
    if user is not None and getattr(user, "is_authenticated", False) and staff_role(user) is not None:
        return Reading(True, restricted)
    if item.stage != DigitalItem.Stage.PUBLISHED:
        return Reading(False, False, "not published")
    if item.embargo_until is not None and today < item.embargo_until:
        return Reading(False, False, f"embargoed until {item.embargo_until:%Y-%m-%d}")
    if item.access == Access.OPEN:
        return Reading(True, False)
    if item.access == Access.REGISTERED:
        if user is not None and getattr(user, "is_authenticated", False):
            return Reading(True, True)
        return Reading(False, False, "for registered readers: sign in")
    if item.access == Access.ON_SITE:
        if in_reading_room(ip):
            return Reading(True, True)
        return Reading(False, False, "only in the library's reading rooms")
    return Reading(False, False, "library staff only")


def image_get(*, identifier: str) -> DigitalImage:
    image = DigitalImage.objects.select_related("page__item").filter(identifier=identifier).first()
    if image is None:
        raise NotFound(f"no image {identifier!r}")
    return image


def image_item(image: DigitalImage) -> DigitalItem | None:
    """The item a page image belongs to; None for a standalone image (``kitabkhana iiif add-image``)."""
    page = getattr(image, "page", None)
    return page.item if page is not None else None


def image_reading(image: DigitalImage, *, user, ip: str | None) -> Reading:
    """A page image follows its item's rule; a standalone image registered by staff is open."""
    item = image_item(image)
    return Reading(True, False) if item is None else item_reading(item, user=user, ip=ip)
