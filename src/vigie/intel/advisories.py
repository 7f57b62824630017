"""Advisories: a support centre writes a bulletin, revises it, and publishes it to an audience.

Every save is a new `AdvisoryVersion` (nothing is overwritten). Publishing computes the
audience's establishments (all, a region, named ones, or those with open alerts on the
advisory's CVEs: the early-warning matching), gives each a receipt and notifies it, all in
one transaction with the outbox rows. The marking decides who is told: RED goes by e-mail to
the people named only (never to channels, which reach whole roles or webhooks); AMBER+STRICT
stays inside the centre and is refused for publication.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from vigie.audit.log import record as audit
from vigie.audit.models import Action
from vigie.intel.models import Advisory, AdvisoryReceipt, AdvisoryVersion, Audience, Tlp
from vigie.intel.refusal import Refused
from vigie.notify import outbox
from vigie.tenancy.access import OrgAccess, supported_establishments
from vigie.tenancy.models import Membership, Organisation
from vigie.tenancy.roles import Cap
from vigie.vulns.models import OPEN_STATES, Alert

CVE = re.compile(r"CVE-\d{4}-\d{4,}", re.IGNORECASE)
PUBLISHED = "advisory.published"
REVISED = "advisory.revised"


class AdvisoryRefused(Refused):
    """The advisory cannot be saved, published or acknowledged."""


@dataclass(frozen=True, slots=True)
class Draft:
    title: str
    summary: str
    severity: str
    tlp: str
    actions: str
    cves: list[str] = field(default_factory=list)
    products: str = ""
    indicators: str = ""
    references: list[str] = field(default_factory=list)


def parse_cves(text: str) -> list[str]:
    """CVE ids in any separator, upper case, each once, in the order given."""
    seen: dict[str, None] = {}
    for match in CVE.findall(text or ""):
        seen.setdefault(match.upper(), None)
    return list(seen)


def _next_reference(centre: Organisation) -> str:
    year = timezone.now().year
    prefix = f"{centre.slug[:12].upper()}-{year}-"
    count = Advisory.objects.filter(reference__startswith=prefix).count()
    return f"{prefix}{count + 1:04d}"


def save_version(access: OrgAccess, advisory: Advisory | None, draft: Draft) -> Advisory:
    """A new advisory, or a new version of this one (the previous versions stay)."""
    access.require(Cap.PUBLISH)
    with transaction.atomic():
        if advisory is None:
            advisory = Advisory.objects.create(
                organisation=access.organisation,
                reference=_next_reference(access.organisation),
                created_by=access.user,
            )
        elif advisory.organisation_id != access.organisation.pk:
            raise AdvisoryRefused("not_yours")
        last = advisory.versions.order_by("-number").values_list("number", flat=True).first()
        version = AdvisoryVersion.objects.create(
            advisory=advisory,
            number=(last or 0) + 1,
            title=draft.title,
            summary=draft.summary,
            severity=draft.severity,
            tlp=draft.tlp,
            cves=draft.cves,
            products=draft.products,
            indicators=draft.indicators,
            actions=draft.actions,
            references=draft.references,
            created_by=access.user,
        )
        advisory.current = version
        advisory.save(update_fields=["current"])
        audit(
            Action.ADVISORY_SAVED,
            actor=access.user,
            organisation=access.organisation,
            target=advisory,
            target_label=advisory.reference,
            details={"version": version.number, "tlp": version.tlp},
        )
    return advisory


def audience_of(advisory: Advisory, access: OrgAccess) -> QuerySet[Organisation]:
    """The establishments the advisory's audience names, among those the centre supports."""
    establishments = supported_establishments(access)
    if advisory.audience == Audience.REGION:
        return establishments.filter(region__in=advisory.regions)
    if advisory.audience == Audience.NAMED:
        return establishments.filter(pk__in=advisory.establishments.values("pk"))
    if advisory.audience == Audience.AFFECTED:
        cves = advisory.current.cves if advisory.current else []
        affected = Alert.objects.filter(
            vulnerability__vuln_id__in=cves, state__in=OPEN_STATES
        ).values("organisation_id")
        return establishments.filter(pk__in=affected)
    return establishments


