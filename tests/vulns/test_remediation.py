"""The "What to do" of an alert: fixes, KEV required action, the deadline in the reader's words."""

from __future__ import annotations

import gzip
import re
import zoneinfo
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation

from tests.helpers import signed_in
from tests.vulns.support import (
    DEMO_FEEDS,
    HEADER,
    MEDICAL_FEEDS,
    RTLS,
    access_of,
    import_csv,
    load_feeds,
)
from vigie.api.tokens import create_token
from vigie.core.mail import render_mail
from vigie.engines.feeds import load_feed_file
from vigie.engines.records import VulnRecord
from vigie.tenancy.models import Organisation
from vigie.vulns.models import Alert, AlertState
from vigie.vulns.remediation import first_fixed_version, summary_for
from vigie.vulns.serialise import record_from_json, record_to_json

pytestmark = pytest.mark.django_db

FEEDS = MEDICAL_FEEDS
ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _visible_text(html: str) -> str:
    """The page as read: without tags and attributes (a `<time datetime=...>` is not read)."""
    return re.sub(r"<[^>]+>", " ", html)


def _what_to_do(html: str) -> str:
    start = html.index('data-testid="what-to-do"')
    return html[start : html.index("</section>", start)]


def test_first_fixed_version_is_the_exclusive_upper_bound_of_the_matched_range() -> None:
    assert first_fixed_version(">= 1.8.2, < 1.8.32") == "1.8.32"
    assert first_fixed_version("vers:generic/>=2.0|<2.4") == "2.4"
    assert first_fixed_version("<= 9.33.1") == ""
    assert first_fixed_version("= 2.4.59") == ""
    assert first_fixed_version("") == ""


def test_summary_gathers_the_csaf_vendor_fix_the_kev_action_and_the_deadline(
    exactamix_alert: Alert,
) -> None:
    summary = summary_for(exactamix_alert)
    [group] = summary.groups
    [asset] = group.assets
    assert (asset.name, asset.care_unit, asset.criticality) == (
        "Automate ExactaMix pharmacie",
        "Pharmacie centrale",
        "clinical",
    )
    [advice] = group.advice
    assert advice.source == "csaf:ICSMA-20-170-01"
    [action] = advice.actions
    assert action.category == "vendor_fix"
    assert any("ExactaMix Version 1.13 (EM2400)" in text for text in action.details)
    assert action.urls == ("https://www.baxter.com/product-security#additionalresources",)
    assert summary.fix_known
    [kev] = summary.kev
    assert (kev.catalogue, kev.required_action) == (
        "cisa",
        "Apply updates per vendor instructions.",
    )
    assert kev.due_date is not None
    assert kev.due_date.isoformat() == "2022-05-03"
    assert kev.overdue  # a 2022 federal deadline, long past
    remediate = summary.remediation_deadline
    assert remediate is not None
    assert remediate.at == exactamix_alert.remediation_due_at
    data = summary.as_json()
    assert data["assets"][0]["sources"][0]["remediations"][0]["category"] == "vendor_fix"
    assert data["kev"][0]["due_date"] == "2022-05-03"


