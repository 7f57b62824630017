"""Channel filters and the daily digest, through the real pipeline and a real SMTP server.

A biomedical engineer's channel keeps the medical devices of intensive care: the pump alerts
reach it, listing only the pumps of that unit; the alerts on the reception workstation do not.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from email.message import Message
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from tests.helpers import MailBox, mail_text
from tests.notify.conftest import Receiver, access_for, make_webhook
from tests.vulns.support import HEADER, import_csv, load_feeds
from vigie.audit.models import AuditEvent
from vigie.notify import actions, outbox
from vigie.notify.forms import EmailChannelForm
from vigie.notify.models import Channel, ChannelKind, Delivery
from vigie.tenancy.models import Organisation
from vigie.tenancy.roles import Role
from vigie.vulns import alerting
from vigie.vulns.models import Alert

PUMP_ALERT = "CVE-2023-30563"  # BD Alaris, made Attend by a KEV listing below
WORKSTATION_ALERT = "CVE-2024-38475"  # Apache HTTP Server: Attend on the workstation
INVENTORY = HEADER + (
    "pump-rea,Pompe Alaris Réa 12,medical-device,BD,Alaris PC Unit model 8015,9.19,,,,"
    "life-sustaining,vendor-remote,Réanimation\n"
    "pump-bloc,Pompe Alaris Bloc 3,medical-device,BD,Alaris PC Unit model 8015,9.19,,,,"
    "life-sustaining,internal,Bloc opératoire\n"
    "ws-accueil,Poste accueil,workstation,Apache,HTTP Server,2.4.59,"
    "cpe:2.3:a:apache:http_server:2.4.59:*:*:*:*:*:*:*,,,support,internal,Accueil\n"
)
FRENCH_MONTHS = [
    "",
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
FRENCH_DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
# Words of the English templates that a French reader must never see.
ENGLISH_WORDS = [
    "Daily digest",
    "alerts for you",
    "affected asset",
    "Times are given",
    "time zone",
    "remediate",
    "acknowledge",
    "before",
    "Overdue",
    "All the alerts",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "December",
    "January",
    "new]",
]


def _kev_listing(folder: Path) -> Path:
    """A KEV catalogue listing the pump vulnerability: exploited, so it is Attend at once."""
    path = folder / "kev-pump.json"
    entry = {
        "cveID": PUMP_ALERT,
        "vendorProject": "BD",
        "product": "Alaris",
        "vulnerabilityName": "BD Alaris",
        "dateAdded": "2026-11-30",
        "shortDescription": "Exploited.",
        "requiredAction": "Apply the vendor's fix.",
        "dueDate": "2026-12-21",
        "knownRansomwareCampaignUse": "Unknown",
        "notes": "",
        "cwes": [],
    }
    catalogue = {
        "title": "CISA Catalog of Known Exploited Vulnerabilities",
        "catalogVersion": "2026.12.01",
        "dateReleased": "2026-12-01T00:00:00Z",
        "count": 1,
        "vulnerabilities": [entry],
    }
    path.write_text(json.dumps(catalogue))
    return path


@pytest.fixture
def biomed_channel(est_a: Organisation, a_admin: Any, make_user: Callable[..., Any]) -> Channel:
    """The biomedical engineers' channel: medical devices of intensive care, any priority."""
    make_user(
        "biomed.fr", est_a, Role.BIOMEDICAL_ENGINEER, language="fr", time_zone="Indian/Reunion"
    )
    make_user("biomed.en", est_a, Role.BIOMEDICAL_ENGINEER, language="en", time_zone="Europe/Paris")
    channel = Channel(
        kind=ChannelKind.EMAIL,
        name="Biomédical réanimation",
        roles=[Role.BIOMEDICAL_ENGINEER.value],
        care_units=["réanimation"],  # the inventory writes "Réanimation": case does not matter
        asset_kinds=["medical-device"],
    )
    actions.create_channel(access=access_for(a_admin, est_a), channel=channel)
    return channel


def _load_hospital(est_a: Organisation, a_admin: Any, small_feeds: Path, tmp_path: Path) -> None:
    import_csv(access_for(a_admin, est_a), INVENTORY)
    load_feeds(small_feeds, _kev_listing(tmp_path))


