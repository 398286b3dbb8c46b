"""Reads for digitization, and the one access rule every face applies: images, manifests, OCR text, search
inside a book and downloads all ask ``item_reading`` (or ``image_reading``), so they can never disagree."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import F, Max, Q, QuerySet
from django.utils import timezone

from kitabkhana.accounts.models import Role
from kitabkhana.accounts.selectors import in_reading_room, staff_institution, staff_role
from kitabkhana.core.errors import NotFound
from kitabkhana.digitization.models import (
    Access,
    AccessLogEntry,
    Batch,
    DigitalImage,
    DigitalItem,
    OcrPage,
    Page,
    Project,
)
from kitabkhana.imaging.ocr import Match, hocr_parse, page_find
from kitabkhana.scripts.normalise import normalise, tokens


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


def item_embargoed(item: DigitalItem, today: dt.date | None = None) -> bool:
    return item.embargo_until is not None and (today or timezone.localdate()) < item.embargo_until


def item_open_to_all(item: DigitalItem) -> bool:
    """Published, open and not embargoed: what shared caches may keep."""
    return item.stage == DigitalItem.Stage.PUBLISHED and item.access == Access.OPEN and not item_embargoed(item)


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


def record_digital_item(*, record_id: int, include_unpublished: bool = False) -> DigitalItem | None:
    """The digitized item a record is read through: the latest published one when several projects digitized it.

    With ``include_unpublished`` (staff previewing), the latest item at any stage when none is published yet.
    """
    items = DigitalItem.objects.filter(record_id=record_id).select_related("project__institution", "holding")
    published = (items.filter(stage=DigitalItem.Stage.PUBLISHED)
                 .annotate(published_at=Max("events__at", filter=Q(events__stage=DigitalItem.Stage.PUBLISHED)))
                 .order_by(F("published_at").desc(nulls_last=True), "-id").first())
    if published is not None or not include_unpublished:
        return published
    return items.order_by("-id").first()


def project_get(*, code: str) -> Project:
    project = Project.objects.select_related("institution").filter(code=code).first()
    if project is None:
        raise NotFound(f"no digitization project {code!r}")
    return project


def project_published_items(project: Project) -> QuerySet[DigitalItem]:
    """A project's published items in catalogue order (what its IIIF collection lists, before the access rule)."""
    return project.items.filter(stage=DigitalItem.Stage.PUBLISHED).select_related("record").order_by("id")


def item_pages(item: DigitalItem) -> QuerySet[Page]:
    return item.pages.select_related("image").prefetch_related("qa_findings").order_by("order")


def access_log_visible(item: DigitalItem, user) -> bool:
    """Who may see who read an item: staff of the institution running its line, and supervisors/administrators."""
    role = staff_role(user)
    if role in {Role.SUPERVISOR, Role.ADMIN}:
        return True
    institution = staff_institution(user)
    return role is not None and institution is not None and institution.pk == item.project.institution_id


def item_access_log(item: DigitalItem, *, limit: int = 500) -> QuerySet[AccessLogEntry]:
    return item.access_log.select_related("user")[:limit]


# --- OCR: page text, search inside a book, character error rate ------------------------------------------------


def ocr_fold(text: str) -> str:
    """How OCR text and ground truth are compared: the catalogue's normalisation (letter variants, ZWNJ,
    harakat, case) and white space as single spaces. What is left are the errors a reader or a search meets."""
    return " ".join(normalise(text).split())


def page_ocr_get(*, item: DigitalItem, order: int) -> OcrPage:
    """The OCR of an item's page by its order; NotFound when the page does not exist or has no OCR yet."""
    ocr = OcrPage.objects.select_related("page__image").filter(page__item=item, page__order=order).first()
    if ocr is None:
        raise NotFound(f"page {order} of item {item.pk} has no OCR")
    return ocr


@dataclass(frozen=True)
class SearchHit:
    """Query words found on a page: the page, and the words with their boxes in the page image's pixels."""

    page: Page
    match: Match


@dataclass(frozen=True)
class ItemSearch:
    query: str
    tokens: list[str]
    hits: list[SearchHit]
    truncated: bool  # more hits than ``limit``


def item_search(*, item: DigitalItem, query: str, limit: int = 1000) -> ItemSearch:
    """Search inside a book: the pages whose OCR has every query word, and where on them the words are.

    Query and page text go through the catalogue's normalisation, so ``كتاب`` finds ``کتاب``. The query as a
    phrase gives one hit per occurrence; otherwise every occurrence of a query word on a page with all of them
    is a hit (``kitabkhana.imaging.ocr.page_find``). The database picks the pages (whole-word ``contains`` on
    ``search_text``), so only their hOCR is read.
    """
    words = tokens(query)
    if not words:
        return ItemSearch(query, [], [], False)
    pages = OcrPage.objects.filter(page__item=item).select_related("page")
    for word in dict.fromkeys(words):
        pages = pages.filter(search_text__contains=f" {word} ")
    hits: list[SearchHit] = []
    for ocr in pages.order_by("page__order").only("hocr", "page"):
        for match in page_find(hocr_parse(ocr.hocr), words, tokenise=tokens):
            if len(hits) >= limit:
                return ItemSearch(query, words, hits, True)
            hits.append(SearchHit(ocr.page, match))
    return ItemSearch(query, words, hits, False)


@dataclass(frozen=True)
class PageCer:
    page: Page
    cer: float
    length: int  # characters of the folded ground truth


@dataclass(frozen=True)
class BatchCer:
    """Character error rate of a batch's pages with ground truth: the mean of the pages' rates, and the rate
    over all their characters together (long pages weigh more)."""

    pages: list[PageCer]
    mean: float | None
    overall: float | None


def batch_cer(*, batch: Batch) -> BatchCer:
    rows = (OcrPage.objects.filter(page__item__batch=batch, cer__isnull=False).exclude(ground_truth="")
            .select_related("page__item").order_by("page__item_id", "page__order"))
    pages = [PageCer(row.page, row.cer, len(ocr_fold(row.ground_truth))) for row in rows]
    if not pages:
        return BatchCer([], None, None)
    characters = sum(p.length for p in pages)
    overall = sum(p.cer * p.length for p in pages) / characters if characters else None
    return BatchCer(pages, sum(p.cer for p in pages) / len(pages), overall)


def item_ocr_pages(item: DigitalItem) -> QuerySet[OcrPage]:
    """The OCR of an item's pages in reading order (confidence, and the error rate where there is ground truth)."""
    return OcrPage.objects.filter(page__item=item).select_related("page").order_by("page__order")


def ocr_text_of_records(record_ids: list[int]) -> dict[int, str]:
    """The OCR text of the published books of these records (not staff-only ones): what the catalogue's search
    index adds to a record's entry, so a book is found by the words inside it."""
    texts: dict[int, list[str]] = {}
    pages = (OcrPage.objects.filter(page__item__record_id__in=record_ids,
                                    page__item__stage=DigitalItem.Stage.PUBLISHED)
             .exclude(page__item__access=Access.STAFF)
             .order_by("page__item__record_id", "page__item_id", "page__order")
             .values_list("page__item__record_id", "text"))
    for record_id, text in pages.iterator(chunk_size=500):
        texts.setdefault(record_id, []).append(text)
    return {record_id: " ".join(parts) for record_id, parts in texts.items()}
