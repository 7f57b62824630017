"""Working a case: triage by the centre, phases, checklist, timeline and comments, and who may
do what (TLP:RED cases included)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests.helpers import signed_in
from tests.incidents.support import declare_directly
from tests.vulns.support import access_of
from vigie.incidents import actions
from vigie.incidents.models import Entry, Incident
from vigie.intel.models import Indicator
from vigie.tenancy.models import Organisation
from vigie.tenancy.roles import OrgKind, Role

pytestmark = pytest.mark.django_db


def _url(incident: Incident, org: Organisation, tail: str = "") -> str:
    return f"/o/{org.slug}/incidents/{incident.pk}/{tail}"


def test_the_centre_triages_and_the_case_moves_to_triage(
    a_admin: Any, est_a: Organisation, centre: Organisation, centre_analyst: Any, a_viewer: Any
) -> None:
    incident = declare_directly(est_a, declared_by=a_admin)
    response = signed_in(centre_analyst).post(
        _url(incident, centre, "triage/"),
        {
            "severity": "1",
            "major": "on",
            "tlp": "amber+strict",
            "pap": "red",
            # a_viewer is not a member of the centre: never assigned
            "analysts": [str(centre_analyst.pk)],
        },
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert (incident.severity, incident.major, incident.tlp, incident.pap) == (
        1,
        True,
        "amber+strict",
        "red",
    )
    assert incident.phase == "triage"
    assert list(incident.analysts.all()) == [centre_analyst]
    assert Entry.objects.filter(incident=incident, kind="triaged").exists()


def test_an_establishment_cannot_triage_its_own_case(a_admin: Any, est_a: Organisation) -> None:
    incident = declare_directly(est_a)
    response = signed_in(a_admin).post(
        _url(incident, est_a, "triage/"), {"severity": "4", "tlp": "clear", "pap": "clear"}
    )
    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.severity is None


def test_another_establishment_gets_the_same_404_as_a_missing_case(
    b_admin: Any, est_a: Organisation, est_b: Organisation
) -> None:
    incident = declare_directly(est_a)
    client = signed_in(b_admin)
    theirs = client.get(_url(incident, est_b))
    missing = client.get(f"/o/{est_b.slug}/incidents/999999/")
    assert theirs.status_code == missing.status_code == 404
    # The same page but for what changes with every request (CSP nonce, CSRF token).
    varying = re.compile(rb'(nonce|value)="[^"]*"')
    assert varying.sub(b"", theirs.content) == varying.sub(b"", missing.content)
    assert client.post(_url(incident, est_b, "phase/"), {"phase": "closed"}).status_code == 404
    incident.refresh_from_db()
    assert incident.phase == "declared"


def test_a_red_case_is_read_at_the_centre_only_by_its_analysts_and_the_admins(
    est_a: Organisation,
    centre: Organisation,
    centre_analyst: Any,
    centre_admin: Any,
    make_user: Any,
) -> None:
    incident = declare_directly(est_a, tlp="red")
    other = make_user("centre.other", centre, Role.ANALYST)
    assert signed_in(other).get(_url(incident, centre)).status_code == 404
    assert signed_in(centre_admin).get(_url(incident, centre)).status_code == 200
    incident.analysts.add(centre_analyst)
    assert signed_in(centre_analyst).get(_url(incident, centre)).status_code == 200
    listed = signed_in(other).get(f"/o/{centre.slug}/incidents/?state=all").content.decode()
    assert incident.reference not in listed


def test_another_centre_never_reads_the_case(est_a: Organisation, make_user: Any) -> None:
    elsewhere = Organisation.objects.create(kind=OrgKind.CENTRE, name="Autre centre", slug="autre")
    analyst = make_user("autre.analyst", elsewhere, Role.ANALYST)
    incident = declare_directly(est_a)
    assert signed_in(analyst).get(_url(incident, elsewhere)).status_code == 404


def test_moving_to_recovery_and_closing_fill_the_times_nobody_wrote(
    a_admin: Any, est_a: Organisation
) -> None:
    incident = declare_directly(est_a)
    client = signed_in(a_admin)
    client.post(_url(incident, est_a, "phase/"), {"phase": "post_incident"})
    incident.refresh_from_db()
    assert incident.contained_at is not None
    assert incident.recovered_at is not None
    assert incident.closed_at is None
    client.post(_url(incident, est_a, "phase/"), {"phase": "closed"})
    incident.refresh_from_db()
    assert incident.closed_at is not None
    client.post(_url(incident, est_a, "phase/"), {"phase": "recovery"})
    incident.refresh_from_db()
    assert incident.closed_at is None  # reopened
    phases = [e.params for e in Entry.objects.filter(incident=incident, kind="phase")]
    assert [p["after"] for p in phases] == ["post_incident", "closed", "recovery"]


def test_an_unknown_phase_is_refused_with_a_message(a_admin: Any, est_a: Organisation) -> None:
    incident = declare_directly(est_a)
    response = signed_in(a_admin).post(
        _url(incident, est_a, "phase/"), {"phase": "<script>"}, follow=True
    )
    assert response.status_code == 200
    assert "&lt;script&gt;" in response.content.decode()
    incident.refresh_from_db()
    assert incident.phase == "declared"


def test_the_centre_and_the_establishment_write_in_the_same_timeline(
    a_admin: Any, est_a: Organisation, centre: Organisation, centre_analyst: Any
) -> None:
    incident = declare_directly(est_a)
    earlier = timezone.localtime(timezone.now() - timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M")
    signed_in(a_admin).post(
        _url(incident, est_a, "entries/"),
        {"text": "Serveurs PACS débranchés du réseau", "at": earlier, "kind": "note"},
    )
    signed_in(centre_analyst).post(
        _url(incident, centre, "entries/"),
        {"text": "Ne redémarrez pas les machines.", "kind": "comment"},
    )
    entries = list(Entry.objects.filter(incident=incident, kind__in=("note", "comment")))
    assert [e.kind for e in entries] == ["note", "comment"]  # ordered by when it happened
    assert entries[0].author_organisation == est_a
    assert entries[1].author_organisation == centre
    page = signed_in(a_admin).get(_url(incident, est_a)).content.decode()
    assert "Ne redémarrez pas les machines." in page


def test_a_timeline_entry_in_the_future_is_refused(a_admin: Any, est_a: Organisation) -> None:
    incident = declare_directly(est_a)
    later = timezone.localtime(timezone.now() + timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M")
    signed_in(a_admin).post(
        _url(incident, est_a, "entries/"), {"text": "plus tard", "at": later, "kind": "note"}
    )
    assert not Entry.objects.filter(incident=incident, kind="note").exists()


def test_ticking_a_task_records_who_and_when_and_a_viewer_cannot(
    a_admin: Any, a_viewer: Any, est_a: Organisation
) -> None:
    incident = actions.declare(
        access_of(a_admin, est_a), {"title": "R", "category": "ransomware"}, []
    )
    task = incident.tasks.get(code="preserve_evidence")
    assert signed_in(a_viewer).post(
        _url(incident, est_a, f"tasks/{task.pk}/"), {"done": "1"}
    ).status_code in (302, 403)
    task.refresh_from_db()
    assert task.done_at is None
    signed_in(a_admin).post(_url(incident, est_a, f"tasks/{task.pk}/"), {"done": "1"})
    task.refresh_from_db()
    assert task.done_at is not None
    assert task.done_by == a_admin
    signed_in(a_admin).post(
        _url(incident, est_a, "tasks/"), {"title": "Prévenir le SAMU", "phase": "containment"}
    )
    assert incident.tasks.filter(title="Prévenir le SAMU", code="").exists()


def test_the_centre_shares_the_case_indicators_under_its_own_name_and_chosen_tlp(
    est_a: Organisation,
    est_b: Organisation,
    centre: Organisation,
    centre_analyst: Any,
    b_admin: Any,
) -> None:
    incident = declare_directly(est_a)
    response = signed_in(centre_analyst).post(
        _url(incident, centre, "share/"),
        {
            "indicators": "c2.lockbit-demo.example\n185.220.101[.]7\nnot an indicator",
            "tlp": "green",
        },
    )
    assert response.status_code == 302
    shared = Indicator.objects.filter(organisation=centre).order_by("value")
    assert [(i.value, i.tlp) for i in shared] == [
        ("185.220.101.7", "green"),
        ("c2.lockbit-demo.example", "green"),
    ]
    assert all(est_a.name not in s.source for i in shared for s in i.sources.all())
    entry = Entry.objects.get(incident=incident, kind="shared")
    assert entry.params["indicators"] == 2
    assert entry.params["tlp"] == "green"
    # Another establishment of the community reads them, without learning whose case it was.
    listed = signed_in(b_admin).get(f"/o/{est_b.slug}/intel/indicators/").content.decode()
    assert "c2.lockbit-demo.example" in listed
    assert est_a.name not in listed


def test_an_establishment_cannot_share_as_the_centre(a_admin: Any, est_a: Organisation) -> None:
    incident = declare_directly(est_a)
    response = signed_in(a_admin).post(
        _url(incident, est_a, "share/"), {"indicators": "evil.example", "tlp": "clear"}
    )
    assert response.status_code == 403
    assert not Indicator.objects.exists()
