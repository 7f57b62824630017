"""The centre's page of an establishment shows its exposure, and only to the centre."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.vulns.exposure_support import alert_on, asset
from vigie.tenancy.models import Organisation


@pytest.fixture
def exposed(est_a: Organisation, est_b: Organisation) -> dict[str, Any]:
    pump = asset(
        est_a,
        "Pompe à perfusion",
        version="9.1",
        location="Réanimation polyvalente et surveillance continue",
        criticality="life-sustaining",
    )
    server = asset(est_a, "Serveur PACS", version="2.4.49", criticality="business")
    desk = asset(est_a, "Poste accueil", criticality="support")
    act = alert_on(est_a, "CVE-2026-1001", "act", [pump, server])
    alert_on(est_a, "CVE-2026-1002", "attend", [pump], age=dt.timedelta(days=30))
    alert_on(est_a, "CVE-2026-1003", "track", [desk])
    alert_on(est_b, "CVE-2026-1004", "act", [asset(est_b, "Automate Beta")])
    return {"act": act, "pump": pump}


def test_centre_sees_open_alerts_by_priority_and_overdue(
    exposed: dict[str, Any], centre_analyst: Any, client_for: Any
) -> None:
    page = client_for(centre_analyst).get(
        "/o/centre/establishments/chu-alpha/", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert page.status_code == 200
    exposure = page.context["exposure"]
    counts = {p["code"]: p["count"] for p in exposure["priorities"]}
    assert counts == {"act": 1, "attend": 1, "track*": 0, "track": 1}
    # The Attend alert is 30 days old, past its 7 days.
    assert exposure["overdue"] == 1
    html = page.content.decode()
    assert 'data-testid="exposure-act">1<' in html
    assert 'data-testid="exposure-overdue">1<' in html


def test_most_critical_assets_come_first_with_their_alert_counts(
    exposed: dict[str, Any], centre_analyst: Any, client_for: Any
) -> None:
    page = client_for(centre_analyst).get(
        "/o/centre/establishments/chu-alpha/", HTTP_ACCEPT_LANGUAGE="fr"
    )
    assets = page.context["exposure"]["assets"]
    assert [(a["asset__name"], a["alerts"], a["act"], a["attend"]) for a in assets] == [
        ("Pompe à perfusion", 2, 1, 1),
        ("Serveur PACS", 1, 1, 0),
        ("Poste accueil", 1, 0, 0),
    ]
    html = page.content.decode()
    assert "<td>Vital</td>" in html  # the criticality, translated
    assert "Automate Beta" not in html  # another establishment's asset
    # The urgent alerts link to the centre's page of the CVE.
    assert "/o/centre/exposure/CVE-2026-1001/" in html


def test_establishment_member_cannot_open_the_centre_page_of_an_establishment(
    exposed: dict[str, Any], a_admin: Any, b_admin: Any, client_for: Any
) -> None:
    assert client_for(a_admin).get("/o/centre/establishments/chu-alpha/").status_code == 404
    assert client_for(b_admin).get("/o/centre/establishments/chu-alpha/").status_code == 404
    assert client_for(b_admin).get("/o/clinique-beta/establishments/chu-alpha/").status_code in (
        403,
        404,
    )


def test_another_centre_does_not_see_the_establishment(
    exposed: dict[str, Any], make_user: Any, client_for: Any
) -> None:
    other = Organisation.objects.create(kind="centre", name="Autre centre", slug="autre")
    analyst = make_user("other.analyst", other, "analyst")
    page = client_for(analyst).get("/o/autre/establishments/chu-alpha/")
    assert page.status_code == 404


def test_establishment_page_shows_the_trends_of_that_establishment(
    exposed: dict[str, Any], centre_analyst: Any, client_for: Any
) -> None:
    page = client_for(centre_analyst).get(
        "/o/centre/establishments/chu-alpha/", HTTP_ACCEPT_LANGUAGE="en"
    )
    html = page.content.decode()
    assert '<title id="establishment-chart-open-title">Open alerts by priority</title>' in html
    chart = page.context["trends"]["open_chart"]
    last = dict(zip([s.label for s in chart.series], chart.rows[-1][1], strict=True))
    assert last == {"Act": "1", "Attend": "1", "Track*": "0", "Track": "1"}
