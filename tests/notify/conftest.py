"""Fixtures of the notification tests: a real HTTP receiver that checks signatures."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from vigie.notify import actions
from vigie.notify.models import Channel, ChannelKind
from vigie.tenancy.access import OrgAccess
from vigie.tenancy.models import Membership, Organisation


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1 that answers from a script, then 200.

    Script items: a status code, (status, {header: value}), "hang" (no answer until released),
    or "drip" (a 200 whose body comes one byte every 0.3 s, each within any per-read timeout).
    It verifies signatures exactly as docs/notes/notify.md tells receivers to.
    """

    url: str
    secret: str = ""
    script: list[Any] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def verify(self, headers: dict[str, str], body: bytes) -> bool:
        timestamp = headers.get("X-Vigie-Timestamp", "0")
        if abs(time.time() - int(timestamp)) > 300:
            return False
        expected = (
            "sha256="
            + hmac.new(
                self.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
            ).hexdigest()
        )
        return hmac.compare_digest(expected, headers.get("X-Vigie-Signature", ""))


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = dict(self.headers.items())
            receiver.requests.append(
                Received(self.path, headers, body, receiver.verify(headers, body))
            )
            step = receiver.script.pop(0) if receiver.script else 200
            if step == "hang":
                receiver.release.wait(10)
                return
            if step == "drip":
                self.send_response(200)
                self.send_header("Content-Length", "40")
                self.end_headers()
                for _ in range(40):
                    if receiver.release.wait(0.3):
                        return
                    try:
                        self.wfile.write(b"x")
                        self.wfile.flush()
                    except OSError:  # the platform gave up and closed the connection
                        return
                return
            status, extra = step if isinstance(step, tuple) else (step, {})
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    """The real local receiver, with 127.0.0.1 allowed by the operator's setting."""
    settings.VIGIE_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.VIGIE_WEBHOOK_ALLOW_HTTP = True
    box = Receiver(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(box))
    server.daemon_threads = True
    box.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/vigie?token=abc"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield box
    finally:
        box.release.set()
        server.shutdown()
        server.server_close()


def access_for(user: Any, organisation: Organisation) -> OrgAccess:
    membership = Membership.objects.get(user=user, organisation=organisation)
    return OrgAccess(user=user, organisation=organisation, membership=membership)


def make_webhook(receiver: Receiver, organisation: Organisation, admin: Any) -> Channel:
    channel = Channel(kind=ChannelKind.WEBHOOK, name="SIEM", url=receiver.url)
    secret = actions.create_channel(access=access_for(admin, organisation), channel=channel)
    assert secret is not None
    receiver.secret = secret
    return channel


@pytest.fixture
def webhook(receiver: Receiver, est_a: Organisation, a_admin: Any) -> Channel:
    """A's only channel (new establishments start with an e-mail channel: removed here)."""
    Channel.objects.filter(organisation=est_a).delete()
    return make_webhook(receiver, est_a, a_admin)
