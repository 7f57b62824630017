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

from dataclasses import dataclass
from typing import Any

from vigie.engines.cpe.names import ANY, NA, Cpe, CpeError, Value, Wildcard, parse_cpe
from vigie.engines.versions import version_key

__all__ = ["CompiledVuln", "Configuration", "Criterion", "Node", "compile_configurations"]

_BOUNDS = (
    "versionStartIncluding",
    "versionStartExcluding",
    "versionEndIncluding",
    "versionEndExcluding",
)
# Attributes checked after vendor/product/version (indexes into Cpe); `part` is one of them.
_REST = (0, 4, 5, 6, 7, 8, 9, 10)

VersionKey = tuple[int | str, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Criterion:
    """One `cpeMatch` entry, parsed. `index` is its position in `CompiledVuln.criteria`."""

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


def _bound(version: str, inclusive: bool) -> str:
    return f"{version} ({'incl.' if inclusive else 'excl.'})"


def _range_words(
    cpe: Cpe, start: str | None, start_incl: bool, end: str | None, end_incl: bool
) -> str:
    """The bounds in words: `versions from 1.8.2 (incl.) to 1.8.32 (excl.)`."""
    if start is not None and end is not None:
        return f"versions from {_bound(start, start_incl)} to {_bound(end, end_incl)}"
    if start is not None:
        return f"versions from {_bound(start, start_incl)}"
    if end is not None:
        return f"versions up to {_bound(end, end_incl)}"
    if cpe.version is ANY:
        return "all versions"
    return ""


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
        crit = _criterion(vuln_id, len(criteria), ci, ni, m, f"{where}.cpeMatch[{mi}]", problems)
        if crit is None:
            broken += 1
            continue
        indexes.append(crit.index)
        criteria.append(crit)
    return Node(operator, negate, tuple(indexes), broken)


def _criterion(
    vuln_id: str, index: int, ci: int, ni: int, m: Any, where: str, problems: list[str]
) -> Criterion | None:
    if not isinstance(m, dict):
        problems.append(f"{where} is not an object")
        return None
    text = m.get("criteria")
    if not isinstance(text, str):
        problems.append(f"{where}.criteria is missing or not a string")
        return None
    try:
        cpe = parse_cpe(text)
    except CpeError as e:
        problems.append(f"{where}: invalid criterion, never matches: {e}")
        return None
    if not isinstance(cpe.vendor, str) or cpe.product is ANY or cpe.product is NA:
        problems.append(
            f"{where}: criterion {text!r} names no vendor or no product; too broad, never matches"
        )
        return None
    vulnerable = m.get("vulnerable")
    if not isinstance(vulnerable, bool):
        problems.append(f"{where}: 'vulnerable' missing or not a boolean, read as true")
        vulnerable = True
    bounds: dict[str, str] = {}
    for name in _BOUNDS:
        if name not in m:
            continue
        value = m[name]
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{where}.{name} is not a version string: {value!r}; never matches")
            return None
        if not any(ch.isdigit() for ch in value):
            problems.append(f"{where}.{name} {value!r} has no digit; compared as letters")
        bounds[name] = value.strip()
    if "versionStartIncluding" in bounds and "versionStartExcluding" in bounds:
        problems.append(
            f"{where}: both versionStartIncluding and versionStartExcluding; never matches"
        )
        return None
    if "versionEndIncluding" in bounds and "versionEndExcluding" in bounds:
        problems.append(f"{where}: both versionEndIncluding and versionEndExcluding; never matches")
        return None
    start = bounds.get("versionStartIncluding", bounds.get("versionStartExcluding"))
    end = bounds.get("versionEndIncluding", bounds.get("versionEndExcluding"))
    if (start is not None or end is not None) and cpe.version is not ANY:
        problems.append(
            f"{where}: version range on a criterion whose version is not '*' ({text!r});"
            " both the version and the range must hold"
        )
    version = cpe.version
    update = cpe.update
    combined = None
    if isinstance(version, str) and isinstance(update, str) and not update[:1].isdigit():
        combined = version_key(version + update)
    mcid = m.get("matchCriteriaId")
    start_incl = "versionStartIncluding" in bounds
    end_incl = "versionEndIncluding" in bounds
    words = _range_words(cpe, start, start_incl, end, end_incl)
    rest = tuple((i, cpe[i]) for i in _REST if cpe[i] is not ANY)
    plain_range = (start is not None or end is not None) and version is ANY
    return Criterion(
        vuln=vuln_id,
        index=index,
        config=ci,
        node=ni,
        text=text,
        cpe=cpe,
        vulnerable=vulnerable,
        start=start,
        start_incl=start_incl,
        end=end,
        end_incl=end_incl,
        match_criteria_id=mcid if isinstance(mcid, str) else "",
        start_key=version_key(start) if start is not None else None,
        end_key=version_key(end) if end is not None else None,
        version_key=version_key(version) if isinstance(version, str) else None,
        combined_key=combined,
        rest=rest,
        reason_head=f"{text} {words}" if words else text,
        version_range=_range_expr(cpe, start, start_incl, end, end_incl),
        has_range=start is not None or end is not None,
        plain_range=plain_range,
        part_only_range=plain_range and all(i == 0 for i, _ in rest),
    )
