"""One asset is one row of an alert, whatever the number of feeds that describe the CVE.

The best match (most confident, then most precise feed) wins; the other feeds are kept as
corroboration; every count of affected assets counts distinct assets; and `vigie vulns match`
gives the same answers as the platform.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from vigie.api.tokens import create_token
from vigie.core.mail import render_mail
from vigie.engines.feeds import FeedContent
from vigie.engines.matching import Outcome
from vigie.engines.offline import run_offline_match
from vigie.engines.records import VexStatement
from vigie.inventory.models import Asset
from vigie.notify.models import Delivery
from vigie.tenancy.access import OrgAccess
from vigie.vulns import alerting
from vigie.vulns.feed_import import store_and_match
from vigie.vulns.models import Alert, AlertAsset, FeedRecord
from vigie.vulns.serialise import record_from_json

from .support import DEMO_FEEDS, DEMO_INVENTORIES, HEADER, import_csv, load_feeds

OPENSSH_CVE = "CVE-2024-6387"  # regreSSHion: NVD (CPE, high) and CVE 5 (names, low) both match
BASTION = (
    "ssh-bastion,Bastion d'administration,server,OpenBSD,OpenSSH,9.6p1,"
    "cpe:2.3:a:openbsd:openssh:9.6:p1:*:*:*:*:*:*,,,business,vendor-remote,Salle serveurs\n"
)


@pytest.fixture(scope="session")
def openssh_feeds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The NVD and CVE 5 records of regreSSHion from the demo feeds, nothing else."""
    folder = tmp_path_factory.mktemp("openssh-feeds")
    with gzip.open(DEMO_FEEDS / "nvd-overrides.jsonl.gz", "rt") as source:
        nvd = [line for line in source if OPENSSH_CVE in line]
    with (DEMO_FEEDS / "cve5.jsonl").open() as source:
        cve5 = [line for line in source if json.loads(line)["cveMetadata"]["cveId"] == OPENSSH_CVE]
    assert len(nvd) == len(cve5) == 1
    (folder / "nvd.jsonl").write_text("".join(nvd))
    (folder / "cve5.jsonl").write_text("".join(cve5))
    return folder


@pytest.fixture
def bastion_alert(a_access: OrgAccess, openssh_feeds: Path) -> Alert:
    import_csv(a_access, HEADER + BASTION)
    load_feeds(openssh_feeds)
    return Alert.objects.get(organisation=a_access.organisation, vulnerability__vuln_id=OPENSSH_CVE)


def test_an_asset_matched_by_nvd_and_cve5_is_one_row_won_by_the_more_confident_feed(
    bastion_alert: Alert,
) -> None:
    rows = list(bastion_alert.affected.all())
    assert len(rows) == 1
    row = rows[0]
    assert row.asset.external_id == "ssh-bastion"
    assert row.active
    assert (row.source, row.confidence) == ("nvd", "high")
    assert [(c["source"], c["confidence"]) for c in row.corroboration] == [("cve5", "low")]
    assert set(row.corroboration[0]) == {
        "source",
        "confidence",
        "criterion",
        "version_range",
        "reason",
        "reason_parts",
    }
    assert row.corroboration[0]["reason"]
    assert bastion_alert.events.get(kind="created").details["assets_count"] == 1


def _store_nvd_without_configurations() -> dict[str, Any]:
    row = FeedRecord.objects.get(vulnerability__vuln_id=OPENSSH_CVE, source="nvd")
    record = record_from_json(row.record)
    return store_and_match(FeedContent(vulns=[replace(record, configurations=())]))


