"""Compile NVD CVE API 2.0 `configurations` into flat, typed structures for the matcher.

Input shape (NVD CVE API 2.0; CVE JSON 5 `cpeApplicability` is the same):
`[{"operator"?: "AND"|"OR", "negate"?: bool, "nodes": [{"operator": "AND"|"OR", "negate": bool,
"cpeMatch": [{"vulnerable": bool, "criteria": "cpe:2.3:...", "versionStartIncluding"? ...,
"matchCriteriaId": ...}]}]}]`.

Compilation never raises on bad input: every problem becomes a line in
`CompiledVuln.problems` and the offending part is made inert in the safe direction:

* an unparsable criterion (`cpe:2.3:a:soap::lite_project:...`), a criterion naming no vendor or
  no product (`*` or a wildcard vendor, `*` product: it would match every product of every
  vendor), or a bound that is not a string never matches; an `AND` node holding one can never be
  true, an `OR` node just ignores it, a negated node holding one is never true either;
* a node with `children` (the retired NVD 1.1 feed shape) is reported and never true;
* an unknown operator is read as `OR` and reported; a configuration with several nodes and no
  operator is read as `OR` (NVD writes `operator` whenever there are several nodes);
* a range on a criterion whose version is not `*` (NVD never writes one) is reported and both
  the version and the range must hold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from vigie.engines.cpe.names import ANY, NA, Cpe, CpeError, Value, Wildcard, parse_cpe
from vigie.engines.reason_text import render_part
from vigie.engines.records import Reason
from vigie.engines.versions import version_key

__all__ = [
    "SCAN_ANY",
    "SCAN_EXACT",
    "SCAN_OTHER",
    "SCAN_RANGE",
    "SCAN_RANGE_PART",
    "CompiledVuln",
    "Configuration",
    "Criterion",
    "Node",
    "compile_configurations",
]

_BOUNDS = (
    "versionStartIncluding",
    "versionStartExcluding",
    "versionEndIncluding",
    "versionEndExcluding",
)
# Attributes checked after vendor/product/version (indexes into Cpe); `part` is one of them.
_REST = (0, 4, 5, 6, 7, 8, 9, 10)

VersionKey = tuple[int | str, ...]


# How an index looks for a criterion's candidates (Criterion.scan); see index.py `_scan`.
SCAN_OTHER = 0  # version `-` or a pattern, or a range on a fixed version: evaluate each candidate
SCAN_RANGE_PART = 1  # a range, every attribute after the version `*` (part may be given)
SCAN_RANGE = 2  # a range, other attributes given as literals or `-`
SCAN_ANY = 3  # no range, version `*`, other attributes literals or `-`
SCAN_EXACT = 4  # no range, a literal version, other attributes literals or `-`


@dataclass(slots=True, eq=False)
class Criterion:
    """One `cpeMatch` entry, parsed. `index` is its position in `CompiledVuln.criteria`.

    Treated as immutable. Not a frozen dataclass: a compile builds ~100,000 of them and the
    frozen `__init__` (one `object.__setattr__` per field) was a third of the compile time.
    """

    vuln: str
    index: int
    config: int  # index of its configuration
    node: int  # index of its node inside the configuration
    text: str  # the `criteria` string exactly as given
    cpe: Cpe
    vulnerable: bool
    start: str | None = None
    start_incl: bool = False
    end: str | None = None
    end_incl: bool = False
    match_criteria_id: str = ""
    start_key: VersionKey | None = None
    end_key: VersionKey | None = None
    version_key: VersionKey | None = None  # of a literal criterion version
    combined_key: VersionKey | None = None  # of version+update, both literal (`8.5` + `p1`)
    rest: tuple[tuple[int, Value], ...] = ()  # attributes to compare that are not ANY

    reason_head: str = ""  # the criterion and its bounds in words, starts every reason
    version_range: str = ""  # the bounds as an expression, for Match.version_range
    has_range: bool = False  # a versionStart*/versionEnd* bound is given
    plain_range: bool = False  # has_range and the criterion version is `*` (the usual case)
    part_only_range: bool = False  # plain_range, and every attribute but the part is `*`
    reason_prefix: str = ""  # `reason_head; `: a plain match appends the installed version
    scan: int = SCAN_OTHER
    reason_part: Reason = ("cpe_criterion", {})  # reason_head as (code, params)


def _head_part(
    text: str,
    cpe: Cpe,
    start: str | None,
    start_incl: bool,
    end: str | None,
    end_incl: bool,
) -> Reason:
    """The criterion and its bounds: `<criterion> versions from 1.8.2 (incl.) to 1.8.32 (excl.)`."""
    if start is not None and end is not None:
        params = {"criterion": text, "start": start, "start_incl": start_incl}
        return "cpe_versions_from_to", {**params, "end": end, "end_incl": end_incl}
    if start is not None:
        return "cpe_versions_from", {"criterion": text, "start": start, "start_incl": start_incl}
    if end is not None:
        return "cpe_versions_up_to", {"criterion": text, "end": end, "end_incl": end_incl}
    if cpe.version is ANY:
        return "cpe_all_versions", {"criterion": text}
    return "cpe_criterion", {"criterion": text}


def _range_expr(
    cpe: Cpe, start: str | None, start_incl: bool, end: str | None, end_incl: bool
) -> str:
    """The bounds as an expression: `>= 1.8.2, < 1.8.32`; `= 1.9.5 update p1`; `*`; `-`."""
    parts = []
    if start is not None:
        parts.append(f"{'>=' if start_incl else '>'} {start}")
    if end is not None:
        parts.append(f"{'<=' if end_incl else '<'} {end}")
    if parts:
        return ", ".join(parts)
    version = cpe.version
    if version is ANY:
        return "*"
    if version is NA:
        return "-"
    shown = version.text if isinstance(version, Wildcard) else str(version)
    update = cpe.update
    if isinstance(update, str):
        return f"= {shown} update {update}"
    if update is NA:
        return f"= {shown} update -"
    return f"= {shown}"


@dataclass(frozen=True, slots=True)
class Node:
    operator: str  # "AND" | "OR"
    negate: bool
    criteria: tuple[int, ...]  # indexes into CompiledVuln.criteria (valid criteria only)
    broken: int = 0  # criteria that could not be compiled (see the module docstring)


@dataclass(frozen=True, slots=True)
class Configuration:
    operator: str  # "AND" | "OR"
    negate: bool
    nodes: tuple[Node, ...]

    @property
    def simple(self) -> bool:
        """True when any vulnerable criterion that matches is enough on its own (plain OR)."""
        if self.negate or (self.operator == "AND" and len(self.nodes) > 1):
            return False
        return all(
            not n.negate and (n.operator == "OR" or (len(n.criteria) <= 1 and not n.broken))
            for n in self.nodes
        )


@dataclass(frozen=True, slots=True)
class CompiledVuln:
    id: str
    source: str
    configurations: tuple[Configuration, ...]
    criteria: tuple[Criterion, ...]
    problems: tuple[str, ...]
    lookup: tuple[Criterion, ...]  # criteria an index must look up for this vulnerability
    complex: bool  # some configuration needs AND/negation evaluation over an asset tree


def compile_configurations(vuln_id: str, configurations: Any, source: str = "nvd") -> CompiledVuln:
    """Compile a vulnerability's `configurations`; problems are reported, never raised."""
    problems: list[str] = []
    criteria: list[Criterion] = []
    configs: list[Configuration] = []
    if configurations is None:
        configurations = []  # not analysed (yet): nothing to match, nothing wrong
    if not isinstance(configurations, list):
        problems.append(f"{vuln_id}: configurations is not a list")
        configurations = []
    for ci, cfg in enumerate(configurations):
        where = f"{vuln_id}: configurations[{ci}]"
        if not isinstance(cfg, dict):
            problems.append(f"{where} is not an object")
            continue
        nodes_in = cfg.get("nodes")
        if not isinstance(nodes_in, list):
            problems.append(f"{where}.nodes is missing or not a list")
            continue
        operator = _operator(cfg.get("operator", "OR"), where, problems)
        nodes = [
            _node(vuln_id, ci, ni, node, f"{where}.nodes[{ni}]", criteria, problems)
            for ni, node in enumerate(nodes_in)
        ]
        configs.append(Configuration(operator, cfg.get("negate") is True, tuple(nodes)))
    lookup: list[Criterion] = []
    complex_ = False
    for cfg in configs:
        members = [criteria[i] for node in cfg.nodes for i in node.criteria]
        if not any(c.vulnerable for c in members):
            continue  # a configuration without a vulnerable criterion can raise no alert
        if cfg.simple:
            lookup.extend(c for c in members if c.vulnerable)
        else:
            complex_ = True
            lookup.extend(members)
    return CompiledVuln(
        vuln_id, source, tuple(configs), tuple(criteria), tuple(problems), tuple(lookup), complex_
    )


