"""From feeds and inventories to alerts: matching, priorities, updates, withdrawal, VEX, outbox."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vigie.engines.records import VexStatement, VulnRecord
from vigie.inventory.models import Asset, AssetKey
from vigie.notify.models import Delivery
from vigie.tenancy.access import OrgAccess
from vigie.vulns.feed_import import store_and_match
from vigie.vulns.models import Alert, AlertAsset, AlertEvent, FeedRecord, Vulnerability

from .support import HEADER, import_csv, load_feeds

PORTAL = (
    "portal,Portail patients,server,Apache,HTTP Server,2.4.59,"
    "cpe:2.3:a:apache:http_server:2.4.59:*:*:*:*:*:*:*,,,business,internet,DMZ\n"
)
PUMP = (
    "pump-1,Pompe Alaris,medical-device,BD,Alaris PC Unit model 8015,9.19,,,,"
    "life-sustaining,internal,Réanimation\n"
)


def test_kev_listed_cve_on_an_internet_facing_server_raises_an_act_alert_with_its_reasons(
    a_access: OrgAccess, small_feeds: Path
) -> None:
    import_csv(a_access, HEADER + PORTAL)
    summary = load_feeds(small_feeds)
    assert summary["alerts_created"] >= 1
    alert = Alert.objects.get(
        organisation=a_access.organisation, vulnerability__vuln_id="CVE-2024-38475"
    )
    assert alert.priority == "act"
    assert alert.state == "new"
    assert alert.ack_due_at is not None
    assert alert.decision["exploitation"] == "active"
    assert any("KEV" in line for line in alert.decision["explanation"])
    # NVD and the CVE 5 record (CISA's ADP CPEs) both describe it: one row for the asset, NVD's
    # exact CPE match winning, CVE 5 as corroboration.
    row = alert.affected.get()
    assert row.source == "nvd"
    assert [c["source"] for c in row.corroboration] == ["cve5"]
    assert row.asset.external_id == "portal"
    assert row.confidence == "high"
    assert "2.4.59" in row.reason
    # The notification is in the outbox, written in the same transaction as the alert.
    delivery = Delivery.objects.get(
        related_object=f"vulns.alert:{alert.pk}", event="alert.new", recipient="a.admin@example.org"
    )
    assert delivery.organisation == a_access.organisation


def test_medical_device_without_cpe_is_matched_by_name_with_its_confidence(
    a_access: OrgAccess, small_feeds: Path
) -> None:
    import_csv(a_access, HEADER + PUMP)
    load_feeds(small_feeds)
    rows = AlertAsset.objects.filter(asset__external_id="pump-1", active=True)
    assert rows.exists()
    sources = {row.source for row in rows}
    # Named by advisories (CISA ICS-Medical CSAF) and CVE 5 records, never through a CPE.
    assert all(source.startswith("csaf:ICSMA") or source == "cve5" for source in sources)
    assert any(source.startswith("csaf:ICSMA") for source in sources)
    assert {row.confidence for row in rows} <= {"high", "medium", "low"}
    assert any("BD" in row.reason and "Becton" in row.reason for row in rows)


def test_reimporting_the_same_feed_changes_nothing(a_access: OrgAccess, small_feeds: Path) -> None:
    import_csv(a_access, HEADER + PORTAL)
    load_feeds(small_feeds)
    alerts, rows, events = (
        Alert.objects.count(),
        AlertAsset.objects.count(),
        AlertEvent.objects.count(),
    )
    again = load_feeds(small_feeds)
    assert again["records_created"] == 0
    assert again["records_updated"] == 0
    assert (Alert.objects.count(), AlertAsset.objects.count(), AlertEvent.objects.count()) == (
        alerts,
        rows,
        events,
    )


def test_upgrading_the_asset_closes_the_alert_and_a_downgrade_reopens_it(
    a_access: OrgAccess, small_feeds: Path
) -> None:
    import_csv(a_access, HEADER + PORTAL)
    load_feeds(small_feeds)
    alert = Alert.objects.get(vulnerability__vuln_id="CVE-2024-38475")
    fixed = PORTAL.replace("2.4.59", "2.4.62")
    done = import_csv(a_access, HEADER + fixed)
    assert done.updated == 1
    assert Asset.objects.filter(organisation=a_access.organisation).count() == 1  # no duplicate
    alert.refresh_from_db()
    assert alert.state == "resolved"
    assert alert.closed_reason == "no_longer_affected"
    import_csv(a_access, HEADER + PORTAL)
    alert.refresh_from_db()
    assert alert.state == "new"
    assert alert.events.filter(kind="reopened").exists()


def test_a_rejected_cve_withdraws_its_alerts(a_access: OrgAccess, small_feeds: Path) -> None:
    import_csv(a_access, HEADER + PORTAL)
    load_feeds(small_feeds)
    record = FeedRecord.objects.get(vulnerability__vuln_id="CVE-2024-38475", source="nvd")
    rejected = VulnRecord(
        id="CVE-2024-38475", source="nvd", rejected=True, description="** REJECT **"
    )
    del record
    store_and_match_result = store_and_match_rejected(rejected)
    assert store_and_match_result["rejected"] == 1
    alert = Alert.objects.get(vulnerability__vuln_id="CVE-2024-38475")
    assert alert.state == "withdrawn"
    assert alert.closed_reason == "rejected"
    assert Vulnerability.objects.get(vuln_id="CVE-2024-38475").rejected


def store_and_match_rejected(record: VulnRecord) -> dict[str, Any]:
    from vigie.engines.feeds import FeedContent

    return store_and_match(FeedContent(vulns=[record]))


def test_vex_not_affected_statement_closes_the_alert(
    a_access: OrgAccess, small_feeds: Path
) -> None:
    import_csv(a_access, HEADER + PORTAL)
    load_feeds(small_feeds)
    from vigie.engines.feeds import FeedContent

    statement = VexStatement(
        vulnerability="CVE-2024-38475",
        status="not_affected",
        product="cpe:2.3:a:apache:http_server:2.4.59:*:*:*:*:*:*:*",
        justification="vulnerable_code_not_in_execute_path",
        source="supplier VEX",
    )
    store_and_match(FeedContent(vex=[statement]))
    alert = Alert.objects.get(vulnerability__vuln_id="CVE-2024-38475")
    assert alert.state == "resolved"
    assert alert.closed_reason == "vex"
    rows = list(alert.affected.all())
    assert rows
    assert not any(row.active for row in rows)
    assert all("not_affected" in row.suppressed_by for row in rows)


def test_a_new_cve_only_alerts_the_establishment_that_has_the_product(
    a_access: OrgAccess, b_access: OrgAccess, small_feeds: Path
) -> None:
    import_csv(a_access, HEADER + PORTAL)
    import_csv(b_access, HEADER + PUMP)
    load_feeds(small_feeds)
    a_alerts = set(
        Alert.objects.filter(organisation=a_access.organisation).values_list(
            "vulnerability__vuln_id", flat=True
        )
    )
    b_alerts = set(
        Alert.objects.filter(organisation=b_access.organisation).values_list(
            "vulnerability__vuln_id", flat=True
        )
    )
    assert "CVE-2024-38475" in a_alerts
    assert "CVE-2024-38475" not in b_alerts
    assert b_alerts
    assert not (a_alerts & b_alerts)


def test_index_of_all_inventories_holds_the_keys_of_each_asset(a_access: OrgAccess) -> None:
    import_csv(a_access, HEADER + PORTAL + PUMP)
    keys = set(AssetKey.objects.values_list("kind", "key"))
    assert ("cpe", "apache:http_server") in keys
    assert ("vendor", "bd") in keys or any(kind == "vendor" for kind, _ in keys)


def test_webhook_payload_of_an_alert_is_plain_json(a_access: OrgAccess, small_feeds: Path) -> None:
    import_csv(a_access, HEADER + PORTAL)
    load_feeds(small_feeds)
    delivery = Delivery.objects.filter(event="alert.new").first()
    assert delivery is not None
    payload = delivery.payload["payload"]  # e-mail deliveries keep their template context
    json.dumps(payload)
    assert payload["vulnerability"] == "CVE-2024-38475"
    assert payload["assets"][0]["id"] == "portal"
