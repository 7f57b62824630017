"""Matching owed to stored data: written with the data, cleared when done, resumed when not.

The SIGKILL scenarios are in test_crash_safety.py; these tests drive the same machinery in the
test process: runs whose process is gone, owed rows nobody drains, outdated evaluations, and
what the feeds and import pages show of it.
"""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from vigie.core import scheduling
from vigie.engines.feeds import FeedContent
from vigie.engines.offline import load_feed_paths
from vigie.inventory import actions
from vigie.inventory.models import Asset, InventoryImport
from vigie.tenancy.access import OrgAccess
from vigie.vulns import liveness, matching
from vigie.vulns.feed_import import store_and_match
from vigie.vulns.models import Alert, FeedRun, PendingMatch, Vulnerability
from vigie.vulns.pending import drain, match_import, resume_pending
from vigie.vulns.runs import start_run

from .support import HEADER, import_csv, load_feeds

PORTAL = (
    "portal,Portail patients,server,Apache,HTTP Server,2.4.59,"
    "cpe:2.3:a:apache:http_server:2.4.59:*:*:*:*:*:*:*,,,business,internet,DMZ\n"
)
CVE = "CVE-2024-38475"


def dead_pid() -> int:
    """The pid of a process that has exited (and was reaped): as a killed importer's."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def stored_without_matching(small_feeds: Path) -> dict[str, Any]:
    content, fatal = load_feed_paths([small_feeds])
    assert not fatal
    return store_and_match(content, match=False)


def test_records_stored_without_matching_stay_owed_until_the_resume_job_matches_them(
    a_access: OrgAccess, small_feeds: Path
) -> None:
    import_csv(a_access, HEADER + PORTAL)
    stored_without_matching(small_feeds)
    assert not Alert.objects.exists()
    assert PendingMatch.objects.filter(vulnerability__vuln_id=CVE).exists()
    resumed = resume_pending(triggered_by="test")
    assert resumed.owed > 0
    assert Alert.objects.filter(vulnerability__vuln_id=CVE, priority="act").exists()
    assert not PendingMatch.objects.exists()
    assert resumed.run is not None
    assert resumed.run.source == "resume"
    assert resumed.run.state == "ok"


def test_a_run_whose_process_is_gone_is_interrupted_and_another_run_finishes_its_matching(
    a_access: OrgAccess, small_feeds: Path
) -> None:
    import_csv(a_access, HEADER + PORTAL)
    stored_without_matching(small_feeds)
    # As a killed `vigie vulns import` leaves it: running, owning the rows it wrote.
    killed = start_run(source="file", location="nvd.jsonl", triggered_by="cli")
    FeedRun.objects.filter(pk=killed.pk).update(pid=dead_pid())
    PendingMatch.objects.update(feed_run=killed)
    resumed = resume_pending(triggered_by="test")
    killed.refresh_from_db()
    assert killed.state == "interrupted"
    assert killed.resumed_by == resumed.run
    assert "stopped before the end" in killed.errors[-1]
    assert [item.run.pk for item in resumed.interrupted] == [killed.pk]
    assert Alert.objects.filter(vulnerability__vuln_id=CVE).exists()
    assert not PendingMatch.objects.exists()


def test_a_running_run_of_a_live_process_keeps_its_rows(
    a_access: OrgAccess, small_feeds: Path
) -> None:
    import_csv(a_access, HEADER + PORTAL)
    stored_without_matching(small_feeds)
    alive = start_run(source="file", location="nvd.jsonl", triggered_by="cli")  # this process
    PendingMatch.objects.update(feed_run=alive)
    resumed = resume_pending(triggered_by="test")
    assert resumed.run is None
    alive.refresh_from_db()
    assert alive.state == "running"
    assert not Alert.objects.exists()


def test_a_run_on_another_machine_is_interrupted_only_once_its_heartbeat_is_silent(
    db: Any,
) -> None:
    run = start_run(source="nvd-api", location="https://nvd.example/", triggered_by="schedule")
    FeedRun.objects.filter(pk=run.pk).update(host="elsewhere", pid=4242, process_key="other")
    resume_pending(triggered_by="test")
    run.refresh_from_db()
    assert run.state == "running"
    FeedRun.objects.filter(pk=run.pk).update(
        heartbeat_at=F("heartbeat_at") - liveness.SILENT_FOR - timedelta(seconds=5)
    )
    resume_pending(triggered_by="test")
    run.refresh_from_db()
    assert run.state == "interrupted"
    assert "silent for" in run.errors[-1]


def test_rows_of_a_request_still_matching_are_left_to_it_for_a_minute(
    a_access: OrgAccess, small_feeds: Path
) -> None:
    load_feeds(small_feeds)
    asset = Asset.objects.create(
        organisation=a_access.organisation,
        external_id="portal",
        name="Portail",
        kind="server",
        cpes=["cpe:2.3:a:apache:http_server:2.4.59:*:*:*:*:*:*:*"],
    )
    matching.index_assets([asset])
    PendingMatch.objects.create(asset=asset)  # as a web request writes it, owned by nobody
    assert resume_pending(triggered_by="test").run is None
    PendingMatch.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    resume_pending(triggered_by="test")  # the request died: its asset is matched anyway
    assert Alert.objects.filter(organisation=a_access.organisation).exists()
    assert not PendingMatch.objects.exists()


def test_an_evaluation_of_outdated_data_is_not_applied_and_is_done_again(
    a_access: OrgAccess, small_feeds: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_csv(a_access, HEADER + PORTAL)
    stored_without_matching(small_feeds)
    real = matching._records_of
    changed: list[str] = []

    def records_then_a_concurrent_change(vulnerabilities: Any) -> Any:
        found = real(vulnerabilities)
        if not changed:
            # Another process stores a new record of the CVE while this one evaluates it.
            Vulnerability.objects.filter(vuln_id=CVE).update(data_version=F("data_version") + 1)
            changed.append(CVE)
        return found

    monkeypatch.setattr(matching, "_records_of", records_then_a_concurrent_change)
    applied: list[str] = []
    real_apply = matching.alerting.apply

    def counting_apply(**kwargs: Any) -> Any:
        applied.append(kwargs["vulnerability"].vuln_id)
        return real_apply(**kwargs)

    monkeypatch.setattr(matching.alerting, "apply", counting_apply)
    drain(PendingMatch.objects.all())
    # Applied once, from the data of after the change: the first evaluation was dropped.
    assert applied.count(CVE) == 1
    assert Alert.objects.filter(vulnerability__vuln_id=CVE).exists()
    assert not PendingMatch.objects.exists()


def test_exploitation_changes_owe_matching_only_where_a_vulnerability_alerts(
    a_access: OrgAccess, small_feeds: Path
) -> None:
    import_csv(a_access, HEADER + PORTAL)
    content, _ = load_feed_paths([small_feeds])
    store_and_match(FeedContent(vulns=content.vulns))
    alert = Alert.objects.get(vulnerability__vuln_id=CVE)
    others = Vulnerability.objects.exclude(alerts__isnull=False).count()
    assert others > 0
    run = start_run(source="file", location="kev.json", triggered_by="test")
    summary = store_and_match(FeedContent(kev=content.kev), run=run, match=False)
    assert summary["kev_changed"] > 0
    owed = set(PendingMatch.objects.values_list("vulnerability__vuln_id", "exploitation_only"))
    alerting_ids = set(Alert.objects.values_list("vulnerability__vuln_id", flat=True))
    assert owed
    assert {vuln_id for vuln_id, _ in owed} <= alerting_ids
    assert all(exploitation_only for _, exploitation_only in owed)
    drain(PendingMatch.objects.filter(feed_run=run))
    alert.refresh_from_db()
    assert alert.decision["exploitation"] == "active"  # KEV-listed now


def test_deleting_an_asset_closes_the_alerts_it_was_the_last_of(
    a_access: OrgAccess, small_feeds: Path
) -> None:
    import_csv(a_access, HEADER + PORTAL)
    load_feeds(small_feeds)
    asset = Asset.objects.get(external_id="portal")
    actions.delete_asset(access=a_access, asset=asset)
    alert = Alert.objects.get(vulnerability__vuln_id=CVE)
    assert alert.state == "resolved"
    assert alert.closed_reason == "no_longer_affected"
    assert not PendingMatch.objects.exists()


def test_rematch_evaluates_everything_in_one_recorded_run(
    a_access: OrgAccess, small_feeds: Path
) -> None:
    import_csv(a_access, HEADER + PORTAL)
    stored_without_matching(small_feeds)
    out = io.StringIO()
    call_command("vulns", "rematch", stdout=out)
    assert '"alerts_created"' in out.getvalue()
    assert Alert.objects.filter(vulnerability__vuln_id=CVE).exists()
    run = FeedRun.objects.get(source="rematch")
    assert run.state == "ok"
    assert not PendingMatch.objects.exists()


def test_resume_matching_is_a_job_of_every_minute() -> None:
    job = next(j for j in scheduling.registered_jobs() if j.name == "resume-matching")
    assert job.every == timedelta(minutes=1)
    assert job.enabled()


# --- pages ----------------------------------------------------------------------------------


def test_the_feeds_page_shows_an_interrupted_run_and_the_run_that_resumed_it(
    a_access: OrgAccess, small_feeds: Path, centre_analyst: Any, client_for: Any
) -> None:
    import_csv(a_access, HEADER + PORTAL)
    stored_without_matching(small_feeds)
    killed = start_run(source="file", location="/srv/feeds/nvd.json.gz", triggered_by="cli")
    FeedRun.objects.filter(pk=killed.pk).update(pid=dead_pid())
    PendingMatch.objects.update(feed_run=killed)
    client = client_for(centre_analyst)
    page = client.get("/o/centre/feeds/").content.decode()
    # Shown as interrupted at once, before any job noticed it.
    assert f'data-run="{killed.pk}" data-state="interrupted"' in page
    assert "Interrompu" in page
    resumed = resume_pending(triggered_by="test")
    assert resumed.run is not None
    page = client.get("/o/centre/feeds/").content.decode()
    assert f"n°\u00a0{resumed.run.pk}" in page  # "resumed by run n° …"
    assert "Reprise du rapprochement" in page


def test_a_committed_import_shows_its_matching_progress_until_done(
    a_admin: Any, a_access: OrgAccess, small_feeds: Path, client_for: Any, settings: Any
) -> None:
    load_feeds(small_feeds)
    # A real queue: the commit only queues the matching, as in production.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.VIGIE_TASKS_BACKEND = "database"
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(a_admin)
    client.post(
        "/o/chu-alpha/inventory/import/",
        {"file": SimpleUploadedFile("inv.csv", (HEADER + PORTAL).encode(), "text/csv")},
    )
    job = InventoryImport.objects.get()
    response = client.post(f"/o/chu-alpha/inventory/import/{job.pk}/commit/")
    assert response["Location"] == f"/o/chu-alpha/inventory/import/{job.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert 'data-state="queued"' in page
    assert "hx-trigger" in page  # polls while matching
    assert "Vous pouvez quitter cette page" in page
    assert not Alert.objects.exists()
    match_import(job.pk)  # what the worker's task runs
    fragment = client.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    assert fragment.startswith('<section class="card" id="import-matching"')
    assert 'data-state="done"' in fragment
    assert "hx-trigger" not in fragment  # polling stops
    created = Alert.objects.filter(organisation=a_access.organisation).count()
    assert f"Terminé. Nouvelles alertes\u00a0: {created}\u00a0;" in fragment
    assert Alert.objects.filter(vulnerability__vuln_id=CVE).exists()


def test_an_import_whose_matching_was_interrupted_says_it_resumes_by_itself(
    a_admin: Any, a_access: OrgAccess, client_for: Any
) -> None:
    job = InventoryImport.objects.create(
        organisation=a_access.organisation,
        uploaded_by=a_admin,
        file_name="inv.csv",
        file_sha256="0" * 64,
        state=InventoryImport.State.COMMITTED,
        match_state=InventoryImport.MatchState.INTERRUPTED,
    )
    client = client_for(a_admin)
    client.cookies["vigie-language"] = "en"  # the English page, this time
    fragment = client.get(
        f"/o/chu-alpha/inventory/import/{job.pk}/", headers={"HX-Request": "true"}
    ).content.decode()
    assert 'data-state="interrupted"' in fragment
    assert "It resumes by itself within a minute" in fragment
