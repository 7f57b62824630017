"""A TAXII 2.1 client: how the sensor (and scripts) read indicator collections.

Framework-free and standard library only (`urllib`), so the sensor installs without the
platform. It reads any TAXII 2.1 server: ours at /taxii2/, or OASIS medallion, MISP-TAXII,
OpenCTI. Errors are `TaxiiClientError` with a code and parameters, never sentences (the
caller renders them). Each response is capped (`max_bytes`) and must carry the TAXII media
type; pages are followed with `next` while the server says `more`, which suits both our
stateless cursors and medallion's server-side sessions.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

TAXII_MEDIA = "application/taxii+json;version=2.1"
STIX_MEDIA = "application/stix+json;version=2.1"
MAX_BYTES = 64 * 2**20
MAX_PAGES = 100_000  # a server that always says `more` must not loop forever


class TaxiiClientError(Exception):
    """`code`: bad_scheme, unreachable, http_error, bad_media_type, too_large, bad_json,
    bad_envelope, too_many_pages."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params


@dataclass(frozen=True, slots=True)
class CollectionInfo:
    id: str
    title: str
    can_read: bool
    can_write: bool
    url: str


@dataclass(frozen=True, slots=True)
class ObjectPage:
    """One page of a collection's objects. `date_added_last`: the server's
    `X-TAXII-Date-Added-Last` header, empty when it sent none."""

    objects: list[dict[str, Any]]
    more: bool
    date_added_last: str


@dataclass(slots=True)
class TaxiiClient:
    """`discovery`: the server's discovery URL (`https://host/taxii2/`). Credentials: a
    username and password (HTTP Basic; ours takes an API token as the password), or a token
    sent as `Authorization: Bearer`."""

    discovery: str
    username: str = ""
    password: str = ""
    token: str = ""
    timeout: float = 30.0
    max_bytes: int = MAX_BYTES
    user_agent: str = "vigie-sensor"
    accept_language: str = ""  # the reader's language, for the titles the server writes

    def _headers(self, accept: str) -> dict[str, str]:
        headers = {"Accept": accept, "User-Agent": self.user_agent}
        if self.accept_language:
            headers["Accept-Language"] = self.accept_language
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        elif self.username:
            pair = f"{self.username}:{self.password}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        return headers

    def get(self, url: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        """One TAXII GET: the JSON body, checked for media type and size."""
        return self._get(url, params)[0]

    def _get(
        self, url: str, params: dict[str, str] | None = None
    ) -> tuple[dict[str, Any], dict[str, str]]:
        # The body and the TAXII headers: a page's `X-TAXII-Date-Added-Last` is where a
        # client resumes, and the envelope does not carry `date_added`.
        if params:
            url = f"{url}{'&' if '?' in url else '?'}{urllib.parse.urlencode(params)}"
        scheme = urllib.parse.urlsplit(url).scheme.lower()
        if scheme not in ("http", "https"):
            raise TaxiiClientError("bad_scheme", url=url, scheme=scheme)
        opener = _opener()
        opener.addheaders = list(self._headers(TAXII_MEDIA).items())
        try:
            with opener.open(url, timeout=self.timeout) as response:
                media = response.headers.get("Content-Type", "")
                taxii_headers = {
                    name: response.headers.get(name, "")
                    for name in ("X-TAXII-Date-Added-First", "X-TAXII-Date-Added-Last")
                    if response.headers.get(name)
                }
                body = response.read(self.max_bytes + 1)
        except urllib.error.HTTPError as error:
            detail = _error_title(error)
            raise TaxiiClientError("http_error", status=error.code, url=url, title=detail) from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise TaxiiClientError("unreachable", url=url, reason=str(error)[:200]) from None
        if len(body) > self.max_bytes:
            raise TaxiiClientError("too_large", url=url, limit=self.max_bytes)
        if _media_type(media) != _media_type(TAXII_MEDIA):
            raise TaxiiClientError("bad_media_type", url=url, media_type=media[:100])
        try:
            parsed = json.loads(body)
        except ValueError as error:
            raise TaxiiClientError("bad_json", url=url, reason=str(error)[:200]) from None
        if not isinstance(parsed, dict):
            raise TaxiiClientError("bad_envelope", url=url)
        return parsed, taxii_headers

    def api_roots(self) -> list[str]:
        found = self.get(self.discovery).get("api_roots", [])
        return [urllib.parse.urljoin(self.discovery, str(root)) for root in found]

    def collections(self, api_root: str) -> list[CollectionInfo]:
        root = api_root if api_root.endswith("/") else api_root + "/"
        listed = self.get(root + "collections/").get("collections", [])
        return [
            CollectionInfo(
                id=str(item["id"]),
                title=str(item.get("title", "")),
                can_read=bool(item.get("can_read")),
                can_write=bool(item.get("can_write")),
                url=f"{root}collections/{item['id']}/",
            )
            for item in listed
            if isinstance(item, dict) and "id" in item
        ]

    def objects(
        self,
        collection: CollectionInfo,
        *,
        added_after: datetime | str | None = None,
        limit: int = 1000,
        types: tuple[str, ...] = (),
    ) -> Iterator[dict[str, Any]]:
        """Every object of the collection (after `added_after`), page by page."""
        for found in self.pages(collection, added_after=added_after, limit=limit, types=types):
            yield from found.objects

    def pages(
        self,
        collection: CollectionInfo,
        *,
        added_after: datetime | str | None = None,
        limit: int = 1000,
        types: tuple[str, ...] = (),
    ) -> Iterator[ObjectPage]:
        """The collection's objects (after `added_after`) one page at a time, each with the
        `date_added` of its last object, so that a caller can commit a page and its position
        together and resume from there."""
        params: dict[str, str] = {"limit": str(limit)}
        if added_after is not None:
            params["added_after"] = (
                added_after.isoformat().replace("+00:00", "Z")
                if isinstance(added_after, datetime)
                else added_after
            )
        if types:
            params["match[type]"] = ",".join(types)
        for _page in range(MAX_PAGES):
            envelope, headers = self._get(collection.url + "objects/", params)
            objects = envelope.get("objects", [])
            if not isinstance(objects, list):
                raise TaxiiClientError("bad_envelope", url=collection.url)
            following = envelope.get("next")
            more = bool(envelope.get("more") and following)
            yield ObjectPage(
                objects=[item for item in objects if isinstance(item, dict)],
                more=more,
                date_added_last=headers.get("X-TAXII-Date-Added-Last", ""),
            )
            if not more:
                return
            params = {**params, "next": str(following)}
            params.pop("added_after", None)  # the cursor carries the position from now on
        raise TaxiiClientError("too_many_pages", url=collection.url, limit=MAX_PAGES)


def _opener() -> urllib.request.OpenerDirector:
    # http and https only: neither a configured URL nor a redirect may read a local file.
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPRedirectHandler(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


def _media_type(value: str) -> str:
    return value.replace(" ", "").lower()


def _error_title(error: urllib.error.HTTPError) -> str:
    # A TAXII error object has a title; anything else is cut to a line.
    try:
        body = json.loads(error.read(65536) or b"{}")
    except ValueError:
        return ""
    return str(body.get("title", ""))[:200] if isinstance(body, dict) else ""
