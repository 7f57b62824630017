"""The member an alert is assigned to is stored on the alert, shown in the list, and filtered."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import signed_in
from vigie.tenancy.models import Organisation
from vigie.vulns.models import Alert

from .test_alert_list import Spec, make_alert

pytestmark = pytest.mark.django_db
LIST = "/o/chu-alpha/alerts/"
BULK = "/o/chu-alpha/alerts/bulk/"


def test_bulk_assign_stores_the_assignee_and_the_list_shows_and_filters_it(
    a_admin: Any, make_user: Any, est_a: Organisation
) -> None:
    officer = make_user("a.rssi", est_a, "security_officer")
    theirs = make_alert(est_a, Spec("CVE-2024-0101", "act", assets=("pacs",)))
    other = make_alert(est_a, Spec("CVE-2024-0102", "attend", assets=("pump",)))
    signed_in(a_admin).post(
        BULK, {"alerts": [theirs.pk], "action": "assign", "assignee": officer.pk}
    )
    assert Alert.objects.get(pk=theirs.pk).assignee == officer
    assert Alert.objects.get(pk=other.pk).assignee is None

    client = signed_in(officer)
    everything = client.get(LIST).content.decode()
    assert 'data-testid="alert-assignee">attribuée à a.rssi@example.org<' in everything
    assert "CVE-2024-0102" in everything
    mine = client.get(LIST, {"mine": "on"}).content.decode()
    assert "CVE-2024-0101" in mine
    assert "CVE-2024-0102" not in mine


def test_reassigning_replaces_the_assignee_and_a_deleted_member_leaves_none(
    a_admin: Any, make_user: Any, est_a: Organisation
) -> None:
    first = make_user("a.first", est_a, "security_officer")
    second = make_user("a.second", est_a, "security_officer")
    alert = make_alert(est_a, Spec("CVE-2024-0103", "act", assets=("pacs",)))
    client = signed_in(a_admin)
    client.post(BULK, {"alerts": [alert.pk], "action": "assign", "assignee": first.pk})
    client.post(BULK, {"alerts": [alert.pk], "action": "assign", "assignee": second.pk})
    assert Alert.objects.get(pk=alert.pk).assignee == second
    second.delete()
    assert Alert.objects.get(pk=alert.pk).assignee is None
