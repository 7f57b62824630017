"""Signed JSON POSTs to a receiver the organisation runs (SIEM, ticketing, chat bridge).

http.client rather than a client library: it never follows redirects, never reads proxy
variables, and lets the connection go to the address the SSRF guard checked while Host and TLS
server name stay the receiver's name.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import ssl
import threading
import time
from typing import TYPE_CHECKING

from django.conf import settings

from vigie import __version__
from vigie.notify import signing, ssrf
from vigie.notify.secretbox import SecretUnreadable, decrypt_secret
from vigie.notify.transports.base import PermanentError, TemporaryError, Transport

if TYPE_CHECKING:
    from vigie.notify.models import Delivery

USER_AGENT = f"VigieSante/{__version__}"
TEMPORARY_STATUSES = frozenset({408, 425, 429})
MAX_RESPONSE_BYTES = 64 * 1024


def _connect(target: ssrf.Target, timeout: float) -> socket.socket:
    last: OSError | None = None
    for address in target.addresses:
        try:
            return socket.create_connection((str(address), target.port), timeout=timeout)
        except OSError as exc:
            last = exc
    raise last or OSError("no address")


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: ssrf.Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._target = target
        self._timeout = timeout

    def connect(self) -> None:
        self.sock = _connect(self._target, self._timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: ssrf.Target, timeout: float) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=timeout, context=self._tls)
        self._target = target
        self._timeout = timeout

    def connect(self) -> None:
        sock = _connect(self._target, self._timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self._target.host)


class _Deadline:
    """Shuts the connection's socket down when the exchange outlasts `seconds`."""

    def __init__(self, connection: http.client.HTTPConnection, seconds: float) -> None:
        self.expired = False
        self._connection = connection
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def _expire(self) -> None:
        self.expired = True
        sock = self._connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed by the other side
                sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()


def body_of(delivery: Delivery) -> bytes:
    envelope = {
        "id": str(delivery.public_id),
        "event": delivery.event,
        "created_at": delivery.created_at.isoformat(),
        "organisation": delivery.organisation.slug,
        "related": delivery.related_object,
        "data": delivery.payload,
    }
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _retry_after(response: http.client.HTTPResponse) -> float | None:
    value = response.getheader("Retry-After")
    if value is None or not value.strip().isdigit():
        return None
    return float(value.strip())


class WebhookTransport(Transport):
    kind = "webhook"

    def send(self, delivery: Delivery) -> int | None:
        channel = delivery.channel
        if channel is None:
            raise PermanentError("the channel was deleted")
        try:
            secret = decrypt_secret(
                channel.secret_encrypted, organisation_id=channel.organisation_id
            )
        except SecretUnreadable as exc:
            raise PermanentError("the signing secret does not decrypt: regenerate it") from exc
        try:
            target = ssrf.check_url(delivery.recipient)
        except ssrf.UnresolvableHost as exc:
            raise TemporaryError(f"cannot resolve {exc.detail}") from exc
        except ssrf.UnsafeURL as exc:
            raise PermanentError(f"URL refused by the SSRF guard ({exc})") from exc

        body = body_of(delivery)
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Vigie-Event": delivery.event,
            "X-Vigie-Delivery": str(delivery.public_id),
            "Idempotency-Key": delivery.idempotency_key,
            "X-Vigie-Timestamp": str(timestamp),
            "X-Vigie-Signature": signing.signature(secret, timestamp, body),
        }
        timeout = float(settings.VIGIE_WEBHOOK_TIMEOUT_SECONDS)
        connection: http.client.HTTPConnection = (
            _PinnedHTTPSConnection(target, timeout)
            if target.scheme == "https"
            else _PinnedHTTPConnection(target, timeout)
        )
        # The socket timeout bounds each operation (connect, send, each read); the deadline
        # bounds the whole exchange to three of them, so that a receiver dripping its answer
        # one byte at a time cannot hold a worker.
        overall = 3 * timeout
        deadline = _Deadline(connection, overall)
        try:
            connection.request("POST", target.request_target, body=body, headers=headers)
            response = connection.getresponse()
            response.read(MAX_RESPONSE_BYTES)
            status = response.status
            retry_after = _retry_after(response)
        except (OSError, http.client.HTTPException) as exc:
            if deadline.expired:
                raise TemporaryError(f"no complete answer within {overall:g} s") from exc
            raise TemporaryError(_network_error(exc, timeout)) from exc
        finally:
            deadline.cancel()
            connection.close()
        if deadline.expired:
            raise TemporaryError(f"no complete answer within {overall:g} s")
        return _classify(status, retry_after)


def _network_error(exc: OSError | http.client.HTTPException, timeout: float) -> str:
    if isinstance(exc, TimeoutError):
        return f"timed out after {timeout:g} s"
    if isinstance(exc, ssl.SSLError):
        return f"TLS: {exc.reason or type(exc).__name__}"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, http.client.HTTPException):
        return f"bad HTTP answer ({type(exc).__name__})"
    return f"network error ({exc.strerror or type(exc).__name__})"


def _classify(status: int, retry_after: float | None) -> int:
    if 200 <= status < 300:
        return status
    if status in TEMPORARY_STATUSES or status >= 500:
        raise TemporaryError(f"HTTP {status}", status_code=status, retry_after=retry_after)
    if 300 <= status < 400:
        # Never followed: a redirect could lead anywhere, past the SSRF guard.
        raise PermanentError(
            f"HTTP {status}: redirects are not followed, set the final URL", status_code=status
        )
    raise PermanentError(f"HTTP {status}", status_code=status)
