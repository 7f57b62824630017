"""The "phishing" readiness pillar, computed as of a given time, and the demo data."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests.helpers import signed_in
from tests.phishing.support import access_of, campaign_for, staff, upload
from vigie.core.demo import DemoReport
from vigie.engines.readiness import score_of
from vigie.phishing import actions
from vigie.phishing.demo import load_phishing
from vigie.phishing.models import Campaign, State, Target
from vigie.phishing.readiness import phishing_reasons
from vigie.tenancy.models import Organisation

pytestmark = pytest.mark.django_db


def test_no_finished_campaign_takes_all_points(est_a: Organisation) -> None:
    reasons = phishing_reasons(est_a, timezone.now())
    assert [(r.code, r.points) for r in reasons] == [("phishing.none", 100)]


def test_last_campaign_clicks_submits_and_reports_make_the_score(
    est_a: Organisation, a_admin: Any
) -> None:
    access = access_of(a_admin, est_a)
    campaign = campaign_for(access, upload(access, staff(10, "Urgences")), rate=120)
    actions.launch(access, campaign)
    actions.send_due()
    now = timezone.now()
    targets = list(Target.objects.order_by("pk"))
    Target.objects.filter(pk__in=[t.pk for t in targets[:3]]).update(
        clicked_at=now, submitted_at=now
    )
    Target.objects.filter(pk__in=[t.pk for t in targets[3:8]]).update(reported_at=now)
    later = now + timedelta(minutes=1)
    codes = {r.code: r for r in phishing_reasons(est_a, later)}
    assert codes["phishing.clicks"].params["rate"] == 30
    assert codes["phishing.submits"].points == 30
    assert codes["phishing.reports_high"].points == 0
    assert score_of(list(codes.values())) == 40
    # As of before the campaign finished, the pillar did not know it.
    before = phishing_reasons(est_a, now - timedelta(hours=1))
    assert [r.code for r in before] == ["phishing.none"]


def test_demo_is_idempotent_and_fills_the_pages(db: Any, make_user: Any) -> None:
    from vigie.core.demo.organisations import load_organisations

    report = DemoReport()
    load_organisations(report)
    load_phishing(report)
    load_phishing(report)
    chu = Organisation.objects.get(slug="chu-val-de-loire")
    done = Campaign.objects.get(organisation=chu, state=State.DONE)
    assert 55 <= done.targets.count() <= 65
    assert Campaign.objects.filter(organisation=chu, state=State.DRAFT).count() == 1
    assert Campaign.objects.filter(organisation__slug="ch-montclair", state=State.DONE).count() == 1
    for target in done.targets.all():
        assert target.sent_at is not None
        for at in (target.opened_at, target.clicked_at, target.submitted_at, target.reported_at):
            assert at is None or at > target.sent_at
    assert done.targets.filter(clicked_at__isnull=False).exists()
    assert done.targets.filter(reported_at__isnull=False).exists()
    officer = chu.memberships.get(user__username="chu.rssi").user
    page = signed_in(officer).get(f"/o/{chu.slug}/phishing/{done.pk}/")
    assert page.status_code == 200
    assert "Urgences adultes" in page.content.decode()
    assert phishing_reasons(chu, timezone.now())[0].code == "phishing.last"
