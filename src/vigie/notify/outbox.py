"""The notification outbox: other apps write deliveries in their own transaction; workers send.

Writing: `enqueue_email` and `enqueue_for_channels` insert Delivery rows inside the caller's
transaction, so a rolled-back change tells nobody and a committed one is never forgotten. When the
transaction commits, one coalesced `deliver_pending` task is queued (core/coalesce.py) so
delivery starts within seconds; `watch`, run by every worker's scheduler thread at each
heartbeat, catches whatever that kick missed.

Sending: a worker claims one row at a time with a conditional UPDATE (`... WHERE state IN
('pending', 'retry') AND next_attempt_at <= now`) and goes on only if it changed exactly one row.
On PostgreSQL the second of two concurrent UPDATEs waits for the first, re-reads the row, finds
it no longer claimable and changes nothing; SQLite serialises writers. Either way two workers
never both own a row, with one code path for both databases. A worker that dies leaves its row
in "sending"; the live workers find it dead from its heartbeat and give the row back within
seconds (`release_workers`, called by core/recovery.py; `recover_stuck` after
VIGIE_NOTIFY_STUCK_MINUTES is the net for workers that hang), counting the attempt so that a row
that kills workers ends dead instead of looping. Delivery is at-least-once: receivers
deduplicate with the Idempotency-Key header.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import socket
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from vigie.core import coalesce, heartbeat
from vigie.notify import retry
from vigie.notify.events import TEST_EVENT
from vigie.notify.models import (
    CLAIMABLE_STATES,
    AttemptOutcome,
    Channel,
    ChannelKind,
    Delivery,
    DeliveryAttempt,
    DeliveryState,
)
from vigie.notify.transports import PermanentError, TemporaryError, transport_for
from vigie.tenancy.models import Membership, Organisation

logger = logging.getLogger(__name__)

MAX_KEY_LENGTH = 200

# For each channel, its own (payload, e-mail context), or None when the event is not for it
# (notify/filters.py: the channel's priority, care unit, kind and criticality filters).
Tailor = Callable[[Channel], "tuple[dict[str, Any], dict[str, Any]] | None"]


@dataclass(frozen=True, slots=True)
class Recipient:
    address: str
    language: str
    time_zone: str


# --- Writing (inside the caller's transaction) --------------------------------------------------


def enqueue_email(
    *,
    organisation: Organisation,
    to: str,
    language: str,
    template: str,
    context: dict[str, Any],
    event: str,
    idempotency_key: str,
    related: str = "",
    time_zone: str = "",
) -> Delivery | None:
    """One e-mail to one address, rendered at send time; None if this key was already queued."""
    _check_key(idempotency_key)
    _check_json(context, "context")
    address = _checked_address(to)
    delivery = _insert(
        Delivery(
            organisation=organisation,
            channel=None,
            transport=ChannelKind.EMAIL,
            recipient=address,
            event=event,
            template=template,
            payload=context,
            language=language or settings.LANGUAGE_CODE,
            time_zone=time_zone or settings.TIME_ZONE,
            idempotency_key=idempotency_key,
            related_object=related[:100],
        )
    )
    if delivery is not None:
        kick_on_commit()
    return delivery


def enqueue_for_channels(
    *,
    organisation: Organisation,
    event: str,
    payload: dict[str, Any],
    email_template: str,
    email_context: dict[str, Any],
    idempotency_key: str,
    related: str = "",
    tailor: Tailor | None = None,
) -> list[Delivery]:
    """One delivery per enabled channel (per member having its roles, for e-mail channels).

    With `tailor`, each channel gets the payload and context it returns, and nothing when it
    returns None: that is how a channel's filters keep out what its readers do not handle.
    """
    _check_key(idempotency_key)
    _check_json(payload, "payload")
    _check_json(email_context, "email_context")
    created: list[Delivery] = []
    channels = Channel.objects.filter(organisation=organisation, enabled=True).order_by("pk")
    for channel in channels:
        own_payload, own_context = payload, email_context
        if tailor is not None:
            tailored = tailor(channel)
            if tailored is None:
                continue
            own_payload, own_context = tailored
            _check_json(own_payload, "payload")
            _check_json(own_context, "email_context")
        created.extend(
            enqueue_for_channel(
                channel,
                event=event,
                payload=own_payload,
                email_template=email_template,
                email_context=own_context,
                idempotency_key=idempotency_key,
                related=related,
                kick=False,
            )
        )
    if created:
        kick_on_commit()
    return created


def enqueue_for_channel(
    channel: Channel,
    *,
    event: str,
    payload: dict[str, Any],
    email_template: str,
    email_context: dict[str, Any],
    idempotency_key: str,
    related: str = "",
    kick: bool = True,
) -> list[Delivery]:
    created: list[Delivery] = []
    common: dict[str, Any] = {
        "organisation_id": channel.organisation_id,
        "channel": channel,
        "channel_name": channel.name,
        "transport": channel.kind,
        "event": event,
        "idempotency_key": idempotency_key,
        "related_object": related[:100],
    }
    if channel.kind == ChannelKind.EMAIL:
        for person in email_audience(channel):
            delivery = _insert(
                Delivery(
                    recipient=person.address,
                    template=email_template,
                    payload=email_context,
                    language=person.language,
                    time_zone=person.time_zone,
                    **common,
                )
            )
            if delivery is not None:
                created.append(delivery)
    else:
        delivery = _insert(Delivery(recipient=channel.url, payload=payload, **common))
        if delivery is not None:
            created.append(delivery)
    if created and kick:
        kick_on_commit()
    return created


def email_recipients(channel: Channel) -> list[tuple[str, str]]:
    """(address, language) of active members having one of the channel's roles, then extras."""
    return [(person.address, person.language) for person in email_audience(channel)]