def _operator(value: Any, where: str, problems: list[str]) -> str:
    if value in ("AND", "OR"):
        return str(value)
    problems.append(f"{where}: unknown operator {value!r}, read as OR")
    return "OR"


def _node(
    vuln_id: str,
    ci: int,
    ni: int,
    node: Any,
    where: str,
    criteria: list[Criterion],
    problems: list[str],
) -> Node:
    if not isinstance(node, dict):
        problems.append(f"{where} is not an object")
        return Node("AND", False, (), broken=1)
    operator = _operator(node.get("operator", "OR"), where, problems)
    negate = node.get("negate") is True
    if node.get("children"):
        problems.append(f"{where}: nested 'children' nodes (NVD 1.1 shape) are not supported")
        return Node(operator, negate, (), broken=1)
    matches = node.get("cpeMatch")
    if not isinstance(matches, list):
        problems.append(f"{where}.cpeMatch is missing or not a list")
        return Node(operator, negate, (), broken=1)
    indexes: list[int] = []
    broken = 0
    for mi, m in enumerate(matches):
        crit = _criterion(vuln_id, len(criteria), ci, ni, mi, m, where, problems)
        if crit is None:
            broken += 1
            continue
        indexes.append(crit.index)
        criteria.append(crit)
    return Node(operator, negate, tuple(indexes), broken)


