"""The resilience part of the isolation matrix's world (issue 19): one object of each kind of
the backups, continuity, exercises, training and phishing apps for establishment A, made with
the apps' own actions the way their tests make them, and the snapshot of that data that a
refused request must leave as it was."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from tests.continuity.support import unit_with_plan
from tests.training.support import right_answers
from vigie.backups import actions as backup_actions
from vigie.backups.models import BackupSet, IntegrityCheck, RestoreTest, Snapshot, Source
from vigie.continuity.models import (
    Contact,
    ContinuityPlan,
    CriticalProcess,
    MutualAid,
    PaperForm,
)
from vigie.exercises import actions as exercise_actions
from vigie.exercises.models import (
    Exercise,
    ExerciseAction,
    Inject,
    Lesson,
    Observation,
    Participant,
)
from vigie.inventory.models import Asset
from vigie.phishing import actions as phishing_actions
from vigie.phishing.models import Campaign, ListEntry, RecipientList, Target
from vigie.phishing.models import Source as RecipientSource
from vigie.phishing.tokens import token_for
from vigie.tenancy.access import OrgAccess
from vigie.tenancy.models import CareUnit, Membership, Organisation
from vigie.training import actions as training_actions
from vigie.training.models import Assignment, Completion, TrainingModule
from vigie.training.sync import sync_catalogue


def restic_snapshots(short_id: str, when: str) -> str:
    """`restic snapshots --json` with one snapshot (the shape of tests/engines/backups)."""
    return json.dumps(
        [
            {
                "time": when,
                "tree": "07c4",
                "paths": ["/srv/pacs"],
                "hostname": "pacs",
                "username": "root",
                "id": short_id * 8,
                "short_id": short_id,
            }
        ]
    )


# A status file of a snapshot the world does not hold yet: the upload rows store something.
NEW_STATUS = restic_snapshots("bbbbbbbb", "2026-01-02T01:00:00Z")


def _campaign(
    access: OrgAccess, name: str, recipient_list: RecipientList | None, rate: int = 20
) -> Campaign:
    return phishing_actions.save_campaign(
        access,
        phishing_actions.CampaignInput(
            name=name,
            template="password_expiry",
            language="en",
            sender_name="Service informatique",
            source=RecipientSource.LIST if recipient_list is not None else RecipientSource.MEMBERS,
            care_unit=None,
            recipient_list=recipient_list,
            rate=rate,
        ),
    )


def resilience_objects(est_a: Organisation, a_admin: Any, asset: Asset) -> dict[str, Any]:
    """A's resilience data; the World fields (ids and tokens) that the matrix rows name."""
    access = OrgAccess(
        user=a_admin, organisation=est_a, membership=Membership.objects.get(user=a_admin)
    )

    # Backups: a set with a snapshot and a restore test.
    backup_set = backup_actions.save_set(
        access, BackupSet(system="PACS Alpha", tool="restic", schedule="nightly"), [asset]
    )
    backup_actions.ingest(
        access,
        backup_set,
        restic_snapshots("aaaaaaaa", "2026-01-01T01:00:00Z").encode(),
        kind="snapshots",
        exit_code=None,
        source=Source.UPLOAD,
    )
    backup_actions.record_restore_test(
        access,
        backup_set,
        tested_on=timezone.localdate() - timedelta(days=10),
        duration_minutes=45,
        result="success",
        restored="PACS database",
        performed_by="DSI",
    )

    # Continuity: a care unit with its plan and one contact.
    unit, plan = unit_with_plan(est_a)
    contact = plan.contacts.get()

    # Exercises: one planned, one running (with an inject and an action owned by a name).
    planned = exercise_actions.create_exercise(
        access, title="", kind="tabletop", planned_for=date(2026, 3, 1), template="ransomware"
    )
    running = exercise_actions.create_exercise(
        access, title="", kind="tabletop", planned_for=date(2026, 2, 1), template="ransomware"
    )
    running = exercise_actions.start_exercise(access, running)
    inject = running.injects.order_by("offset_minutes", "pk").first()
    assert inject is not None
    exercise_action = exercise_actions.add_action(
        access,
        running,
        title="Print the downtime forms",
        due_on=timezone.localdate() + timedelta(days=30),
        owner_name="Cadre de santé",
    )

    # Training: a module of the catalogue, A's admin's completion, an assignment.
    sync_catalogue()
    module = TrainingModule.objects.get(organisation=None, slug="phishing")
    completion = training_actions.complete(
        access, module, right_answers(module), version=module.version
    ).completion
    assignment = training_actions.assign(
        access,
        module=module,
        roles=[],
        care_units=[],
        due_on=timezone.localdate() + timedelta(days=14),
    )

    # Phishing: a draft campaign to the members, a list, and a campaign to that list being sent
    # (one message a minute: the first is sent, the second waits, so the campaign can be stopped).
    draft = _campaign(access, "Spring exercise", None)
    recipient_list = phishing_actions.upload_list(
        access,
        name="Staff",
        filename="staff.csv",
        content=(
            b"email,name,service\n"
            b"agent0@example.org,Agent 0,Urgences\n"
            b"agent1@example.org,Agent 1,SAMU\n"
        ),
    )
    sent = _campaign(access, "Winter exercise", recipient_list, rate=1)
    phishing_actions.launch(access, sent)
    phishing_actions.send_due()
    target = Target.objects.get(campaign=sent, sent_at__isnull=False)

    return {
        "a_backup_set": backup_set.pk,
        "a_unit": unit.pk,
        "a_contact": contact.pk,
        "a_exercise": running.pk,
        "a_exercise_planned": planned.pk,
        "a_inject": inject.pk,
        "a_exercise_action": exercise_action.pk,
        "a_module": module.pk,
        "a_completion": completion.pk,
        "a_assignment": assignment.pk,
        "a_campaign": draft.pk,
        "a_campaign_sent": sent.pk,
        "a_phishing_token": token_for(target.pk),
    }


