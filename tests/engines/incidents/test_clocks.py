"""Regulatory clocks of an incident: due times, statuses, reminders, from frozen datetimes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone

import pytest

from vigie.engines.incidents.clocks import (
    REGULATION,
    CaseFacts,
    Code,
    Obligation,
    Status,
    add_one_month,
    obligations,
    reminders_due,
)

AWARE = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
H = timedelta(hours=1)
D = timedelta(days=1)


def facts(
    *,
    aware_at: datetime | None = AWARE,
    nis2_entity: str = "essential",
    personal_data: bool = True,
    high_risk_to_people: bool = True,
    resolved_at: datetime | None = None,
    submitted: Mapping[str, datetime] | None = None,
    intermediate_requested_due: datetime | None = None,
    immediate_target: timedelta = timedelta(hours=24),
) -> CaseFacts:
    return CaseFacts(
        aware_at=aware_at,
        nis2_entity=nis2_entity,
        personal_data=personal_data,
        high_risk_to_people=high_risk_to_people,
        resolved_at=resolved_at,
        submitted=submitted or {},
        intermediate_requested_due=intermediate_requested_due,
        immediate_target=immediate_target,
    )


def by_code(case: CaseFacts, now: datetime) -> dict[Code, Obligation]:
    return {o.code: o for o in obligations(case, now)}


def one(case: CaseFacts, now: datetime, code: Code) -> Obligation:
    return by_code(case, now)[code]


# Due times


def test_ars_cert_sante_is_due_at_the_immediate_target_after_awareness() -> None:
    assert one(facts(), AWARE, Code.ARS_CERT_SANTE).due_at == AWARE + 24 * H
    short = facts(immediate_target=timedelta(hours=4))
    assert one(short, AWARE, Code.ARS_CERT_SANTE).due_at == AWARE + 4 * H


def test_nis2_early_warning_is_due_24_hours_after_awareness() -> None:
    assert one(facts(), AWARE, Code.NIS2_EARLY_WARNING).due_at == AWARE + 24 * H


def test_nis2_notification_is_due_72_hours_after_awareness() -> None:
    assert one(facts(), AWARE, Code.NIS2_NOTIFICATION).due_at == AWARE + 72 * H


def test_nis2_final_is_due_one_month_after_the_notification_due_time_until_it_is_submitted() -> (
    None
):
    resolved = facts(resolved_at=AWARE + 2 * D)
    assert one(resolved, AWARE, Code.NIS2_FINAL).due_at == datetime(2026, 4, 13, 8, tzinfo=UTC)


def test_nis2_final_is_due_one_month_after_the_notification_was_submitted() -> None:
    sent = AWARE + 30 * H
    case = facts(resolved_at=AWARE + 2 * D, submitted={"nis2_notification": sent})
    assert one(case, AWARE, Code.NIS2_FINAL).due_at == datetime(2026, 4, 11, 14, tzinfo=UTC)


def test_nis2_final_follows_a_late_notification_submission() -> None:
    sent = AWARE + 100 * H
    case = facts(resolved_at=AWARE + 2 * D, submitted={"nis2_notification": sent})
    assert one(case, sent, Code.NIS2_FINAL).due_at == add_one_month(sent)


def test_nis2_intermediate_is_due_when_the_authority_said() -> None:
    asked = AWARE + 10 * D
    assert one(facts(intermediate_requested_due=asked), AWARE, Code.NIS2_INTERMEDIATE).due_at == (
        asked
    )


def test_nis2_intermediate_does_not_apply_without_a_request() -> None:
    assert Code.NIS2_INTERMEDIATE not in by_code(facts(), AWARE)


def test_gdpr_authority_is_due_72_hours_after_awareness() -> None:
    assert one(facts(), AWARE, Code.GDPR_AUTHORITY).due_at == AWARE + 72 * H


def test_gdpr_data_subjects_are_due_at_the_immediate_target() -> None:
    case = facts(immediate_target=timedelta(hours=48))
    assert one(case, AWARE, Code.GDPR_DATA_SUBJECTS).due_at == AWARE + 48 * H


def test_each_obligation_carries_its_regulation() -> None:
    for obligation in obligations(facts(intermediate_requested_due=AWARE + 5 * D), AWARE):
        assert obligation.regulation == REGULATION[obligation.code]
    assert REGULATION[Code.ARS_CERT_SANTE] == "fr_health"
    assert REGULATION[Code.NIS2_FINAL] == "nis2"
    assert REGULATION[Code.GDPR_DATA_SUBJECTS] == "gdpr"
    assert set(REGULATION) == set(Code)


# One month


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (datetime(2026, 1, 31, 9, 30, tzinfo=UTC), datetime(2026, 2, 28, 9, 30, tzinfo=UTC)),
        (datetime(2028, 1, 31, 9, 30, tzinfo=UTC), datetime(2028, 2, 29, 9, 30, tzinfo=UTC)),
        (datetime(2026, 3, 31, 0, 0, tzinfo=UTC), datetime(2026, 4, 30, 0, 0, tzinfo=UTC)),
        (datetime(2026, 12, 15, 23, 59, tzinfo=UTC), datetime(2027, 1, 15, 23, 59, tzinfo=UTC)),
        (datetime(2026, 2, 28, 12, 0, tzinfo=UTC), datetime(2026, 3, 28, 12, 0, tzinfo=UTC)),
    ],
)
def test_one_month_is_the_same_day_of_next_month_clamped_to_its_last_day(
    start: datetime, expected: datetime
) -> None:
    assert add_one_month(start) == expected


def test_one_month_is_counted_in_utc() -> None:
    paris = timezone(timedelta(hours=1))
    # 1 February 00:30 in Paris is 31 January 23:30 UTC: the clamp applies.
    start = datetime(2026, 2, 1, 0, 30, tzinfo=paris)
    assert add_one_month(start) == datetime(2026, 2, 28, 23, 30, tzinfo=UTC)


def test_nis2_final_due_time_clamps_to_the_end_of_a_short_month() -> None:
    aware = datetime(2026, 1, 28, 10, tzinfo=UTC)  # notification due 31 January 10:00
    case = facts(aware_at=aware, resolved_at=aware + D)
    assert one(case, aware, Code.NIS2_FINAL).due_at == datetime(2026, 2, 28, 10, tzinfo=UTC)


# Statuses at the boundaries


def test_a_24_hour_clock_is_pending_until_6_hours_before_due() -> None:
    due = AWARE + 24 * H
    assert one(facts(), due - 6 * H - timedelta(seconds=1), Code.NIS2_EARLY_WARNING).status == (
        Status.PENDING
    )
    assert one(facts(), due - 6 * H, Code.NIS2_EARLY_WARNING).status == Status.DUE_SOON


def test_a_72_hour_clock_is_due_soon_from_24_hours_before_due() -> None:
    due = AWARE + 72 * H
    before = due - 24 * H - timedelta(microseconds=1)
    assert one(facts(), before, Code.NIS2_NOTIFICATION).status == Status.PENDING
    assert one(facts(), due - 24 * H, Code.NIS2_NOTIFICATION).status == Status.DUE_SOON
    assert one(facts(), due - 24 * H, Code.GDPR_AUTHORITY).status == Status.DUE_SOON


def test_a_one_month_clock_is_due_soon_from_7_days_before_due() -> None:
    case = facts(resolved_at=AWARE + D)
    due = datetime(2026, 4, 13, 8, tzinfo=UTC)
    assert one(case, due - 7 * D - timedelta(seconds=1), Code.NIS2_FINAL).status == Status.PENDING
    assert one(case, due - 7 * D, Code.NIS2_FINAL).status == Status.DUE_SOON


def test_an_immediate_clock_is_due_soon_from_half_its_target() -> None:
    case = facts(immediate_target=timedelta(hours=8))
    assert one(case, AWARE + 4 * H - timedelta(seconds=1), Code.ARS_CERT_SANTE).status == (
        Status.PENDING
    )
    assert one(case, AWARE + 4 * H, Code.ARS_CERT_SANTE).status == Status.DUE_SOON
    assert one(case, AWARE + 4 * H, Code.GDPR_DATA_SUBJECTS).status == Status.DUE_SOON


def test_a_clock_is_overdue_from_its_due_instant_included() -> None:
    due = AWARE + 24 * H
    just_before = one(facts(), due - timedelta(microseconds=1), Code.NIS2_EARLY_WARNING)
    at_due = one(facts(), due, Code.NIS2_EARLY_WARNING)
    assert just_before.status == Status.DUE_SOON
    assert at_due.status == Status.OVERDUE
    assert at_due.remaining == timedelta(0)
    assert at_due.late_by == timedelta(0)


def test_remaining_counts_down_and_turns_negative_when_overdue() -> None:
    due = AWARE + 72 * H
    pending = one(facts(), AWARE + H, Code.NIS2_NOTIFICATION)
    assert pending.remaining == 71 * H
    assert pending.late_by is None
    overdue = one(facts(), due + 5 * H, Code.NIS2_NOTIFICATION)
    assert overdue.remaining == -5 * H
    assert overdue.late_by == 5 * H


def test_a_submission_on_time_is_submitted_with_no_remaining_time() -> None:
    sent = AWARE + 20 * H
    obligation = one(
        facts(submitted={"nis2_early_warning": sent}), AWARE + 50 * H, Code.NIS2_EARLY_WARNING
    )
    assert obligation.status == Status.SUBMITTED
    assert obligation.submitted_at == sent
    assert obligation.remaining is None
    assert obligation.late_by is None


def test_a_submission_at_the_due_instant_is_on_time() -> None:
    due = AWARE + 24 * H
    obligation = one(facts(submitted={"nis2_early_warning": due}), due, Code.NIS2_EARLY_WARNING)
    assert obligation.status == Status.SUBMITTED


def test_a_submission_after_the_due_time_is_submitted_late_by_the_difference() -> None:
    due = AWARE + 24 * H
    case = facts(submitted={"nis2_early_warning": due + 90 * timedelta(minutes=1)})
    obligation = one(case, due + 10 * H, Code.NIS2_EARLY_WARNING)
    assert obligation.status == Status.SUBMITTED_LATE
    assert obligation.late_by == 90 * timedelta(minutes=1)
    assert obligation.remaining is None


def test_submitted_accepts_the_code_enum_as_key() -> None:
    case = facts(submitted={Code.ARS_CERT_SANTE: AWARE + H})
    assert one(case, AWARE + 2 * H, Code.ARS_CERT_SANTE).status == Status.SUBMITTED


# GDPR art. 33(1): reasons for delay


def test_gdpr_authority_needs_late_reasons_once_overdue() -> None:
    due = AWARE + 72 * H
    assert not one(facts(), due - H, Code.GDPR_AUTHORITY).needs_late_reasons
    assert one(facts(), due, Code.GDPR_AUTHORITY).needs_late_reasons


def test_gdpr_authority_needs_late_reasons_when_submitted_late() -> None:
    due = AWARE + 72 * H
    late = one(facts(submitted={"gdpr_authority": due + H}), due + 2 * H, Code.GDPR_AUTHORITY)
    on_time = one(facts(submitted={"gdpr_authority": due - H}), due + 2 * H, Code.GDPR_AUTHORITY)
    assert late.needs_late_reasons
    assert not on_time.needs_late_reasons


def test_only_the_gdpr_authority_notification_asks_for_late_reasons() -> None:
    long_after = AWARE + 400 * D
    for obligation in obligations(facts(), long_after):
        assert obligation.needs_late_reasons == (obligation.code == Code.GDPR_AUTHORITY)


# NIS2 art. 23(4)(e): progress report while the incident is ongoing


def test_an_ongoing_incident_owes_a_progress_report_at_the_final_report_time() -> None:
    by = by_code(facts(), AWARE)
    assert by[Code.NIS2_PROGRESS].due_at == datetime(2026, 4, 13, 8, tzinfo=UTC)
    final = by[Code.NIS2_FINAL]
    assert final.due_at is None
    assert final.status == Status.PENDING
    assert final.remaining is None
    assert final.reminders == ()


def test_the_final_report_is_due_one_month_after_the_incident_is_handled() -> None:
    resolved = datetime(2026, 5, 31, 17, tzinfo=UTC)  # after the progress report's time
    by = by_code(facts(resolved_at=resolved), resolved)
    assert by[Code.NIS2_PROGRESS].due_at == datetime(2026, 4, 13, 8, tzinfo=UTC)
    assert by[Code.NIS2_PROGRESS].status == Status.OVERDUE
    assert by[Code.NIS2_FINAL].due_at == datetime(2026, 6, 30, 17, tzinfo=UTC)
    assert by[Code.NIS2_FINAL].status == Status.PENDING


def test_an_incident_handled_before_the_final_report_time_owes_no_progress_report() -> None:
    final_time = datetime(2026, 4, 13, 8, tzinfo=UTC)
    for resolved in (AWARE + D, final_time):
        by = by_code(facts(resolved_at=resolved), AWARE)
        assert Code.NIS2_PROGRESS not in by
        assert by[Code.NIS2_FINAL].due_at == final_time


def test_a_final_report_filed_in_time_while_ongoing_owes_no_progress_report() -> None:
    case = facts(submitted={"nis2_final": AWARE + 20 * D})
    by = by_code(case, AWARE + 40 * D)
    assert Code.NIS2_PROGRESS not in by
    assert by[Code.NIS2_FINAL].status == Status.SUBMITTED


def test_a_submitted_progress_report_is_on_time_or_late_like_any_report() -> None:
    due = datetime(2026, 4, 13, 8, tzinfo=UTC)
    case = facts(submitted={"nis2_progress": due + D})
    assert one(case, due + 2 * D, Code.NIS2_PROGRESS).status == Status.SUBMITTED_LATE


# Applicability


def test_ars_and_cert_sante_always_apply() -> None:
    case = facts(nis2_entity="", personal_data=False, high_risk_to_people=False)
    assert [o.code for o in obligations(case, AWARE)] == [Code.ARS_CERT_SANTE]


@pytest.mark.parametrize("entity", ["essential", "important"])
def test_nis2_applies_to_essential_and_important_entities(entity: str) -> None:
    case = facts(nis2_entity=entity, personal_data=False)
    codes = {o.code for o in obligations(case, AWARE)}
    assert {Code.NIS2_EARLY_WARNING, Code.NIS2_NOTIFICATION, Code.NIS2_FINAL} <= codes


def test_nis2_does_not_apply_to_an_entity_outside_its_scope() -> None:
    case = facts(nis2_entity="", intermediate_requested_due=AWARE + D)
    assert not any(o.regulation == "nis2" for o in obligations(case, AWARE))


def test_an_unknown_nis2_entity_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="nis2_entity"):
        obligations(facts(nis2_entity="operator"), AWARE)


def test_gdpr_does_not_apply_without_personal_data() -> None:
    case = facts(personal_data=False, high_risk_to_people=True)
    assert not any(o.regulation == "gdpr" for o in obligations(case, AWARE))


def test_data_subjects_are_owed_a_communication_only_when_the_risk_is_high() -> None:
    low = by_code(facts(high_risk_to_people=False), AWARE)
    assert Code.GDPR_AUTHORITY in low
    assert Code.GDPR_DATA_SUBJECTS not in low


# Before awareness


def test_without_awareness_every_clock_is_not_started_with_no_due_time() -> None:
    found = obligations(facts(aware_at=None), AWARE)
    assert {o.code for o in found} == {
        Code.ARS_CERT_SANTE,
        Code.NIS2_EARLY_WARNING,
        Code.NIS2_NOTIFICATION,
        Code.NIS2_FINAL,
        Code.GDPR_AUTHORITY,
        Code.GDPR_DATA_SUBJECTS,
    }
    for obligation in found:
        assert obligation.status == Status.NOT_STARTED
        assert obligation.due_at is None
        assert obligation.remaining is None
        assert obligation.reminders == ()
        assert not obligation.needs_late_reasons


def test_without_awareness_a_requested_intermediate_report_keeps_the_given_due_time() -> None:
    asked = AWARE + 5 * D
    case = facts(aware_at=None, intermediate_requested_due=asked)
    intermediate = one(case, asked + H, Code.NIS2_INTERMEDIATE)
    assert intermediate.due_at == asked
    assert intermediate.status == Status.OVERDUE
    assert one(case, asked + H, Code.NIS2_FINAL).status == Status.NOT_STARTED


def test_without_awareness_a_recorded_submission_still_counts_as_submitted() -> None:
    case = facts(aware_at=None, submitted={"ars_cert_sante": AWARE})
    obligation = one(case, AWARE, Code.ARS_CERT_SANTE)
    assert obligation.status == Status.SUBMITTED
    assert obligation.submitted_at == AWARE


# Order


def test_obligations_come_by_due_time_then_code_order_unknown_due_last() -> None:
    case = facts(intermediate_requested_due=AWARE + 72 * H)
    codes = [o.code for o in obligations(case, AWARE)]
    assert codes == [
        Code.ARS_CERT_SANTE,  # +24 h, before the early warning in code order
        Code.NIS2_EARLY_WARNING,  # +24 h
        Code.GDPR_DATA_SUBJECTS,  # +24 h
        Code.NIS2_NOTIFICATION,  # +72 h
        Code.NIS2_INTERMEDIATE,  # +72 h
        Code.GDPR_AUTHORITY,  # +72 h
        Code.NIS2_PROGRESS,  # one month
        Code.NIS2_FINAL,  # unknown while ongoing
    ]


def test_obligations_are_the_same_whatever_the_order_of_submissions() -> None:
    first = {"gdpr_authority": AWARE + H, "ars_cert_sante": AWARE + 2 * H}
    second = dict(reversed(list(first.items())))
    assert obligations(facts(submitted=first), AWARE) == obligations(facts(submitted=second), AWARE)


# Time zones


def test_times_in_another_zone_are_read_as_the_same_instants_in_utc() -> None:
    paris = timezone(timedelta(hours=1))
    case = facts(aware_at=AWARE.astimezone(paris))
    due = one(case, AWARE, Code.NIS2_EARLY_WARNING).due_at
    assert due == AWARE + 24 * H
    assert due is not None
    assert due.tzinfo == UTC


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2026, 3, 10, 8, 0)  # the point of the test
    with pytest.raises(ValueError, match="timezone-aware"):
        obligations(facts(aware_at=naive), AWARE)
    with pytest.raises(ValueError, match="timezone-aware"):
        obligations(facts(), naive)


def test_a_non_positive_immediate_target_is_refused() -> None:
    with pytest.raises(ValueError, match="immediate_target"):
        obligations(facts(immediate_target=timedelta(0)), AWARE)


# Reminders


def test_a_24_hour_clock_reminds_6_hours_and_1_hour_before_and_at_due() -> None:
    due = AWARE + 24 * H
    assert one(facts(), AWARE, Code.NIS2_EARLY_WARNING).reminders == (due - 6 * H, due - H, due)


def test_a_72_hour_clock_reminds_24_6_and_1_hours_before_and_at_due() -> None:
    due = AWARE + 72 * H
    expected = (due - 24 * H, due - 6 * H, due - H, due)
    assert one(facts(), AWARE, Code.NIS2_NOTIFICATION).reminders == expected
    assert one(facts(), AWARE, Code.GDPR_AUTHORITY).reminders == expected


def test_a_one_month_clock_reminds_7_days_and_1_day_before_and_at_due() -> None:
    due = datetime(2026, 4, 13, 8, tzinfo=UTC)
    assert one(facts(), AWARE, Code.NIS2_PROGRESS).reminders == (due - 7 * D, due - D, due)


def test_an_immediate_clock_reminds_at_half_its_target_1_hour_before_and_at_due() -> None:
    case = facts(immediate_target=timedelta(hours=8))
    due = AWARE + 8 * H
    assert one(case, AWARE, Code.ARS_CERT_SANTE).reminders == (due - 4 * H, due - H, due)


def test_reminders_before_awareness_are_skipped() -> None:
    case = facts(immediate_target=timedelta(minutes=30))
    due = AWARE + timedelta(minutes=30)
    # Half the target (15 min before due) stays; one hour before due is before awareness.
    assert one(case, AWARE, Code.ARS_CERT_SANTE).reminders == (due - timedelta(minutes=15), due)


def test_reminders_before_awareness_are_skipped_for_a_requested_intermediate_report() -> None:
    asked = AWARE + 3 * H
    case = facts(intermediate_requested_due=asked)
    assert one(case, AWARE, Code.NIS2_INTERMEDIATE).reminders == (asked - H, asked)


def test_reminders_due_are_those_whose_time_has_come_in_time_order() -> None:
    now = AWARE + 18 * H  # 6 h before the 24 h clocks
    due = reminders_due(obligations(facts(), now), now, sent=())
    assert due == [
        (Code.ARS_CERT_SANTE, AWARE + 12 * H),  # half of the 24 h immediate target
        (Code.GDPR_DATA_SUBJECTS, AWARE + 12 * H),
        (Code.NIS2_EARLY_WARNING, now),
    ]


def test_reminders_due_include_the_reminder_at_the_due_instant() -> None:
    now = AWARE + 24 * H
    case = facts(nis2_entity="", personal_data=False)
    assert reminders_due(obligations(case, now), now, sent=()) == [
        (Code.ARS_CERT_SANTE, now - 12 * H),
        (Code.ARS_CERT_SANTE, now - H),
        (Code.ARS_CERT_SANTE, now),
    ]


def test_reminders_due_skip_those_already_sent_so_a_rerun_sends_each_once() -> None:
    now = AWARE + 24 * H
    found = obligations(facts(), now)
    first = reminders_due(found, now, sent=())
    assert first
    sent = {(str(code), at) for code, at in first}
    assert reminders_due(found, now, sent=sent) == []
    later = now + 48 * H
    again = reminders_due(obligations(facts(), later), later, sent=sent)
    assert again
    assert not set(again) & set(first)


def test_reminders_due_match_sent_markers_in_another_time_zone() -> None:
    now = AWARE + 18 * H
    paris = timezone(timedelta(hours=1))
    sent = [("nis2_early_warning", now.astimezone(paris))]
    due = reminders_due(obligations(facts(), now), now, sent=sent)
    assert (Code.NIS2_EARLY_WARNING, now) not in due
    assert (Code.ARS_CERT_SANTE, AWARE + 12 * H) in due


def test_reminders_due_skip_submitted_obligations() -> None:
    now = AWARE + 30 * H
    case = facts(submitted={"nis2_early_warning": AWARE + 25 * H})
    codes = {code for code, _at in reminders_due(obligations(case, now), now, sent=())}
    assert Code.NIS2_EARLY_WARNING not in codes
    assert Code.ARS_CERT_SANTE in codes


def test_no_reminder_is_due_before_awareness_is_recorded() -> None:
    now = AWARE + 400 * D
    assert reminders_due(obligations(facts(aware_at=None), now), now, sent=()) == []
