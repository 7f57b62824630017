"""Regulatory clocks of one incident, computed from the facts of the case.

Legal bases, one obligation code each:

- France, health sector: an information-system incident of a health establishment is reported
  "sans délai" to the ARS and to CERT Santé (Code de la santé publique, art. L. 1111-8-2 and
  D. 1111-16-2 ff.). "Sans délai" has no hour count: the centre sets a practical target
  (`CaseFacts.immediate_target`, 24 h by default).
- NIS2 (Directive (EU) 2022/2555), art. 23(4), essential and important entities only:
  (a) early warning within 24 h of awareness; (b) incident notification within 72 h;
  (c) intermediate report when the CSIRT or authority asks for one, by the time they set;
  (d) final report within one month of the notification; (e) when the incident is still
  ongoing at that time, a progress report then and the final report within one month of the
  incident's handling.
- GDPR (Regulation (EU) 2016/679): art. 33(1), notification of a personal data breach to the
  supervisory authority (the CNIL) within 72 h of awareness, with the reasons for any delay;
  art. 34(1), communication to the data subjects "without undue delay" when the breach is
  likely to result in a high risk to them (same practical target as "sans délai").

Everything here is a pure function of `CaseFacts` and an explicit `now`; the results are codes
and datetimes, which the platform stores and translates.

Boundary choices (tests pin them): a clock not submitted is OVERDUE from its due instant
included (`now >= due_at`), the moment the "now overdue" reminder goes out; a submission at
the due instant exactly is on time (late only when `submitted_at > due_at`).
"""

from __future__ import annotations

import calendar
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum


class Code(StrEnum):
    """Obligation codes, stored in the database by the platform: never rename one."""

    ARS_CERT_SANTE = "ars_cert_sante"
    NIS2_EARLY_WARNING = "nis2_early_warning"
    NIS2_NOTIFICATION = "nis2_notification"
    NIS2_INTERMEDIATE = "nis2_intermediate"
    NIS2_PROGRESS = "nis2_progress"
    NIS2_FINAL = "nis2_final"
    GDPR_AUTHORITY = "gdpr_authority"
    GDPR_DATA_SUBJECTS = "gdpr_data_subjects"


class Status(StrEnum):
    NOT_STARTED = "not_started"  # no awareness time yet: the clock has not started
    PENDING = "pending"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    SUBMITTED = "submitted"
    SUBMITTED_LATE = "submitted_late"


FR_HEALTH = "fr_health"
NIS2 = "nis2"
GDPR = "gdpr"

REGULATION: dict[Code, str] = {
    Code.ARS_CERT_SANTE: FR_HEALTH,
    Code.NIS2_EARLY_WARNING: NIS2,
    Code.NIS2_NOTIFICATION: NIS2,
    Code.NIS2_INTERMEDIATE: NIS2,
    Code.NIS2_PROGRESS: NIS2,
    Code.NIS2_FINAL: NIS2,
    Code.GDPR_AUTHORITY: GDPR,
    Code.GDPR_DATA_SUBJECTS: GDPR,
}

NIS2_ENTITIES: frozenset[str] = frozenset({"essential", "important"})

# Declaration order of `Code` breaks ties between clocks due at the same time.
_ORDER: dict[Code, int] = {code: index for index, code in enumerate(Code)}

_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class _Kind:
    """How a clock warns: the DUE_SOON window and the reminder offsets before the due time."""

    window: timedelta
    offsets: tuple[timedelta, ...]


_H24 = _Kind(window=6 * _HOUR, offsets=(6 * _HOUR, _HOUR))
_H72 = _Kind(window=24 * _HOUR, offsets=(24 * _HOUR, 6 * _HOUR, _HOUR))
_MONTH = _Kind(window=7 * _DAY, offsets=(7 * _DAY, _DAY))


