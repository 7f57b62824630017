"""Grouping matches per (asset, vulnerability): one winner, the other feeds as corroboration."""

from __future__ import annotations

import itertools

from vigie.engines.matching import best_per_pair, group_per_pair
from vigie.engines.records import Match


def match(source: str, confidence: str, asset: str = "pump", vuln: str = "CVE-1") -> Match:
    return Match(asset, vuln, source, confidence, reason=f"{source} {confidence}")


def test_the_most_confident_match_wins_then_the_most_precise_feed_then_the_name() -> None:
    matches = [
        match("csaf:B", "medium"),
        match("cve5", "medium"),
        match("nvd", "low"),
        match("csaf:A", "medium"),
    ]
    for order in itertools.permutations(matches):
        [pair] = group_per_pair(order)
        assert [pair.best.source, *(m.source for m in pair.others)] == [
            "cve5",
            "csaf:A",
            "csaf:B",
            "nvd",
        ]


def test_each_pair_is_grouped_apart_and_best_per_pair_gives_the_winners() -> None:
    matches = [
        match("cve5", "low", asset="bastion"),
        match("nvd", "high", asset="bastion"),
        match("cve5", "medium", asset="pump"),
        match("nvd", "high", asset="pump", vuln="CVE-2"),
    ]
    pairs = {(p.best.asset, p.best.vulnerability): p for p in group_per_pair(matches)}
    assert set(pairs) == {("bastion", "CVE-1"), ("pump", "CVE-1"), ("pump", "CVE-2")}
    assert pairs[("bastion", "CVE-1")].best.source == "nvd"
    assert [m.source for m in pairs[("bastion", "CVE-1")].others] == ["cve5"]
    assert pairs[("pump", "CVE-1")].others == ()
    assert best_per_pair(matches) == [p.best for p in pairs.values()]


def test_a_feed_appears_once_per_pair_with_its_best_match() -> None:
    [pair] = group_per_pair([match("cve5", "low"), match("cve5", "high"), match("nvd", "medium")])
    assert (pair.best.source, pair.best.confidence) == ("cve5", "high")
    assert [(m.source, m.confidence) for m in pair.others] == [("nvd", "medium")]
