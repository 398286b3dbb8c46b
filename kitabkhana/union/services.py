"""Writes of the union catalogue: matching records as they arrive, and staff split/merge decisions.

Matching runs inside the transaction that stored the records (``catalogue.signals.records_stored``):
the record's features and blocking keys are stored, its candidates are found with indexed lookups
on ``MatchKey``, each candidate is scored (``marc.matching.compare``), and the record joins the
cluster of its matches (a new cluster when they are all singletons; two clusters matched at once are
merged unless a staff decision keeps members of them apart). Singletons have no Cluster row.

The union app sets ``Record.cluster`` itself: the catalogue owns the column but leaves membership to
this app (see ``catalogue.models.Cluster``), and has no service for it.
"""

from __future__ import annotations

import logging
from functools import partial

import pymarc
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q

from kitabkhana.catalogue.models import Cluster, Record
from kitabkhana.catalogue.services.bulk import rows_insert
from kitabkhana.catalogue.services.indexing import index_after_commit
from kitabkhana.core.errors import NotFound, ValidationFailed
from kitabkhana.marc.derive import RecordSummary
from kitabkhana.marc.matching import (
    MatchFeatures,
    compare,
    features_from_json,
    features_to_json,
    match_keys,
)
from kitabkhana.marc.writer import iso2709_to_record
from kitabkhana.union.features import match_features
from kitabkhana.union.models import ClusterDecision, ClusterEvent, MatchKey, MatchProfile
from kitabkhana.union.selectors import stable_key

# A record as the storing code read it: its pymarc form and its summary.
ParsedRecord = tuple[pymarc.Record, RecordSummary]

log = logging.getLogger(__name__)

# A key shared by more records than this is too common to say anything (a one-word title in a year);
# the record is compared with the most key-sharing candidates only.
MAX_CANDIDATES = 200


def _matching_enabled() -> bool:
    return bool(settings.KITABKHANA.get("UNION_MATCHING", True))


def record_features(record: Record, parsed: ParsedRecord | None = None) -> MatchFeatures:
    """``parsed``: the record as the storing code already read and summarised it (saves both again)."""
    if parsed is not None:
        return match_features(parsed[0], record.flavour, parsed[1])
    return match_features(iso2709_to_record(bytes(record.marc)), record.flavour)


def _keys_of(rows) -> dict[int, str]:
    return {pk: stable_key(institution_code=code, control_key=ck, record_id=pk) for pk, code, ck in rows}


def _stable_keys(record_ids) -> dict[int, str]:
    return _keys_of(Record.objects.filter(pk__in=list(record_ids)).values_list("pk", "institution__code", "control_key"))


def _decisions(keys: set[str]) -> tuple[set[frozenset[str]], dict[str, set[str]]]:
    """Apart pairs and together partners among decisions touching these stable keys."""
    apart: set[frozenset[str]] = set()
    together: dict[str, set[str]] = {}
    if not keys:
        return apart, together
    keys = list(keys)
    rows = ClusterDecision.objects.filter(Q(left_key__in=keys) | Q(right_key__in=keys)).values_list(
        "kind", "left_key", "right_key")
    for kind, left, right in rows:
        if kind == ClusterDecision.Kind.APART:
            apart.add(frozenset((left, right)))
        else:
            together.setdefault(left, set()).add(right)
            together.setdefault(right, set()).add(left)
    return apart, together


def _event(*, cluster_id: int | None, action: str, record_ids: list[int], details: dict | None = None,
           note: str = "", user=None) -> None:
    ClusterEvent.objects.create(cluster_id=cluster_id, action=action, record_ids=sorted(record_ids),
                                details=details or {}, note=note[:2000], user=user)


def _live_members(cluster_id: int) -> list[int]:
    return list(Record.objects.filter(cluster_id=cluster_id, deleted_at__isnull=True).values_list("pk", flat=True))


def _dissolve_if_small(cluster_id: int) -> set[int]:
    """A cluster of one is no cluster: its last member becomes a singleton again."""
    rest = _live_members(cluster_id)
    if len(rest) >= 2:
        return set(rest)
    Record.objects.filter(cluster_id=cluster_id).update(cluster=None)
    Cluster.objects.filter(pk=cluster_id).delete()
    return set(rest)


