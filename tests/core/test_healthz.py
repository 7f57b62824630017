from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from vigie.core import heartbeat
from vigie.core.models import WorkerHeartbeat


def test_healthz_reports_database_ok_and_no_worker_yet(db: Any) -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok"
    assert body["worker"] == "never"


def test_healthz_reports_a_recent_worker_as_ok(db: Any) -> None:
    heartbeat.beat("w1", "database", timezone.now())
    assert Client().get("/healthz").json()["worker"] == "ok"


def test_healthz_reports_a_silent_worker_as_late(db: Any) -> None:
    heartbeat.beat("w1", "database", timezone.now())
    WorkerHeartbeat.objects.update(last_seen=timezone.now() - timedelta(minutes=10))
    body = Client().get("/healthz").json()
    assert body["worker"] == "late"
    assert "worker_last_seen" in body


def test_healthz_answers_head_like_get_without_a_body(db: Any) -> None:
    # Uptime checkers probe with HEAD: same status and headers as GET, no body.
    response = Client().head("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.content == b""


def test_healthz_refuses_other_methods_with_405_and_allow(db: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    for method in ("post", "put", "delete", "patch"):
        response = getattr(client, method)("/healthz")
        assert response.status_code == 405, method
        assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD"}
        assert response.json()["error"]["code"] == "method_not_allowed"
