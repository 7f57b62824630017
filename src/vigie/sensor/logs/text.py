"""Line-oriented text logs: Squid's native access.log, BIND's query log, and firewall
syslog lines that carry source and destination addresses (netfilter/UFW `SRC=` `DST=`, and
the `srcip=` `dstip=` of FortiGate and others).

`#` lines are comments (log samples and hand-edited files carry them), not lines the scanner
failed to understand.
"""

from __future__ import annotations

import re

from vigie.sensor.logs.base import Chunk, emit, syslog_timestamp
from vigie.sensor.logs.fields import Field, Found
from vigie.sensor.matcher import IndicatorSet

__all__ = [
    "BIND_LINE",
    "FIREWALL_LINE",
    "SQUID_LINE",
    "BindScanner",
    "FirewallScanner",
    "SquidScanner",
]

Matched = list[tuple[int, str, str]]

# time elapsed client action/code size method URL [ident hierarchy/peer type]
SQUID_LINE = re.compile(rb"\d{9,11}(?:\.\d+)? +\d+ +\S+ +[A-Z_]+/\d{3} +\d+ +\S+ +\S+")
BIND_LINE = re.compile(
    rb"client (?:@0x[0-9a-fA-F]+ )?([0-9A-Fa-f:.]+)#\d+(?: \([^)]*\))?: (?:view [^:]+: )?"
    rb"(?:query: (\S+) |[^']*'([^'/]+)/)"
)
FIREWALL_LINE = re.compile(rb"\b(?:SRC|srcip|src_ip|src)=([0-9A-Fa-f:.]+)")
_DESTINATION = re.compile(rb"\b(?:DST|dstip|dst_ip|dst)=([0-9A-Fa-f:.]+)")


def _look(field: Field, value: bytes, matched: Matched) -> None:
    found: Found | None = field.cache.get(value)
    if found is None:
        found = field.lookup(value)
    if found:
        matched.extend((entry, field.name, seen) for entry, seen in found)


class SquidScanner:
    format = "squid"
    log_type = "proxy"

    def __init__(self, indicators: IndicatorSet) -> None:
        self.client = Field("client", "address", indicators)
        self.url = Field("url", "url", indicators)
        self.host = Field("host", "host", indicators)
        self.peer = Field("peer", "host", indicators)
        self.want_urls = bool(indicators.urls)

    def scan(self, lines: list[bytes], first: int, out: Chunk) -> None:
        hits = out.hits
        read = bad = 0
        for offset, line in enumerate(lines):
            if not line or line.isspace() or line[0] == 35:
                continue
            read += 1
            parts = line.split()
            if len(parts) < 7 or b"/" not in parts[3]:
                bad += 1
                continue
            matched: Matched = []
            _look(self.client, parts[2], matched)
            method, url = parts[5], parts[6]
            if method == b"CONNECT":
                _look(self.host, url, matched)  # host:port
            elif b"://" in url:
                if self.want_urls:
                    _look(self.url, url, matched)
                host = url.split(b"/", 3)[2].rpartition(b"@")[2]
                _look(self.host, host, matched)
            if len(parts) > 8:
                peer = parts[8].partition(b"/")[2]
                if peer and peer != b"-":
                    _look(self.peer, peer, matched)
            if matched:
                try:
                    seen: float | None = float(parts[0])
                except ValueError:
                    seen = None
                emit(hits, first + offset, matched, self.log_type, seen)
        out.lines[self.log_type] += read
        out.not_understood += bad


class BindScanner:
    format = "bind"
    log_type = "dns"

    def __init__(self, indicators: IndicatorSet) -> None:
        self.client = Field("client", "address", indicators)
        self.query = Field("query", "domain", indicators)

    def scan(self, lines: list[bytes], first: int, out: Chunk) -> None:
        hits = out.hits
        search = BIND_LINE.search
        read = bad = 0
        for offset, line in enumerate(lines):
            if not line or line.isspace() or line[0] == 35:
                continue
            read += 1
            match = search(line)
            if match is None:
                bad += 1
                continue
            client, plain, quoted = match.groups()
            matched: Matched = []
            _look(self.client, client, matched)
            name = plain or quoted
            if name and name != b".":
                _look(self.query, name, matched)
            if matched:
                emit(hits, first + offset, matched, self.log_type, syslog_timestamp(line))
        out.lines[self.log_type] += read
        out.not_understood += bad


class FirewallScanner:
    format = "firewall"
    log_type = "firewall"

    def __init__(self, indicators: IndicatorSet) -> None:
        self.src = Field("SRC", "address", indicators)
        self.dst = Field("DST", "address", indicators)

    def scan(self, lines: list[bytes], first: int, out: Chunk) -> None:
        hits = out.hits
        source, destination = FIREWALL_LINE.search, _DESTINATION.search
        read = bad = 0
        for offset, line in enumerate(lines):
            if not line or line.isspace() or line[0] == 35:
                continue
            read += 1
            src, dst = source(line), destination(line)
            if src is None and dst is None:
                bad += 1
                continue
            matched: Matched = []
            if src is not None:
                _look(self.src, src.group(1), matched)
            if dst is not None:
                _look(self.dst, dst.group(1), matched)
            if matched:
                emit(hits, first + offset, matched, self.log_type, syslog_timestamp(line))
        out.lines[self.log_type] += read
        out.not_understood += bad