def test_when_the_winning_feed_stops_matching_the_other_feed_keeps_the_asset_affected(
    bastion_alert: Alert, openssh_feeds: Path
) -> None:
    first_seen = bastion_alert.affected.get().first_seen
    summary = _store_nvd_without_configurations()
    assert summary["alerts_closed"] == 0
    bastion_alert.refresh_from_db()
    assert bastion_alert.is_open
    row = bastion_alert.affected.get()
    assert row.active
    assert (row.source, row.confidence, row.corroboration) == ("cve5", "low", [])
    assert row.first_seen == first_seen
    # NVD comes back: it wins again, and the asset was never "added" a second time.
    load_feeds(openssh_feeds)
    row.refresh_from_db()
    assert (row.source, row.confidence) == ("nvd", "high")
    assert [c["source"] for c in row.corroboration] == ["cve5"]
    assert not bastion_alert.events.filter(kind__in=["assets_added", "reopened"]).exists()
    assert AlertAsset.objects.filter(alert=bastion_alert).count() == 1


def test_what_a_feed_not_evaluated_said_keeps_the_asset_affected(bastion_alert: Alert) -> None:
    # Only NVD is evaluated, and it no longer matches: CVE 5's match, not evaluated, stands.
    change = alerting.apply(
        organisation_id=bastion_alert.organisation_id,
        vulnerability=bastion_alert.vulnerability,
        outcome=Outcome(kept=[], suppressed=[]),
        assets={},
        sources={"nvd"},
    )
    assert change == alerting.Change.NONE
    row = bastion_alert.affected.get()
    assert row.active
    assert (row.source, row.confidence, row.corroboration) == ("cve5", "low", [])
    # Then CVE 5 is evaluated and no longer matches either: the alert closes.
    change = alerting.apply(
        organisation_id=bastion_alert.organisation_id,
        vulnerability=bastion_alert.vulnerability,
        outcome=Outcome(kept=[], suppressed=[]),
        assets={},
        sources={"cve5"},
    )
    assert change == alerting.Change.CLOSED
    row.refresh_from_db()
    assert not row.active
    bastion_alert.refresh_from_db()
    assert bastion_alert.closed_reason == "no_longer_affected"


def test_a_vex_statement_closes_the_asset_whichever_feeds_matched_it(
    bastion_alert: Alert,
) -> None:
    statement = VexStatement(
        vulnerability=OPENSSH_CVE,
        status="not_affected",
        product="cpe:2.3:a:openbsd:openssh:9.6:p1:*:*:*:*:*:*",
        justification="vulnerable_code_not_in_execute_path",
        source="supplier VEX",
    )
    store_and_match(FeedContent(vex=[statement]))
    bastion_alert.refresh_from_db()
    assert (bastion_alert.state, bastion_alert.closed_reason) == ("resolved", "vex")
    row = bastion_alert.affected.get()
    assert not row.active
    assert "not_affected" in row.suppressed_by
    event = bastion_alert.events.get(kind="closed_by_vex")
    assert len(event.details["suppressed"]) == 1  # one asset, not one line per feed


def _platform_rows() -> set[tuple[str, str, str, str]]:
    return set(
        AlertAsset.objects.filter(active=True).values_list(
            "asset__external_id", "alert__vulnerability__vuln_id", "source", "confidence"
        )
    )


def _platform_corroboration() -> dict[tuple[str, str], list[tuple[str, str, str, str]]]:
    return {
        (row.asset.external_id, row.alert.vulnerability.vuln_id): [
            (c["source"], c["confidence"], c["criterion"], c["version_range"])
            for c in row.corroboration
        ]
        for row in AlertAsset.objects.filter(active=True).select_related(
            "asset", "alert__vulnerability"
        )
    }


def _offline(inventory: Path) -> list[dict[str, Any]]:
    return run_offline_match(inventory, [DEMO_FEEDS]).rows


