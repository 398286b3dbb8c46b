"""IIIF Presentation 3.0 documents built with iiif-prezi3: a manifest per digitized item (one canvas per page,
painted by the Image API image), and a collection per digitization project.

Everything here is built from an absolute ``base`` (the site's root URL without trailing slash) so ids are the
same whichever helper makes them: canvases are ``{base}/iiif/manifest/{record_id}/canvas/{page.order}`` (the
Content Search answers point at them), images ``{base}/iiif/3/{identifier}``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from iiif_prezi3 import (
    Annotation,
    AnnotationBody,
    AnnotationPage,
    Canvas,
    CanvasRef,
    Collection,
    Homepage,
    KeyValueString,
    LinkedResource,
    Manifest,
    ManifestRef,
    Range,
    ServiceV3,
)

from kitabkhana.catalogue.selectors import RecordView, record_view
from kitabkhana.digitization.models import DigitalItem, Page, Project

CONTEXT = "http://iiif.io/api/presentation/3/context.json"
MEDIA_TYPE = f'application/ld+json;profile="{CONTEXT}"'

# MARC language codes → the BCP 47 tags IIIF language maps are keyed by.
_LANGUAGE_TAGS = {
    "per": "fa", "fas": "fa", "ara": "ar", "eng": "en", "rus": "ru", "kaz": "kk", "tur": "tr", "uzb": "uz",
    "tgk": "tg", "arm": "hy", "hye": "hy", "chi": "zh", "zho": "zh", "urd": "ur", "pus": "ps", "aze": "az",
    "kur": "ku", "heb": "he", "fre": "fr", "fra": "fr", "ger": "de", "deu": "de", "tat": "tt", "kir": "ky",
    "tuk": "tk",
}
# The language of Arabic-script text when the record does not say (most of the national collection).
_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
# The rights the Presentation API accepts in ``rights`` (the schema refuses other URIs).
_RIGHTS = re.compile(r"^https?://(creativecommons\.org/(licenses|publicdomain)/|rightsstatements\.org/vocab/)")
BOOK_TYPES = frozenset({"book", "manuscript", "serial"})

# Labels of the manifest's metadata, in every language of the site (the lead translates the msgids).
_LABELS = {
    "title": _("Title"), "creator": _("Author"), "date": _("Date of publication"), "publisher": _("Publisher"),
    "language": _("Language"), "subjects": _("Subjects"), "shelfmark": _("Shelfmark"),
    "attribution": _("Attribution"), "download": _("Download as PDF"),
    "record": _("Catalogue record"), "marcxml": _("MARCXML record"),
}


def _label(key: str) -> dict[str, list[str]]:
    """A label as a IIIF language map, in English and in every other language the site is translated into."""
    english = str(_LABELS[key])
    labels = {"en": [english]}
    for code, _name in settings.LANGUAGES:
        if code == "en":
            continue
        with translation.override(code):
            text = str(_LABELS[key])
        if text != english:
            labels[code] = [text]
    return labels


def language_tag(marc_code: str) -> str:
    return _LANGUAGE_TAGS.get(marc_code, "")


def _language_names(marc_code: str) -> dict[str, list[str]]:
    """A language's name in English and in itself ("Persian", "فارسی"); its code when Django does not know it."""
    tag = language_tag(marc_code)
    try:
        info = translation.get_language_info(tag) if tag else None
    except KeyError:
        info = None
    if info is None:
        return {"none": [marc_code]}
    names = {"en": [info["name"]]}
    if tag != "en" and info["name_local"] != info["name"]:
        names[tag] = [info["name_local"]]
    return names


def _text_map(text: str, *, original: str | None = None, language: str = "") -> dict[str, list[str]]:
    """A value as a language map: Arabic-script text under the record's language, the romanised or Latin form
    under "en" for English records and "none" otherwise (a romanisation is no language of its own)."""
    tag = language or "none"
    if original:
        values = {tag if tag != "en" else "none": [original]}
        if text:
            values.setdefault("none", []).append(text)
        return values
    if _ARABIC_SCRIPT.search(text or ""):
        return {tag if tag not in ("en", "none") else "fa": [text]}
    return {"en" if tag == "en" else "none": [text]}


def _join_map(maps: Iterable[dict[str, list[str]]]) -> dict[str, list[str]]:
    joined: dict[str, list[str]] = {}
    for one in maps:
        for key, values in one.items():
            joined.setdefault(key, []).extend(values)
    return joined


@dataclass(frozen=True)
class Links:
    """The absolute URLs a manifest points to, resolved by the view (it knows the URL names and the host)."""

    base: str
    manifest: str
    record_page: str
    marcxml: str
    search: str
    download: str | None  # the PDF of the whole item (or its first pages up to the cap); None when not allowed


def canvas_id(manifest_id: str, page: Page) -> str:
    return f"{manifest_id}/canvas/{page.order}"


def image_service_id(base: str, identifier: str) -> str:
    return f"{base}/iiif/3/{identifier}"


