"""Demo simulations: at the CHU an uploaded list of about 60 agents across its services, a
campaign finished two months ago with realistic events, and a draft; at Montclair a finished
campaign for the centre's sector view. Idempotent: a second run finds them and adds nothing."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from vigie.core.demo import DemoReport, register_loader
from vigie.phishing.models import Campaign, ListEntry, RecipientList, Source, State, Target
from vigie.phishing.tokens import address_hash
from vigie.tenancy.models import Organisation

DOMAIN = "demo.vigie-sante.invalid"
LIST_NAME = "Agents volontaires (démo)"
CHU_SERVICES = (
    ("Urgences adultes", 14, 0.35),
    ("Radiologie", 9, 0.25),
    ("Bloc opératoire", 10, 0.2),
    ("Maternité", 8, 0.3),
    ("Pharmacie", 7, 0.1),
    ("Laboratoire", 6, 0.15),
    ("Direction générale", 6, 0.3),
)
MONTCLAIR_SERVICES = (("Urgences", 12, 0.3), ("Médecine polyvalente", 13, 0.2))


class _Draws:
    """Repeatable draws for the demo's events (the same data on every machine)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.count = 0

    def random(self) -> float:
        self.count += 1
        digest = hashlib.sha256(f"{self.seed}:{self.count}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64

    def randint(self, low: int, high: int) -> int:
        return low + int(self.random() * (high - low + 1))


def _list(
    org: Organisation, prefix: str, services: tuple[tuple[str, int, float], ...], now: datetime
) -> RecipientList:
    recipients = RecipientList.objects.create(
        organisation=org,
        name=LIST_NAME,
        filename="agents.csv",
        uploaded_at=now - timedelta(days=75),
    )
    entries = []
    for service, size, _rate in services:
        code = "".join(word[0] for word in service.split()).lower()
        for n in range(size):
            entries.append(
                ListEntry(
                    recipient_list=recipients,
                    email=f"{prefix}.{code}{n + 1:02d}@{DOMAIN}",
                    service=service,
                )
            )
    ListEntry.objects.bulk_create(entries)
    return recipients


def _finished(
    org: Organisation,
    recipients: RecipientList,
    services: tuple[tuple[str, int, float], ...],
    sent: datetime,
    seed: int,
) -> Campaign:
    draws = _Draws(seed)
    click_rate = {service: rate for service, _size, rate in services}
    campaign = Campaign.objects.create(
        organisation=org,
        name="Exercice « mot de passe expiré »",
        template="password_expiry",
        language="fr",
        sender_name="Support informatique",
        source=Source.LIST,
        recipient_list=recipients,
        rate=20,
        state=State.DONE,
        created_at=sent - timedelta(days=3),
        launched_at=sent,
        finished_at=sent + timedelta(minutes=5),
    )
    targets = []
    for index, entry in enumerate(recipients.entries.order_by("pk")):
        at = sent + timedelta(minutes=index // 20)
        target = Target(
            campaign=campaign,
            email=entry.email,
            address_hash=address_hash(entry.email),
            service=entry.service,
            sent_at=at,
        )
        if draws.random() < 0.7:
            target.opened_at = at + timedelta(minutes=draws.randint(2, 600))
            if draws.random() < click_rate[entry.service] / 0.7:
                target.clicked_at = target.opened_at + timedelta(seconds=draws.randint(5, 240))
                if draws.random() < 0.4:
                    target.submitted_at = target.clicked_at + timedelta(
                        seconds=draws.randint(20, 120)
                    )
            elif draws.random() < 0.3:
                target.reported_at = target.opened_at + timedelta(minutes=draws.randint(1, 90))
        targets.append(target)
    Target.objects.bulk_create(targets)
    return campaign


@register_loader(64, "phishing")
def load_phishing(report: DemoReport) -> None:
    now = timezone.now()
    chu = Organisation.objects.filter(slug="chu-val-de-loire").first()
    montclair = Organisation.objects.filter(slug="ch-montclair").first()
    with transaction.atomic():
        if (
            chu is not None
            and not RecipientList.objects.filter(organisation=chu, name=LIST_NAME).exists()
        ):
            recipients = _list(chu, "agent", CHU_SERVICES, now)
            _finished(chu, recipients, CHU_SERVICES, now - timedelta(days=60), seed=19)
            Campaign.objects.create(
                organisation=chu,
                name="Exercice « colis pour votre service »",
                template="parcel",
                language="fr",
                sender_name="Service courrier",
                source=Source.LIST,
                recipient_list=recipients,
                rate=20,
                created_at=now - timedelta(days=2),
            )
            report.notes.append("a phishing simulation finished at the CHU, and a draft")
        if (
            montclair is not None
            and not RecipientList.objects.filter(organisation=montclair, name=LIST_NAME).exists()
        ):
            recipients = _list(montclair, "montclair", MONTCLAIR_SERVICES, now)
            _finished(montclair, recipients, MONTCLAIR_SERVICES, now - timedelta(days=40), seed=64)
