"""Declaring an incident: the form, what the case holds afterwards, who is told."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests.helpers import signed_in
from tests.incidents.support import form_data
from vigie.audit.models import AuditEvent
from vigie.incidents.models import Entry, Incident, Task
from vigie.inventory.models import Asset
from vigie.notify.models import Delivery
from vigie.tenancy.models import Organisation

pytestmark = pytest.mark.django_db


def test_declaring_creates_the_case_with_its_ransomware_checklist(
    a_admin: Any, est_a: Organisation, centre_analyst: Any
) -> None:
    aware = timezone.now() - timedelta(hours=2)
    response = signed_in(a_admin).post(
        f"/o/{est_a.slug}/incidents/new/",
        form_data(aware, degraded_mode="on", transfers_neonatal="3"),
    )
    incident = Incident.objects.get(organisation=est_a)
    assert response.status_code == 302
    assert response["Location"] == f"/o/{est_a.slug}/incidents/{incident.pk}/"
    assert incident.reference == f"INC-{incident.declared_at:%Y}-0001"
    assert incident.degraded_mode is True
    assert incident.transfers == 3
    assert incident.declared_by == a_admin
    assert abs((incident.aware_at - aware).total_seconds()) < 60
    codes = list(Task.objects.filter(incident=incident).values_list("code", flat=True))
    required = ["isolate_affected_systems", "preserve_evidence", "do_not_pay_ransom"]
    assert codes[:3] == required
    assert {"file_complaint", "convene_crisis_cell", "activate_degraded_mode"} <= set(codes)
    assert Entry.objects.filter(incident=incident, kind="declared").count() == 1
    assert AuditEvent.objects.filter(action="incident.declared", organisation=est_a).count() == 1


def test_the_centre_analysts_are_emailed_when_the_centre_has_no_channel(
    a_admin: Any, est_a: Organisation, centre_analyst: Any
) -> None:
    signed_in(a_admin).post(f"/o/{est_a.slug}/incidents/new/", form_data(timezone.now()))
    sent = Delivery.objects.filter(event="incident.declared")
    assert [d.recipient for d in sent] == [centre_analyst.email]
    assert sent[0].payload["payload"]["organisation_name"] == est_a.name


def test_numbers_follow_each_other_per_establishment(
    a_admin: Any, b_admin: Any, est_a: Organisation, est_b: Organisation
) -> None:
    for _ in range(2):
        signed_in(a_admin).post(f"/o/{est_a.slug}/incidents/new/", form_data())
    signed_in(b_admin).post(f"/o/{est_b.slug}/incidents/new/", form_data())
    assert sorted(Incident.objects.filter(organisation=est_a).values_list("number", flat=True)) == [
        1,
        2,
    ]
    assert list(Incident.objects.filter(organisation=est_b).values_list("number", flat=True)) == [1]


def test_a_future_time_and_times_out_of_order_are_refused_by_field(
    a_admin: Any, est_a: Organisation
) -> None:
    later = timezone.now() + timedelta(days=1)
    response = signed_in(a_admin).post(
        f"/o/{est_a.slug}/incidents/new/",
        form_data(
            later,
            detected_at=timezone.localtime(timezone.now()).strftime("%Y-%m-%dT%H:%M"),
            first_malicious_at=timezone.localtime(timezone.now() - timedelta(hours=1)).strftime(
                "%Y-%m-%dT%H:%M"
            ),
            contained_at=timezone.localtime(timezone.now() - timedelta(hours=3)).strftime(
                "%Y-%m-%dT%H:%M"
            ),
        ),
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "aware_at" in form.errors
    assert "contained_at" in form.errors
    assert not Incident.objects.exists()


def test_affected_assets_are_found_by_identifier_or_name_and_unknown_ones_named(
    a_admin: Any, est_a: Organisation, est_b: Organisation
) -> None:
    pacs = Asset.objects.create(organisation=est_a, external_id="PACS-01", name="PACS radiologie")
    Asset.objects.create(organisation=est_b, external_id="B-ONLY", name="Serveur de B")
    client = signed_in(a_admin)
    refused = client.post(
        f"/o/{est_a.slug}/incidents/new/", form_data(assets_text="PACS-01\nB-ONLY\n")
    )
    assert "B-ONLY" in str(refused.context["form"].errors["assets_text"])
    client.post(f"/o/{est_a.slug}/incidents/new/", form_data(assets_text="pacs radiologie\n"))
    assert list(Incident.objects.get(organisation=est_a).assets.all()) == [pacs]


def test_a_viewer_may_read_but_not_declare(
    a_admin: Any, a_viewer: Any, est_a: Organisation
) -> None:
    assert signed_in(a_viewer).get(f"/o/{est_a.slug}/incidents/new/").status_code == 403
    signed_in(a_admin).post(f"/o/{est_a.slug}/incidents/new/", form_data())
    incident = Incident.objects.get()
    assert signed_in(a_viewer).get(f"/o/{est_a.slug}/incidents/{incident.pk}/").status_code == 200


def test_editing_says_which_fields_changed(a_admin: Any, est_a: Organisation) -> None:
    client = signed_in(a_admin)
    client.post(f"/o/{est_a.slug}/incidents/new/", form_data())
    incident = Incident.objects.get()
    client.post(
        f"/o/{est_a.slug}/incidents/{incident.pk}/edit/",
        form_data(plan_blanc="on", transfers_adult="4"),
    )
    entry = Entry.objects.get(incident=incident, kind="updated")
    assert sorted(entry.params["fields"]) == ["plan_blanc", "transfers_adult"]
    incident.refresh_from_db()
    assert incident.plan_blanc
    assert incident.transfers_adult == 4


def test_the_case_page_shows_the_clocks_of_an_essential_entity(
    a_admin: Any, est_a: Organisation
) -> None:
    client = signed_in(a_admin)
    client.post(
        f"/o/{est_a.slug}/incidents/new/",
        form_data(timezone.now() - timedelta(hours=30), personal_data="on", health_data="on"),
    )
    incident = Incident.objects.get()
    page = client.get(f"/o/{est_a.slug}/incidents/{incident.pk}/").content.decode()
    for code in ("ars_cert_sante", "nis2_early_warning", "nis2_notification", "gdpr_authority"):
        assert f'data-obligation="{code}"' in page
    # Aware 30 hours ago: the 24-hour early warning is overdue, the 72-hour ones are not.
    assert 'data-obligation="nis2_early_warning" class="clock overdue"' in page
    assert 'data-obligation="nis2_notification" class="clock pending"' in page