def _text(message: Message) -> str:
    # Non-breaking spaces (French typography before « : ») read as spaces here.
    return mail_text(message).replace("\r\n", "\n").replace("\u00a0", " ")


def _to(messages: list[Message], address: str) -> list[Message]:
    return [m for m in messages if m["To"] == address]


def _subject_of(message: Message, vuln: str) -> bool:
    return vuln in str(message["Subject"])


def _french_in_words(moment: datetime, zone: str) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    return (
        f"{FRENCH_DAYS[local.weekday()]} {local.day} {FRENCH_MONTHS[local.month]} {local.year}"
        f" à {local.hour} h {local.minute:02d}"
    )


def test_filtered_channel_gets_the_pump_alert_with_only_its_care_unit_and_not_the_workstation(
    smtp_server: MailBox,
    est_a: Organisation,
    a_admin: Any,
    biomed_channel: Channel,
    small_feeds: Path,
    tmp_path: Path,
) -> None:
    _load_hospital(est_a, a_admin, small_feeds, tmp_path)
    pump = Alert.objects.get(organisation=est_a, vulnerability__vuln_id=PUMP_ALERT)
    workstation = Alert.objects.get(organisation=est_a, vulnerability__vuln_id=WORKSTATION_ALERT)
    assert pump.priority == workstation.priority == "attend"

    expected = Delivery.objects.filter(channel__isnull=False, event="alert.new").count()
    messages = smtp_server.wait_for(expected)
    assert len(messages) == expected
    biomed = _to(messages, "biomed.fr@example.org")
    assert [_subject_of(m, PUMP_ALERT) for m in biomed] == [True]
    text = _text(biomed[0])
    assert "Pompe Alaris Réa 12 (Dispositif médical, Réanimation, Vital)" in text
    assert "Bloc 3" not in text  # the other pump is in the operating theatre, not this unit
    assert "2 actifs concernés au total." in text
    # The administrators' channel has no filter: both alerts, both pumps.
    admin = _to(messages, "a.admin@example.org")
    assert {PUMP_ALERT, WORKSTATION_ALERT} <= {
        vuln for m in admin for vuln in (PUMP_ALERT, WORKSTATION_ALERT) if _subject_of(m, vuln)
    }
    [admin_pump] = [m for m in admin if _subject_of(m, PUMP_ALERT)]
    assert "Bloc 3" in _text(admin_pump)

    english = _text(_to(messages, "biomed.en@example.org")[0])
    assert "Pompe Alaris Réa 12 (Medical device, Réanimation, Life-sustaining)" in english
    assert "SSVC priority: Attend." in english
    assert "listed in CISA KEV since Monday 30 November 2026" in english  # never ISO


def test_french_alert_mail_gives_its_deadline_in_words_in_the_readers_zone(
    smtp_server: MailBox,
    est_a: Organisation,
    a_admin: Any,
    biomed_channel: Channel,
    small_feeds: Path,
    tmp_path: Path,
) -> None:
    _load_hospital(est_a, a_admin, small_feeds, tmp_path)
    pump = Alert.objects.get(organisation=est_a, vulnerability__vuln_id=PUMP_ALERT)
    assert pump.remediation_due_at is not None
    expected = Delivery.objects.filter(channel__isnull=False, event="alert.new").count()
    text = _text(_to(smtp_server.wait_for(expected), "biomed.fr@example.org")[0])
    assert (
        f"Corrigez-la avant le {_french_in_words(pump.remediation_due_at, 'Indian/Reunion')}"
        in (text)
    )
    assert "fuseau horaire La Réunion" in text
    assert "Pourquoi cette priorité" in text
    for word in ("Affected", "priority", "before", "Why", "Times are given", "in all"):
        assert word not in text, word


def _digests(smtp_server: MailBox, count_before: int) -> list[Message]:
    assert alerting.send_daily_digests() == 1
    expected = count_before + Delivery.objects.filter(event="digest.daily").count()
    return smtp_server.wait_for(expected)[count_before:]