def email_audience(channel: Channel) -> list[Recipient]:
    """Active members having one of the channel's roles, then the extra addresses; each with the
    language and time zone their messages are written in (the platform's for extra addresses)."""
    seen: set[str] = set()
    recipients: list[Recipient] = []
    members = (
        Membership.objects.filter(
            organisation_id=channel.organisation_id,
            role__in=list(channel.roles or []),
            user__is_active=True,
        )
        .exclude(user__email="")
        .select_related("user")
        .order_by("user__email")
    )
    for membership in members:
        address = membership.user.email.strip()
        if address.lower() not in seen:
            seen.add(address.lower())
            user = membership.user
            recipients.append(
                Recipient(
                    address=address,
                    language=user.language or settings.LANGUAGE_CODE,
                    time_zone=getattr(user, "time_zone", "") or settings.TIME_ZONE,
                )
            )
    for address in channel.extra_addresses or []:
        if address.lower() not in seen:
            seen.add(address.lower())
            recipients.append(Recipient(address, settings.LANGUAGE_CODE, settings.TIME_ZONE))
    return recipients


def dedup_key_of(delivery: Delivery) -> str:
    scope = (
        f"channel:{delivery.channel_id}"
        if delivery.channel_id is not None
        else f"organisation:{delivery.organisation_id}"
    )
    raw = "\x00".join((scope, delivery.recipient.lower(), delivery.idempotency_key))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _insert(delivery: Delivery) -> Delivery | None:
    now = timezone.now()
    delivery.created_at = now
    delivery.next_attempt_at = now
    delivery.state = DeliveryState.PENDING
    delivery.dedup_key = dedup_key_of(delivery)
    if Delivery.objects.filter(dedup_key=delivery.dedup_key).exists():
        return None
    try:
        # A savepoint: a concurrent insert of the same key must not break the caller's transaction.
        with transaction.atomic():
            delivery.save(force_insert=True)
    except IntegrityError:
        if Delivery.objects.filter(dedup_key=delivery.dedup_key).exists():
            return None
        raise
    return delivery


def _check_key(key: str) -> None:
    # The key travels as an HTTP header (Idempotency-Key): printable ASCII, bounded.
    if not key or len(key) > MAX_KEY_LENGTH or not all(" " <= char <= "~" for char in key):
        raise ValueError(
            f"idempotency_key must be 1-{MAX_KEY_LENGTH} printable ASCII characters: {key!r:.60}"
        )