def _leave(record_id: int, cluster_id: int, *, action: str = ClusterEvent.Action.LEAVE, user=None,
           note: str = "") -> set[int]:
    Record.objects.filter(pk=record_id).update(cluster=None)
    MatchProfile.objects.filter(pk=record_id).update(matched_with=None, score=None, reasons=[])
    _event(cluster_id=cluster_id, action=action, record_ids=[record_id], note=note, user=user)
    return _dissolve_if_small(cluster_id) | {record_id}


def match_profiles_store(
    *, records: list[Record], parsed: dict[int, ParsedRecord] | None = None
) -> dict[int, tuple[MatchFeatures, bool]]:
    """Store features and keys; returns id -> (features, changed since the last time)."""
    ids = [r.pk for r in records]
    old = dict(MatchProfile.objects.filter(pk__in=ids).values_list("pk", "features"))
    out: dict[int, tuple[MatchFeatures, bool]] = {}
    profiles: list[tuple[int, str, object]] = []
    no_reasons = MatchProfile._meta.get_field("reasons").get_db_prep_save([], connection)
    keys: list[tuple[int, str, str]] = []
    for r in records:
        try:
            f = record_features(r, (parsed or {}).get(r.pk))
        except Exception:  # a stored record whose MARC no longer parses must not stop an import batch
            log.warning("record %s could not be read for matching", r.pk, exc_info=True)
            continue
        text = features_to_json(f)
        out[r.pk] = (f, old.get(r.pk) != text)
        profiles.append((r.pk, text, no_reasons))
        keys.extend((r.pk, k, v) for k, v in match_keys(f))
    MatchKey.objects.filter(record_id__in=ids).delete()
    MatchProfile.objects.filter(pk__in=[p[0] for p in profiles]).delete()
    # The import's multi-row INSERT: bulk_create costs more than the matching itself at 1 000 records a batch.
    rows_insert(MatchProfile, ["record", "features", "reasons"], profiles)
    rows_insert(MatchKey, ["record", "kind", "value"], keys)
    return out


class _Prefetched:
    """Candidates of a whole batch, read in a few queries (not three per record), kept current as
    records move between clusters during the batch."""

    def __init__(self, stored: dict[int, tuple[MatchFeatures, bool]]) -> None:
        wanted = {rid: set(match_keys(f)) for rid, (f, _) in stored.items()}
        values = sorted({v for keys in wanted.values() for _, v in keys})
        by_value: dict[str, list[tuple[str, int]]] = {}
        for start in range(0, len(values), 500):
            for rid, kind, value in MatchKey.objects.filter(value__in=values[start:start + 500]).values_list(
                    "record_id", "kind", "value"):
                by_value.setdefault(value, []).append((kind, rid))
        self.candidates: dict[int, list[int]] = {}
        for rid, keys in wanted.items():
            shared: dict[int, int] = {}
            for kind, value in keys:
                for other_kind, other in by_value.get(value, ()):
                    if other_kind == kind and other != rid:
                        shared[other] = shared.get(other, 0) + 1
            self.candidates[rid] = sorted(shared, key=lambda o: (-shared[o], o))[:MAX_CANDIDATES]
        ids = sorted({o for c in self.candidates.values() for o in c})
        self.rows: dict[int, tuple[int | None, str, str, str]] = {}
        self.profiles: dict[int, str] = {}
        for start in range(0, len(ids), 900):
            chunk = ids[start:start + 900]
            for pk, cid, code, ck, kind in Record.objects.filter(pk__in=chunk, deleted_at__isnull=True).values_list(
                    "pk", "cluster_id", "institution__code", "control_key", "kind"):
                self.rows[pk] = (cid, code, ck, kind)
            self.profiles.update(MatchProfile.objects.filter(pk__in=chunk).values_list("pk", "features"))
        self._parsed: dict[int, MatchFeatures] = {}

    def features(self, pk: int) -> MatchFeatures | None:
        if pk not in self._parsed:
            text = self.profiles.get(pk)
            if text is None:
                return None
            self._parsed[pk] = features_from_json(text)
        return self._parsed[pk]

    def refresh(self, record_ids) -> None:
        """Cluster ids of these records changed (they moved, or a cluster was dissolved)."""
        known = [pk for pk in record_ids if pk in self.rows]
        for start in range(0, len(known), 900):
            for pk, cid in Record.objects.filter(pk__in=known[start:start + 900]).values_list("pk", "cluster_id"):
                self.rows[pk] = (cid, *self.rows[pk][1:])