def test_digest_groups_the_channels_alerts_by_priority_with_names_and_links_in_french(
    smtp_server: MailBox,
    settings: Any,
    est_a: Organisation,
    a_admin: Any,
    biomed_channel: Channel,
    small_feeds: Path,
    tmp_path: Path,
) -> None:
    settings.VIGIE_BASE_URL = "https://vigie.chu-alpha.example"
    _load_hospital(est_a, a_admin, small_feeds, tmp_path)
    before = len(smtp_server.wait_for(Delivery.objects.exclude(event="digest.daily").count()))
    digests = _digests(smtp_server, before)
    [french] = _to(digests, "biomed.fr@example.org")
    assert str(french["Subject"]).strip().startswith("[Vigie Santé] Synthèse quotidienne du ")
    text = _text(french)

    pump = Alert.objects.get(organisation=est_a, vulnerability__vuln_id=PUMP_ALERT)
    # Groups in priority order, Act first: here Attend (the KEV pump), then Track*, then Track.
    headings = re.findall(r"^== (.+) \(\d+\) ==$", text, flags=re.MULTILINE)
    assert headings == ["Attend", "Track*", "Track"]
    attend = text.split("== Attend")[1].split("== Track*")[0]
    assert PUMP_ALERT in attend
    assert "Pompe Alaris Réa 12 (Réanimation)" in attend
    assert "1 actif concerné sur 2 : Pompe Alaris Réa 12 (Réanimation)" in attend
    assert f"https://vigie.chu-alpha.example/o/chu-alpha/alerts/{pump.pk}/" in attend
    assert pump.remediation_due_at is not None
    assert _french_in_words(pump.remediation_due_at, "Indian/Reunion") in attend
    # The workstation's alerts (Attend and Track) are for other channels.
    assert WORKSTATION_ALERT not in text
    assert "Poste accueil" not in text
    assert "Bloc 3" not in text
    for word in ENGLISH_WORDS:
        assert word not in text, word

    # The administrators' channel, unfiltered, has the workstation's alerts as well.
    [admin] = _to(digests, "a.admin@example.org")
    assert WORKSTATION_ALERT in _text(admin)
    assert "Poste accueil (Accueil)" in _text(admin)


def test_digest_is_in_english_for_an_english_reader(
    smtp_server: MailBox,
    est_a: Organisation,
    a_admin: Any,
    biomed_channel: Channel,
    small_feeds: Path,
    tmp_path: Path,
) -> None:
    _load_hospital(est_a, a_admin, small_feeds, tmp_path)
    before = len(smtp_server.wait_for(Delivery.objects.exclude(event="digest.daily").count()))
    [english] = _to(_digests(smtp_server, before), "biomed.en@example.org")
    assert str(english["Subject"]).strip().startswith("[Vigie Santé] Daily digest of ")
    text = _text(english)
    pump = Alert.objects.get(organisation=est_a, vulnerability__vuln_id=PUMP_ALERT)
    assert pump.remediation_due_at is not None
    local = pump.remediation_due_at.astimezone(ZoneInfo("Europe/Paris"))
    assert f"To remediate before {local:%A} {local.day} {local:%B %Y, %H:%M}" in text
    assert "Times are given in the time zone Metropolitan France (Paris)." in text
    assert "1 affected asset of 2: Pompe Alaris Réa 12 (Réanimation)" in text
    for word in ("actif", "Synthèse", "avant", "fuseau", "décembre", "Corrigez"):
        assert word not in text, word


def test_priority_filter_keeps_only_the_listed_priorities_in_the_digest(
    smtp_server: MailBox,
    est_a: Organisation,
    a_admin: Any,
    biomed_channel: Channel,
    small_feeds: Path,
    tmp_path: Path,
) -> None:
    biomed_channel.priorities = ["act", "attend"]
    actions.update_channel(access=access_for(a_admin, est_a), channel=biomed_channel)
    _load_hospital(est_a, a_admin, small_feeds, tmp_path)
    before = len(smtp_server.wait_for(Delivery.objects.exclude(event="digest.daily").count()))
    [english] = _to(_digests(smtp_server, before), "biomed.en@example.org")
    text = _text(english)
    assert re.findall(r"^== (.+) \(\d+\) ==$", text, flags=re.MULTILINE) == ["Attend"]