def _check_json(value: dict[str, Any], name: str) -> None:
    try:
        json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be JSON-serialisable: {exc}") from exc


def _checked_address(address: str) -> str:
    address = address.strip()
    try:
        validate_email(address)
    except ValidationError:
        raise ValueError(f"not an e-mail address: {address!r:.80}") from None
    return address


KICK_KEY = "notify.deliver_pending"


def kick_on_commit() -> None:
    """Start delivery as soon as the caller's transaction commits (now, outside any).

    Once per transaction: an import writing 700 alerts in one transaction registers one kick.
    """
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        # Django keeps (savepoint ids, callback, robust) per registration and drops those of a
        # savepoint rolled back. A kick registered while only savepoints enclosing this point
        # were open is dropped only by a rollback that would drop this point's rows as well.
        open_savepoints = set(connection.savepoint_ids)
        for savepoints, callback, _robust in connection.run_on_commit:
            if callback is _kick and set(savepoints) <= open_savepoints:
                return
    transaction.on_commit(_kick, robust=True)


def kick() -> bool:
    """Make sure a `deliver_pending` task is queued; coalesced: one waiting task at most."""
    from vigie.notify.jobs import deliver_pending

    return coalesce.enqueue_once(deliver_pending, KICK_KEY)


def _kick() -> None:
    kick()


# --- Sending (workers) --------------------------------------------------------------------------


def new_worker_id() -> str:
    """Who claims: the `vigie worker` of this process (its heartbeat lets others recover its
    rows within seconds), else a process-local id that only VIGIE_NOTIFY_STUCK_MINUTES recovers
    (the immediate backend, a shell)."""
    return heartbeat.current_worker_id() or (
        f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"
    )


def _due(now: datetime) -> QuerySet[Delivery]:
    return Delivery.objects.filter(state__in=CLAIMABLE_STATES, next_attempt_at__lte=now)


