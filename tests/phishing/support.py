"""Helpers of the phishing tests: recipients in the establishment's domain, campaigns."""

from __future__ import annotations

import re
from email.message import Message
from typing import Any

from vigie.phishing import actions
from vigie.phishing.models import Campaign, RecipientList, Source
from vigie.tenancy.access import OrgAccess, org_access
from vigie.tenancy.roles import Cap

DOMAIN = "example.org"  # the fixtures' members use it


def access_of(user: Any, org: Any) -> OrgAccess:
    return org_access(user, org.slug, Cap.RUN_PHISHING)


def csv_of(rows: list[tuple[str, str, str]]) -> bytes:
    lines = ["email,name,service", *(",".join(row) for row in rows)]
    return ("\n".join(lines) + "\n").encode()


def staff(count: int, service: str, start: int = 0) -> list[tuple[str, str, str]]:
    return [(f"agent{n}@{DOMAIN}", f"Agent {n}", service) for n in range(start, start + count)]


def upload(access: OrgAccess, rows: list[tuple[str, str, str]]) -> RecipientList:
    return actions.upload_list(access, name="Staff", filename="staff.csv", content=csv_of(rows))


def campaign_for(
    access: OrgAccess, recipient_list: RecipientList | None, *, rate: int = 20, language: str = "en"
) -> Campaign:
    return actions.save_campaign(
        access,
        actions.CampaignInput(
            name="Spring exercise",
            template="password_expiry",
            language=language,
            sender_name="Service informatique",
            source=Source.LIST if recipient_list is not None else Source.MEMBERS,
            care_unit=None,
            recipient_list=recipient_list,
            rate=rate,
        ),
    )


def links_of(message: Message) -> dict[str, str]:
    """The tracked paths of a received message's HTML part: click, pixel, report."""
    html = ""
    for part in message.walk():
        if part.get_content_type() == "text/html":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            html = payload.decode(part.get_content_charset() or "utf-8")
    paths = re.findall(r'(?:href|src)="https?://[^/"]+(/p/[^"]+)"', html)
    found = {"click": "", "pixel": "", "report": ""}
    for path in paths:
        if path.endswith("/o.gif"):
            found["pixel"] = path
        elif path.endswith("/report"):
            found["report"] = path
        else:
            found["click"] = path
    return found
