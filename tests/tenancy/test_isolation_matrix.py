"""Every URL and API endpoint, as every kind of user: nothing of establishment A leaks to B.

Actors: A's administrator, A's viewer, B's administrator, a centre analyst, anonymous.
"Not yours" must look exactly like "does not exist" (same 404 body), and a refused write must
leave A's data unchanged. Every answer, to every actor, carries the security headers
(`tests.helpers.assert_security_headers`). The completeness tests fail when a URL or endpoint
is added without a row here.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from tests.helpers import assert_security_headers, signed_in
from tests.tenancy.resilience_world import NEW_STATUS, resilience_objects, resilience_state
from tests.vulns.support import access_of
from vigie.api.models import ApiToken
from vigie.api.tokens import create_token
from vigie.incidents import actions as incident_actions
from vigie.incidents.models import Entry, Evidence, Incident, Submission, Task
from vigie.intel.models import (
    Advisory,
    AdvisoryReceipt,
    AdvisoryVersion,
    Indicator,
    IndicatorImport,
    Sighting,
    SightingReport,
)
from vigie.inventory.models import Asset, InventoryImport
from vigie.notify.models import Channel, Delivery
from vigie.tenancy.access import OrgAccess
from vigie.tenancy.models import Invitation, Membership, Organisation
from vigie.tenancy.roles import Role
from vigie.vulns.models import Alert, AlertAsset, Vulnerability

ACTORS = ("a_admin", "a_viewer", "b_admin", "centre_analyst", "anonymous")


@dataclass
class World:
    users: dict[str, Any]
    a_viewer_member: int
    b_member: int
    a_invitation: int
    a_token: int
    tokens: dict[str, str]
    a_asset: int = 0
    a_import: str = ""
    a_alert: int = 0
    a_channel: int = 0
    a_delivery: int = 0
    centre_indicator_import: int = 0
    a_sighting: int = 0
    centre_advisory: int = 0
    centre_draft: int = 0
    a_incident: int = 0
    a_task: int = 0
    a_evidence: int = 0
    a_submission: int = 0
    # Resilience (issue 19): tests/tenancy/resilience_world.py makes them.
    a_backup_set: int = 0
    a_unit: int = 0
    a_contact: int = 0
    a_exercise: int = 0  # running
    a_exercise_planned: int = 0
    a_inject: int = 0
    a_exercise_action: int = 0
    a_module: int = 0
    a_completion: int = 0
    a_assignment: int = 0
    a_campaign: int = 0  # draft
    a_campaign_sent: int = 0
    a_phishing_token: str = ""


@pytest.fixture
def world(
    est_a: Organisation,
    est_b: Organisation,
    a_admin: Any,
    a_viewer: Any,
    b_admin: Any,
    centre_analyst: Any,
) -> World:
    invitation = Invitation.objects.create(
        organisation=est_a,
        email="pending@a.example",
        role=Role.VIEWER,
        token_hash="0" * 64,
        invited_by=a_admin,
        expires_at=timezone.now() + timedelta(days=3),
    )
    tokens = {}
    for name, user in {
        "a_admin": a_admin,
        "a_viewer": a_viewer,
        "b_admin": b_admin,
        "centre_analyst": centre_analyst,
    }.items():
        _token, secret = create_token(user=user, name="matrix", scope="write")
        tokens[name] = secret
    a_token, _ = create_token(user=a_admin, name="to revoke", scope="read")
    asset = Asset.objects.create(
        organisation=est_a, external_id="pacs", name="PACS Alpha", kind="server", vendor="Orthanc"
    )
    job = InventoryImport.objects.create(
        organisation=est_a, file_name="a.csv", file_sha256="0" * 64, state="preview"
    )
    vuln = Vulnerability.objects.create(vuln_id="CVE-2099-0001", title="Alpha only")
    now = timezone.now()
    alert = Alert.objects.create(
        organisation=est_a, vulnerability=vuln, priority="act", first_seen=now, state_changed_at=now
    )
    AlertAsset.objects.create(
        alert=alert,
        asset=asset,
        source="nvd",
        confidence="high",
        reason="test",
        priority="act",
        first_seen=now,
        last_seen=now,
    )
    channel = Channel.objects.filter(organisation=est_a).first()
    assert channel is not None
    delivery = Delivery.objects.create(
        organisation=est_a,
        channel=channel,
        transport="email",
        recipient="x@a.example",
        event="test",
        idempotency_key="k",
        dedup_key="d" * 64,
        next_attempt_at=now,
        created_at=now,
    )
    indicator_import = IndicatorImport.objects.create(
        organisation=Organisation.objects.get(slug="centre"),
        file_name="iocs.csv",
        file_format="csv",
        source="test",
        default_tlp="amber",
    )
    centre = Organisation.objects.get(slug="centre")
    shared = Indicator.objects.create(
        organisation=centre,
        community_id=centre.pk,
        type="domain",
        value="matrix.example",
        tlp="green",
        first_seen=now,
        last_seen=now,
    )
    sighting = Sighting.objects.create(
        organisation=est_a,
        indicator=shared,
        type="domain",
        value="matrix.example",
        log_type="dns",
        count=1,
        first_seen=now,
        last_seen=now,
    )
    published = Advisory.objects.create(organisation=centre, reference="M-1", audience="named")
    AdvisoryVersion.objects.create(
        advisory=published,
        number=1,
        title="T",
        summary="S",
        severity="high",
        tlp="amber",
        actions="A",
    )
    published.published_at, published.published_version, published.published_tlp = now, 1, "amber"
    published.save()
    AdvisoryReceipt.objects.create(
        advisory=published, organisation=est_a, version=1, delivered_at=now
    )
    draft = Advisory.objects.create(organisation=centre, reference="M-2")
    AdvisoryVersion.objects.create(
        advisory=draft, number=1, title="D", summary="S", severity="low", tlp="green", actions="A"
    )
    a_access = OrgAccess(
        user=a_admin, organisation=est_a, membership=Membership.objects.get(user=a_admin)
    )
    incident = incident_actions.declare(
        a_access,
        {"title": "Matrix incident", "category": "ransomware", "aware_at": now},
        [asset],
    )
    evidence = incident_actions.add_evidence(a_access, incident, io.BytesIO(b"log"), "a.log")
    submission = incident_actions.submit_report(
        a_access,
        incident,
        "ars_cert_sante",
        channel="ARS",
        reference="",
        submitted_at=None,
        language="en",
    )
    return World(
        users={
            "a_admin": a_admin,
            "a_viewer": a_viewer,
            "b_admin": b_admin,
            "centre_analyst": centre_analyst,
        },
        a_viewer_member=Membership.objects.get(user=a_viewer).pk,
        b_member=Membership.objects.get(user=b_admin).pk,
        a_invitation=invitation.pk,
        a_token=a_token.pk,
        tokens=tokens,
        a_asset=asset.pk,
        a_import=str(job.pk),
        a_alert=alert.pk,
        a_channel=channel.pk,
        a_delivery=delivery.pk,
        centre_indicator_import=indicator_import.pk,
        a_sighting=sighting.pk,
        centre_advisory=published.pk,
        centre_draft=draft.pk,
        a_incident=incident.pk,
        a_task=incident.tasks.values_list("pk", flat=True)[0],
        a_evidence=evidence.pk,
        a_submission=submission.pk,
        **resilience_objects(est_a, a_admin, asset),
    )


def snapshot_of_a() -> dict[str, Any]:
    """Everything of A that a refused request must leave as it was."""
    a = Organisation.objects.get(slug="chu-alpha")
    return {
        "org": (a.name, a.finess, a.region, a.nis2_class, a.ose),
        "members": sorted(Membership.objects.filter(organisation=a).values_list("user_id", "role")),
        "invitations": sorted(
            Invitation.objects.filter(organisation=a).values_list("pk", "revoked_at")
        ),
        "tokens": sorted(
            ApiToken.objects.filter(user__memberships__organisation=a).values_list(
                "pk", "revoked_at"
            )
        ),
        "establishments": Organisation.objects.count(),
        "assets": sorted(
            Asset.objects.filter(organisation=a).values_list("pk", "name", "version", "cpes")
        ),
        "imports": sorted(
            InventoryImport.objects.filter(organisation=a).values_list("pk", "state")
        ),
        "sightings": sorted(
            Sighting.objects.filter(organisation=a).values_list("pk", "state", "count")
        ),
        "sighting_reports": sorted(
            SightingReport.objects.filter(organisation=a).values_list("pk", "key", "fingerprint")
        ),
        "advisory_receipts": sorted(
            AdvisoryReceipt.objects.filter(organisation=a).values_list("pk", "acknowledged_at")
        ),
        "advisories": sorted(Advisory.objects.values_list("pk", "published_version")),
        "alerts": sorted(Alert.objects.filter(organisation=a).values_list("pk", "state")),
        "channels": sorted(
            Channel.objects.filter(organisation=a).values_list("pk", "name", "enabled", "url")
        ),
        "incidents": sorted(
            Incident.objects.filter(organisation=a).values_list(
                "pk", "title", "phase", "severity", "tlp", "closed_at"
            )
        ),
        "incident_entries": Entry.objects.filter(incident__organisation=a).count(),
        "incident_tasks": sorted(
            Task.objects.filter(incident__organisation=a).values_list("pk", "done_at")
        ),
        "incident_evidence": Evidence.objects.filter(incident__organisation=a).count(),
        "incident_submissions": Submission.objects.filter(incident__organisation=a).count(),
        **resilience_state(a),
    }


# --- UI ----------------------------------------------------------------------------------------

# (url name, method, path, data, expected status per actor in ACTORS order)
OK_A = (200, 200, 404, 404, 302)
OK_EXPORT_A = (200, 200, 404, 404, 401)
EDIT_A = (200, 403, 404, 404, 302)  # a page to change something: the viewer may not
WRITE_A = (302, 403, 404, 404, 302)
NOBODY = (404, 404, 404, 404, 302)  # A's object through another organisation, or a wrong kind
CAMPAIGN = {
    "name": "Autumn exercise",
    "template": "password_expiry",
    "language": "en",
    "sender_name": "Service informatique",
    "source": "members",
    "rate": "20",
}
BACKUP_SET = {
    "system": "Laboratoire",
    "tool": "restic",
    "rpo_hours": "24",
    "rto_hours": "8",
    "copies_count": "3",
    "media_count": "2",
    "offsite": "on",
    "restore_test_every_days": "180",
    "assets": "{a_asset}",
}
RESTORE_TEST = {
    "tested_on": "2025-11-02",
    "duration_minutes": "30",
    "result": "success",
    "restored": "PACS database",
    "performed_by": "DSI",
}
UI_CASES: list[tuple[str, str, str, dict[str, Any], tuple[int, ...]]] = [
    ("tenancy:dashboard", "get", "/o/chu-alpha/", {}, OK_A),
    ("tenancy:members", "get", "/o/chu-alpha/members/", {}, OK_A),
    (
        "tenancy:members",
        "post",
        "/o/chu-alpha/members/",
        {"email": "new@a.example", "role": "viewer"},
        (302, 403, 404, 404, 302),
    ),
    (
        "tenancy:member_role",
        "post",
        "/o/chu-alpha/members/{a_viewer_member}/role/",
        {"role": "dpo"},
        (302, 403, 404, 404, 302),
    ),
    (
        "tenancy:member_remove",
        "post",
        "/o/chu-alpha/members/{a_viewer_member}/remove/",
        {},
        (302, 403, 404, 404, 302),
    ),
    (
        "tenancy:invitation_revoke",
        "post",
        "/o/chu-alpha/invitations/{a_invitation}/revoke/",
        {},
        (302, 403, 404, 404, 302),
    ),
    ("tenancy:profile", "get", "/o/chu-alpha/profile/", {}, OK_A),
    (
        "tenancy:profile",
        "post",
        "/o/chu-alpha/profile/",
        {
            "name": "Renamed",
            "finess": "750000010",
            "structure_type": "chu",
            "region": "idf",
            "nis2_class": "essential",
        },
        (302, 403, 404, 404, 302),
    ),
    ("tenancy:audit", "get", "/o/chu-alpha/audit/", {}, (200, 403, 404, 404, 302)),
    ("tenancy:audit", "get", "/o/chu-alpha/audit/?format=csv", {}, (200, 403, 404, 404, 302)),
    # An establishment has no establishments page; the centre's pages are for its members.
    (
        "tenancy:establishments",
        "get",
        "/o/chu-alpha/establishments/",
        {},
        (403, 403, 404, 404, 302),
    ),
    ("tenancy:establishments", "get", "/o/centre/establishments/", {}, (404, 404, 404, 200, 302)),
    (
        "tenancy:establishment_create",
        "get",
        "/o/centre/establishments/new/",
        {},
        (404, 404, 404, 403, 302),
    ),
    (
        "tenancy:establishment",
        "get",
        "/o/centre/establishments/chu-alpha/",
        {},
        (404, 404, 404, 200, 302),
    ),
    (
        "tenancy:establishment_edit",
        "post",
        "/o/centre/establishments/chu-alpha/edit/",
        {
            "name": "Hijacked",
            "finess": "750000010",
            "structure_type": "chu",
            "region": "idf",
            "nis2_class": "none",
        },
        (404, 404, 404, 403, 302),
    ),
    # A's objects reached through B's own organisation: still "does not exist".
    (
        "tenancy:member_role",
        "post",
        "/o/clinique-beta/members/{a_viewer_member}/role/",
        {"role": "admin"},
        (404, 404, 404, 404, 302),
    ),
    (
        "tenancy:member_remove",
        "post",
        "/o/clinique-beta/members/{a_viewer_member}/remove/",
        {},
        (404, 404, 404, 404, 302),
    ),
    (
        "tenancy:invitation_revoke",
        "post",
        "/o/clinique-beta/invitations/{a_invitation}/revoke/",
        {},
        (404, 404, 404, 404, 302),
    ),
    ("token_revoke", "post", "/accounts/tokens/{a_token}/revoke/", {}, (302, 404, 404, 404, 302)),
    # Inventory
    ("inventory:list", "get", "/o/chu-alpha/inventory/", {}, OK_A),
    ("inventory:list", "get", "/o/chu-alpha/inventory/?format=csv", {}, OK_A),
    ("inventory:import", "get", "/o/chu-alpha/inventory/import/", {}, (200, 403, 404, 404, 302)),
    ("inventory:imports", "get", "/o/chu-alpha/inventory/imports/", {}, OK_A),
    (
        "inventory:import_preview",
        "get",
        "/o/chu-alpha/inventory/import/{a_import}/",
        {},
        (200, 403, 404, 404, 302),
    ),
    (
        "inventory:import_commit",
        "post",
        "/o/clinique-beta/inventory/import/{a_import}/commit/",
        {},
        (404, 404, 404, 404, 302),
    ),
    (
        "inventory:import_discard",
        "post",
        "/o/chu-alpha/inventory/import/{a_import}/discard/",
        {},
        (302, 403, 404, 404, 302),
    ),
    ("inventory:asset", "get", "/o/chu-alpha/inventory/assets/{a_asset}/", {}, OK_A),
    (
        "inventory:asset",
        "get",
        "/o/clinique-beta/inventory/assets/{a_asset}/",
        {},
        (404, 404, 404, 404, 302),
    ),
    (
        "inventory:asset_create",
        "get",
        "/o/chu-alpha/inventory/assets/new/",
        {},
        (200, 403, 404, 404, 302),
    ),
    (
        "inventory:asset_edit",
        "post",
        "/o/chu-alpha/inventory/assets/{a_asset}/edit/",
        {"external_id": "pacs", "name": "Renamed", "kind": "server"},
        (302, 403, 404, 404, 302),
    ),
    (
        "inventory:asset_edit",
        "post",
        "/o/clinique-beta/inventory/assets/{a_asset}/edit/",
        {"external_id": "pacs", "name": "Hijacked", "kind": "server"},
        (404, 404, 404, 404, 302),
    ),
    (
        "inventory:asset_cpe",
        "post",
        "/o/chu-alpha/inventory/assets/{a_asset}/cpe/",
        {"part": "a", "vendor": "orthanc-server", "product": "orthanc"},
        (302, 403, 404, 404, 302),
    ),
    (
        "inventory:asset_delete",
        "post",
        "/o/chu-alpha/inventory/assets/{a_asset}/delete/",
        {},
        (302, 403, 404, 404, 302),
    ),
    # Alerts
    ("vulns:alerts", "get", "/o/chu-alpha/alerts/", {}, OK_A),
    ("vulns:alert", "get", "/o/chu-alpha/alerts/{a_alert}/", {}, OK_A),
    ("vulns:alert", "get", "/o/clinique-beta/alerts/{a_alert}/", {}, (404, 404, 404, 404, 302)),
    (
        "vulns:alert_transition",
        "post",
        "/o/chu-alpha/alerts/{a_alert}/state/",
        {"state": "acknowledged"},
        (302, 403, 404, 404, 302),
    ),
    (
        "vulns:alert_transition",
        "post",
        "/o/clinique-beta/alerts/{a_alert}/state/",
        {"state": "acknowledged"},
        (404, 404, 404, 404, 302),
    ),
    (
        "vulns:alerts_bulk",
        "post",
        "/o/chu-alpha/alerts/bulk/",
        {"alerts": "{a_alert}", "action": "acknowledge"},
        (302, 403, 404, 404, 302),
    ),
    (
        # Refused with a message and nothing changed (tests/vulns/test_alert_list.py checks it).
        "vulns:alerts_bulk",
        "post",
        "/o/clinique-beta/alerts/bulk/",
        {"alerts": "{a_alert}", "action": "acknowledge"},
        (404, 404, 302, 404, 302),
    ),
    (
        "vulns:alert_comment",
        "post",
        "/o/chu-alpha/alerts/{a_alert}/comment/",
        {"text": "Looking into it"},
        (302, 403, 404, 404, 302),
    ),
    ("vulns:policy", "get", "/o/chu-alpha/alerts/settings/", {}, OK_A),
    (
        "vulns:policy",
        "post",
        "/o/chu-alpha/alerts/settings/",
        {
            "ack_hours_act": "2",
            "ack_hours_attend": "24",
            "remediate_days_act": "1",
            "remediate_days_attend": "7",
            "remediate_days_track_star": "30",
            "remediate_days_track": "90",
        },
        (302, 403, 404, 404, 302),
    ),
    ("vulns:dashboard_live", "get", "/o/chu-alpha/live/dashboard/", {}, OK_A),
    # The centre sees the sector's exposure, never an establishment's inventory.
    ("vulns:exposure", "get", "/o/centre/exposure/", {}, (404, 404, 404, 200, 302)),
    ("vulns:exposure", "get", "/o/chu-alpha/exposure/", {}, (403, 403, 404, 404, 302)),
    (
        "vulns:exposure_detail",
        "get",
        "/o/centre/exposure/CVE-2099-0001/",
        {},
        (404, 404, 404, 200, 302),
    ),
    ("vulns:feeds", "get", "/o/centre/feeds/", {}, (404, 404, 404, 200, 302)),
    # Workers and interrupted tasks of the whole platform: the centre's page.
    ("core:operations", "get", "/o/centre/operations/", {}, (404, 404, 404, 200, 302)),
    ("core:operations", "get", "/o/chu-alpha/operations/", {}, (403, 403, 404, 404, 302)),
    ("inventory:list", "get", "/o/centre/inventory/", {}, (404, 404, 404, 200, 302)),
    # Notifications
    ("notify:channels", "get", "/o/chu-alpha/notifications/", {}, OK_A),
    (
        "notify:channel_create",
        "get",
        "/o/chu-alpha/notifications/channels/new/webhook/",
        {},
        (200, 403, 404, 404, 302),
    ),
    (
        "notify:channel_edit",
        "post",
        "/o/chu-alpha/notifications/channels/{a_channel}/",
        {"name": "Renamed", "roles": ["admin"], "enabled": "on"},
        (302, 403, 404, 404, 302),
    ),
    (
        "notify:channel_edit",
        "post",
        "/o/clinique-beta/notifications/channels/{a_channel}/",
        {"name": "Hijacked", "roles": ["admin"]},
        (404, 404, 404, 404, 302),
    ),
    (
        "notify:channel_test",
        "post",
        "/o/chu-alpha/notifications/channels/{a_channel}/test/",
        {},
        (302, 403, 404, 404, 302),
    ),
    (
        "notify:channel_secret",
        "post",
        "/o/clinique-beta/notifications/channels/{a_channel}/secret/",
        {},
        (404, 404, 404, 404, 302),
    ),
    (
        "notify:channel_delete",
        "post",
        "/o/chu-alpha/notifications/channels/{a_channel}/delete/",
        {},
        (302, 403, 404, 404, 302),
    ),
    ("notify:deliveries", "get", "/o/chu-alpha/notifications/deliveries/", {}, OK_A),
    ("notify:delivery", "get", "/o/chu-alpha/notifications/deliveries/{a_delivery}/", {}, OK_A),
    (
        "notify:delivery",
        "get",
        "/o/clinique-beta/notifications/deliveries/{a_delivery}/",
        {},
        (404, 404, 404, 404, 302),
    ),
    # Threat intelligence: every member reads what TLP lets its organisation see; the centre
    # publishes.
    ("intel:indicators", "get", "/o/chu-alpha/intel/indicators/", {}, OK_A),
    ("intel:indicators", "get", "/o/centre/intel/indicators/", {}, (404, 404, 404, 200, 302)),
    ("intel:import", "get", "/o/centre/intel/indicators/import/", {}, (404, 404, 404, 200, 302)),
    ("intel:import", "get", "/o/chu-alpha/intel/indicators/import/", {}, (403, 403, 404, 404, 302)),
    (
        "intel:import_detail",
        "get",
        "/o/centre/intel/indicators/imports/{centre_indicator_import}/",
        {},
        (404, 404, 404, 200, 302),
    ),
    (
        "intel:import_detail",
        "get",
        "/o/chu-alpha/intel/indicators/imports/{centre_indicator_import}/",
        {},
        (403, 403, 404, 404, 302),
    ),
    # Personal pages: everyone signed in has their own.
    ("home", "get", "/", {}, (302, 302, 302, 302, 302)),
    ("tokens", "get", "/accounts/tokens/", {}, (200, 200, 200, 200, 302)),
    # Exports take a session or a token: anonymous gets 401 (a browser asking for HTML would be
    # sent to sign in); what each file holds is tested in tests/intel/test_exports.py.
    ("intel:export", "get", "/o/chu-alpha/intel/indicators/export/", {}, OK_A),
    (
        "intel:export",
        "get",
        "/o/clinique-beta/intel/indicators/export/",
        {},
        (404, 404, 200, 404, 302),
    ),
    (
        "intel:export_plain",
        "get",
        "/o/chu-alpha/intel/indicators/export/domain.txt",
        {},
        OK_EXPORT_A,
    ),
    ("intel:export_csv", "get", "/o/chu-alpha/intel/indicators/export/all.csv", {}, OK_EXPORT_A),
    ("intel:export_rpz", "get", "/o/chu-alpha/intel/indicators/export/zone.rpz", {}, OK_EXPORT_A),
    (
        "intel:export_suricata",
        "get",
        "/o/chu-alpha/intel/indicators/export/suricata/ip.lst",
        {},
        OK_EXPORT_A,
    ),
    (
        "intel_feed:misp_manifest",
        "get",
        "/o/chu-alpha/intel/misp-feed/manifest.json",
        {},
        OK_EXPORT_A,
    ),
    ("intel_feed:misp_hashes", "get", "/o/chu-alpha/intel/misp-feed/hashes.csv", {}, OK_EXPORT_A),
    (
        "intel_feed:misp_event",
        "get",
        "/o/chu-alpha/intel/misp-feed/00000000-0000-4000-8000-000000000000.json",
        {},
        (404, 404, 404, 404, 401),
    ),
    # Sightings: the reporter and its centre read them; only the reporter's handlers act.
    ("intel_sightings:list", "get", "/o/chu-alpha/intel/sightings/", {}, OK_A),
    ("intel_sightings:detail", "get", "/o/chu-alpha/intel/sightings/{a_sighting}/", {}, OK_A),
    (
        "intel_sightings:detail",
        "get",
        "/o/centre/intel/sightings/{a_sighting}/",
        {},
        (404, 404, 404, 200, 302),
    ),
    (
        "intel_sightings:detail",
        "get",
        "/o/clinique-beta/intel/sightings/{a_sighting}/",
        {},
        (404, 404, 404, 404, 302),
    ),
    (
        "intel_sightings:state",
        "post",
        "/o/chu-alpha/intel/sightings/{a_sighting}/state/",
        {"state": "acknowledged"},
        (302, 403, 404, 404, 302),
    ),
    (
        "intel_sightings:state",
        "post",
        "/o/clinique-beta/intel/sightings/{a_sighting}/state/",
        {"state": "acknowledged"},
        (404, 404, 404, 404, 302),
    ),
    # Advisories: the centre writes and publishes; an establishment reads what it received.
    ("advisories:list", "get", "/o/chu-alpha/advisories/", {}, OK_A),
    ("advisories:list", "get", "/o/centre/advisories/", {}, (404, 404, 404, 200, 302)),
    ("advisories:new", "get", "/o/centre/advisories/new/", {}, (404, 404, 404, 200, 302)),
    ("advisories:new", "get", "/o/chu-alpha/advisories/new/", {}, (403, 403, 404, 404, 302)),
    ("advisories:detail", "get", "/o/chu-alpha/advisories/{centre_advisory}/", {}, OK_A),
    (
        "advisories:detail",
        "get",
        "/o/clinique-beta/advisories/{centre_advisory}/",
        {},
        (404, 404, 404, 404, 302),
    ),
    (
        "advisories:detail",
        "get",
        "/o/chu-alpha/advisories/{centre_draft}/",
        {},
        (404, 404, 404, 404, 302),
    ),
    (
        "advisories:edit",
        "get",
        "/o/centre/advisories/{centre_draft}/edit/",
        {},
        (404, 404, 404, 200, 302),
    ),
    (
        "advisories:publish",
        "post",
        "/o/chu-alpha/advisories/{centre_draft}/publish/",
        {},
        (403, 403, 404, 404, 302),
    ),
    (
        "advisories:acknowledge",
        "post",
        "/o/chu-alpha/advisories/{centre_advisory}/acknowledge/",
        {},
        (302, 403, 404, 404, 302),
    ),
    (
        "advisories:acknowledge",
        "post",
        "/o/clinique-beta/advisories/{centre_advisory}/acknowledge/",
        {},
        (404, 404, 404, 404, 302),
    ),
    # Incidents: the declaring establishment and its centre work the case; nobody else sees it.
    ("incidents:list", "get", "/o/chu-alpha/incidents/", {}, OK_A),
    ("incidents:list", "get", "/o/centre/incidents/", {}, (404, 404, 404, 200, 302)),
    ("incidents:new", "get", "/o/chu-alpha/incidents/new/", {}, (200, 403, 404, 404, 302)),
    (
        "incidents:new",
        "post",
        "/o/chu-alpha/incidents/new/",
        {"title": "Matrix", "category": "phishing", "origin": "unknown"},
        (200, 403, 404, 404, 302),
    ),
    ("incidents:new", "get", "/o/centre/incidents/new/", {}, (404, 404, 404, 403, 302)),
    ("incidents:breaches", "get", "/o/chu-alpha/incidents/breaches/", {}, OK_A),
    ("incidents:breaches", "get", "/o/centre/incidents/breaches/", {}, (404, 404, 404, 404, 302)),
    ("incidents:detail", "get", "/o/chu-alpha/incidents/{a_incident}/", {}, OK_A),
    (
        "incidents:detail",
        "get",
        "/o/centre/incidents/{a_incident}/",
        {},
        (404, 404, 404, 200, 302),
    ),
    (
        "incidents:detail",
        "get",
        "/o/clinique-beta/incidents/{a_incident}/",
        {},
        (404, 404, 404, 404, 302),
    ),
    (
        "incidents:edit",
        "get",
        "/o/chu-alpha/incidents/{a_incident}/edit/",
        {},
        (200, 403, 404, 404, 302),
    ),
    (
        "incidents:edit",
        "post",
        "/o/clinique-beta/incidents/{a_incident}/edit/",
        {"title": "Hijacked", "category": "other", "origin": "unknown"},
        (404, 404, 404, 404, 302),
    ),
    (
        "incidents:triage",
        "post",
        "/o/centre/incidents/{a_incident}/triage/",
        {"severity": "2", "tlp": "amber", "pap": "amber"},
        (404, 404, 404, 302, 302),
    ),
    (
        "incidents:triage",
        "post",
        "/o/chu-alpha/incidents/{a_incident}/triage/",
        {"severity": "4", "tlp": "clear", "pap": "clear"},
        (403, 403, 404, 404, 302),
    ),
    (
        "incidents:phase",
        "post",
        "/o/chu-alpha/incidents/{a_incident}/phase/",
        {"phase": "containment"},
        (302, 403, 404, 404, 302),
    ),
    (
        "incidents:phase",
        "post",
        "/o/clinique-beta/incidents/{a_incident}/phase/",
        {"phase": "closed"},
        (404, 404, 404, 404, 302),
    ),
    (
        "incidents:entry",
        "post",
        "/o/chu-alpha/incidents/{a_incident}/entries/",
        {"text": "PACS isolé", "kind": "note"},
        (302, 403, 404, 404, 302),
    ),
    (
        "incidents:task_add",
        "post",
        "/o/chu-alpha/incidents/{a_incident}/tasks/",
        {"title": "Call the SAMU", "phase": "containment"},
        (302, 403, 404, 404, 302),
    ),
    (
        "incidents:task",
        "post",
        "/o/chu-alpha/incidents/{a_incident}/tasks/{a_task}/",
        {"done": "1"},
        (302, 403, 404, 404, 302),
    ),
    (
        "incidents:evidence",
        "post",
        "/o/chu-alpha/incidents/{a_incident}/evidence/",
        {},
        (302, 403, 404, 404, 302),
    ),
    (
        "incidents:evidence_download",
        "get",
        "/o/chu-alpha/incidents/{a_incident}/evidence/{a_evidence}/",
        {},
        OK_A,
    ),
    (
        "incidents:evidence_download",
        "get",
        "/o/clinique-beta/incidents/{a_incident}/evidence/{a_evidence}/",
        {},
        (404, 404, 404, 404, 302),
    ),
    (
        "incidents:report",
        "get",
        "/o/chu-alpha/incidents/{a_incident}/reports/ars_cert_sante/?format=json",
        {},
        OK_A,
    ),
    (
        "incidents:report",
        "get",
        "/o/clinique-beta/incidents/{a_incident}/reports/ars_cert_sante/?format=json",
        {},
        (404, 404, 404, 404, 302),
    ),
    (
        "incidents:submit",
        "post",
        "/o/chu-alpha/incidents/{a_incident}/submissions/",
        {"code": "ars_cert_sante", "channel": "ARS"},
        (302, 403, 404, 404, 302),
    ),
    (
        "incidents:submission",
        "get",
        "/o/chu-alpha/incidents/{a_incident}/submissions/{a_submission}/?format=json",
        {},
        OK_A,
    ),
    (
        "incidents:submission",
        "get",
        "/o/centre/incidents/{a_incident}/submissions/{a_submission}/?format=json",
        {},
        (404, 404, 404, 200, 302),
    ),
    (
        "incidents:share",
        "post",
        "/o/centre/incidents/{a_incident}/share/",
        {"indicators": "c2.matrix.example", "tlp": "amber"},
        (404, 404, 404, 302, 302),
    ),
    (
        "incidents:share",
        "post",
        "/o/chu-alpha/incidents/{a_incident}/share/",
        {"indicators": "c2.matrix.example", "tlp": "clear"},
        (403, 403, 404, 404, 302),
    ),
    # The observatory: anonymised for establishments, exact for the centre.
    ("observatory:index", "get", "/o/chu-alpha/observatory/", {}, OK_A),
    ("observatory:index", "get", "/o/centre/observatory/", {}, (404, 404, 404, 200, 302)),
    ("observatory:export", "get", "/o/chu-alpha/observatory/export.csv", {}, OK_A),
    (
        "observatory:export",
        "get",
        "/o/centre/observatory/export.csv",
        {},
        (404, 404, 404, 200, 302),
    ),
    # --- Resilience (issue 19): every page is the establishment's own; the centre sees only the
    # readiness and phishing sector pages. Refused state changes (start a running exercise…)
    # answer 302 with a message; the snapshot proves the refusals of others changed nothing.
    # Continuity plans
    ("continuity:index", "get", "/o/chu-alpha/continuity/", {}, OK_A),
    ("continuity:index", "get", "/o/centre/continuity/", {}, (404, 404, 404, 404, 302)),
    ("continuity:all_pdf", "get", "/o/chu-alpha/continuity/plans.pdf", {}, OK_A),
    ("continuity:units", "get", "/o/chu-alpha/continuity/units/", {}, OK_A),
    (
        "continuity:unit_new",
        "post",
        "/o/chu-alpha/continuity/units/new/",
        {"name": "Pharmacie", "code": "PHA"},
        WRITE_A,
    ),
    (
        "continuity:member_unit",
        "post",
        "/o/chu-alpha/continuity/units/members/",
        {"membership": "{a_viewer_member}", "unit": "{a_unit}"},
        WRITE_A,
    ),
    (
        "continuity:unit_rename",
        "post",
        "/o/chu-alpha/continuity/units/{a_unit}/rename/",
        {"unit{a_unit}-name": "Urgences pédiatriques", "unit{a_unit}-code": "URP"},
        WRITE_A,
    ),
    (
        "continuity:unit_rename",
        "post",
        "/o/clinique-beta/continuity/units/{a_unit}/rename/",
        {"unit{a_unit}-name": "Hijacked"},
        (404, 404, 404, 404, 302),
    ),
    ("continuity:plan", "get", "/o/chu-alpha/continuity/units/{a_unit}/", {}, OK_A),
    (
        "continuity:plan",
        "get",
        "/o/clinique-beta/continuity/units/{a_unit}/",
        {},
        (404, 404, 404, 404, 302),
    ),
    ("continuity:plan", "get", "/o/centre/continuity/units/{a_unit}/", {}, NOBODY),
    ("continuity:plan_edit", "get", "/o/chu-alpha/continuity/units/{a_unit}/edit/", {}, EDIT_A),
    (
        "continuity:plan_edit",
        "post",
        "/o/chu-alpha/continuity/units/{a_unit}/edit/",
        {"admission_procedure": "Bracelets papier", "review_every_months": "6"},
        WRITE_A,
    ),
    (
        "continuity:reviewed",
        "post",
        "/o/chu-alpha/continuity/units/{a_unit}/reviewed/",
        {},
        WRITE_A,
    ),
    ("continuity:plan_pdf", "get", "/o/chu-alpha/continuity/units/{a_unit}/plan.pdf", {}, OK_A),
    (
        "continuity:plan_pdf",
        "get",
        "/o/clinique-beta/continuity/units/{a_unit}/plan.pdf",
        {},
        NOBODY,
    ),
    (
        "continuity:row_add",
        "post",
        "/o/chu-alpha/continuity/units/{a_unit}/contacts/",
        {"contact-name": "SAMU", "contact-phone": "15"},
        WRITE_A,
    ),
    (
        "continuity:row_add",
        "post",
        "/o/chu-alpha/continuity/units/{a_unit}/forms/",
        {"form-name": "Fiche d'admission", "form-kept_at": "Poste IDE"},
        WRITE_A,
    ),
    (
        "continuity:row_add",
        "post",
        "/o/chu-alpha/continuity/units/{a_unit}/processes/",
        {"process-name": "Admissions", "process-rto_hours": "4"},
        WRITE_A,
    ),
    (
        "continuity:row_add",
        "post",
        "/o/chu-alpha/continuity/units/{a_unit}/aid/",
        {"aid-partner": "CH Beta", "aid-provides": "imaging"},
        WRITE_A,
    ),
    (
        "continuity:row_delete",
        "post",
        "/o/chu-alpha/continuity/units/{a_unit}/contacts/{a_contact}/delete/",
        {},
        WRITE_A,
    ),
    (
        "continuity:row_delete",
        "post",
        "/o/clinique-beta/continuity/units/{a_unit}/contacts/{a_contact}/delete/",
        {},
        NOBODY,
    ),
    # Exercises
    ("exercises:list", "get", "/o/chu-alpha/exercises/", {}, OK_A),
    ("exercises:list", "get", "/o/centre/exercises/", {}, NOBODY),
    ("exercises:actions", "get", "/o/chu-alpha/exercises/actions/", {}, OK_A),
    ("exercises:new", "get", "/o/chu-alpha/exercises/new/", {}, EDIT_A),
    (
        "exercises:new",
        "post",
        "/o/chu-alpha/exercises/new/",
        {"template": "ransomware", "title": "", "kind": "tabletop", "planned_for": "2027-06-01"},
        WRITE_A,
    ),
    ("exercises:detail", "get", "/o/chu-alpha/exercises/{a_exercise}/", {}, OK_A),
    ("exercises:detail", "get", "/o/clinique-beta/exercises/{a_exercise}/", {}, NOBODY),
    ("exercises:detail", "get", "/o/centre/exercises/{a_exercise}/", {}, NOBODY),
    ("exercises:edit", "get", "/o/chu-alpha/exercises/{a_exercise_planned}/edit/", {}, EDIT_A),
    (
        "exercises:edit",
        "post",
        "/o/chu-alpha/exercises/{a_exercise_planned}/edit/",
        {"title": "Renamed", "kind": "functional", "planned_for": "2027-04-01"},
        WRITE_A,
    ),
    (
        "exercises:edit",
        "post",
        "/o/clinique-beta/exercises/{a_exercise_planned}/edit/",
        {"title": "Hijacked", "kind": "tabletop", "planned_for": "2027-04-01"},
        NOBODY,
    ),
    (
        "exercises:start",
        "post",
        "/o/chu-alpha/exercises/{a_exercise_planned}/start/",
        {},
        WRITE_A,
    ),
    # A POST-only page asked with GET.
    (
        "exercises:start",
        "get",
        "/o/chu-alpha/exercises/{a_exercise_planned}/start/",
        {},
        (405, 405, 405, 405, 302),
    ),
    ("exercises:end", "post", "/o/chu-alpha/exercises/{a_exercise}/end/", {}, WRITE_A),
    ("exercises:end", "post", "/o/clinique-beta/exercises/{a_exercise}/end/", {}, NOBODY),
    ("exercises:report", "get", "/o/chu-alpha/exercises/{a_exercise}/report.pdf", {}, OK_A),
    ("exercises:report", "get", "/o/clinique-beta/exercises/{a_exercise}/report.pdf", {}, NOBODY),
    (
        "exercises:inject_add",
        "post",
        "/o/chu-alpha/exercises/{a_exercise}/injects/",
        {"i-offset_minutes": "90", "i-title": "Journalist calls", "i-channel": "phone"},
        WRITE_A,
    ),
    (
        "exercises:inject_deliver",
        "post",
        "/o/chu-alpha/exercises/{a_exercise}/injects/{a_inject}/deliver/",
        {},
        WRITE_A,
    ),
    (
        "exercises:inject_deliver",
        "post",
        "/o/clinique-beta/exercises/{a_exercise}/injects/{a_inject}/deliver/",
        {},
        NOBODY,
    ),
    (
        "exercises:participant_add",
        "post",
        "/o/chu-alpha/exercises/{a_exercise}/participants/",
        {"p-role": "player", "p-member": "{a_viewer_member}"},
        WRITE_A,
    ),
    (
        "exercises:observation_add",
        "post",
        "/o/chu-alpha/exercises/{a_exercise}/observations/",
        {"o-text": "The crisis cell met in 20 minutes", "o-kind": "fact"},
        WRITE_A,
    ),
    (
        "exercises:lesson_add",
        "post",
        "/o/chu-alpha/exercises/{a_exercise}/lessons/",
        {"l-kind": "to_improve", "l-text": "Print the phone tree"},
        WRITE_A,
    ),
    (
        "exercises:action_add",
        "post",
        "/o/chu-alpha/exercises/{a_exercise}/actions/",
        {"a-title": "Update the phone tree", "a-owner_name": "DSI", "a-due_on": "2027-03-01"},
        WRITE_A,
    ),
    (
        "exercises:action_close",
        "post",
        "/o/chu-alpha/exercises/{a_exercise}/actions/{a_exercise_action}/close/",
        {"note": "Done"},
        WRITE_A,
    ),
    (
        "exercises:action_close",
        "post",
        "/o/clinique-beta/exercises/{a_exercise}/actions/{a_exercise_action}/close/",
        {"note": "Hijacked"},
        NOBODY,
    ),
    # Training: everyone takes the modules; only the managers assign and read the results.
    ("training:index", "get", "/o/chu-alpha/training/", {}, OK_A),
    ("training:index", "get", "/o/centre/training/", {}, NOBODY),
    ("training:module", "get", "/o/chu-alpha/training/modules/{a_module}/", {}, OK_A),
    (
        # An empty answer: the quiz again with its errors.
        "training:answer",
        "post",
        "/o/chu-alpha/training/modules/{a_module}/answer/",
        {},
        (200, 200, 404, 404, 302),
    ),
    (
        # A's administrator's result: nobody else's to read, not even A's viewer.
        "training:result",
        "get",
        "/o/chu-alpha/training/results/{a_completion}/",
        {},
        (200, 404, 404, 404, 302),
    ),
    (
        "training:result",
        "get",
        "/o/clinique-beta/training/results/{a_completion}/",
        {},
        NOBODY,
    ),
    ("training:assignment_new", "get", "/o/chu-alpha/training/assignments/new/", {}, EDIT_A),
    (
        "training:assignment_new",
        "post",
        "/o/chu-alpha/training/assignments/new/",
        {"module": "{a_module}", "due_on": "2027-06-01"},
        WRITE_A,
    ),
    (
        "training:assignment",
        "get",
        "/o/chu-alpha/training/assignments/{a_assignment}/",
        {},
        EDIT_A,
    ),
    (
        "training:assignment",
        "get",
        "/o/clinique-beta/training/assignments/{a_assignment}/",
        {},
        NOBODY,
    ),
    # Phishing simulations
    ("phishing:index", "get", "/o/chu-alpha/phishing/", {}, OK_A),
    ("phishing:index", "get", "/o/centre/phishing/", {}, NOBODY),
    ("phishing:new", "get", "/o/chu-alpha/phishing/new/", {}, EDIT_A),
    ("phishing:new", "post", "/o/chu-alpha/phishing/new/", CAMPAIGN, WRITE_A),
    ("phishing:list_upload", "get", "/o/chu-alpha/phishing/lists/upload/", {}, EDIT_A),
    (
        "phishing:list_upload",
        "post",
        "/o/chu-alpha/phishing/lists/upload/",
        {"name": "More staff", "file": b"email,name,service\nagent1@example.org,A 1,Radiologie\n"},
        WRITE_A,
    ),
    ("phishing:detail", "get", "/o/chu-alpha/phishing/{a_campaign}/", {}, EDIT_A),
    ("phishing:detail", "get", "/o/clinique-beta/phishing/{a_campaign}/", {}, NOBODY),
    ("phishing:detail", "get", "/o/centre/phishing/{a_campaign_sent}/", {}, NOBODY),
    ("phishing:edit", "get", "/o/chu-alpha/phishing/{a_campaign}/edit/", {}, EDIT_A),
    ("phishing:edit", "post", "/o/chu-alpha/phishing/{a_campaign}/edit/", CAMPAIGN, WRITE_A),
    ("phishing:edit", "post", "/o/clinique-beta/phishing/{a_campaign}/edit/", CAMPAIGN, NOBODY),
    ("phishing:launch", "post", "/o/chu-alpha/phishing/{a_campaign}/launch/", {}, WRITE_A),
    ("phishing:launch", "post", "/o/clinique-beta/phishing/{a_campaign}/launch/", {}, NOBODY),
    ("phishing:stop", "post", "/o/chu-alpha/phishing/{a_campaign_sent}/stop/", {}, WRITE_A),
    ("phishing:stop", "post", "/o/clinique-beta/phishing/{a_campaign_sent}/stop/", {}, NOBODY),
    ("phishing:sector", "get", "/o/centre/phishing/sector/", {}, (404, 404, 404, 200, 302)),
    ("phishing:sector", "get", "/o/chu-alpha/phishing/sector/", {}, NOBODY),
    # Readiness: the establishment's page; the centre's sector table, export and read-only view.
    ("readiness:index", "get", "/o/chu-alpha/readiness/", {}, OK_A),
    # The centre is sent on to its sector page.
    ("readiness:index", "get", "/o/centre/readiness/", {}, (404, 404, 404, 302, 302)),
    ("readiness:sector", "get", "/o/centre/readiness/sector/", {}, (404, 404, 404, 200, 302)),
    ("readiness:sector", "get", "/o/chu-alpha/readiness/sector/", {}, NOBODY),
    (
        "readiness:export",
        "get",
        "/o/centre/readiness/sector/export.csv",
        {},
        (404, 404, 404, 200, 302),
    ),
    ("readiness:export", "get", "/o/chu-alpha/readiness/sector/export.csv", {}, NOBODY),
    (
        "readiness:establishment",
        "get",
        "/o/centre/readiness/sector/chu-alpha/",
        {},
        (404, 404, 404, 200, 302),
    ),
    (
        "readiness:establishment",
        "get",
        "/o/chu-alpha/readiness/sector/chu-alpha/",
        {},
        NOBODY,
    ),
    # Backups
    ("backups:list", "get", "/o/chu-alpha/backups/", {}, OK_A),
    ("backups:list", "get", "/o/centre/backups/", {}, NOBODY),
    ("backups:new", "get", "/o/chu-alpha/backups/new/", {}, EDIT_A),
    ("backups:new", "post", "/o/chu-alpha/backups/new/", BACKUP_SET, WRITE_A),
    ("backups:detail", "get", "/o/chu-alpha/backups/{a_backup_set}/", {}, OK_A),
    ("backups:detail", "get", "/o/clinique-beta/backups/{a_backup_set}/", {}, NOBODY),
    ("backups:detail", "get", "/o/centre/backups/{a_backup_set}/", {}, NOBODY),
    ("backups:edit", "get", "/o/chu-alpha/backups/{a_backup_set}/edit/", {}, EDIT_A),
    ("backups:edit", "post", "/o/chu-alpha/backups/{a_backup_set}/edit/", BACKUP_SET, WRITE_A),
    (
        "backups:edit",
        "post",
        "/o/clinique-beta/backups/{a_backup_set}/edit/",
        BACKUP_SET,
        NOBODY,
    ),
    ("backups:delete", "post", "/o/chu-alpha/backups/{a_backup_set}/delete/", {}, WRITE_A),
    ("backups:delete", "post", "/o/clinique-beta/backups/{a_backup_set}/delete/", {}, NOBODY),
    (
        "backups:upload",
        "post",
        "/o/chu-alpha/backups/{a_backup_set}/status/",
        {"file": NEW_STATUS.encode(), "kind": "auto"},
        WRITE_A,
    ),
    (
        "backups:upload",
        "post",
        "/o/clinique-beta/backups/{a_backup_set}/status/",
        {"file": NEW_STATUS.encode(), "kind": "auto"},
        NOBODY,
    ),
    (
        "backups:restore_test",
        "post",
        "/o/chu-alpha/backups/{a_backup_set}/restore-tests/",
        RESTORE_TEST,
        WRITE_A,
    ),
    (
        "backups:restore_test",
        "post",
        "/o/clinique-beta/backups/{a_backup_set}/restore-tests/",
        RESTORE_TEST,
        NOBODY,
    ),
    ("accounts:profile", "get", "/accounts/profile/", {}, (200, 200, 200, 200, 302)),
    ("accounts:password_change", "get", "/accounts/password/", {}, (200, 200, 200, 200, 302)),
    ("accounts:two_factor_setup", "get", "/accounts/2fa/setup/", {}, (200, 200, 200, 200, 302)),
    ("accounts:backup_codes", "get", "/accounts/2fa/backup-codes/", {}, (200, 200, 200, 200, 302)),
    (
        "accounts:two_factor_disable",
        "post",
        "/accounts/2fa/disable/",
        {},
        (302, 302, 302, 302, 302),
    ),
]

# Reachable without an account, by design.
PUBLIC_URL_NAMES = {
    "accounts:login",
    "accounts:verify",
    "accounts:logout",
    "accounts:password_forgotten",
    "accounts:password_reset",
    "healthz",
    "set_language",
    "accept_invitation",
    # The phishing simulation's tracked links: the token is the key, not the account
    # (PUBLIC_CASES below).
    "phishing_public:click",
    "phishing_public:pixel",
    "phishing_public:learn",
    "phishing_public:report",
}


# What the centre changes in A's data by design: it triages the incidents A declares to it.
CENTRE_WORKS_ON_A = {"incidents:triage", "incidents:share"}


def _filled(value: Any, values: dict[str, Any]) -> Any:
    """A row's value for one request: placeholders filled, bytes sent as a file upload."""
    if isinstance(value, bytes):
        return SimpleUploadedFile("upload.csv", value)
    return value.format(**values) if isinstance(value, str) else value