class _Shape(NamedTuple):
    """What a criterion string alone determines (see `_shape`)."""

    cpe: Cpe
    rest: tuple[tuple[int, Value], ...]  # attributes after vendor/product/version, not `*`
    version_key: VersionKey | None  # of a literal version
    combined_key: VersionKey | None  # of version+update, both literal (`8.5` + `p1`)
    part_only: bool  # every attribute after the version is `*` (the part may be given)
    plain_rest: bool  # those given are literals or `-`, never a pattern


@lru_cache(maxsize=1 << 15)
def _shape(text: str) -> _Shape:
    """Parse a criterion string; raises CpeError.

    Cached: NVD repeats criterion strings (97,775 criteria of the Anchore records use 9,912
    distinct strings), and the values are immutable.
    """
    cpe = parse_cpe(text)
    version = cpe[3]
    update = cpe[4]
    rest = tuple([(i, cpe[i]) for i in _REST if cpe[i] is not ANY])
    combined = None
    if isinstance(version, str) and isinstance(update, str) and not update[:1].isdigit():
        combined = version_key(version + update)
    return _Shape(
        cpe,
        rest,
        version_key(version) if isinstance(version, str) else None,
        combined,
        not rest or (len(rest) == 1 and rest[0][0] == 0),
        all(v.__class__ is str or v is NA for _, v in rest),
    )


_HAS_DIGIT = re.compile(r"[0-9]").search


