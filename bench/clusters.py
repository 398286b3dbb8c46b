"""Rebuild the union catalogue's clusters over a large synthetic catalogue; print time, memory and quality.

  python bench/clusters.py --records 1000000 [--workdir DIR] [--seed 1]

What is generated (straight into a fresh SQLite database; no MARC import, which would take hours at
this size and is not what is measured): ``Record`` rows (bibliographic, MARC 21, one institution per
copy) with their ``MatchProfile`` and ``MatchKey`` rows, built with the matcher's own code
(``features_to_json`` / ``match_keys``) from features of real records:

* seeds are the ACO records in ../shared/data/marc21-nonlatin/aco that carry an 880 title (Arabic
  script beside the ALA-LC romanisation): their romanised and original title and name skeletons;
* each synthetic *book* takes 1-3 words drawn (uniformly) from the seeds' title words, then one seed's
  title (its romanised or its original-script skeleton), the names and publisher of another seed, a
  random year (1900-2025), an ISBN (70 %), a page count (80 %);
* duplicates are planted: a book has 1 copy (70 %), 2 (20 %) or 3 (10 %); copy 1 is romanised, the
  others alternate to the Arabic-script form (cross-script duplicates, as from a partner); a later
  copy loses its ISBN (40 %), its names (20 %, a brief record), its pages (30 %), or has its year one off
  (10 %).

Then ``clusters_rebuild`` runs in this process; its wall time and the process's peak RSS are printed,
with the clusters found and pairwise precision/recall/F1 against the planted books, and the F1 of the
matcher on the labelled pairs of shared/data/dedup (as bench/dedup_eval.py).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared/data"


def _seeds(limit_files: int = 3):
    from kitabkhana.marc.reader import read_records
    from kitabkhana.union.features import match_features as features

    seeds = []
    words: list[str] = []
    for path in sorted((DATA / "marc21-nonlatin/aco").glob("*.mrc"))[:limit_files]:
        for result in read_records(path):
            r = result.record
            if r is None or not any(f.get_subfields("6") and f["6"].startswith("245") for f in r.get_fields("880")):
                continue
            f = features(r, "marc21")
            if len(f.titles) >= 2 and f.titles[0] and f.titles[-1]:
                seeds.append(f)
                for field in r.get_fields("245"):
                    words.extend(w for w in (field["a"] or "").split() if len(w) > 3)
    return seeds, words


def generate(n: int, seed: int):
    """Yield (book id, MatchFeatures) for about n records."""
    from stdnum import ean

    from kitabkhana.marc.matching import MatchFeatures
    from kitabkhana.scripts.translit import skeleton

    rng = random.Random(seed)
    seeds, words = _seeds()
    vocab = sorted({v for v in (skeleton(w) for w in words) if len(v) >= 2})
    made = 0
    book = 0
    while made < n:
        book += 1
        s = rng.choice(seeds)  # the title (both script forms) ...
        author = rng.choice(seeds)  # ... and the names come from two different real records
        prefix = "".join(rng.choices(vocab, k=rng.randint(1, 3)))
        year = rng.randint(1900, 2025)
        body = "978" + "".join(str(rng.randrange(10)) for _ in range(9))
        isbn = body + ean.calc_check_digit(body) if rng.random() < 0.7 else None
        pages = rng.randint(40, 900) if rng.random() < 0.8 else None
        copies = 1 if (x := rng.random()) < 0.7 else 2 if x < 0.9 else 3
        for c in range(copies):
            original = c % 2 == 1
            title = prefix + (s.titles[-1] if original else s.titles[0])
            names = [author.names[-1] if original else author.names[0]] if author.names else []
            f = MatchFeatures(
                titles=[title], full_titles=[title], names=names, years=[year],
                isbns=[isbn] if isbn else [], pages=pages, publishers=author.publishers[:1], material="book",
            )
            if c > 0:
                if rng.random() < 0.4:
                    f.isbns = []
                if rng.random() < 0.2:
                    f.names = []
                if rng.random() < 0.3:
                    f.pages = None
                if rng.random() < 0.1:
                    f.years = [year + 1]
            yield book, f
            made += 1
            if made >= n:
                return


def load(n: int, seed: int) -> list[int]:
    """Write records, profiles and keys; returns the planted book of each record, by record id order."""
    from django.db import connection, transaction

    from kitabkhana.accounts.models import Institution
    from kitabkhana.marc.matching import features_to_json, match_keys

    institution = Institution.objects.create(code="BENCH", name="Bench", kind="national")
    books: list[int] = []
    batch_records, batch_profiles, batch_keys = [], [], []

    def flush() -> None:
        with transaction.atomic(), connection.cursor() as cur:
            cur.executemany(
                "INSERT INTO catalogue_record (id, kind, flavour, institution_id, control_key, marc, version, title, "
                "title_original, author, year, material_type, languages, needs_index, created_at, updated_at) "
                "VALUES (%s, 'bibliographic', 'marc21', %s, %s, %s, 1, '', '', '', %s, 'book', '', false, "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)", batch_records)
            cur.executemany("INSERT INTO union_matchprofile (record_id, features, reasons) VALUES (%s, %s, '[]')",
                            batch_profiles)
            cur.executemany("INSERT INTO union_matchkey (record_id, kind, value) VALUES (%s, %s, %s)", batch_keys)
        batch_records.clear()
        batch_profiles.clear()
        batch_keys.clear()

    for pk, (book, f) in enumerate(generate(n, seed), 1):
        books.append(book)
        batch_records.append((pk, institution.pk, f"BENCH|b{pk:09d}", b"", f.years[0] if f.years else None))
        batch_profiles.append((pk, features_to_json(f)))
        batch_keys.extend((pk, k, v) for k, v in match_keys(f))
        if len(batch_records) >= 20000:
            flush()
    if batch_records:
        flush()
    return books


def pairwise(books: list[int]) -> tuple[float, float, float, int]:
    from kitabkhana.catalogue.models import Record

    cluster_of = dict(Record.objects.filter(cluster__isnull=False).values_list("pk", "cluster_id").iterator(chunk_size=50000))
    from collections import Counter

    truth = Counter(books)
    predicted = Counter(cluster_of.values())
    both = Counter((cluster_of[pk], books[pk - 1]) for pk in cluster_of)
    pairs = lambda c: sum(v * (v - 1) // 2 for v in c.values())  # noqa: E731
    tp, pred, true = pairs(both), pairs(predicted), pairs(truth)
    p = tp / pred if pred else 1.0
    r = tp / true if true else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0), len(predicted)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="kb-clusters-"))
    workdir.mkdir(parents=True, exist_ok=True)
    os.environ["KITABKHANA_DATA_DIR"] = str(workdir)
    os.environ.pop("KITABKHANA_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    t = time.perf_counter()
    books = load(args.records, args.seed)
    print(f"generated {len(books)} records ({len(set(books))} books) in {time.perf_counter() - t:.0f} s "
          f"(rss so far {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)", flush=True)

    from kitabkhana.union.rebuilding import clusters_rebuild

    def cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def progress(stage: str, count: int) -> None:
        if count % 1_000_000 < 50_000:
            print(f"  {time.perf_counter() - t:7.1f} s  {stage} {count}", flush=True)

    t, c = time.perf_counter(), cpu()
    result = clusters_rebuild(progress=progress)
    seconds = time.perf_counter() - t
    print(f"rebuild: {seconds:.1f} s wall, {cpu() - c:.1f} s CPU for {result.records} records; peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB (whole process, generation included)")
    print(f"  keys {result.key_rows}, candidate pairs {result.candidate_pairs}, matched {result.matched_pairs}, "
          f"clusters {result.clusters} ({result.clustered_records} records), stages {result.seconds}")
    p, r, f1, n = pairwise(books)
    print(f"planted duplicates: {n} clusters; pairwise precision {p:.4f} recall {r:.4f} F1 {f1:.4f}")
    from kitabkhana.union.evaluation import evaluate_all

    overall = evaluate_all(DATA)["overall"]
    print(f"labelled pairs (shared/data/dedup): precision {overall.precision:.4f} recall {overall.recall:.4f} "
          f"F1 {overall.f1:.4f}")


if __name__ == "__main__":
    main()
