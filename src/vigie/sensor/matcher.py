"""The compiled indicator set the sensor matches log values against, at line rate.

Every lookup is one or a few dict probes on bytes or integers, because a log holds millions
of lines and the set a million indicators:

* a domain indicator matches the name itself and every name below it, never a longer name
  that merely ends with the same letters: `a.evil.com` is looked up as `a.evil.com`, then
  `evil.com`, then `com` (label boundaries only), so `notevil.com` never reaches `evil.com`;
* an address matches an address indicator exactly, or falls inside a CIDR indicator: one dict
  per prefix length present, probed with the address shifted right by its host bits (IPv4 and
  IPv6 alike, as integers, so `2001:db8::1` and `2001:0db8:0:0::1` are the same address);
* a URL matches after both sides are put in one form (`url_key`: scheme and host case,
  default port, percent-encoding, fragment);
* a hash matches a file-hash field, case-insensitively.

Values repeat massively in logs (the same resolver, the same hundred names), so the log
scanners keep a cache per field in front of these lookups (`sensor.logs.fields`).
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass, field

from vigie.engines.indicators.model import IndicatorType

__all__ = [
    "CACHE_LIMIT",
    "IndicatorSet",
    "url_key",
]

CACHE_LIMIT = 200_000  # distinct values remembered per field before the cache starts again

_DEFAULT_PORTS = {"http": "80", "https": "443", "ftp": "21", "ws": "80", "wss": "443"}
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_URL_PARTS = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)([^#]*)")
_HASH_TYPES = {32: IndicatorType.MD5, 40: IndicatorType.SHA1, 64: IndicatorType.SHA256}


def _percent(match: re.Match[str]) -> str:
    # RFC 3986 6.2.2: an escaped unreserved character is the character itself; any other
    # escape is kept, with upper-case hex digits.
    code = int(match.group(1), 16)
    return chr(code) if code in _UNRESERVED else "%" + match.group(1).upper()


def url_key(url: str) -> str | None:
    """One spelling for equivalent URLs, or None for text that is not an absolute URL.

    Scheme and host lower-cased (a trailing dot dropped), user information and fragment
    dropped, the default port of the scheme dropped, an empty path written `/`, and
    percent-encoding normalised as RFC 3986 section 6.2.2 says. The path and query keep
    their case: servers treat them case-sensitively.
    """
    match = _URL_PARTS.match(url.strip())
    if match is None:
        return None
    scheme, authority, rest = match.groups()
    scheme = scheme.lower()
    hostport = authority.rpartition("@")[2].lower()
    host, port = hostport, ""
    if hostport.startswith("["):
        end = hostport.find("]")
        if hostport[end + 1 : end + 2] == ":":
            host, port = hostport[: end + 1], hostport[end + 2 :]
    elif ":" in hostport:
        host, _, port = hostport.rpartition(":")
    host = host.rstrip(".")
    if not host:
        return None
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    if port == _DEFAULT_PORTS.get(scheme):
        port = ""
    if not rest or rest[0] == "?":
        rest = "/" + rest
    if "%" in rest:
        rest = _PERCENT.sub(_percent, rest)
    return f"{scheme}://{host}{':' + port if port else ''}{rest}"


def _ipv4_int(text: str) -> int | None:
    try:
        return int.from_bytes(socket.inet_pton(socket.AF_INET, text), "big")
    except OSError:
        return None


def _ipv6_int(text: str) -> int | None:
    # A zone (`fe80::1%eth0`) names the interface, not the address.
    try:
        return int.from_bytes(socket.inet_pton(socket.AF_INET6, text.partition("%")[0]), "big")
    except OSError:
        return None


@dataclass
class IndicatorSet:
    """Indicators ready to match: `add` them, then look values up.

    An entry is a position in `values` / `types` / `ids`: the indicator as loaded (the value
    a sighting names, never the log value), its type and its STIX or MISP id.
    """

    values: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    ids: list[str | None] = field(default_factory=list)
    domains: dict[bytes, int] = field(default_factory=dict)
    hashes: dict[bytes, int] = field(default_factory=dict)
    urls: dict[str, int] = field(default_factory=dict)
    emails: dict[str, int] = field(default_factory=dict)
    # family (4 or 6) -> prefix length -> network number -> entry; exact addresses are the
    # full-length prefix.
    networks: dict[int, dict[int, dict[int, int]]] = field(default_factory=lambda: {4: {}, 6: {}})
    _lengths: dict[int, list[int]] = field(default_factory=lambda: {4: [], 6: []})

    def __len__(self) -> int:
        return len(self.values)

    def add(self, type_: str, value: str, indicator_id: str | None = None) -> bool:
        """Add one normalised indicator (engines.indicators.normalise); False when the value
        cannot be matched by a log value (already present, or not of a matchable shape)."""
        entry = len(self.values)
        if type_ == IndicatorType.DOMAIN:
            stored = self.domains.setdefault(value.encode("ascii", "replace"), entry)
        elif type_ in (IndicatorType.IPV4, IndicatorType.IPV6, IndicatorType.CIDR):
            stored = self._add_network(value, entry)
        elif type_ == IndicatorType.URL:
            key = url_key(value)
            if key is None:
                return False
            stored = self.urls.setdefault(key, entry)
        elif type_ in (IndicatorType.MD5, IndicatorType.SHA1, IndicatorType.SHA256):
            stored = self.hashes.setdefault(value.lower().encode("ascii", "replace"), entry)
        elif type_ == IndicatorType.EMAIL:
            stored = self.emails.setdefault(value.lower(), entry)
        else:
            return False
        if stored != entry:
            return False
        self.values.append(value)
        self.types.append(str(type_))
        self.ids.append(indicator_id)
        return True

    def _add_network(self, value: str, entry: int) -> int:
        address, _, length_text = value.partition("/")
        family, number = 4, _ipv4_int(address)
        if number is None:
            family, number = 6, _ipv6_int(address)
        if number is None:
            return -1
        bits = 32 if family == 4 else 128
        length = int(length_text) if length_text.isdigit() else bits
        if not 0 <= length <= bits:
            return -1
        by_length = self.networks[family].setdefault(length, {})
        if length not in self._lengths[family]:
            # Longest prefix first: the most precise indicator names the sighting.
            self._lengths[family] = sorted(self.networks[family], reverse=True)
        return by_length.setdefault(number >> (bits - length), entry)

    # Lookups: each returns an entry or -1.

    def domain(self, name: bytes) -> int:
        """A name as a log writes it (any case, perhaps with the root's trailing dot)."""
        name = name.lower().rstrip(b".")
        domains = self.domains
        while True:
            entry = domains.get(name)
            if entry is not None:
                return entry
            dot = name.find(b".")
            if dot < 0:
                return -1
            name = name[dot + 1 :]

    def address(self, raw: bytes) -> int:
        text = raw.decode("ascii", "replace")
        number = _ipv4_int(text)
        if number is not None:
            family, bits = 4, 32
        else:
            number = _ipv6_int(text)
            if number is None:
                return -1
            family, bits = 6, 128
        networks = self.networks[family]
        for length in self._lengths[family]:
            entry = networks[length].get(number >> (bits - length))
            if entry is not None:
                return entry
        return -1

    def host(self, name: bytes) -> int:
        """A host field: an address or a name (brackets and port already removed)."""
        if not name:
            return -1
        last = name[-1]
        if 48 <= last <= 57 or b":" in name:  # ends with a digit, or IPv6: an address
            entry = self.address(name)
            if entry >= 0:
                return entry
        return self.domain(name)

    def url(self, raw: bytes) -> int:
        key = url_key(raw.decode("utf-8", "replace"))
        if key is None:
            return -1
        entry = self.urls.get(key, -1)
        if entry < 0 and "?" in key:
            # An indicator without a query names the resource whatever the query says.
            entry = self.urls.get(key.partition("?")[0], -1)
        return entry

    def file_hash(self, value: bytes) -> int:
        if len(value) not in _HASH_TYPES:
            return -1
        return self.hashes.get(value.lower(), -1)

    @property
    def has_addresses(self) -> bool:
        return any(self.networks[4].values()) or any(self.networks[6].values())

    def email(self, raw: bytes) -> int:
        return self.emails.get(raw.decode("utf-8", "replace").strip().strip("<>").lower(), -1)
