"""The hourly check notifies each problem episode once; pages answer by role."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.backups.support import make_set
from tests.helpers import signed_in
from vigie.backups.actions import check_all
from vigie.backups.models import ProblemNotice, Snapshot
from vigie.backups.readiness import reasons
from vigie.tenancy.models import Organisation

pytestmark = pytest.mark.django_db


def test_a_stale_set_is_notified_once_and_again_after_a_new_episode(
    est_a: Organisation, a_admin: Any
) -> None:
    backup_set = make_set(est_a, offline_or_immutable=False)
    now = timezone.now()
    Snapshot.objects.create(
        backup_set=backup_set,
        tool_id="aaaa",
        taken_at=now - timedelta(hours=30),
        source="api",
        ingested_at=now - timedelta(hours=30),
    )
    first = check_all(now)
    codes = set(ProblemNotice.objects.values_list("code", flat=True))
    assert {"stale", "no_offline_copy", "check_never", "restore_test_never"} <= codes
    assert first.notified == len(codes)
    assert check_all(now).notified == 0
    assert check_all(now + timedelta(hours=1)).notified == 0
    Snapshot.objects.create(
        backup_set=backup_set, tool_id="bbbb", taken_at=now, source="api", ingested_at=now
    )
    assert check_all(now + timedelta(hours=1)).notified == 0
    assert check_all(now + timedelta(hours=30)).notified == 1  # stale again, from bbbb


def test_the_readiness_pillar_without_a_set_takes_all_points(est_a: Organisation) -> None:
    (reason,) = reasons(est_a, timezone.now())
    assert (reason.code, reason.points) == ("backups.no_set", 100)
    make_set(est_a)
    codes = {r.code for r in reasons(est_a, timezone.now())}
    assert "backups.never_backed_up" in codes


@pytest.mark.parametrize("name", ["list", "new"])
def test_pages_by_role(
    name: str, est_a: Organisation, a_admin: Any, a_viewer: Any, b_admin: Any, centre_analyst: Any
) -> None:
    url = reverse(f"backups:{name}", kwargs={"org": est_a.slug})
    assert signed_in(a_admin).get(url).status_code == 200
    assert signed_in(a_viewer).get(url).status_code == (200 if name == "list" else 403)
    assert signed_in(b_admin).get(url).status_code == 404
    centre_url = reverse(f"backups:{name}", kwargs={"org": "centre"})
    assert signed_in(centre_analyst).get(centre_url).status_code in (403, 404)


def test_another_establishments_set_is_a_404(
    est_a: Organisation, est_b: Organisation, a_admin: Any, b_admin: Any
) -> None:
    backup_set = make_set(est_b)
    url = reverse("backups:detail", kwargs={"org": est_a.slug, "set_id": backup_set.pk})
    assert signed_in(a_admin).get(url).status_code == 404
    own = reverse("backups:detail", kwargs={"org": est_b.slug, "set_id": backup_set.pk})
    assert signed_in(b_admin).get(own).status_code == 200