def _rows(queryset: Any, *fields: str) -> list[tuple[Any, ...]]:
    return sorted(queryset.values_list("pk", *fields))


def resilience_state(a: Organisation) -> dict[str, Any]:
    """A's resilience data, for `snapshot_of_a`."""
    sets = BackupSet.objects.filter(organisation=a)
    plans = ContinuityPlan.objects.filter(organisation=a)
    exercises = Exercise.objects.filter(organisation=a)
    campaigns = Campaign.objects.filter(organisation=a)
    return {
        "backup_sets": _rows(
            sets,
            "system",
            "tool",
            "schedule",
            "rpo_hours",
            "rto_hours",
            "copies_count",
            "media_count",
            "offsite",
            "offline_or_immutable",
            "restore_test_every_days",
            "notes",
        ),
        "backup_set_assets": sorted(
            BackupSet.assets.through.objects.filter(backupset__organisation=a).values_list(
                "backupset_id", "asset_id"
            )
        ),
        "backup_snapshots": _rows(
            Snapshot.objects.filter(backup_set__in=sets), "tool_id", "taken_at", "data_added"
        ),
        "backup_checks": _rows(IntegrityCheck.objects.filter(backup_set__in=sets), "ok"),
        "restore_tests": _rows(
            RestoreTest.objects.filter(backup_set__in=sets), "tested_on", "result"
        ),
        "care_units": _rows(CareUnit.objects.filter(organisation=a), "name", "code"),
        "member_units": _rows(Membership.objects.filter(organisation=a), "care_unit_id"),
        "plans": _rows(
            plans,
            "care_unit_id",
            "admission_procedure",
            "prescription_procedure",
            "kit_location",
            "kit_contents",
            "kit_checked_on",
            "review_every_months",
            "last_reviewed_at",
        ),
        "plan_contacts": _rows(Contact.objects.filter(plan__in=plans), "name", "phone"),
        "plan_forms": _rows(PaperForm.objects.filter(plan__in=plans), "name"),
        "plan_processes": _rows(CriticalProcess.objects.filter(plan__in=plans), "name"),
        "plan_aid": _rows(MutualAid.objects.filter(plan__in=plans), "partner"),
        "exercises": _rows(
            exercises,
            "title",
            "kind",
            "status",
            "planned_for",
            "scenario",
            "objectives",
            "started_at",
            "ended_at",
        ),
        "exercise_injects": _rows(
            Inject.objects.filter(exercise__in=exercises), "title", "delivered_at"
        ),
        "exercise_participants": _rows(
            Participant.objects.filter(exercise__in=exercises), "role", "membership_id", "name"
        ),
        "exercise_observations": _rows(Observation.objects.filter(exercise__in=exercises), "text"),
        "exercise_lessons": _rows(Lesson.objects.filter(exercise__in=exercises), "text"),
        "exercise_actions": _rows(
            ExerciseAction.objects.filter(exercise__in=exercises), "title", "status", "closed_at"
        ),
        "training_assignments": _rows(
            Assignment.objects.filter(organisation=a), "module_id", "roles", "due_on"
        ),
        "training_completions": _rows(
            Completion.objects.filter(organisation=a), "user_id", "score", "passed"
        ),
        "phishing_lists": _rows(RecipientList.objects.filter(organisation=a), "name"),
        "phishing_entries": _rows(
            ListEntry.objects.filter(recipient_list__organisation=a), "email"
        ),
        "phishing_campaigns": _rows(
            campaigns, "name", "state", "template", "rate", "launched_at", "finished_at"
        ),
        "phishing_targets": _rows(
            Target.objects.filter(campaign__in=campaigns),
            "sent_at",
            "opened_at",
            "clicked_at",
            "submitted_at",
            "reported_at",
        ),
    }
