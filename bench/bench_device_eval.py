"""Recall and precision of medical-device matching on the evaluation set, per failure class.

    .venv/bin/python bench/bench_device_eval.py [--src PATH] [--cost-repeat 20] [--show 10]

The set (tests/data/device_eval/, see its SOURCES.md): the 104 CISA ICS-Medical advisories and
an inventory written as hospital biomedical teams write it, each row labelled with the advisory
products it is. `--src` evaluates another checkout's engine (e.g. the `src/` of the commit before
a change) with the same data and the same scoring, for before/after figures. The cost per asset
is the engine's time to match the inventory (repeated `--cost-repeat` times as one larger
inventory) against every advisory, divided by the number of assets. Figures are printed, not
checked; the thresholds are asserted by tests/engines/advisories/test_device_eval.py.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=ROOT / "src", help="engine source tree")
    parser.add_argument("--cost-repeat", type=int, default=20)
    parser.add_argument("--show", type=int, default=10, help="false positives/negatives shown")
    args = parser.parse_args()
    sys.path.insert(0, str(args.src.resolve()))
    sys.path.insert(1, str(ROOT))
    from tests.engines.advisories import device_eval

    started = time.perf_counter()
    report = device_eval.evaluate()
    elapsed = time.perf_counter() - started
    print(f"engine: {args.src.resolve()}")
    print(f"rows: {report.rows}, expected (row, CVE) pairs: {report.expected}")
    print()
    print(f"{'':28} {'recall':>7} {'precision':>9} {'TP':>5} {'FP':>5} {'FN':>5}")
    for name, s in [("all matches", report.overall), ("medium or high only", report.medium)]:
        print(f"{name:28} {s.recall:7.3f} {s.precision:9.3f} {s.tp:5} {s.fp:5} {s.fn:5}")
    print()
    print("per class (rows labelled with it; all matches):")
    for name, s in report.by_class.items():
        print(f"  {name:26} {s.recall:7.3f} {s.precision:9.3f} {s.tp:5} {s.fp:5} {s.fn:5}")
    print()
    print("negatives (rows, rows with any match):")
    for kind, (rows, hit) in report.negatives.items():
        print(f"  {kind:26} {rows:5} {hit:5}")
    print()
    labels = {label.row: label for label in device_eval.read_labels()}
    for title, pairs in (
        ("false positives", report.overall.false_positives),
        ("false negatives", report.overall.false_negatives),
    ):
        print(f"{title} (first {args.show} of {len(pairs)}):")
        for row, cve in pairs[: args.show]:
            label = labels[row]
            print(f"  {row} {cve} [{' '.join(label.classes)}] {label.note}")
    print()
    print(f"evaluation (parse 104 advisories, match, score): {elapsed:.2f} s")
    print(f"cost per asset: {cost_per_asset(args.cost_repeat):.1f} µs")


def cost_per_asset(repeat: int) -> float:
    from tests.engines.advisories import device_eval

    from vigie.engines.feeds import load_feed_file
    from vigie.engines.inventory import load_inventory
    from vigie.engines.matching import match_records

    assets = load_inventory(device_eval.INVENTORY).assets
    many = [
        dataclasses.replace(a, id=f"{a.id}-{n}", parent=f"{a.parent}-{n}" if a.parent else None)
        for n in range(repeat)
        for a in assets
    ]
    records = [
        r for p in sorted(device_eval.ADVISORIES.glob("*.json")) for r in load_feed_file(p).vulns
    ]
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        match_records(records, many)
        best = min(best, time.perf_counter() - started)
    return best / len(many) * 1e6


if __name__ == "__main__":
    main()
