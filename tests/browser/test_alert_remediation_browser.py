"""The "What to do" card of an alert in a real browser, in French and in English."""

from __future__ import annotations

import re
import shutil
import zoneinfo
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import PASSWORD
from tests.vulns.support import HEADER, access_of, import_csv, load_feeds
from vigie.vulns.models import Alert, AlertState

pytestmark = pytest.mark.browser

FEEDS = Path(__file__).resolve().parents[1] / "data" / "feeds"
EXACTAMIX = (
    "em2400,Automate ExactaMix pharmacie,medical-device,Baxter,ExactaMix EM2400,1.13,,,,"
    "clinical,internal,Pharmacie centrale\n"
)
ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2})?")


@pytest.fixture
def exactamix_alert(a_admin: Any, est_a: Any, tmp_path: Path) -> Alert:
    folder = tmp_path / "feeds"
    folder.mkdir()
    shutil.copy(FEEDS / "csaf" / "cisa-icsma" / "icsma-20-170-01.json.gz", folder)
    shutil.copy(FEEDS / "kev" / "known_exploited_vulnerabilities.json.gz", folder)
    import_csv(access_of(a_admin, est_a), HEADER + EXACTAMIX)
    load_feeds(folder)
    alert = Alert.objects.get(organisation=est_a, vulnerability__vuln_id="CVE-2017-0143")
    # A fixed deadline far ahead, read in Réunion (UTC+4): 13:19 UTC is 17:19 there.
    Alert.objects.filter(pk=alert.pk).update(
        state=AlertState.ACKNOWLEDGED,
        remediation_due_at=datetime(2030, 12, 9, 13, 19, tzinfo=zoneinfo.ZoneInfo("UTC")),
    )
    a_admin.time_zone = "Indian/Reunion"
    a_admin.save(update_fields=["time_zone"])
    return alert


@pytest.fixture
def english_page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    context.add_cookies([{"name": "vigie-language", "value": "en", "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def _open_alert(page: Any, alert: Alert) -> Any:
    page.goto("/accounts/login/")
    page.fill("#id_username", "a.admin")
    page.fill("#id_password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/o/chu-alpha/")
    page.goto(f"/o/chu-alpha/alerts/{alert.pk}/")
    return page.get_by_test_id("what-to-do")


def _fits_its_card(card: Any) -> bool:
    widths: dict[str, int] = card.evaluate(
        "(el) => ({scroll: el.scrollWidth, client: el.clientWidth})"
    )
    return widths["scroll"] <= widths["client"]


def test_french_reader_sees_the_fix_the_kev_action_and_the_deadline_in_words(
    page: Any, exactamix_alert: Alert
) -> None:
    card = _open_alert(page, exactamix_alert)
    text = card.inner_text()
    assert "Que faire" in text
    assert "Correctif de l’éditeur" in text
    assert "ExactaMix Version 1.13 (EM2400)" in text
    assert "Pharmacie centrale" in text
    assert "Apply updates per vendor instructions." in text
    assert "mardi 3 mai 2022" in text  # the CISA due date, in words
    deadline = page.get_by_test_id("deadline-remediate").inner_text()
    assert "lundi 9 décembre 2030 à 17 h 19" in deadline
    assert not ISO_MOMENT.search(text)
    # The card comes before the description and the SSVC explanation.
    assert card.bounding_box()["y"] < page.locator("#vuln-title").bounding_box()["y"]
    assert _fits_its_card(card)


def test_english_reader_sees_the_same_advice_in_english_on_a_narrow_screen(
    english_page: Any, exactamix_alert: Alert, a_admin: Any
) -> None:
    a_admin.language = "en"  # signing in applies the reader's own language
    a_admin.save(update_fields=["language"])
    english_page.set_viewport_size({"width": 380, "height": 800})
    card = _open_alert(english_page, exactamix_alert)
    text = card.inner_text()
    assert "What to do" in text
    assert "Vendor fix" in text
    assert "CISA KEV required action" in text
    assert "Tuesday 3 May 2022" in text
    assert "Monday 9 December 2030, 17:19" in text
    assert not ISO_MOMENT.search(text)
    # The long bulletin URL wraps inside the card instead of widening the page.
    assert _fits_its_card(card)