def candidates(now: datetime | None = None, limit: int = 10) -> list[int]:
    """Ids of due deliveries, oldest first; claiming them may still fail (another worker)."""
    return list(
        _due(now or timezone.now())
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def try_claim(pk: int, worker: str, now: datetime | None = None) -> bool:
    """Atomically take one due delivery for `worker`; False if someone else has it."""
    now = now or timezone.now()
    changed = (
        _due(now)
        .filter(pk=pk)
        .update(state=DeliveryState.SENDING, claimed_by=worker, claimed_at=now)
    )
    return changed == 1


def claim_next(worker: str, now: datetime | None = None) -> int | None:
    now = now or timezone.now()
    for _round in range(5):
        found = candidates(now)
        if not found:
            return None
        for pk in found:
            if try_claim(pk, worker, now):
                return pk
    return None


@dataclass(frozen=True, slots=True)
class Result:
    outcome: str
    state: str


def deliver_claimed(pk: int, worker: str) -> Result:
    """Send a delivery this worker claimed, record the attempt, and decide what comes next."""
    delivery = Delivery.objects.select_related("organisation", "channel").filter(pk=pk).first()
    if delivery is None:  # its organisation was deleted meanwhile
        return Result(outcome="lost", state="lost")
    if delivery.state != DeliveryState.SENDING or delivery.claimed_by != worker:
        return Result(outcome="lost", state="lost")
    started_at = timezone.now()
    started = time.monotonic()
    status_code: int | None = None
    retry_after: float | None = None
    error = ""
    try:
        channel = delivery.channel
        # A test may go through a channel not enabled yet: that is how one tries it first.
        if channel is not None and not channel.enabled and delivery.event != TEST_EVENT:
            raise PermanentError("the channel is disabled")
        status_code = transport_for(delivery.transport).send(delivery)
        outcome = AttemptOutcome.OK
    except TemporaryError as exc:
        outcome, error = AttemptOutcome.TEMPORARY, str(exc)
        status_code, retry_after = exc.status_code, exc.retry_after
    except PermanentError as exc:
        outcome, error = AttemptOutcome.PERMANENT, str(exc)
        status_code = exc.status_code
    duration_ms = int((time.monotonic() - started) * 1000)
    return _finish(
        delivery,
        worker=worker,
        outcome=outcome,
        status_code=status_code,
        retry_after=retry_after,
        error=error,
        started_at=started_at,
        duration_ms=duration_ms,
    )


def _finish(
    delivery: Delivery,
    *,
    worker: str,
    outcome: str,
    status_code: int | None,
    retry_after: float | None,
    error: str,
    started_at: datetime,
    duration_ms: int,
) -> Result:
    now = timezone.now()
    attempts = delivery.attempts + 1
    changes: dict[str, Any] = {
        "attempts": F("attempts") + 1,
        "claimed_by": "",
        "claimed_at": None,
        "subject": delivery.subject,
        "last_error": error,
    }
    if outcome == AttemptOutcome.OK:
        changes.update(state=DeliveryState.SENT, sent_at=now)
    elif outcome == AttemptOutcome.PERMANENT or retry.gives_up_after(attempts):
        changes.update(state=DeliveryState.DEAD)
    else:
        changes.update(
            state=DeliveryState.RETRY,
            next_attempt_at=now + retry.delay_after(attempts, retry_after),
        )
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            delivery=delivery,
            at=started_at,
            duration_ms=duration_ms,
            outcome=outcome,
            status_code=status_code,
            error=error,
            worker=worker[:100],
        )
        updated = Delivery.objects.filter(
            pk=delivery.pk, state=DeliveryState.SENDING, claimed_by=worker
        ).update(**changes)
        if delivery.channel_id is not None:
            stamp = "last_success_at" if outcome == AttemptOutcome.OK else "last_failure_at"
            Channel.objects.filter(pk=delivery.channel_id).update(**{stamp: now})
    if not updated:
        # The sweeper took the row back meanwhile (the attempt outlived VIGIE_NOTIFY_STUCK_MINUTES).
        logger.warning("delivery %s: claim of %s lost before the end", delivery.pk, worker)
        return Result(outcome=outcome, state="lost")
    if outcome != AttemptOutcome.OK:
        logger.info("delivery %s %s: %s", delivery.pk, changes["state"], error)
    return Result(outcome=outcome, state=str(changes["state"]))


def deliver_due(*, limit: int | None = None, worker: str | None = None) -> dict[str, int]:
    """Claim and send due deliveries one by one, up to `limit`; counts by resulting state.

    One at a time so that a delivery that crashes its worker holds back only itself.
    """
    worker = worker or new_worker_id()
    limit = limit if limit is not None else settings.VIGIE_NOTIFY_BATCH_SIZE
    counts: Counter[str] = Counter()
    for _ in range(limit):
        pk = claim_next(worker)
        if pk is None:
            break
        counts[deliver_claimed(pk, worker).state] += 1
    return dict(counts)


INTERRUPTED_ERROR = "the worker stopped during the attempt"
# Interruptions in a row after which the next one waits the backoff (see _give_back).
POISON_AFTER_INTERRUPTIONS = 2


