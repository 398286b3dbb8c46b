"""Recluster the whole catalogue from the stored match keys and profiles (``kitabkhana clusters --rebuild``).

Batch, not record by record: MARC is parsed only for records that have no stored profile yet. The
keys are read once in (value, kind) order so that each block (records sharing a key) arrives as one
run; every pair inside a block of at most ``MAX_BLOCK`` records is a candidate (a bigger block is a key
too common to mean anything, e.g. a one-word title in a busy year: its records still meet through
their other keys). Candidates are scored with the same ``compare`` as incremental matching, then
united best score first with a union-find over compact integers; a union that would put two records a
staff decision keeps apart together is refused, and "keep together" decisions are united first.
Finally cluster rows are reused where most of a component's records already were, created or removed
as needed, and only records whose cluster changed are written (and flagged for the search index).

Transitive closure alone lets a chain of near misses (A~B, B~C, C~D) grow one cluster across
different books; so two groups of two or more records are only united when their representatives
(union-find roots) match as well.
"""

from __future__ import annotations

import time
from array import array
from collections import Counter
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Exists, OuterRef

from kitabkhana.catalogue.models import Cluster, Record
from kitabkhana.marc.matching import compare, features_from_json
from kitabkhana.union.models import ClusterDecision, ClusterEvent, MatchKey, MatchProfile
from kitabkhana.union.selectors import stable_key
from kitabkhana.union.services import match_profiles_store

MAX_BLOCK = 50
_BATCH = 1000


@dataclass
class RebuildResult:
    records: int = 0
    profiled: int = 0
    key_rows: int = 0
    candidate_pairs: int = 0
    matched_pairs: int = 0
    refused: int = 0
    clusters: int = 0
    clustered_records: int = 0
    changed_records: int = 0
    seconds: dict | None = None


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = array("i", range(n))

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root


def _profile_missing(progress) -> int:
    missing = (Record.objects.filter(deleted_at__isnull=True, kind="bibliographic")
               .filter(~Exists(MatchProfile.objects.filter(record_id=OuterRef("pk")))).order_by("pk"))
    done = 0
    last = 0
    while True:
        batch = list(missing.filter(pk__gt=last)[:_BATCH])
        if not batch:
            return done
        with transaction.atomic():
            match_profiles_store(records=batch)
        done += len(batch)
        last = batch[-1].pk
        if progress:
            progress("profiles", done)


