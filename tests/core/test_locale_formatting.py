"""Numbers, percentages and dates as the reader writes them, in the reader's time zone.

French pages say "9,1" and "1,2 %" (non-breaking space), English ones "9.1" and "1.2%"; deadlines
are in words at the reader's clock, never a raw ISO timestamp.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from tests.helpers import signed_in
from vigie.core.mail import render_mail
from vigie.vulns.models import Alert, AlertEvent, AlertState, EpssScore, Vulnerability

pytestmark = pytest.mark.django_db

ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}")
ISO_DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
NBSP = "\u00a0"
# 13:19 UTC is 10:19 in Cayenne (UTC-3, no summer time).
DUE = datetime(2099, 12, 7, 13, 19, tzinfo=ZoneInfo("UTC"))


def _visible_text(html: str) -> str:
    """The page as read: without tags and attributes (a `<time datetime=...>` is not read)."""
    return re.sub(r"<[^>]+>", " ", html)


@pytest.fixture
def scored_alert(exactamix_alert: Alert, a_admin: Any) -> Alert:
    cve = exactamix_alert.vulnerability.vuln_id
    Vulnerability.objects.filter(pk=exactamix_alert.vulnerability_id).update(cvss_score=9.1)
    EpssScore.objects.update_or_create(cve=cve, defaults={"epss": 0.012, "percentile": 0.853})
    Alert.objects.filter(pk=exactamix_alert.pk).update(
        remediation_due_at=DUE, state=AlertState.ACKNOWLEDGED
    )
    a_admin.time_zone = "America/Cayenne"
    a_admin.save(update_fields=["time_zone"])
    return Alert.objects.select_related("vulnerability").get(pk=exactamix_alert.pk)


def _page(user: Any, language: str, path: str) -> str:
    client: Client = signed_in(user)
    client.cookies["vigie-language"] = language
    response = client.get(path)
    assert response.status_code == 200
    return _visible_text(response.content.decode())


def test_alert_detail_in_french_uses_commas_a_spaced_percent_and_words_at_the_readers_clock(
    scored_alert: Alert, a_admin: Any
) -> None:
    text = _page(a_admin, "fr", f"/o/chu-alpha/alerts/{scored_alert.pk}/")
    assert "9,1" in text
    assert f"1,2{NBSP}%" in text
    assert f"85,3{NBSP}%" in text
    assert "lundi 7 décembre 2099 à 10 h 19" in text  # Cayenne, not Paris or UTC
    assert "07/12/2099" not in text
    assert not ISO_MOMENT.search(text)
    assert not ISO_DAY.search(text)


def test_alert_detail_in_english_uses_points_and_words(scored_alert: Alert, a_admin: Any) -> None:
    text = _page(a_admin, "en", f"/o/chu-alpha/alerts/{scored_alert.pk}/")
    assert "9.1" in text
    assert "1.2%" in text or f"1.2{NBSP}%" in text or "1.2 %" in text
    assert "Monday 7 December 2099, 10:19" in text
    assert not ISO_MOMENT.search(text)
    assert not ISO_DAY.search(text)


@pytest.mark.parametrize(
    ("language", "due"),
    # Due 7 December 2099 at 10:19 in Cayenne: never "12/07/2099" (read 12 July in Europe).
    [("fr", "07/12/2099"), ("en", "07/12/2099")],
)
def test_alert_list_dates_put_the_day_first_in_both_languages(
    scored_alert: Alert, a_admin: Any, language: str, due: str
) -> None:
    text = _page(a_admin, language, "/o/chu-alpha/alerts/")
    assert due in text
    assert "12/07/2099" not in text


def test_english_times_are_on_the_24_hour_clock(scored_alert: Alert, a_admin: Any) -> None:
    AlertEvent.objects.create(alert=scored_alert, kind="comment", message="checked", at=DUE)
    text = _page(a_admin, "en", f"/o/chu-alpha/alerts/{scored_alert.pk}/")
    assert "07/12/2099 10:19" in text
    assert "a.m." not in text
    assert "p.m." not in text


@pytest.mark.parametrize(
    ("language", "score", "percent"),
    [("fr", "9,1", f"1,2{NBSP}%"), ("en", "9.1", "1.2%")],
)
def test_alert_list_formats_scores_and_percentages_for_the_language(
    scored_alert: Alert, a_admin: Any, language: str, score: str, percent: str
) -> None:
    text = _page(a_admin, language, "/o/chu-alpha/alerts/")
    assert score in text
    assert percent in text
    assert "0.012" not in text
    assert "0,012" not in text
    assert not ISO_MOMENT.search(text)


def test_alert_mail_for_a_french_recipient_shows_french_numbers_and_dates(
    scored_alert: Alert,
) -> None:
    payload = {
        "alert": scored_alert.pk,
        "organisation": "chu-alpha",
        "vulnerability": scored_alert.vulnerability.vuln_id,
        "priority": scored_alert.priority,
        "cvss": 9.1,
        "assets": [],
        "remediation_due_at": DUE.isoformat(),
    }
    context = {"payload": payload, "event": "alert.new"}
    _, french, _ = render_mail("notify/mail/alert", context, "fr")
    assert "9,1" in french
    assert "décembre 2099" in french
    assert not ISO_MOMENT.search(french)
    _, english, _ = render_mail("notify/mail/alert", context, "en")
    assert "9.1" in english
    assert "December 2099" in english


def test_ssvc_explanation_gives_kev_dates_in_words_and_french_typography(
    scored_alert: Alert, a_admin: Any
) -> None:
    french = _page(a_admin, "fr", f"/o/chu-alpha/alerts/{scored_alert.pk}/")
    start = french.index("Pourquoi cette priorité")
    block = french[start : start + 3000]
    # EternalBlue entered CISA's KEV on 3 November 2021.
    assert "depuis le mercredi 3 novembre 2021" in block
    assert not ISO_DAY.search(block)
    assert f"Exploitation{NBSP}:" in block
    lines = block[: block.index("Décider")] if "Décider" in block else block[:1500]
    # French typography: a non-breaking space before ":" and ";", never a plain one or none.
    assert not re.search(r"\w[;:] | [;:] ", lines), lines
    english = _page(a_admin, "en", f"/o/chu-alpha/alerts/{scored_alert.pk}/")
    start = english.index("Why this priority")
    block = english[start : start + 3000]
    assert "since Wednesday 3 November 2021" in block
    assert not ISO_DAY.search(block)
