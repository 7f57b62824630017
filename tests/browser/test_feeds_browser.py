"""The centre's feeds page in a real browser, in French and in English: each source with its
state, and the stale-sources alarm of the dashboard leading to it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.helpers import PASSWORD, add_totp, totp_code
from vigie.vulns.models import FeedRun

pytestmark = pytest.mark.browser

TEXTS = {
    "fr": {
        "see": "Voir les flux",
        "alarm": "1 source de vulnérabilités n’est plus à jour",
        "alarm2": "2 sources de vulnérabilités ne sont plus à jour",
        "fresh": "À jour",
        "stale": "Pas à jour",
        "never": "Jamais",
        "epss": "Scores EPSS",
        "kev": "Catalogue KEV de la CISA",
        "ago": "il y a 4 jours",
    },
    "en": {
        "see": "See the feeds",
        "alarm": "1 vulnerability source is stale",
        "alarm2": "2 vulnerability sources are stale",
        "fresh": "Fresh",
        "stale": "Stale",
        "never": "Never",
        "epss": "EPSS scores",
        "kev": "CISA KEV catalogue",
        "ago": "4 days ago",
    },
}


def _run(location: str, state: str, age: timedelta, **fields: Any) -> FeedRun:
    run = FeedRun.objects.create(source="url", location=location, state=state, **fields)
    at = timezone.now() - age
    FeedRun.objects.filter(pk=run.pk).update(started_at=at, finished_at=at)
    return run


def _sign_in(page: Any, user: Any) -> None:
    device = add_totp(user)
    page.goto("/accounts/login/")
    # Chromium applies autofocus a frame after load: wait for it, then type.
    expect(page.locator("input[name=username]")).to_be_focused()
    page.keyboard.type(user.username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/accounts/login/verify/")
    page.get_by_label("Code", exact=False).fill(totp_code(device))
    page.keyboard.press("Enter")
    page.wait_for_url("**/o/centre/")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_analyst_follows_the_stale_alarm_to_the_state_of_each_source(
    page: Any, centre_analyst: Any, settings: Any, language: str
) -> None:
    texts = TEXTS[language]
    centre_analyst.language = language
    centre_analyst.save()
    settings.VIGIE_NVD_API_URL = "https://services.nvd.nist.gov/rest/json/cves/2.0"
    kev = "https://kev.example.org/known_exploited_vulnerabilities.json"
    _run(kev, FeedRun.State.OK, timedelta(days=4), counts={"loaded_kev_cisa": 1234})
    _run(kev, FeedRun.State.FAILED, timedelta(hours=3), errors=["HTTP 503 from kev.example.org"])
    _run(
        "https://epss.example.org/epss.csv.gz",
        FeedRun.State.OK,
        timedelta(hours=2),
        counts={"loaded_epss": 700},
    )
    _sign_in(page, centre_analyst)

    # Two sources are stale (KEV, 4 days old; the NVD API, configured but never run).
    alarm = page.get_by_test_id("stale-feeds")
    assert alarm.get_attribute("role") == "alert"
    assert texts["alarm2"] in alarm.inner_text()
    with page.expect_navigation():
        alarm.get_by_role("link", name=texts["see"]).click()
    assert page.url.endswith("/o/centre/feeds/#freshness-title")

    table = page.get_by_test_id("feed-freshness")
    states = {
        row.get_attribute("data-source"): row.get_attribute("data-freshness")
        for row in table.locator("tbody tr").all()
    }
    assert states == {"kev:cisa": "stale", "nvd": "stale", "epss": "fresh"}
    kev_row = table.locator("tr[data-source='kev:cisa']")
    assert texts["kev"] in kev_row.inner_text()
    assert texts["stale"] in kev_row.inner_text()
    assert texts["ago"] in kev_row.inner_text()
    assert "HTTP 503 from kev.example.org" in kev_row.get_by_test_id("last-error").inner_text()
    assert ("1 234" if language == "fr" else "1,234") in kev_row.inner_text().replace(
        "\u202f", " "
    ).replace("\xa0", " ")
    nvd_row = table.locator("tr[data-source='nvd']")
    assert texts["never"] in nvd_row.get_by_test_id("last-success").inner_text()
    epss_row = table.locator("tr[data-source='epss']")
    assert texts["epss"] in epss_row.inner_text()
    assert texts["fresh"] in epss_row.inner_text()
    # Stale sources come first: they are what the reader acts on.
    assert table.locator("tbody tr").last.get_attribute("data-source") == "epss"


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_single_stale_source_shows_the_banner_on_the_feeds_page(
    page: Any, centre_analyst: Any, language: str
) -> None:
    texts = TEXTS[language]
    centre_analyst.language = language
    centre_analyst.save()
    _run(
        "https://epss.example.org/epss.csv.gz",
        FeedRun.State.OK,
        timedelta(days=4),
        counts={"loaded_epss": 700},
    )
    _sign_in(page, centre_analyst)
    page.goto("/o/centre/feeds/")
    assert texts["alarm"] in page.get_by_test_id("stale-feeds").inner_text()
    row = page.get_by_test_id("feed-freshness").locator("tr[data-source='epss']")
    assert texts["stale"] in row.inner_text()
