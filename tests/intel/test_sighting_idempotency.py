"""Idempotent sightings: the establishment's sensor retries a report safely.

A report sent with an `Idempotency-Key` is counted, audited and notified once, however many
times it is retried; the key is the reporting organisation's own. A report may name its
indicator by STIX id (as served over TAXII), under the same visibility rule as a value.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import DatabaseError, connection
from django.test import Client

from tests.taxii.support import publish
from vigie.api.tokens import create_token
from vigie.audit.models import Action, AuditEvent
from vigie.intel import sightings
from vigie.intel.models import Indicator, Sighting, SightingReport, Tlp
from vigie.notify.models import Delivery
from vigie.tenancy.models import Organisation

URL = "/api/v1/organisations/{slug}/sightings"


def _write(user: Any, key: str | None = None) -> dict[str, str]:
    _row, secret = create_token(user=user, name="sensor", scope="write")
    headers = {"Authorization": f"Bearer {secret}", "Accept-Language": "en"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return headers


def _post(headers: dict[str, str], slug: str = "chu-alpha", **body: Any) -> Any:
    payload = {"type": "domain", "value": "c2.lockbit.example", "log_type": "dns", **body}
    payload = {name: value for name, value in payload.items() if value is not None}
    return Client().post(
        URL.format(slug=slug), payload, content_type="application/json", headers=headers
    )


def _keyed(headers: dict[str, str], key: str) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


@pytest.fixture
def shared(centre: Organisation) -> Indicator:
    publish(centre, Tlp.AMBER_STRICT, "centre-only.example")
    return publish(centre, Tlp.GREEN, "c2.lockbit.example", tags=["ransomware:lockbit"])


@pytest.mark.django_db
def test_a_retry_with_the_same_key_is_answered_from_the_stored_report_and_counted_once(
    shared: Indicator, a_admin: Any, centre_analyst: Any
) -> None:
    headers = _write(a_admin, "sensor-0001")
    first = _post(headers, count=3, last_seen="2026-12-01T10:00:00+01:00")
    assert first.status_code == 201, first.content
    assert "Idempotent-Replayed" not in first.headers
    deliveries = Delivery.objects.count()
    assert deliveries >= 1  # the centre's analyst is e-mailed
    # The same report, its date written another way: a retry.
    again = _post(headers, count=3, last_seen="2026-12-01T09:00:00Z", value="C2.LockBit.example.")
    assert again.status_code == 200, again.content
    assert again.headers["Idempotent-Replayed"] == "true"
    assert (again.json()["id"], again.json()["count"]) == (first.json()["id"], 3)
    sighting = Sighting.objects.get()
    assert (sighting.count, sighting.reports) == (3, 1)
    assert AuditEvent.objects.filter(action=Action.SIGHTING_REPORTED).count() == 1
    assert Delivery.objects.count() == deliveries
    row = SightingReport.objects.get()
    assert (row.key, row.sighting, len(row.fingerprint)) == ("sensor-0001", sighting, 64)
    entry = AuditEvent.objects.get(action=Action.SIGHTING_REPORTED)
    assert entry.details["idempotency_key"] == "sensor-0001"
    # A new key is a new report.
    other = _post(_keyed(headers, "sensor-0002"), count=3, last_seen="2026-12-01T09:00:00Z")
    assert other.status_code == 200
    assert "Idempotent-Replayed" not in other.headers
    assert other.json()["count"] == 6


@pytest.mark.django_db
def test_the_same_key_with_another_report_is_refused_409(shared: Indicator, a_admin: Any) -> None:
    headers = _write(a_admin, "k-1")
    assert _post(headers, count=2).status_code == 201
    reused = _post(headers, count=5)
    assert reused.status_code == 409
    error = reused.json()["error"]
    assert error["code"] == "idempotency_key_reused"
    assert "Idempotency-Key" in error["message"]
    assert list(error["fields"]) == ["Idempotency-Key"]
    assert Sighting.objects.get().count == 2
    # Another source is another report too.
    assert _post(headers, count=2, source="sensor").status_code == 409


@pytest.mark.django_db
def test_a_key_is_refused_again_after_a_different_report_even_in_french(
    shared: Indicator, a_admin: Any
) -> None:
    headers = _write(a_admin, "k-fr")
    assert _post(headers).status_code == 201
    reused = _post({**headers, "Accept-Language": "fr"}, log_type="proxy")
    assert reused.status_code == 409
    assert "Idempotency-Key" in reused.json()["error"]["message"]
    assert "rapport" in reused.json()["error"]["message"]


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", " lead", "trail ", "x" * 101, "clé", "tab\tkey"])
def test_a_bad_key_is_refused_422_naming_the_header(
    shared: Indicator, a_admin: Any, key: str
) -> None:
    headers = _write(a_admin)
    response = Client().post(
        URL.format(slug="chu-alpha"),
        {"type": "domain", "value": "c2.lockbit.example", "log_type": "dns"},
        content_type="application/json",
        headers=headers,
        HTTP_IDEMPOTENCY_KEY=key,
    )
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "Idempotency-Key" in error["fields"]
    assert "1 to 100 printable ASCII" in error["fields"]["Idempotency-Key"][0]
    assert Sighting.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["a", "x" * 100, "550e8400-e29b-41d4-a716-446655440000", "a b~!"])
def test_good_keys_are_accepted(shared: Indicator, a_admin: Any, key: str) -> None:
    assert _post(_write(a_admin, key)).status_code == 201


@pytest.mark.django_db
def test_without_a_key_every_report_counts_as_before(shared: Indicator, a_admin: Any) -> None:
    headers = _write(a_admin)
    assert _post(headers).status_code == 201
    assert _post(headers).status_code == 200
    assert Sighting.objects.get().count == 2
    assert SightingReport.objects.count() == 0


@pytest.mark.django_db
def test_a_key_is_the_reporting_organisations_own(
    shared: Indicator, a_admin: Any, b_admin: Any
) -> None:
    a = _post(_write(a_admin, "same-key"))
    b = _post(_write(b_admin, "same-key"), slug="clinique-beta")
    assert a.status_code == b.status_code == 201
    assert Sighting.objects.count() == 2
    assert SightingReport.objects.count() == 2
    # A's retry is still A's, and never reveals B's sighting.
    again = _post(_write(a_admin, "same-key"))
    assert again.status_code == 200
    assert again.json()["organisation"] == "chu-alpha"
    assert again.json()["id"] == a.json()["id"]


@pytest.mark.django_db
def test_a_refused_report_keeps_no_key(shared: Indicator, a_admin: Any) -> None:
    headers = _write(a_admin, "k-refused")
    assert _post(headers, value="never-published.example").status_code == 422
    assert SightingReport.objects.count() == 0
    assert _post(headers).status_code == 201


@pytest.mark.django_db
def test_the_sensor_says_it_is_the_sensor(shared: Indicator, a_admin: Any) -> None:
    headers = _write(a_admin)
    assert _post(headers, source="sensor").status_code == 201
    assert Sighting.objects.get().source == "sensor"
    entry = AuditEvent.objects.get(action=Action.SIGHTING_REPORTED)
    assert entry.details["source"] == "sensor"
    bad = _post(headers, source="siem", log_type="proxy")
    assert bad.status_code == 422
    assert "Unknown source “siem”" in bad.json()["error"]["fields"]["source"][0]
    assert _post(headers, log_type="proxy").status_code == 201
    assert Sighting.objects.get(log_type="proxy").source == "api"


# --- Naming the indicator by its STIX id -------------------------------------------------------


@pytest.mark.django_db
def test_an_indicator_id_alone_names_type_and_value(shared: Indicator, a_admin: Any) -> None:
    response = _post(
        _write(a_admin), type=None, value=None, indicator_id=f"indicator--{shared.stix_id}"
    )
    assert response.status_code == 201, response.content
    assert (response.json()["type"], response.json()["value"]) == ("domain", "c2.lockbit.example")
    assert Sighting.objects.get().indicator == shared


@pytest.mark.django_db
def test_an_indicator_id_with_agreeing_type_and_value_is_accepted(
    shared: Indicator, a_admin: Any
) -> None:
    stix = f"indicator--{shared.stix_id}"
    headers = _write(a_admin)
    assert _post(headers, value="C2.LockBit.example.", indicator_id=stix).status_code == 201
    assert _post(headers, value=None, indicator_id=stix).status_code == 200
    assert Sighting.objects.get().count == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {"value": "other.example"},
        {"type": "ipv4", "value": None},
        {"type": "url", "value": None},
    ],
)
def test_type_or_value_disagreeing_with_the_indicator_id_is_refused(
    shared: Indicator, a_admin: Any, body: dict[str, Any]
) -> None:
    publish(shared.organisation, Tlp.GREEN, "other.example")
    response = _post(_write(a_admin), indicator_id=f"indicator--{shared.stix_id}", **body)
    assert response.status_code == 422, response.content
    message = response.json()["error"]["fields"]["indicator_id"][0]
    assert "are not those of indicator" in message
    assert Sighting.objects.count() == 0


@pytest.mark.django_db
def test_a_hidden_indicator_id_is_refused_like_an_unknown_one(
    shared: Indicator, a_admin: Any
) -> None:
    hidden = Indicator.objects.get(value="centre-only.example")
    unknown = "indicator--00000000-0000-4000-8000-000000000000"
    headers = _write(a_admin)
    seen = _post(headers, type=None, value=None, indicator_id=f"indicator--{hidden.stix_id}")
    missing = _post(headers, type=None, value=None, indicator_id=unknown)
    assert seen.status_code == missing.status_code == 422
    seen_error = seen.json()["error"]
    missing_error = missing.json()["error"]
    assert seen_error["code"] == missing_error["code"]
    assert list(seen_error["fields"]) == list(missing_error["fields"]) == ["indicator_id"]
    assert seen_error["fields"]["indicator_id"][0].replace(str(hidden.stix_id), "X") == (
        missing_error["fields"]["indicator_id"][0].replace(unknown.removeprefix("indicator--"), "X")
    )
    # With the hidden value sent too: still the same answer, not a "does not match".
    with_value = _post(
        headers, value="centre-only.example", indicator_id=f"indicator--{hidden.stix_id}"
    )
    assert with_value.json()["error"]["fields"] == seen_error["fields"]
    assert Sighting.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "indicator_id",
    ["not-an-id", "indicator--123", "malware--00000000-0000-4000-8000-000000000000"],
)
def test_a_malformed_indicator_id_is_refused(
    shared: Indicator, a_admin: Any, indicator_id: str
) -> None:
    response = _post(_write(a_admin), type=None, value=None, indicator_id=indicator_id)
    assert response.status_code == 422
    assert "is not a STIX indicator id" in response.json()["error"]["fields"]["indicator_id"][0]


@pytest.mark.django_db
def test_neither_an_indicator_id_nor_a_value_is_refused(shared: Indicator, a_admin: Any) -> None:
    response = _post(_write(a_admin), value=None)
    assert response.status_code == 422
    assert "indicator_id" in response.json()["error"]["fields"]


# --- Races -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_duplicate_committed_between_look_up_and_insert_is_answered_as_a_retry(
    shared: Indicator, a_admin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The interleaving of the race below, step by step (SQLite runs it too)."""
    headers = _write(a_admin, "raced")
    assert _post(headers).status_code == 201
    real: Callable[..., Any] = sightings._stored_report
    calls: list[str] = []

    def misses_once(*args: Any) -> Any:
        # The in-transaction look-up runs before the other request commits: it sees nothing.
        calls.append("look-up")
        return None if len(calls) == 1 else real(*args)

    monkeypatch.setattr(sightings, "_stored_report", misses_once)
    again = _post(headers)
    assert calls == ["look-up", "look-up"]  # the insert hit the unique key, then looked again
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    sighting = Sighting.objects.get()
    assert (sighting.count, sighting.reports) == (1, 1)
    assert AuditEvent.objects.filter(action=Action.SIGHTING_REPORTED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_are_counted_once(
    shared: Indicator, a_admin: Any, centre_analyst: Any, settings: Any
) -> None:
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        # Threads share SQLite's in-memory test database through a shared cache that refuses
        # concurrent writers ("table is locked") instead of waiting as a database file does;
        # the interleaving test above covers SQLite.
        pytest.skip("needs a database that lets threads write concurrently")
    # The database task backend: committing the outbox rows queues tasks nobody runs here.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.VIGIE_TASKS_BACKEND = "database"
    headers = _write(a_admin, "sensor-retry-storm")
    threads_count = 6
    start = threading.Barrier(threads_count)
    statuses: list[int] = []
    replayed: list[str | None] = []
    errors: list[BaseException] = []

    def send() -> None:
        try:
            start.wait()
            response = _post(headers, count=4)
            statuses.append(response.status_code)
            replayed.append(response.headers.get("Idempotent-Replayed"))
        except DatabaseError as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(statuses) == [200] * (threads_count - 1) + [201]
    assert replayed.count("true") == threads_count - 1
    sighting = Sighting.objects.get()
    assert (sighting.count, sighting.reports) == (4, 1)
    assert SightingReport.objects.count() == 1
    assert AuditEvent.objects.filter(action=Action.SIGHTING_REPORTED).count() == 1
    related = f"intel.sighting:{sighting.pk}"
    per_recipient = Delivery.objects.filter(related_object=related).values_list(
        "organisation__slug", "event"
    )
    assert len(per_recipient) == len(set(per_recipient))
