"""TLP enforced in one place: who, in which organisation, sees which indicator.

The matrix publishes one indicator per marking from the centre and from an establishment, then
reads as every organisation of the community and of a second, unrelated community.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests.helpers import signed_in
from tests.vulns.support import access_of
from vigie.api.tokens import create_token
from vigie.intel.models import Indicator, Tlp
from vigie.intel.visibility import community_of, visible_indicators
from vigie.tenancy.models import Organisation
from vigie.tenancy.roles import OrgKind, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def elsewhere(make_user: Callable[..., Any]) -> dict[str, Any]:
    """A second support centre and one of its establishments, with a member each."""
    centre = Organisation.objects.create(kind=OrgKind.CENTRE, name="Centre Sud", slug="sud")
    est = Organisation.objects.create(
        kind=OrgKind.ESTABLISHMENT, name="CH Delta", slug="ch-delta", centre=centre
    )
    return {
        "sud": (make_user("sud.analyst", centre, Role.ANALYST), centre),
        "delta": (make_user("delta.admin", est, Role.ADMIN), est),
    }


def _publish(org: Organisation, tlp: str, recipients: tuple[Any, ...] = ()) -> Indicator:
    now = timezone.now()
    row = Indicator.objects.create(
        organisation=org,
        community_id=community_of(org),
        type="domain",
        value=f"{org.slug}-{tlp.replace('+', '-')}.example",
        tlp=tlp,
        first_seen=now,
        last_seen=now,
    )
    row.recipients.set(recipients)
    return row


@pytest.fixture
def readers(
    centre: Organisation,
    est_a: Organisation,
    est_b: Organisation,
    centre_analyst: Any,
    a_admin: Any,
    b_admin: Any,
    elsewhere: dict[str, Any],
) -> dict[str, Any]:
    return {
        "centre": access_of(centre_analyst, centre),
        "a": access_of(a_admin, est_a),
        "b": access_of(b_admin, est_b),
        "sud": access_of(*elsewhere["sud"]),
        "delta": access_of(*elsewhere["delta"]),
    }


def _seen(readers: dict[str, Any], row: Indicator) -> set[str]:
    return {
        name
        for name, access in readers.items()
        if visible_indicators(access).filter(pk=row.pk).exists()
    }


EVERYONE = {"centre", "a", "b", "sud", "delta"}
COMMUNITY = {"centre", "a", "b"}


@pytest.mark.parametrize(
    ("tlp", "expected"),
    [
        (Tlp.CLEAR, EVERYONE),
        (Tlp.GREEN, COMMUNITY),
        (Tlp.AMBER, COMMUNITY),  # the centre's clients: its establishments
        (Tlp.AMBER_STRICT, {"centre"}),
    ],
)
def test_what_the_centre_publishes_reaches_whom_its_marking_allows(
    readers: dict[str, Any], centre: Organisation, tlp: str, expected: set[str]
) -> None:
    assert _seen(readers, _publish(centre, tlp)) == expected


@pytest.mark.parametrize(
    ("tlp", "expected"),
    [
        (Tlp.CLEAR, EVERYONE),
        (Tlp.GREEN, COMMUNITY),
        (Tlp.AMBER, {"a", "centre"}),  # its centre, never the other establishments
        (Tlp.AMBER_STRICT, {"a"}),  # never leaves the organisation
    ],
)
def test_what_an_establishment_publishes_reaches_whom_its_marking_allows(
    readers: dict[str, Any], est_a: Organisation, tlp: str, expected: set[str]
) -> None:
    assert _seen(readers, _publish(est_a, tlp)) == expected


def test_red_reaches_the_named_people_only_not_their_colleagues(
    readers: dict[str, Any],
    centre: Organisation,
    est_a: Organisation,
    a_admin: Any,
    make_user: Callable[..., Any],
) -> None:
    colleague = make_user("a.colleague", est_a, Role.SECURITY_OFFICER)
    red = _publish(centre, Tlp.RED, recipients=(a_admin,))
    assert _seen(readers, red) == {"a"}
    assert not visible_indicators(access_of(colleague, est_a)).filter(pk=red.pk).exists()
    # Not even the publisher's own analysts, unless named.
    assert not visible_indicators(readers["centre"]).filter(pk=red.pk).exists()


def test_a_person_in_two_organisations_sees_what_each_may_see_separately(
    est_a: Organisation, est_b: Organisation, a_admin: Any
) -> None:
    from vigie.tenancy.models import Membership

    Membership.objects.create(user=a_admin, organisation=est_b, role=Role.VIEWER)
    strict = _publish(est_a, Tlp.AMBER_STRICT)
    assert visible_indicators(access_of(a_admin, est_a)).filter(pk=strict.pk).exists()
    assert not visible_indicators(access_of(a_admin, est_b)).filter(pk=strict.pk).exists()


def test_pages_and_api_show_only_what_the_reader_may_see(
    est_a: Organisation, centre: Organisation, b_admin: Any, a_admin: Any
) -> None:
    mine = _publish(est_a, Tlp.AMBER)
    shared = _publish(centre, Tlp.GREEN)
    page = signed_in(b_admin).get("/o/clinique-beta/intel/indicators/").content.decode()
    assert shared.value in page
    assert mine.value not in page
    _token, secret = create_token(user=b_admin, name="siem")
    body = Client().get(
        "/api/v1/organisations/clinique-beta/indicators",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert body.status_code == 200, body.content
    values = {item["value"] for item in body.json()["items"]}
    assert values == {shared.value}
    own = signed_in(a_admin).get("/o/chu-alpha/intel/indicators/").content.decode()
    assert mine.value in own