def client_as(world: World, actor: str) -> Client:
    return Client() if actor == "anonymous" else signed_in(world.users[actor])


@pytest.mark.parametrize("actor_index", range(len(ACTORS)), ids=ACTORS)
@pytest.mark.parametrize("case", UI_CASES, ids=[f"{c[1]} {c[2]}" for c in UI_CASES])
def test_ui_url_answers_each_actor_as_expected(
    world: World, case: tuple[str, str, str, dict[str, Any], tuple[int, ...]], actor_index: int
) -> None:
    _name, method, path, data, expected = case
    actor = ACTORS[actor_index]
    before = snapshot_of_a()
    values = vars(world)
    filled = {k.format(**values): _filled(v, values) for k, v in data.items()}
    response = getattr(client_as(world, actor), method)(path.format(**values), filled)
    assert response.status_code == expected[actor_index], response.content[:300]
    assert_security_headers(response)
    if response.status_code == 302 and actor == "anonymous":
        assert response["Location"].startswith("/accounts/login/")
    centre_acts = actor == "centre_analyst" and _name in CENTRE_WORKS_ON_A
    if response.status_code in (403, 404) or (
        actor in ("b_admin", "centre_analyst", "anonymous") and not centre_acts
    ):
        assert snapshot_of_a() == before


