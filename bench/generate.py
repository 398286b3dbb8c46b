"""Synthetic MARC 21 files for benchmarks, seeded with real records.

Each synthetic record is a real record (from demo/, and ../shared/data when present) with a new
001/003, a title and subjects drawn from the real records' own words with a Zipf-like (natural)
frequency, a year, a language and a valid ISBN. So record shapes, field mixes and scripts are
real, while the collection grows to any size.

  python bench/generate.py OUT.mrc --records 100000 [--seed 1]
"""

from __future__ import annotations

import argparse
import io
import random
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pymarc
from stdnum import ean

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SEED_FILES = [
    ROOT / "demo/aco-auc-cairo-150.mrc",
    ROOT / "demo/traject-test_data.utf8.mrc",
    ROOT / "demo/trln-marc-to-argot-880-fixtures.mrc",
    ROOT.parent / "shared/data/marc21-nonlatin/aco/aco-LeBAU-aub-beirut.mrc",
    ROOT.parent / "shared/data/marc21-nonlatin/aco/aco-NjP-princeton.mrc",
    ROOT.parent / "shared/data/marc21-bibliographic/evergreen/jazz_1k.mrc",
]
LANGUAGES = ["per", "ara", "eng", "rus", "tur", "arm", "chi", "aze", "uzb", "kaz", "kir", "tgk", "geo", "fre",
             "ger", "urd", "pus", "kur", "heb", "jpn"]


def seed_records() -> list[pymarc.Record]:
    from kitabkhana.marc.reader import read_records  # decodes MARC-8 and mislabelled UTF-8 properly

    records = []
    for path in SEED_FILES:
        if not path.exists():
            continue
        for result in read_records(path):
            if result.record is not None and result.record.get("245") is not None:
                records.append(result.record)
    if not records:
        sys.exit("no seed records found (demo/ is missing?)")
    return records


def _vocabulary(records: list[pymarc.Record]) -> list[str]:
    words: Counter[str] = Counter()
    for record in records:
        for field in record.get_fields("245", "650", "880", "100", "700"):
            for value in field.get_subfields("a", "b"):
                words.update(w for w in value.strip(" /:;,.").split() if len(w) > 2)
    return [w for w, _ in words.most_common()]


def _headings(records: list[pymarc.Record]) -> tuple[list[pymarc.Field], list[str]]:
    """Real topical headings (650 without subdivisions) and real subdivisions, most used first."""
    headings: Counter[tuple] = Counter()
    fields: dict[tuple, pymarc.Field] = {}
    subdivisions: Counter[str] = Counter()
    for record in records:
        for field in record.get_fields("650"):
            main = tuple((s.code, s.value) for s in field.subfields if s.code == "a")
            if main:
                headings[main] += 1
                fields.setdefault(main, field)
            subdivisions.update(s.value for s in field.subfields if s.code in "xyz")
    return [fields[key] for key, _ in headings.most_common()], [v for v, _ in subdivisions.most_common()]


def _zipf(n: int) -> list[float]:
    """Cumulative weights: the k-th most common item is drawn with probability ~ 1/k."""
    cumulative, total = [], 0.0
    for k in range(n):
        total += 1.0 / (k + 1)
        cumulative.append(total)
    return cumulative


def _isbn13(rng: random.Random) -> str:
    body = "978" + "".join(str(rng.randrange(10)) for _ in range(9))
    return body + ean.calc_check_digit(body)  # an ISBN-13 is an EAN-13


def synthetic_records(count: int, seed: int = 1) -> Iterator[bytes]:
    rng = random.Random(seed)
    seeds = seed_records()
    vocab = _vocabulary(seeds)
    cumulative = _zipf(len(vocab))
    # Subjects come from a controlled vocabulary, as in a real catalogue: real headings and real
    # subdivisions from the seed records, each drawn with a Zipf-like frequency.
    headings, subdivisions = _headings(seeds)
    heading_weights, subdivision_weights = _zipf(len(headings)), _zipf(len(subdivisions))
    for n in range(count):
        record = pymarc.Record(force_utf8=True)
        base = seeds[n % len(seeds)]
        record.leader = pymarc.Leader(str(base.leader)[:9] + "a" + str(base.leader)[10:])
        year = rng.randint(1900, 2025)
        language = LANGUAGES[min(int(rng.paretovariate(1.2)) - 1, len(LANGUAGES) - 1)]
        title = " ".join(rng.choices(vocab, cum_weights=cumulative, k=rng.randint(2, 7)))
        record.add_field(pymarc.Field(tag="001", data=f"kb{n:09d}"))
        record.add_field(pymarc.Field(tag="003", data="KBBENCH"))
        record.add_field(pymarc.Field(tag="008", data=f"250101s{year}    ir            000 0 {language} d"))
        record.add_field(pymarc.Field(tag="020", indicators=[" ", " "], subfields=[pymarc.Subfield("a", _isbn13(rng))]))
        for field in base.fields:
            if field.tag in ("001", "003", "005", "008", "020", "245"):
                continue
            if field.tag == "650" and headings:
                heading = rng.choices(headings, cum_weights=heading_weights)[0]
                subfields = [s for s in heading.subfields if s.code == "a"]
                if subdivisions and rng.random() < 0.4:
                    subfields.append(pymarc.Subfield("x", rng.choices(subdivisions, cum_weights=subdivision_weights)[0]))
                record.add_field(pymarc.Field(tag="650", indicators=[" ", "0"], subfields=subfields))
                continue
            record.add_field(field)
        record.add_ordered_field(pymarc.Field(tag="245", indicators=["1", "0"], subfields=[pymarc.Subfield("a", title)]))
        yield record.as_marc()


def write_file(out: Path, count: int, seed: int = 1) -> Path:
    with out.open("wb") as fh:
        buffer = io.BytesIO()
        for i, data in enumerate(synthetic_records(count, seed), 1):
            buffer.write(data)
            if i % 10_000 == 0:
                fh.write(buffer.getvalue())
                buffer = io.BytesIO()
        fh.write(buffer.getvalue())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    write_file(args.out, args.records, args.seed)
    print(f"wrote {args.records} records to {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
