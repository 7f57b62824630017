"""Building indicators and TAXII requests for the TAXII tests."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import requests
from django.test import Client
from django.utils import timezone

from vigie.api.tokens import create_token
from vigie.intel.models import Indicator
from vigie.intel.visibility import community_of
from vigie.tenancy.models import Organisation

TAXII = "application/taxii+json;version=2.1"


def publish(
    org: Organisation,
    tlp: str,
    value: str,
    type_: str = "domain",
    recipients: tuple[Any, ...] = (),
    **fields: Any,
) -> Indicator:
    now = timezone.now()
    row = Indicator.objects.create(
        organisation=org,
        community_id=community_of(org),
        type=type_,
        value=value,
        tlp=tlp,
        first_seen=fields.pop("first_seen", now - timedelta(days=2)),
        last_seen=now,
        **fields,
    )
    row.recipients.set(recipients)
    return row


def bearer(user: Any, scope: str = "read") -> dict[str, str]:
    _token, secret = create_token(user=user, name="taxii", scope=scope)
    return {"Authorization": f"Bearer {secret}", "Accept": TAXII}


def basic(user: Any, scope: str = "read") -> dict[str, str]:
    _token, secret = create_token(user=user, name="taxii", scope=scope)
    pair = base64.b64encode(f"{user.username}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {pair}", "Accept": TAXII}


def get(path: str, headers: dict[str, str], **params: Any) -> Any:
    return Client().get(path, params, headers=headers)


class BearerAuth(requests.auth.AuthBase):
    """`Authorization: Bearer <token>` for requests-based clients (taxii2-client)."""

    def __init__(self, secret: str) -> None:
        self.secret = secret

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.secret}"
        return request