def _criterion(
    vuln_id: str,
    index: int,
    ci: int,
    ni: int,
    mi: int,
    m: Any,
    where: str,
    problems: list[str],
) -> Criterion | None:
    # `where` is the node's; the entry's own place is spelled out only in a problem.
    if not isinstance(m, dict):
        problems.append(f"{where}.cpeMatch[{mi}] is not an object")
        return None
    text = m.get("criteria")
    if not isinstance(text, str):
        problems.append(f"{where}.cpeMatch[{mi}].criteria is missing or not a string")
        return None
    try:
        shape = _shape(text)
    except CpeError as e:
        problems.append(f"{where}.cpeMatch[{mi}]: invalid criterion, never matches: {e}")
        return None
    cpe = shape.cpe
    if not isinstance(cpe.vendor, str) or cpe.product is ANY or cpe.product is NA:
        problems.append(
            f"{where}.cpeMatch[{mi}]"
            f": criterion {text!r} names no vendor or no product; too broad, never matches"
        )
        return None
    vulnerable = m.get("vulnerable")
    if vulnerable is not True and vulnerable is not False:
        problems.append(
            f"{where}.cpeMatch[{mi}]: 'vulnerable' missing or not a boolean, read as true"
        )
        vulnerable = True
    bounds: dict[str, str] = {}
    for name in _BOUNDS:
        if name not in m:
            continue
        value = m[name]
        if not isinstance(value, str) or not value.strip():
            problems.append(
                f"{where}.cpeMatch[{mi}].{name} is not a version string: {value!r}; never matches"
            )
            return None
        if _HAS_DIGIT(value) is None:
            problems.append(
                f"{where}.cpeMatch[{mi}].{name} {value!r} has no digit; compared as letters"
            )
        bounds[name] = value.strip()
    start_incl = end_incl = False
    start = end = None
    start_key = end_key = None
    if bounds:
        if "versionStartIncluding" in bounds and "versionStartExcluding" in bounds:
            problems.append(
                f"{where}.cpeMatch[{mi}]"
                ": both versionStartIncluding and versionStartExcluding; never matches"
            )
            return None
        if "versionEndIncluding" in bounds and "versionEndExcluding" in bounds:
            problems.append(
                f"{where}.cpeMatch[{mi}]"
                ": both versionEndIncluding and versionEndExcluding; never matches"
            )
            return None
        start = bounds.get("versionStartIncluding", bounds.get("versionStartExcluding"))
        end = bounds.get("versionEndIncluding", bounds.get("versionEndExcluding"))
        if cpe.version is not ANY:
            problems.append(
                f"{where}.cpeMatch[{mi}]"
                f": version range on a criterion whose version is not '*' ({text!r});"
                " both the version and the range must hold"
            )
        start_incl = "versionStartIncluding" in bounds
        end_incl = "versionEndIncluding" in bounds
        start_key = version_key(start) if start is not None else None
        end_key = version_key(end) if end is not None else None
    version = cpe.version
    mcid = m.get("matchCriteriaId")
    head_part = _head_part(text, cpe, start, start_incl, end, end_incl)
    head = render_part(*head_part)
    has_range = bool(bounds)
    plain_range = has_range and version is ANY
    part_only = plain_range and shape.part_only
    # The indexes decide by plain equality only where the criterion's other attributes are
    # literals or `-` (a pattern there, e.g. target_sw `*_server`, needs evaluate_criterion).
    plain_rest = shape.plain_rest
    if plain_range:
        scan = SCAN_RANGE_PART if part_only else SCAN_RANGE if plain_rest else SCAN_OTHER
    elif has_range:
        scan = SCAN_OTHER
    elif version is ANY:
        scan = SCAN_ANY if plain_rest else SCAN_OTHER
    elif isinstance(version, str):
        scan = SCAN_EXACT if plain_rest else SCAN_OTHER
    else:
        scan = SCAN_OTHER
    # Positional: keyword construction of 27 fields costs several microseconds, and a compile
    # builds one Criterion per cpeMatch entry. The order is the field order above.
    return Criterion(
        vuln_id,
        index,
        ci,
        ni,
        text,
        cpe,
        vulnerable,
        start,
        start_incl,
        end,
        end_incl,
        mcid if isinstance(mcid, str) else "",
        start_key,
        end_key,
        shape.version_key,
        shape.combined_key,
        shape.rest,
        head,
        _range_expr(cpe, start, start_incl, end, end_incl),
        has_range,
        plain_range,
        part_only,
        head + "; ",
        scan,
        head_part,
    )
