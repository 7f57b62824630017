"""Suricata EVE JSON: every event's addresses, and per event type the values that name a
destination: DNS names and answers (the old one-record-per-line format of Suricata 3-4,
`answers` and `grouped` of version 2, `queries` of version 3), HTTP host and URL, TLS SNI,
file hashes (fileinfo), and flows.

Each line is parsed with orjson (about a microsecond a line); every lookup is cached, so a
line costs its parse and a few dict probes.
"""

from __future__ import annotations

from typing import Any

import orjson

from vigie.sensor.logs.base import Chunk, emit, iso_timestamp
from vigie.sensor.logs.fields import Field, Found
from vigie.sensor.matcher import IndicatorSet

__all__ = ["EveScanner"]

# event_type -> platform log type
LOG_TYPES = {
    "dns": "dns",
    "http": "http",
    "tls": "tls",
    "fileinfo": "files",
    "flow": "conn",
    "netflow": "conn",
    "alert": "ids",
    "anomaly": "ids",
    "drop": "ids",
    "smtp": "smtp",
}

Matched = list[tuple[int, str, str]]


class EveScanner:
    format = "suricata-eve"

    def __init__(self, indicators: IndicatorSet) -> None:
        self.indicators = indicators
        self.src = Field("src_ip", "address", indicators)
        self.dest = Field("dest_ip", "address", indicators)
        self.rrname = Field("dns.rrname", "domain", indicators)
        self.rdata = Field("dns.rdata", "host", indicators)
        self.hostname = Field("http.hostname", "host", indicators)
        self.url = Field("http.url", "url", indicators)
        self.sni = Field("tls.sni", "domain", indicators)
        self.hashes = {
            name: Field(f"fileinfo.{name}", "hash", indicators)
            for name in ("md5", "sha1", "sha256")
        }

    @staticmethod
    def _look(field: Field, value: Any, matched: Matched, name: str | None = None) -> None:
        if value.__class__ is not str:
            return
        found: Found | None = field.by_text.get(value)
        if found is None:
            found = field.lookup_text(value)
        if found:
            matched.extend((entry, name or field.name, seen) for entry, seen in found)

    def _dns(self, dns: dict[str, Any], matched: Matched) -> None:
        look = self._look
        look(self.rrname, dns.get("rrname"), matched)  # v1 (one record a line), v2 query
        if "rdata" in dns:
            look(self.rdata, dns["rdata"], matched)
        for query in dns.get("queries") or ():  # v3
            if isinstance(query, dict):
                look(self.rrname, query.get("rrname"), matched, "dns.queries.rrname")
        for answer in dns.get("answers") or ():  # v2 and v3 "detailed"
            if isinstance(answer, dict):
                look(self.rrname, answer.get("rrname"), matched, "dns.answers.rrname")
                look(self.rdata, answer.get("rdata"), matched, "dns.answers.rdata")
        grouped = dns.get("grouped")  # v2 and v3 "grouped": {"A": [...], "CNAME": [...]}
        if isinstance(grouped, dict):
            for rrtype, values in grouped.items():
                if isinstance(values, list):
                    for value in values:
                        look(self.rdata, value, matched, f"dns.grouped.{rrtype}")

    def _http(self, http: dict[str, Any], matched: Matched) -> None:
        hostname = http.get("hostname")
        self._look(self.hostname, hostname, matched)
        url = http.get("url")
        if self.indicators.urls and isinstance(url, str) and isinstance(hostname, str):
            if "://" not in url:
                port = http.get("http_port")
                host = f"{hostname}:{port}" if isinstance(port, int) else hostname
                url = f"http://{host}{url}"
            self._look(self.url, url, matched)

    def scan(self, lines: list[bytes], first: int, out: Chunk) -> None:
        hits = out.hits
        counts: dict[str, int] = {}
        src, dest = self.src, self.dest
        src_cache, dest_cache = src.by_text, dest.by_text
        look = self._look
        want_hashes = bool(self.indicators.hashes)
        bad = 0
        matched: Matched = []  # reused: emit() copies what it keeps
        for offset, line in enumerate(lines):
            if not line:
                continue
            try:
                event = orjson.loads(line)
            except orjson.JSONDecodeError:
                if line.strip():
                    bad += 1
                continue
            if event.__class__ is not dict:
                bad += 1
                continue
            kind = event.get("event_type")
            log_type = LOG_TYPES.get(kind, "other") if kind.__class__ is str else "other"
            counts[log_type] = counts.get(log_type, 0) + 1
            # Addresses inline: every event has them.
            value = event.get("src_ip")
            if value.__class__ is str:
                found = src_cache.get(value)
                if found is None:
                    found = src.lookup_text(value)
                if found:
                    matched.extend((entry, "src_ip", seen) for entry, seen in found)
            value = event.get("dest_ip")
            if value.__class__ is str:
                found = dest_cache.get(value)
                if found is None:
                    found = dest.lookup_text(value)
                if found:
                    matched.extend((entry, "dest_ip", seen) for entry, seen in found)
            dns = event.get("dns")
            if dns.__class__ is dict:
                self._dns(dns, matched)
            http = event.get("http")
            if http.__class__ is dict:
                self._http(http, matched)
            tls = event.get("tls")
            if tls.__class__ is dict:
                look(self.sni, tls.get("sni"), matched)
            if want_hashes:
                fileinfo = event.get("fileinfo")
                if fileinfo.__class__ is dict:
                    for name, field in self.hashes.items():
                        look(field, fileinfo.get(name), matched)
            if matched:
                stamp = event.get("timestamp")
                seen = iso_timestamp(stamp) if isinstance(stamp, str) else None
                emit(hits, first + offset, matched, log_type, seen)
                matched = []
        for log_type, count in counts.items():
            out.lines[log_type] += count
        out.not_understood += bad
