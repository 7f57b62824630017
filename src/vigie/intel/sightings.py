"""Sightings: an organisation saw an indicator in its own logs, and says so.

`report_sighting` stores the sighting, its audit entry and its notifications in one
transaction (the outbox rows are written beside the row, so a crash leaves both or neither):
the reporting establishment gets an Act-level notice on its channels at once (a known-bad
value seen inside a hospital is acted on now, not in the digest), and its support centre is
notified on its own channels with the reporter named. Other establishments see only counts
(`visibility.sighting_counts`).

A report may carry an idempotency key (the API's `Idempotency-Key` header), the reporting
organisation's own: the key and its report's fingerprint are stored in the same transaction,
so a retry with the same key and the same report is answered with the stored sighting and
counts, audits and notifies nothing; the same key with another report is refused.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from vigie.audit.log import record as audit
from vigie.audit.models import Action
from vigie.engines.indicators.model import IndicatorProblemError
from vigie.engines.indicators.model import IndicatorType as EngineType
from vigie.engines.indicators.normalise import normalise
from vigie.intel.models import Indicator, LogType, Sighting, SightingReport, SightingState, Tlp
from vigie.intel.refusal import Refused
from vigie.intel.visibility import community_of, visible_indicators
from vigie.notify import outbox
from vigie.notify.models import ChannelKind
from vigie.tenancy.access import OrgAccess
from vigie.tenancy.models import Membership, Organisation
from vigie.tenancy.roles import Cap, Role

# The SSVC word the establishment reads: a sighting is acted on at once.
PRIORITY = "act"
SIGHTING_NEW = "sighting.new"
SIGHTING_REPORTED = "sighting.reported"
MAX_COUNT = 10**12
CENTRE_ROLES = (Role.ANALYST, Role.ADMIN)
# Who sent the report: a tool through the API, or the establishment's local sensor.
SOURCES = ("api", "sensor")
STIX_INDICATOR_PREFIX = "indicator--"
# 1 to 100 printable ASCII characters, without a space at either end (HTTP strips those).
IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]{0,98}[\x21-\x7e])?")


class SightingRefused(Refused):
    """The report cannot be stored, or the sighting not changed."""


class IdempotencyKeyReused(SightingRefused):
    """The idempotency key was already used by this organisation for a different report."""

    def __init__(self) -> None:
        super().__init__("idempotency_key_reused")


@dataclass(frozen=True, slots=True)
class Report:
    """One report. The indicator is named by its type and value, or by its STIX id (then type
    and value, if given too, must be the indicator's)."""

    type: str = ""
    value: str = ""
    log_type: str = ""
    count: int = 1
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    tlp: str = Tlp.AMBER_STRICT
    source: str = "api"
    indicator_id: str | None = None


@dataclass(frozen=True, slots=True)
class Reported:
    sighting: Sighting
    created: bool
    # A retry of a report already stored under the same idempotency key: nothing was changed.
    replayed: bool = False


def _indicator_for(access: OrgAccess, type_: str, value: str) -> Indicator:
    """The row the reporter may see for this value: its centre's first, then its own, then any."""
    community = community_of(access.organisation)
    found = (
        visible_indicators(access)
        .filter(type=type_, value=value)
        .annotate(
            rank=Case(
                When(organisation_id=community, then=Value(0)),
                When(organisation_id=access.organisation.pk, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("rank", "pk")
        .first()
    )
    if found is None:
        # Same answer for a value that exists under a marking the reporter may not see:
        # a sighting must never reveal that a hidden indicator exists.
        raise SightingRefused("unknown_indicator", type=type_, value=value)
    return found


def _indicator_by_id(access: OrgAccess, indicator_id: str) -> Indicator:
    """The visible row with this STIX id (`indicator--<uuid>`, as served over TAXII)."""
    raw = indicator_id.strip()
    text = raw.lower().removeprefix(STIX_INDICATOR_PREFIX)
    try:
        parsed = uuid.UUID(text)
    except ValueError:
        parsed = None
    if not raw.lower().startswith(STIX_INDICATOR_PREFIX) or parsed is None or str(parsed) != text:
        raise SightingRefused("bad_indicator_id", indicator_id=indicator_id)
    found = visible_indicators(access).filter(stix_id=parsed).first()
    if found is None:
        # The same answer whether the id is unknown or names an indicator the reporter may not
        # see: a sighting never reveals that a hidden indicator exists.
        raise SightingRefused("unknown_indicator_id", indicator_id=indicator_id)
    return found


def _normalised(type_: str, value: str) -> tuple[str, str]:
    if type_ not in {t.value for t in EngineType}:
        raise SightingRefused("bad_type", type=type_)
    try:
        refined, normal = normalise(EngineType(type_), value)
    except IndicatorProblemError as problem:
        raise SightingRefused("bad_value", **problem.params) from None
    return refined.value, normal


def _checked(report: Report) -> tuple[datetime, datetime]:
    """Everything but the indicator: log type, marking, count, source and dates."""
    if report.log_type not in LogType.values:
        raise SightingRefused("bad_log_type", log_type=report.log_type)
    if report.tlp not in Tlp.values or report.tlp == Tlp.RED:
        # RED names people; a sighting goes to an organisation (its centre).
        raise SightingRefused("bad_tlp", tlp=report.tlp)
    if not 1 <= report.count <= MAX_COUNT:
        raise SightingRefused("bad_count", count=report.count)
    if report.source not in SOURCES:
        raise SightingRefused("bad_source", source=report.source)
    now = timezone.now()
    last = report.last_seen or now
    first = report.first_seen or last
    if first > last:
        raise SightingRefused("first_after_last")
    if last > now + timedelta(minutes=5):
        raise SightingRefused("in_the_future")
    return first, last


def _resolved(access: OrgAccess, report: Report) -> tuple[Indicator, str, str]:
    """The indicator reported and the normalised type and value of the sighting."""
    if report.indicator_id is None:
        if not report.type or not report.value:
            raise SightingRefused("no_indicator")
        type_, value = _normalised(report.type, report.value)
        return _indicator_for(access, type_, value), type_, value
    indicator = _indicator_by_id(access, report.indicator_id)
    if report.value:
        type_, value = _normalised(report.type or indicator.type, report.value)
    elif report.type:
        try:
            type_, value = _normalised(report.type, indicator.value)
        except SightingRefused as refused:
            if refused.code != "bad_value":
                raise
            # The indicator's value is not of the type sent: they do not agree.
            type_, value = report.type, indicator.value
    else:
        return indicator, indicator.type, indicator.value
    if (type_, value) != (indicator.type, indicator.value):
        raise SightingRefused(
            "indicator_mismatch",
            indicator_id=report.indicator_id,
            type=indicator.type,
            value=indicator.value,
        )
    return indicator, type_, value


def _instant(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


def fingerprint(type_: str, value: str, report: Report) -> str:
    """sha256 of the normalised report: what a retry must repeat to be a retry.

    The dates are those sent (a missing one stays missing: its default, now, would differ on
    each retry); the indicator counts by its normalised type and value, however it was named.
    """
    normal = {
        "type": type_,
        "value": value,
        "log_type": report.log_type,
        "count": report.count,
        "first_seen": _instant(report.first_seen),
        "last_seen": _instant(report.last_seen),
        "tlp": report.tlp,
        "source": report.source,
    }
    text = json.dumps(normal, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _stored_report(access: OrgAccess, key: str, print_: str) -> Reported | None:
    """The answer already given to this key, or None; a different report under it is refused."""
    row = (
        SightingReport.objects.filter(organisation=access.organisation, key=key)
        .select_related("sighting__organisation")
        .first()
    )
    if row is None:
        return None
    if row.fingerprint != print_:
        raise IdempotencyKeyReused()
    return Reported(row.sighting, created=False, replayed=True)


def report_sighting(access: OrgAccess, report: Report) -> tuple[Sighting, bool]:
    """Store one report: a new sighting (notified) or more of one already known (counted).

    Raises SightingRefused. Returns the sighting and whether it is new.
    """
    reported = record_report(access, report)
    return reported.sighting, reported.created


def record_report(
    access: OrgAccess, report: Report, idempotency_key: str | None = None
) -> Reported:
    """Store one report, at most once per idempotency key of the reporting organisation.

    Raises SightingRefused (IdempotencyKeyReused when the key was used for another report).
    """
    access.require(Cap.HANDLE_ALERTS)
    if idempotency_key is not None and not IDEMPOTENCY_KEY.fullmatch(idempotency_key):
        raise SightingRefused("bad_idempotency_key")
    first, last = _checked(report)
    indicator, type_, value = _resolved(access, report)
    if idempotency_key is None:
        return _store(access, report, indicator, (type_, value, first, last), None)
    print_ = fingerprint(type_, value, report)
    try:
        return _store(
            access, report, indicator, (type_, value, first, last), (idempotency_key, print_)
        )
    except IntegrityError:
        # A request with the same key committed between our look-up and our insert (its
        # transaction held the key's unique index entry; ours was rolled back whole, count and
        # audit and outbox rows included): answer as its retry.
        stored = _stored_report(access, idempotency_key, print_)
        if stored is None:
            raise
        return stored


def _store(
    access: OrgAccess,
    report: Report,
    indicator: Indicator,
    normal: tuple[str, str, datetime, datetime],
    keyed: tuple[str, str] | None,
) -> Reported:
    type_, value, first, last = normal
    with transaction.atomic():
        if keyed is not None:
            stored = _stored_report(access, *keyed)
            if stored is not None:
                return stored
        sighting = (
            Sighting.objects.select_for_update()
            .filter(
                organisation=access.organisation, type=type_, value=value, log_type=report.log_type
            )
            .first()
        )
        created = sighting is None
        reopened = False
        if sighting is None:
            sighting = Sighting.objects.create(
                organisation=access.organisation,
                indicator=indicator,
                type=type_,
                value=value,
                log_type=report.log_type,
                count=report.count,
                first_seen=first,
                last_seen=last,
                tlp=report.tlp,
                source=report.source,
                reported_by=access.user,
            )
        else:
            sighting.count = min(sighting.count + report.count, MAX_COUNT)
            sighting.first_seen = min(sighting.first_seen, first)
            sighting.last_seen = max(sighting.last_seen, last)
            sighting.reports += 1
            reopened = sighting.state == SightingState.CLOSED
            if reopened:
                # Seen again after it was closed: the establishment must look again.
                sighting.state = SightingState.NEW
            sighting.save()
        details: dict[str, Any] = {
            "log_type": report.log_type,
            "count": report.count,
            "new": created,
            "source": report.source,
        }
        if keyed is not None:
            key, print_ = keyed
            details["idempotency_key"] = key
            # Same transaction as the count: a crash keeps both or neither.
            SightingReport.objects.create(
                organisation=access.organisation, key=key, fingerprint=print_, sighting=sighting
            )
        audit(
            Action.SIGHTING_REPORTED,
            actor=access.user,
            organisation=access.organisation,
            target=sighting,
            target_label=f"{type_}:{value}"[:200],
            details=details,
        )
        if created or reopened:
            _notify(sighting, indicator)
    return Reported(sighting, created=created)


def _payload(sighting: Sighting, indicator: Indicator) -> dict[str, Any]:
    org = sighting.organisation
    return {
        "sighting": sighting.pk,
        "organisation": org.slug,
        "organisation_name": org.name,
        "type": sighting.type,
        "value": sighting.value,
        "log_type": sighting.log_type,
        "count": sighting.count,
        "first_seen": sighting.first_seen.isoformat(),
        "last_seen": sighting.last_seen.isoformat(),
        "priority": PRIORITY,
        "tlp": sighting.tlp,
        "indicator_tlp": indicator.tlp,
        "indicator_tags": list(indicator.tags or [])[:20],
        "publisher": indicator.organisation.name,
        "url": f"{settings.VIGIE_BASE_URL}/o/{org.slug}/intel/sightings/{sighting.pk}/",
    }


def _notify(sighting: Sighting, indicator: Indicator) -> None:
    payload = _payload(sighting, indicator)
    key = f"{sighting.pk}:{sighting.reports}"
    outbox.enqueue_for_channels(
        organisation=sighting.organisation,
        event=SIGHTING_NEW,
        payload=payload,
        email_template="notify/mail/sighting",
        email_context={"payload": payload, "event": SIGHTING_NEW},
        idempotency_key=f"{SIGHTING_NEW}:{key}",
        related=f"intel.sighting:{sighting.pk}",
    )
    centre: Organisation | None = sighting.organisation.centre
    if centre is None:
        return
    for_centre = {
        **payload,
        "url": f"{settings.VIGIE_BASE_URL}/o/{centre.slug}/intel/sightings/{sighting.pk}/",
    }
    sent = outbox.enqueue_for_channels(
        organisation=centre,
        event=SIGHTING_REPORTED,
        payload=for_centre,
        email_template="notify/mail/sighting",
        email_context={"payload": for_centre, "event": SIGHTING_REPORTED},
        idempotency_key=f"{SIGHTING_REPORTED}:{key}",
        related=f"intel.sighting:{sighting.pk}",
    )
    if any(delivery.transport == ChannelKind.EMAIL for delivery in sent):
        return
    # A centre without an e-mail channel still hears of it: its analysts and administrators
    # are the people an establishment calls.
    members = Membership.objects.filter(
        organisation=centre, role__in=CENTRE_ROLES, user__is_active=True
    ).select_related("user")
    for member in members:
        if not member.user.email:
            continue
        outbox.enqueue_email(
            organisation=centre,
            to=member.user.email,
            language=member.user.language,
            time_zone=member.user.time_zone,
            template="notify/mail/sighting",
            context={"payload": for_centre, "event": SIGHTING_REPORTED},
            event=SIGHTING_REPORTED,
            idempotency_key=f"{SIGHTING_REPORTED}:{key}:{member.user.pk}",
            related=f"intel.sighting:{sighting.pk}",
        )


def change_state(access: OrgAccess, sighting: Sighting, state: str) -> Sighting:
    """The reporting establishment acknowledges or closes its sighting (audited)."""
    access.require(Cap.HANDLE_ALERTS)
    if sighting.organisation_id != access.organisation.pk:
        raise SightingRefused("not_yours")
    if state not in SightingState.values:
        raise SightingRefused("bad_state", state=state)
    with transaction.atomic():
        before = sighting.state
        sighting.state = state
        if state == SightingState.ACKNOWLEDGED and sighting.acknowledged_at is None:
            sighting.acknowledged_at = timezone.now()
            sighting.acknowledged_by = access.user
        sighting.save(update_fields=["state", "acknowledged_at", "acknowledged_by", "updated_at"])
        audit(
            Action.SIGHTING_STATE_CHANGED,
            actor=access.user,
            organisation=access.organisation,
            target=sighting,
            target_label=f"{sighting.type}:{sighting.value}"[:200],
            details={"from": before, "to": state},
        )
    return sighting


IDEMPOTENCY_HEADER = "Idempotency-Key"

# The request field each refusal is about, for the API's error object.
REFUSAL_FIELDS = {
    "unknown_indicator": "value",
    "bad_type": "type",
    "bad_log_type": "log_type",
    "bad_tlp": "tlp",
    "bad_count": "count",
    "bad_value": "value",
    "first_after_last": "first_seen",
    "in_the_future": "last_seen",
    "bad_state": "state",
    "bad_source": "source",
    "no_indicator": "indicator_id",
    "bad_indicator_id": "indicator_id",
    "unknown_indicator_id": "indicator_id",
    "indicator_mismatch": "indicator_id",
    "bad_idempotency_key": IDEMPOTENCY_HEADER,
    "idempotency_key_reused": IDEMPOTENCY_HEADER,
}


def refusal_message(refused: SightingRefused) -> str:
    """The reason a report was refused, in the reader's language."""
    params = refused.params
    messages = {
        "unknown_indicator": _(
            "No indicator %(type)s “%(value)s” that your organisation may see: report "
            "sightings of the indicators shared with you."
        ),
        "bad_type": _("Unknown indicator type “%(type)s”."),
        "bad_log_type": _("Unknown log type “%(log_type)s”: use %(choices)s."),
        "bad_tlp": _("A sighting is marked CLEAR, GREEN, AMBER or AMBER+STRICT (not “%(tlp)s”)."),
        "bad_count": _("The count must be between 1 and 10¹² (not %(count)s)."),
        "bad_value": _("The value “%(value)s” is not a valid %(type)s."),
        "first_after_last": _("first_seen is after last_seen."),
        "in_the_future": _("last_seen is in the future."),
        "not_yours": _("Only the organisation that reported a sighting changes its state."),
        "bad_state": _("Unknown state “%(state)s”."),
        "bad_source": _("Unknown source “%(source)s”: use api or sensor."),
        "no_indicator": _("Name the indicator seen: its indicator_id, or its type and value."),
        "bad_indicator_id": _("“%(indicator_id)s” is not a STIX indicator id (indicator--<uuid>)."),
        "unknown_indicator_id": _(
            "No indicator “%(indicator_id)s” that your organisation may see: report "
            "sightings of the indicators shared with you."
        ),
        "indicator_mismatch": _(
            "The type and value sent are not those of indicator “%(indicator_id)s” "
            "(%(type)s “%(value)s”)."
        ),
        "bad_idempotency_key": _(
            "The Idempotency-Key header must be 1 to 100 printable ASCII characters, "
            "without a space at either end."
        ),
        "idempotency_key_reused": _(
            "This Idempotency-Key was already used for a different report: send each new "
            "report with a new key, and only a retry with the same key."
        ),
    }
    text = messages.get(refused.code, refused.code)
    return str(text) % {"choices": ", ".join(LogType.values), **params} if "%(" in text else text
