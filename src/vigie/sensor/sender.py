"""Sending the queued sightings to the platform: `POST /api/v1/organisations/{slug}/sightings`.

Standard library only (`urllib`). Each sighting goes with its own `Idempotency-Key` (given
when it was queued) and the body frozen with it, so a retry after any failure, a crash
between the platform's answer and `mark_sent` included, is counted once by the platform.

What an answer means for the sighting:

* 2xx: sent (a 200 with `Idempotent-Replayed: true` is a retry the platform already had);
* no answer (unreachable, timeout, connection cut), 408, 429, 502, 503, 504: the platform is
  away or busy for every sighting, not this one: this one waits (exponential backoff with
  jitter, or the `Retry-After` asked), the others due are postponed to the same moment
  without counting an attempt, and the round stops, so an outage costs one request per
  backoff step, not one per sighting;
* another 5xx: this sighting waits (backoff), the others are still tried;
* 401, 403, 404 and redirections: the configuration is wrong (token, member's role,
  organisation's slug, URL), not the sighting: the round stops and everything stays
  pending, untouched, until it is fixed. 404 is among them because the route is the same
  for every sighting: an unknown slug would otherwise reject the whole queue;
* other 4xx (422, 409, 413...): the platform refuses this sighting for what it is: rejected,
  with the error code of the body, never retried.

Errors are codes (`unreachable`, `timeout`, `http_503`, or the platform's `error.code`),
never sentences: the commands render them.
"""

from __future__ import annotations

import http.client
import json
import random
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from email.utils import parsedate_to_datetime

from vigie.sensor.config import SensorConfig
from vigie.sensor.queue import QueuedSighting, SightingQueue

__all__ = [
    "BACKOFF_BASE_S",
    "BACKOFF_CAP_S",
    "KEEP_SENT_S",
    "Outcome",
    "SendReport",
    "post_sighting",
    "retry_delay",
    "send_due",
]

BACKOFF_BASE_S = 5.0
BACKOFF_CAP_S = 3600.0
KEEP_SENT_S = 7 * 86400.0  # sent sightings stay this long for `vigie sensor status`
MAX_ANSWER_BYTES = 1 << 20
USER_AGENT = "vigie-sensor"

_AWAY_STATUSES = frozenset({408, 429, 502, 503, 504})
_CONFIG_STATUSES = frozenset({401, 403, 404})


@dataclass(frozen=True, slots=True)
class SendReport:
    """One round: `sent` (replays included), `replayed` (of them, those the platform
    already had), `retry` (due sightings still pending after the round: failed, postponed
    or left untouched when it stopped), `rejected`, and `stopped_code` when the round
    stopped early (the platform away, or a configuration problem), else empty.
    `stopped_status`: the HTTP status that stopped it (0 without an answer)."""

    sent: int = 0
    replayed: int = 0
    retry: int = 0
    rejected: int = 0
    stopped_code: str = ""
    stopped_status: int = 0
    tried: int = 0  # due sightings handled this round (sent, failed or rejected)
    due: int = 0  # due sightings found at the start of the round

    @property
    def config_problem(self) -> bool:
        return self.stopped_status in _CONFIG_STATUSES or 300 <= self.stopped_status < 400


@dataclass(frozen=True, slots=True)
class Outcome:
    """The platform's answer to one POST: `status` 0 when there was none; `code`: the
    error's code (empty on success); `retry_after`: seconds asked, if any."""

    status: int
    code: str = ""
    replayed: bool = False
    retry_after: float | None = None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirection of a POST would be followed as a GET, and says the URL is wrong anyway:
    # it comes back as an answer (3xx) to report.
    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: object,
        code: int,
        msg: str,
        headers: Message,
        newurl: str,
    ) -> urllib.request.Request | None:
        return None


class _Headers(urllib.request.BaseHandler):
    """Sets the request's headers before urllib's own defaults (it would otherwise label a
    body `application/x-www-form-urlencoded`)."""

    handler_order = 100  # before the HTTP handlers (500), which fill in the defaults

    def __init__(self, headers: dict[str, str]) -> None:
        self.headers = headers

    def http_request(self, request: urllib.request.Request) -> urllib.request.Request:
        for name, value in self.headers.items():
            request.add_unredirected_header(name, value)
        return request

    https_request = http_request


