"""Every change to a case, each in one transaction with its timeline entry, its audit entry
and the notifications it causes (outbox rows beside the change: a crash leaves all or none).

Callers pass the access they were granted (`tenancy.access.org_access`); these functions
check again what that access may do to this case, so no view can forget it.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from vigie.audit.log import record as audit
from vigie.audit.models import Action
from vigie.engines.incidents.clocks import Code, Obligation, reminders_due
from vigie.engines.incidents.playbooks import steps_for
from vigie.incidents import reports
from vigie.incidents.deadlines import clocks_of
from vigie.incidents.models import (
    PHASE_ORDER,
    Entry,
    EntryKind,
    Evidence,
    Incident,
    Phase,
    Reminder,
    Submission,
    Task,
)
from vigie.incidents.visibility import may_edit_declaration, may_take_part, may_triage
from vigie.intel.imports import import_indicators
from vigie.intel.models import IndicatorImport
from vigie.intel.refusal import Refused
from vigie.notify import outbox
from vigie.notify.models import ChannelKind
from vigie.tenancy.access import OrgAccess
from vigie.tenancy.models import Membership, Organisation
from vigie.tenancy.roles import Cap, Role

INCIDENT_DECLARED = "incident.declared"
INCIDENT_DEADLINE = "incident.deadline"
CENTRE_ROLES = (Role.ANALYST, Role.ADMIN)
# What moving to a phase says about the incident's own times, when they are not filled yet.
PHASE_TIMES = {
    Phase.ERADICATION: "contained_at",
    Phase.POST_INCIDENT: "recovered_at",
    Phase.CLOSED: "closed_at",
}
_UNSAFE_NAME = re.compile(r"[^\w.\- ()+,@]")


class IncidentRefused(Refused):
    """`code`: not_allowed, bad_phase, bad_report, empty_file, file_too_large, bad_time,
    unknown_task, nothing_to_share."""


def _now() -> datetime:
    return timezone.now()


def _entry(
    incident: Incident,
    access: OrgAccess | None,
    kind: str,
    *,
    at: datetime | None = None,
    text: str = "",
    **params: Any,
) -> Entry:
    now = _now()
    return Entry.objects.create(
        incident=incident,
        at=at or now,
        recorded_at=now,
        kind=kind,
        author=access.user if access is not None else None,
        author_organisation=access.organisation if access is not None else None,
        text=text,
        params=params,
    )


def _next_number(organisation: Organisation) -> int:
    # The organisation's row is the lock: two declarations at once get 1 and 2, not 1 twice.
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
    last = Incident.objects.filter(organisation=organisation).aggregate(n=Max("number"))["n"]
    return (last or 0) + 1


def _centre_people(organisation: Organisation) -> list[Membership]:
    if organisation.centre_id is None:
        return []
    return list(
        Membership.objects.filter(
            organisation_id=organisation.centre_id,
            role__in=CENTRE_ROLES,
            user__is_active=True,
        )
        .exclude(user__email="")
        .select_related("user")
    )


def _payload(incident: Incident) -> dict[str, Any]:
    return {
        "incident": incident.pk,
        "reference": incident.reference,
        "title": incident.title,
        "category": incident.category,
        "organisation_slug": incident.organisation.slug,
        "organisation_name": incident.organisation.name,
        "declared_at": incident.declared_at.isoformat(),
        "aware_at": incident.aware_at.isoformat() if incident.aware_at else None,
        "degraded_mode": incident.degraded_mode,
        "emergency": incident.emergency,
        "transfers": incident.transfers,
        "endangerment": incident.endangerment,
        "support_requested": incident.support_requested,
        "url": reports.case_url(incident),
    }


def _tell_centre(incident: Incident, event: str, payload: dict[str, Any], key: str) -> None:
    """The centre's channels, or, when it has no e-mail channel, its analysts and admins."""
    centre = incident.organisation.centre
    if centre is None:
        return
    sent = outbox.enqueue_for_channels(
        organisation=centre,
        event=event,
        payload=payload,
        email_template="notify/mail/incident",
        email_context={"payload": payload, "event": event},
        idempotency_key=key,
        related=f"incidents.incident:{incident.pk}",
    )
    if any(delivery.transport == ChannelKind.EMAIL for delivery in sent):
        return
    for member in _centre_people(incident.organisation):
        outbox.enqueue_email(
            organisation=centre,
            to=member.user.email,
            language=member.user.language,
            time_zone=member.user.time_zone,
            template="notify/mail/incident",
            context={"payload": payload, "event": event},
            event=event,
            idempotency_key=f"{key}:{member.user.pk}",
            related=f"incidents.incident:{incident.pk}",
        )


