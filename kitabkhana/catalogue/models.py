"""Records keep MARC (UTF-8 ISO 2709) as the source of truth; the other columns are derived from it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RecordKind(models.TextChoices):
    BIBLIOGRAPHIC = "bibliographic", _("Bibliographic")
    AUTHORITY = "authority", _("Authority")


class Flavour(models.TextChoices):
    MARC21 = "marc21", "MARC 21"
    UNIMARC = "unimarc", "UNIMARC"


class Cluster(models.Model):
    """One manifestation in the union catalogue: every record, from every source, that describes it.

    Membership is decided by the union app (matching, staff split/merge); the catalogue only reads it
    to show and index a cluster once.
    """

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"cluster {self.pk}"


class Collection(models.Model):
    """A named collection (rare books, manuscripts, a provincial centre's local fonds); an OAI-PMH set."""

    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=255)
    names = models.JSONField(default=dict, blank=True)
    institution = models.ForeignKey(
        "accounts.Institution", null=True, blank=True, on_delete=models.PROTECT, related_name="collections"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class Record(models.Model):
    kind = models.CharField(max_length=16, choices=RecordKind.choices, default=RecordKind.BIBLIOGRAPHIC)
    flavour = models.CharField(max_length=8, choices=Flavour.choices)
    institution = models.ForeignKey("accounts.Institution", on_delete=models.PROTECT, related_name="records")
    # "003|001" (or "|001" when 003 is absent): what a re-import of the same record matches on.
    control_key = models.CharField(max_length=160, blank=True, db_index=True)
    marc = models.BinaryField()
    version = models.PositiveIntegerField(default=1)
    # Derived for lists and sorting; the search index holds the rest.
    title = models.TextField(blank=True)
    title_original = models.TextField(blank=True)
    author = models.TextField(blank=True)
    year = models.IntegerField(null=True, blank=True)
    material_type = models.CharField(max_length=24, blank=True)
    languages = models.CharField(max_length=64, blank=True)
    # Outbox flag: set in the same transaction as a change, cleared once the search index has the change,
    # so a crash between the database commit and the index commit is repaired by `reindex --pending`.
    needs_index = models.BooleanField(default=True, db_index=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    cluster = models.ForeignKey(Cluster, null=True, blank=True, on_delete=models.SET_NULL, related_name="records")
    collections = models.ManyToManyField(Collection, blank=True, related_name="records")
    created_at = models.DateTimeField(auto_now_add=True)
    # The OAI-PMH datestamp: every change, deletion included, moves it.
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["institution", "control_key"], name="record_inst_control"),
            models.Index(fields=["updated_at", "id"], name="record_datestamp"),
        ]

    def __str__(self) -> str:
        return f"{self.pk}: {self.title[:60]}"


class RecordVersion(models.Model):
    """Every state a record has had: who changed it, when, how, and the full MARC at that point."""

    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        IMPORT = "import", _("Imported")
        UPDATE = "update", _("Edited")
        RESTORE = "restore", _("Restored")
        DELETE = "delete", _("Deleted")

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    marc = models.BinaryField()
    action = models.CharField(max_length=8, choices=Action.choices)
    institution = models.ForeignKey("accounts.Institution", on_delete=models.PROTECT, related_name="+")
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    changed_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["record", "-version"]
        constraints = [models.UniqueConstraint(fields=["record", "version"], name="record_version_unique")]

    def __str__(self) -> str:
        return f"record {self.record_id} v{self.version} ({self.action})"


class RecordIdentifier(models.Model):
    """Normalised standard numbers (ISBN-13, ISSN, system numbers) for matching and lookup."""

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="identifiers")
    scheme = models.CharField(max_length=8)
    value = models.CharField(max_length=64)

    class Meta:
        indexes = [models.Index(fields=["scheme", "value"], name="identifier_lookup")]

    def __str__(self) -> str:
        return f"{self.scheme} {self.value}"


class Holding(models.Model):
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="holdings")
    institution = models.ForeignKey("accounts.Institution", on_delete=models.PROTECT, related_name="holdings")
    location = models.CharField(max_length=255, blank=True)
    call_number = models.CharField(max_length=255, blank=True)
    barcode = models.CharField(max_length=64, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "barcode"], condition=~models.Q(barcode=""), name="holding_barcode_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.institution.code} {self.call_number} {self.barcode}".strip()


class ImportJob(models.Model):
    """One import of one file: its options, how far it got (for resuming), and its counts."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        INTERRUPTED = "interrupted", _("Interrupted")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    institution = models.ForeignKey("accounts.Institution", on_delete=models.PROTECT, related_name="+")
    source_name = models.CharField(max_length=500)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.BigIntegerField()
    format = models.CharField(max_length=8)
    flavour = models.CharField(max_length=8, blank=True)
    match = models.CharField(max_length=8)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RUNNING)
    # Where the next uncommitted record starts: a re-run of the same file resumes here.
    next_offset = models.BigIntegerField(default=0)
    next_number = models.BigIntegerField(default=1)
    read = models.BigIntegerField(default=0)
    created = models.BigIntegerField(default=0)
    updated = models.BigIntegerField(default=0)
    skipped = models.BigIntegerField(default=0)
    rejected = models.BigIntegerField(default=0)
    error = models.TextField(blank=True)
    report_path = models.CharField(max_length=500, blank=True)
    # Summary of the national cataloguing profile check of the file's records, when asked for.
    profile_report = models.JSONField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"import {self.pk} of {self.source_name} ({self.status})"

    def counts(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in ("read", "created", "updated", "skipped", "rejected")}


class ImportRejection(models.Model):
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rejections")
    record_number = models.BigIntegerField()
    offset = models.BigIntegerField(null=True)
    field = models.CharField(max_length=16, blank=True)
    reason = models.TextField()

    class Meta:
        ordering = ["job", "record_number"]

    def __str__(self) -> str:
        return f"record {self.record_number}: {self.reason[:80]}"
