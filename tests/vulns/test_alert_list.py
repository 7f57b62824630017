"""The establishment's alert list: sorting, filters kept, bulk actions, export, and two defects
(the dashboard's alerts per care unit, the refused state change that forgot the user's choice).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.helpers import signed_in
from vigie.audit.models import AuditEvent
from vigie.inventory.models import Asset
from vigie.tenancy.models import Organisation
from vigie.vulns.dashboard import establishment_section
from vigie.vulns.models import Alert, AlertAsset, AlertEvent, EpssScore, KevListing, Vulnerability

from .support import access_of

LIST = "/o/chu-alpha/alerts/"
BULK = "/o/chu-alpha/alerts/bulk/"


@dataclass
class Spec:
    cve: str
    priority: str
    cvss: float | None = None
    epss: float | None = None
    kev: bool = False
    due_days: int | None = None
    assets: tuple[str, ...] = ("pacs",)
    title: str = ""


def _asset(org: Organisation, key: str) -> Asset:
    units = {"pacs": "Radiologie", "pump": "Réanimation", "portal": "DMZ", "monitor": "Réanimation"}
    kinds = {
        "pacs": "server",
        "pump": "medical-device",
        "portal": "server",
        "monitor": "medical-device",
    }
    asset, _created = Asset.objects.get_or_create(
        organisation=org,
        external_id=key,
        defaults={
            "name": f"Asset {key}",
            "kind": kinds.get(key, "other"),
            "location": units.get(key, ""),
        },
    )
    return asset


def make_alert(org: Organisation, spec: Spec) -> Alert:
    now = timezone.now()
    vuln, _created = Vulnerability.objects.get_or_create(
        vuln_id=spec.cve,
        defaults={"title": spec.title or f"Flaw {spec.cve}", "cvss_score": spec.cvss},
    )
    if spec.epss is not None:
        EpssScore.objects.update_or_create(
            cve=spec.cve, defaults={"epss": spec.epss, "percentile": 0.5}
        )
    if spec.kev:
        KevListing.objects.get_or_create(cve=spec.cve, catalogue="cisa")
    alert = Alert.objects.create(
        organisation=org,
        vulnerability=vuln,
        priority=spec.priority,
        first_seen=now,
        state_changed_at=now,
        remediation_due_at=now + timedelta(days=spec.due_days)
        if spec.due_days is not None
        else None,
    )
    for key in spec.assets:
        AlertAsset.objects.create(
            alert=alert,
            asset=_asset(org, key),
            source="nvd",
            confidence="high",
            reason="test",
            priority=spec.priority,
            first_seen=now,
            last_seen=now,
        )
    return alert


@pytest.fixture
def alerts(est_a: Organisation, a_admin: Any) -> dict[str, Alert]:
    specs = [
        Spec("CVE-2024-0001", "track", cvss=9.8, epss=0.01, due_days=30, assets=("pacs",)),
        Spec(
            "CVE-2024-0002",
            "act",
            cvss=5.0,
            epss=0.90,
            kev=True,
            due_days=1,
            assets=("pump", "monitor"),
        ),
        Spec("CVE-2024-0003", "attend", cvss=7.5, epss=0.30, due_days=7, assets=("portal",)),
        Spec(
            "CVE-2024-0004", "track*", cvss=None, epss=None, due_days=None, assets=("pacs", "pump")
        ),
    ]
    return {spec.cve: make_alert(est_a, spec) for spec in specs}


def _order(content: bytes) -> list[str]:
    text = content.decode()
    found = [
        (text.index(f'data-alert="{cve}"'), cve) for cve in _CVES if f'data-alert="{cve}"' in text
    ]
    return [cve for _i, cve in sorted(found)]


_CVES = [f"CVE-2024-000{i}" for i in range(1, 6)]


def test_list_shows_asset_names_and_care_units(alerts: dict[str, Alert], a_admin: Any) -> None:
    response = signed_in(a_admin).get(LIST)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Asset pump" in text
    assert "Réanimation" in text
    assert "Radiologie" in text


@pytest.mark.parametrize(
    ("sort", "direction", "expected"),
    [
        ("priority", "asc", ["CVE-2024-0002", "CVE-2024-0003", "CVE-2024-0004", "CVE-2024-0001"]),
        ("priority", "desc", ["CVE-2024-0001", "CVE-2024-0004", "CVE-2024-0003", "CVE-2024-0002"]),
        ("cvss", "desc", ["CVE-2024-0001", "CVE-2024-0003", "CVE-2024-0002", "CVE-2024-0004"]),
        ("cvss", "asc", ["CVE-2024-0002", "CVE-2024-0003", "CVE-2024-0001", "CVE-2024-0004"]),
        ("epss", "desc", ["CVE-2024-0002", "CVE-2024-0003", "CVE-2024-0001", "CVE-2024-0004"]),
        ("epss", "asc", ["CVE-2024-0001", "CVE-2024-0003", "CVE-2024-0002", "CVE-2024-0004"]),
        ("due", "asc", ["CVE-2024-0002", "CVE-2024-0003", "CVE-2024-0001", "CVE-2024-0004"]),
        ("due", "desc", ["CVE-2024-0001", "CVE-2024-0003", "CVE-2024-0002", "CVE-2024-0004"]),
    ],
)
def test_sorting_in_both_directions_puts_unknown_values_last(
    alerts: dict[str, Alert], a_admin: Any, sort: str, direction: str, expected: list[str]
) -> None:
    response = signed_in(a_admin).get(LIST, {"sort": sort, "dir": direction})
    assert _order(response.content) == expected


def test_sorting_by_kev_puts_known_exploited_first_then_last(
    alerts: dict[str, Alert], a_admin: Any
) -> None:
    client = signed_in(a_admin)
    assert _order(client.get(LIST, {"sort": "kev", "dir": "desc"}).content)[0] == "CVE-2024-0002"
    assert _order(client.get(LIST, {"sort": "kev", "dir": "asc"}).content)[-1] == "CVE-2024-0002"


def test_sort_headers_say_their_direction_and_flip_it(
    alerts: dict[str, Alert], a_admin: Any
) -> None:
    text = signed_in(a_admin).get(LIST, {"sort": "cvss", "dir": "desc"}).content.decode()
    assert 'aria-sort="descending"' in text
    assert "sort=cvss&amp;dir=asc" in text
    assert text.count('aria-sort="none"') == 4


def test_filters_are_kept_across_sort_links_pagination_and_export(
    est_a: Organisation, a_admin: Any
) -> None:
    for i in range(60):
        make_alert(est_a, Spec(f"CVE-2023-{i:04d}", "attend", cvss=float(i % 10), assets=("pump",)))
    response = signed_in(a_admin).get(
        LIST, {"kind": "medical-device", "q": "CVE-2023", "sort": "cvss"}
    )
    text = response.content.decode()
    # Sort links, the next page and the export all carry the filters.
    assert "q=CVE-2023&amp;kind=medical-device&amp;sort=priority" in text
    assert "q=CVE-2023&amp;kind=medical-device&amp;sort=cvss&amp;page=2" in text
    assert "q=CVE-2023&amp;kind=medical-device&amp;sort=cvss&amp;format=csv" in text
    assert response.context["page"].paginator.count == 60
    assert len(response.context["page"].object_list) == 50


def test_filters_by_state_priority_care_unit_kind_kev_and_text(
    alerts: dict[str, Alert], a_admin: Any
) -> None:
    client = signed_in(a_admin)
    assert _order(client.get(LIST, {"location": "Réanimation"}).content) == [
        "CVE-2024-0002",
        "CVE-2024-0004",
    ]
    assert _order(client.get(LIST, {"kind": "server", "priority": "track"}).content) == [
        "CVE-2024-0001"
    ]
    assert _order(client.get(LIST, {"kev": "yes"}).content) == ["CVE-2024-0002"]
    assert "CVE-2024-0002" not in _order(client.get(LIST, {"kev": "no"}).content)
    assert _order(client.get(LIST, {"q": "Asset portal"}).content) == ["CVE-2024-0003"]
    alerts["CVE-2024-0003"].state = "resolved"
    alerts["CVE-2024-0003"].save()
    assert "CVE-2024-0003" not in _order(client.get(LIST).content)
    assert _order(client.get(LIST, {"state": "resolved"}).content) == ["CVE-2024-0003"]


@pytest.mark.parametrize("read_first", [2_000, 0], ids=["ids read first", "many: subquery"])
def test_text_search_by_asset_name_finds_only_this_establishments_alerts(
    alerts: dict[str, Alert],
    a_admin: Any,
    est_b: Organisation,
    read_first: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A neighbour's alert on an asset of the same name must not show.
    make_alert(est_b, Spec("CVE-2024-0099", "act", assets=("portal",)))
    monkeypatch.setattr("vigie.vulns.alert_list.NAMED_ALERTS_READ_FIRST", read_first)
    client = signed_in(a_admin)
    assert _order(client.get(LIST, {"q": "asset PORTAL"}).content) == ["CVE-2024-0003"]
    AlertAsset.objects.filter(alert=alerts["CVE-2024-0003"]).update(active=False)
    assert _order(client.get(LIST, {"q": "asset PORTAL"}).content) == []


def test_an_alert_with_several_matching_assets_is_listed_once(
    alerts: dict[str, Alert], a_admin: Any
) -> None:
    text = signed_in(a_admin).get(LIST, {"q": "Asset"}).content.decode()
    assert text.count('data-alert="CVE-2024-0002"') == 1


def test_the_list_makes_as_many_queries_for_fifty_alerts_as_for_two(
    est_a: Organisation, a_admin: Any
) -> None:
    client = signed_in(a_admin)
    for i in range(2):
        make_alert(est_a, Spec(f"CVE-2022-{i:04d}", "act", assets=("pacs", "pump")))
    client.get(LIST)  # session and caches warm
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    for i in range(2, 50):
        make_alert(est_a, Spec(f"CVE-2022-{i:04d}", "act", assets=("pacs", "pump")))
    with CaptureQueriesContext(connection) as many:
        client.get(LIST)
    assert len(many) == len(few)


# --- bulk actions --------------------------------------------------------------------------------


def test_bulk_acknowledge_gives_each_alert_its_event_and_audit_entry(
    alerts: dict[str, Alert], a_admin: Any
) -> None:
    chosen = [alerts["CVE-2024-0001"].pk, alerts["CVE-2024-0002"].pk]
    response = signed_in(a_admin).post(
        BULK,
        {
            "alerts": chosen,
            "action": "acknowledge",
            "justification": "Seen in the Monday review",
            "back": "kind=server&page=1",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?kind=server&page=1"
    for pk in chosen:
        alert = Alert.objects.get(pk=pk)
        assert alert.state == "acknowledged"
        assert alert.acknowledged_by == a_admin
        event = AlertEvent.objects.get(alert=alert, kind="state_changed")
        assert event.message == "Seen in the Monday review"
    audits = AuditEvent.objects.filter(action="alert.state_changed")
    assert sorted(a.target_label for a in audits) == ["CVE-2024-0001", "CVE-2024-0002"]
    assert Alert.objects.get(pk=alerts["CVE-2024-0003"].pk).state == "new"


def test_bulk_accepted_risk_needs_the_justification_and_then_changes_nothing(
    alerts: dict[str, Alert], a_admin: Any
) -> None:
    chosen = [alerts["CVE-2024-0001"].pk, alerts["CVE-2024-0002"].pk]
    response = signed_in(a_admin).post(
        BULK, {"alerts": chosen, "action": "state", "state": "accepted_risk", "justification": "ok"}
    )
    assert response.status_code == 302
    assert set(Alert.objects.filter(pk__in=chosen).values_list("state", flat=True)) == {"new"}
    assert not AuditEvent.objects.filter(action="alert.state_changed").exists()
    signed_in(a_admin).post(
        BULK,
        {
            "alerts": chosen,
            "action": "state",
            "state": "accepted_risk",
            "justification": "Segmented VLAN, vendor patch expected in March",
        },
    )
    assert set(Alert.objects.filter(pk__in=chosen).values_list("state", flat=True)) == {
        "accepted_risk"
    }


def test_bulk_skips_alerts_whose_state_does_not_allow_the_change(
    alerts: dict[str, Alert], a_admin: Any
) -> None:
    done = alerts["CVE-2024-0001"]
    done.state = "in_remediation"
    done.save()
    client = signed_in(a_admin)
    client.post(BULK, {"alerts": [done.pk, alerts["CVE-2024-0002"].pk], "action": "acknowledge"})
    assert Alert.objects.get(pk=done.pk).state == "in_remediation"
    assert Alert.objects.get(pk=alerts["CVE-2024-0002"].pk).state == "acknowledged"


def test_bulk_assign_records_the_member_on_each_timeline(
    alerts: dict[str, Alert], a_admin: Any, make_user: Any, est_a: Organisation
) -> None:
    officer = make_user("a.rssi", est_a, "security_officer")
    chosen = [alerts["CVE-2024-0001"].pk, alerts["CVE-2024-0003"].pk]
    signed_in(a_admin).post(
        BULK,
        {"alerts": chosen, "action": "assign", "assignee": officer.pk, "justification": "Yours"},
    )
    events = AlertEvent.objects.filter(kind="assigned", alert_id__in=chosen)
    assert {e.details["assignee_username"] for e in events} == {"a.rssi"}
    assert events.count() == 2
    assert AuditEvent.objects.filter(action="alert.assigned").count() == 2


def test_bulk_with_an_alert_of_another_establishment_is_refused_entirely(
    alerts: dict[str, Alert], a_admin: Any, est_b: Organisation
) -> None:
    theirs = make_alert(est_b, Spec("CVE-2024-0005", "act", assets=("pacs",)))
    mine = alerts["CVE-2024-0001"]
    response = signed_in(a_admin).post(
        BULK, {"alerts": [mine.pk, theirs.pk], "action": "acknowledge"}
    )
    assert response.status_code == 302
    assert Alert.objects.get(pk=mine.pk).state == "new"
    assert Alert.objects.get(pk=theirs.pk).state == "new"
    assert not AlertEvent.objects.exists()


def test_viewers_cannot_use_bulk_actions(alerts: dict[str, Alert], a_viewer: Any) -> None:
    client = signed_in(a_viewer)
    assert 'id="bulk-form"' not in client.get(LIST).content.decode()
    response = client.post(BULK, {"alerts": [alerts["CVE-2024-0001"].pk], "action": "acknowledge"})
    assert response.status_code == 403
    assert Alert.objects.get(pk=alerts["CVE-2024-0001"].pk).state == "new"


def test_bulk_post_without_csrf_token_is_refused(alerts: dict[str, Alert], a_admin: Any) -> None:
    client = signed_in(a_admin)
    client.handler.enforce_csrf_checks = True
    response = client.post(BULK, {"alerts": [alerts["CVE-2024-0001"].pk], "action": "acknowledge"})
    assert response.status_code == 403
    assert Alert.objects.get(pk=alerts["CVE-2024-0001"].pk).state == "new"


# --- export ----------------------------------------------------------------------------------


def _csv(response: Any) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def test_export_follows_the_filters_and_sort_and_is_formula_safe(
    alerts: dict[str, Alert], a_admin: Any, est_a: Organisation
) -> None:
    make_alert(
        est_a,
        Spec(
            "CVE-2024-0005", "act", cvss=1.0, title='=HYPERLINK("http://evil")', assets=("monitor",)
        ),
    )
    Asset.objects.filter(external_id="monitor").update(name="@SUM(A1)")
    response = signed_in(a_admin).get(
        LIST, {"location": "Réanimation", "sort": "cvss", "dir": "asc", "format": "csv"}
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = _csv(response)
    assert [row[0] for row in rows[1:]] == ["CVE-2024-0005", "CVE-2024-0002", "CVE-2024-0004"]
    evil = rows[1]
    assert evil[1].startswith("'=")
    assert evil[7] == "'@SUM(A1)"
    assert rows[2][2:4] == ["act", "new"]
    assert rows[2][6] == "yes"
    assert AuditEvent.objects.filter(action="data.export", details__what="alerts").exists()


def test_export_headers_follow_the_language_but_codes_do_not(
    alerts: dict[str, Alert], a_admin: Any
) -> None:
    a_admin.language = "fr"
    a_admin.save()
    client = signed_in(a_admin)
    french = _csv(client.get(LIST, {"format": "csv"}, headers={"accept-language": "fr"}))
    a_admin.language = "en"
    a_admin.save()
    english = _csv(client.get(LIST, {"format": "csv"}, headers={"accept-language": "en"}))
    assert french[0][3] == "État"
    assert english[0][3] == "State"
    assert french[1:] == english[1:]


# --- defects ---------------------------------------------------------------------------------


def test_dashboard_counts_every_open_alert_of_each_care_unit(
    alerts: dict[str, Alert], a_admin: Any, est_a: Organisation
) -> None:
    section = establishment_section(access_of(a_admin, est_a))
    assert section is not None
    counts = {bar.label: bar.value for bar in section.context["unit_bars"]}
    # Réanimation: 0002 (two assets there, counted once) and 0004; Radiologie: 0001 and 0004.
    assert counts["Réanimation"] == 2
    assert counts["Radiologie"] == 2
    assert counts["DMZ"] == 1


def test_refused_state_change_keeps_the_state_the_user_chose(
    alerts: dict[str, Alert], a_admin: Any
) -> None:
    alert = alerts["CVE-2024-0001"]
    response = signed_in(a_admin).post(
        f"{LIST}{alert.pk}/state/", {"state": "false_positive", "justification": "no"}
    )
    text = response.content.decode()
    assert '<option value="false_positive" selected>' in text
    assert "at least 10 characters" in text or "au moins 10 caractères" in text
    assert Alert.objects.get(pk=alert.pk).state == "new"


def test_a_bad_parameter_is_ignored_and_the_other_filters_still_apply(
    alerts: dict[str, Alert], a_admin: Any
) -> None:
    response = signed_in(a_admin).get(LIST, {"sort": "price", "kev": "maybe", "kind": "server"})
    assert response.status_code == 200
    assert _order(response.content) == ["CVE-2024-0003", "CVE-2024-0004", "CVE-2024-0001"]
    assert response.context["form"].errors.keys() == {"sort", "kev"}


def test_counting_the_list_does_not_join_the_assets(alerts: dict[str, Alert], a_admin: Any) -> None:
    with CaptureQueriesContext(connection) as queries:
        signed_in(a_admin).get(LIST)
    counts = [q["sql"] for q in queries if q["sql"].startswith("SELECT COUNT(")]
    assert counts
    assert all("vulns_alertasset" not in sql for sql in counts)


def test_care_unit_and_kind_filters_describe_one_asset(
    alerts: dict[str, Alert], a_admin: Any
) -> None:
    # CVE-2024-0004 affects a server in radiology and a medical device in intensive care: it
    # has "a server" and "something in intensive care", but no server in intensive care.
    client = signed_in(a_admin)
    assert _order(client.get(LIST, {"location": "Réanimation", "kind": "server"}).content) == []
    assert _order(
        client.get(LIST, {"location": "Réanimation", "kind": "medical-device"}).content
    ) == ["CVE-2024-0002", "CVE-2024-0004"]
