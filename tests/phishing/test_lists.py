"""Uploaded recipient lists: only addresses in the establishment's own domains, each error
naming the file, the line and the field, and nothing stored from a file with an error."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from tests.phishing.support import access_of, csv_of, staff
from vigie.audit.models import Action, AuditEvent
from vigie.phishing import actions
from vigie.phishing.models import ListEntry, RecipientList
from vigie.tenancy.models import Organisation

pytestmark = pytest.mark.django_db


def test_a_good_list_is_stored_whole_and_audited(est_a: Organisation, a_admin: Any) -> None:
    access = access_of(a_admin, est_a)
    content = (
        b"\xef\xbb\xbfemail;name;service\n"
        b"agent1@example.org;Agent 1;Urgences\nAGENT2@Example.org;;Pharmacie\n"
    )
    stored = actions.upload_list(
        access, name="Soignants", filename="soignants.csv", content=content
    )
    assert list(stored.entries.values_list("email", "service")) == [
        ("agent1@example.org", "Urgences"),
        ("AGENT2@Example.org", "Pharmacie"),
    ]
    event = AuditEvent.objects.get(action=Action.PHISHING_LIST_UPLOADED)
    assert event.details["recipients"] == 2


def test_a_foreign_domain_is_refused_naming_line_and_field_and_nothing_is_stored(
    est_a: Organisation, a_admin: Any
) -> None:
    access = access_of(a_admin, est_a)
    rows = [*staff(2, "Urgences"), ("victim@gmail.com", "Outsider", "Urgences")]
    with pytest.raises(actions.ListRefused) as refused, translation.override("en"):
        actions.upload_list(access, name="x", filename="staff.csv", content=csv_of(rows))
    [error] = refused.value.errors
    assert (error.filename, error.line, error.field) == ("staff.csv", 4, "email")
    with translation.override("en"):
        text = str(error)
    assert "gmail.com" in text
    assert "outsiders" in text
    assert "staff.csv, line 4" in text
    assert RecipientList.objects.count() == ListEntry.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "line", "field"),
    [
        (b"mail,service\nagent@example.org,U\n", 1, "email"),
        (b"email,service\nnot-an-address,U\n", 2, "email"),
        (b"email,service\nagent@example.org,=HYPERLINK(1)\n", 2, "service"),
        (b"email,service\nagent@example.org,U\nagent@example.org,U\n", 3, "email"),
        (b"email,service,role\nagent@example.org,U,x\n", 1, "role"),
        (b"email,service\n", 0, ""),
        (b"\xff\xfe\x00e", 0, ""),
    ],
)
def test_bad_lists_are_refused_with_where_and_why(
    est_a: Organisation, a_admin: Any, content: bytes, line: int, field: str
) -> None:
    access = access_of(a_admin, est_a)
    with pytest.raises(actions.ListRefused) as refused:
        actions.upload_list(access, name="x", filename="bad.csv", content=content)
    first = refused.value.errors[0]
    assert (first.filename, first.line, first.field) == ("bad.csv", line, field)
    assert RecipientList.objects.count() == 0


def test_a_list_over_the_size_limit_is_refused(est_a: Organisation, a_admin: Any) -> None:
    access = access_of(a_admin, est_a)
    content = b"email\n" + b"a@example.org\n" * 80_000
    with pytest.raises(actions.ListRefused) as refused, translation.override("en"):
        actions.upload_list(access, name="x", filename="big.csv", content=content)
    assert "1 MiB" in str(refused.value)
