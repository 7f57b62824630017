"""Every change to an exercise goes through here: checked against the reader's access, written
in one transaction, audited where the brief asks for it.

Refusals are codes (`ExerciseRefused`), worded for the reader by `refusals.refusal_message`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation

from vigie.audit.log import record as audit
from vigie.audit.models import Action
from vigie.exercises.models import (
    ActionReminder,
    ActionStatus,
    Channel,
    Exercise,
    ExerciseAction,
    Inject,
    Kind,
    Lesson,
    LessonKind,
    Observation,
    ObservationKind,
    Participant,
    ParticipantRole,
    Status,
)
from vigie.exercises.scenarios import TEMPLATES
from vigie.intel.refusal import Refused
from vigie.notify import outbox
from vigie.tenancy.access import OrgAccess
from vigie.tenancy.models import Membership
from vigie.tenancy.roles import Cap, OrgKind

ACTION_DUE = "exercise.action_due"


class ExerciseRefused(Refused):
    pass


def _now() -> datetime:
    return timezone.now()


def exercises_of(access: OrgAccess) -> QuerySet[Exercise]:
    """The exercises the reader may see: those of the organisation they act for."""
    return Exercise.objects.filter(organisation=access.organisation)


def actions_of(access: OrgAccess) -> QuerySet[ExerciseAction]:
    return ExerciseAction.objects.filter(exercise__organisation=access.organisation)


def _check(access: OrgAccess, exercise: Exercise | None = None) -> None:
    if access.organisation.kind != OrgKind.ESTABLISHMENT or not access.can(Cap.RUN_EXERCISES):
        raise ExerciseRefused("not_allowed")
    if exercise is not None and exercise.organisation_id != access.organisation.pk:
        raise ExerciseRefused("not_allowed")


def may_observe(access: OrgAccess, exercise: Exercise) -> bool:
    """Those who run exercises, and the exercise's own participants who are members: an
    observer whose account only reads the platform still logs what she sees."""
    if access.organisation.kind != OrgKind.ESTABLISHMENT:
        return False
    if exercise.organisation_id != access.organisation.pk:
        return False
    if access.can(Cap.RUN_EXERCISES):
        return True
    return exercise.participants.filter(membership__user=access.user).exists()


def member_of(access: OrgAccess, membership_id: int | None) -> Membership | None:
    """The membership `membership_id` if it belongs to the reader's establishment."""
    if membership_id is None:
        return None
    membership = (
        Membership.objects.filter(pk=membership_id, organisation=access.organisation)
        .select_related("user")
        .first()
    )
    if membership is None:
        raise ExerciseRefused("not_a_member")
    return membership


def _audit_saved(
    access: OrgAccess, exercise: Exercise, what: str, request: Any, **details: Any
) -> None:
    audit(
        Action.EXERCISE_SAVED,
        actor=access.user,
        organisation=access.organisation,
        target=exercise,
        request=request,
        details={"what": what, "title": exercise.title, **details},
    )


# --- The exercise ------------------------------------------------------------------------------


EDITABLE = ("title", "kind", "scenario", "objectives", "planned_for")


@transaction.atomic
def create_exercise(
    access: OrgAccess,
    *,
    title: str,
    kind: str,
    planned_for: date,
    scenario: str = "",
    objectives: str = "",
    template: str = "",
    request: Any = None,
) -> Exercise:
    """A new planned exercise; from a template, its injects are copied in the creator's
    language (the exercise's own data afterwards)."""
    _check(access)
    if kind not in Kind.values:
        raise ExerciseRefused("bad_choice", field="kind")
    scenario_template = TEMPLATES.get(template) if template else None
    if template and scenario_template is None:
        raise ExerciseRefused("unknown_template", template=template[:40])
    language = getattr(access.user, "language", "") or settings.LANGUAGE_CODE
    with translation.override(language):
        if scenario_template is not None:
            title = title or str(scenario_template.title)
            scenario = scenario or str(scenario_template.summary)
            objectives = objectives or str(scenario_template.objectives)
        exercise = Exercise.objects.create(
            organisation=access.organisation,
            title=title,
            kind=kind,
            scenario=scenario,
            objectives=objectives,
            template=template,
            planned_for=planned_for,
            created_at=_now(),
            created_by=access.user,
        )
        if scenario_template is not None:
            Inject.objects.bulk_create(
                Inject(
                    exercise=exercise,
                    offset_minutes=item.offset_minutes,
                    channel=item.channel,
                    title=str(item.title),
                    content=str(item.content),
                    expected_reaction=str(item.expected_reaction),
                )
                for item in scenario_template.injects
            )
    _audit_saved(access, exercise, "created", request, template=template)
    return exercise


@transaction.atomic
def update_exercise(
    access: OrgAccess, exercise: Exercise, values: dict[str, Any], *, request: Any = None
) -> bool:
    _check(access, exercise)
    stored = Exercise.objects.select_for_update().get(pk=exercise.pk)
    changed = [
        name for name in EDITABLE if name in values and getattr(stored, name) != values[name]
    ]
    if not changed:
        return False
    if "kind" in changed and values["kind"] not in Kind.values:
        raise ExerciseRefused("bad_choice", field="kind")
    for name in changed:
        setattr(stored, name, values[name])
    stored.save(update_fields=[*changed, "updated_at"])
    _audit_saved(access, stored, "updated", request, fields=changed)
    return True


