"""The report pre-filled from the case, for each regulatory obligation: one JSON document
(for machines, and kept as the snapshot of what was submitted) that the PDF renders.

The document holds codes and values, never sentences: the PDF and the pages render it in
the reader's language. Its `schema` names its version; fields are only ever added.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings

from vigie.engines.incidents.clocks import REGULATION
from vigie.engines.incidents.clocks import Code as ClockCode
from vigie.incidents.deadlines import clocks_of
from vigie.incidents.models import Incident
from vigie.tenancy.models import Organisation

SCHEMA = "vigie-incident-report/1"


def case_url(incident: Incident, reader: Organisation | None = None) -> str:
    slug = (reader or incident.organisation).slug
    return f"{settings.VIGIE_BASE_URL}/o/{slug}/incidents/{incident.pk}/"


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def snapshot(incident: Incident, code: str, now: datetime) -> dict[str, Any]:
    org = incident.organisation
    clocks = clocks_of(incident, now)
    return {
        "schema": SCHEMA,
        "obligation": code,
        "regulation": REGULATION.get(ClockCode(code), "")
        if code in {c.value for c in ClockCode}
        else "",
        "generated_at": now.isoformat(),
        "establishment": {
            "name": org.name,
            "finess": org.finess,
            "structure_type": org.structure_type,
            "region": org.region,
            "ght": org.ght,
            "nis2_class": org.nis2_class,
            "ose": org.ose,
        },
        "incident": {
            "reference": incident.reference,
            "title": incident.title,
            "description": incident.description,
            "category": incident.category,
            "origin": incident.origin,
            "phase": incident.phase,
            "severity": incident.severity,
            "major": incident.major,
            "tlp": incident.tlp,
            "pap": incident.pap,
            "support_requested": incident.support_requested,
            "suspected_malicious": incident.suspected_malicious,
            "cross_border": incident.cross_border,
        },
        "times": {
            "first_malicious_action": _time(incident.first_malicious_at),
            "detected": _time(incident.detected_at),
            "aware": _time(incident.aware_at),
            "declared": _time(incident.declared_at),
            "contained": _time(incident.contained_at),
            "recovered": _time(incident.recovered_at),
            "closed": _time(incident.closed_at),
        },
        "patient_impact": {
            "degraded_mode": incident.degraded_mode,
            "degraded_from": _time(incident.degraded_from),
            "degraded_until": _time(incident.degraded_until),
            "degraded_units": incident.degraded_units,
            "care_is_interrupted": incident.care_is_interrupted,
            "emergency": incident.emergency,
            "plan_blanc": incident.plan_blanc,
            "transfers": {
                "adult": incident.transfers_adult,
                "paediatric": incident.transfers_paediatric,
                "intensive_care": incident.transfers_intensive,
                "neonatal": incident.transfers_neonatal,
                "total": incident.transfers,
            },
            "deprogrammed_interventions": incident.deprogrammed_interventions,
            "deprogrammed_consultations": incident.deprogrammed_consultations,
            "life_support_affected": incident.life_support_affected,
            "medical_devices_affected": incident.medical_devices_affected,
            "delayed_care": incident.delayed_care,
            "endangerment": incident.endangerment,
        },
        "data_impact": {
            "availability": incident.availability,
            "integrity": incident.integrity,
            "confidentiality": incident.confidentiality,
            "personal_data": incident.personal_data,
            "health_data": incident.health_data,
            "people_categories": incident.people_categories,
            "people_count": incident.people_count,
            "records_count": incident.records_count,
            "high_risk_to_people": incident.high_risk_to_people,
            "late_reasons": incident.late_reasons,
        },
        "ransom": {
            "demanded": incident.ransom_demanded,
            "paid": incident.ransom_paid,
            "amount": str(incident.ransom_amount) if incident.ransom_amount is not None else None,
            "currency": incident.ransom_currency,
            "actor": incident.threat_actor,
            "leak_site": incident.leak_site,
        },
        "affected_assets": [
            {"identifier": a.external_id, "name": a.name}
            for a in incident.assets.order_by("name", "pk")[:500]
        ],
        "mitigations": [
            {"step": t.code, "title": t.title, "done": _time(t.done_at)}
            for t in incident.tasks.filter(done_at__isnull=False)
        ],
        "obligations": [
            {
                "code": o.code.value,
                "regulation": o.regulation,
                "due": _time(o.due_at),
                "status": o.status.value,
                "submitted": _time(o.submitted_at),
            }
            for o in clocks
        ],
    }


def case_path(org_slug: str, incident_id: int) -> str:
    return f"/o/{org_slug}/incidents/{incident_id}/"