@transaction.atomic
def declare(
    access: OrgAccess,
    fields: dict[str, Any],
    assets: list[Any],
    *,
    request: Any = None,
) -> Incident:
    if not access.can(Cap.DECLARE_INCIDENTS):
        raise IncidentRefused("not_allowed")
    now = _now()
    incident = Incident(
        organisation=access.organisation,
        number=_next_number(access.organisation),
        declared_at=now,
        declared_by=access.user,
        **fields,
    )
    incident.save()
    incident.assets.set([a for a in assets if a.organisation_id == access.organisation.pk])
    Task.objects.bulk_create(
        Task(incident=incident, code=step.code, phase=step.phase, position=i)
        for i, step in enumerate(steps_for(incident.category))
    )
    _entry(incident, access, EntryKind.DECLARED, category=incident.category)
    audit(
        Action.INCIDENT_DECLARED,
        actor=access.user,
        organisation=access.organisation,
        target=incident,
        request=request,
        details={"category": incident.category, "reference": incident.reference},
    )
    _tell_centre(
        incident, INCIDENT_DECLARED, _payload(incident), f"{INCIDENT_DECLARED}:{incident.pk}"
    )
    return incident


@transaction.atomic
def update_declaration(
    access: OrgAccess,
    incident: Incident,
    fields: dict[str, Any],
    assets: list[Any] | None,
    *,
    request: Any = None,
) -> list[str]:
    """The names of the fields that changed (the timeline and the audit log say which)."""
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if not may_edit_declaration(access, incident):
        raise IncidentRefused("not_allowed")
    changed = [name for name, value in fields.items() if getattr(incident, name) != value]
    for name in changed:
        setattr(incident, name, fields[name])
    if assets is not None:
        wanted = {a.pk for a in assets if a.organisation_id == access.organisation.pk}
        if wanted != set(incident.assets.values_list("pk", flat=True)):
            incident.assets.set(list(wanted))
            changed.append("assets")
    if not changed:
        return []
    incident.save()
    _entry(incident, access, EntryKind.UPDATED, fields=changed)
    audit(
        Action.INCIDENT_UPDATED,
        actor=access.user,
        organisation=access.organisation,
        target=incident,
        request=request,
        details={"fields": changed},
    )
    return changed


@transaction.atomic
def triage(
    access: OrgAccess,
    incident: Incident,
    *,
    severity: int | None,
    major: bool,
    tlp: str,
    pap: str,
    analysts: list[Any],
    request: Any = None,
) -> None:
    incident = (
        Incident.objects.select_for_update().select_related("organisation").get(pk=incident.pk)
    )
    if not may_triage(access, incident):
        raise IncidentRefused("not_allowed")
    centre_users = set(
        Membership.objects.filter(
            organisation=access.organisation, role__in=CENTRE_ROLES
        ).values_list("user_id", flat=True)
    )
    incident.severity, incident.major, incident.tlp, incident.pap = severity, major, tlp, pap
    if incident.phase == Phase.DECLARED:
        incident.phase = Phase.TRIAGE
    incident.save()
    incident.analysts.set([u for u in analysts if u.pk in centre_users])
    params: dict[str, Any] = {
        "severity": severity,
        "major": major,
        "tlp": tlp,
        "pap": pap,
        "analysts": sorted(u.get_username() for u in analysts if u.pk in centre_users),
    }
    _entry(incident, access, EntryKind.TRIAGED, **params)
    audit(
        Action.INCIDENT_TRIAGED,
        actor=access.user,
        organisation=access.organisation,
        target=incident,
        request=request,
        details=params,
    )