@transaction.atomic
def start_exercise(access: OrgAccess, exercise: Exercise, *, request: Any = None) -> Exercise:
    _check(access, exercise)
    stored = Exercise.objects.select_for_update().get(pk=exercise.pk)
    if stored.status != Status.PLANNED:
        raise ExerciseRefused("bad_status", status=stored.status)
    stored.status, stored.started_at = Status.RUNNING, _now()
    stored.save(update_fields=["status", "started_at", "updated_at"])
    _audit_saved(access, stored, "started", request)
    return stored


@transaction.atomic
def end_exercise(access: OrgAccess, exercise: Exercise, *, request: Any = None) -> Exercise:
    _check(access, exercise)
    stored = Exercise.objects.select_for_update().get(pk=exercise.pk)
    if stored.status != Status.RUNNING:
        raise ExerciseRefused("bad_status", status=stored.status)
    stored.status, stored.ended_at = Status.DONE, _now()
    stored.save(update_fields=["status", "ended_at", "updated_at"])
    _audit_saved(access, stored, "ended", request)
    return stored


# --- Injects, participants, observations, lessons ----------------------------------------------


@transaction.atomic
def add_inject(
    access: OrgAccess,
    exercise: Exercise,
    *,
    offset_minutes: int,
    title: str,
    channel: str,
    content: str = "",
    expected_reaction: str = "",
) -> Inject:
    _check(access, exercise)
    if exercise.status == Status.DONE:
        raise ExerciseRefused("bad_status", status=exercise.status)
    if channel not in Channel.values:
        raise ExerciseRefused("bad_choice", field="channel")
    if offset_minutes < 0:
        raise ExerciseRefused("bad_offset")
    return Inject.objects.create(
        exercise=exercise,
        offset_minutes=offset_minutes,
        title=title,
        channel=channel,
        content=content,
        expected_reaction=expected_reaction,
    )


@transaction.atomic
def deliver_inject(access: OrgAccess, exercise: Exercise, inject_id: int) -> Inject:
    """The facilitator puts the inject to the players now (only while the exercise runs)."""
    _check(access, exercise)
    if exercise.status != Status.RUNNING:
        raise ExerciseRefused("not_running")
    inject = Inject.objects.select_for_update().filter(exercise=exercise, pk=inject_id).first()
    if inject is None:
        raise ExerciseRefused("unknown_inject")
    if inject.delivered_at is None:
        inject.delivered_at = _now()
        inject.save(update_fields=["delivered_at"])
    return inject


@transaction.atomic
def add_participant(
    access: OrgAccess,
    exercise: Exercise,
    *,
    role: str,
    membership_id: int | None = None,
    name: str = "",
    function: str = "",
) -> Participant:
    """A member of the establishment (same organisation only), or an outsider by name."""
    _check(access, exercise)
    if role not in ParticipantRole.values:
        raise ExerciseRefused("bad_choice", field="role")
    membership = member_of(access, membership_id)
    name = name.strip()
    if (membership is None) == (not name):
        raise ExerciseRefused("member_or_name")
    if membership is not None:
        if Participant.objects.filter(exercise=exercise, membership=membership).exists():
            raise ExerciseRefused("already_taking_part")
        name = ""
    return Participant.objects.create(
        exercise=exercise,
        role=role,
        membership=membership,
        name=name,
        function=function.strip(),
    )


@transaction.atomic
def add_observation(
    access: OrgAccess,
    exercise: Exercise,
    *,
    text: str,
    kind: str = ObservationKind.FACT,
    inject_id: int | None = None,
    at: datetime | None = None,
) -> Observation:
    """Logged while the exercise runs (or, written late, once it is done)."""
    if not may_observe(access, exercise):
        raise ExerciseRefused("not_allowed")
    if exercise.status == Status.PLANNED:
        raise ExerciseRefused("not_started")
    if kind not in ObservationKind.values:
        raise ExerciseRefused("bad_choice", field="kind")
    inject = None
    if inject_id is not None:
        inject = Inject.objects.filter(exercise=exercise, pk=inject_id).first()
        if inject is None:
            raise ExerciseRefused("unknown_inject")
    now = _now()
    if at is not None and at > now:
        raise ExerciseRefused("bad_time")
    return Observation.objects.create(
        exercise=exercise,
        at=at or now,
        recorded_at=now,
        author=access.user,
        inject=inject,
        kind=kind,
        text=text,
    )


@transaction.atomic
def add_lesson(access: OrgAccess, exercise: Exercise, *, kind: str, text: str) -> Lesson:
    _check(access, exercise)
    if exercise.status == Status.PLANNED:
        raise ExerciseRefused("not_started")
    if kind not in LessonKind.values:
        raise ExerciseRefused("bad_choice", field="kind")
    return Lesson.objects.create(
        exercise=exercise, kind=kind, text=text, created_at=_now(), author=access.user
    )