def _match_one(record: Record, f: MatchFeatures, key_of: dict[int, str], decisions_on: bool,
               pre: _Prefetched) -> set[int]:
    """``decisions_on``: whether any staff decision exists (saves two queries per record when none do)."""
    own_key = key_of.get(record.pk) or _stable_keys([record.pk])[record.pk]
    rows = [(pk, *pre.rows[pk][:3]) for pk in pre.candidates.get(record.pk, ())
            if pk in pre.rows and pre.rows[pk][3] == record.kind]
    key_of.update(_keys_of((pk, code, ck) for pk, _, code, ck in rows))
    cluster_of = {pk: cid for pk, cid, _, _ in rows}
    apart, together = _decisions({own_key, *(key_of[pk] for pk in cluster_of)}) if decisions_on else (set(), {})

    matches: list[tuple[int, float, list[str]]] = []
    for pk in cluster_of:
        if frozenset((own_key, key_of[pk])) in apart:
            continue
        if key_of[pk] in together.get(own_key, ()):
            matches.append((pk, 99.0, ["staff: keep together"]))
            continue
        other = pre.features(pk)
        if other is None:
            continue
        decision = compare(f, other)
        if decision.same:
            matches.append((pk, decision.score, decision.reasons))
    # Partners by staff decision that no key found (a re-created record with a new title, say).
    forced = together.get(own_key, set()) - {key_of[pk] for pk, _, _ in matches}
    if forced:
        for pk, cid, code, ck in (Record.objects.filter(deleted_at__isnull=True)
                                  .filter(institution__code__in={k.split("|", 1)[0] for k in forced})
                                  .values_list("pk", "cluster_id", "institution__code", "control_key")):
            k = stable_key(institution_code=code, control_key=ck, record_id=pk)
            if k in forced and pk != record.pk:
                key_of[pk] = k
                cluster_of[pk] = cid
                matches.append((pk, 99.0, ["staff: keep together"]))
    if not matches:
        return set()
    matches.sort(key=lambda m: -m[1])

    # Clusters (or singletons) to unite, best match first; one holding a record kept apart from this
    # record, or from a member already gathered, is left out.
    groups: list[tuple[int | None, list[int]]] = []
    seen_clusters: set[int] = set()
    for pk, _, _ in matches:
        cid = cluster_of.get(pk)
        if cid is None:
            groups.append((None, [pk]))
        elif cid not in seen_clusters:
            seen_clusters.add(cid)
            groups.append((cid, _live_members(cid)))
    gathered_keys = {own_key}
    chosen: list[tuple[int | None, list[int]]] = []
    for cid, members in groups:
        member_keys: set[str] = set()
        if decisions_on:
            missing = [m for m in members if m not in key_of]
            if missing:
                key_of.update(_stable_keys(missing))
            member_keys = {key_of[m] for m in members}
            more_apart, _ = _decisions(member_keys)
            if any(frozenset((a, b)) in more_apart for a in gathered_keys for b in member_keys):
                continue
        if (cid is not None and any(c is not None for c, _ in chosen) and not member_keys & together.get(own_key, set())
                and not _matches_first(f, members)):
            # Joining a second cluster merges it: the record must match that cluster's first member
            # too, not just some member, or chains of near misses would merge different books.
            continue
        chosen.append((cid, members))
        gathered_keys |= member_keys
    if not chosen:
        return set()

    existing = sorted(cid for cid, _ in chosen if cid is not None)
    if existing:
        target = existing[0]
        action = ClusterEvent.Action.MERGE if len(existing) > 1 else ClusterEvent.Action.JOIN
    else:
        target = Cluster.objects.create().pk
        action = ClusterEvent.Action.CREATE
    moving = [record.pk] + [m for cid, members in chosen if cid != target for m in members]
    Record.objects.filter(pk__in=moving).update(cluster_id=target)
    if len(existing) > 1:
        Cluster.objects.filter(pk__in=existing[1:]).delete()
    chosen_ids = {m for _, members in chosen for m in members}
    best_pk, best_score, best_reasons = next(m for m in matches if m[0] in chosen_ids)
    MatchProfile.objects.filter(pk=record.pk).update(matched_with=best_pk, score=best_score, reasons=best_reasons)
    for cid, members in chosen:
        if cid is None:
            MatchProfile.objects.filter(pk=members[0]).update(matched_with=record.pk, score=best_score,
                                                               reasons=best_reasons)
    pre.refresh(moving)
    _event(cluster_id=target, action=action, record_ids=moving,
           details={"matched_with": best_pk, "score": best_score, "reasons": best_reasons,
                    "merged_clusters": existing[1:]})
    return set(_live_members(target))


