"""The demo centre, establishments and users."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.utils import timezone

from vigie.core.demo import DEMO_HISTORY, DemoReport, register_loader
from vigie.tenancy.models import (
    CareUnit,
    Membership,
    Nis2Class,
    Organisation,
    Region,
    StructureType,
)
from vigie.tenancy.roles import OrgKind, Role

CENTRE = {
    "slug": "centre-cyber-sante",
    "name": "Centre de cybersécurité santé (démo)",
    "region": Region.IDF,
}

ESTABLISHMENTS = [
    {
        "slug": "chu-val-de-loire",
        "name": "CHU du Val-de-Loire (démo)",
        "finess": "370000481",
        "structure_type": StructureType.CHU,
        "region": Region.CVL,
        "ght": "GHT Touraine-Val de Loire",
        "nis2_class": Nis2Class.ESSENTIAL,
        "ose": True,
    },
    {
        "slug": "ch-montclair",
        "name": "Centre hospitalier de Montclair (démo)",
        "finess": "910000298",
        "structure_type": StructureType.CH,
        "region": Region.IDF,
        "ght": "GHT Île-de-France Sud",
        "nis2_class": Nis2Class.ESSENTIAL,
        "ose": False,
    },
    {
        "slug": "clinique-des-tilleuls",
        "name": "Clinique des Tilleuls (démo)",
        "finess": "690000123",
        "structure_type": StructureType.CLINIC,
        "region": Region.ARA,
        "ght": "",
        "nis2_class": Nis2Class.IMPORTANT,
        "ose": False,
    },
]

# (username, first name, last name, organisation slug, role)
USERS = [
    ("centre.admin", "Camille", "Durand", CENTRE["slug"], Role.ADMIN),
    ("centre.analyste", "Nora", "Benali", CENTRE["slug"], Role.ANALYST),
    ("chu.admin", "Hélène", "Martin", "chu-val-de-loire", Role.ADMIN),
    ("chu.rssi", "Julien", "Lefèvre", "chu-val-de-loire", Role.SECURITY_OFFICER),
    ("chu.biomed", "Sophie", "Moreau", "chu-val-de-loire", Role.BIOMEDICAL_ENGINEER),
    ("chu.lecteur", "Paul", "Garnier", "chu-val-de-loire", Role.VIEWER),
    ("chu.directrice", "Claire", "Rousseau", "chu-val-de-loire", Role.DIRECTOR),
    ("ch.admin", "Marc", "Robert", "ch-montclair", Role.ADMIN),
    ("ch.rssi", "Léa", "Petit", "ch-montclair", Role.SECURITY_OFFICER),
    ("clinique.admin", "Inès", "Fontaine", "clinique-des-tilleuls", Role.ADMIN),
]


# The CHU's care units (continuity plans, training and phishing results are organised by
# them), and the unit each demo member works in.
CARE_UNITS = {
    "chu-val-de-loire": (
        ("Urgences adultes", "URG"),
        ("Radiologie", "RAD"),
        ("Bloc opératoire", "BLOC"),
        ("Maternité", "MAT"),
        ("Pharmacie", "PHA"),
        ("Laboratoire", "LAB"),
        ("Direction des systèmes d'information", "DSI"),
        ("Direction générale", "DG"),
        ("Ingénierie biomédicale", "BIO"),
    ),
    "ch-montclair": (
        ("Urgences", "URG"),
        ("Médecine polyvalente", "MED"),
        ("Direction des systèmes d'information", "DSI"),
    ),
    "clinique-des-tilleuls": (("Chirurgie ambulatoire", "CHIR"), ("Administration", "ADM")),
}
UNIT_OF = {
    "chu.admin": "DSI",
    "chu.rssi": "DSI",
    "chu.biomed": "BIO",
    "chu.lecteur": "RAD",
    "chu.directrice": "DG",
    "ch.admin": "DSI",
    "ch.rssi": "DSI",
    "clinique.admin": "ADM",
}


@register_loader(10, "organisations")
def load_organisations(report: DemoReport) -> None:
    centre, _ = Organisation.objects.get_or_create(
        slug=CENTRE["slug"],
        defaults={"kind": OrgKind.CENTRE, "name": CENTRE["name"], "region": CENTRE["region"]},
    )
    for values in ESTABLISHMENTS:
        Organisation.objects.get_or_create(
            slug=values["slug"],
            defaults={**values, "kind": OrgKind.ESTABLISHMENT, "centre": centre},
        )
    user_model = get_user_model()
    for username, first, last, org_slug, role in USERS:
        user = user_model.objects.filter(username=username).first()
        if user is None:
            password = secrets.token_urlsafe(12)
            user = user_model.objects.create_user(
                username=username,
                email=f"{username}@demo.vigie-sante.invalid",
                password=password,
                first_name=first,
                last_name=last,
            )
            report.created_users.append((username, password, f"{role} @ {org_slug}"))
        organisation = Organisation.objects.get(slug=org_slug)
        membership, joined = Membership.objects.get_or_create(
            user=user, organisation=organisation, defaults={"role": role}
        )
        if joined:
            # Members of long standing: what is computed "as of" a past week (the readiness
            # trend, training audiences) counts them.
            Membership.objects.filter(pk=membership.pk).update(
                created_at=timezone.now() - DEMO_HISTORY
            )
        units = {
            code: CareUnit.objects.get_or_create(
                organisation=organisation, name=name, defaults={"code": code}
            )[0]
            for name, code in CARE_UNITS.get(org_slug, ())
        }
        unit = units.get(UNIT_OF.get(username, ""))
        if unit is not None and membership.care_unit_id is None:
            membership.care_unit = unit
            membership.save(update_fields=["care_unit"])
