"""The response-time (SLA) page: deputies are chosen by name and role, never by login, and the
"Deputies" label names the group of checkboxes (a fieldset's legend), not one of its boxes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest

from tests.helpers import signed_in
from vigie.tenancy.models import Organisation
from vigie.tenancy.roles import Role
from vigie.vulns.models import AlertPolicy

POLICY = "/o/chu-alpha/alerts/settings/"


@dataclass
class Group:
    legend: str = ""
    inputs: list[dict[str, str]] = field(default_factory=list)


class _Page(HTMLParser):
    """The page's fieldsets (legend and inputs), every label's text by its `for`, and the
    labels that sit outside any fieldset."""

    def __init__(self) -> None:
        super().__init__()
        self.groups: list[Group] = []
        self.labels: dict[str, str] = {}
        self.loose_inputs: list[dict[str, str]] = []
        self._fieldsets: list[Group] = []
        self._legend: Group | None = None
        self._label: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "fieldset":
            self._fieldsets.append(Group())
        elif tag == "legend" and self._fieldsets:
            self._legend = self._fieldsets[-1]
        elif tag == "label":
            self._label = values.get("for", "")
            self.labels.setdefault(self._label, "")
        elif tag == "input":
            (self._fieldsets[-1].inputs if self._fieldsets else self.loose_inputs).append(values)

    def handle_endtag(self, tag: str) -> None:
        if tag == "fieldset" and self._fieldsets:
            self.groups.append(self._fieldsets.pop())
        elif tag == "legend":
            self._legend = None
        elif tag == "label":
            self._label = None

    def handle_data(self, data: str) -> None:
        if self._legend is not None:
            self._legend.legend += data
        if self._label is not None:
            self.labels[self._label] += data


def _read(content: bytes) -> _Page:
    page = _Page()
    page.feed(content.decode())
    return page


def _squash(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def team(make_user: Callable[..., Any], est_a: Organisation, a_admin: Any) -> dict[str, Any]:
    return {
        "admin": a_admin,  # Alice Admin
        "rssi": make_user(
            "jdupont42", est_a, Role.SECURITY_OFFICER, first_name="Jeanne", last_name="Dupont"
        ),
        "nameless": make_user("x7.tech", est_a, Role.IT_ENGINEER),
    }


def test_deputies_are_listed_by_full_name_and_role_not_by_login(
    team: dict[str, Any], est_b: Organisation, make_user: Callable[..., Any]
) -> None:
    make_user("outsider", est_b, Role.ADMIN, first_name="Olivier", last_name="Ailleurs")
    response = signed_in(team["admin"]).get(POLICY, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = _read(response.content)
    (group,) = [g for g in page.groups if any(i.get("name") == "deputies" for i in g.inputs)]
    shown = sorted(_squash(page.labels[i["id"]]) for i in group.inputs)
    assert shown == [
        "Alice Admin, Administrator",
        "Jeanne Dupont, Security officer (RSSI)",
        "x7.tech@example.org, IT engineer",
    ]
    for login in ("a.admin", "jdupont42"):
        assert not any(login in label for label in shown)


def test_deputies_label_is_the_legend_of_the_checkbox_group(team: dict[str, Any]) -> None:
    response = signed_in(team["admin"]).get(POLICY, HTTP_ACCEPT_LANGUAGE="fr")
    page = _read(response.content)
    (group,) = [g for g in page.groups if any(i.get("name") == "deputies" for i in g.inputs)]
    assert _squash(group.legend) == "Suppléants"
    # Every box is a real, focusable checkbox with its own label (the person), and no label
    # outside the group points at one of them.
    assert all(i["type"] == "checkbox" and "disabled" not in i for i in group.inputs)
    assert all(page.labels.get(i["id"]) for i in group.inputs)
    assert not any(i.get("name") == "deputies" for i in page.loose_inputs)
    assert "Suppléants" not in {_squash(text) for text in page.labels.values()}


def test_chosen_deputies_are_saved_and_shown_checked(team: dict[str, Any], est_a: Any) -> None:
    client = signed_in(team["admin"])
    response = client.post(
        POLICY,
        {
            "ack_hours_act": 4,
            "ack_hours_attend": 24,
            "remediate_days_act": 2,
            "remediate_days_attend": 14,
            "remediate_days_track_star": 30,
            "remediate_days_track": 90,
            "deputies": [team["rssi"].pk],
            "escalate_to_centre": "on",
        },
    )
    assert response.status_code == 302
    assert list(AlertPolicy.objects.get(organisation=est_a).deputies.all()) == [team["rssi"]]
    page = _read(client.get(POLICY).content)
    (group,) = [g for g in page.groups if any(i.get("name") == "deputies" for i in g.inputs)]
    checked = [i["value"] for i in group.inputs if "checked" in i]
    assert checked == [str(team["rssi"].pk)]