@transaction.atomic
def change_phase(access: OrgAccess, incident: Incident, phase: str, *, request: Any = None) -> None:
    incident = (
        Incident.objects.select_for_update().select_related("organisation").get(pk=incident.pk)
    )
    if not may_take_part(access, incident):
        raise IncidentRefused("not_allowed")
    if phase not in PHASE_ORDER:
        raise IncidentRefused("bad_phase", phase=phase[:40])
    if phase == incident.phase:
        return
    before = incident.phase
    incident.phase = phase
    now = _now()
    # Moving forward fills the times the phase implies, when nobody wrote them yet.
    for later, field in PHASE_TIMES.items():
        if (
            PHASE_ORDER.index(phase) >= PHASE_ORDER.index(later)
            and getattr(incident, field) is None
        ):
            setattr(incident, field, now)
    if before == Phase.CLOSED:
        incident.closed_at = None  # reopened: it is not closed any more
    incident.save()
    _entry(incident, access, EntryKind.PHASE, before=before, after=phase)
    audit(
        Action.INCIDENT_PHASE,
        actor=access.user,
        organisation=access.organisation,
        target=incident,
        request=request,
        details={"from": before, "to": phase},
    )


@transaction.atomic
def write_entry(
    access: OrgAccess, incident: Incident, text: str, *, at: datetime | None, comment: bool
) -> Entry:
    """A line of the main courante (`at`: when it happened) or a comment between the
    establishment and the centre."""
    if not may_take_part(access, incident):
        raise IncidentRefused("not_allowed")
    now = _now()
    if at is not None and at > now:
        raise IncidentRefused("bad_time")
    return _entry(
        incident,
        access,
        EntryKind.COMMENT if comment else EntryKind.NOTE,
        at=at or now,
        text=text,
    )


@transaction.atomic
def set_task(access: OrgAccess, incident: Incident, task_id: int, done: bool) -> Task:
    if not may_take_part(access, incident):
        raise IncidentRefused("not_allowed")
    task = Task.objects.select_for_update().filter(incident=incident, pk=task_id).first()
    if task is None:
        raise IncidentRefused("unknown_task")
    if done == (task.done_at is not None):
        return task
    task.done_at, task.done_by = (_now(), access.user) if done else (None, None)
    task.save(update_fields=["done_at", "done_by"])
    if done:
        _entry(incident, access, EntryKind.TASK, task=task.pk, code=task.code, title=task.title)
    return task


@transaction.atomic
def add_task(access: OrgAccess, incident: Incident, title: str, phase: str) -> Task:
    if not may_take_part(access, incident):
        raise IncidentRefused("not_allowed")
    if phase not in PHASE_ORDER:
        raise IncidentRefused("bad_phase", phase=phase[:40])
    last = incident.tasks.aggregate(n=Max("position"))["n"]
    return Task.objects.create(
        incident=incident, title=title, phase=phase, position=(last or 0) + 1
    )


# --- Evidence ----------------------------------------------------------------------------------


def safe_name(name: str) -> str:
    """A file name that is only ever shown and offered as a download name: no path, no
    control or unusual characters, at most 200 characters."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    cleaned = _UNSAFE_NAME.sub("_", base).strip(" .") or "evidence"
    return cleaned[-200:]


def evidence_path(evidence: Evidence) -> Path:
    return (
        Path(settings.VIGIE_EVIDENCE_DIR)
        / str(evidence.incident.organisation_id)
        / evidence.stored_as
    )


def _store(stream: BinaryIO, folder: Path) -> tuple[str, int, str]:
    """Copy the upload under a random name: (stored name, size, SHA-256). Written to a
    temporary name, flushed to disk, then renamed, so a crash never leaves half a file
    under a name a row points to."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stored = secrets.token_hex(16)
    partial = folder / f".{stored}.part"
    digest = hashlib.sha256()
    size = 0
    limit = settings.VIGIE_EVIDENCE_MAX_BYTES
    try:
        with partial.open("xb") as out:
            os.chmod(partial, 0o600)
            while block := stream.read(1 << 20):
                size += len(block)
                if size > limit:
                    raise IncidentRefused("file_too_large", limit=limit)
                digest.update(block)
                out.write(block)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise IncidentRefused("empty_file")
        partial.rename(folder / stored)
    finally:
        partial.unlink(missing_ok=True)
    return stored, size, digest.hexdigest()


