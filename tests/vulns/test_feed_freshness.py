"""How fresh each vulnerability source is (feeds page), and the stale-sources alarm."""

from __future__ import annotations

import shutil
import zoneinfo
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from vigie.conf.env import ConfigurationError
from vigie.settings import feed_stale_days
from vigie.vulns.freshness import source_freshness, stale_days
from vigie.vulns.models import FeedRun

from .support import DEMO_FEEDS


def _import(*sources: str) -> None:
    call_command("vulns", "import", *sources, "--no-match")


def _age(run: FeedRun, delta: timedelta) -> None:
    """The run happened `delta` ago."""
    at = timezone.now() - delta
    FeedRun.objects.filter(pk=run.pk).update(started_at=at, finished_at=at)


def _rows() -> dict[str, Any]:
    return {row.key: row for row in source_freshness()}


@pytest.fixture
def kev_file(tmp_path: Path) -> Path:
    path = tmp_path / "kev.json"
    shutil.copy(DEMO_FEEDS / "kev.json", path)
    return path


def test_a_file_loaded_with_vigie_vulns_import_refreshes_its_source(
    centre: Any, kev_file: Path
) -> None:
    _import(str(kev_file))
    row = _rows()["kev:cisa"]
    assert row.state == "fresh"
    assert row.records == 8
    assert row.by_hand
    assert row.last_success.location == str(kev_file)


def test_a_failed_import_does_not_count_as_a_success_and_shows_its_error(
    centre: Any, kev_file: Path
) -> None:
    _import(str(kev_file))
    good = FeedRun.objects.get()
    _age(good, timedelta(days=3))
    kev_file.write_text("{not json")
    with pytest.raises(CommandError):
        _import(str(kev_file))

    row = _rows()["kev:cisa"]
    assert row.last_success == good  # not the failed run that came after it
    assert row.state == "stale"  # KEV is stale after 2 days
    assert row.current_failure is not None
    assert row.current_failure.state == FeedRun.State.FAILED
    assert row.last_error
    assert str(kev_file) in row.last_error or "json" in row.last_error.lower()


def test_a_failure_before_the_last_success_is_overcome(centre: Any, kev_file: Path) -> None:
    kev_file.write_text("{not json")
    with pytest.raises(CommandError):
        _import(str(kev_file))
    _age(FeedRun.objects.get(), timedelta(hours=5))
    shutil.copy(DEMO_FEEDS / "kev.json", kev_file)
    _import(str(kev_file))
    row = _rows()["kev:cisa"]
    assert row.state == "fresh"
    assert row.errors == []


def test_a_recent_failure_of_a_fresh_source_shows_it_failing(centre: Any, kev_file: Path) -> None:
    _import(str(kev_file))
    _age(FeedRun.objects.get(), timedelta(hours=5))
    kev_file.write_text("{not json")
    with pytest.raises(CommandError):
        _import(str(kev_file))
    assert _rows()["kev:cisa"].state == "failing"


def test_configured_sources_never_run_are_stale(centre: Any, settings: Any) -> None:
    settings.VIGIE_NVD_API_URL = "https://services.nvd.nist.gov/rest/json/cves/2.0"
    settings.VIGIE_CSAF_ROLIE_URLS = ["https://csaf.example.org/rolie/feed.json"]
    settings.VIGIE_FEED_URLS = ["https://kev.example.org/kev.json?token=secret"]
    rows = _rows()
    assert set(rows) == {"nvd", "csaf:csaf.example.org", "feed:https://kev.example.org/kev.json"}
    assert all(row.state == "stale" and row.succeeded_at is None for row in rows.values())


def test_a_configured_feed_file_that_never_loaded_shows_its_failure(
    centre: Any, settings: Any, tmp_path: Path
) -> None:
    missing = tmp_path / "epss.csv.gz"
    settings.VIGIE_FEED_URLS = [str(missing)]
    with pytest.raises(CommandError):
        _import(str(missing))
    row = _rows()[f"feed:{missing}"]
    assert row.state == "stale"
    assert row.current_failure is not None
    assert row.last_error


def test_a_configured_feed_file_once_loaded_is_shown_by_what_it_brings(
    centre: Any, settings: Any, kev_file: Path
) -> None:
    settings.VIGIE_FEED_URLS = [str(kev_file)]
    _import(str(kev_file))
    assert set(_rows()) == {"kev:cisa"}


def test_a_one_off_failed_import_of_an_unknown_file_raises_no_alarm(
    centre: Any, tmp_path: Path
) -> None:
    with pytest.raises(CommandError):
        _import(str(tmp_path / "typo.json"))
    assert _rows() == {}


def test_runs_from_before_loaded_counts_are_read_from_their_counts_until_superseded(
    centre: Any, kev_file: Path
) -> None:
    old = FeedRun.objects.create(
        source="file",
        location=str(kev_file),
        state=FeedRun.State.OK,
        counts={"records_created": 0, "kev_entries": 8},
    )
    _age(old, timedelta(days=30))
    assert _rows()["kev"].state == "stale"
    _import(str(kev_file))
    # The same place now says exactly what it brings: no stale guess stays behind.
    assert set(_rows()) == {"kev:cisa"}


def test_thresholds_come_from_the_setting(centre: Any, settings: Any, kev_file: Path) -> None:
    _import(str(kev_file))
    _age(FeedRun.objects.get(), timedelta(days=3))
    assert _rows()["kev:cisa"].state == "stale"
    settings.VIGIE_FEED_STALE_DAYS = feed_stale_days("KEV=5, csaf=14")
    assert stale_days()["kev"] == 5
    assert stale_days()["csaf"] == 14
    assert stale_days()["nvd"] == 2  # the default of the others
    assert _rows()["kev:cisa"].state == "fresh"


