"""The audit log: append-only (ORM and database), filterable, exportable, exports audited."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from vigie.audit.log import record
from vigie.audit.models import Action, AppendOnlyError, AuditEvent
from vigie.tenancy.models import Organisation


def test_events_cannot_be_changed_or_deleted_through_the_orm(a_admin: Any) -> None:
    event = record(Action.LOGIN, actor=a_admin)
    event.action = "auth.forged"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


def test_database_itself_refuses_to_rewrite_an_event(a_admin: Any) -> None:
    event = record(Action.LOGIN, actor=a_admin)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET action = %s WHERE id = %s", ["auth.forged", event.pk]
        )
    assert AuditEvent.objects.get(pk=event.pk).action == Action.LOGIN


def test_database_refuses_deletes_on_postgresql_and_keeps_its_trigger_on_sqlite(
    a_admin: Any,
) -> None:
    event = record(Action.LOGIN, actor=a_admin)
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
        assert AuditEvent.objects.filter(pk=event.pk).exists()
    else:
        # SQLite keeps DELETE for the test runner's flush; the UPDATE trigger must be there.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
                ["audit_auditevent"],
            )
            assert [row[0] for row in cursor.fetchall()] == ["audit_auditevent_no_update"]


def test_admin_filters_by_who_what_and_when(
    a_admin: Any, a_viewer: Any, est_a: Organisation, client_for: Any
) -> None:
    record(Action.ROLE_CHANGED, actor=a_admin, organisation=est_a, target_label="a.viewer")
    record(Action.TOKEN_CREATED, actor=a_viewer)
    client = client_for(a_admin)
    by_who = client.get("/o/chu-alpha/audit/?who=viewer").content.decode()
    assert "a.viewer" in by_who
    by_what = client.get(f"/o/chu-alpha/audit/?action={Action.ROLE_CHANGED}")
    rows = by_what.context["page"].object_list
    assert {event.action for event in rows} == {Action.ROLE_CHANGED}
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert len(client.get(f"/o/chu-alpha/audit/?since={tomorrow}").context["page"].object_list) == 0
    bad = client.get("/o/chu-alpha/audit/?since=2026-12-01&until=2026-01-01")
    assert bad.status_code == 200
    assert 'id="id_until_error"' in bad.content.decode()


def test_members_sign_ins_are_visible_but_not_those_of_other_establishments(
    a_admin: Any, b_admin: Any, client_for: Any
) -> None:
    record(Action.LOGIN, actor=a_admin)
    record(Action.LOGIN, actor=b_admin)
    record(Action.LOGIN_FAILED, username="b.admin")
    events = client_for(a_admin).get("/o/chu-alpha/audit/").context["page"].object_list
    names = {event.actor_username for event in events}
    assert "a.admin" in names
    assert "b.admin" not in names


def test_csv_export_neutralises_formulas_and_is_itself_audited(
    a_admin: Any, est_a: Organisation, client_for: Any
) -> None:
    record(Action.MEMBER_INVITED, actor=a_admin, organisation=est_a, target_label="=HYPERLINK(1)")
    response = client_for(a_admin).get("/o/chu-alpha/audit/?format=csv")
    assert response["Content-Type"].startswith("text/csv")
    content = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[0] == ["time", "who", "action", "target", "ip", "details"]
    assert any(row[3] == "'=HYPERLINK(1)" for row in rows[1:])
    assert AuditEvent.objects.filter(action=Action.EXPORT, organisation=est_a).exists()


def test_api_lists_audit_events_with_filters(a_admin: Any, est_a: Organisation) -> None:
    from django.test import Client

    from vigie.api.tokens import create_token

    _token, secret = create_token(user=a_admin, name="audit reader")
    record(Action.ROLE_CHANGED, actor=a_admin, organisation=est_a)
    response = Client().get(
        f"/api/v1/organisations/chu-alpha/audit?action={Action.ROLE_CHANGED}",
        headers={"Authorization": f"Bearer {secret}"},
    )
    body = response.json()
    assert body["count"] == 1
    assert body["items"][0]["who"] == "a.admin"