def test_alert_on_no_asset_of_the_channel_creates_no_delivery_for_it(
    db: Any, est_a: Organisation, a_admin: Any, small_feeds: Path
) -> None:
    channel = Channel(
        kind=ChannelKind.EMAIL,
        name="Réa",
        roles=[Role.ADMIN.value],
        care_units=["Réanimation"],
    )
    actions.create_channel(access=access_for(a_admin, est_a), channel=channel)
    import_csv(access_for(a_admin, est_a), INVENTORY)
    load_feeds(small_feeds)  # no KEV listing: only the workstation's alert is immediate
    workstation = Alert.objects.get(organisation=est_a, vulnerability__vuln_id=WORKSTATION_ALERT)
    told = Delivery.objects.filter(
        event="alert.new", related_object=f"vulns.alert:{workstation.pk}"
    )
    assert told.exclude(channel=channel).exists()  # the unfiltered channel was told
    assert not Delivery.objects.filter(channel=channel).exists()


def test_unknown_priority_is_refused_with_a_clear_error(est_a: Organisation) -> None:
    form = EmailChannelForm(
        est_a,
        {"name": "Biomédical", "roles": ["admin"], "priorities": ["urgent"]},
        instance=Channel(kind=ChannelKind.EMAIL, organisation=est_a),
    )
    with translation.override("fr"):  # whatever language an earlier test left active
        assert not form.is_valid()
        errors = [str(error).replace("\u00a0", " ") for error in form.errors["priorities"]]
    assert errors == [
        "« urgent » n'est pas une priorité : choisissez parmi Act, Attend, Track* et Track."
    ]


def test_form_keeps_care_units_once_each_and_known_kinds(est_a: Organisation) -> None:
    form = EmailChannelForm(
        est_a,
        {
            "name": "Biomédical",
            "roles": ["admin"],
            "priorities": ["act", "attend"],
            "care_units": "Réanimation\nréanimation ; Bloc  opératoire",
            "asset_kinds": ["medical-device"],
            "criticalities": ["life-sustaining", "clinical"],
        },
        instance=Channel(kind=ChannelKind.EMAIL, organisation=est_a),
    )
    assert form.is_valid(), form.errors
    channel = form.save(commit=False)
    assert channel.care_units == ["Réanimation", "Bloc opératoire"]
    assert channel.priorities == ["act", "attend"]
    bad = EmailChannelForm(
        est_a,
        {"name": "x", "roles": ["admin"], "asset_kinds": ["toaster"]},
        instance=Channel(kind=ChannelKind.EMAIL, organisation=est_a),
    )
    assert not bad.is_valid()
    assert "toaster" in bad.errors["asset_kinds"][0]


def test_changing_filters_is_audited_with_the_previous_ones(
    est_a: Organisation, a_admin: Any, biomed_channel: Channel
) -> None:
    biomed_channel.priorities = ["act"]
    actions.update_channel(access=access_for(a_admin, est_a), channel=biomed_channel)
    event = AuditEvent.objects.filter(action="notify.channel_updated").latest("pk")
    assert event.details["changed"] == ["filters"]
    assert event.details["filters"]["priorities"] == ["act"]
    assert event.details["previous_filters"]["priorities"] == []
    assert event.details["previous_filters"]["care_units"] == ["réanimation"]


def test_filtered_webhook_receives_only_the_assets_of_its_unit(
    receiver: Receiver,
    est_a: Organisation,
    a_admin: Any,
    small_feeds: Path,
    tmp_path: Path,
) -> None:
    Channel.objects.filter(organisation=est_a).delete()
    hook = make_webhook(receiver, est_a, a_admin)
    hook.care_units = ["BLOC OPÉRATOIRE"]
    hook.criticalities = ["life-sustaining"]
    actions.update_channel(access=access_for(a_admin, est_a), channel=hook)
    _load_hospital(est_a, a_admin, small_feeds, tmp_path)
    outbox.deliver_due()
    bodies = [request.json for request in receiver.requests]
    assert [body["data"]["vulnerability"] for body in bodies] == [PUMP_ALERT]
    assert [asset["id"] for asset in bodies[0]["data"]["assets"]] == ["pump-bloc"]
    assert all(request.signature_ok for request in receiver.requests)