def test_not_yours_looks_exactly_like_does_not_exist(world: World) -> None:
    client = signed_in(world.users["b_admin"])
    theirs = client.get("/o/chu-alpha/members/")
    missing = client.get("/o/no-such-org/members/")
    assert theirs.status_code == missing.status_code == 404
    # Django masks the CSRF token differently in every response, and the language form echoes
    # the requested path; the rest must be identical.
    unmask = re.compile(rb'name="(?:csrfmiddlewaretoken|next)" value="[^"]+"')
    assert unmask.sub(b"", theirs.content) == unmask.sub(b"", missing.content)
    assert b"CHU Alpha" not in theirs.content


# (url name, method, path, status for every actor): a genuine token of a sent recipient opens
# the page for whoever holds the link; a forged one (a real target's id, a wrong signature) or
# garbage is a plain 404 that records nothing.
PUBLIC_CASES: list[tuple[str, str, str, int]] = [
    ("phishing_public:click", "get", "/p/{a_phishing_token}/", 200),
    ("phishing_public:click", "post", "/p/{a_phishing_token}/", 302),
    ("phishing_public:pixel", "get", "/p/{a_phishing_token}/o.gif", 200),
    ("phishing_public:learn", "get", "/p/{a_phishing_token}/learn/", 200),
    ("phishing_public:report", "get", "/p/{a_phishing_token}/report", 200),
    ("phishing_public:click", "get", "/p/{a_phishing_token}x/", 404),
    ("phishing_public:click", "post", "/p/{a_phishing_token}x/", 404),
    ("phishing_public:pixel", "get", "/p/{a_phishing_token}x/o.gif", 404),
    ("phishing_public:learn", "get", "/p/{a_phishing_token}x/learn/", 404),
    ("phishing_public:report", "get", "/p/{a_phishing_token}x/report", 404),
    ("phishing_public:click", "get", "/p/garbage/", 404),
    ("phishing_public:report", "get", "/p/1-AAAAAAAAAAAAAAAAAAAAAA/report", 404),
]


