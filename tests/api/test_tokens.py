"""Personal API tokens: shown once, stored hashed, scoped, revocable, expiring, last-used."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from vigie.api.models import ApiToken
from vigie.api.tokens import create_token
from vigie.audit.models import Action, AuditEvent


def bearer(secret: str, scheme: str = "Bearer") -> dict[str, str]:
    return {"Authorization": f"{scheme} {secret}"}


def test_token_is_prefixed_and_only_its_hash_is_stored(a_admin: Any) -> None:
    token, secret = create_token(user=a_admin, name="ci")
    assert secret.startswith("vgs_")
    assert len(secret) > 40
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(vars(stored).values())
    assert AuditEvent.objects.filter(action=Action.TOKEN_CREATED, actor=a_admin).exists()


@pytest.mark.parametrize("scheme", ["Bearer", "Token", "bearer"])
def test_token_authenticates_with_bearer_or_token_scheme(a_admin: Any, scheme: str) -> None:
    _token, secret = create_token(user=a_admin, name="ci")
    response = Client().get("/api/v1/me", headers=bearer(secret, scheme))
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "a.admin"
    assert body["token_scope"] == "read"
    assert body["memberships"][0]["organisation"] == "chu-alpha"


def test_read_token_cannot_write(a_admin: Any) -> None:
    _token, secret = create_token(user=a_admin, name="ci", scope="read")
    response = Client().patch(
        "/api/v1/organisations/chu-alpha",
        data={"name": "X"},
        content_type="application/json",
        headers=bearer(secret),
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"


def test_revoked_and_expired_tokens_are_refused_with_a_clear_message(a_admin: Any) -> None:
    revoked, revoked_secret = create_token(user=a_admin, name="old")
    revoked.revoked_at = timezone.now()
    revoked.save()
    _expired, expired_secret = create_token(
        user=a_admin, name="short", expires_at=timezone.now() - timedelta(seconds=1)
    )
    english = {"Accept-Language": "en"}
    for secret, word in ((revoked_secret, "revoked"), (expired_secret, "expired")):
        response = Client().get("/api/v1/me", headers={**bearer(secret), **english})
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert word in response.json()["error"]["message"]
    garbage = Client().get("/api/v1/me", headers={**bearer("vgs_not-a-real-token"), **english})
    assert garbage.status_code == 401
    assert garbage.json()["error"] == {
        "code": "unauthenticated",
        "message": "Invalid API token.",
        "fields": {},
    }


def test_token_of_a_deactivated_user_stops_working(a_admin: Any) -> None:
    _token, secret = create_token(user=a_admin, name="ci")
    a_admin.is_active = False
    a_admin.save()
    assert Client().get("/api/v1/me", headers=bearer(secret)).status_code == 401


def test_last_used_date_is_recorded(a_admin: Any) -> None:
    token, secret = create_token(user=a_admin, name="ci")
    Client().get("/api/v1/me", headers=bearer(secret), REMOTE_ADDR="192.0.2.7")
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert token.last_used_ip == "192.0.2.7"


def test_tokens_page_shows_a_new_token_once_and_revokes(a_admin: Any, client_for: Any) -> None:
    client = client_for(a_admin)
    response = client.post(
        "/accounts/tokens/", {"name": "backup script", "scope": "read", "expires": "30"}
    )
    assert response.status_code == 302
    page = client.get("/accounts/tokens/").content.decode()
    assert 'data-testid="new-token">vgs_' in page
    assert 'data-testid="new-token"' not in client.get("/accounts/tokens/").content.decode()
    token = ApiToken.objects.get(name="backup script")
    assert token.expires_at is not None
    client.post(f"/accounts/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.filter(action=Action.TOKEN_REVOKED).exists()


def test_read_token_cannot_mint_a_write_token(a_admin: Any) -> None:
    _token, secret = create_token(user=a_admin, name="ci", scope="write")
    # A write token can create tokens; the new secret is in the answer, once.
    made = Client().post(
        "/api/v1/tokens",
        data={"name": "n", "scope": "read"},
        content_type="application/json",
        headers=bearer(secret),
    )
    assert made.status_code == 201
    assert made.json()["token"].startswith("vgs_")
    assert "token" not in Client().get("/api/v1/tokens", headers=bearer(secret)).json()["items"][0]


def test_cli_prints_the_new_token_alone_on_the_last_line(a_admin: Any) -> None:
    out, err = StringIO(), StringIO()
    call_command("token", "create", "--user", "a.admin", "--scope", "write", stdout=out, stderr=err)
    last = out.getvalue().strip().splitlines()[-1]
    assert last.startswith("vgs_")
    assert " " not in last
    response = Client().get("/api/v1/me", headers=bearer(last))
    assert response.json()["token_scope"] == "write"
    assert AuditEvent.objects.get(action=Action.TOKEN_CREATED).details["via"] == "cli"


def test_cli_refuses_an_unknown_user(db: Any) -> None:
    with pytest.raises(CommandError, match="no user named"):
        call_command("token", "create", "--user", "nobody")
