"""One waiting task per key, however many commits ask; never a commit that waits unseen."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from tests.notify.test_outbox import queue
from vigie.core import coalesce
from vigie.core.models import PendingTask
from vigie.notify import outbox
from vigie.notify.jobs import deliver_pending
from vigie.tenancy.models import Organisation

KEY = outbox.KICK_KEY


@pytest.fixture
def database_backend(transactional_db: Any, settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.VIGIE_TASKS_BACKEND = "database"


def kicks() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=deliver_pending.module_path))


def test_many_commits_of_deliveries_queue_one_delivery_task(
    database_backend: None, est_a: Organisation
) -> None:
    for n in range(25):
        with transaction.atomic():
            outbox.enqueue_email(
                organisation=est_a,
                to=f"p{n}@a.example",
                language="fr",
                template="notify/mail/test",
                context={},
                event="test",
                idempotency_key=f"k{n}",
            )
    [task] = kicks()
    assert PendingTask.objects.get(key=KEY).task_id == str(task.id)


def test_a_commit_after_the_task_started_queues_the_next_one(
    database_backend: None, est_a: Organisation
) -> None:
    queue(est_a, 1)
    [first] = kicks()
    coalesce.started(KEY, str(first.id))  # what the task does before looking for rows
    assert not coalesce.is_pending(KEY)
    queue(est_a, 2)
    assert len(kicks()) == 2


def test_a_pending_row_whose_task_no_longer_waits_is_replaced(
    database_backend: None, est_a: Organisation
) -> None:
    queue(est_a, 1)
    [first] = kicks()
    # Its worker died before it started to look (recovery marked it failed).
    DBTaskResult.objects.filter(id=first.id).update(status="FAILED")
    assert outbox.kick()
    assert len(kicks()) == 2
    assert PendingTask.objects.get(key=KEY).task_id != str(first.id)


def test_a_started_task_removes_only_its_own_row(
    database_backend: None, est_a: Organisation
) -> None:
    queue(est_a, 1)
    coalesce.started(KEY, "another-task")
    assert coalesce.is_pending(KEY)


def test_one_transaction_registers_one_kick(
    est_a: Organisation, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        queue(est_a, 30)
    assert len(callbacks) == 1


def test_a_kick_dropped_with_its_savepoint_is_registered_again(
    est_a: Organisation, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        try:
            with transaction.atomic():
                queue(est_a, 1)
                raise RuntimeError("rolled back, and its kick with it")
        except RuntimeError:
            pass
        queue(est_a, 1)
        # A kick registered inside a savepoint that is still open does not cover this point.
        with transaction.atomic():
            queue(est_a, 1)
        queue(est_a, 1)
    assert len(callbacks) == 1


@pytest.mark.redis
def test_with_redis_one_job_waits_and_a_lost_job_is_replaced(
    transactional_db: Any, settings: Any
) -> None:
    import redis

    url = "redis://127.0.0.1:6379/13"  # this test's own database of the machine's Redis
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.fail("Redis is not running on 127.0.0.1:6379 (`.ci/run` starts it)")
    client.flushdb()
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "django_rq"]
    settings.RQ_QUEUES = {"default": {"URL": url}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.VIGIE_TASKS_BACKEND = "redis"
    try:
        assert outbox.kick()
        assert not outbox.kick()
        assert client.llen("rq:queue:default") == 1
        row = PendingTask.objects.get(key=KEY)
        assert row.task_id
        client.flushdb()  # Redis restarted without its data: the job is gone
        assert outbox.kick()
        assert client.llen("rq:queue:default") == 1
        assert PendingTask.objects.get(key=KEY).task_id != row.task_id
    finally:
        client.flushdb()
