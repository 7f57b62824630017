"""Demo exercises: last year's ransomware exercise at the CHU (about ten months ago) with its
participants, delivered injects, observations, RETEX and five actions (three closed, one open
and not due, one overdue), the next exercise planned for next month from the template, and one
exercise at the CH de Montclair fourteen months ago, so that its yearly exercise is due."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from vigie.core.demo import DemoReport, register_loader
from vigie.exercises import actions
from vigie.exercises.models import (
    ActionStatus,
    Exercise,
    ExerciseAction,
    Inject,
    Lesson,
    Observation,
    Status,
)
from vigie.tenancy.access import OrgAccess
from vigie.tenancy.models import Membership, Organisation
from vigie.tenancy.roles import Role

OBSERVATIONS = [
    (3, "fact", "L'équipe de nuit appelle la hotline ; le cadre de nuit lance les fiches papier."),
    (12, "strength", "La note de rançon n'est pas ouverte : le poste est isolé immédiatement."),
    (25, "gap", "Le numéro d'astreinte informatique affiché aux urgences n'était plus à jour."),
    (38, "gap", "Personne ne sait qui a autorité pour couper le lien Internet la nuit."),
    (52, "strength", "Cellule de crise réunie en 40 minutes, main courante tenue sur papier."),
    (70, "fact", "Déclaration ARS et CERT Santé faite à T+65 sur le portail."),
    (80, "gap", "Réponse au SAMU hésitante : pas de liste des capacités en mode dégradé."),
    (95, "strength", "Message d'attente presse validé par la direction en 10 minutes."),
    (160, "fact", "Rançon refusée, décision écrite et transmise à l'assureur."),
]
LESSONS = [
    ("went_well", "La cellule de crise s'est réunie vite et la main courante a été tenue."),
    ("went_well", "La communication presse est restée sur une seule ligne."),
    ("to_improve", "Mettre à jour l'annuaire d'astreinte et l'afficher dans chaque service."),
    ("to_improve", "Écrire qui décide de l'isolement réseau la nuit et le week-end."),
    ("to_improve", "Préparer la liste des capacités d'accueil des urgences en mode dégradé."),
]
# (title, owner username or outside name, due in days from the exercise end, closed after days)
ACTIONS: list[tuple[str, str, int, int | None]] = [
    ("Mettre à jour l'annuaire d'astreinte et l'afficher", "chu.rssi", 30, 20),
    ("Procédure écrite de coupure réseau (nuit, week-end)", "chu.directrice", 60, 55),
    ("Kits de mode dégradé vérifiés dans chaque service", "chu.admin", 90, 85),
    (
        "Fiche capacités des urgences en mode dégradé, validée avec le SAMU",
        "chu.directrice",
        250,
        None,
    ),
    (
        "Test de restauration complet du DPI depuis les sauvegardes hors ligne",
        "chu.rssi",
        400,
        None,
    ),
]


def _member(organisation: Organisation, username: str) -> Membership | None:
    return (
        Membership.objects.filter(organisation=organisation, user__username=username)
        .select_related("user", "organisation")
        .first()
    )


def _runner(organisation: Organisation) -> OrgAccess | None:
    membership = (
        Membership.objects.filter(
            organisation=organisation, role__in=(Role.SECURITY_OFFICER, Role.ADMIN)
        )
        .select_related("user", "organisation")
        .order_by("-role")
        .first()
    )
    if membership is None:
        return None
    return OrgAccess(user=membership.user, organisation=organisation, membership=membership)


def _played(
    access: OrgAccess, title: str, started: datetime, *, observations: bool = True
) -> Exercise:
    """A ransomware exercise from the template, played at `started` for three and a half
    hours, every inject delivered at its time."""
    exercise = actions.create_exercise(
        access,
        title=title,
        kind="tabletop",
        planned_for=timezone.localtime(started).date(),
        template="ransomware",
    )
    ended = started + timedelta(hours=3, minutes=30)
    Exercise.objects.filter(pk=exercise.pk).update(
        status=Status.DONE,
        started_at=started,
        ended_at=ended,
        created_at=started - timedelta(days=40),
    )
    for inject in exercise.injects.all():
        Inject.objects.filter(pk=inject.pk).update(
            delivered_at=started + timedelta(minutes=inject.offset_minutes, seconds=30)
        )
    if observations:
        injects = list(exercise.injects.all())
        Observation.objects.bulk_create(
            Observation(
                exercise=exercise,
                at=started + timedelta(minutes=minutes),
                recorded_at=started + timedelta(minutes=minutes),
                author=access.user,
                inject=max(
                    (i for i in injects if i.offset_minutes <= minutes),
                    key=lambda i: i.offset_minutes,
                    default=None,
                ),
                kind=kind,
                text=text,
            )
            for minutes, kind, text in OBSERVATIONS
        )
    exercise.refresh_from_db()
    return exercise


def _chu(organisation: Organisation, now: datetime) -> None:
    access = _runner(organisation)
    if access is None:
        return
    started = (now - timedelta(days=300)).replace(hour=8, minute=30, second=0, microsecond=0)
    exercise = _played(access, "Exercice de crise cyber : rançongiciel de nuit", started)
    ended = exercise.ended_at or started
    people = [
        ("facilitator", "chu.rssi", "", ""),
        ("player", "chu.directrice", "", ""),
        ("player", "chu.admin", "", ""),
        ("player", "chu.biomed", "", ""),
        ("player", "", "Dr Antoine Lemaire", "Chef des urgences"),
        ("observer", "", "Isabelle Caron", "ARS Centre-Val de Loire, référente sécurité"),
        ("observer", "", "Cdt Éric Masson", "SAMU 37, régulation"),
        ("observer", "chu.lecteur", "", ""),
    ]
    for role, username, name, function in people:
        member = _member(organisation, username) if username else None
        if username and member is None:
            continue
        actions.add_participant(
            access,
            exercise,
            role=role,
            membership_id=member.pk if member else None,
            name=name,
            function=function,
        )
    for kind, text in LESSONS:
        lesson = actions.add_lesson(access, exercise, kind=kind, text=text)
        Lesson.objects.filter(pk=lesson.pk).update(created_at=ended + timedelta(days=2))
    for title, owner, due_days, closed_days in ACTIONS:
        member = _member(organisation, owner)
        action = actions.add_action(
            access,
            exercise,
            title=title,
            due_on=timezone.localtime(ended).date() + timedelta(days=due_days),
            owner_id=member.pk if member else None,
            owner_name="" if member else owner,
        )
        changes: dict[str, object] = {"created_at": ended + timedelta(days=2)}
        if closed_days is not None:
            changes |= {
                "status": ActionStatus.DONE,
                "closed_at": ended + timedelta(days=closed_days),
                "closed_by": member.user if member else access.user,
                "closing_note": "Fait et vérifié lors du comité sécurité.",
            }
        ExerciseAction.objects.filter(pk=action.pk).update(**changes)
    actions.create_exercise(
        access,
        title="Exercice de crise cyber annuel : rançongiciel",
        kind="functional",
        planned_for=timezone.localdate(now) + timedelta(days=30),
        template="ransomware",
    )


def _montclair(organisation: Organisation, now: datetime) -> None:
    access = _runner(organisation)
    if access is None:
        return
    started = (now - timedelta(days=425)).replace(hour=9, minute=0, second=0, microsecond=0)
    exercise = _played(access, "Exercice sur table : rançongiciel", started, observations=False)
    member = _member(organisation, "ch.rssi")
    if member is not None:
        actions.add_participant(access, exercise, role="facilitator", membership_id=member.pk)
    actions.add_participant(
        access, exercise, role="observer", name="Paul Girard", function="ARS, délégation"
    )
    lesson = actions.add_lesson(
        access, exercise, kind="to_improve", text="Préparer des kits de mode dégradé par service."
    )
    Lesson.objects.filter(pk=lesson.pk).update(created_at=exercise.ended_at)


@register_loader(62, "exercises")
def load_exercises(report: DemoReport) -> None:
    now = timezone.now()
    made = 0
    for slug, build in (("chu-val-de-loire", _chu), ("ch-montclair", _montclair)):
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None or Exercise.objects.filter(organisation=organisation).exists():
            continue
        build(organisation, now)
        made += 1
    if made:
        report.notes.append(
            "crisis exercises: a ransomware exercise with its RETEX at the CHU, one planned"
        )
