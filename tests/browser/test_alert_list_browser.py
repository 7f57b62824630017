"""The alert list in a real browser, in French and in English: filter, sort, bulk acknowledge
with one justification, export."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from tests.helpers import PASSWORD
from tests.vulns.test_alert_list import Spec, make_alert
from vigie.vulns.models import Alert, AlertEvent

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("language", ["fr", "en"])
def test_filter_sort_bulk_acknowledge_and_export(
    page: Any, a_admin: Any, est_a: Any, language: str, tmp_path: Path
) -> None:
    a_admin.language = language
    a_admin.save()
    make_alert(est_a, Spec("CVE-2024-0001", "track", cvss=9.8, assets=("pacs",)))
    make_alert(est_a, Spec("CVE-2024-0002", "act", cvss=5.0, kev=True, assets=("pump",)))
    make_alert(est_a, Spec("CVE-2024-0003", "attend", cvss=7.5, assets=("monitor",)))

    page.goto("/accounts/login/")
    page.fill("#id_username", "a.admin")
    page.fill("#id_password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/o/chu-alpha/")
    page.goto("/o/chu-alpha/alerts/")

    # Filter: the medical devices of intensive care.
    page.select_option("#id_location", "Réanimation")
    with page.expect_navigation():
        page.get_by_test_id("filter-submit").click()
    rows = page.locator("[data-alert]")
    assert rows.count() == 2
    assert "CVE-2024-0001" not in page.get_by_test_id("alert-table").inner_text()

    # Sort by CVSS with the keyboard; the filter stays.
    page.get_by_test_id("sort-cvss").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "location=" in page.url
    assert rows.first.get_attribute("data-alert") == "CVE-2024-0003"
    header = page.locator("th", has=page.get_by_test_id("sort-cvss"))
    assert header.get_attribute("aria-sort") == "descending"

    # Bulk acknowledge both, with one justification.
    page.get_by_test_id("select-all").check()
    page.select_option("#bulk_action", "acknowledge")
    page.fill("#bulk_justification", "Revue hebdomadaire / weekly review")
    with page.expect_navigation():
        page.get_by_test_id("bulk-submit").click()
    assert "location=" in page.url
    assert "sort=cvss" in page.url
    acknowledged = Alert.objects.filter(state="acknowledged")
    assert sorted(a.vulnerability.vuln_id for a in acknowledged) == [
        "CVE-2024-0002",
        "CVE-2024-0003",
    ]
    assert set(
        AlertEvent.objects.filter(kind="state_changed").values_list("message", flat=True)
    ) == {"Revue hebdomadaire / weekly review"}
    with translation.override(language):
        assert (
            translation.ngettext("%(count)d alert updated.", "%(count)d alerts updated.", 2)
            % {"count": 2}
            in page.content()
        )
        state_header = translation.gettext("State")

    # Export what is on screen (the filter now includes every state).
    page.select_option("#id_state", "all")
    with page.expect_navigation():
        page.get_by_test_id("filter-submit").click()
    with page.expect_download() as info:
        page.get_by_test_id("alert-export").click()
    target = tmp_path / "alerts.csv"
    info.value.save_as(target)
    with target.open(newline="", encoding="utf-8") as handle:
        exported = list(csv.reader(handle))
    assert exported[0][3] == state_header
    assert [row[0] for row in exported[1:]] == ["CVE-2024-0003", "CVE-2024-0002"]
    assert {row[3] for row in exported[1:]} == {"acknowledged"}