def test_no_fix_planned_is_said_explicitly(a_admin: Any, est_a: Organisation) -> None:
    import_csv(access_of(a_admin, est_a), HEADER + RTLS)
    load_feeds(FEEDS / "csaf" / "cisa-icsa-2024" / "icsa-24-046-03.json")
    alert = Alert.objects.get(organisation=est_a, vulnerability__vuln_id="CVE-2020-11896")
    summary = summary_for(alert)
    assert not summary.fix_known
    assert summary.no_fix_planned
    categories = [a.category for g in summary.groups for s in g.advice for a in s.actions]
    assert categories == ["workaround", "no_fix_planned"]
    with translation.override("en"):
        assert summary.headline().startswith("No fix is planned")
    client = signed_in(a_admin)
    page = client.get(f"/o/chu-alpha/alerts/{alert.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    block = _what_to_do(page.content.decode())
    assert "The vendor plans no fix" in block
    assert "Implement Security recommendations according to the product manual" in block


@pytest.mark.parametrize(
    ("language", "labels"),
    [
        ("fr", ("Que faire", "Correctif de l’éditeur", "Action exigée par le KEV de la CISA")),
        ("en", ("What to do", "Vendor fix", "CISA KEV required action")),
    ],
)
def test_alert_page_says_what_to_do_and_by_when_in_the_readers_language_and_zone(
    exactamix_alert: Alert, a_admin: Any, language: str, labels: tuple[str, ...]
) -> None:
    a_admin.time_zone = "Indian/Reunion"
    a_admin.save(update_fields=["time_zone"])
    # A deadline that is still ahead, so that "overdue" says nothing about it.
    due = timezone.now().replace(microsecond=0) + timezone.timedelta(days=3)
    Alert.objects.filter(pk=exactamix_alert.pk).update(
        remediation_due_at=due, state=AlertState.ACKNOWLEDGED
    )
    client: Client = signed_in(a_admin)
    client.cookies["vigie-language"] = language
    response = client.get(f"/o/chu-alpha/alerts/{exactamix_alert.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    block = _what_to_do(html)
    for label in labels:
        assert label in block
    assert "ExactaMix Version 1.13 (EM2400)" in block  # the advisory's own words
    assert "Apply updates per vendor instructions." in block
    assert "Pharmacie centrale" in block
    local = due.astimezone(zoneinfo.ZoneInfo("Indian/Reunion"))
    with translation.override(language):
        if language == "fr":
            months = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août"]
            months += ["septembre", "octobre", "novembre", "décembre"]
            month = months[local.month - 1]
            words = f"{local.day} {month} {local.year} à {local.hour} h {local:%M}"
            kev_day = "mardi 3 mai 2022"
        else:
            words = f"{local.day} {local:%B} {local.year}, {local:%H:%M}"
            kev_day = "Tuesday 3 May 2022"
    assert words in block
    assert kev_day in block
    assert not ISO_MOMENT.search(_visible_text(block))
    assert "2022-05-03" not in _visible_text(block)


def test_deadline_in_words_follows_the_readers_zone_not_the_servers(
    exactamix_alert: Alert, a_admin: Any
) -> None:
    due = datetime(2026, 12, 7, 13, 19, tzinfo=zoneinfo.ZoneInfo("UTC"))
    Alert.objects.filter(pk=exactamix_alert.pk).update(remediation_due_at=due)
    a_admin.time_zone = "Europe/Paris"
    a_admin.save(update_fields=["time_zone"])
    client = signed_in(a_admin)
    client.cookies["vigie-language"] = "fr"
    paris = _what_to_do(client.get(f"/o/chu-alpha/alerts/{exactamix_alert.pk}/").content.decode())
    assert "lundi 7 décembre 2026 à 14 h 19" in paris
    a_admin.time_zone = "Indian/Reunion"
    a_admin.save(update_fields=["time_zone"])
    reunion = _what_to_do(client.get(f"/o/chu-alpha/alerts/{exactamix_alert.pk}/").content.decode())
    assert "lundi 7 décembre 2026 à 17 h 19" in reunion


def test_nvd_range_gives_the_first_fixed_version(
    a_admin: Any, est_a: Organisation, tmp_path: Path
) -> None:
    portal = (
        "portal,Portail patients,server,Apache,HTTP Server,2.4.59,"
        "cpe:2.3:a:apache:http_server:2.4.59:*:*:*:*:*:*:*,,,business,internet,DMZ\n"
    )
    with gzip.open(DEMO_FEEDS / "nvd-overrides.jsonl.gz", "rt") as source:
        kept = [line for line in source if '"CVE-2024-38475"' in line]
    assert kept
    (tmp_path / "nvd.jsonl").write_text("".join(kept))
    import_csv(access_of(a_admin, est_a), HEADER + portal)
    load_feeds(tmp_path / "nvd.jsonl")
    alert = Alert.objects.get(organisation=est_a, vulnerability__vuln_id="CVE-2024-38475")
    summary = summary_for(alert)
    [group] = summary.groups
    assert [a.source for a in group.advice] == ["nvd"]
    assert group.fixed_in == ("2.4.60",)
    with translation.override("en"):
        assert summary.headline() == "Install a fixed version: 2.4.60."


def test_remediations_survive_storage_and_old_records_load_without_them() -> None:
    vuln = load_feed_file(FEEDS / "csaf" / "cisa-icsa-2024" / "icsa-24-046-03.json").vulns[0]
    data = record_to_json(vuln)
    assert record_from_json(data).remediations == vuln.remediations
    old = dict(data)
    del old["remediations"]
    assert record_from_json(old).remediations == ()
    # A record without remediations stores exactly as before they were kept.
    assert "remediations" not in record_to_json(VulnRecord(id="CVE-2024-0001", source="nvd"))


def test_alert_mail_says_what_to_do_in_the_recipients_language(exactamix_alert: Alert) -> None:
    payload = {
        "alert": exactamix_alert.pk,
        "organisation": "chu-alpha",
        "vulnerability": "CVE-2017-0143",
        "priority": exactamix_alert.priority,
        "assets": [],
    }
    context = {"payload": payload, "event": "alert.new"}
    _, french, _ = render_mail("notify/mail/alert", context, "fr")
    assert "Que faire : Appliquer le correctif de l’éditeur décrit dans l’avis." in french
    _, english, _ = render_mail("notify/mail/alert", context, "en")
    assert "What to do: Apply the vendor's fix described in the advisory." in english


def test_api_alert_detail_carries_the_remediation_as_codes(
    exactamix_alert: Alert, a_admin: Any
) -> None:
    _token, secret = create_token(user=a_admin, name="ci")
    response = Client().get(
        f"/api/v1/organisations/chu-alpha/alerts/{exactamix_alert.pk}",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 200, response.content
    remediation = response.json()["remediation"]
    [group] = remediation["assets"]
    assert group["assets"][0]["care_unit"] == "Pharmacie centrale"
    assert group["assets"][0]["criticality"] == "clinical"
    assert group["sources"][0]["remediations"][0]["category"] == "vendor_fix"
    assert remediation["kev"][0]["required_action"] == "Apply updates per vendor instructions."
    assert remediation["kev"][0]["due_date"] == "2022-05-03"
    assert [d["kind"] for d in remediation["deadlines"]][-1] == "remediate"
