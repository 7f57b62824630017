"""Advisories: the centre writes and revises them (every version kept), publishes them to an
audience, and sees who read and acknowledged; TLP decides who may read: RED the people named
only, AMBER+STRICT nobody outside the centre."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from tests.helpers import MailBox, mail_text, signed_in
from vigie.audit.models import Action, AuditEvent
from vigie.intel.models import Advisory, AdvisoryReceipt, Audience, Tlp
from vigie.notify.models import Delivery
from vigie.tenancy.models import Organisation
from vigie.vulns.models import Alert, Vulnerability

NEW = "/o/centre/advisories/new/"


def _form(**fields: Any) -> dict[str, Any]:
    return {
        "title": "Citrix Bleed 2 exploited",
        "severity": "critical",
        "tlp": "amber",
        "summary": "Session tokens leak from NetScaler ADC.",
        "cves": "cve-2025-5777, CVE-2025-5777\nCVE-2025-6543",
        "products": "NetScaler ADC 14.1 before 14.1-43.56",
        "indicators": "",
        "actions": "Patch now, then kill every session.",
        "references": "https://support.citrix.com/article/CTX693420",
        "audience": "all",
        **fields,
    }


def _write(client: Any, url: str = NEW, **fields: Any) -> Advisory:
    response = client.post(url, _form(**fields))
    assert response.status_code == 302, response.content.decode()[:2000]
    return Advisory.objects.order_by("-pk").first()


def _publish(client: Any, advisory: Advisory) -> Any:
    return client.post(f"/o/centre/advisories/{advisory.pk}/publish/")


@pytest.mark.django_db
def test_every_revision_is_a_new_version_and_the_old_ones_stay(
    centre_analyst: Any, a_admin: Any, est_a: Organisation
) -> None:
    client = signed_in(centre_analyst)
    editor = client.get(NEW).content.decode()
    assert "CHU Alpha — Alice Admin (a.admin)" in editor  # whom a TLP:RED advisory may name
    advisory = _write(client)
    assert advisory.reference.startswith("CENTRE-")
    assert advisory.current.cves == ["CVE-2025-5777", "CVE-2025-6543"]
    _write(client, f"/o/centre/advisories/{advisory.pk}/edit/", title="Citrix Bleed 2: patch")
    advisory.refresh_from_db()
    assert list(advisory.versions.values_list("number", "title")) == [
        (2, "Citrix Bleed 2: patch"),
        (1, "Citrix Bleed 2 exploited"),
    ]
    page = client.get(f"/o/centre/advisories/{advisory.pk}/?version=1").content.decode()
    assert "Citrix Bleed 2 exploited" in page
    assert AuditEvent.objects.filter(action=Action.ADVISORY_SAVED).count() == 2


@pytest.mark.django_db
def test_publishing_reaches_the_audience_notifies_it_and_the_centre_sees_who_read_and_acknowledged(
    centre_analyst: Any, a_admin: Any, b_admin: Any, est_a: Organisation, est_b: Organisation
) -> None:
    client = signed_in(centre_analyst)
    advisory = _write(client)
    assert _publish(client, advisory).status_code == 302
    assert set(advisory.receipts.values_list("organisation__slug", flat=True)) == {
        "chu-alpha",
        "clinique-beta",
    }
    deliveries = Delivery.objects.filter(related_object=f"intel.advisory:{advisory.pk}")
    assert {d.organisation.slug for d in deliveries} == {"chu-alpha", "clinique-beta"}
    assert {d.event for d in deliveries} == {"advisory.published"}

    alpha = signed_in(a_admin)
    page = alpha.get(f"/o/chu-alpha/advisories/{advisory.pk}/").content.decode()
    assert "Patch now, then kill every session." in page
    alpha.post(f"/o/chu-alpha/advisories/{advisory.pk}/acknowledge/")
    receipt = AdvisoryReceipt.objects.get(advisory=advisory, organisation=est_a)
    assert receipt.read_by == a_admin
    assert receipt.acknowledged_by == a_admin
    assert receipt.acknowledged_version == 1
    beta_receipt = AdvisoryReceipt.objects.get(advisory=advisory, organisation=est_b)
    assert beta_receipt.read_at is None

    centre_page = client.get(f"/o/centre/advisories/{advisory.pk}/").content.decode()
    alpha_row = centre_page.split('data-receipt="chu-alpha"')[1].split("</tr>")[0]
    assert "Alice Admin" in alpha_row
    beta_row = centre_page.split('data-receipt="clinique-beta"')[1].split("</tr>")[0]
    assert "not yet" in beta_row or "pas encore" in beta_row
    listing = client.get("/o/centre/advisories/").content.decode()
    assert "2 / 1 / 1" in listing

    # The dashboards: the centre sees who still has to acknowledge, Beta that it must.
    english = {"Accept-Language": "en"}
    centre_home = client.get("/o/centre/", headers=english).content.decode()
    assert "1 establishment has not acknowledged it" in centre_home
    beta_home = signed_in(b_admin).get("/o/clinique-beta/", headers=english).content.decode()
    assert (
        advisory.reference
        in beta_home.split('data-testid="intel-dashboard"')[1].split("</section>")[0]
    )
    alpha_home = alpha.get("/o/chu-alpha/", headers=english).content.decode()
    assert (
        advisory.reference
        not in alpha_home.split('data-testid="intel-dashboard"')[1].split("</section>")[0]
    )


@pytest.mark.django_db
def test_establishments_read_the_published_version_not_a_draft_revision(
    centre_analyst: Any, a_admin: Any, est_a: Organisation
) -> None:
    client = signed_in(centre_analyst)
    advisory = _write(client)
    _publish(client, advisory)
    _write(client, f"/o/centre/advisories/{advisory.pk}/edit/", title="Draft, not ready")
    page = signed_in(a_admin).get(f"/o/chu-alpha/advisories/{advisory.pk}/").content.decode()
    assert "Citrix Bleed 2 exploited" in page
    assert "Draft, not ready" not in page
    # Publishing the revision tells them again, as a revision, and asks for a new acknowledgement.
    _publish(client, advisory)
    assert Delivery.objects.filter(event="advisory.revised").exists()
    assert AdvisoryReceipt.objects.get(advisory=advisory, organisation=est_a).version == 2


@pytest.mark.django_db
def test_audiences_by_region_by_name_and_by_affected_inventory(
    centre_analyst: Any, a_admin: Any, b_admin: Any, est_a: Organisation, est_b: Organisation
) -> None:
    client = signed_in(centre_analyst)
    by_region = _write(client, audience="region", regions=["ara"])
    _publish(client, by_region)
    assert list(by_region.receipts.values_list("organisation__slug", flat=True)) == [
        "clinique-beta"
    ]
    assert signed_in(a_admin).get(f"/o/chu-alpha/advisories/{by_region.pk}/").status_code == 404

    named = _write(client, audience="named", establishments=[str(est_a.pk)])
    _publish(client, named)
    assert list(named.receipts.values_list("organisation__slug", flat=True)) == ["chu-alpha"]

    vuln = Vulnerability.objects.create(vuln_id="CVE-2025-5777", title="Citrix Bleed 2")
    now = timezone.now()
    Alert.objects.create(
        organisation=est_b, vulnerability=vuln, priority="act", first_seen=now, state_changed_at=now
    )
    affected = _write(client, audience="affected")
    _publish(client, affected)
    assert list(affected.receipts.values_list("organisation__slug", flat=True)) == ["clinique-beta"]


@pytest.mark.django_db
def test_red_reaches_the_people_named_only_by_e_mail_never_their_colleagues_or_channels(
    centre_analyst: Any, a_admin: Any, a_viewer: Any, b_admin: Any, est_a: Organisation
) -> None:
    client = signed_in(centre_analyst)
    advisory = _write(client, tlp="red", recipients=[str(a_admin.pk)])
    _publish(client, advisory)
    assert signed_in(a_admin).get(f"/o/chu-alpha/advisories/{advisory.pk}/").status_code == 200
    assert signed_in(a_viewer).get(f"/o/chu-alpha/advisories/{advisory.pk}/").status_code == 404
    assert signed_in(b_admin).get(f"/o/clinique-beta/advisories/{advisory.pk}/").status_code == 404
    deliveries = Delivery.objects.filter(related_object=f"intel.advisory:{advisory.pk}")
    assert [(d.channel_id, d.recipient) for d in deliveries] == [(None, a_admin.email)]
    assert (
        advisory.reference
        not in signed_in(a_viewer).get("/o/chu-alpha/advisories/").content.decode()
    )


@pytest.mark.django_db
def test_amber_strict_and_red_without_people_are_refused_and_nothing_leaves(
    centre_analyst: Any, est_a: Organisation
) -> None:
    client = signed_in(centre_analyst)
    strict = _write(client, tlp="amber+strict")
    red = _write(client, tlp="red")
    for advisory in (strict, red):
        _publish(client, advisory)
        advisory.refresh_from_db()
        assert advisory.published_at is None
        assert not advisory.receipts.exists()
    assert not Delivery.objects.filter(related_object__startswith="intel.advisory:").exists()


@pytest.mark.django_db
def test_bad_input_names_the_field_and_saves_nothing(centre_analyst: Any) -> None:
    client = signed_in(centre_analyst)
    response = client.post(
        NEW,
        _form(references="https://ok.example/\njavascript:alert(1)", audience="region"),
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Line 2 is not a web address: javascript:alert(1)" in page
    assert "Choose at least one region." in page
    affected = client.post(NEW, _form(cves="none", audience=Audience.AFFECTED))
    assert affected.status_code == 200
    assert Advisory.objects.count() == 0


@pytest.mark.django_db
def test_only_the_centre_s_publishers_write_and_publish(a_admin: Any, centre_analyst: Any) -> None:
    alpha = signed_in(a_admin)
    assert alpha.get("/o/chu-alpha/advisories/new/").status_code == 403
    advisory = _write(signed_in(centre_analyst))
    assert alpha.post(f"/o/chu-alpha/advisories/{advisory.pk}/publish/").status_code == 403
    assert alpha.get(f"/o/centre/advisories/{advisory.pk}/").status_code == 404


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_red_advisory_e_mail_reaches_the_named_person_in_their_language(
    smtp_server: MailBox,
    centre: Organisation,
    est_a: Organisation,
    make_user: Any,
    language: str,
) -> None:
    from vigie.tenancy.roles import Role

    analyst = make_user("centre.analyst", centre, Role.ANALYST)
    named = make_user("a.rssi", est_a, Role.SECURITY_OFFICER, language=language)
    client = signed_in(analyst)
    with transaction.atomic():
        advisory = _write(client, tlp="red", recipients=[str(named.pk)])
        _publish(client, advisory)
    [message] = smtp_server.wait_for(1)
    assert message["To"] == "a.rssi@example.org"
    body = mail_text(message)
    assert f"/o/chu-alpha/advisories/{advisory.pk}/" in body
    assert "Session tokens leak" not in body  # the text stays on the platform
    if language == "en":
        assert "TLP:RED: for you only" in body
        assert str(message["Subject"]).strip().startswith("[Vigie Santé] Advisory CENTRE-")
    else:
        assert "TLP:RED : pour vous seul" in body
        assert str(message["Subject"]).strip().startswith("[Vigie Santé] Avis CENTRE-")
    assert advisory.current.tlp == Tlp.RED
