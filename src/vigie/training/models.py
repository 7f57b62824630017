"""Training modules, their assignment to staff by role and care unit, and completions.

A module's text and quiz live in `content` ({"fr": {...}, "en": {...}}, see
`catalogue.ModuleText.as_json`); `version` is the hash of that text, and each completion keeps
the version it answered, so a module edited later does not rewrite past results. Modules of the
catalogue have no organisation; an establishment's own modules have one.

Who an assignment is for is not stored: it is computed from the establishment's memberships
(roles, care units) each time it is read, so a newcomer is included. What is stored is who was
told (`AssignmentNotice`: the marker that keeps a re-run from e-mailing twice).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class TrainingModule(models.Model):
    organisation = models.ForeignKey(
        "tenancy.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="training_modules",
    )
    slug = models.SlugField(_("short name"), max_length=60)
    version = models.CharField(_("version"), max_length=64)
    title_fr = models.CharField(_("title (French)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    minutes = models.PositiveSmallIntegerField(_("minutes"))
    pass_mark = models.PositiveSmallIntegerField(_("pass mark (%)"))
    content = models.JSONField(default=dict)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]
        constraints = [
            models.UniqueConstraint(
                fields=["slug"],
                condition=models.Q(organisation__isnull=True),
                name="training_module_catalogue_slug",
            ),
            models.UniqueConstraint(
                fields=["organisation", "slug"], name="training_module_own_slug"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def text(self, language: str | None = None) -> dict[str, Any]:
        language = (language or get_language() or "fr")[:2]
        texts: dict[str, Any] = self.content
        return texts.get(language) or texts.get("fr") or texts.get("en") or {}

    @property
    def title(self) -> str:
        return self.title_for(get_language() or "fr")

    def title_for(self, language: str) -> str:
        return self.title_en if language[:2] == "en" else self.title_fr

    @property
    def questions(self) -> list[dict[str, Any]]:
        questions: list[dict[str, Any]] = self.text().get("questions", [])
        return questions


class Assignment(models.Model):
    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.CASCADE, related_name="training_assignments"
    )
    module = models.ForeignKey(TrainingModule, on_delete=models.PROTECT, related_name="assignments")
    roles = models.JSONField(_("roles"), default=list, blank=True)  # empty: every role
    care_units = models.ManyToManyField(
        "tenancy.CareUnit", blank=True, related_name="training_assignments"
    )  # none: every unit, and people without one
    due_on = models.DateField(_("due on"))
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.module} ({self.due_on.isoformat()})"


class AssignmentNotice(models.Model):
    """The durable marker of the e-mail that told one person of one assignment."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="notices")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assignment", "user"], name="training_notice_unique")
        ]

    def __str__(self) -> str:
        return f"{self.assignment_id}:{self.user_id}"


class Completion(models.Model):
    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.CASCADE, related_name="training_completions"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="training_completions"
    )
    module = models.ForeignKey(TrainingModule, on_delete=models.CASCADE, related_name="completions")
    module_version = models.CharField(max_length=64)
    score = models.PositiveSmallIntegerField(_("score (%)"))
    passed = models.BooleanField(_("passed"))
    answers = models.JSONField(default=dict)  # question id -> the choice ids given
    completed_at = models.DateTimeField(_("completed"))

    class Meta:
        ordering = ["-completed_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "module", "user"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.module.slug} · {self.score}%"
