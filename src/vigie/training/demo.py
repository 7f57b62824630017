"""Demo training: the catalogue synced; at the CHU, the phishing module assigned to everyone
(due last month, some passed, one failed, some late) and the cyber-attack reflexes assigned to
Urgences adultes and Radiologie (due next month); at Montclair, passwords and sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from vigie.core.demo import DemoReport, register_loader
from vigie.tenancy.access import OrgAccess
from vigie.tenancy.models import CareUnit, Membership, Organisation
from vigie.tenancy.roles import Role
from vigie.training import actions
from vigie.training.models import Assignment, Completion, TrainingModule
from vigie.training.sync import sync_catalogue


@dataclass(frozen=True)
class DemoAssignment:
    slug: str  # organisation
    module: str
    units: tuple[str, ...]  # care unit codes; none: everyone
    created_days_ago: int
    due_in_days: int
    # (username, days ago, answers that are right: all, or the ids of the ones given wrong)
    completions: tuple[tuple[str, int, tuple[str, ...]], ...]


DEMO = (
    DemoAssignment(
        "chu-val-de-loire",
        "phishing",
        (),
        created_days_ago=60,
        due_in_days=-30,
        completions=(
            ("chu.admin", 50, ()),
            ("chu.rssi", 55, ()),
            ("chu.biomed", 40, ("signs", "clicked")),  # failed, not retaken
            ("chu.lecteur", 35, ("signs",)),  # 75 %: passed
        ),
    ),
    DemoAssignment(
        "chu-val-de-loire",
        "cyber-attack-reflexes",
        ("URG", "RAD"),
        created_days_ago=10,
        due_in_days=30,
        completions=(("chu.lecteur", 3, ("degraded", "outside")),),  # failed for now
    ),
    DemoAssignment(
        "ch-montclair",
        "passwords-sessions",
        (),
        created_days_ago=20,
        due_in_days=15,
        completions=(("ch.rssi", 12, ()),),
    ),
)


def _manager(organisation: Organisation) -> Membership | None:
    return (
        Membership.objects.filter(
            organisation=organisation, role__in=(Role.SECURITY_OFFICER, Role.ADMIN)
        )
        .select_related("user", "organisation")
        .order_by("role", "pk")
        .first()
    )


def _answers(module: TrainingModule, wrong: tuple[str, ...]) -> dict[str, list[str]]:
    result = {}
    for question in module.text("fr")["questions"]:
        correct = [c["id"] for c in question["choices"] if c.get("correct")]
        others = [c["id"] for c in question["choices"] if not c.get("correct")]
        result[question["id"]] = others[:1] if question["id"] in wrong and others else correct
    return result


def _load(item: DemoAssignment, today: date, report: DemoReport) -> None:
    organisation = Organisation.objects.filter(slug=item.slug).first()
    module = TrainingModule.objects.filter(organisation=None, slug=item.module).first()
    manager = _manager(organisation) if organisation is not None else None
    if organisation is None or module is None or manager is None:
        return
    if Assignment.objects.filter(organisation=organisation, module=module).exists():
        return
    access = OrgAccess(user=manager.user, organisation=organisation, membership=manager)
    units = list(CareUnit.objects.filter(organisation=organisation, code__in=item.units))
    assignment = actions.assign(
        access, module=module, roles=[], care_units=units, due_on=today + timedelta(days=1)
    )
    now = timezone.now()
    created = now - timedelta(days=item.created_days_ago)
    Assignment.objects.filter(pk=assignment.pk).update(
        created_at=created, due_on=today + timedelta(days=item.due_in_days)
    )
    assignment.notices.update(sent_at=created)
    for username, days_ago, wrong in item.completions:
        member = (
            Membership.objects.filter(organisation=organisation, user__username=username)
            .select_related("user", "organisation")
            .first()
        )
        if member is None:
            continue
        taker = OrgAccess(user=member.user, organisation=organisation, membership=member)
        taken = actions.complete(taker, module, _answers(module, wrong), version=module.version)
        Completion.objects.filter(pk=taken.completion.pk).update(
            completed_at=now - timedelta(days=days_ago)
        )
    report.notes.append(f"training: {module.slug} assigned at {organisation.slug}")


@register_loader(63, "training")
def load_training(report: DemoReport) -> None:
    sync_catalogue()
    today = timezone.localdate()
    for item in DEMO:
        _load(item, today, report)