def publish(access: OrgAccess, advisory: Advisory) -> int:
    """Publish the current version; returns how many establishments received it."""
    access.require(Cap.PUBLISH)
    if advisory.organisation_id != access.organisation.pk:
        raise AdvisoryRefused("not_yours")
    version = advisory.current
    if version is None:
        raise AdvisoryRefused("empty")
    if version.tlp == Tlp.AMBER_STRICT:
        raise AdvisoryRefused("amber_strict")
    if version.tlp == Tlp.RED and not advisory.recipients.exists():
        raise AdvisoryRefused("red_without_people")
    now = timezone.now()
    with transaction.atomic():
        revised = advisory.published_at is not None
        targets = list(audience_of(advisory, access))
        for establishment in targets:
            AdvisoryReceipt.objects.update_or_create(
                advisory=advisory,
                organisation=establishment,
                defaults={"version": version.number, "delivered_at": now},
            )
        advisory.published_at = advisory.published_at or now
        advisory.published_version = version.number
        advisory.published_tlp = version.tlp
        advisory.save(update_fields=["published_at", "published_version", "published_tlp"])
        _notify(advisory, version, targets, REVISED if revised else PUBLISHED)
        audit(
            Action.ADVISORY_PUBLISHED,
            actor=access.user,
            organisation=access.organisation,
            target=advisory,
            target_label=advisory.reference,
            details={
                "version": version.number,
                "tlp": version.tlp,
                "audience": advisory.audience,
                "establishments": len(targets),
            },
        )
    return len(targets)


def _payload(advisory: Advisory, version: AdvisoryVersion, org: Organisation) -> dict[str, Any]:
    return {
        "advisory": advisory.pk,
        "reference": advisory.reference,
        "version": version.number,
        "title": version.title,
        "severity": version.severity,
        "tlp": version.tlp,
        "cves": version.cves[:30],
        "publisher": advisory.organisation.name,
        "url": f"{settings.VIGIE_BASE_URL}/o/{org.slug}/advisories/{advisory.pk}/",
    }


def _notify(
    advisory: Advisory, version: AdvisoryVersion, targets: list[Organisation], event: str
) -> None:
    key = f"{event}:{advisory.pk}:{version.number}"
    if version.tlp == Tlp.RED:
        # Only the named people, each in their language, and only in organisations that
        # received it: a channel reaches a role or a webhook, never named people only.
        members = Membership.objects.filter(
            organisation__in=targets, user__in=advisory.recipients.all(), user__is_active=True
        ).select_related("user", "organisation")
        for member in members:
            if not member.user.email:
                continue
            payload = _payload(advisory, version, member.organisation)
            outbox.enqueue_email(
                organisation=member.organisation,
                to=member.user.email,
                language=member.user.language,
                time_zone=member.user.time_zone,
                template="notify/mail/advisory",
                context={"payload": payload, "event": event},
                event=event,
                idempotency_key=f"{key}:{member.user.pk}",
                related=f"intel.advisory:{advisory.pk}",
            )
        return
    for org in targets:
        payload = _payload(advisory, version, org)
        outbox.enqueue_for_channels(
            organisation=org,
            event=event,
            payload=payload,
            email_template="notify/mail/advisory",
            email_context={"payload": payload, "event": event},
            idempotency_key=key,
            related=f"intel.advisory:{advisory.pk}",
        )


def mark_read(access: OrgAccess, advisory: Advisory) -> AdvisoryReceipt | None:
    """The first reader of the organisation is remembered (the centre sees who read)."""
    receipt = AdvisoryReceipt.objects.filter(
        advisory=advisory, organisation=access.organisation
    ).first()
    if receipt is not None and receipt.read_at is None:
        receipt.read_at = timezone.now()
        receipt.read_by = access.user
        receipt.save(update_fields=["read_at", "read_by"])
    return receipt


def acknowledge(access: OrgAccess, advisory: Advisory) -> AdvisoryReceipt:
    access.require(Cap.HANDLE_ALERTS)
    receipt = AdvisoryReceipt.objects.filter(
        advisory=advisory, organisation=access.organisation
    ).first()
    if receipt is None:
        raise AdvisoryRefused("not_received")
    with transaction.atomic():
        receipt.acknowledged_at = timezone.now()
        receipt.acknowledged_by = access.user
        receipt.acknowledged_version = receipt.version
        if receipt.read_at is None:
            receipt.read_at = receipt.acknowledged_at
            receipt.read_by = access.user
        receipt.save()
        audit(
            Action.ADVISORY_ACKNOWLEDGED,
            actor=access.user,
            organisation=access.organisation,
            target=advisory,
            target_label=advisory.reference,
            details={"version": receipt.version},
        )
    return receipt