@pytest.mark.parametrize("actor_index", range(len(ACTORS)), ids=ACTORS)
@pytest.mark.parametrize("case", PUBLIC_CASES, ids=[f"{c[1]} {c[2]}" for c in PUBLIC_CASES])
def test_public_url_answers_each_actor_as_expected(
    world: World, case: tuple[str, str, str, int], actor_index: int
) -> None:
    _name, method, path, expected = case
    before = snapshot_of_a()
    response = getattr(client_as(world, ACTORS[actor_index]), method)(path.format(**vars(world)))
    assert_security_headers(response)
    assert response.status_code == expected, response.content[:300]
    if expected == 302:
        assert response["Location"] == path.format(**vars(world)) + "learn/"
    if expected == 404:
        assert snapshot_of_a() == before
        assert b"CHU Alpha" not in response.content


def test_every_public_phishing_url_has_its_rows() -> None:
    names = {name for name in PUBLIC_URL_NAMES if name.startswith("phishing_public:")}
    assert names == {case[0] for case in PUBLIC_CASES if case[3] == 200}
    assert names == {case[0] for case in PUBLIC_CASES if case[3] == 404}


def _all_url_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns: list[Any], namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace in ("api-v1", "taxii"):
                    continue  # the API and TAXII have their own matrices below
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(f"{namespace}{pattern.name}")

    walk(get_resolver().url_patterns, "")
    return names