def _matches_first(f: MatchFeatures, members: list[int]) -> bool:
    text = MatchProfile.objects.filter(pk=min(members)).values_list("features", flat=True).first()
    return text is not None and compare(f, features_from_json(text)).same


def records_match(*, record_ids: list[int], parsed: dict[int, ParsedRecord] | None = None) -> set[int]:
    """Match stored, edited or deleted records against the whole catalogue; returns the records whose
    index entries changed (members of clusters that gained or lost a record)."""
    if not record_ids or not _matching_enabled():
        return set()
    touched: set[int] = set()
    records = list(Record.objects.filter(pk__in=record_ids).order_by("pk"))
    gone = [r for r in records if r.deleted_at is not None or r.kind != "bibliographic"]
    gone_ids = {r.pk for r in gone}
    live = [r for r in records if r.pk not in gone_ids]
    for r in gone:
        MatchKey.objects.filter(record_id=r.pk).delete()
        MatchProfile.objects.filter(pk=r.pk).delete()
        if r.cluster_id:
            touched |= _leave(r.pk, r.cluster_id)
    stored = match_profiles_store(records=live, parsed=parsed)
    decisions_on = ClusterDecision.objects.exists()
    key_of = _stable_keys([r.pk for r in live])
    clustered = {r.pk for r in live if r.cluster_id}
    pre = _Prefetched({pk: v for pk, v in stored.items() if v[1] or pk not in clustered})
    for r in live:
        if r.pk not in stored:
            continue
        f, changed = stored[r.pk]
        if r.cluster_id:
            if not changed:
                continue  # re-stored unchanged: its cluster stands
            left = _leave(r.pk, r.cluster_id)
            pre.refresh(left)
            touched |= left
        touched |= _match_one(r, f, key_of, decisions_on, pre)
    return touched


def _index_later(record_ids: set[int]) -> None:
    if record_ids:
        transaction.on_commit(partial(index_after_commit, sorted(record_ids)))


def _decide(*, kind: str, left: str, right: str, user, note: str) -> None:
    left, right = sorted((left, right))
    ClusterDecision.objects.update_or_create(left_key=left, right_key=right,
                                             defaults={"kind": kind, "note": note, "decided_by": user})


@transaction.atomic
def cluster_split(*, cluster_id: int, record_ids: list[int], user=None, note: str = "") -> int | None:
    """Move records out of a cluster; they are kept apart from the members that stay, now and after
    any re-import. Two or more records moved together form a cluster of their own. Returns that
    cluster's id (or None)."""
    if not note.strip():
        raise ValidationFailed("a split needs a reason (note)")
    members = _live_members(cluster_id)
    if not members:
        raise NotFound(f"cluster {cluster_id} has no live members")
    moving = [pk for pk in record_ids if pk in members]
    if not moving or len(moving) == len(members):
        raise ValidationFailed("choose at least one member to move out, and not all of them")
    staying = [pk for pk in members if pk not in moving]
    key_of = _stable_keys(members)
    for a in moving:
        for b in staying:
            _decide(kind=ClusterDecision.Kind.APART, left=key_of[a], right=key_of[b], user=user, note=note)
    Record.objects.filter(pk__in=moving).update(cluster=None)
    MatchProfile.objects.filter(pk__in=moving).update(matched_with=None, score=None, reasons=[])
    _event(cluster_id=cluster_id, action=ClusterEvent.Action.SPLIT, record_ids=moving, note=note, user=user,
           details={"kept": staying})
    new_id = None
    if len(moving) >= 2:
        new_id = Cluster.objects.create().pk
        Record.objects.filter(pk__in=moving).update(cluster_id=new_id)
        _event(cluster_id=new_id, action=ClusterEvent.Action.CREATE, record_ids=moving, note=note, user=user,
               details={"split_from": cluster_id})
    _index_later(_dissolve_if_small(cluster_id) | set(moving))
    return new_id


