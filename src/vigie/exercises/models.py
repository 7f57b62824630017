"""The crisis exercise: its scenario and injects, who takes part, what was observed, the lessons
learned (RETEX) and the actions followed to closure.

An exercise made from a scenario template (`vigie.exercises.scenarios`) owns a copy of the
template's injects, written in its creator's language: editing the template later never
changes an exercise already prepared or played.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    TABLETOP = "tabletop", _("Tabletop exercise")
    FUNCTIONAL = "functional", _("Functional exercise")
    FULL_SCALE = "full_scale", _("Full-scale exercise")


class Status(models.TextChoices):
    PLANNED = "planned", _("Planned")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone call")
    EMAIL = "email", _("E-mail")
    PRESS = "press", _("Press")
    SOCIAL = "social", _("Social network")
    IN_PERSON = "in_person", _("In person")
    SCREEN = "screen", _("On screen")
    RADIO = "radio", _("Radio or pager")


class ParticipantRole(models.TextChoices):
    FACILITATOR = "facilitator", _("Facilitator")
    PLAYER = "player", _("Player")
    OBSERVER = "observer", _("Observer")


class ObservationKind(models.TextChoices):
    FACT = "fact", _("Fact")
    STRENGTH = "strength", _("Strength")
    GAP = "gap", _("Gap")


class LessonKind(models.TextChoices):
    WENT_WELL = "went_well", _("What went well")
    TO_IMPROVE = "to_improve", _("What to improve")


class ActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


class Exercise(models.Model):
    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.CASCADE, related_name="exercises"
    )
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.TABLETOP)
    scenario = models.TextField(_("scenario summary"), blank=True, max_length=20_000)
    objectives = models.TextField(_("objectives"), blank=True, max_length=10_000)
    template = models.CharField(max_length=40, blank=True)  # the scenario template, if any
    planned_for = models.DateField(_("planned for"))
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PLANNED
    )
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-planned_for", "-pk"]
        indexes = [
            models.Index(fields=["organisation", "status"], name="exercise_org_status"),
        ]

    def __str__(self) -> str:
        return self.title


class Inject(models.Model):
    """A message or event put to the players at a time of the exercise."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="injects")
    offset_minutes = models.PositiveIntegerField(_("minutes from the start"))
    title = models.CharField(_("title"), max_length=200)
    content = models.TextField(_("content"), blank=True, max_length=10_000)
    channel = models.CharField(
        _("channel"), max_length=16, choices=Channel.choices, default=Channel.PHONE
    )
    expected_reaction = models.TextField(_("expected reaction"), blank=True, max_length=10_000)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        ordering = ["offset_minutes", "pk"]

    def __str__(self) -> str:
        return f"T+{self.offset_minutes} {self.title}"


class Participant(models.Model):
    """A member of the establishment, or an outsider (ARS, préfecture, SAMU…) by name."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="participants")
    role = models.CharField(_("role"), max_length=16, choices=ParticipantRole.choices)
    membership = models.ForeignKey(
        "tenancy.Membership",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("member"),
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    function = models.CharField(_("function"), max_length=200, blank=True)

    class Meta:
        ordering = ["role", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(membership__isnull=False, name="")
                    | models.Q(membership__isnull=True) & ~models.Q(name="")
                ),
                name="exercise_participant_member_or_name",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.membership is not None:
            user = self.membership.user
            return str(user.get_full_name() or user.get_username())
        return self.name


class Observation(models.Model):
    """What an observer saw, logged as the exercise runs."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="observations")
    at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    inject = models.ForeignKey(
        Inject, on_delete=models.SET_NULL, null=True, blank=True, related_name="observations"
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=ObservationKind.choices, default=ObservationKind.FACT
    )
    text = models.TextField(_("observation"), max_length=5_000)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M}"


class Lesson(models.Model):
    """A lesson learned (retour d'expérience, RETEX)."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="lessons")
    kind = models.CharField(_("kind"), max_length=16, choices=LessonKind.choices)
    text = models.TextField(_("lesson"), max_length=5_000)
    created_at = models.DateTimeField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["kind", "pk"]

    def __str__(self) -> str:
        return self.text[:60]


class ExerciseAction(models.Model):
    """An improvement decided after the exercise, followed until it is done."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="actions")
    title = models.CharField(_("action"), max_length=300)
    owner = models.ForeignKey(
        "tenancy.Membership",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    owner_name = models.CharField(_("owner (not a member)"), max_length=200, blank=True)
    due_on = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=8, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    created_at = models.DateTimeField()
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    closing_note = models.TextField(_("closing note"), blank=True, max_length=5_000)

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["status", "due_on"], name="exercise_action_due")]

    def __str__(self) -> str:
        return self.title

    @property
    def owner_display(self) -> str:
        if self.owner is not None:
            user = self.owner.user
            return str(user.get_full_name() or user.get_username())
        return self.owner_name


class ActionReminder(models.Model):
    """The overdue notice of an action, sent once: written in the transaction that queues its
    notifications, so the daily job can be re-run (or killed) without sending it twice."""

    action = models.OneToOneField(ExerciseAction, on_delete=models.CASCADE, related_name="reminder")
    due_on = models.DateField()
    sent_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"reminder {self.action_id} {self.sent_at:%Y-%m-%d}"
