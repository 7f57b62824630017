"""The centre's operations page and /healthz: dead workers and interrupted tasks are visible."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.test import Client
from django.utils import timezone

from tests.helpers import signed_in
from vigie.core import heartbeat
from vigie.core.models import InterruptedTask, WorkerHeartbeat


def history() -> None:
    """A live worker, one killed and recovered by it, and the task the death interrupted."""
    now = timezone.now()
    heartbeat.beat("vm-live", "database", now, interval=2)
    heartbeat.beat("vm-killed", "database", now - timedelta(minutes=5), interval=2)
    WorkerHeartbeat.objects.filter(worker_id="vm-killed").update(
        last_seen=now - timedelta(minutes=1),
        died_at=now - timedelta(seconds=50),
        released_at=now - timedelta(seconds=50),
        declared_dead_by="vm-live",
    )
    InterruptedTask.objects.create(
        task_id="4c2af1d8",
        task_path="vigie.notify.jobs.deliver_pending",
        worker_id="vm-killed",
        backend="database",
        started_at=now - timedelta(minutes=2),
        detected_at=now - timedelta(seconds=50),
        action="failed",
    )


def test_the_centre_sees_dead_workers_and_what_recovery_did_in_french(
    centre_analyst: Any,
) -> None:
    history()
    response = signed_in(centre_analyst).get("/o/centre/operations/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Exploitation" in page
    assert "vm-killed" in page
    assert "vm-live" in page
    assert "Mort" in page
    assert "En cours" in page
    assert "travail rendu" in page
    assert "deliver_pending" in page
    assert "Marquée en échec" in page
    assert "File des notifications" in page


def test_the_operations_page_speaks_english_too(centre_analyst: Any) -> None:
    history()
    client = signed_in(centre_analyst)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/o/centre/operations/").content.decode()
    assert "Workers" in page
    assert "Dead" in page
    assert "Marked failed" in page
    assert "work given back" in page


def test_the_page_says_when_no_worker_runs(centre_analyst: Any) -> None:
    page = signed_in(centre_analyst).get("/o/centre/operations/").content.decode()
    assert 'role="alert"' in page


def test_establishments_do_not_see_the_platforms_operations(a_admin: Any) -> None:
    assert signed_in(a_admin).get("/o/chu-alpha/operations/").status_code == 403


def test_healthz_counts_workers_by_state_and_interrupted_tasks(db: Any) -> None:
    history()
    body = Client().get("/healthz").json()
    assert body["worker"] == "ok"
    assert body["workers"] == {"alive": 1, "late": 0, "dead": 1, "stopped": 0}
    assert body["tasks_interrupted"] == 1
