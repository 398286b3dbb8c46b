"""Digitization lines and what they make: projects, digitized items with their stages, page images kept as
untouched masters with a pyramidal copy for serving, OCR text per page, QA findings, and the access rule that
governs images, manifests, OCR text and downloads alike."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ColourMode(models.TextChoices):
    """What a line's scanners are set to deliver; automatic QA flags a page with less than that."""

    COLOUR = "colour", _("Colour")
    GREY = "grey", _("Greyscale")
    BITONAL = "bitonal", _("Bitonal (black and white)")


class Project(models.Model):
    """A digitization project (a line): a collection of items scanned together, published as one IIIF collection."""

    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=255)
    # Names in other languages, keyed by language code, as Institution.names.
    names = models.JSONField(default=dict, blank=True)
    institution = models.ForeignKey("accounts.Institution", on_delete=models.PROTECT, related_name="+")
    description = models.TextField(blank=True)
    # The line's QA settings (docs/digitization.md): the colour mode its masters must have, and the least
    # resolution a master may have, in pixels per inch of the original.
    colour_mode = models.CharField(max_length=8, choices=ColourMode.choices, default=ColourMode.COLOUR)
    min_dpi = models.PositiveIntegerField(default=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def name_in(self, language: str) -> str:
        return self.names.get(language) or self.name


class Batch(models.Model):
    """A batch of a project: the items ingested and checked together (QA and OCR error rates are per batch)."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="batches")
    name = models.CharField(max_length=255)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "-created_at"]
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="digitization_batch_name")]

    def __str__(self) -> str:
        return f"{self.project.code}/{self.name}"


class Access(models.TextChoices):
    """Who may read a digitized item: its images, manifest, OCR text and downloads."""

    OPEN = "open", _("Open to everyone")
    REGISTERED = "registered", _("Registered readers")
    ON_SITE = "on_site", _("On site only (reading rooms)")
    STAFF = "staff", _("Library staff only")


class DigitalItem(models.Model):
    """One catalogued item going through a digitization line, from preparation to publication."""

    class Stage(models.TextChoices):
        PREPARED = "prepared", _("Prepared")
        SCANNING = "scanning", _("Scanning")
        QA = "qa", _("Quality assurance")
        PUBLISHED = "published", _("Published")
        REJECTED = "rejected", _("Rejected")

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="items")
    batch = models.ForeignKey(Batch, null=True, blank=True, on_delete=models.SET_NULL, related_name="items")
    record = models.ForeignKey("catalogue.Record", on_delete=models.PROTECT, related_name="digital_items")
    holding = models.ForeignKey("catalogue.Holding", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.PREPARED, db_index=True)
    access = models.CharField(max_length=16, choices=Access.choices, default=Access.STAFF)
    # Until this day only staff may read it, whatever ``access`` says.
    embargo_until = models.DateField(null=True, blank=True)
    # Whether downloads (a page or a range as PDF) are allowed to those who may read it.
    downloadable = models.BooleanField(default=True)
    rights = models.URLField(blank=True, help_text=_("A Creative Commons or RightsStatements.org URI"))
    # "right-to-left" for Persian and Arabic books; taken from the record's language when the item is created.
    viewing_direction = models.CharField(max_length=16, default="left-to-right", choices=[
        ("left-to-right", _("Left to right")), ("right-to-left", _("Right to left")),
        ("top-to-bottom", _("Top to bottom"))])
    # The record's table of contents as IIIF ranges: [{"label": "...", "first": 1, "last": 12}, ...] (page orders).
    structure = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project", "id"]
        constraints = [models.UniqueConstraint(fields=["project", "record"], name="digitization_item_once")]

    def __str__(self) -> str:
        return f"{self.project.code}: record {self.record_id}"


class StageEvent(models.Model):
    """An item entering a stage: who moved it, when, and why (a rejection's reason)."""

    item = models.ForeignKey(DigitalItem, on_delete=models.CASCADE, related_name="events")
    stage = models.CharField(max_length=16, choices=DigitalItem.Stage.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.item_id} → {self.stage}"


class AccessChange(models.Model):
    """A change to who may read an item (access rule, embargo, downloads, rights): who, when, from what to what."""

    item = models.ForeignKey(DigitalItem, on_delete=models.CASCADE, related_name="access_changes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    changes = models.TextField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.changes[:60]}"


class DigitalImage(models.Model):
    """An image served by the IIIF Image API: its master kept untouched with its checksum, and the tiled
    pyramidal TIFF made from it once. Paths are relative to the data directory."""

    identifier = models.CharField(max_length=128, unique=True)
    master_path = models.CharField(max_length=500)
    master_sha256 = models.CharField(max_length=64)
    master_format = models.CharField(max_length=16)  # tiff, jpeg, png, jp2
    pyramid_path = models.CharField(max_length=500)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.identifier


class Page(models.Model):
    """A page of a digitized item, in reading order, with its label ("1", "ii", "fol. 3r")."""

    item = models.ForeignKey(DigitalItem, on_delete=models.CASCADE, related_name="pages")
    order = models.PositiveIntegerField()
    label = models.CharField(max_length=64, blank=True)
    image = models.OneToOneField(DigitalImage, on_delete=models.PROTECT, related_name="page")
    # Where the page came from in the ingested folder (for QA messages).
    source_name = models.CharField(max_length=255, blank=True)
    # The page's perceptual hash (kitabkhana.imaging.qa.fingerprint, hex; empty for a blank page): a later page
    # is compared with it to find duplicates, also when an ingest is resumed.
    fingerprint = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["item", "order"]
        constraints = [models.UniqueConstraint(fields=["item", "order"], name="digitization_page_order")]

    def __str__(self) -> str:
        return f"{self.item_id} p.{self.order}"


class QaFinding(models.Model):
    """What automatic QA found in an ingested folder: an unreadable file, low resolution, a blank or duplicate page,
    an unexpected colour mode. ``blocking`` findings keep the item out of publication until staff decide."""

    class Kind(models.TextChoices):
        UNREADABLE = "unreadable", _("Unreadable file")
        UNSUPPORTED = "unsupported", _("Unsupported format")
        OVERSIZED = "oversized", _("Absurd dimensions (decompression bomb)")
        RESOLUTION = "resolution", _("Resolution too low")
        BLANK = "blank", _("Blank page")
        DUPLICATE = "duplicate", _("Duplicate page")
        COLOUR = "colour", _("Unexpected colour mode")

    item = models.ForeignKey(DigitalItem, on_delete=models.CASCADE, related_name="qa_findings")
    page = models.ForeignKey(Page, null=True, blank=True, on_delete=models.CASCADE, related_name="qa_findings")
    source_name = models.CharField(max_length=255, blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    detail = models.TextField(blank=True)
    blocking = models.BooleanField(default=False)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["item", "source_name", "id"]

    def __str__(self) -> str:
        return f"{self.item_id} {self.source_name}: {self.kind}"


class OcrPage(models.Model):
    """The recognised text of a page: hOCR as tesseract wrote it, the plain text, and the text normalised for
    search with the catalogue's script normalisation."""

    page = models.OneToOneField(Page, on_delete=models.CASCADE, related_name="ocr")
    languages = models.CharField(max_length=64)  # tesseract codes, e.g. "fas+ara"
    hocr = models.TextField()
    text = models.TextField()
    search_text = models.TextField()
    mean_confidence = models.FloatField(null=True, blank=True)
    # The transcription staff typed for this page, when there is one: character error rate is measured on it.
    ground_truth = models.TextField(blank=True)
    cer = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"OCR of {self.page}"


class AccessLogEntry(models.Model):
    """One reading of restricted material (not open): who, from where, what, when."""

    item = models.ForeignKey(DigitalItem, on_delete=models.CASCADE, related_name="access_log")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    ip = models.GenericIPAddressField(null=True, blank=True)
    what = models.CharField(max_length=32)  # manifest, image, text, search, download
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.what} {self.item_id}"