@pytest.mark.parametrize(
    ("inventory_name", "feeds_first"),
    [("ch-montclair.csv", False), ("chu-val-de-loire.csv", True)],
    ids=["inventory-then-feeds", "feeds-then-inventory"],
)
def test_the_offline_command_and_the_platform_give_the_same_answers(
    a_access: OrgAccess, inventory_name: str, feeds_first: bool
) -> None:
    inventory = DEMO_INVENTORIES / inventory_name
    if feeds_first:
        load_feeds(DEMO_FEEDS)
    import_csv(a_access, inventory.read_text(encoding="utf-8"), name=inventory.name)
    if not feeds_first:
        load_feeds(DEMO_FEEDS)
    rows = _offline(inventory)
    assert rows
    assert {(r["asset"], r["vulnerability"], r["source"], r["confidence"]) for r in rows} == (
        _platform_rows()
    )
    offline_corroboration = {
        (r["asset"], r["vulnerability"]): [
            (c["source"], c["confidence"], c["criterion"], c["version_range"])
            for c in r["corroboration"]
        ]
        for r in rows
    }
    assert offline_corroboration == _platform_corroboration()
    priorities = AlertAsset.objects.filter(active=True).values_list(
        "asset__external_id", "alert__vulnerability__vuln_id", "priority"
    )
    assert {(r["asset"], r["vulnerability"], r["priority"]) for r in rows} == set(priorities)
    # Both inventories have assets that several feeds describe (NVD and CVE 5 at least).
    assert any(offline_corroboration.values())


# --- every count of affected assets counts distinct assets ---------------------------------


@pytest.fixture
def urgent_bastion(a_access: OrgAccess, openssh_feeds: Path) -> Alert:
    """The same bastion facing the internet and clinical: Attend, so e-mailed at once."""
    import_csv(a_access, HEADER + BASTION.replace("business,vendor-remote", "clinical,internet"))
    load_feeds(openssh_feeds)
    alert = Alert.objects.get(vulnerability__vuln_id=OPENSSH_CVE)
    assert alert.priority in alerting.IMMEDIATE
    return alert


def test_alert_pages_count_the_asset_once_and_name_the_corroborating_feed(
    bastion_alert: Alert, a_admin: Any, client_for: Any
) -> None:
    client = client_for(a_admin)
    listing = client.get("/o/chu-alpha/alerts/")
    assert listing.status_code == 200
    [listed] = [row for row in listing.context["rows"] if row.alert.pk == bastion_alert.pk]
    assert listed.asset_count == 1
    assert [name for name, _unit in listed.shown_assets] == [listed.alert.affected.get().asset.name]
    detail = client.get(f"/o/chu-alpha/alerts/{bastion_alert.pk}/")
    assert detail.context["affected_count"] == 1
    assert len(detail.context["affected"]) == 1
    page = detail.content.decode()
    assert 'data-testid="affected-count">1<' in page
    assert _text_of(page, "corroboration") == "Également signalé par\u00a0: CVE 5 (faible)"
    english = client.get(
        f"/o/chu-alpha/alerts/{bastion_alert.pk}/", headers={"Accept-Language": "en"}
    ).content.decode()
    assert _text_of(english, "corroboration") == "Also reported by: CVE 5 (low)"
    assert ">high<" in english  # the winner's confidence, in the reader's language


def _text_of(page: str, test_id: str) -> str:
    """The text of the one element with this data-testid (no nested element of its tag)."""
    [found] = re.findall(rf'<(\w+)[^>]*data-testid="{test_id}"[^>]*>(.*?)</\1>', page, re.S)
    # Runs of ordinary white space only: French puts a no-break space before a colon.
    return re.sub(r"[ \t\n]+", " ", re.sub(r"<[^>]+>", "", found[1])).strip()


def test_asset_pages_count_the_alert_once(
    bastion_alert: Alert, a_admin: Any, client_for: Any
) -> None:
    client = client_for(a_admin)
    asset = Asset.objects.get(external_id="ssh-bastion")
    detail = client.get(f"/o/chu-alpha/inventory/assets/{asset.pk}/")
    assert detail.status_code == 200
    rows = [row for row in detail.context["alerts"] if row.alert_id == bastion_alert.pk]
    assert len(rows) == 1
    listing = client.get("/o/chu-alpha/inventory/")
    [listed] = [a for a in listing.context["page"] if a.pk == asset.pk]
    assert listed.open_alerts == 1


