"""Harvest sources (OAI-PMH providers of partner institutions), their runs, and OAI identifier ↔ record."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class MetadataPrefix(models.TextChoices):
    # oai_dc is not offered: Dublin Core cannot become a catalogue record (docs/harvesting.md).
    MARC21 = "marc21", "MARC 21 (MARCXML)"
    UNIMARC = "unimarc", "UNIMARC (XML)"


class HarvestSource(models.Model):
    """One OAI-PMH provider (optionally one set of it) whose records belong to ``institution``."""

    institution = models.ForeignKey("accounts.Institution", on_delete=models.PROTECT, related_name="harvest_sources")
    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=255, blank=True)
    base_url = models.URLField(max_length=500)
    metadata_prefix = models.CharField(max_length=16, choices=MetadataPrefix.choices, default=MetadataPrefix.MARC21)
    set_spec = models.CharField(max_length=255, blank=True)
    # None: harvested only on demand.
    every_hours = models.PositiveIntegerField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    # From the provider's Identify: the form its from/until take (day or second).
    granularity = models.CharField(max_length=32, blank=True)
    # The provider's responseDate at the start of the last successful run: the next run's ``from``.
    # The provider's clock, not ours, so clock skew between the two cannot lose changes.
    harvested_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class HarvestRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        INTERRUPTED = "interrupted", _("Interrupted")

    source = models.ForeignKey(HarvestSource, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RUNNING, db_index=True)
    from_date = models.CharField(max_length=32, blank=True)
    until_date = models.CharField(max_length=32, blank=True)
    # responseDate of the run's first response (provider's clock), kept for the next incremental run.
    response_date = models.DateTimeField(null=True, blank=True)
    # The token for the next page after the last page fully stored: where --resume continues.
    resumption_token = models.TextField(blank=True)
    complete_list_size = models.BigIntegerField(null=True, blank=True)
    pages = models.PositiveIntegerField(default=0)
    records = models.BigIntegerField(default=0)
    new = models.BigIntegerField(default=0)
    updated = models.BigIntegerField(default=0)
    unchanged = models.BigIntegerField(default=0)
    deleted = models.BigIntegerField(default=0)
    deletions_ignored = models.BigIntegerField(default=0)
    rejected = models.BigIntegerField(default=0)
    # [{"at": ISO time, "page": n, "message": "..."}], capped (see services.ERRORS_KEPT).
    errors = models.JSONField(default=list, blank=True)
    import_job = models.ForeignKey("catalogue.ImportJob", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    started_at = models.DateTimeField(auto_now_add=True)
    # Moves with every stored page: a "running" run that stopped moving died with its process.
    heartbeat_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.source.code} run {self.pk} [{self.status}]"

    def summary(self) -> dict:
        return {
            "run": self.pk, "source": self.source.code, "status": self.status, "from": self.from_date,
            "until": self.until_date, "pages": self.pages, "records": self.records, "new": self.new,
            "updated": self.updated, "unchanged": self.unchanged, "deleted": self.deleted,
            "deletions_ignored": self.deletions_ignored, "rejected": self.rejected,
            "errors": [e["message"] for e in self.errors], "import_job": self.import_job_id,
            "resumption_token": self.resumption_token,
        }


class HarvestedRecord(models.Model):
    """Which catalogue record an OAI identifier of a source became, so updates and deletions find it."""

    source = models.ForeignKey(HarvestSource, on_delete=models.CASCADE, related_name="harvested")
    identifier = models.CharField(max_length=255)
    record = models.ForeignKey("catalogue.Record", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    datestamp = models.CharField(max_length=32, blank=True)
    deleted = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "identifier"], name="harvested_identifier_unique")]

    def __str__(self) -> str:
        return f"{self.source_id}:{self.identifier}"