def test_every_ui_url_is_in_the_matrix() -> None:
    covered = {case[0] for case in UI_CASES} | PUBLIC_URL_NAMES
    assert _all_url_names() - covered == set()


# --- API ---------------------------------------------------------------------------------------

OK_API_A = (200, 200, 404, 404, 401)
API_CASES: list[tuple[str, str, str, dict[str, Any] | None, tuple[int, ...]]] = [
    ("get", "/api/v1/me", "/api/v1/me", None, (200, 200, 200, 200, 401)),
    ("get", "/api/v1/organisations", "/api/v1/organisations", None, (200, 200, 200, 200, 401)),
    ("get", "/api/v1/organisations/{slug}", "/api/v1/organisations/chu-alpha", None, OK_API_A),
    (
        "patch",
        "/api/v1/organisations/{slug}",
        "/api/v1/organisations/chu-alpha",
        {"name": "Renamed"},
        (200, 403, 404, 404, 401),
    ),
    (
        "get",
        "/api/v1/organisations/{slug}/members",
        "/api/v1/organisations/chu-alpha/members",
        None,
        OK_API_A,
    ),
    (
        "patch",
        "/api/v1/organisations/{slug}/members/{member_id}",
        "/api/v1/organisations/chu-alpha/members/{a_viewer_member}",
        {"role": "dpo"},
        (200, 403, 404, 404, 401),
    ),
    (
        "patch",
        "/api/v1/organisations/{slug}/members/{member_id}",
        "/api/v1/organisations/clinique-beta/members/{a_viewer_member}",
        {"role": "admin"},
        (404, 404, 404, 404, 401),
    ),
    (
        "delete",
        "/api/v1/organisations/{slug}/members/{member_id}",
        "/api/v1/organisations/chu-alpha/members/{a_viewer_member}",
        None,
        (204, 403, 404, 404, 401),
    ),
    (
        "delete",
        "/api/v1/organisations/{slug}/members/{member_id}",
        "/api/v1/organisations/clinique-beta/members/{a_viewer_member}",
        None,
        (404, 404, 404, 404, 401),
    ),
    (
        "post",
        "/api/v1/organisations/{slug}/invitations",
        "/api/v1/organisations/chu-alpha/invitations",
        {"email": "x@a.example", "role": "viewer"},
        (201, 403, 404, 404, 401),
    ),
    (
        "get",
        "/api/v1/organisations/{slug}/audit",
        "/api/v1/organisations/chu-alpha/audit",
        None,
        (200, 403, 404, 404, 401),
    ),
    (
        "get",
        "/api/v1/organisations/{slug}/establishments",
        "/api/v1/organisations/chu-alpha/establishments",
        None,
        (403, 403, 404, 404, 401),
    ),
    (
        "get",
        "/api/v1/organisations/{slug}/establishments",
        "/api/v1/organisations/centre/establishments",
        None,
        (404, 404, 404, 200, 401),
    ),
    (
        "post",
        "/api/v1/organisations/{slug}/establishments",
        "/api/v1/organisations/centre/establishments",
        {"name": "X", "slug": "x-hospital", "structure_type": "ch", "region": "idf"},
        (404, 404, 404, 403, 401),
    ),
    (
        "get",
        "/api/v1/organisations/{slug}/establishments/{establishment}",
        "/api/v1/organisations/centre/establishments/chu-alpha",
        None,
        (404, 404, 404, 200, 401),
    ),
    (
        "patch",
        "/api/v1/organisations/{slug}/establishments/{establishment}",
        "/api/v1/organisations/centre/establishments/chu-alpha",
        {"name": "Hijacked"},
        (404, 404, 404, 403, 401),
    ),
    (
        "get",
        "/api/v1/organisations/{slug}/assets",
        "/api/v1/organisations/chu-alpha/assets",
        None,
        OK_API_A,
    ),
    (
        "get",
        "/api/v1/organisations/{slug}/assets/{asset_id}",
        "/api/v1/organisations/chu-alpha/assets/{a_asset}",
        None,
        OK_API_A,
    ),
    (
        "get",
        "/api/v1/organisations/{slug}/assets/{asset_id}",
        "/api/v1/organisations/clinique-beta/assets/{a_asset}",
        None,
        (404, 404, 404, 404, 401),
    ),
    (
        "get",
        "/api/v1/organisations/{slug}/inventory/imports",
        "/api/v1/organisations/chu-alpha/inventory/imports",
        None,
        OK_API_A,
    ),
    (
        "get",
        "/api/v1/organisations/{slug}/indicators",
        "/api/v1/organisations/chu-alpha/indicators",
        None,
        OK_API_A,
    ),
    (
        "get",
        "/api/v1/organisations/{slug}/indicators",
        "/api/v1/organisations/centre/indicators",
        None,
        (404, 404, 404, 200, 401),
    ),
    (
        "get",
        "/api/v1/organisations/{slug}/advisories",
        "/api/v1/organisations/chu-alpha/advisories",
        None,
        OK_API_A,
    ),
    (
        "get",
        "/api/v1/organisations/{slug}/sightings",
        "/api/v1/organisations/chu-alpha/sightings",
        None,
        OK_API_A,
    ),
    (
        "post",
        "/api/v1/organisations/{slug}/sightings",
        "/api/v1/organisations/chu-alpha/sightings",
        {"type": "domain", "value": "matrix.example", "log_type": "proxy"},
        (201, 403, 404, 404, 401),
    ),
    (
        "post",
        "/api/v1/organisations/{slug}/sightings",
        "/api/v1/organisations/clinique-beta/sightings",
        {"type": "domain", "value": "matrix.example", "log_type": "dns"},
        (404, 404, 201, 404, 401),
    ),
    (
        "get",
        "/api/v1/organisations/{slug}/incidents",
        "/api/v1/organisations/chu-alpha/incidents",
        None,
        OK_API_A,
    ),
    (
        "post",
        "/api/v1/organisations/{slug}/incidents",
        "/api/v1/organisations/chu-alpha/incidents",
        {"title": "Matrix", "category": "phishing"},
        (201, 403, 404, 404, 401),
    ),
    (
        "get",
        "/api/v1/organisations/{slug}/incidents/{incident_id}",
        "/api/v1/organisations/chu-alpha/incidents/{a_incident}",
        None,
        OK_API_A,
    ),
    (
        "get",
        "/api/v1/organisations/{slug}/incidents/{incident_id}",
        "/api/v1/organisations/clinique-beta/incidents/{a_incident}",
        None,
        (404, 404, 404, 404, 401),
    ),
    (
        "get",
        "/api/v1/organisations/{slug}/incidents/{incident_id}",
        "/api/v1/organisations/centre/incidents/{a_incident}",
        None,
        (404, 404, 404, 200, 401),
    ),
    (
        "post",
        "/api/v1/organisations/{slug}/inventory/imports",
        "/api/v1/organisations/clinique-beta/inventory/imports",
        {"__file__": "id,name\nx,X\n"},
        (404, 404, 201, 404, 401),
    ),
    (
        "post",
        "/api/v1/organisations/{slug}/inventory/imports/{import_id}/commit",
        "/api/v1/organisations/clinique-beta/inventory/imports/{a_import}/commit",
        None,
        (404, 404, 404, 404, 401),
    ),
    (
        "get",
        "/api/v1/organisations/{slug}/alerts",
        "/api/v1/organisations/chu-alpha/alerts",
        None,
        OK_API_A,
    ),
    (
        "get",
        "/api/v1/organisations/{slug}/alerts/{alert_id}",
        "/api/v1/organisations/chu-alpha/alerts/{a_alert}",
        None,
        OK_API_A,
    ),
    (
        "get",
        "/api/v1/organisations/{slug}/alerts/{alert_id}",
        "/api/v1/organisations/clinique-beta/alerts/{a_alert}",
        None,
        (404, 404, 404, 404, 401),
    ),
    (
        "post",
        "/api/v1/organisations/{slug}/alerts/{alert_id}/transition",
        "/api/v1/organisations/chu-alpha/alerts/{a_alert}/transition",
        {"state": "acknowledged"},
        (200, 403, 404, 404, 401),
    ),
    (
        "post",
        "/api/v1/organisations/{slug}/alerts/{alert_id}/transition",
        "/api/v1/organisations/clinique-beta/alerts/{a_alert}/transition",
        {"state": "acknowledged"},
        (404, 404, 404, 404, 401),
    ),
    (
        "get",
        "/api/v1/organisations/{slug}/exposure/{vuln_id}",
        "/api/v1/organisations/centre/exposure/CVE-2099-0001",
        None,
        (404, 404, 404, 200, 401),
    ),
    (
        "get",
        "/api/v1/vulnerabilities/{vuln_id}",
        "/api/v1/vulnerabilities/CVE-2099-0001",
        None,
        (200, 200, 200, 200, 401),
    ),
    # Backups: the establishment's own; the centre reads the readiness score, not the sets.
    (
        "get",
        "/api/v1/organisations/{slug}/backups",
        "/api/v1/organisations/chu-alpha/backups",
        None,
        OK_API_A,
    ),
    (
        "get",
        "/api/v1/organisations/{slug}/backups",
        "/api/v1/organisations/centre/backups",
        None,
        (404, 404, 404, 404, 401),
    ),
    (
        "post",
        "/api/v1/organisations/{slug}/backups/{set_id}/status",
        "/api/v1/organisations/chu-alpha/backups/{a_backup_set}/status",
        {"kind": "snapshots", "output": NEW_STATUS},
        (200, 403, 404, 404, 401),
    ),
    (
        "post",
        "/api/v1/organisations/{slug}/backups/{set_id}/status",
        "/api/v1/organisations/clinique-beta/backups/{a_backup_set}/status",
        {"kind": "snapshots", "output": NEW_STATUS},
        (404, 404, 404, 404, 401),
    ),
    (
        # A bad output is refused whole.
        "post",
        "/api/v1/organisations/{slug}/backups/{set_id}/status",
        "/api/v1/organisations/chu-alpha/backups/{a_backup_set}/status",
        {"kind": "snapshots", "output": '[{"id": "x"}]'},
        (422, 403, 404, 404, 401),
    ),
    ("get", "/api/v1/tokens", "/api/v1/tokens", None, (200, 200, 200, 200, 401)),
    (
        "post",
        "/api/v1/tokens",
        "/api/v1/tokens",
        {"name": "n", "scope": "read"},
        (201, 201, 201, 201, 401),
    ),
    (
        "delete",
        "/api/v1/tokens/{token_id}",
        "/api/v1/tokens/{a_token}",
        None,
        (204, 404, 404, 404, 401),
    ),
]


