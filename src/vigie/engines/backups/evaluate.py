"""What a backup set's policy and history mean at `now`: findings, codes with parameters.

Codes: never_backed_up, stale, check_never, check_failed, check_overdue, restore_test_never,
restore_test_overdue, restore_failed, restore_over_rto, too_few_copies, single_media,
no_offsite, no_offline_copy, check_errors, added_jump. Each finding has an `anchor` naming
its episode (the last success it counts from, the failed check, the policy values...): the
platform notifies each (set, code, anchor) once.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from vigie.engines.backups.model import Check, Finding, Policy, RestoreTest, Snapshot

# The data-added jump. Ransomware re-encrypts the files it reaches: to the backup tool they
# are new files whose chunks match nothing stored, so they no longer deduplicate and the next
# backup adds far more than usual. Compared with the median of the previous backups (a median,
# not a mean, so that one earlier large backup does not hide the next one), and only above an
# absolute floor so that small sets (a few megabytes on a quiet day) do not raise alarms.
JUMP_HISTORY = 10  # previous backups the median is taken from (at most)
JUMP_MIN_HISTORY = 3  # fewer previous backups than this: no judgement
JUMP_FACTOR = 5.0
JUMP_FLOOR_BYTES = 100 * 1024 * 1024
CHECK_PERIOD_DAYS = 31

PROBLEM_CODES = (
    "never_backed_up",
    "stale",
    "check_never",
    "check_failed",
    "check_overdue",
    "check_errors",
    "restore_test_never",
    "restore_test_overdue",
    "restore_failed",
    "restore_over_rto",
    "too_few_copies",
    "single_media",
    "no_offsite",
    "no_offline_copy",
    "added_jump",
)


@dataclass(frozen=True, slots=True)
class Jump:
    snapshot: Snapshot
    median: float
    factor: float


def added_jump(
    snapshots: Iterable[Snapshot],
    *,
    history: int = JUMP_HISTORY,
    factor: float = JUMP_FACTOR,
    floor_bytes: int = JUMP_FLOOR_BYTES,
) -> Jump | None:
    """The last backup, when it added more than `factor` times the median of the previous
    ones (at least 3 of them with a known size) and more than `floor_bytes`."""
    sized = sorted(
        (s for s in snapshots if s.data_added is not None), key=lambda s: (s.taken_at, s.tool_id)
    )
    if len(sized) < JUMP_MIN_HISTORY + 1:
        return None
    last = sized[-1]
    previous = [s.data_added or 0 for s in sized[-1 - history : -1]]
    if len(previous) < JUMP_MIN_HISTORY:
        return None
    median = float(statistics.median(previous))
    added = float(last.data_added or 0)
    if added <= floor_bytes or added <= factor * median:
        return None
    return Jump(snapshot=last, median=median, factor=added / median if median else 0.0)


def jumps(snapshots: Iterable[Snapshot], **options: int | float) -> set[str]:
    """The tool ids of every backup that was a jump against the ones before it (for charts)."""
    ordered = sorted(
        (s for s in snapshots if s.data_added is not None), key=lambda s: (s.taken_at, s.tool_id)
    )
    found = set()
    for end in range(JUMP_MIN_HISTORY + 1, len(ordered) + 1):
        jump = added_jump(
            ordered[:end],
            history=int(options.get("history", JUMP_HISTORY)),
            factor=float(options.get("factor", JUMP_FACTOR)),
            floor_bytes=int(options.get("floor_bytes", JUMP_FLOOR_BYTES)),
        )
        if jump is not None:
            found.add(jump.snapshot.tool_id)
    return found


def _hours(delta: timedelta) -> int:
    return int(delta.total_seconds() // 3600)


def evaluate(
    policy: Policy,
    snapshots: Iterable[Snapshot],
    checks: Iterable[Check],
    restore_tests: Iterable[RestoreTest],
    now: datetime,
    *,
    check_every_days: int | None = None,
) -> list[Finding]:
    """The findings about one set at `now` (facts after `now` are ignored)."""
    found: list[Finding] = []
    history = sorted((s for s in snapshots if s.taken_at <= now), key=lambda s: s.taken_at)
    checks_done = sorted((c for c in checks if c.at <= now), key=lambda c: c.at)
    tests = sorted(
        (t for t in restore_tests if t.tested_on <= now.date()), key=lambda t: t.tested_on
    )

    # Recovery point: the last success against the RPO.
    if not history:
        found.append(Finding("never_backed_up", "never"))
    else:
        last = history[-1]
        age = now - last.taken_at
        if age > timedelta(hours=policy.rpo_hours):
            found.append(
                Finding(
                    "stale",
                    last.tool_id,
                    {"hours": _hours(age), "rpo_hours": policy.rpo_hours, "last": last.taken_at},
                )
            )
        jump = added_jump(history)
        if jump is not None:
            found.append(
                Finding(
                    "added_jump",
                    jump.snapshot.tool_id,
                    {
                        "added": jump.snapshot.data_added,
                        "median": int(jump.median),
                        "factor": round(jump.factor, 1),
                        "at": jump.snapshot.taken_at,
                    },
                )
            )

    # Integrity: the last check's result, and how long ago it ran.
    period = check_every_days if check_every_days is not None else policy.check_every_days
    if not checks_done:
        found.append(Finding("check_never", "never"))
    else:
        check = checks_done[-1]
        anchor = check.at.isoformat()
        if not check.ok:
            found.append(Finding("check_failed", anchor, {"at": check.at, "errors": check.errors}))
            # The "0" of 3-2-1-1-0: zero errors at the last verification.
            found.append(Finding("check_errors", anchor, {"errors": check.errors}))
        if now - check.at > timedelta(days=period):
            found.append(
                Finding(
                    "check_overdue",
                    anchor,
                    {"days": (now - check.at).days, "period_days": period, "at": check.at},
                )
            )

    # Restore tests: recent enough, successful, within the RTO.
    if not tests:
        found.append(Finding("restore_test_never", "never"))
    else:
        test = tests[-1]
        anchor = test.tested_on.isoformat()
        days = (now.date() - test.tested_on).days
        if days > policy.restore_test_every_days:
            found.append(
                Finding(
                    "restore_test_overdue",
                    anchor,
                    {
                        "days": days,
                        "every_days": policy.restore_test_every_days,
                        "on": test.tested_on,
                    },
                )
            )
        if test.result != "success":
            found.append(
                Finding("restore_failed", anchor, {"on": test.tested_on, "result": test.result})
            )
        if test.duration_minutes is not None and test.duration_minutes > policy.rto_hours * 60:
            found.append(
                Finding(
                    "restore_over_rto",
                    anchor,
                    {
                        "minutes": test.duration_minutes,
                        "rto_hours": policy.rto_hours,
                        "on": test.tested_on,
                    },
                )
            )

    # 3-2-1-1-0: three copies, two media, one off-site, one offline or immutable.
    if policy.copies < 3:
        found.append(
            Finding("too_few_copies", f"copies={policy.copies}", {"copies": policy.copies})
        )
    if policy.media < 2:
        found.append(Finding("single_media", f"media={policy.media}", {"media": policy.media}))
    if not policy.offsite:
        found.append(Finding("no_offsite", "policy"))
    if not policy.offline_or_immutable:
        found.append(Finding("no_offline_copy", "policy"))
    return found


RULE_CODES = ("too_few_copies", "single_media", "no_offsite", "no_offline_copy", "check_errors")


def rule_met(findings: Iterable[Finding]) -> bool:
    """Whether the set meets 3-2-1-1-0 (a check with zero errors included)."""
    codes = {f.code for f in findings}
    return not codes & set(RULE_CODES) and "check_never" not in codes
