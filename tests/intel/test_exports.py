"""Exports: blocklists, CSV, RPZ, Suricata datasets and the MISP feed, as their readers get them.

Every file holds what `visible_indicators` lets the reader see and nothing expired, revoked or
suppressed; downloads take a session or an API token and are audited. The RPZ zone is loaded
by Debian's Unbound and queried; the MISP feed is fetched over HTTP the way MISP's feed loader
walks it (manifest, then each event, then hashes) and read with PyMISP.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import dns.exception
import dns.message
import dns.query
import dns.rcode
import pytest
import requests
from django.test import Client
from django.utils import timezone
from pymisp import MISPEvent

from tests.helpers import signed_in
from tests.taxii.support import publish
from vigie.api.tokens import create_token
from vigie.audit.models import Action, AuditEvent
from vigie.intel.models import Tlp
from vigie.tenancy.models import Organisation

pytestmark = pytest.mark.django_db

BASE = "/o/clinique-beta/intel/indicators/export/"


@pytest.fixture
def shared(centre: Organisation, est_a: Organisation, b_admin: Any) -> dict[str, str]:
    """What the centre and CH Alpha published, seen from Clinique Beta's side."""
    past = timezone.now() - timedelta(days=1)
    publish(centre, Tlp.GREEN, "shared-green.example", tags=["lockbit"])
    publish(centre, Tlp.CLEAR, "shared-clear.example")
    publish(centre, Tlp.AMBER, "shared-amber.example")
    publish(centre, Tlp.AMBER, "198.51.100.7", type_="ipv4")
    publish(centre, Tlp.GREEN, "2001:db8::7", type_="ipv6")
    publish(centre, Tlp.GREEN, "d41d8cd98f00b204e9800998ecf8427e", type_="md5")
    publish(centre, Tlp.AMBER_STRICT, "centre-only.example")
    publish(centre, Tlp.RED, "red-for-b.example", recipients=(b_admin,))
    publish(centre, Tlp.RED, "red-for-others.example")
    publish(est_a, Tlp.AMBER, "alpha-to-centre.example")
    publish(centre, Tlp.GREEN, "expired.example", valid_until=past)
    publish(centre, Tlp.GREEN, "revoked.example", revoked=True)
    publish(centre, Tlp.GREEN, "suppressed.example", suppressed=True)
    return {}


SEEN = {"shared-green.example", "shared-clear.example", "shared-amber.example", "red-for-b.example"}
NEVER = {
    "centre-only.example",  # AMBER+STRICT: the centre only
    "red-for-others.example",  # RED, not named
    "alpha-to-centre.example",  # AMBER from an establishment: its centre only
    "expired.example",
    "revoked.example",
    "suppressed.example",
}


def _token(user: Any) -> dict[str, str]:
    _row, secret = create_token(user=user, name="resolver")
    return {"Authorization": f"Bearer {secret}"}


def _values(body: bytes) -> set[str]:
    return {line for line in body.decode().splitlines() if line and not line.startswith("#")}


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def test_a_domain_blocklist_holds_what_the_reader_may_see_and_nothing_inactive(
    shared: dict[str, str], b_admin: Any
) -> None:
    response = Client().get(BASE + "domain.txt", headers=_token(b_admin))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Cache-Control"] == "private, no-store"
    assert 'filename="clinique-beta-domain.txt"' in response["Content-Disposition"]
    body = _body(response)
    assert _values(body) == SEEN
    assert b"# Share as TLP:RED, the strictest marking it holds\n" in body
    assert b"# Count: 4\n" in body


def test_markings_narrow_a_file_and_an_unknown_marking_is_refused(
    shared: dict[str, str], b_admin: Any
) -> None:
    headers = _token(b_admin)
    narrow = Client().get(BASE + "domain.txt?tlp=clear&tlp=green", headers=headers)
    assert _values(_body(narrow)) == {"shared-green.example", "shared-clear.example"}
    typed = Client().get(BASE + "domain.txt?tlp=amber+strict", headers=headers)
    assert typed.status_code == 200
    assert _values(_body(typed)) == set()  # Beta sees no AMBER+STRICT row
    wrong = Client().get(
        BASE + "domain.txt?tlp=amber&tlp=gren", headers={**headers, "Accept-Language": "en"}
    )
    assert wrong.status_code == 400
    assert b"Unknown TLP marking" in wrong.content