def _metadata(view: RecordView, language: str, shelfmark: str) -> list[KeyValueString]:
    summary = view.summary
    rows: list[tuple[str, dict[str, list[str]]]] = []
    rows.append(("title", _text_map(summary.title, original=summary.title_original, language=language)))
    creators = [f for f in summary.display if f.label in ("Author", "Other authors")]
    if creators:
        rows.append(("creator", _join_map(_text_map(f.value, original=f.original, language=language)
                                          for f in creators)))
    elif summary.authors:
        rows.append(("creator", _join_map(_text_map(a, language=language) for a in summary.authors)))
    years = view.imprint_years
    if years and years.get("solar_hijri"):
        rows.append(("date", {"en": [f"{years['solar_hijri']} SH = {years['gregorian']} CE"],
                              "fa": [f"{years['solar_hijri_fa']} ش. = {years['gregorian']} م."]}))
    elif summary.date_text or summary.year:
        rows.append(("date", {"none": [summary.date_text or str(summary.year)]}))
    published = [f for f in summary.display if f.label == "Published"]
    if published:
        rows.append(("publisher", _join_map(_text_map(f.value, original=f.original, language=language)
                                            for f in published)))
    elif summary.publisher:
        publisher = ", ".join(p for p in (summary.place, summary.publisher) if p)
        rows.append(("publisher", _text_map(publisher, language=language)))
    if summary.languages:
        rows.append(("language", _join_map(_language_names(code) for code in summary.languages)))
    if summary.subjects:
        rows.append(("subjects", _join_map(_text_map(s, language=language) for s in summary.subjects)))
    if shelfmark:
        rows.append(("shelfmark", {"none": [shelfmark]}))
    return [KeyValueString(label=_label(key), value=value) for key, value in rows if any(value.values())]


def _ranges(item: DigitalItem, pages: list[Page], manifest_id: str, language: str) -> list[Range]:
    ranges = []
    for number, part in enumerate(item.structure or [], start=1):
        try:
            first, last = int(part["first"]), int(part["last"])
        except (KeyError, TypeError, ValueError):
            continue  # a malformed entry is skipped, not a broken manifest
        members = [CanvasRef(id=canvas_id(manifest_id, p), type="Canvas") for p in pages if first <= p.order <= last]
        if members:
            label = str(part.get("label") or f"{first}–{last}")
            ranges.append(Range(id=f"{manifest_id}/range/{number}", label=_text_map(label, language=language),
                                items=members))
    return ranges


def _canvas(page: Page, manifest_id: str, base: str) -> Canvas:
    image = page.image
    cid = canvas_id(manifest_id, page)
    service = image_service_id(base, image.identifier)
    body = AnnotationBody(id=f"{service}/full/max/0/default.jpg", type="Image", format="image/jpeg",
                          width=image.width, height=image.height,
                          service=[ServiceV3(id=service, type="ImageService3", profile="level2")])
    painting = Annotation(id=f"{cid}/annotation/1", motivation="painting", body=body, target=cid)
    return Canvas(id=cid, label={"none": [page.label or str(page.order)]}, width=image.width, height=image.height,
                  items=[AnnotationPage(id=f"{cid}/page/1", items=[painting])])


def manifest_build(*, item: DigitalItem, pages: list[Page], links: Links) -> dict:
    """The manifest of ``item`` as a JSON-ready dict (the reader's access was checked by the caller)."""
    view = record_view(item.record)
    summary = view.summary
    language = language_tag(summary.languages[0]) if summary.languages else ""
    holding = item.holding or (view.holdings[0] if view.holdings else None)
    shelfmark = holding.call_number if holding else ""
    institution = item.project.institution
    manifest = Manifest(
        id=links.manifest,
        label=_text_map(summary.title or f"Record {item.record_id}", original=summary.title_original,
                        language=language),
        metadata=_metadata(view, language, shelfmark),
        requiredStatement=KeyValueString(
            label=_label("attribution"),
            value=_join_map([{"none": [institution.name]},
                             *({code: [name]} for code, name in institution.names.items() if name)])),
        viewingDirection=item.viewing_direction,
        homepage=[Homepage(id=links.record_page, type="Text", format="text/html", label=_label("record"))],
        seeAlso=[LinkedResource(id=links.marcxml, type="Dataset", format="application/marc+xml",
                                profile="http://www.loc.gov/MARC21/slim", label=_label("marcxml"))],
        service=[ServiceV3(id=links.search, type="SearchService2")],
    )
    if item.rights and _RIGHTS.match(item.rights):
        manifest.rights = item.rights
    if summary.material_type in BOOK_TYPES:
        manifest.behavior = ["paged"]
    if links.download:
        manifest.rendering = [LinkedResource(id=links.download, type="Text", format="application/pdf",
                                             label=_label("download"))]
    manifest.items = [_canvas(page, links.manifest, links.base) for page in pages]
    ranges = _ranges(item, pages, links.manifest, language)
    if ranges:
        manifest.structures = ranges
    return json.loads(manifest.json())


def item_label(item: DigitalItem) -> dict[str, list[str]]:
    """A short label for a collection entry, from the record's stored title (no MARC parsing per item)."""
    record = item.record
    language = language_tag(record.languages.split(",")[0]) if record.languages else ""
    return _text_map(record.title or f"Record {item.record_id}", original=record.title_original or None,
                     language=language)


def collection_build(*, project: Project, entries: list[tuple[DigitalItem, str]], collection_id: str) -> dict:
    """The project's collection: one reference per (item, manifest URL) the reader may open."""
    label = _join_map([{"none": [project.name]}, *({code: [name]} for code, name in project.names.items() if name)])
    collection = Collection(id=collection_id, label=label,
                            items=[ManifestRef(id=url, type="Manifest", label=item_label(item))
                                   for item, url in entries])
    if project.description:
        collection.summary = _text_map(project.description)
    return json.loads(collection.json())
