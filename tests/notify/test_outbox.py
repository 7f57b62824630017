"""The outbox as a queue: atomic claims, recovery from dead workers, the commit kick, the jobs."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from tests.notify.conftest import Receiver
from vigie.core import scheduling
from vigie.core.models import PendingTask
from vigie.notify import outbox
from vigie.notify.models import Channel, Delivery, DeliveryState
from vigie.tenancy.models import Organisation


@pytest.fixture
def database_backend(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.VIGIE_TASKS_BACKEND = "database"


def queue(organisation: Organisation, count: int) -> list[int]:
    return [
        delivery.pk
        for n in range(count)
        if (
            delivery := outbox.enqueue_email(
                organisation=organisation,
                to=f"person{n}@chu-alpha.example",
                language="fr",
                template="notify/mail/test",
                context={"organisation": "A", "channel": "c", "requested_by": "x"},
                event="test",
                idempotency_key=f"k{n}",
            )
        )
        is not None
    ]


def test_a_row_claimed_by_one_worker_cannot_be_claimed_by_another(est_a: Organisation) -> None:
    pks = queue(est_a, 5)
    seen_by_a = outbox.candidates(limit=10)
    assert sorted(seen_by_a) == sorted(pks)
    # Worker B claims everything between A's read and A's claims.
    claimed_by_b = [pk for pk in seen_by_a if outbox.try_claim(pk, "worker-b")]
    assert claimed_by_b == seen_by_a
    assert [outbox.try_claim(pk, "worker-a") for pk in seen_by_a] == [False] * 5
    assert set(Delivery.objects.values_list("claimed_by", flat=True)) == {"worker-b"}
    assert outbox.claim_next("worker-a") is None


def test_concurrent_workers_never_claim_the_same_row(
    transactional_db: Any, database_backend: None, est_a: Organisation
) -> None:
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        # Threads share SQLite's in-memory test database through a shared cache that refuses
        # concurrent writers ("table is locked") instead of waiting as a database file does;
        # the interleaving test above covers SQLite.
        pytest.skip("needs a database that lets threads write concurrently")
    # The database task backend: committing the rows queues a task that nobody runs here.
    pks = queue(est_a, 60)
    claims: dict[str, list[int]] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def work(name: str) -> None:
        mine: list[int] = []
        start.wait()
        try:
            while (pk := outbox.claim_next(name)) is not None:
                mine.append(pk)
        except DatabaseError as exc:
            errors.append(exc)
        finally:
            claims[name] = mine
            connection.close()

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    every_claim = [pk for mine in claims.values() for pk in mine]
    assert sorted(every_claim) == sorted(pks)  # each row exactly once


def test_worker_dying_after_its_claim_is_recovered_by_the_sweeper(
    receiver: Receiver, webhook: Channel, est_a: Organisation, settings: Any
) -> None:
    [delivery] = outbox.enqueue_for_channels(
        organisation=est_a,
        event="alert.new",
        payload={"alert": 1},
        email_template="notify/mail/alert",
        email_context={},
        idempotency_key="alert.new:1",
    )
    assert outbox.try_claim(delivery.pk, "worker-that-dies")
    # The worker is gone: its row stays "sending" and nobody else may take it for now.
    assert outbox.sweep() == {"recovered": 0}
    assert receiver.requests == []

    later = timezone.now() + timedelta(minutes=settings.VIGIE_NOTIFY_STUCK_MINUTES + 1)
    with time_machine.travel(later, tick=True):
        assert outbox.sweep() == {"recovered": 1, "sent": 1}
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT
    assert delivery.attempts == 2
    first = delivery.attempt_log.first()
    assert first is not None
    assert (first.outcome, first.worker) == ("interrupted", "worker-that-dies")


def test_a_row_that_keeps_killing_workers_ends_dead(est_a: Organisation, settings: Any) -> None:
    settings.VIGIE_NOTIFY_MAX_ATTEMPTS = 2
    [pk] = queue(est_a, 1)
    moment = timezone.now()
    for _ in range(2):
        with time_machine.travel(moment, tick=False):
            assert outbox.try_claim(pk, "doomed")
        moment += timedelta(minutes=settings.VIGIE_NOTIFY_STUCK_MINUTES + 1)
        assert outbox.recover_stuck(moment) == 1
    delivery = Delivery.objects.get(pk=pk)
    assert delivery.state == DeliveryState.DEAD
    assert delivery.attempts == 2


def test_commit_starts_delivery_at_once_and_rollback_sends_nothing(
    transactional_db: Any, receiver: Receiver, webhook: Channel, est_a: Organisation
) -> None:
    def enqueue(key: str) -> None:
        outbox.enqueue_for_channels(
            organisation=est_a,
            event="alert.new",
            payload={"alert": key},
            email_template="notify/mail/alert",
            email_context={},
            idempotency_key=key,
        )

    def change_that_fails() -> None:
        with transaction.atomic():
            enqueue("rolled-back")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        change_that_fails()
    with transaction.atomic():
        enqueue("committed")
        assert receiver.requests == []
    # No worker loop ran: the commit enqueued deliver_pending (immediate backend in tests).
    assert [r.json["data"]["alert"] for r in receiver.requests] == ["committed"]
    assert Delivery.objects.get().state == DeliveryState.SENT


def test_the_worker_delivers_what_committed_transactions_queued(
    transactional_db: Any,
    database_backend: None,
    receiver: Receiver,
    webhook: Channel,
    est_a: Organisation,
) -> None:
    from django_tasks_db.models import DBTaskResult

    with transaction.atomic():
        outbox.enqueue_for_channels(
            organisation=est_a,
            event="alert.new",
            payload={"alert": 5},
            email_template="notify/mail/alert",
            email_context={},
            idempotency_key="alert.new:5",
        )
    assert DBTaskResult.objects.filter(task_path__endswith="deliver_pending").exists()
    assert receiver.requests == []
    call_command("worker", "--batch")
    assert len(receiver.requests) == 1
    assert Delivery.objects.get().state == DeliveryState.SENT


def test_every_worker_watches_the_outbox_at_each_heartbeat_and_kicks_once(
    transactional_db: Any, database_backend: None, est_a: Organisation, settings: Any
) -> None:
    from django_tasks_db.models import DBTaskResult

    assert scheduling._watchers["notify-outbox"] is outbox.watch
    assert "notify-sweep" not in {job.name for job in scheduling.registered_jobs()}
    [pk] = queue(est_a, 1)
    # The commit's kick was lost (Redis restarted, say).
    DBTaskResult.objects.all().delete()
    PendingTask.objects.all().delete()
    assert outbox.watch() == {"recovered": 0, "kicked": 1}
    assert outbox.watch() == {"recovered": 0, "kicked": 0}  # one waiting task is enough
    assert DBTaskResult.objects.count() == 1
    # A worker that hangs without dying: the safety net of VIGIE_NOTIFY_STUCK_MINUTES.
    assert outbox.try_claim(pk, "hung")
    later = timezone.now() + timedelta(minutes=settings.VIGIE_NOTIFY_STUCK_MINUTES + 1)
    assert outbox.watch(later)["recovered"] == 1


def test_a_row_interrupted_three_times_in_a_row_waits_the_backoff_instead_of_looping(
    database_backend: None, est_a: Organisation
) -> None:
    [pk] = queue(est_a, 1)
    for victim in ("first", "second"):
        assert outbox.try_claim(pk, victim)
        assert outbox.release_workers([victim]) == 1
        # Two workers dying in a row may be bad luck: the row is retried at once.
        assert Delivery.objects.get(pk=pk).next_attempt_at <= timezone.now()
    assert outbox.try_claim(pk, "third")
    assert outbox.release_workers(["third"]) == 1
    delivery = Delivery.objects.get(pk=pk)
    assert (delivery.state, delivery.attempts) == (DeliveryState.RETRY, 3)
    assert delivery.next_attempt_at > timezone.now() + timedelta(minutes=5)
    assert outbox.release_workers(["third"]) == 0  # nothing held any more


def test_a_backlog_larger_than_a_batch_is_sent_by_a_chain_of_tasks(
    transactional_db: Any,
    database_backend: None,
    receiver: Receiver,
    webhook: Channel,
    est_a: Organisation,
    settings: Any,
) -> None:
    from django_tasks_db.models import DBTaskResult

    settings.VIGIE_NOTIFY_BATCH_SIZE = 2
    for n in range(5):
        with transaction.atomic():
            outbox.enqueue_for_channels(
                organisation=est_a,
                event="alert.new",
                payload={"alert": n},
                email_template="notify/mail/alert",
                email_context={},
                idempotency_key=f"alert.new:{n}",
            )
    assert DBTaskResult.objects.filter(task_path__endswith="deliver_pending").count() == 1
    call_command("worker", "--batch")
    assert sorted(r.json["data"]["alert"] for r in receiver.requests) == [0, 1, 2, 3, 4]
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.SENT}
    # Each task took its batch and queued the next; none is left waiting.
    statuses = DBTaskResult.objects.filter(task_path__endswith="deliver_pending")
    assert set(statuses.values_list("status", flat=True)) == {"SUCCESSFUL"}


def test_finished_deliveries_are_pruned_after_the_retention(
    est_a: Organisation, settings: Any
) -> None:
    pks = queue(est_a, 2)
    Delivery.objects.filter(pk=pks[0]).update(state=DeliveryState.SENT)
    later = timezone.now() + timedelta(days=settings.VIGIE_NOTIFY_RETENTION_DAYS + 1)
    assert outbox.prune(later) == 1
    assert list(Delivery.objects.values_list("pk", flat=True)) == [pks[1]]
