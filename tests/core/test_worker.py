"""Background work: the database queue, Redis through the real server, and periodic jobs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from vigie.accounts.models import LoginFailure
from vigie.core import scheduling
from vigie.core.jobs import prune_login_failures
from vigie.core.models import JobRun, WorkerHeartbeat


def _old_failure() -> None:
    LoginFailure.objects.create(username="x", at=timezone.now() - timedelta(days=3))


def test_periodic_slots_are_aligned_and_offset() -> None:
    job = scheduling.PeriodicJob(
        name="t", task=prune_login_failures, every=timedelta(days=1), offset=timedelta(hours=5)
    )
    assert job.slot(datetime(2026, 11, 23, 4, 59, tzinfo=UTC)) == datetime(
        2026, 11, 22, 5, tzinfo=UTC
    )
    assert job.slot(datetime(2026, 11, 23, 5, 0, tzinfo=UTC)) == datetime(
        2026, 11, 23, 5, tzinfo=UTC
    )


def test_each_slot_is_enqueued_once_however_many_workers_ask(db: Any) -> None:
    now = timezone.now()
    first = scheduling.schedule_due_jobs("worker-1", now)
    second = scheduling.schedule_due_jobs("worker-2", now)
    assert "prune-login-failures" in first
    assert second == []
    assert JobRun.objects.filter(job="prune-login-failures").count() == 1
    later = scheduling.schedule_due_jobs("worker-2", now + timedelta(hours=1))
    assert "prune-login-failures" in later


# The worker closes stale database connections between tasks, as in production: these tests run
# outside a wrapping transaction (transactional_db) so that closing does not discard their data.


@pytest.fixture
def database_backend(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.VIGIE_TASKS_BACKEND = "database"


def test_database_worker_runs_queued_tasks_and_beats(
    transactional_db: Any, database_backend: None
) -> None:
    from django_tasks_db.models import DBTaskResult

    _old_failure()
    result = prune_login_failures.enqueue()
    assert DBTaskResult.objects.get(id=result.id).status == "READY"
    call_command("worker", "--batch")
    assert DBTaskResult.objects.get(id=result.id).status == "SUCCESSFUL"
    assert not LoginFailure.objects.exists()
    assert WorkerHeartbeat.objects.filter(backend="database").exists()
    # The worker also scheduled the periodic jobs of the current slot.
    assert JobRun.objects.filter(job="prune-bookkeeping").exists()


@pytest.mark.redis
def test_redis_backend_runs_a_task_through_the_real_redis_server(
    transactional_db: Any, settings: Any
) -> None:
    import redis

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        pytest.fail("Redis is not running on 127.0.0.1:6379 (`.ci/run` starts it)")
    # Database 15 of the machine's Redis, emptied after: the test's own queue namespace.
    client = redis.Redis.from_url(url)
    client.flushdb()
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "django_rq"]
    settings.RQ_QUEUES = {"default": {"URL": url}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.VIGIE_TASKS_BACKEND = "redis"
    _old_failure()
    try:
        result = prune_login_failures.enqueue()
        assert client.llen("rq:queue:default") == 1
        call_command("worker", "--batch")
        assert not LoginFailure.objects.exists()
        assert prune_login_failures.get_result(result.id).status == "SUCCESSFUL"
        assert WorkerHeartbeat.objects.filter(backend="redis").exists()
    finally:
        client.flushdb()
