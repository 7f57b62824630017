"""Download CSAF advisories from a provider: through its ROLIE feed, or its `changes.csv`.

A refresh downloads only what changed: the feed (or listing) is requested with
`If-Modified-Since` (a 304 ends the refresh), and only entries whose `updated` time is after the
watermark of the previous refresh are fetched. When a `.sha512` / `.sha256` file is offered its
digest is checked before the advisory is written; an advisory that fails (HTTP error, bad digest,
not JSON) is not written and holds the watermark back, so the next refresh tries it again.

State (watermark, Last-Modified) lives in `<dest>/.vigie-csaf-state.json`, keyed by source URL;
the loader skips dot-files. A caller that must not move the cursor before it has used what was
downloaded (the platform stores and matches the advisories first) passes `save_state=False` and
calls `commit_state(result)` afterwards: a process killed in between downloads them again.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

import orjson

from vigie.engines.feeds.common import Problems
from vigie.engines.feeds.http_client import FeedError, HttpClient
from vigie.engines.feeds.rolie import RolieEntry, parse_changes_csv, parse_rolie_feed

STATE_FILE = ".vigie-csaf-state.json"
_DIGESTS = {".sha512": "sha512", ".sha256": "sha256"}


@dataclass
class FetchResult:
    source: str  # the feed or listing URL
    downloaded: list[Path] = field(default_factory=list)
    unchanged: int = 0  # entries not newer than the previous watermark
    failed: list[FeedError] = field(default_factory=list)
    not_modified: bool = False  # the feed itself answered 304
    watermark: datetime | None = None
    problems: list[str] = field(default_factory=list)  # feed entries that could not be read
    last_modified: str = ""  # what commit_state keeps for the next If-Modified-Since


@dataclass
class _Wanted:
    url: str
    relative: PurePosixPath
    updated: datetime | None
    hash_urls: tuple[str, ...]
    hashes_required: bool  # listed by the feed: a missing hash file is a failure


class CsafFetcher:
    def __init__(
        self,
        dest: str | Path,
        http: HttpClient | None = None,
        verify_hashes: bool = True,
        save_state: bool = True,
    ) -> None:
        self.dest = Path(dest)
        self.http = http or HttpClient()
        self.verify_hashes = verify_hashes
        self.save_state = save_state

    def commit_state(self, result: FetchResult) -> None:
        """Keep the result's watermark and Last-Modified for the next refresh."""
        if not result.not_modified:
            self._save(result.source, result.watermark, result.last_modified)

    def fetch_rolie(self, feed_url: str) -> FetchResult:
        """Refresh from a ROLIE feed (`...-feed-tlp-white.json`)."""
        result, body, last_modified = self._conditional_get(feed_url)
        if body is None:
            return result
        problems = Problems(feed_url)
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise FeedError(feed_url, f"feed is not JSON: {exc.msg}") from None
        entries = parse_rolie_feed(doc if isinstance(doc, dict) else {}, problems, feed_url)
        result.problems.extend(str(p) for p in problems.errors)
        base = feed_url.rsplit("/", 1)[0] + "/"
        wanted = [
            _Wanted(e.url, _relative(e.url, base), e.updated, _ordered(e), True) for e in entries
        ]
        return self._download(result, wanted, last_modified)

    def fetch_directory(self, base_url: str) -> FetchResult:
        """Refresh from a provider directory that publishes `changes.csv` (CSAF 7.1.16)."""
        base = base_url if base_url.endswith("/") else base_url + "/"
        listing = urljoin(base, "changes.csv")
        result, body, last_modified = self._conditional_get(listing)
        if body is None:
            return result
        problems = Problems(listing)
        changes = parse_changes_csv(body.decode("utf-8", errors="replace"), problems)
        result.problems.extend(str(p) for p in problems.errors)
        wanted = []
        for change in changes:
            url = urljoin(base, change.path)
            hash_urls = (url + ".sha512", url + ".sha256") if self.verify_hashes else ()
            wanted.append(_Wanted(url, _relative(url, base), change.updated, hash_urls, False))
        return self._download(result, wanted, last_modified)

    # ------------------------------------------------------------------------------------

    def _conditional_get(self, url: str) -> tuple[FetchResult, bytes | None, str]:
        """The feed or listing, unless unchanged since the last refresh (then body is None)."""
        state = self._state().get(url, {})
        result = FetchResult(source=url, watermark=_parse(state.get("watermark")))
        headers = {}
        if state.get("last_modified"):
            headers["If-Modified-Since"] = state["last_modified"]
        response = self.http.get(url, headers)
        if response.status == 304:
            result.not_modified = True
            return result, None, ""
        return result, response.body, response.headers.get("last-modified", "")

    def _download(
        self, result: FetchResult, wanted: list[_Wanted], last_modified: str
    ) -> FetchResult:
        previous = result.watermark
        newest_ok: datetime | None = None
        oldest_failed: datetime | None = None
        fresh = [w for w in wanted if previous is None or w.updated is None or w.updated > previous]
        result.unchanged = len(wanted) - len(fresh)
        seen: set[PurePosixPath] = set()
        for item in fresh:
            if item.relative in seen:
                continue  # listed twice (changes.csv keeps history): newest entry comes first
            seen.add(item.relative)
            try:
                result.downloaded.append(self._fetch_one(item))
            except FeedError as exc:
                result.failed.append(exc)
                if item.updated is not None and (
                    oldest_failed is None or item.updated < oldest_failed
                ):
                    oldest_failed = item.updated
                continue
            if item.updated is not None and (newest_ok is None or item.updated > newest_ok):
                newest_ok = item.updated
        watermark = previous
        if newest_ok is not None and (watermark is None or newest_ok > watermark):
            watermark = newest_ok
        if oldest_failed is not None:
            # Never move past a failed advisory: the next refresh must fetch it again.
            safe = [w.updated for w in fresh if w.updated is not None and w.updated < oldest_failed]
            watermark = max([t for t in (previous, *safe) if t is not None], default=None)
        result.watermark = watermark
        # After a failure the next refresh must not be answered 304: Last-Modified not kept.
        result.last_modified = "" if result.failed else last_modified
        if self.save_state:
            self.commit_state(result)
        return result

    def _fetch_one(self, item: _Wanted) -> Path:
        body = self.http.get(item.url).body
        try:
            orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise FeedError(item.url, f"advisory is not JSON: {exc.msg}") from None
        if self.verify_hashes:
            self._verify(item, body)
        target = self.dest.joinpath(*item.relative.parts)
        _write_atomically(target, body)
        return target

    def _verify(self, item: _Wanted, body: bytes) -> None:
        for hash_url in item.hash_urls:
            try:
                text = self.http.get(hash_url).body.decode("ascii", errors="replace")
            except FeedError as exc:
                if exc.status == 404 and not item.hashes_required:
                    continue  # not offered by this provider
                raise
            expected = text.strip().split()[0].lower() if text.strip() else ""
            algorithm = next((a for s, a in _DIGESTS.items() if hash_url.endswith(s)), None)
            algorithm = algorithm or {128: "sha512", 64: "sha256"}.get(len(expected))
            if algorithm is None:
                raise FeedError(hash_url, "not a SHA-256 or SHA-512 digest file")
            actual = hashlib.new(algorithm, body).hexdigest()
            if actual != expected:
                raise FeedError(
                    item.url, f"{algorithm} digest mismatch: expected {expected}, computed {actual}"
                )
            return  # one verified digest is enough

    def _state(self) -> dict[str, dict[str, str]]:
        path = self.dest / STATE_FILE
        try:
            state = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return {}
        return state if isinstance(state, dict) else {}

    def _save(self, source: str, watermark: datetime | None, last_modified: str) -> None:
        state = self._state()
        state[source] = {
            "watermark": watermark.isoformat() if watermark else "",
            "last_modified": last_modified,
        }
        _write_atomically(self.dest / STATE_FILE, orjson.dumps(state, option=orjson.OPT_INDENT_2))


def _ordered(entry: RolieEntry) -> tuple[str, ...]:
    """Hash URLs, SHA-512 first (the stronger one is checked when both are offered)."""
    return tuple(sorted(entry.hash_urls, key=lambda u: not u.endswith(".sha512")))


def _relative(url: str, base: str) -> PurePosixPath:
    """Where an advisory is stored under dest: its path below the feed's directory, else the
    last two path segments (year/file). `..` and absolute parts are dropped."""
    path = unquote(urlsplit(url).path)
    base_path = unquote(urlsplit(base).path)
    relative = (
        path[len(base_path) :] if path.startswith(base_path) else "/".join(path.rsplit("/", 2)[-2:])
    )
    parts = [p for p in PurePosixPath(relative).parts if p not in ("", ".", "..", "/")]
    return PurePosixPath(*parts) if parts else PurePosixPath("advisory.json")


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _write_atomically(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        Path(tmp).replace(target)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
        raise