def test_csv_of_all_types_lists_each_visible_row_with_its_marking(
    shared: dict[str, str], b_admin: Any
) -> None:
    response = Client().get(BASE + "all.csv", headers=_token(b_admin))
    lines = _body(response).decode().splitlines()
    assert lines[0] == "type,value,tlp,tags,valid_until,source"
    rows = {tuple(line.split(",")[:3]) for line in lines[1:]}
    assert ("domain", "shared-green.example", "TLP:GREEN") in rows
    assert ("ipv4", "198.51.100.7", "TLP:AMBER") in rows
    assert ("md5", "d41d8cd98f00b204e9800998ecf8427e", "TLP:GREEN") in rows
    assert not {value for _t, value, _m in rows} & NEVER


def test_suricata_datasets_hold_encoded_names_and_plain_addresses(
    shared: dict[str, str], b_admin: Any
) -> None:
    headers = _token(b_admin)
    names = _body(Client().get(BASE + "suricata/domain.lst", headers=headers)).decode()
    assert {base64.b64decode(line).decode() for line in names.splitlines()} == SEEN
    addresses = _body(Client().get(BASE + "suricata/ip.lst", headers=headers)).decode()
    assert set(addresses.splitlines()) == {"198.51.100.7", "2001:db8::7"}
    assert Client().get(BASE + "suricata/nope.lst", headers=headers).status_code == 404


def test_downloads_need_a_session_or_a_token_and_another_organisation_is_not_found(
    shared: dict[str, str], b_admin: Any, a_admin: Any
) -> None:
    anonymous = Client().get(BASE + "domain.txt")
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"] == 'Bearer realm="vigie"'
    person = Client().get(BASE + "domain.txt", headers={"Accept": "text/html"})
    assert person.status_code == 302
    assert "/accounts/login/" in person["Location"]
    forged = Client().get(BASE + "domain.txt", headers={"Authorization": "Bearer vgs_forged"})
    assert forged.status_code == 401
    assert Client().get(BASE + "domain.txt", headers=_token(a_admin)).status_code == 404
    session = signed_in(b_admin).get(BASE + "domain.txt")
    assert _values(_body(session)) == SEEN


def test_each_download_is_audited_with_its_format_count_and_token(
    shared: dict[str, str], b_admin: Any
) -> None:
    _body(Client().get(BASE + "domain.txt?tlp=green", headers=_token(b_admin)))
    entry = AuditEvent.objects.get(action=Action.INDICATORS_EXPORTED)
    assert entry.actor == b_admin
    assert entry.organisation.slug == "clinique-beta"
    assert entry.details["format"] == "plain:domain"
    assert entry.details["count"] == 1
    assert entry.details["tlp"] == ["green"]
    assert entry.details["token"].startswith("vgs_")


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_export_page_counts_each_type_and_links_every_file(
    shared: dict[str, str], b_admin: Any, language: str
) -> None:
    client = signed_in(b_admin)
    client.cookies["django_language"] = language
    page = client.get(BASE, headers={"Accept-Language": language}).content.decode()
    heading = "Export indicators" if language == "en" else "Exporter des indicateurs"
    assert heading in page
    assert 'href="/o/clinique-beta/intel/indicators/export/domain.txt"' in page
    assert 'href="/o/clinique-beta/intel/indicators/export/zone.rpz"' in page
    assert "/o/clinique-beta/intel/misp-feed/" in page
    assert '<tr data-type="domain">' in page
    row = page.split('<tr data-type="domain">')[1].split("</tr>")[0]
    assert ">4<" in row


# --- A real resolver loads the zone ---------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def unbound(tmp_path: Path) -> Iterator[Any]:
    binary = shutil.which("unbound") or "/usr/sbin/unbound"
    # A real resolver is part of the test: `./dev test` installs Debian's unbound.
    assert Path(binary).exists(), (
        "Debian's unbound is missing: run ./dev test, or apt-get install unbound"
    )

    def start(zone_text: bytes) -> int:
        (tmp_path / "vigie.rpz").write_bytes(zone_text)
        port = _free_port()
        (tmp_path / "unbound.conf").write_text(
            f"""server:
    interface: 127.0.0.1
    port: {port}
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "{tmp_path}"
    pidfile: "{tmp_path}/unbound.pid"
    use-syslog: no
    logfile: ""
    verbosity: 1
    do-ip6: no
    module-config: "respip validator iterator"
    local-zone: "ok.test." static
    local-data: "ok.test. 300 IN A 192.0.2.10"
rpz:
    name: "clinique-beta.rpz.vigie."
    zonefile: "{tmp_path}/vigie.rpz"
    rpz-log: yes
"""
        )
        check = subprocess.run(
            [binary.replace("unbound", "unbound-checkconf"), str(tmp_path / "unbound.conf")],
            capture_output=True,
            text=True,
            check=False,
        )
        assert check.returncode == 0, check.stdout + check.stderr
        process = subprocess.Popen(
            [binary, "-d", "-c", str(tmp_path / "unbound.conf")],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        for _ in range(100):
            try:
                _ask(port, "ok.test")
                return port
            except (dns.exception.Timeout, OSError):
                time.sleep(0.05)
        process.kill()
        raise AssertionError(process.stdout.read().decode() if process.stdout else "no output")

    started: list[subprocess.Popen[bytes]] = []
    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=10)


