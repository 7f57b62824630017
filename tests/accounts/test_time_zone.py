"""People read dates at their own clock: metropolitan France by default, overseas by choice."""

from __future__ import annotations

import datetime as dt
from typing import Any

from freezegun import freeze_time

from vigie.accounts.zones import zone_of
from vigie.audit.log import record


def _event_at(org: Any, user: Any, at: dt.datetime) -> None:
    with freeze_time(at):
        record("organisation.updated", actor=user, organisation=org)


def test_profile_saves_the_chosen_time_zone(a_admin: Any, client_for: Any) -> None:
    client = client_for(a_admin)
    page = client.post(
        "/accounts/profile/",
        {
            "first_name": "Aïcha",
            "last_name": "Payet",
            "email": a_admin.email,
            "language": "fr",
            "time_zone": "Indian/Reunion",
        },
    )
    assert page.status_code == 302
    a_admin.refresh_from_db()
    assert a_admin.time_zone == "Indian/Reunion"


def test_profile_refuses_a_zone_outside_the_list(a_admin: Any, client_for: Any) -> None:
    page = client_for(a_admin).post(
        "/accounts/profile/",
        {"email": a_admin.email, "language": "en", "time_zone": "Mars/Olympus"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert page.status_code == 200
    a_admin.refresh_from_db()
    assert a_admin.time_zone == "Europe/Paris"


def test_pages_show_dates_in_the_users_zone(a_admin: Any, est_a: Any, client_for: Any) -> None:
    _event_at(est_a, a_admin, dt.datetime(2026, 12, 7, 13, 19, tzinfo=dt.UTC))
    client = client_for(a_admin)
    paris = client.get(f"/o/{est_a.slug}/audit/").content.decode()
    assert "14:19" in paris  # UTC+1 in December
    type(a_admin).objects.filter(pk=a_admin.pk).update(time_zone="Indian/Reunion")
    reunion = client.get(f"/o/{est_a.slug}/audit/").content.decode()
    assert "17:19" in reunion  # UTC+4
    assert "14:19" not in reunion


def test_an_unknown_stored_zone_reads_as_the_platforms(a_admin: Any) -> None:
    a_admin.time_zone = "Not/AZone"
    assert zone_of(a_admin).key == "Europe/Paris"
