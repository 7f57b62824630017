"""Medical-device advisories in the platform: the same answers as `vigie vulns match`.

On the device evaluation set (the 104 CISA ICS-Medical advisories and an inventory written as
hospital biomedical teams write it): misspelt vendors, products named in the version branch,
siblings of one advisory, tagged versions all go through the platform's key tables and stored
records, and must give exactly what the offline command gives.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engines.advisories.device_eval import ADVISORIES, INVENTORY
from tests.vulns.support import DEMO_FEEDS, HEADER, import_csv, load_feeds
from vigie.engines.offline import run_offline_match
from vigie.tenancy.access import OrgAccess
from vigie.vulns.models import AlertAsset

pytestmark = pytest.mark.django_db


def _platform_rows() -> set[tuple[str, str, str, str]]:
    return set(
        AlertAsset.objects.filter(active=True).values_list(
            "asset__external_id", "alert__vulnerability__vuln_id", "source", "confidence"
        )
    )


@pytest.mark.parametrize("feeds_first", [False, True], ids=["inventory-first", "feeds-first"])
def test_device_advisories_alert_in_the_platform_as_the_offline_command_reports(
    a_access: OrgAccess, feeds_first: bool
) -> None:
    if feeds_first:
        load_feeds(ADVISORIES)
    import_csv(a_access, INVENTORY.read_text(encoding="utf-8"), name=INVENTORY.name)
    if not feeds_first:
        load_feeds(ADVISORIES)
    offline = run_offline_match(INVENTORY, [ADVISORIES]).rows
    assert len(offline) > 1000
    assert {(r["asset"], r["vulnerability"], r["source"], r["confidence"]) for r in offline} == (
        _platform_rows()
    )
    assert {r["confidence"] for r in offline} == {"medium", "low"}  # names are never `high`


def test_reasons_stored_by_the_platform_name_the_rule_that_matched(a_access: OrgAccess) -> None:
    load_feeds(ADVISORIES)
    import_csv(a_access, INVENTORY.read_text(encoding="utf-8"), name=INVENTORY.name)
    misspelt = AlertAsset.objects.filter(active=True, asset__vendor="Medtronik").first()
    assert misspelt is not None
    assert "spelt differently: one letter" in misspelt.reason
    assert misspelt.confidence in ("medium", "low")


def test_product_named_without_a_vendor_alerts_in_the_platform_too(
    a_access: OrgAccess, tmp_path: Path
) -> None:
    # CVE 5 records often name a package without its vendor (`packageName`, `repo`).
    [line] = [
        line
        for line in (DEMO_FEEDS / "cve5.jsonl").read_text(encoding="utf-8").splitlines()
        if '"CVE-2024-6387"' in line
    ]
    feed = tmp_path / "cve5.jsonl"
    feed.write_text(line + "\n", encoding="utf-8")
    inventory = tmp_path / "servers.csv"
    inventory.write_text(
        HEADER + "srv-1,Bastion SSH,server,OpenBSD,OpenSSH,9.6p1,,,,business,internet,DMZ\n"
        "srv-2,Bastion SSH 2,server,OpenBSD,OpenSSH,9.8p1,,,,business,internet,DMZ\n"
        "lib-1,openssh,library,OpenBSD,OpenSSH,9.6p1,,,,,,\n",
        encoding="utf-8",
    )
    offline = run_offline_match(inventory, [feed]).rows
    # 9.8p1 is outside the range; a library is matched by its purl, not by words.
    assert {(r["asset"], r["confidence"]) for r in offline} == {("srv-1", "low")}
    assert "the advisory names no vendor" in offline[0]["reason"]
    import_csv(a_access, inventory.read_text(encoding="utf-8"), name=inventory.name)
    load_feeds(feed)
    assert _platform_rows() == {("srv-1", "CVE-2024-6387", "cve5", "low")}