def _give_back(delivery: Delivery, now: datetime) -> bool:
    """Put a row its worker left "sending" back in the queue, recording the interrupted attempt.

    The attempt counts, so a row that kills every worker that tries it ends dead instead of
    looping. An interrupted row is retried at once, first in line (its `next_attempt_at` is the
    one it was claimed with): the worker died, the receiver is probably fine. The third
    interruption in a row waits the ordinary backoff: by then the row itself is the likely cause
    (a payload that crashes workers), and it must not take the fleet down in a loop.
    """
    attempts = delivery.attempts + 1
    last_two = DeliveryAttempt.objects.filter(delivery_id=delivery.pk).order_by("-at", "-pk")[:2]
    outcomes = [attempt.outcome for attempt in last_two]
    repeated = outcomes == [AttemptOutcome.INTERRUPTED] * POISON_AFTER_INTERRUPTIONS
    if retry.gives_up_after(attempts):
        state, next_attempt_at = DeliveryState.DEAD, delivery.next_attempt_at
    elif repeated:
        state, next_attempt_at = DeliveryState.RETRY, now + retry.delay_after(attempts)
    else:
        state, next_attempt_at = DeliveryState.RETRY, delivery.next_attempt_at
    with transaction.atomic():
        changed = Delivery.objects.filter(
            pk=delivery.pk,
            state=DeliveryState.SENDING,
            claimed_by=delivery.claimed_by,
            claimed_at=delivery.claimed_at,
        ).update(
            state=state,
            attempts=attempts,
            next_attempt_at=next_attempt_at,
            claimed_by="",
            claimed_at=None,
            last_error=INTERRUPTED_ERROR,
        )
        if changed:
            DeliveryAttempt.objects.create(
                delivery_id=delivery.pk,
                at=delivery.claimed_at or now,
                outcome=AttemptOutcome.INTERRUPTED,
                error=INTERRUPTED_ERROR,
                worker=delivery.claimed_by[:100],
            )
    return bool(changed)


_CLAIM_FIELDS = ("pk", "attempts", "claimed_by", "claimed_at", "next_attempt_at")


def release_workers(worker_ids: list[str], now: datetime | None = None) -> int:
    """Give back at once the rows of workers known dead (core/recovery.py), then kick delivery."""
    now = now or timezone.now()
    held = Delivery.objects.filter(state=DeliveryState.SENDING, claimed_by__in=worker_ids)
    released = sum(_give_back(delivery, now) for delivery in held.only(*_CLAIM_FIELDS))
    if released:
        logger.warning("gave back %d deliveries of dead workers %s", released, worker_ids)
        kick()
    return released


def recover_stuck(now: datetime | None = None) -> int:
    """The safety net for workers that hang without dying (or claims without a heartbeat):
    rows "sending" for longer than VIGIE_NOTIFY_STUCK_MINUTES go back to the queue."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.VIGIE_NOTIFY_STUCK_MINUTES)
    stuck = Delivery.objects.filter(state=DeliveryState.SENDING, claimed_at__lt=cutoff)
    recovered = sum(_give_back(delivery, now) for delivery in stuck.only(*_CLAIM_FIELDS))
    if recovered:
        logger.warning("recovered %d deliveries from stopped workers", recovered)
    return recovered


def watch(now: datetime | None = None) -> dict[str, int]:
    """Every heartbeat of every worker (core/scheduling.py watchers), never behind queued work:
    rows stuck beyond VIGIE_NOTIFY_STUCK_MINUTES go back, and if anything is due (a retry whose
    time came, a kick lost with Redis) a `deliver_pending` task is queued unless one waits."""
    now = now or timezone.now()
    recovered = recover_stuck(now)
    kicked = _due(now).exists() and kick()
    return {"recovered": recovered, "kicked": int(kicked)}


def more_than(limit: int, now: datetime | None = None) -> bool:
    """Whether more than `limit` deliveries are due (one task will not take them all)."""
    return _due(now or timezone.now()).order_by().values("pk")[limit : limit + 1].exists()


def sweep(now: datetime | None = None) -> dict[str, int]:
    """The periodic safety net: recover stuck rows, then send whatever is due."""
    recovered = recover_stuck(now)
    return {"recovered": recovered, **deliver_due()}


def abandon_pending(channels: Iterable[Channel], reason: str) -> int:
    """Mark undelivered rows of these channels dead (the channel is going away)."""
    return Delivery.objects.filter(channel__in=list(channels), state__in=CLAIMABLE_STATES).update(
        state=DeliveryState.DEAD, last_error=reason
    )


def prune(now: datetime | None = None) -> int:
    """Forget finished deliveries older than VIGIE_NOTIFY_RETENTION_DAYS."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.VIGIE_NOTIFY_RETENTION_DAYS)
    _total, per_model = Delivery.objects.filter(
        state__in=[DeliveryState.SENT, DeliveryState.DEAD], created_at__lt=cutoff
    ).delete()
    return per_model.get(Delivery._meta.label, 0)