# --- Actions -----------------------------------------------------------------------------------


@transaction.atomic
def add_action(
    access: OrgAccess,
    exercise: Exercise,
    *,
    title: str,
    due_on: date,
    owner_id: int | None = None,
    owner_name: str = "",
    request: Any = None,
) -> ExerciseAction:
    """An action with an owner: a member of the establishment, or a name given as text."""
    _check(access, exercise)
    owner = member_of(access, owner_id)
    owner_name = owner_name.strip()
    if (owner is None) == (not owner_name):
        raise ExerciseRefused("owner_member_or_name")
    action = ExerciseAction.objects.create(
        exercise=exercise,
        title=title,
        owner=owner,
        owner_name="" if owner is not None else owner_name,
        due_on=due_on,
        created_at=_now(),
    )
    audit(
        Action.EXERCISE_ACTION,
        actor=access.user,
        organisation=access.organisation,
        target=action,
        request=request,
        details={
            "what": "added",
            "exercise": exercise.pk,
            "title": title,
            "due_on": due_on.isoformat(),
            "owner": action.owner_display,
        },
    )
    return action


def may_close(access: OrgAccess, action: ExerciseAction) -> bool:
    """Those who run exercises, and the action's own owner."""
    if action.exercise.organisation_id != access.organisation.pk:
        return False
    if access.organisation.kind != OrgKind.ESTABLISHMENT:
        return False
    return access.can(Cap.RUN_EXERCISES) or (
        action.owner is not None and action.owner.user_id == access.user.pk
    )


@transaction.atomic
def close_action(
    access: OrgAccess, action: ExerciseAction, *, note: str = "", request: Any = None
) -> ExerciseAction:
    if not may_close(access, action):
        raise ExerciseRefused("not_allowed")
    stored = ExerciseAction.objects.select_for_update().get(pk=action.pk)
    if stored.status == ActionStatus.DONE:
        raise ExerciseRefused("already_closed")
    stored.status = ActionStatus.DONE
    stored.closed_at = _now()
    stored.closed_by = access.user
    stored.closing_note = note
    stored.save(update_fields=["status", "closed_at", "closed_by", "closing_note"])
    audit(
        Action.EXERCISE_ACTION,
        actor=access.user,
        organisation=access.organisation,
        target=stored,
        request=request,
        details={"what": "closed", "exercise": stored.exercise_id, "title": stored.title},
    )
    return stored


# --- Overdue reminders (the daily job) ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReminderRun:
    sent: int
    overdue: int


def action_url(action: ExerciseAction) -> str:
    slug = action.exercise.organisation.slug
    return f"{settings.VIGIE_BASE_URL}/o/{slug}/exercises/{action.exercise_id}/#actions"


def _payload(action: ExerciseAction) -> dict[str, Any]:
    exercise = action.exercise
    return {
        "action": action.pk,
        "title": action.title,
        "due_on": action.due_on.isoformat(),
        "owner": action.owner_display,
        "exercise": exercise.pk,
        "exercise_title": exercise.title,
        "organisation_slug": exercise.organisation.slug,
        "organisation_name": exercise.organisation.name,
        "url": action_url(action),
    }


def _remind(action: ExerciseAction) -> bool:
    """The marker and the notifications in one transaction; False if already sent."""
    key = f"{ACTION_DUE}:{action.pk}"
    payload = _payload(action)
    context = {"payload": payload, "event": ACTION_DUE}
    organisation = action.exercise.organisation
    related = f"exercises.exerciseaction:{action.pk}"
    try:
        with transaction.atomic():
            ActionReminder.objects.create(action=action, due_on=action.due_on, sent_at=_now())
            owner = action.owner.user if action.owner is not None else None
            if owner is not None and owner.is_active and owner.email:
                outbox.enqueue_email(
                    organisation=organisation,
                    to=owner.email,
                    language=owner.language,
                    time_zone=owner.time_zone,
                    template="notify/mail/exercise",
                    context=context,
                    event=ACTION_DUE,
                    idempotency_key=f"{key}:owner",
                    related=related,
                )
            else:
                outbox.enqueue_for_channels(
                    organisation=organisation,
                    event=ACTION_DUE,
                    payload=payload,
                    email_template="notify/mail/exercise",
                    email_context=context,
                    idempotency_key=key,
                    related=related,
                )
    except IntegrityError:
        return False
    return True


def send_overdue_reminders(now: datetime | None = None) -> ReminderRun:
    """One notice per open action past its due date, once (the `ActionReminder` row marks
    it): safe to re-run, and to run by two workers at once."""
    now = now or _now()
    today = timezone.localdate(now)
    overdue = (
        ExerciseAction.objects.filter(
            status=ActionStatus.OPEN, due_on__lt=today, reminder__isnull=True
        )
        .filter(exercise__organisation__is_active=True)
        .select_related("exercise__organisation", "owner__user")
        .order_by("pk")
    )
    sent = count = 0
    for action in overdue.iterator(chunk_size=200):
        count += 1
        if _remind(action):
            sent += 1
    return ReminderRun(sent=sent, overdue=count)
