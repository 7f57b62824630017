"""A small HTTP GET client on the standard library (urllib), for the feed downloaders.

* Only http and https: the opener is built without the file/ftp/data handlers, so neither a
  configured URL nor a redirect can read local files.
* Every request has a timeout; a stalled server raises FeedError instead of hanging.
* 403, 429, 500, 502, 503 and 504 and network errors are retried with exponential backoff,
  honouring `Retry-After` (NVD answers 403/503 when its rate limit is hit).
* Proxies come from the usual environment variables unless `proxies` is given.
"""

from __future__ import annotations

import http.client
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

USER_AGENT = "vigie-sante-feeds/0.1 (+https://github.com/vigie-sante)"
RETRY_STATUSES = frozenset({403, 429, 500, 502, 503, 504})


class FeedError(Exception):
    """A download failed: which URL, the HTTP status when there was one, and why."""

    def __init__(self, url: str, message: str, status: int | None = None) -> None:
        self.url = url
        self.status = status
        self.message = message
        where = f"HTTP {status} from {url}" if status is not None else url
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True, slots=True)
class HttpResponse:
    url: str
    status: int  # 200, or 304 for a conditional request answered "not modified"
    headers: Mapping[str, str]  # names in lower case
    body: bytes


@dataclass
class HttpClient:
    timeout: float = 30.0  # seconds, per connection attempt and per read
    retries: int = 4  # further attempts after the first
    backoff: float = 2.0  # first wait in seconds; doubled each retry
    max_backoff: float = 120.0
    max_bytes: int = 512 * 1024 * 1024
    user_agent: str = USER_AGENT
    proxies: dict[str, str] | None = None  # None: from the environment; {}: no proxy
    ssl_context: ssl.SSLContext | None = None
    requests_made: int = field(default=0, init=False)

    def get(self, url: str, headers: Mapping[str, str] | None = None) -> HttpResponse:
        """GET url; 2xx and 304 are answers, other statuses FeedError after the retries."""
        scheme = urlsplit(url).scheme.lower()
        if scheme not in ("http", "https"):
            raise FeedError(url, f"only http and https URLs are fetched, not {scheme or 'a path'}")
        attempt = 0
        while True:
            try:
                return self._once(url, headers or {})
            except _Retryable as retry:
                if attempt >= self.retries:
                    raise FeedError(
                        url, f"{retry.reason} (after {attempt + 1} attempts)", retry.status
                    ) from None
                wait = min(self.max_backoff, self.backoff * (2**attempt))
                if retry.retry_after is not None:
                    wait = min(self.max_backoff, retry.retry_after)
                attempt += 1
                if wait > 0:
                    time.sleep(wait)

    def _opener(self) -> urllib.request.OpenerDirector:
        opener = urllib.request.OpenerDirector()
        for handler in (
            urllib.request.ProxyHandler(self.proxies),
            urllib.request.HTTPHandler(),
            urllib.request.HTTPSHandler(context=self._tls()),
            urllib.request.HTTPDefaultErrorHandler(),
            urllib.request.HTTPRedirectHandler(),
            urllib.request.HTTPErrorProcessor(),
        ):
            opener.add_handler(handler)
        return opener

    def _tls(self) -> ssl.SSLContext:
        # Built once: loading the system trust store costs tens of milliseconds.
        if self.ssl_context is None:
            self.ssl_context = ssl.create_default_context()
        return self.ssl_context

    def _once(self, url: str, headers: Mapping[str, str]) -> HttpResponse:
        opener = self._opener()
        opener.addheaders = [
            ("User-Agent", self.user_agent),
            ("Accept-Encoding", "identity"),
            *headers.items(),
        ]
        self.requests_made += 1
        try:
            with opener.open(url, timeout=self.timeout) as response:
                body = response.read(self.max_bytes + 1)
                if len(body) > self.max_bytes:
                    raise FeedError(url, f"answer larger than {self.max_bytes} bytes")
                names = {k.lower(): v for k, v in response.headers.items()}
                return HttpResponse(response.geturl(), response.status, names, body)
        except urllib.error.HTTPError as exc:
            names = {k.lower(): v for k, v in exc.headers.items()} if exc.headers else {}
            if exc.code == 304:
                return HttpResponse(url, 304, names, b"")
            # NVD explains refusals in a `message` header.
            reason = names.get("message") or str(exc.reason)
            if exc.code in RETRY_STATUSES:
                raise _Retryable(reason, exc.code, _seconds(names.get("retry-after"))) from None
            raise FeedError(url, reason, exc.code) from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, ssl.SSLError):
                raise FeedError(url, f"TLS failure: {exc.reason}") from None
            if isinstance(exc.reason, OSError):
                raise _Retryable(f"network error: {exc.reason}") from None
            raise FeedError(url, f"cannot fetch: {exc.reason}") from None
        except (TimeoutError, ConnectionError, http.client.HTTPException) as exc:
            raise _Retryable(f"network error: {exc!r}") from None


class _Retryable(Exception):
    def __init__(
        self, reason: str, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after


def _seconds(value: str | None) -> float | None:
    """A Retry-After given in seconds (the HTTP-date form is ignored: backoff applies)."""
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
