"""The built-in simulated messages ("lures"): code data with translatable text.

Each lure imitates a message staff really receive, with the usual signs of phishing that the
landing page then points out: urgency, a request for credentials, a link whose address does not
match. Texts are English sources translated into French by the catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Lure:
    code: str
    label: Promise
    subject: Promise
    body: Promise  # paragraphs separated by blank lines; no placeholders
    button: Promise


LURES: tuple[Lure, ...] = (
    Lure(
        code="password_expiry",
        label=_("Your password expires today"),
        subject=_("Action required: your password expires today"),
        body=_(
            "Your network password expires at midnight today.\n\n"
            "To keep access to your applications and your mailbox, confirm your current "
            "password now. Without action, your account will be locked and you will have to "
            "call the service desk."
        ),
        button=_("Keep my password"),
    ),
    Lure(
        code="parcel",
        label=_("A parcel for your service"),
        subject=_("A parcel for your service is waiting"),
        body=_(
            "A parcel addressed to your service could not be delivered this morning.\n\n"
            "Sign in to choose a new delivery slot. Parcels not claimed within 48 hours are "
            "sent back to the sender."
        ),
        button=_("Choose a delivery slot"),
    ),
    Lure(
        code="dpi_update",
        label=_("DPI update: confirm your account"),
        subject=_("Patient record software update: confirm your account"),
        body=_(
            "The patient record software (DPI) is being updated tonight.\n\n"
            "All users must confirm their account before 6 pm, or their access will be "
            "suspended during the update."
        ),
        button=_("Confirm my account"),
    ),
    Lure(
        code="payslip",
        label=_("Payslip available"),
        subject=_("Your payslip is available"),
        body=_(
            "Your payslip for this month is available in your employee space.\n\n"
            "Sign in with your usual credentials to view and download it."
        ),
        button=_("View my payslip"),
    ),
)

_BY_CODE = {lure.code: lure for lure in LURES}


def lure(code: str) -> Lure | None:
    return _BY_CODE.get(code)


def choices() -> list[tuple[str, Promise]]:
    return [(item.code, item.label) for item in LURES]
