"""Reads for the union catalogue: cluster members, holders, the merged display, stable record keys."""

from __future__ import annotations

from dataclasses import dataclass, field

from kitabkhana.accounts.models import Institution
from kitabkhana.catalogue.models import Cluster, Record
from kitabkhana.core.errors import NotFound
from kitabkhana.marc.derive import RecordSummary, summarise
from kitabkhana.marc.writer import iso2709_to_record
from kitabkhana.union.models import ClusterDecision, ClusterEvent, MatchKey, MatchProfile


def stable_key(*, institution_code: str, control_key: str, record_id: int) -> str:
    """What a staff decision is keyed on: survives re-import and re-harvest of the same record.

    ``<institution>|<003>|<001>``; a record without a control number falls back to its id.
    """
    return f"{institution_code}|{control_key}" if control_key else f"{institution_code}|#{record_id}"


def record_stable_key(record: Record) -> str:
    return stable_key(institution_code=record.institution.code, control_key=record.control_key, record_id=record.pk)


def member_label(record: Record) -> str:
    """``003:001`` of a member (the institution code stands in for a missing 003; ``#id`` for a missing 001)."""
    agency, _, number = record.control_key.partition("|")
    return f"{agency or record.institution.code}:{number or '#' + str(record.pk)}"


def cluster_get(*, cluster_id: int) -> Cluster:
    try:
        return Cluster.objects.get(pk=cluster_id)
    except Cluster.DoesNotExist as exc:
        raise NotFound(f"cluster {cluster_id} does not exist") from exc


def cluster_members(cluster_id: int) -> list[Record]:
    """The cluster's live records, oldest first (the first one stands for the cluster in search)."""
    return list(Record.objects.filter(cluster_id=cluster_id, deleted_at__isnull=True)
                .select_related("institution").order_by("pk"))


def cluster_institutions(cluster_id: int) -> list[Institution]:
    """Every institution that contributed a member record or holds a copy of one."""
    ids = set(Record.objects.filter(cluster_id=cluster_id, deleted_at__isnull=True).values_list("institution_id", flat=True))
    ids |= set(Record.objects.filter(cluster_id=cluster_id, deleted_at__isnull=True, holdings__isnull=False)
               .values_list("holdings__institution_id", flat=True))
    return list(Institution.objects.filter(pk__in=ids).order_by("code"))


@dataclass
class ClusterDisplay:
    """One description for a cluster: the fullest member as the base, identifiers and subjects united."""

    cluster_id: int
    base_record_id: int
    summary: RecordSummary
    member_ids: list[int] = field(default_factory=list)
    institution_codes: list[str] = field(default_factory=list)
    holdings: list[dict] = field(default_factory=list)


def _fullness(summary: RecordSummary) -> int:
    return len(summary.display) * 10 + sum(len(d.value) for d in summary.display) // 100 + (5 if summary.title_original else 0)


def cluster_display(cluster_id: int) -> ClusterDisplay:
    """The merged display of a cluster. Members stay as they are; nothing is written."""
    members = cluster_members(cluster_id)
    if not members:
        raise NotFound(f"cluster {cluster_id} has no live members")
    summaries = {m.pk: summarise(iso2709_to_record(bytes(m.marc)), m.flavour) for m in members}
    base_id = max(summaries, key=lambda pk: (_fullness(summaries[pk]), -pk))
    base = summaries[base_id]
    for pk, s in summaries.items():
        if pk == base_id:
            continue
        for attr in ("isbns", "issns", "subjects", "titles", "authors", "languages", "other_numbers", "series"):
            values = getattr(base, attr)
            for v in getattr(s, attr):
                if v not in values:
                    values.append(v)
        for attr in ("title_original", "publisher", "place", "edition", "date_text"):
            if not getattr(base, attr) and getattr(s, attr):
                setattr(base, attr, getattr(s, attr))
        if base.year is None and s.year is not None:
            base.year = s.year
    holdings = [
        {"institution": h.institution.code, "location": h.location, "call_number": h.call_number, "record_id": h.record_id}
        for m in members for h in m.holdings.select_related("institution").all()
    ]
    return ClusterDisplay(
        cluster_id=cluster_id, base_record_id=base_id, summary=base, member_ids=[m.pk for m in members],
        institution_codes=sorted({m.institution.code for m in members} | {h["institution"] for h in holdings}),
        holdings=holdings,
    )


@dataclass
class MemberView:
    record: Record
    stable_key: str
    label: str
    matched_with: int | None
    score: float | None
    reasons: list[str]
    shared_keys: list[str] = field(default_factory=list)


def cluster_page(cluster_id: int) -> dict:
    """Everything the staff cluster page shows: members with why each is there, decisions, history."""
    cluster = cluster_get(cluster_id=cluster_id)
    members = cluster_members(cluster_id)
    profiles = {p.record_id: p for p in MatchProfile.objects.filter(record_id__in=[m.pk for m in members])}
    partner_ids = {p.matched_with for p in profiles.values() if p.matched_with}
    keys: dict[int, set[str]] = {}
    for rid, kind, value in MatchKey.objects.filter(record_id__in={m.pk for m in members} | partner_ids).values_list(
            "record_id", "kind", "value"):
        keys.setdefault(rid, set()).add(f"{kind}:{value}")
    views = []
    for m in members:
        p = profiles.get(m.pk)
        partner = p.matched_with if p else None
        shared = sorted(keys.get(m.pk, set()) & keys.get(partner, set())) if partner else []
        views.append(MemberView(record=m, stable_key=record_stable_key(m), label=member_label(m),
                                matched_with=partner, score=p.score if p else None,
                                reasons=list(p.reasons) if p else [], shared_keys=shared))
    stable = [v.stable_key for v in views]
    decisions = list(ClusterDecision.objects.filter(left_key__in=stable) | ClusterDecision.objects.filter(right_key__in=stable))
    events = list(ClusterEvent.objects.filter(cluster_id=cluster_id)[:50])
    return {"cluster": cluster, "members": views, "decisions": decisions, "events": events}


def clusters_listing() -> list[tuple[int, list[str]]]:
    """(cluster id, member labels) for every cluster with live members, in id order (for --json)."""
    rows = (Record.objects.filter(cluster__isnull=False, deleted_at__isnull=True)
            .select_related("institution").only("id", "control_key", "cluster_id", "institution__code")
            .order_by("cluster_id", "id"))
    out: list[tuple[int, list[str]]] = []
    for r in rows.iterator(chunk_size=5000):
        if not out or out[-1][0] != r.cluster_id:
            out.append((r.cluster_id, []))
        out[-1][1].append(member_label(r))
    return out


def clusters_recent(limit: int = 50) -> list[ClusterEvent]:
    return list(ClusterEvent.objects.all()[:limit])
