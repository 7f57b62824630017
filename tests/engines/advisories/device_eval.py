"""The medical-device evaluation set: expected (asset, CVE) pairs against what the engine matches.

Data in tests/data/device_eval/ (see its SOURCES.md): the 104 CISA ICS-Medical advisories,
an inventory written the way hospital biomedical teams write it, and labels saying which
advisory products each row *is*. Expected CVEs come from the advisories' own
`product_status` (known_affected, first_affected, last_affected) of those products; nothing
is derived from the matcher.

Used by tests/engines/advisories/test_device_eval.py (the thresholds) and by
bench/bench_device_eval.py (figures per failure class, before and after a change). Only
public engine entry points are used, so the bench can run an older checkout's engine too.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

EVAL = Path(__file__).resolve().parents[2] / "data" / "device_eval"
ADVISORIES = EVAL / "advisories"
INVENTORY = EVAL / "inventory.csv"
LABELS = EVAL / "labels.csv"
AFFECTED = ("known_affected", "first_affected", "last_affected")

Pair = tuple[str, str]  # (inventory row id, CVE id)


@dataclass(frozen=True, slots=True)
class Label:
    row: str
    advisory: str
    truth: tuple[str, ...]  # `file#product-id` entries
    classes: tuple[str, ...]
    negative: str
    note: str


def read_labels(path: Path = LABELS) -> list[Label]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            Label(
                row=r["id"],
                advisory=r["advisory"],
                truth=tuple(r["truth"].split()),
                classes=tuple(r["class"].split()) or ("plain",),
                negative=r["negative"].strip(),
                note=r["note"],
            )
            for r in csv.DictReader(handle)
        ]


def affected_cves(directory: Path = ADVISORIES) -> dict[str, set[str]]:
    """`file#product-id` -> CVEs whose product_status lists it as affected."""
    found: dict[str, set[str]] = defaultdict(set)
    for path in sorted(directory.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        for vulnerability in document.get("vulnerabilities", []):
            cve = vulnerability.get("cve")
            if not cve:
                continue
            status = vulnerability.get("product_status", {})
            for group in AFFECTED:
                for product_id in status.get(group, []):
                    found[f"{path.name}#{product_id}"].add(cve.upper())
    return found


def expected_pairs(labels: Iterable[Label], affected: dict[str, set[str]]) -> set[Pair]:
    pairs: set[Pair] = set()
    for label in labels:
        for entry in label.truth:
            pairs.update((label.row, cve) for cve in affected.get(entry, ()))
    return pairs


def predicted_pairs() -> dict[Pair, str]:
    """(row, CVE) -> best confidence, from the engine's one evaluator over all advisories."""
    from vigie.engines.feeds import load_feed_file
    from vigie.engines.inventory import load_inventory
    from vigie.engines.matching import match_records

    loaded = load_inventory(INVENTORY)
    assert not loaded.errors, loaded.errors[:3]
    records = [
        record
        for path in sorted(ADVISORIES.glob("*.json"))
        for record in load_feed_file(path).vulns
    ]
    rank = {"low": 1, "medium": 2, "high": 3}
    best: dict[Pair, str] = {}
    for match in match_records(records, loaded.assets):
        key = (match.asset, match.vulnerability.upper())
        if key not in best or rank[match.confidence] > rank[best[key]]:
            best[key] = match.confidence
    return best


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    false_positives: list[Pair] = field(default_factory=list)
    false_negatives: list[Pair] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0


def score(expected: set[Pair], predicted: Iterable[Pair], rows: set[str] | None = None) -> Score:
    """Pairs of `rows` only (all rows when None)."""
    wanted = {p for p in expected if rows is None or p[0] in rows}
    got = {p for p in predicted if rows is None or p[0] in rows}
    result = Score(tp=len(wanted & got), fp=len(got - wanted), fn=len(wanted - got))
    result.false_positives = sorted(got - wanted)
    result.false_negatives = sorted(wanted - got)
    return result


@dataclass
class Report:
    overall: Score
    medium: Score  # counting medium (and high) matches only
    by_class: dict[str, Score]
    negatives: dict[str, tuple[int, int]]  # kind -> (rows, rows with any match)
    rows: int
    expected: int


def evaluate() -> Report:
    labels = read_labels()
    expected = expected_pairs(labels, affected_cves())
    predicted = predicted_pairs()
    confident = [p for p, c in predicted.items() if c in ("medium", "high")]
    by_class: dict[str, Score] = {}
    for name in sorted({c for label in labels for c in label.classes}):
        rows = {label.row for label in labels if name in label.classes}
        by_class[name] = score(expected, predicted, rows)
    negatives: dict[str, tuple[int, int]] = {}
    matched_rows = {row for row, _ in predicted}
    for kind in sorted({label.negative for label in labels if label.negative}):
        rows = {label.row for label in labels if label.negative == kind}
        negatives[kind] = (len(rows), len(rows & matched_rows))
    return Report(
        overall=score(expected, predicted),
        medium=score(expected, confident),
        by_class=by_class,
        negatives=negatives,
        rows=len(labels),
        expected=len(expected),
    )
