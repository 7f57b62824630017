"""MISP warning lists (github.com/MISP/misp-warninglists, `lists/*/list.json`): known-good or
well-known values (public resolvers, private ranges, top sites, empty-file hashes) that would
raise false alarms as indicators.

`WarningIndex.check` is called for every indicator of an import (a million of them), so each
list type has its own index and no check scans a list:

* string: one dict of lower-cased entries;
* hostname: one dict; a name is looked up with each of its parent domains (a few lookups);
* cidr: per address family and prefix length, a dict of network numbers; an address is looked
  up once per prefix length present (at most 33 for IPv4), a CIDR indicator only at lengths
  no longer than its own, so a hit means the whole indicator network lies inside the entry;
* substring: entries keyed by their first three characters, looked up at each position of the
  value (the 8,000 disposable-mail domains are not scanned one by one);
* regex: not applied (counted in `skipped_lists`): MISP writes them as PCRE with flags, which
  Python's `re` does not read faithfully.

`matching_attributes` is respected where it names MISP types: a list meant for hostnames never
flags a hash. A list without it applies to every type its list type can match.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vigie.engines.indicators.model import IndicatorProblemError, IndicatorType
from vigie.engines.indicators.normalise import CANONICAL_IPV4
from vigie.engines.indicators.text import decode_text

__all__ = [
    "LIST_TYPES",
    "WarningHit",
    "WarningIndex",
    "WarningList",
    "load_warning_list",
    "load_warning_lists",
]

LIST_TYPES = frozenset({"string", "substring", "hostname", "cidr", "regex"})
CATEGORIES = frozenset({"false-positive", "known"})

_ADDRESSES = frozenset({IndicatorType.IPV4, IndicatorType.IPV6, IndicatorType.CIDR})
_NAMES = frozenset({IndicatorType.DOMAIN, IndicatorType.URL, IndicatorType.EMAIL})
_ALL = frozenset(IndicatorType)
_BY_LIST_TYPE = {
    "cidr": _ADDRESSES,
    "hostname": _NAMES,
    "string": _ALL,
    "substring": _ALL,
    "regex": _ALL,
}
# MISP attribute types of `matching_attributes` -> the indicator types they cover.
_ATTRIBUTE_TYPES: dict[str, frozenset[IndicatorType]] = {
    **dict.fromkeys(("ip-src", "ip-dst", "ip-src|port", "ip-dst|port", "ip"), _ADDRESSES),
    "domain|ip": _ADDRESSES | {IndicatorType.DOMAIN},
    **dict.fromkeys(("domain", "hostname", "hostname|port"), frozenset({IndicatorType.DOMAIN})),
    **dict.fromkeys(("url", "uri", "link"), frozenset({IndicatorType.URL})),
    **dict.fromkeys(
        ("md5", "filename|md5", "x509-fingerprint-md5"), frozenset({IndicatorType.MD5})
    ),
    **dict.fromkeys(
        ("sha1", "filename|sha1", "x509-fingerprint-sha1"), frozenset({IndicatorType.SHA1})
    ),
    **dict.fromkeys(
        ("sha256", "filename|sha256", "x509-fingerprint-sha256"),
        frozenset({IndicatorType.SHA256}),
    ),
    **dict.fromkeys(
        (
            "email",
            "email-src",
            "email-dst",
            "target-email",
            "whois-registrant-email",
            "dns-soa-email",
        ),
        frozenset({IndicatorType.EMAIL}),
    ),
}
_GRAM = 3  # substring entries are keyed by this many leading characters


@dataclass(frozen=True)
class WarningHit:
    list_name: str
    list_description: str
    matching: str  # the entry that matched, as the list writes it
    # "false-positive" (the value is most likely not malicious: the platform suppresses it) or
    # "known" (the value is merely well known); a hit must say which, as the list does.
    category: str = "false-positive"


@dataclass(frozen=True)
class WarningList:
    name: str
    description: str
    list_type: str  # "string" | "substring" | "hostname" | "cidr" | "regex"
    matching_attributes: tuple[str, ...]
    entries: tuple[str, ...]
    category: str  # "false-positive" | "known"

    def indicator_types(self) -> frozenset[IndicatorType]:
        """The indicator types this list applies to."""
        if not self.matching_attributes:
            return _BY_LIST_TYPE[self.list_type]
        covered: set[IndicatorType] = set()
        for attribute in self.matching_attributes:
            covered |= _ATTRIBUTE_TYPES.get(attribute, frozenset())
        return frozenset(covered) & _BY_LIST_TYPE[self.list_type]


def _bad(reason: str, **params: str | int) -> IndicatorProblemError:
    return IndicatorProblemError("bad_warning_list", {"reason": reason, **params})


def _strings(data: dict[str, Any], key: str) -> tuple[str, ...]:
    items = data.get(key, [])
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise _bad("not_a_list_of_strings", field=key)
    return tuple(items)


def load_warning_list(data: bytes) -> WarningList:
    """One `list.json`; raises IndicatorProblemError("bad_warning_list", {"reason", ...})."""
    text = decode_text(data)
    if text is None:
        raise _bad("not_text")
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as error:
        raise _bad("bad_json", line=error.lineno) from None
    if not isinstance(parsed, dict):
        raise _bad("not_an_object")
    for key in ("name", "description", "type"):
        if not isinstance(parsed.get(key), str):
            raise _bad("not_a_string" if key in parsed else "missing_field", field=key)
    if "list" not in parsed:
        raise _bad("missing_field", field="list")
    if parsed["type"] not in LIST_TYPES:
        raise _bad("unknown_list_type", type=parsed["type"][:50])
    category = parsed.get("category", "false-positive")
    if category not in CATEGORIES:
        raise _bad("unknown_category", category=str(category)[:50])
    return WarningList(
        name=parsed["name"],
        description=parsed["description"],
        list_type=parsed["type"],
        matching_attributes=_strings(parsed, "matching_attributes"),
        entries=_strings(parsed, "list"),
        category=category,
    )


def load_warning_lists(folder: Path) -> WarningIndex:
    """Every `*/list.json` under `folder`; a bad file raises the error naming it (`file`)."""
    lists = []
    for path in sorted(folder.glob("*/list.json")):
        try:
            lists.append(load_warning_list(path.read_bytes()))
        except IndicatorProblemError as error:
            raise IndicatorProblemError(
                error.code, {**error.params, "file": str(path.relative_to(folder))}
            ) from None
    return WarningIndex(lists)


def _hostname_key(entry: str) -> str:
    name = entry.strip().lower().rstrip(".")
    if name.startswith("*."):
        return name[2:]
    return name.lstrip(".")


def _ipv4_int(value: str) -> int:
    a, b, c, d = value.split(".")
    return (int(a) << 24) | (int(b) << 16) | (int(c) << 8) | int(d)


class WarningIndex:
    def __init__(self, lists: Iterable[WarningList]) -> None:
        self.lists: tuple[WarningList, ...] = tuple(lists)
        self.skipped_lists: tuple[str, ...] = tuple(
            wl.name for wl in self.lists if wl.list_type == "regex"
        )
        self._types = [wl.indicator_types() for wl in self.lists]
        Entry = tuple[int, str]
        self._strings: dict[str, list[Entry]] = {}
        self._hostnames: dict[str, list[Entry]] = {}
        self._grams: dict[str, list[tuple[int, str, str]]] = {}
        self._short: list[tuple[int, str, str]] = []  # substrings shorter than _GRAM
        # family -> prefix length -> network number (address >> host bits) -> entries
        self._networks: dict[int, dict[int, dict[int, list[Entry]]]] = {4: {}, 6: {}}
        for position, wl in enumerate(self.lists):
            if not self._types[position]:
                continue
            if wl.list_type == "string":
                for entry in wl.entries:
                    self._strings.setdefault(entry.strip().lower(), []).append((position, entry))
            elif wl.list_type == "hostname":
                for entry in wl.entries:
                    if key := _hostname_key(entry):
                        self._hostnames.setdefault(key, []).append((position, entry))
            elif wl.list_type == "substring":
                for entry in wl.entries:
                    lowered = entry.lower()
                    if len(lowered) >= _GRAM:
                        item = (position, lowered, entry)
                        self._grams.setdefault(lowered[:_GRAM], []).append(item)
                    elif lowered:
                        self._short.append((position, lowered, entry))
            elif wl.list_type == "cidr":
                self._add_networks(position, wl.entries)
        self._lengths = {family: sorted(by_length) for family, by_length in self._networks.items()}

    def _add_networks(self, position: int, entries: tuple[str, ...]) -> None:
        for entry in entries:
            try:
                network = ipaddress.ip_network(entry.strip(), strict=False)
            except ValueError:
                continue  # a stray non-address line in a published list: nothing to match
            host_bits = network.max_prefixlen - network.prefixlen
            by_number = self._networks[network.version].setdefault(network.prefixlen, {})
            number = int(network.network_address) >> host_bits
            by_number.setdefault(number, []).append((position, entry))

    def check(self, type_: IndicatorType, value: str) -> list[WarningHit]:
        """The lists that flag this (normalised) indicator, at most one hit per list."""
        found: dict[int, str] = {}
        types = self._types
        lowered = value.lower()
        for position, entry in self._strings.get(lowered, ()):
            if type_ in types[position]:
                found.setdefault(position, entry)
        if type_ in _ADDRESSES:
            self._check_address(type_, lowered, found)
        else:
            host = _host_of(type_, lowered)
            if host:
                self._check_hostname(type_, host, found)
        if self._grams or self._short:
            self._check_substrings(type_, lowered, found)
        return [
            WarningHit(self.lists[p].name, self.lists[p].description, entry, self.lists[p].category)
            for p, entry in sorted(found.items())
        ]

    def _check_hostname(self, type_: IndicatorType, host: str, found: dict[int, str]) -> None:
        types, names = self._types, self._hostnames
        name = host
        while True:
            for position, entry in names.get(name, ()):
                if type_ in types[position]:
                    found.setdefault(position, entry)
            dot = name.find(".")
            if dot < 0:
                return
            name = name[dot + 1 :]

    def _check_address(self, type_: IndicatorType, value: str, found: dict[int, str]) -> None:
        if CANONICAL_IPV4.fullmatch(value):
            family, number, width, length = 4, _ipv4_int(value), 32, 32
        else:
            try:
                network = ipaddress.ip_network(value, strict=False)
            except ValueError:
                return
            family, width, length = network.version, network.max_prefixlen, network.prefixlen
            number = int(network.network_address)
        types, by_length = self._types, self._networks[family]
        for prefix in self._lengths[family]:
            if prefix > length:
                break
            for position, entry in by_length[prefix].get(number >> (width - prefix), ()):
                if type_ in types[position]:
                    found.setdefault(position, entry)

    def _check_substrings(self, type_: IndicatorType, value: str, found: dict[int, str]) -> None:
        types, grams = self._types, self._grams
        for start in range(len(value) - _GRAM + 1):
            for position, lowered, entry in grams.get(value[start : start + _GRAM], ()):
                if (
                    position not in found
                    and type_ in types[position]
                    and value.startswith(lowered, start)
                ):
                    found[position] = entry
        for position, lowered, entry in self._short:
            if position not in found and type_ in types[position] and lowered in value:
                found[position] = entry


def _host_of(type_: IndicatorType, value: str) -> str | None:
    """The name a hostname list is matched against: the domain, a URL's host, a mail domain."""
    if type_ is IndicatorType.DOMAIN:
        return value
    if type_ is IndicatorType.EMAIL:
        return value.rpartition("@")[2]
    if type_ is IndicatorType.URL:
        rest = value.partition("://")[2]
        for stop in "/?#":
            rest = rest.split(stop, 1)[0]
        host = rest.rpartition("@")[2]
        if host.startswith("["):
            return None
        return host.split(":", 1)[0]
    return None
