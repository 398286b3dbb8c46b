"""The union catalogue's own tables: blocking keys, match profiles, staff decisions and the audit trail.

Cluster membership itself lives on ``catalogue.Record.cluster`` (the catalogue indexes a cluster once);
these tables say why records are clustered and let a rebuild recompute it without parsing MARC.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class MatchKey(models.Model):
    """One blocking key of one record (``kitabkhana.marc.matching.match_keys``): records sharing a key are compared."""

    record = models.ForeignKey("catalogue.Record", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8)
    value = models.CharField(max_length=96)

    class Meta:
        indexes = [models.Index(fields=["value", "kind"], name="matchkey_lookup")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class MatchProfile(models.Model):
    """A record's match features as compact JSON, so matching and rebuilds need not parse MARC again."""

    record = models.OneToOneField("catalogue.Record", on_delete=models.CASCADE, primary_key=True, related_name="+")
    features = models.TextField()
    # Why the record is in its cluster: the member it matched and how (shown on the cluster page).
    matched_with = models.IntegerField(null=True, blank=True)
    score = models.FloatField(null=True, blank=True)
    reasons = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"profile of record {self.record_id}"


class ClusterDecision(models.Model):
    """A staff ruling on two records, by stable keys so that it survives re-imports and re-harvests.

    A record's stable key is ``<institution code>|<003>|<001>`` (``<institution code>|#<id>`` for a
    record without a control number).
    """

    class Kind(models.TextChoices):
        APART = "apart", _("Keep apart")
        TOGETHER = "together", _("Keep together")

    kind = models.CharField(max_length=8, choices=Kind.choices)
    left_key = models.CharField(max_length=200, db_index=True)
    right_key = models.CharField(max_length=200, db_index=True)
    note = models.TextField(blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["left_key", "right_key"], name="cluster_decision_pair")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.left_key} / {self.right_key}"


class ClusterEvent(models.Model):
    """Audit trail: every change of cluster membership, by matching, rebuild or staff."""

    class Action(models.TextChoices):
        JOIN = "join", _("Record joined")
        CREATE = "create", _("Cluster created")
        MERGE = "merge", _("Clusters merged")
        SPLIT = "split", _("Record moved out")
        LEAVE = "leave", _("Record left (edited or deleted)")
        REBUILD = "rebuild", _("Rebuilt")

    cluster_id = models.IntegerField(null=True, db_index=True)  # plain id: the cluster may be gone later
    action = models.CharField(max_length=8, choices=Action.choices)
    record_ids = models.JSONField(default=list)
    details = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} cluster {self.cluster_id} {self.record_ids}"
