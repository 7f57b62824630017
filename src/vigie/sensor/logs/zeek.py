"""Zeek logs, both as Zeek writes them by default (TSV with `#fields` headers) and as JSON
lines (`LogAscii::use_json`): dns, conn, http, ssl, files, smtp, and the connection
addresses of any other log.

TSV lines are split on the separator and the fields of interest read by position; the
header may change in the middle of a file (logs concatenated across restarts), and a line
with the wrong number of fields is counted as not understood.
"""

from __future__ import annotations

from typing import Any

import orjson

from vigie.sensor.logs.base import Chunk, emit, iso_timestamp
from vigie.sensor.logs.fields import Field, Found
from vigie.sensor.matcher import IndicatorSet

__all__ = ["ZeekJsonScanner", "ZeekTsvScanner", "path_from_keys"]

_ADDRESSES = (("id.orig_h", "address"), ("id.resp_h", "address"))
# The fields matched in each Zeek log, and the platform log type of its sightings.
SPECS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "dns": ("dns", (("query", "domain"), ("answers", "names"), *_ADDRESSES)),
    "conn": ("conn", _ADDRESSES),
    "http": ("http", (("host", "host"), *_ADDRESSES)),
    "ssl": ("tls", (("server_name", "domain"), *_ADDRESSES)),
    "files": (
        "files",
        (
            ("md5", "hash"),
            ("sha1", "hash"),
            ("sha256", "hash"),
            ("tx_hosts", "addresses"),
            ("rx_hosts", "addresses"),
            *_ADDRESSES,
        ),
    ),
    "smtp": ("smtp", (("mailfrom", "email"), ("rcptto", "emails"), *_ADDRESSES)),
}
_OTHER = ("other", _ADDRESSES)
URL_FIELD = "host+uri"


def path_from_keys(keys: set[str]) -> str:
    """Which log a JSON line without `_path` comes from, by the fields it has."""
    if "query" in keys and ("qtype_name" in keys or "trans_id" in keys or "rcode" in keys):
        return "dns"
    if "server_name" in keys or "ja3" in keys or "cipher" in keys:
        return "ssl"
    if "uri" in keys and ("method" in keys or "host" in keys):
        return "http"
    if "fuid" in keys or "mime_type" in keys:
        return "files"
    if "mailfrom" in keys or "rcptto" in keys:
        return "smtp"
    return "conn" if "conn_state" in keys or "duration" in keys else "other"


def _http_url(indicators: IndicatorSet, host: bytes, uri: bytes) -> int:
    if not indicators.urls or host in (b"", b"-") or uri in (b"", b"-"):
        return -1
    return indicators.url(b"http://" + host + uri)