@transaction.atomic
def records_separate(*, record_id: int, other_record_id: int, user=None, note: str = "") -> None:
    """Keep two records apart for good; if they share a cluster now, the first leaves it."""
    if not note.strip():
        raise ValidationFailed("separating records needs a reason (note)")
    rows = dict(Record.objects.filter(pk__in=[record_id, other_record_id]).values_list("pk", "cluster_id"))
    if len(rows) != 2:
        raise NotFound("both records must exist")
    key_of = _stable_keys([record_id, other_record_id])
    _decide(kind=ClusterDecision.Kind.APART, left=key_of[record_id], right=key_of[other_record_id], user=user,
            note=note)
    if rows[record_id] and rows[record_id] == rows[other_record_id]:
        _index_later(_leave(record_id, rows[record_id], action=ClusterEvent.Action.SPLIT, user=user, note=note))


@transaction.atomic
def cluster_merge(*, cluster_id: int, other_id: int, user=None, note: str = "") -> int:
    """Merge two clusters (the older id survives). A staff decision keeps them together after any
    re-import; apart decisions between their members are withdrawn. Returns the surviving cluster id."""
    if not note.strip():
        raise ValidationFailed("a merge needs a reason (note)")
    if cluster_id == other_id:
        raise ValidationFailed("a cluster cannot be merged with itself")
    a, b = _live_members(cluster_id), _live_members(other_id)
    if not a or not b:
        raise NotFound("both clusters must have live members")
    return _unite(a, b, keep=min(cluster_id, other_id), drop=max(cluster_id, other_id), user=user, note=note)


@transaction.atomic
def records_merge(*, record_id: int, other_record_id: int, user=None, note: str = "") -> int:
    """Put two records (and whatever clusters they are in) together for good. Returns the cluster id."""
    if not note.strip():
        raise ValidationFailed("a merge needs a reason (note)")
    rows = dict(Record.objects.filter(pk__in=[record_id, other_record_id], deleted_at__isnull=True)
                .values_list("pk", "cluster_id"))
    if len(rows) != 2:
        raise NotFound("both records must exist and be live")
    ca, cb = rows[record_id], rows[other_record_id]
    if ca and ca == cb:
        raise ValidationFailed("the records are already in one cluster")
    a = _live_members(ca) if ca else [record_id]
    b = _live_members(cb) if cb else [other_record_id]
    existing = sorted(c for c in (ca, cb) if c)
    keep = existing[0] if existing else Cluster.objects.create().pk
    drop = existing[1] if len(existing) > 1 else None
    return _unite(a, b, keep=keep, drop=drop, user=user, note=note, pair=(record_id, other_record_id))


def _unite(a: list[int], b: list[int], *, keep: int, drop: int | None, user, note: str,
           pair: tuple[int, int] | None = None) -> int:
    key_of = _stable_keys(a + b)
    left, right = pair or (a[0], b[0])
    _decide(kind=ClusterDecision.Kind.TOGETHER, left=key_of[left], right=key_of[right], user=user, note=note)
    keys_a, keys_b = [key_of[x] for x in a], [key_of[x] for x in b]
    ClusterDecision.objects.filter(kind=ClusterDecision.Kind.APART).filter(
        Q(left_key__in=keys_a, right_key__in=keys_b) | Q(left_key__in=keys_b, right_key__in=keys_a)).delete()
    Record.objects.filter(pk__in=a + b).update(cluster_id=keep)
    if drop:
        Cluster.objects.filter(pk=drop).delete()
    MatchProfile.objects.filter(pk=right).update(matched_with=left, score=None, reasons=["staff: keep together"])
    _event(cluster_id=keep, action=ClusterEvent.Action.MERGE, record_ids=a + b, note=note, user=user,
           details={"merged_cluster": drop})
    _index_later(set(a + b))
    return keep