def _opener(headers: dict[str, str]) -> urllib.request.OpenerDirector:
    # http and https only: neither a configured URL nor a redirect may read a local file.
    opener = urllib.request.OpenerDirector()
    for handler in (
        _Headers(headers),
        urllib.request.ProxyHandler(),
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        _NoRedirect(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


def _retry_after(value: str | None, now: float) -> float | None:
    """`Retry-After` in seconds: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, moment.timestamp() - now)


def _error_code(status: int, raw: bytes) -> str:
    # `{"error": {"code": ...}}` from the platform; anything else (a proxy's page) by status.
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        return f"http_{status}"
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    if isinstance(code, str) and code and code.isascii() and len(code) <= 64:
        return code
    return f"http_{status}"


def post_sighting(config: SensorConfig, row: QueuedSighting, *, timeout: float = 10.0) -> Outcome:
    """POST one queued sighting; never raises for what the network or the platform does."""
    url = config.sightings_url
    if urllib.parse.urlsplit(url).scheme.lower() not in ("http", "https"):
        return Outcome(status=0, code="bad_scheme")
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Authorization": f"Bearer {config.token}",
        "Idempotency-Key": row.key,
        "User-Agent": USER_AGENT,
    }
    try:
        # A body makes it a POST.
        with _opener(headers).open(url, data=row.body.encode(), timeout=timeout) as response:
            response.read(MAX_ANSWER_BYTES)
            replayed = response.headers.get("Idempotent-Replayed", "").lower() == "true"
            return Outcome(status=int(response.status), replayed=replayed)
    except urllib.error.HTTPError as error:
        try:
            raw = error.read(MAX_ANSWER_BYTES)
        except (OSError, http.client.HTTPException):
            raw = b""
        return Outcome(
            status=error.code,
            code=_error_code(error.code, raw),
            retry_after=_retry_after(error.headers.get("Retry-After"), time.time()),
        )
    except TimeoutError:
        return Outcome(status=0, code="timeout")
    except urllib.error.URLError as error:
        reason = error.reason
        return Outcome(
            status=0, code="timeout" if isinstance(reason, TimeoutError) else "unreachable"
        )
    except (OSError, http.client.HTTPException):
        # Refused, reset, cut mid-answer: the platform may or may not have it; the key makes
        # sending it again safe.
        return Outcome(status=0, code="unreachable")


def retry_delay(
    attempts: int, retry_after: float | None = None, rand: Callable[[], float] = random.random
) -> float:
    """Seconds before the next try of a sighting tried `attempts` times (this failure
    included): 5 s doubled at each failure up to an hour, the upper half drawn at random so
    that sensors cut off together do not come back together; a `Retry-After` is honoured
    (up to the same hour)."""
    step = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2.0 ** max(0, attempts - 1))
    delay = step / 2 + step / 2 * rand()
    if retry_after is not None:
        delay = max(delay, min(BACKOFF_CAP_S, retry_after))
    return delay


def send_due(
    queue: SightingQueue,
    config: SensorConfig,
    now: float | None = None,
    *,
    timeout: float = 10.0,
    limit: int = 500,
) -> SendReport:
    """Send the sightings due at `now` (at most `limit`), one POST each, in queue order;
    then forget those sent more than `KEEP_SENT_S` ago."""
    moment = time.time() if now is None else now
    rows = queue.due(moment, limit)
    sent = replayed = rejected = 0
    stopped_code, stopped_status = "", 0
    handled = 0
    for index, row in enumerate(rows):
        outcome = post_sighting(config, row, timeout=timeout)
        status = outcome.status
        if 200 <= status < 300:
            queue.mark_sent(row.key, time.time(), status)
            sent += 1
            replayed += outcome.replayed
        elif status in _CONFIG_STATUSES or 300 <= status < 400:
            stopped_code, stopped_status = outcome.code or f"http_{status}", status
            break
        elif status == 0 or status in _AWAY_STATUSES or status >= 500:
            attempt_at = time.time()
            next_at = max(moment, attempt_at) + retry_delay(row.attempts + 1, outcome.retry_after)
            queue.mark_retry(row.key, outcome.code, next_at, status=status or None, when=attempt_at)
            if status == 0 or status in _AWAY_STATUSES:
                queue.defer([later.key for later in rows[index + 1 :]], next_at)
                stopped_code, stopped_status = outcome.code, status
                handled = index + 1
                break
        else:
            queue.mark_rejected(row.key, outcome.code, status=status)
            rejected += 1
        handled = index + 1
    queue.purge_sent(moment - KEEP_SENT_S)
    return SendReport(
        sent=sent,
        replayed=replayed,
        retry=len(rows) - sent - rejected,
        rejected=rejected,
        stopped_code=stopped_code,
        stopped_status=stopped_status,
        tried=handled,
        due=len(rows),
    )