def clusters_rebuild(*, progress=None, max_block: int = MAX_BLOCK, write: bool = True) -> RebuildResult:
    """Recompute every cluster; ``progress(stage, count)`` is called now and then."""
    result = RebuildResult(seconds={})
    t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        result.seconds[name] = round(now - t, 2)
        t = now

    result.profiled = _profile_missing(progress)
    lap("profiles")

    ids = array("q")
    no_year = bytearray()
    for pk, year in (Record.objects.filter(deleted_at__isnull=True, kind="bibliographic").order_by("pk")
                     .values_list("pk", "year").iterator(chunk_size=20000)):
        ids.append(pk)
        no_year.append(year is None)
    n = len(ids)
    result.records = n
    index = {pk: i for i, pk in enumerate(ids)}
    lap("records")

    # Blocks: one ordered pass over the keys.
    pairs: set[int] = set()
    table = MatchKey._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value, kind, record_id FROM {table} ORDER BY value, kind")  # noqa: S608 (our table name)
        current: tuple[str, str] | None = None
        block: list[int] = []

        def flush() -> None:
            if 2 <= len(block) <= max_block:
                members = sorted(set(block))
                # A title key without a year only matters for pairs where a year is missing: two dated
                # records within a year of each other share a title+year key too (and farther apart
                # they are vetoed anyway).
                dateless = current is not None and current[1] == "tp"
                for x in range(len(members)):
                    base = members[x] * n
                    for y in range(x + 1, len(members)):
                        if dateless and not (no_year[members[x]] or no_year[members[y]]):
                            continue
                        pairs.add(base + members[y])

        rows = 0
        while True:
            chunk = cursor.fetchmany(50000)
            if not chunk:
                break
            for value, kind, record_id in chunk:
                i = index.get(record_id)
                if i is None:
                    continue
                if (value, kind) != current:
                    flush()
                    current = (value, kind)
                    block = []
                block.append(i)
            rows += len(chunk)
            if progress:
                progress("keys", rows)
        flush()
    result.key_rows = rows
    result.candidate_pairs = len(pairs)
    lap("blocks")

    # Features of the records that take part in some pair, parsed once each.
    needed = bytearray(n)
    for p in pairs:
        needed[p // n] = 1
        needed[p % n] = 1
    feats: dict[int, object] = {}
    for pk, text in MatchProfile.objects.order_by("pk").values_list("pk", "features").iterator(chunk_size=20000):
        i = index.get(pk)
        if i is not None and needed[i]:
            feats[i] = features_from_json(text)
    lap("profiles_read")

    matched: list[tuple[float, int, int]] = []
    for done, p in enumerate(sorted(pairs), 1):
        if progress and done % 1_000_000 == 0:
            progress("pairs compared", done)
        i, j = divmod(p, n)
        a, b = feats.get(i), feats.get(j)
        if a is None or b is None:
            continue
        decision = compare(a, b)
        if decision.same:
            matched.append((decision.score, i, j))
    pairs.clear()
    result.matched_pairs = len(matched)
    lap("compare")

    uf = _UnionFind(n)
    size = array("i", [1]) * n
    apart_of, together = _decision_pairs(index)
    for i, j in together:
        _union(uf, size, apart_of, i, j, force=True)
    matched.sort(key=lambda m: -m[0])
    for _, i, j in matched:
        ri, rj = uf.find(i), uf.find(j)
        if ri == rj:
            continue
        if size[ri] > 1 and size[rj] > 1:
            # Two groups meet through one pair: their first members must match too, or a chain of
            # near misses (A~B, B~C, ...) would grow one cluster across different books.
            # A group's root is one of its members (union by size keeps the bigger group's root).
            a, b = feats.get(ri), feats.get(rj)
            if a is not None and b is not None and not compare(a, b).same:
                result.refused += 1
                continue
        if not _union(uf, size, apart_of, i, j):
            result.refused += 1
    feats.clear()
    lap("union")

    roots = array("i", (uf.find(i) for i in range(n)))
    sizes = array("i", bytes(4 * n))
    for r in roots:
        sizes[r] += 1
    grouped: dict[int, list[int]] = {}
    for i, r in enumerate(roots):
        if sizes[r] >= 2:
            grouped.setdefault(r, []).append(i)
    groups = list(grouped.values())
    result.clusters = len(groups)
    result.clustered_records = sum(len(g) for g in groups)
    lap("components")
    if write:
        result.changed_records = _write(ids, groups)
        ClusterEvent.objects.create(cluster_id=None, action=ClusterEvent.Action.REBUILD, record_ids=[],
                                    details={k: v for k, v in result.__dict__.items()})
    lap("write")
    return result


def _decision_pairs(index: dict[int, int]) -> tuple[dict[int, set[int]], list[tuple[int, int]]]:
    decisions = list(ClusterDecision.objects.values_list("kind", "left_key", "right_key"))
    if not decisions:
        return {}, []
    wanted = {k for _, a, b in decisions for k in (a, b)}
    controls = {k.split("|", 1)[1] for k in wanted if "|#" not in k}
    by_id = {int(k.rsplit("#", 1)[1]) for k in wanted if "|#" in k}
    key_to_i: dict[str, int] = {}
    rows = Record.objects.filter(deleted_at__isnull=True).filter(control_key__in=controls).values_list(
        "pk", "institution__code", "control_key")
    rows = list(rows) + list(Record.objects.filter(pk__in=by_id).values_list("pk", "institution__code", "control_key"))
    for pk, code, ck in rows:
        k = stable_key(institution_code=code, control_key=ck, record_id=pk)
        if k in wanted and pk in index:
            key_to_i[k] = index[pk]
    apart_of: dict[int, set[int]] = {}
    together: list[tuple[int, int]] = []
    for kind, a, b in decisions:
        if a not in key_to_i or b not in key_to_i:
            continue
        i, j = key_to_i[a], key_to_i[b]
        if kind == ClusterDecision.Kind.APART:
            apart_of.setdefault(i, set()).add(j)
            apart_of.setdefault(j, set()).add(i)
        else:
            together.append((i, j))
    return apart_of, together


def _union(uf: _UnionFind, size: array, apart_of: dict[int, set[int]], i: int, j: int, force: bool = False) -> bool:
    ri, rj = uf.find(i), uf.find(j)
    if ri == rj:
        return True
    if apart_of and not force:
        # apart_of is keyed by root after the first union below; members' partners are checked by root.
        for x, y in ((ri, rj), (rj, ri)):
            for other in apart_of.get(x, ()):
                if uf.find(other) == y:
                    return False
    if size[ri] < size[rj]:
        ri, rj = rj, ri
    uf.parent[rj] = ri
    size[ri] += size[rj]
    if rj in apart_of:
        apart_of.setdefault(ri, set()).update(apart_of.pop(rj))
    return True


def _write(ids: array, groups: list[list[int]]) -> int:
    current = dict(Record.objects.filter(cluster__isnull=False).values_list("pk", "cluster_id").iterator(chunk_size=20000))
    target: dict[int, int | None] = {}
    used: set[int] = set()
    new_groups: list[list[int]] = []
    for g in sorted(groups, key=len, reverse=True):
        pks = [ids[i] for i in g]
        votes = Counter(current[pk] for pk in pks if pk in current)
        cid = next((c for c, _ in votes.most_common() if c not in used), None)
        if cid is None:
            new_groups.append(pks)
            continue
        used.add(cid)
        for pk in pks:
            target[pk] = cid
    with transaction.atomic():
        if new_groups:
            created = Cluster.objects.bulk_create([Cluster() for _ in new_groups], batch_size=1000)
            for cluster, pks in zip(created, new_groups, strict=True):
                for pk in pks:
                    target[pk] = cluster.pk
        for pk in current:
            target.setdefault(pk, None)
        changed = [(pk, cid) for pk, cid in target.items() if current.get(pk) != cid]
        _set_clusters(changed)
        Cluster.objects.filter(~Exists(Record.objects.filter(cluster_id=OuterRef("pk")))).delete()
    return len(changed)


def _set_clusters(changed: list[tuple[int, int | None]]) -> None:
    """Write many (record, cluster) pairs at once: through a temporary table, one UPDATE for all.

    (An UPDATE per cluster, or Django's bulk_update with its CASE per row, takes minutes at a
    million records.)
    """
    if not changed:
        return
    table = Record._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE union_rebuild_target (record_id bigint PRIMARY KEY, cluster_id bigint)")
        try:
            for start in range(0, len(changed), 50000):
                cursor.executemany("INSERT INTO union_rebuild_target (record_id, cluster_id) VALUES (%s, %s)",
                                   changed[start:start + 50000])
            cursor.execute(
                f"UPDATE {table} SET needs_index = %s, cluster_id = (SELECT t.cluster_id FROM union_rebuild_target t "  # noqa: S608
                f"WHERE t.record_id = {table}.id) WHERE id IN (SELECT record_id FROM union_rebuild_target)", [True])
        finally:
            cursor.execute("DROP TABLE union_rebuild_target")