def _immediate(target: timedelta) -> _Kind:
    return _Kind(window=target / 2, offsets=(target / 2, _HOUR))


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What the case records; every datetime timezone-aware."""

    aware_at: datetime | None
    nis2_entity: str  # "essential", "important" or "" (not subject to NIS2)
    personal_data: bool  # personal data breached (availability, integrity or confidentiality)
    high_risk_to_people: bool  # GDPR art. 34 applies
    resolved_at: datetime | None  # incident handled (recovered or closed); None while ongoing
    submitted: Mapping[str, datetime] = field(default_factory=dict)  # code -> first submission
    intermediate_requested_due: datetime | None = None
    immediate_target: timedelta = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Obligation:
    code: Code
    regulation: str  # FR_HEALTH, NIS2 or GDPR
    due_at: datetime | None
    status: Status
    submitted_at: datetime | None
    remaining: timedelta | None  # due_at - now while not submitted (negative when overdue)
    late_by: timedelta | None  # when overdue or submitted late
    reminders: tuple[datetime, ...]  # ascending, the due time itself last
    needs_late_reasons: bool  # GDPR art. 33(1): late or overdue, reasons must accompany


def add_one_month(moment: datetime) -> datetime:
    """The same day of the next calendar month, same time, clamped to that month's last day
    (31 January -> 28 or 29 February): NIS2's "one month", counted in UTC."""
    moment = moment.astimezone(UTC)
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        # A naive datetime would be read in whatever zone the worker runs in: refuse it.
        raise ValueError(f"{name} must be timezone-aware")
    return moment.astimezone(UTC)


def _utc(moment: datetime | None, name: str) -> datetime | None:
    return None if moment is None else _aware(moment, name)


def _reminders(due_at: datetime, kind: _Kind, aware_at: datetime | None) -> tuple[datetime, ...]:
    times = {due_at - offset for offset in kind.offsets} | {due_at}
    # A reminder before the case was even known would be noise sent all at once.
    return tuple(sorted(t for t in times if aware_at is None or t >= aware_at))


def _obligation(
    code: Code,
    due_at: datetime | None,
    kind: _Kind,
    facts: CaseFacts,
    aware_at: datetime | None,
    now: datetime,
    *,
    started: bool = True,
) -> Obligation:
    submitted_at = _utc(facts.submitted.get(code), f"submitted[{code}]")
    remaining: timedelta | None = None
    late_by: timedelta | None = None
    if submitted_at is not None:
        # A submission is a fact even when the awareness time was never recorded.
        if due_at is not None and submitted_at > due_at:
            status = Status.SUBMITTED_LATE
            late_by = submitted_at - due_at
        else:
            status = Status.SUBMITTED
    elif not started:
        status = Status.NOT_STARTED
    elif due_at is None:
        # Started but its due time is not known yet (NIS2 final report of an ongoing incident).
        status = Status.PENDING
    else:
        remaining = due_at - now
        if now >= due_at:
            status = Status.OVERDUE
            late_by = now - due_at
        elif now >= due_at - kind.window:
            status = Status.DUE_SOON
        else:
            status = Status.PENDING
    late = status in (Status.OVERDUE, Status.SUBMITTED_LATE)
    return Obligation(
        code=code,
        regulation=REGULATION[code],
        due_at=due_at,
        status=status,
        submitted_at=submitted_at,
        remaining=remaining,
        late_by=late_by,
        reminders=() if due_at is None else _reminders(due_at, kind, aware_at),
        needs_late_reasons=code is Code.GDPR_AUTHORITY and late,
    )


