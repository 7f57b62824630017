"""An alert's timeline reads in the reader's language: event labels, states, priorities and
counts from the codes stored on each event; what a person wrote is shown as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone

from tests.helpers import signed_in
from vigie.api.tokens import create_token
from vigie.tenancy.models import Organisation
from vigie.vulns import alerting, bulk
from vigie.vulns.models import Alert, AlertEvent, AlertState, EventKind

from .support import access_of

pytestmark = pytest.mark.django_db


def _timeline(client: Client, alert: Alert, language: str) -> str:
    client.cookies["vigie-language"] = language
    html = client.get(f"/o/chu-alpha/alerts/{alert.pk}/").content.decode()
    start = html.index('id="timeline-title"')
    section = html[start : html.index("</ol>", start)]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section))


@pytest.fixture
def handled_alert(exactamix_alert: Alert, a_admin: Any, est_a: Organisation) -> Alert:
    """Raised by the platform (two assets), then acknowledged and assigned by a person."""
    access = access_of(a_admin, est_a)
    alerting.transition(
        access=access,
        alert=exactamix_alert,
        to_state=AlertState.ACKNOWLEDGED,
        justification="Vu avec le biomédical",
    )
    bulk.assign(access=access, alert=exactamix_alert, to=a_admin, request=None)
    AlertEvent.objects.create(
        alert=exactamix_alert,
        at=timezone.now(),
        kind=EventKind.PRIORITY_RAISED,
        details={"previous": "track", "priority": "act"},
    )
    return exactamix_alert


def test_the_french_timeline_has_no_english_codes_or_sentences(
    handled_alert: Alert, a_admin: Any
) -> None:
    text = _timeline(signed_in(a_admin), handled_alert, "fr")
    assert "Alerte levée" in text
    assert "1 actif concerné" in text
    assert "Nouvelle → Prise en compte" in text
    assert "Vu avec le biomédical" in text  # the justification, as written
    assert "Priorité relevée" in text
    assert "Track → Act" in text
    for code in ("created", "state_changed", "acknowledged", "assigned", "priority_raised"):
        assert code not in text
    assert "(s)" not in text


def test_the_english_timeline_reads_the_same_events_in_english(
    handled_alert: Alert, a_admin: Any
) -> None:
    text = _timeline(signed_in(a_admin), handled_alert, "en")
    assert "Alert raised" in text
    assert "1 affected asset" in text
    assert "New → Acknowledged" in text
    assert "Priority raised" in text
    assert "actif" not in text
    assert "Prise en compte" not in text


def test_counts_take_the_plural_of_the_language(exactamix_alert: Alert, a_admin: Any) -> None:
    AlertEvent.objects.filter(alert=exactamix_alert, kind=EventKind.CREATED).update(
        details={"assets_count": 2}
    )
    client = signed_in(a_admin)
    assert "2 actifs concernés" in _timeline(client, exactamix_alert, "fr")
    assert "2 affected assets" in _timeline(client, exactamix_alert, "en")


def test_a_long_list_of_assets_is_cut_and_counted(exactamix_alert: Alert, a_admin: Any) -> None:
    AlertEvent.objects.create(
        alert=exactamix_alert,
        at=timezone.now(),
        kind=EventKind.ASSETS_ADDED,
        details={"assets": [f"Pompe {n}" for n in range(1, 9)]},
    )
    text = _timeline(signed_in(a_admin), exactamix_alert, "en")
    assert "assets: Pompe 1, Pompe 2, Pompe 3, Pompe 4, Pompe 5 and 3 others" in text


def test_the_api_gives_codes_and_parameters_not_sentences(
    handled_alert: Alert, a_admin: Any, est_a: Organisation
) -> None:
    _token, secret = create_token(user=a_admin, name="ci")
    body = Client().get(
        f"/api/v1/organisations/chu-alpha/alerts/{handled_alert.pk}",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert body.status_code == 200, body.content
    events = {e["kind"]: e for e in body.json()["events"]}
    assert events["created"]["message"] == ""
    assert events["created"]["details"]["assets_count"] == 1
    assert events["state_changed"]["to_state"] == "acknowledged"
    assert events["state_changed"]["message"] == "Vu avec le biomédical"


# --- the migration of events stored as sentences ------------------------------------------------

BEFORE = ("vulns", "0007_alertasset_reason_parts_alert_assignee")
AFTER = ("vulns", "0008_event_kind_codes")


@pytest.fixture
def before_codes(transactional_db: Any) -> Iterator[Any]:
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    try:
        yield executor.loader.project_state([BEFORE]).apps
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def test_stored_sentences_become_parameters(before_codes: Any) -> None:
    organisation = Organisation.objects.create(kind="establishment", name="CH", slug="ch")
    vuln = before_codes.get_model("vulns", "Vulnerability").objects.create(vuln_id="CVE-2017-0143")
    now = timezone.now()
    alert = before_codes.get_model("vulns", "Alert").objects.create(
        organisation_id=organisation.pk,
        vulnerability_id=vuln.pk,
        priority="act",
        first_seen=now,
        state_changed_at=now,
    )
    OldEvent = before_codes.get_model("vulns", "AlertEvent")
    created = OldEvent.objects.create(
        alert_id=alert.pk, at=now, kind="created", message="12 actif(s) concerné(s)"
    )
    withdrawn = OldEvent.objects.create(
        alert_id=alert.pk,
        at=now,
        kind="withdrawn",
        message="The CVE was rejected by its numbering authority.",
    )
    comment = OldEvent.objects.create(alert_id=alert.pk, at=now, kind="comment", message="12 ok")

    executor = MigrationExecutor(connection)
    executor.migrate([AFTER])
    NewEvent = executor.loader.project_state([AFTER]).apps.get_model("vulns", "AlertEvent")
    after = {e.pk: e for e in NewEvent.objects.filter(alert_id=alert.pk)}
    assert (after[created.pk].message, after[created.pk].details) == ("", {"assets_count": 12})
    assert after[withdrawn.pk].message == ""
    assert after[comment.pk].message == "12 ok"  # what a person wrote stays
