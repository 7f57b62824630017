"""The shapes every indicator reader returns: types, TLP levels, records, problems.

Nothing here renders text: a problem is a `code` with `params`, and the platform (or the
command line) turns it into a sentence in the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

__all__ = [
    "MAX_PROBLEMS",
    "MAX_VALUE_IN_PARAMS",
    "TLP_BY_MARKING_ID",
    "TLP_ORDER",
    "IndicatorProblemError",
    "IndicatorRecord",
    "IndicatorType",
    "Problem",
    "ProblemLog",
    "ReadResult",
    "Tlp",
    "cut",
    "most_restrictive",
    "tlp_from_text",
    "type_from_name",
]

MAX_PROBLEMS = 1000  # problems listed one by one; the others are only counted
MAX_VALUE_IN_PARAMS = 200  # a value quoted back in a problem is cut there


class IndicatorType(StrEnum):
    DOMAIN = "domain"
    IPV4 = "ipv4"
    IPV6 = "ipv6"
    CIDR = "cidr"
    URL = "url"
    MD5 = "md5"
    SHA1 = "sha1"
    SHA256 = "sha256"
    EMAIL = "email"


# The names of docs INTERFACES ("Indicators"), plus the spellings MISP, STIX and OpenCTI
# exports use for the same thing, so a column copied from another tool reads as it is.
_TYPE_ALIASES: dict[str, IndicatorType] = {
    "domain": IndicatorType.DOMAIN,
    "hostname": IndicatorType.DOMAIN,
    "domain-name": IndicatorType.DOMAIN,
    "domain_name": IndicatorType.DOMAIN,
    "fqdn": IndicatorType.DOMAIN,
    "ipv4": IndicatorType.IPV4,
    "ip": IndicatorType.IPV4,
    "ipv4-addr": IndicatorType.IPV4,
    "ip-src": IndicatorType.IPV4,
    "ip-dst": IndicatorType.IPV4,
    "ipv6": IndicatorType.IPV6,
    "ipv6-addr": IndicatorType.IPV6,
    "cidr": IndicatorType.CIDR,
    "ip-range": IndicatorType.CIDR,
    "network": IndicatorType.CIDR,
    "url": IndicatorType.URL,
    "uri": IndicatorType.URL,
    "link": IndicatorType.URL,
    "md5": IndicatorType.MD5,
    "file-md5": IndicatorType.MD5,
    "sha1": IndicatorType.SHA1,
    "sha-1": IndicatorType.SHA1,
    "file-sha1": IndicatorType.SHA1,
    "file-sha-1": IndicatorType.SHA1,
    "sha256": IndicatorType.SHA256,
    "sha-256": IndicatorType.SHA256,
    "file-sha256": IndicatorType.SHA256,
    "file-sha-256": IndicatorType.SHA256,
    "email": IndicatorType.EMAIL,
    "email-addr": IndicatorType.EMAIL,
    "email-src": IndicatorType.EMAIL,
    "email-dst": IndicatorType.EMAIL,
}


def type_from_name(name: str) -> IndicatorType | None:
    """The type a column or attribute name means (case and surrounding spaces ignored)."""
    return _TYPE_ALIASES.get(name.strip().lower())


class Tlp(StrEnum):
    CLEAR = "clear"
    GREEN = "green"
    AMBER = "amber"
    AMBER_STRICT = "amber+strict"
    RED = "red"


TLP_ORDER: tuple[Tlp, ...] = (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED)
_TLP_RANK = {tlp: rank for rank, tlp in enumerate(TLP_ORDER)}

# TLP 1.0 "white" is TLP 2.0 "clear": same sharing rule, renamed.
_TLP_NAMES: dict[str, Tlp] = {tlp.value: tlp for tlp in Tlp} | {"white": Tlp.CLEAR}

TLP_BY_MARKING_ID: dict[str, Tlp] = {
    # TLP 1.0, predefined by STIX 2.1 (section 7.2.1.4; the stix2 library's TLP_* objects).
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": Tlp.CLEAR,
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": Tlp.GREEN,
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": Tlp.AMBER,
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": Tlp.RED,
    # TLP 2.0, published by OASIS with extension-definition--60a3c5c5-...-9e08dde9e88d.
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": Tlp.CLEAR,
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": Tlp.GREEN,
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": Tlp.AMBER,
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": Tlp.AMBER_STRICT,
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": Tlp.RED,
}


def tlp_from_text(text: str) -> Tlp | None:
    """`TLP:AMBER+STRICT`, `amber+strict`, `tlp:white`... (case-insensitive) or None."""
    name = text.strip().lower()
    if name.startswith("tlp:"):
        name = name[4:].strip()
    return _TLP_NAMES.get(name)


def most_restrictive(levels: list[Tlp]) -> Tlp | None:
    """Several markings on one object: the strictest one binds (sharing can only narrow)."""
    if not levels:
        return None
    return max(levels, key=_TLP_RANK.__getitem__)


class IndicatorProblemError(Exception):
    """A value or file that cannot be used, as a code with its parameters (no sentence)."""

    def __init__(self, code: str, params: dict[str, str | int] | None = None) -> None:
        self.code = code
        self.params: dict[str, str | int] = dict(params or {})
        super().__init__(code, self.params)


@dataclass(frozen=True)
class IndicatorRecord:
    type: IndicatorType
    value: str  # normalised (normalise.normalise)
    external_id: str | None  # STIX indicator id, MISP attribute uuid, CSV `id` column
    tlp: Tlp | None
    tags: tuple[str, ...]
    valid_from: datetime | None  # tz-aware UTC
    valid_until: datetime | None  # tz-aware UTC
    source: str | None  # CSV `source`, STIX identity name, MISP Orgc name
    confidence: int | None  # 0-100
    name: str | None  # STIX indicator name / MISP event info
    line: int | None  # 1-based physical line (CSV, plain lists)
    object_id: str | None  # the STIX object / MISP event it came from


@dataclass(frozen=True)
class Problem:
    code: str
    params: dict[str, str | int]
    line: int | None = None
    object_id: str | None = None
    field: str | None = None


@dataclass
class ReadResult:
    format: str  # "csv" | "plain" | "stix" | "misp"
    records: list[IndicatorRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # (object_id, pattern, reason code): valid STIX patterns a value matcher cannot apply,
    # kept so the platform stores and counts them rather than losing them silently.
    kept_patterns: list[tuple[str, str, str]] = field(default_factory=list)
    objects_read: int = 0


def cut(value: str) -> str:
    """A value quoted back in a problem: long enough to find it, short enough to store."""
    return value if len(value) <= MAX_VALUE_IN_PARAMS else value[:MAX_VALUE_IN_PARAMS] + "…"


class ProblemLog:
    """Collects problems, listing the first MAX_PROBLEMS and only counting the rest: a file of
    a million bad lines must not produce a million objects for the platform to store."""

    def __init__(self, limit: int = MAX_PROBLEMS) -> None:
        self.problems: list[Problem] = []
        self.count = 0
        self._limit = limit

    def add(
        self,
        code: str,
        params: dict[str, str | int],
        line: int | None = None,
        object_id: str | None = None,
        field: str | None = None,
    ) -> None:
        self.count += 1
        if self.count <= self._limit:
            self.problems.append(Problem(code, params, line, object_id, field))

    def finish(self) -> list[Problem]:
        """The problems, closed by one `too_many_problems` carrying the full count if cut."""
        if self.count > self._limit:
            return [*self.problems, Problem("too_many_problems", {"count": self.count})]
        return list(self.problems)
