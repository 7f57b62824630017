"""Field kinds: how a log value is looked up, with one cache per field.

A field's raw bytes are looked up once (`Field.lookup`); later lines with the same bytes cost
one dict probe. A lookup gives the indicators it matched, each with the value seen, so a set
field (Zeek's `answers`) names the very element that matched.
"""

from __future__ import annotations

from collections.abc import Callable

from vigie.sensor.matcher import CACHE_LIMIT, IndicatorSet

__all__ = ["KINDS", "Field", "Found"]

Found = tuple[tuple[int, str], ...]  # (entry, observed value) pairs; () when nothing matched
_NOTHING: Found = ()
_UNSET = frozenset({b"", b"-", b"(empty)"})


def _text(value: bytes) -> str:
    return value.decode("utf-8", "replace")


def _one(entry: int, value: bytes) -> Found:
    return ((entry, _text(value)),) if entry >= 0 else _NOTHING


def _domain(lookups: IndicatorSet, value: bytes) -> Found:
    return _one(lookups.domain(value), value)


def _address(lookups: IndicatorSet, value: bytes) -> Found:
    return _one(lookups.address(value), value)


def _host(lookups: IndicatorSet, value: bytes) -> Found:
    """A Host header or SNI: a name or an address, perhaps with a port or in brackets."""
    host = value
    if host.startswith(b"["):
        host = host[1 : host.find(b"]")]
    elif host.count(b":") == 1:
        host = host.partition(b":")[0]
    return _one(lookups.host(host), value)


def _url(lookups: IndicatorSet, value: bytes) -> Found:
    return _one(lookups.url(value), value)


def _hash(lookups: IndicatorSet, value: bytes) -> Found:
    return _one(lookups.file_hash(value), value)


def _email(lookups: IndicatorSet, value: bytes) -> Found:
    return _one(lookups.email(value), value)


def _each(kind: Callable[[IndicatorSet, bytes], Found]) -> Callable[[IndicatorSet, bytes], Found]:
    """A set field (`a,b,c`): each element looked up with `kind`."""

    def lookup(lookups: IndicatorSet, value: bytes) -> Found:
        found: list[tuple[int, str]] = []
        for element in value.split(b","):
            element = element.strip()
            if element and element not in _UNSET:
                found.extend(kind(lookups, element))
        return tuple(found)

    return lookup


KINDS: dict[str, Callable[[IndicatorSet, bytes], Found]] = {
    "domain": _domain,
    "address": _address,
    "host": _host,
    "url": _url,
    "hash": _hash,
    "email": _email,
    "addresses": _each(_address),
    "names": _each(_host),  # DNS answers: names and addresses
    "emails": _each(_email),
    "hashes": _each(_hash),
}


class Field:
    """One log field to look up: its name (as the sighting reports it), kind and cache."""

    __slots__ = ("_compute", "_lookups", "by_text", "cache", "kind", "name")

    def __init__(self, name: str, kind: str, lookups: IndicatorSet) -> None:
        self.name = name
        self.kind = kind
        self._compute = KINDS[kind]
        self._lookups = lookups
        self.cache: dict[bytes, Found] = dict.fromkeys(_UNSET, _NOTHING)
        # JSON logs hand over text: a second cache spares encoding every value.
        self.by_text: dict[str, Found] = {}

    def lookup(self, value: bytes) -> Found:
        """What `value` matches (the caller has already missed the cache)."""
        cache = self.cache
        if len(cache) >= CACHE_LIMIT:
            cache.clear()
            cache.update(dict.fromkeys(_UNSET, _NOTHING))
        found = cache[value] = self._compute(self._lookups, value)
        return found

    def lookup_text(self, value: str) -> Found:
        """What the text `value` matches (the caller has already missed `by_text`)."""
        if len(self.by_text) >= CACHE_LIMIT:
            self.by_text.clear()
        found = self.by_text[value] = self._compute(self._lookups, value.encode("utf-8", "replace"))
        return found
