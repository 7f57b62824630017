"""Demo incidents: a ransomware attack going on at the CHU (degraded mode, emergency
diversion, transfers of newborns), a phishing case whose first deadline is hours away, and
a year and a half of closed incidents across the three establishments, so that the lists,
the case pages, the breach register and the observatory all have something to show."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from vigie.core.demo import DemoReport, register_loader
from vigie.incidents import actions
from vigie.incidents.models import Entry, Incident
from vigie.inventory.models import Asset
from vigie.tenancy.access import OrgAccess
from vigie.tenancy.models import Membership, Organisation
from vigie.tenancy.roles import Role


@dataclass
class DemoCase:
    slug: str
    days_ago: float  # when the establishment became aware
    category: str
    title: str
    phase: str = "closed"
    origin: str = "malicious"
    description: str = ""
    facts: dict[str, Any] = field(default_factory=dict)
    # (obligation code, hours after awareness, sent to)
    submitted: list[tuple[str, float, str]] = field(default_factory=list)
    notes: list[tuple[float, str]] = field(default_factory=list)  # (hours after awareness, text)
    assets: int = 0  # how many of the establishment's assets are affected
    done_phases: tuple[str, ...] = ()  # checklist steps of these phases are done


RANSOMWARE = DemoCase(
    slug="chu-val-de-loire",
    days_ago=9.6,
    category="ransomware",
    phase="containment",
    title="Rançongiciel : serveurs d'imagerie et dossier patient chiffrés",
    description=(
        "À 3 h 40, l'équipe de nuit constate que le PACS et le dossier patient informatisé ne "
        "répondent plus. Une note de rançon LockBit est présente sur les serveurs de fichiers. "
        "Le réseau a été coupé d'Internet à 4 h 15."
    ),
    facts={
        "degraded_mode": True,
        "degraded_units": "Urgences adultes, Radiologie, Bloc opératoire, Maternité",
        "care_is_interrupted": True,
        "emergency": "diversion",
        "plan_blanc": True,
        "transfers_adult": 6,
        "transfers_paediatric": 1,
        "transfers_intensive": 2,
        "transfers_neonatal": 3,
        "deprogrammed_interventions": 140,
        "deprogrammed_consultations": 620,
        "medical_devices_affected": True,
        "delayed_care": True,
        "endangerment": "potential",
        "availability": True,
        "confidentiality": True,
        "personal_data": True,
        "health_data": True,
        "people_categories": "Patients, personnels",
        "people_count": 40_000,
        "records_count": 180_000,
        "high_risk_to_people": True,
        "ransom_demanded": True,
        "ransom_amount": Decimal("2000000"),
        "ransom_currency": "EUR",
        "threat_actor": "LockBit 3.0",
        "leak_site": True,
        "suspected_malicious": True,
        "support_requested": True,
    },
    submitted=[
        ("ars_cert_sante", 3, "ARS Centre-Val de Loire et CERT Santé"),
        ("nis2_early_warning", 20, "ANSSI (CSIRT)"),
        ("gdpr_authority", 70, "CNIL"),
    ],
    notes=[
        (-0.7, "Premiers chiffrements observés sur le serveur de fichiers (journal EDR)."),
        (0.6, "Coupure d'Internet et des liaisons avec le GHT."),
        (2, "Cellule de crise réunie ; plan blanc déclenché."),
        (5, "Régulation SAMU : les urgences sont délestées vers le CH de Montclair."),
        (30, "Sauvegardes hors ligne vérifiées : intactes, datées de la veille."),
    ],
    assets=3,
    done_phases=("triage", "containment"),
)

PHISHING = DemoCase(
    slug="ch-montclair",
    days_ago=0.85,
    category="phishing",
    phase="triage",
    title="Hameçonnage : faux portail de messagerie, trois comptes saisis",
    description=(
        "Un courriel imitant la DSI demandait de « revalider » le compte de messagerie. Trois "
        "agents ont saisi leur mot de passe ; l'un des comptes a servi à renvoyer le message."
    ),
    facts={"confidentiality": True, "suspected_malicious": True, "support_requested": True},
    submitted=[("ars_cert_sante", 2, "ARS et CERT Santé")],
    notes=[(1, "Mots de passe des trois comptes réinitialisés, sessions révoquées.")],
)

# (establishment, days ago, category, title, facts)
HISTORY: list[tuple[str, int, str, str, dict[str, Any]]] = [
    ("chu-val-de-loire", 40, "phishing", "Campagne d'hameçonnage « colis en attente »", {}),
    (
        "chu-val-de-loire",
        95,
        "account_compromise",
        "Compte VPN d'un prestataire utilisé",
        {"confidentiality": True},
    ),
    (
        "chu-val-de-loire",
        160,
        "software_failure",
        "Mise à jour du logiciel de laboratoire : résultats bloqués",
        {"degraded_mode": True, "delayed_care": True},
    ),
    ("chu-val-de-loire", 230, "phishing", "Faux courriel de la CPAM", {}),
    (
        "chu-val-de-loire",
        300,
        "human_error",
        "Compte rendu envoyé au mauvais patient",
        {"confidentiality": True, "personal_data": True, "health_data": True, "people_count": 1},
    ),
    (
        "chu-val-de-loire",
        420,
        "ddos",
        "Déni de service sur le site de prise de rendez-vous",
        {"availability": True},
    ),
    ("ch-montclair", 60, "phishing", "Hameçonnage ciblant la paie", {}),
    (
        "ch-montclair",
        130,
        "infrastructure_failure",
        "Panne de climatisation de la salle serveurs",
        {"degraded_mode": True, "care_is_interrupted": True, "availability": True},
    ),
    (
        "ch-montclair",
        200,
        "supplier",
        "Incident chez l'hébergeur du logiciel de radiologie",
        {"degraded_mode": True, "availability": True},
    ),
    ("ch-montclair", 350, "phishing", "Fausse facture d'un fournisseur", {}),
    ("clinique-des-tilleuls", 75, "phishing", "Hameçonnage de la messagerie de l'accueil", {}),
    (
        "clinique-des-tilleuls",
        180,
        "account_compromise",
        "Compte administrateur du wifi invité",
        {},
    ),
    (
        "clinique-des-tilleuls",
        260,
        "human_error",
        "Clé USB de dossiers de consultation perdue",
        {"confidentiality": True, "personal_data": True, "health_data": True, "people_count": 35},
    ),
    (
        "clinique-des-tilleuls",
        480,
        "software_failure",
        "Logiciel de prescription indisponible une matinée",
        {"degraded_mode": True, "availability": True},
    ),
]
NOT_MALICIOUS = {"software_failure", "infrastructure_failure", "human_error", "supplier"}


def _declarer(organisation: Organisation) -> Membership | None:
    return (
        Membership.objects.filter(
            organisation=organisation, role__in=(Role.SECURITY_OFFICER, Role.ADMIN)
        )
        .select_related("user", "organisation")
        .order_by("-role")
        .first()
    )


def _create(case: DemoCase, now: datetime) -> Incident | None:
    organisation = Organisation.objects.filter(slug=case.slug).first()
    membership = _declarer(organisation) if organisation else None
    if organisation is None or membership is None:
        return None
    access = OrgAccess(user=membership.user, organisation=organisation, membership=membership)
    aware = now - timedelta(days=case.days_ago)
    assets = list(Asset.objects.filter(organisation=organisation).order_by("pk")[: case.assets])
    fields = {
        "title": case.title,
        "category": case.category,
        "origin": case.origin,
        "description": case.description,
        "first_malicious_at": aware - timedelta(hours=6) if case.origin == "malicious" else None,
        "detected_at": aware - timedelta(minutes=35),
        "aware_at": aware,
        **case.facts,
    }
    if fields.get("degraded_mode"):
        fields.setdefault("degraded_from", aware + timedelta(hours=1))
        if case.phase == "closed":
            fields.setdefault("degraded_until", aware + timedelta(days=2))
    incident = actions.declare(access, fields, assets)
    declared = aware + timedelta(hours=1)
    times: dict[str, Any] = {"declared_at": declared, "phase": case.phase}
    if case.phase == "closed":
        times |= {
            "contained_at": aware + timedelta(hours=8),
            "recovered_at": aware + timedelta(days=3),
            "closed_at": aware + timedelta(days=12),
        }
    elif case.phase == "containment":
        times["contained_at"] = aware + timedelta(days=1)
    Incident.objects.filter(pk=incident.pk).update(**times)
    Entry.objects.filter(incident=incident).update(at=declared, recorded_at=declared)
    incident.refresh_from_db()
    for code, hours, channel in case.submitted:
        actions.submit_report(
            access,
            incident,
            code,
            channel=channel,
            reference="",
            submitted_at=aware + timedelta(hours=hours),
            language="fr",
        )
    for hours, text in case.notes:
        actions.write_entry(
            access, incident, text, at=aware + timedelta(hours=hours), comment=False
        )
    if case.phase == "closed":
        incident.tasks.update(done_at=aware + timedelta(days=10), done_by=membership.user)
    elif case.done_phases:
        incident.tasks.filter(phase__in=case.done_phases).update(
            done_at=aware + timedelta(hours=6), done_by=membership.user
        )
    return incident


def _triage(incident: Incident, severity: int, major: bool) -> None:
    """The centre's analyst takes the case: severity, major incident, assigned to them."""
    centre = incident.organisation.centre
    analyst = (
        Membership.objects.filter(organisation=centre, role=Role.ANALYST)
        .select_related("user", "organisation")
        .first()
    )
    if analyst is None:
        return
    access = OrgAccess(user=analyst.user, organisation=analyst.organisation, membership=analyst)
    phase = incident.phase
    actions.triage(
        access,
        incident,
        severity=severity,
        major=major,
        tlp=incident.tlp,
        pap=incident.pap,
        analysts=[analyst.user],
    )
    Incident.objects.filter(pk=incident.pk).update(phase=phase)  # keep the demo's phase


@register_loader(50, "incidents")
def load_incidents(report: DemoReport) -> None:
    if Incident.objects.exists():
        return
    now = timezone.now()
    cases = [
        DemoCase(
            slug=slug,
            days_ago=days,
            category=category,
            title=title,
            origin="not_malicious" if category in NOT_MALICIOUS else "malicious",
            facts=facts,
            submitted=[("ars_cert_sante", 4, "ARS et CERT Santé")],
        )
        for slug, days, category, title, facts in HISTORY
    ]
    created = [i for case in (*cases, PHISHING, RANSOMWARE) if (i := _create(case, now))]
    for incident in created:
        if incident.category == "ransomware":
            _triage(incident, severity=1, major=True)
    # The breach not notified stays in the register with its reason (GDPR Art. 33(5)).
    Incident.objects.filter(category="human_error", people_count=1).update(
        not_notified_reason=(
            "Risque improbable : le destinataire est un soignant, le courrier a été détruit."
        )
    )
    report.notes.append(f"{len(created)} incidents, among them a ransomware attack in progress")