def api_call(world: World, actor: str, method: str, path: str, body: dict[str, Any] | None) -> Any:
    client = Client()
    headers = {} if actor == "anonymous" else {"Authorization": f"Bearer {world.tokens[actor]}"}
    if body is None:
        return getattr(client, method)(path, headers=headers)
    if "__file__" in body:
        upload = SimpleUploadedFile("inventory.csv", body["__file__"].encode())
        return getattr(client, method)(path, data={"file": upload}, headers=headers)
    return getattr(client, method)(
        path, data=body, content_type="application/json", headers=headers
    )


@pytest.mark.parametrize("actor_index", range(len(ACTORS)), ids=ACTORS)
@pytest.mark.parametrize("case", API_CASES, ids=[f"{c[0]} {c[2]}" for c in API_CASES])
def test_api_endpoint_answers_each_actor_as_expected(
    world: World,
    case: tuple[str, str, str, dict[str, Any] | None, tuple[int, ...]],
    actor_index: int,
) -> None:
    method, _template, path, body, expected = case
    actor = ACTORS[actor_index]
    before = snapshot_of_a()
    response = api_call(world, actor, method, path.format(**vars(world)), body)
    assert_security_headers(response)
    assert response.status_code == expected[actor_index], response.content[:300]
    if response.status_code >= 400:
        assert set(response.json()) == {"error"}
        assert set(response.json()["error"]) == {"code", "message", "fields"}
        assert snapshot_of_a() == before