class ZeekTsvScanner:
    format = "zeek-tsv"

    def __init__(self, indicators: IndicatorSet) -> None:
        self.indicators = indicators
        self.separator = b"\t"
        self.path = "other"
        self.names: list[bytes] = []
        self.log_type = "other"
        self.width = 0
        self.ts_at = -1
        self.url_at: tuple[int, int] | None = None
        self.fields: list[tuple[int, Field]] = []
        self.url_cache: dict[bytes, int] = {}

    def _header(self, line: bytes) -> bool:
        """Read a `#` line; False when it is not a Zeek header at all."""
        key, _, value = line[1:].partition(
            b" " if line.startswith(b"#separator") else self.separator
        )
        if key == b"separator":
            self.separator = value.decode("unicode_escape").encode("latin-1")
        elif key == b"path":
            self.path = value.decode("ascii", "replace")
            self._prepare()
        elif key == b"fields":
            self.names = value.split(self.separator)
            self._prepare()
        elif key not in (
            b"set_separator",
            b"empty_field",
            b"unset_field",
            b"open",
            b"close",
            b"types",
        ):
            return False
        return True

    def _prepare(self) -> None:
        names = {name.decode("ascii", "replace"): i for i, name in enumerate(self.names)}
        self.width = len(self.names)
        self.log_type, specs = SPECS.get(self.path, _OTHER)
        self.fields = [
            (names[name], Field(name, kind, self.indicators))
            for name, kind in specs
            if name in names
        ]
        self.ts_at = names.get("ts", -1)
        self.url_at = (
            (names["host"], names["uri"]) if self.path == "http" and "uri" in names else None
        )

    def scan(self, lines: list[bytes], first: int, out: Chunk) -> None:
        separator, width, fields = self.separator, self.width, self.fields
        hits = out.hits
        url_at = self.url_at
        read = 0
        bad = 0
        for offset, line in enumerate(lines):
            if not line:
                continue
            if line[0] == 35:  # "#": a header, perhaps a new one
                if not self._header(line.rstrip(b"\r")):
                    bad += 1
                separator, width, fields = self.separator, self.width, self.fields
                url_at = self.url_at
                continue
            parts = line.split(separator)
            read += 1
            if len(parts) != width:
                bad += 1
                continue
            matched: list[tuple[int, str, str]] | None = None
            for at, field in fields:
                value = parts[at]
                found = field.cache.get(value)
                if found is None:
                    found = field.lookup(value)
                if found:
                    if matched is None:
                        matched = []
                    matched.extend((entry, field.name, seen) for entry, seen in found)
            if url_at is not None:
                key = parts[url_at[0]] + b" " + parts[url_at[1]]
                entry = self.url_cache.get(key)
                if entry is None:
                    if len(self.url_cache) > 200_000:
                        self.url_cache.clear()
                    host, uri = parts[url_at[0]], parts[url_at[1]]
                    entry = self.url_cache[key] = _http_url(self.indicators, host, uri)
                if entry >= 0:
                    if matched is None:
                        matched = []
                    observed = "http://" + key.decode("utf-8", "replace").replace(" ", "", 1)
                    matched.append((entry, URL_FIELD, observed))
            if matched is not None:
                seen = _epoch(parts[self.ts_at]) if self.ts_at >= 0 else None
                emit(hits, first + offset, matched, self.log_type, seen)
        out.lines[self.log_type] += read
        out.not_understood += bad


def _epoch(text: bytes) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _as_bytes(value: Any) -> bytes | None:
    """A JSON string, or a list of them (a Zeek set or vector) joined as TSV writes it."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace")
    if isinstance(value, list):
        return b",".join(v.encode("utf-8", "replace") for v in value if isinstance(v, str))
    return None


def _json_time(value: Any) -> float | None:
    """`ts` as epoch seconds (the default) or ISO 8601 (`JSON::TS_ISO8601`)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    return iso_timestamp(value) if isinstance(value, str) else None


class ZeekJsonScanner:
    format = "zeek-json"

    def __init__(self, indicators: IndicatorSet, default_path: str) -> None:
        self.indicators = indicators
        self.default_path = default_path
        self.by_path: dict[str, tuple[str, list[Field]]] = {}

    def _fields(self, path: str) -> tuple[str, list[Field]]:
        known = self.by_path.get(path)
        if known is None:
            log_type, specs = SPECS.get(path, _OTHER)
            known = self.by_path[path] = (
                log_type,
                [Field(name, kind, self.indicators) for name, kind in specs],
            )
        return known

    def scan(self, lines: list[bytes], first: int, out: Chunk) -> None:
        hits = out.hits
        bad = 0
        for offset, line in enumerate(lines):
            if not line.strip():
                continue
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                bad += 1
                continue
            if not isinstance(record, dict):
                bad += 1
                continue
            path = record.get("_path")
            log_type, fields = self._fields(path if isinstance(path, str) else self.default_path)
            out.lines[log_type] += 1
            matched: list[tuple[int, str, str]] | None = None
            for field in fields:
                raw = record.get(field.name)
                if raw is None:
                    continue
                value = _as_bytes(raw)
                if value is None:
                    continue
                found: Found | None = field.cache.get(value)
                if found is None:
                    found = field.lookup(value)
                if found:
                    matched = matched or []
                    matched.extend((entry, field.name, seen) for entry, seen in found)
            if log_type == "http" and self.indicators.urls:
                host, uri = _as_bytes(record.get("host")), _as_bytes(record.get("uri"))
                if host and uri:
                    entry = _http_url(self.indicators, host, uri)
                    if entry >= 0:
                        matched = matched or []
                        matched.append((entry, URL_FIELD, "http://" + (host + uri).decode()))
            if matched:
                seen = _json_time(record.get("ts"))
                emit(hits, first + offset, matched, log_type, seen)
        out.not_understood += bad
