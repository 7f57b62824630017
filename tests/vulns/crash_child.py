"""The process the crash tests kill: runs one real step of the platform on a scenario database.

`python -m tests.vulns.crash_child ACTION [ARG ...]`, with VIGIE_DATABASE_URL naming the
scenario's own database and VIGIE_TASKS_BACKEND=database (tests/vulns/test_crash_safety.py
sets both). The kill is the test's doing, not the platform's: this module wraps one internal
step so that the process sends itself SIGKILL there (nothing runs after it: no `finally`, no
atexit, no rollback but the database's own), then runs the real command. Actions that recover
print a JSON dump of the resulting alerts and deliveries on the last line of stdout.
"""

from __future__ import annotations

import io
import os
import signal
import sys
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "src" / "vigie" / "vulns" / "demo_data"
# A slice of the demo feeds (the test writes it), read over the demo inventories.
FEEDS = Path(os.environ.get("VIGIE_CRASH_FEEDS", DEMO / "feeds"))
INVENTORY = DEMO / "inventories" / "chu-val-de-loire.csv"


def die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def kill_on_call(module: Any, name: str, nth: int, *, after: bool = False) -> None:
    """Replace module.name: the nth call kills the process (before it runs, or just after)."""
    real = getattr(module, name)
    calls = 0

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == nth and not after:
            die()
        result = real(*args, **kwargs)
        if calls == nth and after:
            die()
        return result

    setattr(module, name, wrapper)


def access_of(slug: str) -> Any:
    from vigie.tenancy.access import OrgAccess
    from vigie.tenancy.models import Membership
    from vigie.tenancy.roles import Role

    membership = Membership.objects.select_related("user", "organisation").get(
        organisation__slug=slug, role=Role.ADMIN
    )
    return OrgAccess(
        user=membership.user, organisation=membership.organisation, membership=membership
    )


def import_inventory() -> Any:
    from vigie.inventory import imports

    access = access_of(INVENTORY.stem)
    with INVENTORY.open("rb") as stream:
        job = imports.preview(access=access, stream=stream, file_name=INVENTORY.name)
    assert job.state == "preview", job.errors
    imports.commit(access=access, job=job)
    return job


def dump() -> dict[str, Any]:
    from vigie.inventory.models import InventoryImport
    from vigie.notify.models import Delivery
    from vigie.vulns.models import Alert, AlertAsset, FeedRun, PendingMatch

    alerts = sorted(
        [org, vuln, asset, source, confidence, active, state, priority]
        for org, vuln, asset, source, confidence, active, state, priority in (
            AlertAsset.objects.values_list(
                "alert__organisation__slug",
                "alert__vulnerability__vuln_id",
                "asset__external_id",
                "source",
                "confidence",
                "active",
                "alert__state",
                "alert__priority",
            )
        )
    )
    alert_names = {
        f"vulns.alert:{pk}": f"{org}/{vuln}"
        for pk, org, vuln in Alert.objects.values_list(
            "pk", "organisation__slug", "vulnerability__vuln_id"
        )
    }
    # What alerts caused; digests and escalations follow the clock, not the import.
    caused = Delivery.objects.filter(related_object__startswith="vulns.alert:")
    deliveries = Counter(
        "|".join((alert_names.get(related, related), event, transport, recipient, channel or ""))
        for related, event, transport, recipient, channel in caused.values_list(
            "related_object", "event", "transport", "recipient", "channel__name"
        )
    )
    keys = Counter(
        (related, event, recipient, key)
        for related, event, recipient, key in caused.values_list(
            "related_object", "event", "recipient", "idempotency_key"
        )
    )
    return {
        "alerts": alerts,
        "deliveries": dict(sorted(deliveries.items())),
        "deliveries_per_key": max(keys.values(), default=0),
        "pending": PendingMatch.objects.count(),
        "runs": sorted(FeedRun.objects.values_list("state", flat=True)),
        "interrupted_unresumed": FeedRun.objects.filter(
            state=FeedRun.State.INTERRUPTED, resumed_by__isnull=True
        )
        .exclude(source="resume")
        .count(),
        "imports": sorted(
            InventoryImport.objects.exclude(match_state="").values_list("match_state", flat=True)
        ),
    }


def main(action: str, *args: str) -> None:
    import django

    django.setup()
    import orjson
    from django.core.management import call_command

    from vigie.core.demo import DemoReport
    from vigie.vulns import alerting, feed_import, matching, store

    # Small batches and chunks, in every run alike, so that a few hundred records make several
    # of each: kills land between committed batches and between cleared chunks.
    store.BATCH = 100
    matching.MATCH_CHUNK = 50
    out = io.StringIO()
    if action == "setup":  # a template: the schema and the demo's people, or what `args` adds
        if "base" in args:
            from vigie.core.demo.organisations import load_organisations

            call_command("migrate", verbosity=0)
            load_organisations(DemoReport())
        if "inventories" in args:
            from vigie.vulns.demo import load_inventories

            load_inventories(DemoReport())
        if "feeds" in args:
            call_command("vulns", "import", str(FEEDS), stdout=out, stderr=out)
        return
    if action == "feed-import":  # killed at `phase`, the nth time it comes
        phase, nth = args[0], int(args[1])
        if phase == "after-store":
            kill_on_call(feed_import, "drain", nth)
        elif phase == "mid-store":
            kill_on_call(store, "_store_batch", nth, after=True)
        elif phase == "mid-match":
            kill_on_call(alerting, "apply", nth)
        call_command("vulns", "import", str(FEEDS), stdout=out, stderr=out)
        return
    if action == "inventory-import":
        phase, nth = args[0], int(args[1])
        import_inventory()
        if phase == "after-store":
            die()
        kill_on_call(alerting, "apply", nth)
        call_command("worker", "--batch", stdout=out, stderr=out)
        return
    if action == "recover-import":  # the operator runs the same import again
        errors = io.StringIO()
        call_command("vulns", "import", str(FEEDS), stdout=out, stderr=errors)
        report = {"summary": orjson.loads(out.getvalue()), "stderr": errors.getvalue()}
        print(orjson.dumps({**dump(), "report": report}).decode())
        return
    if action == "recover-worker":  # a worker starts: it runs what is queued
        call_command("worker", "--batch", stdout=out, stderr=out)
    elif action == "recover-job":  # the periodic job's next slot
        from vigie.vulns.jobs import resume_matching

        resume_matching.call()
    elif action == "clean-feed":
        call_command("vulns", "import", str(FEEDS), stdout=out, stderr=out)
    elif action == "clean-inventory":
        import_inventory()
        call_command("worker", "--batch", stdout=out, stderr=out)
    else:
        raise SystemExit(f"unknown action {action}")
    print(orjson.dumps(dump()).decode())


if __name__ == "__main__":
    main(*sys.argv[1:])