@pytest.mark.parametrize("value", ["kev", "kev=0", "kev=two", "ghsa=3"])
def test_a_wrong_threshold_setting_stops_the_start(value: str) -> None:
    with pytest.raises(ConfigurationError, match="VIGIE_FEED_STALE_DAYS"):
        feed_stale_days(value)


def test_matching_runs_do_not_count_as_feed_refreshes(centre: Any) -> None:
    FeedRun.objects.create(source="resume", location="", state=FeedRun.State.OK, counts={})
    FeedRun.objects.create(source="rematch", location="", state=FeedRun.State.FAILED)
    assert _rows() == {}


def _epss_run(count: int, age: timedelta) -> FeedRun:
    run = FeedRun.objects.create(
        source="url",
        location="https://epss.example.org/epss.csv.gz",
        state=FeedRun.State.OK,
        counts={"epss_scores": count, "loaded_epss": count},
        triggered_by="schedule",
    )
    _age(run, age)
    run.refresh_from_db()
    return run


@pytest.mark.parametrize(
    ("language", "records", "stale_after"),
    [
        ("fr", "12\u202f345", "pas à jour au-delà de 3 jours"),
        ("en", "12,345", "stale after 3 days"),
    ],
)
def test_feeds_page_shows_each_source_in_the_readers_language_and_zone(
    centre_analyst: Any,
    client_for: Any,
    language: str,
    records: str,
    stale_after: str,
) -> None:
    centre_analyst.time_zone = "America/Guadeloupe"
    centre_analyst.save()
    run = _epss_run(12345, timedelta(days=1, hours=2))
    page = client_for(centre_analyst).get("/o/centre/feeds/", HTTP_ACCEPT_LANGUAGE=language)
    html = page.content.decode()
    local = run.finished_at.astimezone(zoneinfo.ZoneInfo("America/Guadeloupe"))
    shown = local.strftime("%d/%m/%Y %H:%M")  # day first and 24-hour clock in both languages
    row = html[html.index('data-source="epss"') :].split("</tr>")[0]
    assert 'data-freshness="fresh"' in row
    assert shown in row
    assert records in row.replace("\xa0", "\u202f")
    assert stale_after in row
    # Dates are for people: the ISO form stays in the machine-readable attribute.
    assert run.finished_at.isoformat()[:16] not in row.replace('datetime="', "")
    assert 'data-testid="stale-feeds"' not in html


def test_feeds_page_raises_the_alarm_with_the_error_of_the_failed_run(
    centre_analyst: Any, client_for: Any
) -> None:
    _epss_run(700, timedelta(days=5))
    failed = FeedRun.objects.create(
        source="url",
        location="https://epss.example.org/epss.csv.gz",
        state=FeedRun.State.FAILED,
        errors=["HTTP 503 from epss.example.org"],
    )
    FeedRun.objects.filter(pk=failed.pk).update(finished_at=timezone.now())
    html = (
        client_for(centre_analyst)
        .get("/o/centre/feeds/", HTTP_ACCEPT_LANGUAGE="en")
        .content.decode()
    )
    assert 'data-testid="stale-feeds"' in html
    assert "1 vulnerability source is stale" in html
    row = html[html.index('data-source="epss"') :].split("</tr>")[0]
    assert 'data-freshness="stale"' in row
    assert "HTTP 503 from epss.example.org" in row
    assert "5 days ago" in row


def test_centre_members_see_the_alarm_on_their_dashboard_with_the_feeds_link(
    centre_analyst: Any, centre_admin: Any, make_user: Any, centre: Any, client_for: Any
) -> None:
    _epss_run(700, timedelta(days=5))
    viewer = make_user("centre.viewer", centre, "viewer")
    for person in (centre_analyst, centre_admin, viewer):
        html = client_for(person).get("/o/centre/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
        assert 'data-testid="stale-feeds"' in html
        assert "1 source de vulnérabilités n’est plus à jour" in html
        assert 'href="/o/centre/feeds/#freshness-title"' in html


def test_the_operations_page_links_the_alarm_to_the_feeds_page(
    centre_analyst: Any, client_for: Any
) -> None:
    _epss_run(700, timedelta(days=5))
    html = client_for(centre_analyst).get("/o/centre/operations/").content.decode()
    assert 'href="/o/centre/feeds/#freshness-title"' in html


def test_establishments_do_not_see_the_alarm(
    a_admin: Any, centre_analyst: Any, client_for: Any
) -> None:
    _epss_run(700, timedelta(days=5))
    html = client_for(a_admin).get("/o/chu-alpha/").content.decode()
    assert 'data-testid="stale-feeds"' not in html


def test_no_alarm_when_every_source_is_fresh(centre_analyst: Any, client_for: Any) -> None:
    _epss_run(700, timedelta(hours=2))
    html = client_for(centre_analyst).get("/o/centre/").content.decode()
    assert 'data-testid="stale-feeds"' not in html


@pytest.mark.parametrize(
    ("language", "said"), [("fr", "il y a moins d’une heure"), ("en", "less than an hour ago")]
)
def test_a_source_refreshed_minutes_ago_is_not_said_zero_hours_old(
    centre_analyst: Any, client_for: Any, language: str, said: str
) -> None:
    _epss_run(10, timedelta(minutes=10))
    html = (
        client_for(centre_analyst)
        .get("/o/centre/feeds/", HTTP_ACCEPT_LANGUAGE=language)
        .content.decode()
    )
    row = html[html.index('data-source="epss"') :].split("</tr>")[0]
    assert said in row
    assert "0 h" not in row
    assert "`" not in html  # commands are set in <code>, not in Markdown backticks
