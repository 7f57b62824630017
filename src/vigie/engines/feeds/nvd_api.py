"""Client of the NVD CVE API 2.0 for incremental updates.

`GET {base_url}?lastModStartDate=..&lastModEndDate=..&startIndex=..&resultsPerPage=..`, with the
key in the `apiKey` header when one is configured. NVD refuses date ranges longer than 120 days,
so a longer period is cut into windows; each window is paged with `startIndex` until
`totalResults`. NVD asks clients to wait about 6 seconds between requests (`delay`; 0 in tests).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import orjson

from vigie.engines.feeds.common import Problems
from vigie.engines.feeds.http_client import FeedError, HttpClient
from vigie.engines.feeds.nvd import iter_nvd_page
from vigie.engines.records import InputError, VulnRecord

NVD_CVE_API = "https://services.nvd.nist.gov/rest/json/cves/2.0"
MAX_WINDOW = timedelta(days=120)
MAX_RESULTS_PER_PAGE = 2000


def nvd_timestamp(moment: datetime) -> str:
    """NVD's extended ISO 8601 form, in UTC: 2024-05-01T00:00:00.000+00:00."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+00:00"


def windows(
    start: datetime, end: datetime, size: timedelta = MAX_WINDOW
) -> list[tuple[datetime, datetime]]:
    """[start, end] cut into consecutive windows of at most `size`."""
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    found: list[tuple[datetime, datetime]] = []
    current = start
    while True:
        stop = min(current + size, end)
        found.append((current, stop))
        if stop >= end:
            return found
        current = stop


@dataclass
class NvdApiClient:
    base_url: str = NVD_CVE_API
    api_key: str | None = None
    delay: float = 6.0  # seconds between two requests
    results_per_page: int = MAX_RESULTS_PER_PAGE
    http: HttpClient = field(default_factory=HttpClient)
    _requested: bool = field(default=False, init=False)

    def iter_pages(self, start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
        """Raw API pages for CVEs modified between start and end (inclusive)."""
        for window_start, window_end in windows(start, end):
            index = 0
            while True:
                page = self._page(window_start, window_end, index)
                yield page
                total, count = page["totalResults"], len(page["vulnerabilities"])
                index += count
                if index >= total:
                    break
                if count == 0:
                    raise FeedError(
                        self.base_url,
                        f"page at startIndex {index} is empty but totalResults is {total}",
                    )

    def iter_records(self, start: datetime, end: datetime) -> Iterator[VulnRecord | InputError]:
        """Records (and the problems found in them) for CVEs modified between start and end."""
        for number, page in enumerate(self.iter_pages(start, end), start=1):
            problems = Problems(f"{self.base_url} (page {number})")
            yield from iter_nvd_page(page, problems)
            yield from problems.errors

    def _page(self, start: datetime, end: datetime, index: int) -> dict[str, Any]:
        query = urlencode(
            {
                "lastModStartDate": nvd_timestamp(start),
                "lastModEndDate": nvd_timestamp(end),
                "startIndex": index,
                "resultsPerPage": self.results_per_page,
            }
        )
        url = f"{self.base_url}?{query}"
        if self._requested and self.delay > 0:
            time.sleep(self.delay)
        self._requested = True
        headers = {"apiKey": self.api_key} if self.api_key else {}
        response = self.http.get(url, headers)
        try:
            page = orjson.loads(response.body)
        except orjson.JSONDecodeError as exc:
            raise FeedError(url, f"answer is not JSON: {exc.msg}", response.status) from None
        if (
            not isinstance(page, dict)
            or not isinstance(page.get("totalResults"), int)
            or not isinstance(page.get("vulnerabilities"), list)
        ):
            raise FeedError(
                url,
                "answer is not a CVE API 2.0 page (totalResults, vulnerabilities)",
                response.status,
            )
        return page