def add_evidence(
    access: OrgAccess,
    incident: Incident,
    stream: BinaryIO,
    name: str,
    description: str = "",
    *,
    request: Any = None,
) -> Evidence:
    if not may_take_part(access, incident):
        raise IncidentRefused("not_allowed")
    folder = Path(settings.VIGIE_EVIDENCE_DIR) / str(incident.organisation_id)
    stored, size, sha256 = _store(stream, folder)
    try:
        with transaction.atomic():
            evidence = Evidence.objects.create(
                incident=incident,
                name=safe_name(name),
                size=size,
                sha256=sha256,
                stored_as=stored,
                description=description,
                uploaded_at=_now(),
                uploaded_by=access.user,
            )
            _entry(
                incident, access, EntryKind.EVIDENCE, name=evidence.name, sha256=sha256, size=size
            )
            audit(
                Action.INCIDENT_EVIDENCE,
                actor=access.user,
                organisation=access.organisation,
                target=incident,
                request=request,
                details={"name": evidence.name, "sha256": sha256, "size": size},
            )
    except BaseException:
        (folder / stored).unlink(missing_ok=True)  # no row points to it
        raise
    return evidence


# --- Reports -----------------------------------------------------------------------------------


@transaction.atomic
def submit_report(
    access: OrgAccess,
    incident: Incident,
    code: str,
    *,
    channel: str,
    reference: str,
    submitted_at: datetime | None,
    language: str,
    request: Any = None,
) -> Submission:
    """Record that a report went to an authority, keeping the snapshot that was sent."""
    if not may_edit_declaration(access, incident):
        raise IncidentRefused("not_allowed")
    now = _now()
    applicable = {o.code.value for o in clocks_of(incident, now)}
    if code not in applicable:
        raise IncidentRefused("bad_report", report=code[:40])
    when = submitted_at or now
    if when > now:
        raise IncidentRefused("bad_time")
    submission = Submission.objects.create(
        incident=incident,
        code=code,
        channel=channel,
        reference=reference,
        submitted_at=when,
        recorded_by=access.user,
        language=language,
        snapshot=reports.snapshot(incident, code, now),
    )
    _entry(incident, access, EntryKind.SUBMITTED, at=when, code=code, channel=channel)
    audit(
        Action.INCIDENT_REPORT,
        actor=access.user,
        organisation=access.organisation,
        target=incident,
        request=request,
        details={"code": code, "channel": channel, "reference": reference},
    )
    return submission


# --- Intelligence from the case ---------------------------------------------------------------


MAX_SHARED_BYTES = 1 << 20


def share_indicators(
    access: OrgAccess, incident: Incident, text: str, tlp: str, *, request: Any = None
) -> IndicatorImport:
    """The centre shares the indicators found in a case as its own intelligence, under the TLP
    it chooses (the case's own TLP governs the case, not what is learnt from it). The source
    names the case by its reference only: no establishment is named to the community."""
    if not (may_triage(access, incident) and access.can(Cap.PUBLISH)):
        raise IncidentRefused("not_allowed")
    data = text.encode("utf-8")
    if not data.strip():
        raise IncidentRefused("nothing_to_share")
    if len(data) > MAX_SHARED_BYTES:
        raise IncidentRefused("file_too_large", limit=MAX_SHARED_BYTES)
    with transaction.atomic():
        job = import_indicators(
            access=access,
            data=data,
            file_name=f"{incident.reference}.txt",
            source=f"incident {incident.reference}",
            default_tlp=tlp,
        )
        counts = job.counts
        _entry(
            incident,
            access,
            EntryKind.SHARED,
            tlp=tlp,
            indicators=int(counts.get("indicators", 0)),
            problems=int(counts.get("problems", 0)),
            job=job.pk,
        )
        audit(
            Action.INCIDENT_SHARED,
            actor=access.user,
            organisation=access.organisation,
            target=incident,
            request=request,
            details={"tlp": tlp, "import": job.pk, "indicators": counts.get("indicators", 0)},
        )
    return job


