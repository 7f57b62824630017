"""A continuity plan per care unit: how the unit works the day the IT is down.

One plan per care unit (`CareUnit` belongs to tenancy): the degraded-mode procedures, the
paper forms and where they are kept, the downtime kit, who to call, the critical processes with
their recovery time objective, and the mutual-aid arrangements with neighbouring
establishments. The plan is reviewed every `review_every_months`; the reminder job leaves a
`ReviewReminder` row per plan and due date, written with the notices it queues.
"""

from __future__ import annotations

import calendar
from datetime import date

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DEFAULT_REVIEW_MONTHS = 12
KIT_CHECK_MONTHS = 12
AID_TEST_MONTHS = 12


def add_months(day: date, months: int) -> date:
    """`day` moved by `months` calendar months, on the last day of a shorter month."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class Provision(models.TextChoices):
    BEDS = "beds", _("Beds")
    IMAGING = "imaging", _("Imaging")
    LAB = "lab", _("Laboratory")
    PHARMACY = "pharmacy", _("Pharmacy")
    STAFF = "staff", _("Staff")


class ContinuityPlan(models.Model):
    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.CASCADE, related_name="continuity_plans"
    )
    care_unit = models.OneToOneField(
        "tenancy.CareUnit",
        on_delete=models.CASCADE,
        related_name="continuity_plan",
        verbose_name=_("care unit"),
    )
    admission_procedure = models.TextField(
        _("admitting, identifying and following patients on paper"),
        blank=True,
        max_length=1500,
    )
    prescription_procedure = models.TextField(
        _("prescriptions and results without the patient record system"),
        blank=True,
        max_length=1500,
    )
    kit_location = models.CharField(_("downtime kit: where it is"), max_length=300, blank=True)
    kit_contents = models.TextField(_("downtime kit: contents"), blank=True, max_length=600)
    kit_checked_on = models.DateField(_("downtime kit: last checked"), null=True, blank=True)
    review_every_months = models.PositiveSmallIntegerField(
        _("review every (months)"),
        default=DEFAULT_REVIEW_MONTHS,
        validators=[MinValueValidator(1), MaxValueValidator(36)],
    )
    last_reviewed_at = models.DateTimeField(_("last reviewed"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["care_unit__name"]

    def __str__(self) -> str:
        return str(self.care_unit)

    @property
    def next_review_due(self) -> date:
        """The review is due a period after the last one (after the plan's creation when it was
        never reviewed)."""
        start = self.last_reviewed_at or self.created_at
        return add_months(timezone.localdate(start), self.review_every_months)

    def review_overdue(self, today: date) -> bool:
        return self.next_review_due < today


class PlanRow(models.Model):
    """What every row of a plan has: its plan and when it was written."""

    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True


class PaperForm(PlanRow):
    plan = models.ForeignKey(ContinuityPlan, on_delete=models.CASCADE, related_name="paper_forms")
    name = models.CharField(_("form"), max_length=200)
    kept_at = models.CharField(_("where it is kept"), max_length=200, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class Contact(PlanRow):
    plan = models.ForeignKey(ContinuityPlan, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=120)
    function = models.CharField(_("function"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=30)
    alternate_phone = models.CharField(_("alternate phone"), max_length=30, blank=True)
    when_to_call = models.CharField(_("when to call"), max_length=200, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class CriticalProcess(PlanRow):
    plan = models.ForeignKey(ContinuityPlan, on_delete=models.CASCADE, related_name="processes")
    name = models.CharField(_("process"), max_length=200)
    rto_hours = models.PositiveIntegerField(
        _("RTO (hours)"), validators=[MaxValueValidator(24 * 365)]
    )
    workaround = models.TextField(_("degraded-mode workaround"), blank=True, max_length=500)
    depends_on = models.CharField(_("IT systems it depends on"), max_length=300, blank=True)

    class Meta:
        ordering = ["rto_hours", "pk"]

    def __str__(self) -> str:
        return self.name


class MutualAid(PlanRow):
    plan = models.ForeignKey(ContinuityPlan, on_delete=models.CASCADE, related_name="mutual_aid")
    partner = models.CharField(_("partner establishment"), max_length=200)
    provides = models.JSONField(_("what it provides"), default=list, blank=True)
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    agreement_on = models.DateField(_("agreement signed"), null=True, blank=True)
    tested_on = models.DateField(_("last tested"), null=True, blank=True)

    class Meta:
        ordering = ["partner", "pk"]

    def __str__(self) -> str:
        return self.partner

    @property
    def provides_labels(self) -> list[str]:
        labels = dict(Provision.choices)
        return [str(labels.get(code, code)) for code in self.provides]


class ReviewReminder(models.Model):
    """The durable marker of a review reminder: one per plan and due date."""

    plan = models.ForeignKey(ContinuityPlan, on_delete=models.CASCADE, related_name="reminders")
    due_on = models.DateField()
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plan", "due_on"], name="continuity_reminder_once")
        ]

    def __str__(self) -> str:
        return f"{self.plan} {self.due_on.isoformat()}"
