"""Scenario templates: ready-made crisis exercises whose injects are copied into a new exercise.

Code data, translatable: the copy is made in the creator's language, after which the injects are
the exercise's own rows (the facilitator adapts them to the establishment).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class InjectTemplate:
    offset_minutes: int
    channel: str  # vigie.exercises.models.Channel
    title: Promise
    content: Promise
    expected_reaction: Promise


@dataclass(frozen=True)
class ScenarioTemplate:
    code: str
    title: Promise
    kind: str  # vigie.exercises.models.Kind
    summary: Promise
    objectives: Promise
    injects: tuple[InjectTemplate, ...]


RANSOMWARE = ScenarioTemplate(
    code="ransomware",
    title=_("Ransomware attack at night"),
    kind="tabletop",
    summary=_(
        "At 3:40 a.m. the night team finds the patient record (DPI) and the imaging system "
        "(PACS) unreachable. A ransom note is on the file servers. The crisis cell must contain "
        "the attack, keep patients safe in degraded mode, tell the authorities, speak to the "
        "press and decide how to restart."
    ),
    objectives=_(
        "Alert and convene the crisis cell within an hour. Decide to isolate the network. "
        "Switch care units to degraded mode (paper forms, downtime kits). Declare the incident "
        "to the ARS and CERT Santé. Answer the SAMU about emergency admissions. Hold one line "
        "to the press. Refuse the ransom and set restart priorities."
    ),
    injects=(
        InjectTemplate(
            0,
            "phone",
            _("The night team cannot reach the DPI or the PACS"),
            _(
                "The night nurse manager calls the IT hotline: the patient record shows an "
                "error on every ward, the radiologist on call cannot open any image."
            ),
            _(
                "The hotline logs the call, checks whether the outage is general and calls the "
                "on-call IT engineer. Wards start the degraded-mode procedures."
            ),
        ),
        InjectTemplate(
            10,
            "screen",
            _("A ransom note on the file servers"),
            _(
                "Every shared folder holds a file README_RESTORE.txt: the files are encrypted, a "
                "link to a negotiation site and a 72-hour deadline."
            ),
            _(
                "Nobody opens the link or answers. The note is kept as evidence; the incident is "
                "treated as a cyber attack, not a breakdown."
            ),
        ),
        InjectTemplate(
            20,
            "phone",
            _("The on-call IT engineer arrives"),
            _(
                "The engineer confirms that servers are being encrypted one after another and "
                "that backup consoles are unreachable."
            ),
            _(
                "Escalate to the RSSI and the IT director; protect the offline backups; start a "
                "written log (main courante) of every decision and its time."
            ),
        ),
        InjectTemplate(
            30,
            "in_person",
            _("Decision: cut the Internet link?"),
            _(
                "The engineer asks whether to cut the Internet link and the links with the GHT: "
                "it stops the spread but also the teleradiology and the laboratory results."
            ),
            _(
                "The decision is taken by the person on duty with the authority to do so, "
                "written with its time, and the care units affected are told."
            ),
        ),
        InjectTemplate(
            45,
            "phone",
            _("The director on duty and the crisis cell"),
            _(
                "The director on duty is woken up and must decide whether to convene the crisis "
                "cell and trigger the plan blanc."
            ),
            _(
                "The crisis cell is convened (medical, nursing, IT, communication, logistics), a "
                "room and a paper board are ready, roles are given."
            ),
        ),
        InjectTemplate(
            60,
            "email",
            _("Declaring to the ARS and CERT Santé"),
            _(
                "The RSSI asks who declares the incident to the ARS and CERT Santé, and what to "
                "write when so little is known."
            ),
            _(
                "The declaration is made on the health-security incident portal with what is "
                "known; CERT Santé is asked for support; the NIS2 and GDPR clocks are noted."
            ),
        ),
        InjectTemplate(
            75,
            "phone",
            _("The SAMU asks whether emergencies can still admit"),
            _(
                "The SAMU regulator calls: an ambulance with a stroke patient is 20 minutes "
                "away. Can the emergency department and imaging take it?"
            ),
            _(
                "A clear answer from the medical lead of the crisis cell: what can still be "
                "admitted, what is diverted, and to which neighbouring establishments."
            ),
        ),
        InjectTemplate(
            90,
            "press",
            _("A journalist calls"),
            _(
                'A regional newspaper journalist has heard that "the hospital is hacked" and '
                "asks for a comment within the hour."
            ),
            _(
                "Calls go to the communication lead only; a holding statement agreed by the "
                "director; staff are reminded not to speak to the press or on social networks."
            ),
        ),
        InjectTemplate(
            120,
            "social",
            _("The group claims a data leak"),
            _(
                "The attackers publish on their leak site a sample of patient files and "
                "threaten to release everything."
            ),
            _(
                "The DPO assesses the breach for the CNIL notification (72 hours); the leak is "
                "reported to CERT Santé; legal advice and a complaint to the police are started."
            ),
        ),
        InjectTemplate(
            150,
            "email",
            _("The insurer and the ransom question"),
            _(
                "The cyber insurer asks whether the establishment intends to negotiate; a board "
                "member suggests paying to restart faster."
            ),
            _(
                "The doctrine is recalled: no ransom. The insurer is told, its incident-response "
                "support is asked for; the decision is written down."
            ),
        ),
        InjectTemplate(
            180,
            "in_person",
            _("Restart priorities"),
            _(
                "The IT team can rebuild a few systems first from the offline backups. Which "
                "ones, in what order, and on what clean infrastructure?"
            ),
            _(
                "Priorities agreed with the medical side (emergency, laboratory, imaging, "
                "pharmacy, DPI), restore tested before reconnecting, the plan shared with staff."
            ),
        ),
    ),
)

DPI_OUTAGE = ScenarioTemplate(
    code="dpi_outage",
    title=_("Patient record down for 48 hours (no attack)"),
    kind="functional",
    summary=_(
        "A failed storage update makes the patient record (DPI) unavailable for two days. There "
        "is no attack, but every care unit must work on paper and then catch up."
    ),
    objectives=_(
        "Switch every care unit to degraded mode within an hour. Keep prescriptions, "
        "administration records and results safe on paper. Plan the catch-up of the records."
    ),
    injects=(
        InjectTemplate(
            0,
            "phone",
            _("The DPI no longer answers"),
            _("Several wards report that the patient record freezes, then shows an error."),
            _("The hotline confirms a general outage and calls the on-call IT engineer."),
        ),
        InjectTemplate(
            30,
            "email",
            _("The supplier announces 48 hours of repair"),
            _("The storage supplier says the data is safe but the repair will take two days."),
            _("The director on duty convenes a crisis cell and triggers degraded mode."),
        ),
        InjectTemplate(
            60,
            "in_person",
            _("Downtime kits on the wards"),
            _("A ward has no paper prescription forms left and its downtime kit is outdated."),
            _("Kits are checked and completed; printed copies of the last records are used."),
        ),
        InjectTemplate(
            240,
            "phone",
            _("The pharmacy cannot check prescriptions"),
            _("The pharmacy asks how to validate prescriptions without the DPI."),
            _("A paper circuit for prescriptions is agreed with the pharmacy and the wards."),
        ),
        InjectTemplate(
            2880,
            "in_person",
            _("The DPI is back: catching up"),
            _("The DPI is restored. Two days of paper records must be entered."),
            _("A catch-up plan by ward, with checks on prescriptions and results."),
        ),
    ),
)

MAILBOX_TAKEOVER = ScenarioTemplate(
    code="mailbox_takeover",
    title=_("Mailbox taken over, phishing spreading"),
    kind="tabletop",
    summary=_(
        "A doctor's mailbox is taken over after a phishing e-mail. It sends a fake shared "
        "document to every contact, inside and outside the establishment."
    ),
    objectives=_(
        "Detect and contain the account quickly, warn staff and partners, find the other "
        "accounts caught, and assess the data exposed."
    ),
    injects=(
        InjectTemplate(
            0,
            "email",
            _("Staff report a strange shared document"),
            _("Ten staff members forward an e-mail from a doctor asking them to sign in."),
            _("The hotline checks the message and warns the RSSI."),
        ),
        InjectTemplate(
            15,
            "phone",
            _("A partner laboratory calls"),
            _("A partner laboratory received the same e-mail and asks whether it is genuine."),
            _("Partners are warned; the account's password is reset and sessions revoked."),
        ),
        InjectTemplate(
            45,
            "screen",
            _("Other accounts signed in from abroad"),
            _("Sign-in logs show three more accounts used from a foreign address."),
            _("The accounts are blocked, multi-factor authentication is checked or enabled."),
        ),
        InjectTemplate(
            90,
            "in_person",
            _("Were patient data exposed?"),
            _("The doctor's mailbox holds letters and results of patients."),
            _("The DPO assesses the breach and the CNIL notification; the incident is declared."),
        ),
    ),
)

TEMPLATES: dict[str, ScenarioTemplate] = {
    t.code: t for t in (RANSOMWARE, DPI_OUTAGE, MAILBOX_TAKEOVER)
}


def template_choices() -> list[tuple[str, Promise]]:
    return [(t.code, t.title) for t in TEMPLATES.values()]
