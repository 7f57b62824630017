"""Demo continuity plans: five care units of the CHU (Urgences adultes, Radiologie, Maternité,
Bloc opératoire, Laboratoire), the operating theatre's overdue for review, the pharmacy without
a plan, mutual aid with the CH de Montclair for imaging and the laboratory; and the emergency
department's plan at the CH de Montclair. A plan that exists is left as it is (idempotent)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from vigie.continuity.models import (
    Contact,
    ContinuityPlan,
    CriticalProcess,
    MutualAid,
    PaperForm,
)
from vigie.core.demo import DemoReport, register_loader
from vigie.tenancy.models import CareUnit, Organisation

SAMU = (
    "SAMU – Centre 15",
    "Régulation médicale",
    "15",
    "02 47 00 15 15",
    "Transfert ou délestage de patients",
)
CELLULE = (
    "Cellule de crise (direction de garde)",
    "Directeur de garde",
    "02 47 47 80 00",
    "06 12 34 56 78",
    "Dès la bascule en mode dégradé",
)
DSI = (
    "Astreinte DSI",
    "Ingénieur d'astreinte",
    "02 47 47 81 99",
    "06 98 76 54 32",
    "Panne du DPI, du réseau ou de la téléphonie",
)


@dataclass
class DemoPlan:
    slug: str
    unit: str
    admission: str
    prescription: str
    kit_location: str
    kit_contents: str
    kit_checked_days_ago: int | None
    reviewed_days_ago: int | None
    contacts: list[tuple[str, str, str, str, str]]
    forms: list[tuple[str, str]]
    processes: list[tuple[str, int, str, str]]
    aid: list[dict[str, Any]] = field(default_factory=list)


PLANS = [
    DemoPlan(
        slug="chu-val-de-loire",
        unit="Urgences adultes",
        admission=(
            "Accueil par l'IAO sur la fiche d'admission papier (3 exemplaires carbonés).\n"
            "Identité provisoire : bracelet papier pré-numéroté « URG-DEG-0001… » + étiquette "
            "sur chaque prélèvement.\n"
            "Suivi : tableau blanc des boxes + main courante papier, reporté dans le DPI au "
            "retour du système."
        ),
        prescription=(
            "Prescriptions sur ordonnance papier signée (modèle urgences), double conservé "
            "dans le dossier.\n"
            "Résultats de biologie : appel du laboratoire au poste 4512, puis coursier toutes "
            "les 30 min ; imagerie : compte rendu dicté par téléphone."
        ),
        kit_location="Bureau de l'IDE de coordination, armoire grise (clé au tableau de garde)",
        kit_contents=(
            "Fiches d'admission, bracelets pré-numérotés, ordonnances papier, étiquettes, "
            "feuilles de surveillance, annuaire papier, lampe frontale"
        ),
        kit_checked_days_ago=45,
        reviewed_days_ago=60,
        contacts=[
            SAMU,
            CELLULE,
            DSI,
            (
                "Laboratoire (urgences)",
                "Biologiste de garde",
                "02 47 47 45 12",
                "",
                "Résultats urgents",
            ),
        ],
        forms=[
            ("Fiche d'admission dégradée", "Kit, armoire grise, chemise rouge"),
            ("Bracelets d'identification pré-numérotés", "Kit, boîte n° 1"),
            ("Ordonnance papier urgences", "Kit + bureau médical"),
            ("Feuille de surveillance IDE", "Kit, chemise bleue"),
        ],
        processes=[
            (
                "Accueil et tri des patients",
                1,
                "Tri IAO sur grille papier CIMU, bracelet pré-numéroté, tableau des boxes",
                "DPI urgences (ResUrgences), téléphonie",
            ),
            (
                "Prescription et administration des traitements",
                2,
                "Ordonnances papier, feuille d'administration papier",
                "DPI, logiciel de prescription",
            ),
            (
                "Demandes d'examens de biologie",
                2,
                "Bons papier, étiquetage manuel, coursier",
                "Interface DPI–SIL",
            ),
        ],
    ),
    DemoPlan(
        slug="chu-val-de-loire",
        unit="Radiologie",
        admission=(
            "Les demandes d'examen arrivent sur bon papier signé du prescripteur ; "
            "enregistrement sur le registre papier de la salle."
        ),
        prescription=(
            "Images sur la console de la modalité ; comptes rendus dictés et rendus par "
            "téléphone au service demandeur, puis saisis au retour du PACS."
        ),
        kit_location="Secrétariat de radiologie, tiroir « Mode dégradé »",
        kit_contents="Bons de demande papier, registre des examens, CD vierges, annuaire",
        kit_checked_days_ago=200,
        reviewed_days_ago=150,
        contacts=[
            CELLULE,
            DSI,
            (
                "Radiologue de garde",
                "Médecin",
                "02 47 47 62 00",
                "06 45 67 89 01",
                "Toute urgence d'imagerie",
            ),
            (
                "Ingénieur biomédical d'astreinte",
                "Biomédical",
                "02 47 47 63 30",
                "",
                "Panne de modalité",
            ),
        ],
        forms=[
            ("Bon de demande d'examen d'imagerie", "Tiroir « Mode dégradé »"),
            ("Registre papier des examens", "Pupitre de chaque salle"),
        ],
        processes=[
            (
                "Scanner des urgences vitales",
                1,
                "Lecture sur la console, compte rendu téléphoné, gravure CD si transfert",
                "PACS, RIS, réseau",
            ),
            ("IRM programmées", 72, "", "RIS, PACS"),
        ],
        aid=[
            {
                "partner": "CH de Montclair",
                "provides": ["imaging"],
                "contact": "Imagerie CH de Montclair – 02 38 11 22 33",
                "agreement_days_ago": 700,
                "tested_days_ago": 500,
            }
        ],
    ),
    DemoPlan(
        slug="chu-val-de-loire",
        unit="Maternité",
        admission=(
            "Admission en salle de naissance sur fiche papier ; bracelets mère-enfant "
            "pré-appariés du kit ; partogramme papier."
        ),
        prescription="Prescriptions papier ; résultats de biologie par téléphone et coursier.",
        kit_location="Salle de naissance, placard du poste de soins",
        kit_contents="Partogrammes, bracelets mère-enfant, fiches d'admission, carnets de santé",
        kit_checked_days_ago=30,
        reviewed_days_ago=90,
        contacts=[
            SAMU,
            CELLULE,
            (
                "Pédiatre de garde",
                "Néonatologie",
                "02 47 47 70 10",
                "06 22 33 44 55",
                "Naissance à risque",
            ),
        ],
        forms=[
            ("Partogramme papier", "Placard du poste de soins"),
            ("Fiche d'admission maternité", "Kit"),
        ],
        processes=[
            (
                "Surveillance du travail",
                1,
                "Partogramme papier, monitoring autonome en salle",
                "Logiciel d'obstétrique, centrale de monitoring",
            ),
        ],
    ),
    DemoPlan(
        slug="chu-val-de-loire",
        unit="Bloc opératoire",
        admission=(
            "Programme opératoire imprimé chaque soir à 18 h et affiché en salle de régulation."
        ),
        prescription=(
            "Feuille d'anesthésie papier ; traçabilité des dispositifs implantables sur registre."
        ),
        kit_location="Régulation du bloc, étagère haute",
        kit_contents="Feuilles d'anesthésie, check-lists HAS, registre des implants",
        kit_checked_days_ago=420,
        reviewed_days_ago=430,
        contacts=[CELLULE, DSI],
        forms=[
            ("Feuille d'anesthésie", "Chaque salle, tiroir du chariot"),
            ("Check-list sécurité du patient (HAS)", "Chaque salle"),
        ],
        processes=[
            (
                "Interventions urgentes",
                1,
                "Programme papier, feuille d'anesthésie papier",
                "Logiciel de bloc, DPI",
            ),
            ("Traçabilité des implants", 24, "", "Logiciel de traçabilité"),
        ],
    ),
    DemoPlan(
        slug="chu-val-de-loire",
        unit="Laboratoire",
        admission="Réception des tubes avec bon papier ; numérotation manuelle sur registre.",
        prescription=(
            "Résultats critiques téléphonés au service (liste d'appel) ; autres résultats "
            "imprimés sur l'automate et portés par coursier."
        ),
        kit_location="Accueil du laboratoire, armoire A2",
        kit_contents="Bons de demande, registre de numérotation, étiquettes vierges",
        kit_checked_days_ago=100,
        reviewed_days_ago=200,
        contacts=[
            CELLULE,
            DSI,
            (
                "Biologiste de garde",
                "Biologiste",
                "02 47 47 45 12",
                "06 11 22 33 44",
                "Résultat critique",
            ),
        ],
        forms=[
            ("Bon de demande d'analyses", "Armoire A2"),
            ("Registre de numérotation", "Paillasse de tri"),
        ],
        processes=[
            (
                "Biologie d'urgence",
                2,
                "Automates en mode autonome, résultats téléphonés",
                "SIL, middleware des automates",
            ),
        ],
        aid=[
            {
                "partner": "CH de Montclair",
                "provides": ["lab"],
                "contact": "Laboratoire CH de Montclair – 02 38 11 22 40",
                "agreement_days_ago": 400,
                "tested_days_ago": None,
            }
        ],
    ),
    DemoPlan(
        slug="ch-montclair",
        unit="Urgences",
        admission="Fiche d'admission papier et bracelet provisoire numéroté.",
        prescription=(
            "Ordonnances papier ; biologie confiée au CHU Val-de-Loire si le SIL est hors service."
        ),
        kit_location="Poste IDE des urgences",
        kit_contents="Fiches d'admission, bracelets, ordonnances, annuaire",
        kit_checked_days_ago=80,
        reviewed_days_ago=120,
        contacts=[
            SAMU,
            (
                "Administrateur de garde",
                "Direction",
                "02 38 11 20 00",
                "06 33 44 55 66",
                "Bascule en mode dégradé",
            ),
        ],
        forms=[("Fiche d'admission dégradée", "Poste IDE")],
        processes=[("Accueil des urgences", 1, "Tri papier, bracelets provisoires", "DPI")],
        aid=[
            {
                "partner": "CHU Val-de-Loire",
                "provides": ["lab", "beds"],
                "contact": "Cellule de crise du CHU – 02 47 47 80 00",
                "agreement_days_ago": 700,
                "tested_days_ago": 200,
            }
        ],
    ),
]


def _load(plan: DemoPlan, unit: CareUnit) -> None:
    now = timezone.now()
    today = timezone.localdate()
    created = now - timedelta(days=max(plan.reviewed_days_ago or 0, 30) + 30)
    with transaction.atomic():
        record = ContinuityPlan.objects.create(
            organisation=unit.organisation,
            care_unit=unit,
            admission_procedure=plan.admission,
            prescription_procedure=plan.prescription,
            kit_location=plan.kit_location,
            kit_contents=plan.kit_contents,
            kit_checked_on=(
                today - timedelta(days=plan.kit_checked_days_ago)
                if plan.kit_checked_days_ago is not None
                else None
            ),
            last_reviewed_at=(
                now - timedelta(days=plan.reviewed_days_ago)
                if plan.reviewed_days_ago is not None
                else None
            ),
            created_at=created,
            updated_at=created,
        )
        Contact.objects.bulk_create(
            Contact(
                plan=record,
                name=name,
                function=function,
                phone=phone,
                alternate_phone=alternate,
                when_to_call=when,
                created_at=created,
            )
            for name, function, phone, alternate, when in plan.contacts
        )
        PaperForm.objects.bulk_create(
            PaperForm(plan=record, name=name, kept_at=kept, created_at=created)
            for name, kept in plan.forms
        )
        CriticalProcess.objects.bulk_create(
            CriticalProcess(
                plan=record,
                name=name,
                rto_hours=rto,
                workaround=workaround,
                depends_on=depends,
                created_at=created,
            )
            for name, rto, workaround, depends in plan.processes
        )
        MutualAid.objects.bulk_create(
            MutualAid(
                plan=record,
                partner=aid["partner"],
                provides=aid["provides"],
                contact=aid["contact"],
                agreement_on=today - timedelta(days=aid["agreement_days_ago"]),
                tested_on=(
                    today - timedelta(days=aid["tested_days_ago"])
                    if aid["tested_days_ago"] is not None
                    else None
                ),
                created_at=created,
            )
            for aid in plan.aid
        )


@register_loader(61, "continuity")
def load_continuity(report: DemoReport) -> None:
    made = 0
    for plan in PLANS:
        organisation = Organisation.objects.filter(slug=plan.slug).first()
        unit = CareUnit.objects.filter(organisation=organisation, name=plan.unit).first()
        if organisation is None or unit is None:
            continue
        if ContinuityPlan.objects.filter(care_unit=unit).exists():
            continue
        _load(plan, unit)
        made += 1
    if made:
        report.notes.append(f"continuity: {made} plans written")
