"""What the incident tests share: a declaration as a hospital fills it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from vigie.incidents.models import Incident
from vigie.tenancy.models import Organisation


def declare_directly(organisation: Organisation, number: int = 1, **fields: Any) -> Incident:
    values: dict[str, Any] = {
        "title": "Rançongiciel sur les serveurs de radiologie",
        "category": "ransomware",
        "origin": "malicious",
        "declared_at": timezone.now(),
        **fields,
    }
    return Incident.objects.create(organisation=organisation, number=number, **values)


def form_data(aware: datetime | None = None, **fields: Any) -> dict[str, Any]:
    """The declaration form's POST: the first section, and what the test adds."""
    data: dict[str, Any] = {
        "title": "Rançongiciel sur les serveurs de radiologie",
        "category": "ransomware",
        "origin": "malicious",
        "emergency": "none",
        "endangerment": "none",
        "transfers_adult": "0",
        "transfers_paediatric": "0",
        "transfers_intensive": "0",
        "transfers_neonatal": "0",
        "deprogrammed_interventions": "0",
        "deprogrammed_consultations": "0",
    }
    if aware is not None:
        data["aware_at"] = timezone.localtime(aware).strftime("%Y-%m-%dT%H:%M")
    data.update(fields)
    return data