def test_api_not_yours_looks_exactly_like_does_not_exist(world: World) -> None:
    theirs = api_call(world, "b_admin", "get", "/api/v1/organisations/chu-alpha/members", None)
    missing = api_call(world, "b_admin", "get", "/api/v1/organisations/nope/members", None)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.content == missing.content


def test_every_api_operation_is_in_the_matrix() -> None:
    from vigie.api.v1 import api

    schema = api.get_openapi_schema()
    operations = {
        (method, path.rstrip("/")) for path, item in schema["paths"].items() for method in item
    }
    covered = {(case[0], case[1]) for case in API_CASES}
    assert operations - covered == set()


# --- TAXII 2.1 ---------------------------------------------------------------------------------

TAXII_ACCEPT = "application/taxii+json;version=2.1"
OK_TAXII_A = (200, 200, 404, 404, 401)


def _taxii_world(world: World) -> dict[str, str]:
    from vigie.intel.models import Indicator
    from vigie.intel.visibility import community_of
    from vigie.taxii.collections import collections_for
    from vigie.taxii.models import SubmissionStatus

    est_a = Organisation.objects.get(slug="chu-alpha")
    now = timezone.now()
    row = Indicator.objects.create(
        organisation=est_a,
        community_id=community_of(est_a),
        type="domain",
        value="a-only.example",
        tlp="amber+strict",
        first_seen=now,
        last_seen=now,
    )
    access = access_of(world.users["a_admin"], est_a)
    status = SubmissionStatus.objects.create(
        organisation=est_a, user=world.users["a_admin"], collection="published"
    )
    collection = next(c.id for c in collections_for(access) if c.key == "all")
    return {
        "collection": collection,
        "object": f"indicator--{row.stix_id}",
        "status": str(status.pk),
    }