# --- Reminders (the periodic job) --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReminderRun:
    sent: int
    incidents: int


def _remind(
    incident: Incident, obligation: Obligation, reminder_at: datetime, stale: list[datetime]
) -> bool:
    """One reminder: its marker, the markers of the `stale` earlier ones it stands for, and
    its notifications, in one transaction; False when another run already sent it."""
    if obligation.due_at is None:
        return False  # a clock without a due time has no reminder (the engine gives none)
    try:
        with transaction.atomic():
            now = _now()
            Reminder.objects.bulk_create(
                [
                    Reminder(
                        incident=incident,
                        code=obligation.code.value,
                        due_at=obligation.due_at,
                        reminder_at=earlier,
                        sent_at=now,
                        skipped=True,
                    )
                    for earlier in stale
                ]
            )
            Reminder.objects.create(
                incident=incident,
                code=obligation.code.value,
                due_at=obligation.due_at,
                reminder_at=reminder_at,
                sent_at=now,
            )
            payload = {
                **_payload(incident),
                "obligation": obligation.code.value,
                "due_at": obligation.due_at.isoformat() if obligation.due_at else None,
                "overdue": bool(obligation.due_at and reminder_at >= obligation.due_at),
            }
            key = ":".join(
                (
                    INCIDENT_DEADLINE,
                    str(incident.pk),
                    obligation.code.value,
                    reminder_at.isoformat(),
                )
            )
            sent = outbox.enqueue_for_channels(
                organisation=incident.organisation,
                event=INCIDENT_DEADLINE,
                payload=payload,
                email_template="notify/mail/incident",
                email_context={"payload": payload, "event": INCIDENT_DEADLINE},
                idempotency_key=key,
                related=f"incidents.incident:{incident.pk}",
            )
            declarer = incident.declared_by
            reached = {d.recipient.lower() for d in sent if d.transport == ChannelKind.EMAIL}
            # The person who declared hears of it even when no channel of theirs carries it.
            if (
                declarer is not None
                and declarer.is_active
                and declarer.email
                and declarer.email.lower() not in reached
            ):
                outbox.enqueue_email(
                    organisation=incident.organisation,
                    to=declarer.email,
                    language=declarer.language,
                    time_zone=declarer.time_zone,
                    template="notify/mail/incident",
                    context={"payload": payload, "event": INCIDENT_DEADLINE},
                    event=INCIDENT_DEADLINE,
                    idempotency_key=f"{key}:declarer",
                    related=f"incidents.incident:{incident.pk}",
                )
            _entry(
                incident,
                None,
                EntryKind.REMINDER,
                code=obligation.code.value,
                due_at=payload["due_at"],
                overdue=payload["overdue"],
            )
    except IntegrityError:
        return False
    return True


def send_due_reminders(now: datetime | None = None) -> ReminderRun:
    """Every reminder whose time has come, once: safe to run by several workers at once and
    to re-run after a crash (the `Reminder` row is the marker)."""
    now = now or _now()
    sent = 0
    cases = (
        Incident.objects.exclude(phase=Phase.CLOSED)
        .filter(aware_at__isnull=False)
        .select_related("organisation", "declared_by")
        .prefetch_related("submissions")
    )
    count = 0
    for incident in cases.iterator(chunk_size=200):
        count += 1
        clocks = clocks_of(incident, now)
        done = {(r.code, r.reminder_at) for r in incident.reminders.all()}
        by_code = {o.code: o for o in clocks}
        waiting: dict[Code, list[datetime]] = {}
        for code, reminder_at in reminders_due(clocks, now, done):
            waiting.setdefault(Code(code), []).append(reminder_at)
        for code, times in waiting.items():
            # Only the latest reminder due of each report is sent; the earlier ones it
            # makes stale are marked with it.
            latest = max(times)
            stale = [t for t in times if t != latest]
            if _remind(incident, by_code[code], latest, stale):
                sent += 1
    return ReminderRun(sent=sent, incidents=count)
