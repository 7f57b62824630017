"""The sector page of one CVE: per establishment the affected assets, versions, and the alert."""

from __future__ import annotations

from typing import Any

import pytest

from tests.vulns.exposure_support import alert_on, asset
from vigie.tenancy.models import Membership, Organisation


@pytest.fixture
def exposed(est_a: Organisation, est_b: Organisation) -> dict[str, Any]:
    a_alert = alert_on(
        est_a,
        "CVE-2026-2001",
        "act",
        [
            asset(est_a, "Serveur web urgences", version="2.4.49", location="Urgences"),
            asset(est_a, "Serveur web bloc", version="2.4.50"),
        ],
    )
    b_alert = alert_on(est_b, "CVE-2026-2001", "attend", [asset(est_b, "Portail", version="2.4.1")])
    other = Organisation.objects.create(kind="centre", name="Autre centre", slug="autre")
    est_c = Organisation.objects.create(
        kind="establishment", name="CH Gamma", slug="ch-gamma", centre=other
    )
    alert_on(est_c, "CVE-2026-2001", "act", [asset(est_c, "Serveur Gamma", version="2.4.48")])
    return {"a": a_alert, "b": b_alert}


def test_each_establishment_lists_its_affected_assets_and_versions(
    exposed: dict[str, Any], centre_analyst: Any, client_for: Any
) -> None:
    page = client_for(centre_analyst).get(
        "/o/centre/exposure/CVE-2026-2001/", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert page.status_code == 200
    rows = {row.alert.organisation.slug: row for row in page.context["rows"]}
    assert set(rows) == {"chu-alpha", "clinique-beta"}  # not CH Gamma, another centre's
    assert [(a["asset__name"], a["asset__version"]) for a in rows["chu-alpha"].assets] == [
        ("Serveur web bloc", "2.4.50"),
        ("Serveur web urgences", "2.4.49"),
    ]
    html = page.content.decode()
    assert "version 2.4.49" in html
    assert "Serveur Gamma" not in html


def test_the_centre_links_to_its_view_of_the_establishment(
    exposed: dict[str, Any], centre_analyst: Any, client_for: Any
) -> None:
    html = client_for(centre_analyst).get("/o/centre/exposure/CVE-2026-2001/").content.decode()
    # A centre analyst is not a member of the establishment: its alert pages are not theirs.
    assert "/o/centre/establishments/chu-alpha/#exposure" in html
    assert f"/o/chu-alpha/alerts/{exposed['a'].pk}/" not in html


def test_a_member_of_the_establishment_gets_the_link_to_its_alert(
    exposed: dict[str, Any], centre_analyst: Any, est_a: Organisation, client_for: Any
) -> None:
    Membership.objects.create(user=centre_analyst, organisation=est_a, role="viewer")
    client = client_for(centre_analyst)
    html = client.get("/o/centre/exposure/CVE-2026-2001/").content.decode()
    link = f"/o/chu-alpha/alerts/{exposed['a'].pk}/"
    assert link in html
    assert f"/o/clinique-beta/alerts/{exposed['b'].pk}/" not in html
    assert client.get(link).status_code == 200


def test_an_establishment_member_gets_nothing_of_the_sector_page(
    exposed: dict[str, Any], a_admin: Any, b_admin: Any, client_for: Any
) -> None:
    # Their own organisation is not a centre: refused; the centre is not theirs: not found.
    assert client_for(a_admin).get("/o/chu-alpha/exposure/CVE-2026-2001/").status_code == 403
    assert client_for(b_admin).get("/o/centre/exposure/CVE-2026-2001/").status_code == 404
    # Nor another establishment's alert.
    assert client_for(b_admin).get(f"/o/chu-alpha/alerts/{exposed['a'].pk}/").status_code == 404
    assert client_for(b_admin).get(f"/o/clinique-beta/alerts/{exposed['a'].pk}/").status_code == 404


def test_the_live_refresh_keeps_the_assets(
    exposed: dict[str, Any], centre_analyst: Any, client_for: Any
) -> None:
    page = client_for(centre_analyst).get(
        "/o/centre/exposure/CVE-2026-2001/", HTTP_HX_REQUEST="true"
    )
    assert page.status_code == 200
    assert b"Serveur web urgences" in page.content
    assert b"<html" not in page.content