TAXII_CASES: list[tuple[str, str, tuple[int, ...]]] = [
    ("taxii:discovery", "/taxii2/", (200, 200, 200, 200, 401)),
    ("taxii:api_root", "/taxii2/chu-alpha/", OK_TAXII_A),
    ("taxii:collections", "/taxii2/chu-alpha/collections/", OK_TAXII_A),
    ("taxii:collection", "/taxii2/chu-alpha/collections/{collection}/", OK_TAXII_A),
    ("taxii:objects", "/taxii2/chu-alpha/collections/{collection}/objects/", OK_TAXII_A),
    (
        "taxii:object",
        "/taxii2/chu-alpha/collections/{collection}/objects/{object}/",
        OK_TAXII_A,
    ),
    (
        "taxii:versions",
        "/taxii2/chu-alpha/collections/{collection}/objects/{object}/versions/",
        OK_TAXII_A,
    ),
    ("taxii:manifest", "/taxii2/chu-alpha/collections/{collection}/manifest/", OK_TAXII_A),
    # A status belongs to whoever submitted: the viewer of the same organisation gets 404.
    ("taxii:status", "/taxii2/chu-alpha/status/{status}/", (200, 404, 404, 404, 401)),
]


@pytest.mark.parametrize("actor_index", range(len(ACTORS)), ids=ACTORS)
@pytest.mark.parametrize("case", TAXII_CASES, ids=[c[1] for c in TAXII_CASES])
def test_taxii_endpoint_answers_each_actor_as_expected(
    world: World, case: tuple[str, str, tuple[int, ...]], actor_index: int
) -> None:
    _name, path, expected = case
    actor = ACTORS[actor_index]
    headers = {"Accept": TAXII_ACCEPT}
    if actor != "anonymous":
        headers["Authorization"] = f"Bearer {world.tokens[actor]}"
    response = Client().get(path.format(**_taxii_world(world)), headers=headers)
    assert_security_headers(response)
    assert response.status_code == expected[actor_index], response.content[:300]
    assert response["Content-Type"] == TAXII_ACCEPT
    if response.status_code == 200 and actor not in ("a_admin", "a_viewer"):
        assert b"a-only.example" not in response.content


def test_taxii_not_yours_looks_exactly_like_does_not_exist(world: World) -> None:
    headers = {"Accept": TAXII_ACCEPT, "Authorization": f"Bearer {world.tokens['b_admin']}"}
    theirs = Client().get("/taxii2/chu-alpha/collections/", headers=headers)
    missing = Client().get("/taxii2/no-such-org/collections/", headers=headers)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.content == missing.content


def test_every_taxii_url_is_in_the_matrix() -> None:
    from vigie.taxii.urls import urlpatterns

    names = {f"taxii:{pattern.name}" for pattern in urlpatterns}
    assert names - {case[0] for case in TAXII_CASES} == set()
