"""Every change of the phishing app, each in one transaction with its audit entry.

Sending is crash-safe: for each recipient, one transaction marks it sent and writes its e-mail
into the outbox (idempotency key per recipient), so a process killed at any point leaves each
recipient either untouched (the next run sends it) or sent with its message queued, never one
without the other. Tracking events keep their first time only, with conditional UPDATEs: cheap,
idempotent, safe under concurrent hits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from vigie.audit.log import record as audit
from vigie.audit.models import Action
from vigie.notify import outbox
from vigie.phishing import lures
from vigie.phishing.models import (
    MAX_RATE,
    Campaign,
    ListEntry,
    RecipientList,
    Source,
    State,
    Target,
)
from vigie.phishing.recipients import ListError, parse_list
from vigie.phishing.tokens import address_hash, token_for
from vigie.tenancy.access import OrgAccess
from vigie.tenancy.models import CareUnit, Membership
from vigie.tenancy.roles import Cap, OrgKind

EVENT = "phishing.simulation"
MAIL_TEMPLATE = "notify/mail/phishing"
LANGUAGES = ("fr", "en")
# An event also stands for those before it (a client that blocks images still opened the
# message when its link was followed).
IMPLIED = {
    "opened_at": ("opened_at",),
    "clicked_at": ("opened_at", "clicked_at"),
    "submitted_at": ("opened_at", "clicked_at", "submitted_at"),
    "reported_at": ("reported_at",),
}


class Refused(ValueError):
    """A change that cannot be made; the message is for the person who asked."""


class ListRefused(Refused):
    def __init__(self, errors: list[ListError]) -> None:
        super().__init__("; ".join(str(error) for error in errors))
        self.errors = errors


def _require(access: OrgAccess) -> None:
    access.require(Cap.RUN_PHISHING)
    if access.organisation.kind != OrgKind.ESTABLISHMENT:
        raise Refused(_("Only an establishment runs phishing simulations."))


# --- Lists ----------------------------------------------------------------------------------


def upload_list(
    access: OrgAccess, *, name: str, filename: str, content: bytes, request: Any = None
) -> RecipientList:
    """Store a whole recipient list, or nothing (ListRefused with every error)."""
    _require(access)
    parsed = parse_list(access.organisation, filename, content)
    if parsed.errors:
        raise ListRefused(parsed.errors)
    with transaction.atomic():
        recipient_list = RecipientList.objects.create(
            organisation=access.organisation,
            name=name.strip()[:200] or filename[:200],
            filename=filename[:255],
            uploaded_by=access.user,
            uploaded_at=timezone.now(),
        )
        ListEntry.objects.bulk_create(
            ListEntry(
                recipient_list=recipient_list, email=row.email, name=row.name, service=row.service
            )
            for row in parsed.rows
        )
        audit(
            Action.PHISHING_LIST_UPLOADED,
            actor=access.user,
            organisation=access.organisation,
            target=recipient_list,
            request=request,
            details={"filename": filename[:255], "recipients": len(parsed.rows)},
        )
    return recipient_list


# --- Campaigns ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CampaignInput:
    name: str
    template: str
    language: str
    sender_name: str
    source: str
    care_unit: CareUnit | None
    recipient_list: RecipientList | None
    rate: int


def _check(access: OrgAccess, data: CampaignInput) -> None:
    if lures.lure(data.template) is None:
        raise Refused(_("Unknown message template."))
    if data.language not in LANGUAGES:
        raise Refused(_("Unknown language."))
    if not 1 <= data.rate <= MAX_RATE:
        raise Refused(_("The rate must be between 1 and %(max)s per minute.") % {"max": MAX_RATE})
    if data.care_unit is not None and data.care_unit.organisation_id != access.organisation.pk:
        raise Refused(_("Unknown care unit."))
    if data.source == Source.LIST:
        if data.recipient_list is None:
            raise Refused(_("Choose the uploaded list."))
        if data.recipient_list.organisation_id != access.organisation.pk:
            raise Refused(_("Unknown list."))
    elif data.source != Source.MEMBERS:
        raise Refused(_("Unknown recipients."))


def save_campaign(
    access: OrgAccess, data: CampaignInput, campaign: Campaign | None = None
) -> Campaign:
    """Create a draft, or change one still in draft."""
    _require(access)
    _check(access, data)
    with transaction.atomic():
        if campaign is None:
            campaign = Campaign(
                organisation=access.organisation, created_by=access.user, created_at=timezone.now()
            )
        else:
            campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
            if campaign.organisation_id != access.organisation.pk or campaign.state != State.DRAFT:
                raise Refused(_("Only a draft campaign can be changed."))
        campaign.name = data.name.strip()[:200]
        campaign.template = data.template
        campaign.language = data.language
        campaign.sender_name = data.sender_name.strip()[:100]
        campaign.source = data.source
        campaign.care_unit = data.care_unit if data.source == Source.MEMBERS else None
        campaign.recipient_list = data.recipient_list if data.source == Source.LIST else None
        campaign.rate = data.rate
        campaign.save()
    return campaign


def audience(campaign: Campaign) -> list[tuple[str, str]]:
    """(address, service) of the people the campaign would reach now, one per address."""
    rows: list[tuple[str, str]] = []
    if campaign.source == Source.LIST and campaign.recipient_list is not None:
        rows = [
            (entry.email, entry.service)
            for entry in ListEntry.objects.filter(recipient_list=campaign.recipient_list)
        ]
    elif campaign.source == Source.MEMBERS:
        members = (
            Membership.objects.filter(
                organisation_id=campaign.organisation_id, user__is_active=True
            )
            .exclude(user__email="")
            .select_related("user", "care_unit")
            .order_by("pk")
        )
        if campaign.care_unit_id is not None:
            members = members.filter(care_unit_id=campaign.care_unit_id)
        rows = [
            (m.user.email.strip(), m.care_unit.name if m.care_unit is not None else "")
            for m in members
        ]
    seen: set[str] = set()
    unique = []
    for address, service in rows:
        if address.lower() not in seen:
            seen.add(address.lower())
            unique.append((address, service))
    return unique


def launch(access: OrgAccess, campaign: Campaign, request: Any = None) -> int:
    """Fix the recipients and start sending (the `phishing-send` job); how many recipients."""
    _require(access)
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.organisation_id != access.organisation.pk:
            raise Refused(_("Unknown campaign."))
        if campaign.state != State.DRAFT:
            raise Refused(_("This campaign was already launched."))
        people = audience(campaign)
        if not people:
            raise Refused(_("This campaign has no recipient."))
        Target.objects.bulk_create(
            Target(
                campaign=campaign,
                email=address,
                address_hash=address_hash(address),
                service=service,
            )
            for address, service in people
        )
        campaign.state = State.RUNNING
        campaign.launched_at = timezone.now()
        campaign.save(update_fields=["state", "launched_at"])
        audit(
            Action.PHISHING_LAUNCHED,
            actor=access.user,
            organisation=access.organisation,
            target=campaign,
            request=request,
            details={"recipients": len(people), "rate": campaign.rate},
        )
    return len(people)


def stop(access: OrgAccess, campaign: Campaign, request: Any = None) -> int:
    """Stop sending; how many recipients were left unsent."""
    _require(access)
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.organisation_id != access.organisation.pk:
            raise Refused(_("Unknown campaign."))
        if campaign.state != State.RUNNING:
            raise Refused(_("Only a campaign being sent can be stopped."))
        unsent = campaign.targets.filter(sent_at__isnull=True).count()
        campaign.state = State.STOPPED
        campaign.finished_at = timezone.now()
        campaign.save(update_fields=["state", "finished_at"])
        audit(
            Action.PHISHING_STOPPED,
            actor=access.user,
            organisation=access.organisation,
            target=campaign,
            request=request,
            details={"unsent": unsent},
        )
    return unsent


# --- Sending (the periodic job) -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SendRun:
    sent: int
    campaigns: int
    finished: int


def _mail_context(campaign: Campaign, target: Target) -> dict[str, Any]:
    token = token_for(target.pk)
    return {
        "payload": {
            "template": campaign.template,
            "sender_name": campaign.sender_name,
            "link": reverse("phishing_public:click", kwargs={"token": token}),
            "pixel": reverse("phishing_public:pixel", kwargs={"token": token}),
            "report": reverse("phishing_public:report", kwargs={"token": token}),
        }
    }


def send_one(campaign: Campaign, target_id: int) -> bool:
    """Mark one recipient sent and queue its message, together; False if already sent (or the
    campaign stopped meanwhile)."""
    with transaction.atomic():
        now = timezone.now()
        claimed = Target.objects.filter(
            pk=target_id, sent_at__isnull=True, campaign__state=State.RUNNING
        ).update(sent_at=now)
        if claimed != 1:
            return False
        target = Target.objects.get(pk=target_id)
        outbox.enqueue_email(
            organisation=campaign.organisation,
            to=target.email,
            language=campaign.language,
            template=MAIL_TEMPLATE,
            context=_mail_context(campaign, target),
            event=EVENT,
            idempotency_key=f"{EVENT}:{target.pk}",
            related=f"phishing.target:{target.pk}",
        )
    return True


def send_due() -> SendRun:
    """Up to `rate` unsent recipients of each running campaign; a campaign with none left is
    finished."""
    sent = finished = 0
    running = list(
        Campaign.objects.filter(state=State.RUNNING).select_related("organisation").order_by("pk")
    )
    for campaign in running:
        waiting = list(
            campaign.targets.filter(sent_at__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)[: campaign.rate]
        )
        sent += sum(send_one(campaign, pk) for pk in waiting)
        if not campaign.targets.filter(sent_at__isnull=True).exists():
            finished += Campaign.objects.filter(pk=campaign.pk, state=State.RUNNING).update(
                state=State.DONE, finished_at=timezone.now()
            )
    return SendRun(sent=sent, campaigns=len(running), finished=finished)


# --- Tracking (public pages) ----------------------------------------------------------------


def record_event(target_id: int, event: str, now: datetime | None = None) -> Target | None:
    """Keep the first time of `event` (and of the events it implies) for a sent recipient;
    None when there is no such recipient (or it was never sent)."""
    fields = IMPLIED[event]
    now = now or timezone.now()
    target = (
        Target.objects.select_related("campaign")
        .filter(pk=target_id, sent_at__isnull=False)
        .first()
    )
    if target is None:
        return None
    for field in fields:
        if getattr(target, field) is None:
            # Conditional: a concurrent hit that came first keeps its time.
            Target.objects.filter(Q(pk=target.pk) & Q(**{f"{field}__isnull": True})).update(
                **{field: max(now, target.sent_at) if target.sent_at else now}
            )
    return target
