"""The findings of a set: RPO, checks, restore tests, the 3-2-1-1-0 rule, the data jump."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from vigie.engines.backups import Check, Policy, RestoreTest, Snapshot
from vigie.engines.backups.evaluate import added_jump, evaluate, jumps, rule_met

NOW = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)
GOOD = Policy(rpo_hours=24, rto_hours=4, copies=3, media=2, offsite=True, offline_or_immutable=True)
MB = 1024 * 1024


def _daily(n: int, added: int, last_hours_ago: float = 2) -> list[Snapshot]:
    return [
        Snapshot(
            tool_id=f"s{i:02d}",
            taken_at=NOW - timedelta(hours=last_hours_ago + 24 * (n - 1 - i)),
            data_added=added,
        )
        for i in range(n)
    ]


def _check(days_ago: float = 1, ok: bool = True) -> Check:
    return Check(at=NOW - timedelta(days=days_ago), ok=ok, errors=0 if ok else 2)


def _test(days_ago: int = 10, minutes: int = 60, result: str = "success") -> RestoreTest:
    return RestoreTest((NOW - timedelta(days=days_ago)).date(), minutes, result)


def _codes(
    policy: Policy = GOOD,
    snaps: list[Snapshot] | None = None,
    checks: list[Check] | None = None,
    tests: list[RestoreTest] | None = None,
    check_every_days: int | None = None,
) -> set[str]:
    found = evaluate(
        policy,
        _daily(5, MB) if snaps is None else snaps,
        [_check()] if checks is None else checks,
        [_test()] if tests is None else tests,
        NOW,
        check_every_days=check_every_days,
    )
    return {f.code for f in found}


def test_a_set_in_good_order_has_no_finding_and_meets_the_rule() -> None:
    found = evaluate(GOOD, _daily(5, MB), [_check()], [_test()], NOW)
    assert found == []
    assert rule_met(found)


def test_nothing_recorded_says_so() -> None:
    assert _codes(snaps=[], checks=[], tests=[]) == {
        "never_backed_up",
        "check_never",
        "restore_test_never",
    }


def test_a_backup_older_than_the_rpo_is_stale_with_its_age_and_anchor() -> None:
    found = evaluate(GOOD, _daily(3, MB, last_hours_ago=30), [_check()], [_test()], NOW)
    (stale,) = found
    assert stale.code == "stale"
    assert stale.params["hours"] == 30
    assert stale.params["rpo_hours"] == 24
    assert stale.anchor == "s02"  # the last success: a new episode after the next one


def test_failed_and_overdue_checks() -> None:
    assert _codes(checks=[_check(1, ok=False)]) == {"check_failed", "check_errors"}
    assert _codes(checks=[_check(40)]) == {"check_overdue"}
    assert _codes(checks=[_check(10)], check_every_days=7) == {"check_overdue"}
    # A failed check followed by a good one is over.
    assert _codes(checks=[_check(3, ok=False), _check(1)]) == set()


def test_restore_tests_overdue_failed_and_over_the_rto() -> None:
    assert _codes(tests=[_test(days_ago=200)]) == {"restore_test_overdue"}
    assert _codes(tests=[_test(result="partial")]) == {"restore_failed"}
    found = evaluate(GOOD, _daily(5, MB), [_check()], [_test(minutes=300)], NOW)
    assert [(f.code, f.params["minutes"]) for f in found] == [("restore_over_rto", 300)]


def test_the_3_2_1_1_0_rule_findings() -> None:
    weak = Policy(
        rpo_hours=24, rto_hours=4, copies=2, media=1, offsite=False, offline_or_immutable=False
    )
    found = evaluate(weak, _daily(5, MB), [_check()], [_test()], NOW)
    assert {f.code for f in found} == {
        "too_few_copies",
        "single_media",
        "no_offsite",
        "no_offline_copy",
    }
    assert not rule_met(found)


def test_a_backup_adding_far_more_than_usual_is_a_jump() -> None:
    history = [*_daily(6, 200 * MB, last_hours_ago=26), Snapshot("big", NOW, data_added=3000 * MB)]
    found = [
        f for f in evaluate(GOOD, history, [_check()], [_test()], NOW) if f.code == "added_jump"
    ]
    assert [f.anchor for f in found] == ["big"]
    assert found[0].params["factor"] == 15.0
    assert jumps(history) == {"big"}


def test_no_jump_below_the_floor_without_history_or_for_a_single_large_earlier_backup() -> None:
    small = [*_daily(6, 1 * MB, last_hours_ago=26), Snapshot("x", NOW, data_added=50 * MB)]
    assert added_jump(small) is None  # 50 times more but under 100 MB
    short = [*_daily(2, 200 * MB, last_hours_ago=26), Snapshot("x", NOW, data_added=5000 * MB)]
    assert added_jump(short) is None  # fewer than 3 earlier backups
    # The median ignores one large earlier backup: the last one is judged against the usual.
    spiky = _daily(6, 200 * MB, last_hours_ago=26)
    spiky[2] = Snapshot("spike", spiky[2].taken_at, data_added=9000 * MB)
    assert added_jump([*spiky, Snapshot("y", NOW, data_added=1200 * MB)]) is not None
    assert added_jump([*spiky, Snapshot("z", NOW, data_added=900 * MB)]) is None


def test_facts_after_now_are_ignored() -> None:
    later = [Snapshot("future", NOW + timedelta(hours=1), data_added=MB)]
    assert "never_backed_up" in _codes(snaps=later)
    future_test = [RestoreTest(date(2027, 1, 1), 10, "success")]
    assert "restore_test_never" in _codes(tests=future_test)
