"""Precision, recall and F1 of the union catalogue's matcher on the labelled pairs in shared/data/dedup.

  python bench/dedup_eval.py [--data ../shared/data] [--errors N]

See kitabkhana/union/evaluation.py for how pairs are read, which fields are hidden from the matcher
(the ones that define the labels) and how negatives are sampled where none are labelled.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    from kitabkhana.union.evaluation import evaluate_all

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared/data")
    parser.add_argument("--errors", type=int, default=0, help="print up to N misclassified pairs per dataset")
    args = parser.parse_args()
    started = time.perf_counter()
    results = evaluate_all(args.data)
    print(f"{'dataset':<26} {'pos':>5} {'neg':>5} {'TP':>5} {'FP':>4} {'FN':>4} {'precision':>9} {'recall':>7} {'F1':>6}")
    for name, s in results.items():
        print(f"{name:<26} {s.tp + s.fn:>5} {s.fp + s.tn:>5} {s.tp:>5} {s.fp:>4} {s.fn:>4} "
              f"{s.precision:>9.4f} {s.recall:>7.4f} {s.f1:>6.4f}")
    print(f"({time.perf_counter() - started:.1f} s)")
    if args.errors:
        for name, s in results.items():
            if name != "overall":
                for line in s.errors[: args.errors]:
                    print(f"  {name}: {line}")


if __name__ == "__main__":
    main()