def test_the_centre_exposure_counts_the_asset_once(
    bastion_alert: Alert, centre_analyst: Any, client_for: Any
) -> None:
    client = client_for(centre_analyst)
    detail = client.get(f"/o/centre/exposure/{OPENSSH_CVE}/")
    assert detail.status_code == 200
    [row] = list(detail.context["alerts"])
    assert row.assets_count == 1
    assert detail.context["affected_count"] == 1
    assert [bar.value for bar in detail.context["kind_bars"]] == [1]
    fragment = client.get(f"/o/centre/exposure/{OPENSSH_CVE}/", headers={"HX-Request": "true"})
    assert [a.assets_count for a in fragment.context["alerts"]] == [1]
    overview = client.get("/o/centre/exposure/", headers={"HX-Request": "true"})
    [line] = [r for r in overview.context["rows"] if r["vulnerability__vuln_id"] == OPENSSH_CVE]
    assert line["establishments"] == 1


def test_the_immediate_e_mail_and_webhook_name_the_asset_once(urgent_bastion: Alert) -> None:
    delivery = Delivery.objects.get(
        related_object=f"vulns.alert:{urgent_bastion.pk}", event="alert.new"
    )
    payload = delivery.payload["payload"]
    assert payload["affected_assets"] == 1
    assert [a["id"] for a in payload["assets"]] == ["ssh-bastion"]
    context = {"base_url": "http://vigie.test", **delivery.payload}
    _subject, english, _html = render_mail(delivery.template, context, "en")
    assert english.count("Bastion d'administration") == 1
    assert "1 affected asset in all." in english
    _subject, french, _html = render_mail(delivery.template, context, "fr")
    assert "1 actif concerné au total." in french


def test_the_daily_digest_counts_the_asset_once(bastion_alert: Alert) -> None:
    assert bastion_alert.priority not in alerting.IMMEDIATE
    assert alerting.send_daily_digests() == 1
    delivery = Delivery.objects.get(event="digest.daily", recipient="a.admin@example.org")
    [item] = delivery.payload["payload"]["new"]
    assert (item["vulnerability"], item["assets"]) == (OPENSSH_CVE, 1)
    context = {"base_url": "http://vigie.test", **delivery.payload}
    _subject, english, _html = render_mail(delivery.template, context, "en")
    assert "== Track* (1) ==" in english
    assert OPENSSH_CVE in english
    assert "1 affected asset: " in english


def test_the_api_counts_the_asset_once_and_lists_the_corroboration(
    bastion_alert: Alert, a_admin: Any, centre_analyst: Any, client: Any
) -> None:
    _token, secret = create_token(user=a_admin, name="ci")
    auth = {"Authorization": f"Bearer {secret}"}
    listing = client.get("/api/v1/organisations/chu-alpha/alerts", headers=auth).json()
    [listed] = [a for a in listing["items"] if a["id"] == bastion_alert.pk]
    assert listed["affected_assets"] == 1
    detail = client.get(
        f"/api/v1/organisations/chu-alpha/alerts/{bastion_alert.pk}", headers=auth
    ).json()
    assert detail["affected_assets"] == 1
    [asset] = detail["assets"]
    assert (asset["asset"], asset["source"], asset["confidence"]) == ("ssh-bastion", "nvd", "high")
    assert [(c["source"], c["confidence"]) for c in asset["corroboration"]] == [("cve5", "low")]
    _token, centre_secret = create_token(user=centre_analyst, name="ci")
    exposure = client.get(
        f"/api/v1/organisations/centre/exposure/{OPENSSH_CVE}",
        headers={"Authorization": f"Bearer {centre_secret}"},
    ).json()
    assert [(e["establishment"], e["assets"]) for e in exposure] == [("chu-alpha", 1)]
