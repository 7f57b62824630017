"""Migrating to one AlertAsset row per (alert, asset): duplicate rows of several feeds merge.

The merge itself (`vulns.corroboration.merge_rows`) is tested on plain rows; the migration is
run for real, forwards and backwards, on the test database (SQLite or PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from vigie.inventory.models import Asset
from vigie.tenancy.models import Organisation
from vigie.vulns.corroboration import merge_rows

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
BEFORE = ("vulns", "0001_initial")
AFTER = ("vulns", "0004_alertasset_unique_per_asset")


def row(source: str, confidence: str, *, active: bool = True, day: int = 0) -> SimpleNamespace:
    return SimpleNamespace(
        source=source,
        confidence=confidence,
        reason=f"{source} says so",
        criterion=f"{source} criterion",
        version_range="< 2.0",
        corroboration=[],
        active=active,
        first_seen=T0 + timedelta(days=day),
        last_seen=T0 + timedelta(days=day + 1),
    )


def test_the_most_confident_row_is_kept_and_the_others_become_its_corroboration() -> None:
    cve5, nvd = row("cve5", "low", day=0), row("nvd", "high", day=3)
    kept, gone = merge_rows([cve5, nvd])  # the worse first: the order rows come in is no rule
    assert kept is nvd
    assert gone == [cve5]
    assert (kept.source, kept.confidence, kept.active) == ("nvd", "high", True)
    assert kept.corroboration == [
        {
            "source": "cve5",
            "confidence": "low",
            "criterion": "cve5 criterion",
            "version_range": "< 2.0",
            "reason": "cve5 says so",
        }
    ]
    assert kept.first_seen == T0  # the earliest row's, though it was not the best
    assert kept.last_seen == T0 + timedelta(days=4)


def test_equal_confidence_goes_to_the_more_precise_feed_then_to_the_name() -> None:
    csaf_b, cve5, csaf_a = row("csaf:B", "medium"), row("cve5", "medium"), row("csaf:A", "medium")
    kept, gone = merge_rows([csaf_b, cve5, csaf_a])
    assert kept is cve5
    assert [c["source"] for c in kept.corroboration] == ["csaf:A", "csaf:B"]
    assert {id(r) for r in gone} == {id(csaf_a), id(csaf_b)}


def test_a_row_that_still_matches_beats_a_better_one_that_no_longer_does() -> None:
    stale_nvd, cve5 = row("nvd", "high", active=False), row("cve5", "low", day=2)
    kept, gone = merge_rows([stale_nvd, cve5])
    assert kept is cve5
    assert (kept.active, kept.corroboration) == (True, [])  # NVD no longer corroborates
    assert gone == [stale_nvd]
    assert kept.first_seen == T0


def test_when_no_row_matches_any_more_the_best_is_kept_inactive() -> None:
    nvd, cve5 = row("nvd", "high", active=False), row("cve5", "low", active=False)
    kept, _gone = merge_rows([cve5, nvd])
    assert kept is nvd
    assert not kept.active
    assert [c["source"] for c in kept.corroboration] == ["cve5"]


# --- the migration, for real ---------------------------------------------------------------


def _migrate(target: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.migrate(target)
    return MigrationExecutor(connection).loader.project_state(target).apps


@pytest.fixture
def before_merge(transactional_db: Any) -> Iterator[Any]:
    """The database as it was with one row per source; migrated to the latest state after."""
    try:
        yield _migrate([BEFORE])
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def test_the_migration_merges_rows_of_several_feeds_and_can_be_undone(before_merge: Any) -> None:
    organisation = Organisation.objects.create(kind="establishment", name="CH", slug="ch")
    # The vulnerability table as it was then (later migrations add columns to it).
    vuln = before_merge.get_model("vulns", "Vulnerability").objects.create(vuln_id="CVE-2024-6387")
    bastion = Asset.objects.create(organisation=organisation, external_id="ssh", name="Bastion")
    pump = Asset.objects.create(organisation=organisation, external_id="pump", name="Pompe")
    # Historical models: later migrations add columns (Alert.assignee, AlertAsset.reason_parts).
    alert = before_merge.get_model("vulns", "Alert").objects.create(
        organisation_id=organisation.pk,
        vulnerability_id=vuln.pk,
        priority="attend",
        first_seen=T0,
        state_changed_at=T0,
    )
    OldAlertAsset = before_merge.get_model("vulns", "AlertAsset")

    def old_row(asset: Asset, source: str, confidence: str, day: int, active: bool = True) -> Any:
        return OldAlertAsset.objects.create(
            alert_id=alert.pk,
            asset_id=asset.pk,
            source=source,
            confidence=confidence,
            reason=f"{source} reason",
            criterion=f"{source} criterion",
            priority="attend",
            decision={"priority": "attend"},
            active=active,
            first_seen=T0 + timedelta(days=day),
            last_seen=T0 + timedelta(days=day),
        )

    old_row(bastion, "cve5", "low", day=0)
    old_row(bastion, "nvd", "high", day=2)
    old_row(pump, "csaf:ICSMA-23-194-01", "medium", day=1, active=False)
    old_row(pump, "cve5", "medium", day=1)

    MergedAlertAsset = _migrate([AFTER]).get_model("vulns", "AlertAsset")
    rows = {r.asset_id: r for r in MergedAlertAsset.objects.filter(alert_id=alert.pk)}
    assert set(rows) == {bastion.pk, pump.pk}
    merged = rows[bastion.pk]
    assert (merged.source, merged.confidence, merged.active) == ("nvd", "high", True)
    assert [(c["source"], c["confidence"], c["reason"]) for c in merged.corroboration] == [
        ("cve5", "low", "cve5 reason")
    ]
    assert merged.first_seen == T0
    assert merged.last_seen == T0 + timedelta(days=2)
    assert (rows[pump.pk].source, rows[pump.pk].corroboration) == ("cve5", [])
    # One row per (alert, asset) from now on.
    with pytest.raises(IntegrityError), transaction.atomic():
        MergedAlertAsset.objects.create(
            alert_id=alert.pk,
            asset_id=bastion.pk,
            source="csaf:X",
            confidence="low",
            reason="x",
            priority="attend",
            first_seen=T0,
            last_seen=T0,
        )

    apps = _migrate([BEFORE])
    back = sorted(
        apps.get_model("vulns", "AlertAsset")
        .objects.filter(alert_id=alert.pk)
        .values_list("asset_id", "source", "confidence", "active")
    )
    assert back == sorted(
        [
            (bastion.pk, "nvd", "high", True),
            (bastion.pk, "cve5", "low", True),
            (pump.pk, "cve5", "medium", True),
        ]
    )
