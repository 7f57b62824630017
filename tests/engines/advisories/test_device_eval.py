"""Medical-device matching on inventories as hospitals write them: recall and precision.

The evaluation set is described in tests/data/device_eval/SOURCES.md; the figures per failure
class, before and after, are in docs/performance.md (`bench/bench_device_eval.py`).
"""

from __future__ import annotations

import pytest

from tests.engines.advisories import device_eval


@pytest.fixture(scope="module")
def report() -> device_eval.Report:
    return device_eval.evaluate()


def test_set_covers_every_advisory_with_positives_and_negatives() -> None:
    labels = device_eval.read_labels()
    advisories = {path.name for path in device_eval.ADVISORIES.glob("*.json")}
    assert len(advisories) == 104
    assert {label.advisory for label in labels} == advisories
    assert sum(1 for label in labels if label.truth) >= 300
    assert sum(1 for label in labels if label.negative) >= 150


def test_expected_cves_come_from_the_advisories_product_status() -> None:
    affected = device_eval.affected_cves()
    labels = device_eval.read_labels()
    for label in labels:
        for entry in label.truth:
            assert affected[entry], f"{label.row}: {entry} lists no affected CVE"


def test_recall_at_least_0_90_at_precision_at_least_0_95(report: device_eval.Report) -> None:
    assert report.overall.recall >= 0.90, report.overall.false_negatives[:20]
    assert report.overall.precision >= 0.95, report.overall.false_positives[:20]


def test_medium_confidence_matches_are_almost_never_wrong(report: device_eval.Report) -> None:
    assert report.medium.precision >= 0.98, report.medium.false_positives[:20]


def test_other_vendors_and_excluded_products_never_match(report: device_eval.Report) -> None:
    for kind in ("other-vendor", "excluded-product", "other-product"):
        rows, matched = report.negatives[kind]
        assert rows, kind
        assert matched == 0, kind


@pytest.mark.parametrize("name", ["1", "4", "5", "6", "7", "8", "9", "10"])
def test_every_failure_class_is_mostly_found(report: device_eval.Report, name: str) -> None:
    assert report.by_class[name].recall >= 0.75
    assert report.by_class[name].precision >= 0.85
