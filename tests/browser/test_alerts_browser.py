"""The early-warning pages in a real browser: dashboard, live list, acknowledging an alert."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from tests.helpers import PASSWORD
from tests.vulns.support import HEADER, access_of, import_csv, load_feeds
from vigie.vulns.models import Alert, AlertState

pytestmark = pytest.mark.browser

PORTAL = (
    "portal,Portail patients,server,Apache,HTTP Server,2.4.59,"
    "cpe:2.3:a:apache:http_server:2.4.59:*:*:*:*:*:*:*,,,business,internet,DMZ\n"
)


def sign_in(page: Any, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.keyboard.press("Enter")


@pytest.fixture
def alerting_world(a_admin: Any, est_a: Any, small_feeds: Path) -> Alert:
    access = access_of(a_admin, est_a)
    import_csv(access, HEADER + PORTAL)
    load_feeds(small_feeds)
    return Alert.objects.get(vulnerability__vuln_id="CVE-2024-38475")


def test_dashboard_shows_alerts_by_decision_and_the_most_urgent(
    page: Any, alerting_world: Alert
) -> None:
    sign_in(page, "a.admin")
    page.wait_for_url("**/o/chu-alpha/")
    assert page.get_by_test_id("count-act").inner_text() == "1"
    assert "CVE-2024-38475" in page.locator("#vuln-dashboard").inner_text()
    assert page.locator("#vuln-dashboard svg").count() >= 1


def test_security_officer_acknowledges_an_alert_with_the_keyboard(
    page: Any, alerting_world: Alert
) -> None:
    sign_in(page, "a.admin")
    page.wait_for_url("**/o/chu-alpha/")
    page.goto(f"/o/chu-alpha/alerts/{alerting_world.pk}/")
    assert "KEV" in page.get_by_test_id("ssvc-explanation").inner_text()
    assert "Portail patients" in page.get_by_test_id("affected-assets").inner_text()
    page.focus("#id_state")
    page.select_option("#id_state", "acknowledged")
    page.get_by_test_id("transition-submit").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    with translation.override("fr"):  # the browser context is French, the default language
        label = str(AlertState.ACKNOWLEDGED.label)
    assert label in page.get_by_test_id("alert-state").inner_text()
    alerting_world.refresh_from_db()
    assert alerting_world.state == "acknowledged"
    assert alerting_world.acknowledged_by is not None
    assert alerting_world.acknowledged_by.username == "a.admin"


def test_alert_list_refreshes_itself_when_a_new_alert_arrives(
    page: Any, a_admin: Any, est_a: Any, small_feeds: Path
) -> None:
    sign_in(page, "a.admin")
    page.wait_for_url("**/o/chu-alpha/")
    page.goto("/o/chu-alpha/alerts/")
    assert "CVE-2024-38475" not in page.get_by_test_id("alert-table").inner_text()
    access = access_of(a_admin, est_a)
    import_csv(access, HEADER + PORTAL)
    load_feeds(small_feeds)
    page.locator("[data-alert='CVE-2024-38475']").wait_for(timeout=20_000)


def test_other_establishment_cannot_open_the_alert(
    page: Any, alerting_world: Alert, b_admin: Any
) -> None:
    sign_in(page, "b.admin")
    page.wait_for_url("**/o/clinique-beta/")
    response = page.goto(f"/o/chu-alpha/alerts/{alerting_world.pk}/")
    assert response is not None
    assert response.status == 404
    assert "CVE-2024-38475" not in page.content()