def _ask(port: int, name: str) -> Any:
    query = dns.message.make_query(name, "A")
    return dns.query.udp(query, "127.0.0.1", port=port, timeout=0.5)


def test_unbound_loads_the_zone_and_answers_nxdomain_for_names_and_their_subdomains(
    shared: dict[str, str], b_admin: Any, unbound: Any, centre: Organisation
) -> None:
    publish(centre, Tlp.GREEN, "xn--bcher-kva.example")  # bücher.example, as stored
    zone = _body(Client().get(BASE + "zone.rpz", headers=_token(b_admin)))
    port = unbound(zone)
    for name in ("shared-green.example", "www.shared-green.example", "red-for-b.example"):
        assert _ask(port, name).rcode() == dns.rcode.NXDOMAIN, name
    assert _ask(port, "xn--bcher-kva.example").rcode() == dns.rcode.NXDOMAIN
    answer = _ask(port, "ok.test")
    assert answer.rcode() == dns.rcode.NOERROR
    assert answer.answer[0][0].address == "192.0.2.10"


# --- The MISP feed, walked as MISP's feed loader walks it -----------------------------------------


def test_a_misp_instance_reads_the_feed_manifest_events_and_hashes_over_http(
    live_server: Any, shared: dict[str, str], b_admin: Any, a_admin: Any
) -> None:
    feed = f"{live_server.url}/o/clinique-beta/intel/misp-feed/"
    session = requests.Session()
    session.headers.update(_token(b_admin))
    manifest = session.get(feed + "manifest.json", timeout=10)
    assert manifest.status_code == 200
    assert manifest.headers["Content-Type"] == "application/json"
    entries = manifest.json()
    seen: dict[str, tuple[str, str]] = {}
    for event_id, entry in entries.items():
        assert entry["Orgc"]["name"] == "Centre régional"
        body = session.get(f"{feed}{event_id}.json", timeout=10)
        assert body.status_code == 200
        event = MISPEvent()
        event.load(body.text)
        assert event.uuid == event_id
        marking = [tag.name for tag in event.tags]
        assert len(marking) == 1
        assert marking[0].startswith("tlp:")
        for attribute in event.attributes:
            assert attribute.to_ids is True
            seen[attribute.value] = (event_id, marking[0])
    assert set(seen) == SEEN | {
        "198.51.100.7",
        "2001:db8::7",
        "d41d8cd98f00b204e9800998ecf8427e",
    }
    assert seen["red-for-b.example"][1] == "tlp:red"
    assert seen["shared-amber.example"][1] == "tlp:amber"
    hashes = session.get(feed + "hashes.csv", timeout=10).text.splitlines()
    expected = {
        f"{hashlib.md5(value.encode(), usedforsecurity=False).hexdigest()},{event_id}"
        for value, (event_id, _tlp) in seen.items()
    }
    assert set(hashes) == expected
    # Another reader's event ids are not this reader's: CH Alpha gets 404 for Beta's events,
    # and its own feed has no RED row named for Beta.
    other = requests.Session()
    other.headers.update(_token(a_admin))
    red_event = seen["red-for-b.example"][0]
    alpha = f"{live_server.url}/o/chu-alpha/intel/misp-feed/"
    assert other.get(f"{alpha}{red_event}.json", timeout=10).status_code == 404
    assert other.get(f"{feed}manifest.json", timeout=10).status_code == 404
    alpha_values = set()
    for event_id in other.get(alpha + "manifest.json", timeout=10).json():
        event = MISPEvent()
        event.load(other.get(f"{alpha}{event_id}.json", timeout=10).text)
        alpha_values |= {attribute.value for attribute in event.attributes}
    assert "red-for-b.example" not in alpha_values
    assert "alpha-to-centre.example" in alpha_values  # its own AMBER row
    assert not alpha_values & (NEVER - {"alpha-to-centre.example"})