def _nis2(facts: CaseFacts, aware_at: datetime | None, now: datetime) -> list[Obligation]:
    found: list[Obligation] = []
    started = aware_at is not None
    early_due = None if aware_at is None else aware_at + 24 * _HOUR
    notification_due = None if aware_at is None else aware_at + 72 * _HOUR
    found.append(
        _obligation(Code.NIS2_EARLY_WARNING, early_due, _H24, facts, aware_at, now, started=started)
    )
    notification = _obligation(
        Code.NIS2_NOTIFICATION, notification_due, _H72, facts, aware_at, now, started=started
    )
    found.append(notification)
    requested = _utc(facts.intermediate_requested_due, "intermediate_requested_due")
    if requested is not None:
        # Art. 23(4)(c): only on request, by the time the CSIRT or authority set; the request
        # itself starts this clock, so it runs even without a recorded awareness time.
        found.append(_obligation(Code.NIS2_INTERMEDIATE, requested, _H72, facts, aware_at, now))
    if notification_due is None:
        found.append(
            _obligation(Code.NIS2_FINAL, None, _MONTH, facts, aware_at, now, started=False)
        )
        return found
    # Art. 23(4)(d): one month after the notification, counted from its due time until it
    # is actually submitted.
    final_due = add_one_month(notification.submitted_at or notification_due)
    resolved_at = _utc(facts.resolved_at, "resolved_at")
    final_submitted = _utc(facts.submitted.get(Code.NIS2_FINAL), "submitted[nis2_final]")
    ongoing = resolved_at is None or resolved_at > final_due
    if ongoing and (final_submitted is None or final_submitted > final_due):
        # Art. 23(4)(e): still ongoing at the final report's time -> a progress report is due
        # then, and the final report one month after the incident is handled (unknown while
        # it is not). Decided from the facts, so the case shows what to prepare in advance.
        found.append(_obligation(Code.NIS2_PROGRESS, final_due, _MONTH, facts, aware_at, now))
        final_due_after = None if resolved_at is None else add_one_month(resolved_at)
        found.append(_obligation(Code.NIS2_FINAL, final_due_after, _MONTH, facts, aware_at, now))
    else:
        found.append(_obligation(Code.NIS2_FINAL, final_due, _MONTH, facts, aware_at, now))
    return found


def obligations(facts: CaseFacts, now: datetime) -> list[Obligation]:
    """The obligations that apply to the case, by due time (unknown last), then code order.

    ARS and CERT Santé always; NIS2 for essential and important entities; GDPR art. 33 when
    personal data are breached, art. 34 when the risk to the people is also high. Without an
    awareness time every clock is NOT_STARTED with no due time, except a requested NIS2
    intermediate report, whose due time the authority gave."""
    if facts.nis2_entity not in NIS2_ENTITIES and facts.nis2_entity != "":
        raise ValueError(
            f"nis2_entity must be 'essential', 'important' or '': {facts.nis2_entity!r}"
        )
    if facts.immediate_target <= timedelta(0):
        raise ValueError("immediate_target must be positive")
    checked_now = _aware(now, "now")
    aware_at = _utc(facts.aware_at, "aware_at")
    started = aware_at is not None
    immediate = _immediate(facts.immediate_target)
    immediate_due = None if aware_at is None else aware_at + facts.immediate_target
    found = [
        _obligation(
            Code.ARS_CERT_SANTE,
            immediate_due,
            immediate,
            facts,
            aware_at,
            checked_now,
            started=started,
        )
    ]
    if facts.nis2_entity in NIS2_ENTITIES:
        found += _nis2(facts, aware_at, checked_now)
    if facts.personal_data:
        gdpr_due = None if aware_at is None else aware_at + 72 * _HOUR
        found.append(
            _obligation(
                Code.GDPR_AUTHORITY, gdpr_due, _H72, facts, aware_at, checked_now, started=started
            )
        )
        if facts.high_risk_to_people:
            found.append(
                _obligation(
                    Code.GDPR_DATA_SUBJECTS,
                    immediate_due,
                    immediate,
                    facts,
                    aware_at,
                    checked_now,
                    started=started,
                )
            )
    return sorted(found, key=_sort_key)


def _sort_key(obligation: Obligation) -> tuple[bool, datetime, int]:
    due = obligation.due_at
    return (due is None, due or datetime.min.replace(tzinfo=UTC), _ORDER[obligation.code])


def reminders_due(
    obligations: Iterable[Obligation], now: datetime, sent: Collection[tuple[str, datetime]]
) -> list[tuple[Code, datetime]]:
    """Reminders whose time has come (<= now), for obligations not yet submitted and not
    already in `sent` (code, reminder time), by time then code order.

    The platform writes each reminder it sends as a durable marker (`sent`) in the transaction
    that queues its notifications, so a worker that crashed and re-runs sends each at most
    once; reminders missed while the worker was down all come due at its next run."""
    checked_now = _aware(now, "now")
    sent_set = {(str(code), at) for code, at in sent}
    due: list[tuple[Code, datetime]] = []
    for obligation in obligations:
        if obligation.submitted_at is not None:
            continue
        due += [
            (obligation.code, at)
            for at in obligation.reminders
            if at <= checked_now and (str(obligation.code), at) not in sent_set
        ]
    return sorted(due, key=lambda item: (item[1], _ORDER[item[0]]))
