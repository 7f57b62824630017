"""Inviting colleagues (real SMTP), accepting, changing roles, keeping an administrator."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from tests.helpers import PASSWORD, MailBox, mail_text
from vigie.audit.models import Action, AuditEvent
from vigie.tenancy.models import Invitation, Membership
from vigie.tenancy.roles import Role


def invite(client: Client, email: str, role: str = Role.IT_ENGINEER) -> Any:
    return client.post("/o/chu-alpha/members/", {"email": email, "role": role})


def link_from(message: Any) -> str:
    match = re.search(r"/invitations/([A-Za-z0-9_\-]+)/", mail_text(message))
    assert match, mail_text(message)
    return match.group(0)


def test_admin_invites_a_colleague_who_receives_an_email_with_a_single_use_link(
    a_admin: Any, client_for: Any, smtp_server: MailBox
) -> None:
    response = invite(client_for(a_admin), "new.colleague@example.org")
    assert response.status_code == 302
    [message] = smtp_server.wait_for(1)
    assert message["To"] == "new.colleague@example.org"
    assert "CHU Alpha" in message["Subject"]
    invitation = Invitation.objects.get()
    link = link_from(message)
    # Only a hash of the link's secret is stored.
    assert link.split("/")[2] not in invitation.token_hash
    event = AuditEvent.objects.get(action=Action.MEMBER_INVITED)
    assert event.organisation.slug == "chu-alpha"
    assert event.details == {"role": Role.IT_ENGINEER}


def test_invited_person_creates_an_account_and_joins_with_the_invited_role(
    a_admin: Any, client_for: Any, smtp_server: MailBox
) -> None:
    invite(client_for(a_admin), "new.colleague@example.org", Role.BIOMEDICAL_ENGINEER)
    link = link_from(smtp_server.wait_for(1)[0])
    visitor = Client()
    assert visitor.get(link).status_code == 200
    weak = visitor.post(link, {"username": "newbie", "password1": "short", "password2": "short"})
    assert weak.status_code == 200
    assert not Membership.objects.filter(user__username="newbie").exists()
    response = visitor.post(
        link,
        {"username": "newbie", "password1": PASSWORD, "password2": PASSWORD, "first_name": "N"},
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user__username="newbie")
    assert membership.role == Role.BIOMEDICAL_ENGINEER
    assert membership.user.email == "new.colleague@example.org"
    # The link works once.
    assert Client().get(link).status_code == 404


def test_existing_user_accepts_an_invitation_while_signed_in(
    a_admin: Any, b_admin: Any, client_for: Any, smtp_server: MailBox
) -> None:
    invite(client_for(a_admin), b_admin.email, Role.VIEWER)
    link = link_from(smtp_server.wait_for(1)[0])
    client = client_for(b_admin)
    response = client.post(link)
    assert response["Location"] == "/o/chu-alpha/"
    assert Membership.objects.filter(user=b_admin, organisation__slug="chu-alpha").exists()


def test_expired_invitation_is_refused(a_admin: Any, client_for: Any, smtp_server: MailBox) -> None:
    invite(client_for(a_admin), "late@example.org")
    link = link_from(smtp_server.wait_for(1)[0])
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    assert Client().get(link).status_code == 404


def test_withdrawn_invitation_is_refused(
    a_admin: Any, client_for: Any, smtp_server: MailBox
) -> None:
    client = client_for(a_admin)
    invite(client, "gone@example.org")
    link = link_from(smtp_server.wait_for(1)[0])
    invitation = Invitation.objects.get()
    client.post(f"/o/chu-alpha/invitations/{invitation.pk}/revoke/")
    assert Client().get(link).status_code == 404
    assert AuditEvent.objects.filter(action=Action.INVITATION_REVOKED).exists()


def test_viewer_cannot_invite(a_viewer: Any, client_for: Any) -> None:
    response = invite(client_for(a_viewer), "x@example.org")
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_centre_role_cannot_be_given_in_an_establishment(a_admin: Any, client_for: Any) -> None:
    response = invite(client_for(a_admin), "x@example.org", Role.ANALYST)
    assert response.status_code == 200
    assert not Invitation.objects.exists()


def test_invalid_email_is_reported_on_the_field(a_admin: Any, client_for: Any) -> None:
    response = invite(client_for(a_admin), "not-an-email")
    assert response.status_code == 200
    assert 'id="id_email_error"' in response.content.decode()


def test_admin_changes_a_role_and_it_is_audited(
    a_admin: Any, a_viewer: Any, client_for: Any
) -> None:
    membership = Membership.objects.get(user=a_viewer)
    client_for(a_admin).post(
        f"/o/chu-alpha/members/{membership.pk}/role/", {"role": Role.SECURITY_OFFICER}
    )
    membership.refresh_from_db()
    assert membership.role == Role.SECURITY_OFFICER
    event = AuditEvent.objects.get(action=Action.ROLE_CHANGED)
    assert event.details == {"from": Role.VIEWER, "to": Role.SECURITY_OFFICER}


def test_last_administrator_cannot_be_demoted_or_removed(a_admin: Any, client_for: Any) -> None:
    client = client_for(a_admin)
    membership = Membership.objects.get(user=a_admin)
    client.post(f"/o/chu-alpha/members/{membership.pk}/role/", {"role": Role.VIEWER})
    client.post(f"/o/chu-alpha/members/{membership.pk}/remove/")
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN


def test_admin_removes_a_member(a_admin: Any, a_viewer: Any, client_for: Any) -> None:
    membership = Membership.objects.get(user=a_viewer)
    client_for(a_admin).post(f"/o/chu-alpha/members/{membership.pk}/remove/")
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert AuditEvent.objects.filter(action=Action.MEMBER_REMOVED).exists()
    # The removed person no longer sees the organisation.
    assert client_for(a_viewer).get("/o/chu-alpha/").status_code == 404


def test_an_invalid_address_gets_one_clear_error_on_the_email_field(
    a_admin: Any, client_for: Any
) -> None:
    client = client_for(a_admin)
    for garbage in ("pas une adresse", "pas une adresse" * 20):
        response = invite(client, garbage)
        assert response.status_code == 200
        page = response.content.decode()
        assert page.count('class="error"') == 1, garbage
        assert 'id="id_email_error">Saisissez une adresse électronique valide' in page
    assert not Invitation.objects.exists()


def test_member_invitations_default_to_the_least_privileged_role(
    a_admin: Any, client_for: Any
) -> None:
    page = client_for(a_admin).get("/o/chu-alpha/members/").content.decode()
    invite_role = re.search(r'<select name="role"[^>]*id="id_role".*?</select>', page, re.S)
    assert invite_role, page
    selected = re.findall(r'<option value="(\w+)"[^>]*selected', invite_role.group(0))
    assert selected == ["viewer"]
