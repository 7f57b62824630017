"""The reports pre-filled from the case: contents per obligation, the establishment's
identifiers, submissions kept as sent."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests.helpers import signed_in
from tests.incidents.support import declare_directly
from vigie.incidents.models import Submission
from vigie.tenancy.models import Organisation

pytestmark = pytest.mark.django_db


def test_the_json_report_holds_the_identifiers_times_and_patient_impact(
    a_admin: Any, est_a: Organisation
) -> None:
    aware = timezone.now() - timedelta(hours=3)
    incident = declare_directly(
        est_a, aware_at=aware, degraded_mode=True, transfers_neonatal=2, transfers_adult=5
    )
    response = signed_in(a_admin).get(
        f"/o/{est_a.slug}/incidents/{incident.pk}/reports/nis2_early_warning/?format=json"
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    report = json.loads(response.content)
    assert report["schema"] == "vigie-incident-report/1"
    assert report["obligation"] == "nis2_early_warning"
    assert report["regulation"] == "nis2"
    assert report["establishment"]["finess"] == "750000010"
    assert report["establishment"]["nis2_class"] == "essential"
    assert report["incident"]["reference"] == incident.reference
    assert report["times"]["aware"] == aware.isoformat()
    assert report["patient_impact"]["transfers"] == {
        "adult": 5,
        "paediatric": 0,
        "intensive_care": 0,
        "neonatal": 2,
        "total": 7,
    }
    codes = [o["code"] for o in report["obligations"]]
    assert "nis2_early_warning" in codes
    assert "ars_cert_sante" in codes
    assert "gdpr_authority" not in codes  # no personal data breached


def test_the_pdf_report_is_a_download(a_admin: Any, est_a: Organisation) -> None:
    incident = declare_directly(est_a, aware_at=timezone.now())
    response = signed_in(a_admin).get(
        f"/o/{est_a.slug}/incidents/{incident.pk}/reports/ars_cert_sante/"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_a_report_that_does_not_apply_is_not_found(a_admin: Any, est_a: Organisation) -> None:
    incident = declare_directly(est_a, aware_at=timezone.now())
    url = f"/o/{est_a.slug}/incidents/{incident.pk}/reports/gdpr_authority/"
    assert signed_in(a_admin).get(url).status_code == 404


def test_a_submission_keeps_the_report_as_it_was_sent(a_admin: Any, est_a: Organisation) -> None:
    incident = declare_directly(est_a, aware_at=timezone.now() - timedelta(hours=1))
    client = signed_in(a_admin)
    response = client.post(
        f"/o/{est_a.slug}/incidents/{incident.pk}/submissions/",
        {"code": "nis2_early_warning", "channel": "ANSSI", "reference": "CERT-2026-1"},
    )
    assert response.status_code == 302
    submission = Submission.objects.get(incident=incident)
    assert submission.snapshot["incident"]["title"] == incident.title
    incident.title = "Titre corrigé"
    incident.save()
    kept = client.get(
        f"/o/{est_a.slug}/incidents/{incident.pk}/submissions/{submission.pk}/?format=json"
    )
    assert json.loads(kept.content)["incident"]["title"] != "Titre corrigé"
    page = client.get(f"/o/{est_a.slug}/incidents/{incident.pk}/").content.decode()
    assert 'data-obligation="nis2_early_warning" class="clock submitted"' in page


def test_a_submission_for_a_report_that_does_not_apply_is_refused(
    a_admin: Any, est_a: Organisation
) -> None:
    incident = declare_directly(est_a, aware_at=timezone.now())
    signed_in(a_admin).post(
        f"/o/{est_a.slug}/incidents/{incident.pk}/submissions/",
        {"code": "gdpr_data_subjects", "channel": "Patients"},
    )
    assert not Submission.objects.exists()


def test_the_centre_cannot_record_a_submission_for_the_establishment(
    est_a: Organisation, centre: Organisation, centre_analyst: Any
) -> None:
    incident = declare_directly(est_a, aware_at=timezone.now())
    response = signed_in(centre_analyst).post(
        f"/o/{centre.slug}/incidents/{incident.pk}/submissions/",
        {"code": "ars_cert_sante", "channel": "ARS"},
    )
    assert response.status_code == 403
    assert not Submission.objects.exists()


def test_the_breach_register_lists_breaches_not_notified_with_their_reason(
    a_admin: Any, est_a: Organisation
) -> None:
    declare_directly(
        est_a,
        number=1,
        title="Dossier envoyé au mauvais patient",
        category="human_error",
        personal_data=True,
        not_notified_reason="Risque improbable : destinataire soignant, courrier détruit.",
    )
    declare_directly(
        est_a, number=2, title="Panne de climatisation", category="infrastructure_failure"
    )
    page = signed_in(a_admin).get(f"/o/{est_a.slug}/incidents/breaches/").content.decode()
    assert "Dossier envoyé au mauvais patient" in page
    assert "Risque improbable" in page
    assert "Panne de climatisation" not in page
