"""Alert priority with CISA's SSVC decision tree, seen from a hospital.

The tree is CISA's "Coordinator" tree, version 2.0.3 (CISA SSVC Guide, November 2022; the same
table is CERT/CC's `CISA-Coordinator.json` and `cisa_coordinate_dt.py`): four decision points,
Exploitation, Automatable, Technical Impact and Mission & Well-being, give Track, Track*,
Attend or Act. We derive each decision point from the feeds we hold (KEV, EPSS, the record's
own SSVC hints, CVSS vectors) and from the asset's clinical criticality and exposure, then raise
the outcome one level when a KEV catalogue reports use in ransomware campaigns.

Every decision carries its reasons as (code, params) pairs so the UI can translate them; the
English rendering lives here too (`render_reason`). docs/notes/ssvc.md explains each choice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from cvss import CVSS2, CVSS3, CVSS4, CVSSError

from vigie.engines.records import (
    CRITICALITIES,
    EXPOSURES,
    EpssScore,
    KevEntry,
    Priority,
    VulnRecord,
)

TREE_NAME = "CISA Coordinator"
TREE_VERSION = "2.0.3"

EXPLOITATION_VALUES: tuple[str, ...] = ("none", "poc", "active")
AUTOMATABLE_VALUES: tuple[str, ...] = ("no", "yes")
TECHNICAL_IMPACT_VALUES: tuple[str, ...] = ("partial", "total")
MISSION_VALUES: tuple[str, ...] = ("low", "medium", "high")
# Ascending order: the index is the rank.
PRIORITIES: tuple[Priority, ...] = ("track", "track*", "attend", "act")
_RANK: Mapping[str, int] = MappingProxyType({p: i for i, p in enumerate(PRIORITIES)})

# EPSS probability (exploitation in the next 30 days) from which we count a CVE as "PoC".
# 0.1 keeps the top ~5% of scored CVEs (percentile >= 0.95) and still holds ~77% of the CISA KEV
# catalogue; lower thresholds double the flagged set for little more KEV coverage.
# Measured figures and the command are in docs/notes/ssvc.md.
DEFAULT_EPSS_THRESHOLD = 0.1

_T: Priority = "track"
_TS: Priority = "track*"
_AT: Priority = "attend"
_AC: Priority = "act"

# CISA Coordinator v2.0.3. Key: (Exploitation, Automatable, Technical Impact);
# value: the outcome for Mission & Well-being low, medium, high.
_TREE_ROWS: dict[tuple[str, str, str], tuple[Priority, Priority, Priority]] = {
    ("none", "no", "partial"): (_T, _T, _T),
    ("none", "no", "total"): (_T, _T, _TS),
    ("none", "yes", "partial"): (_T, _T, _AT),
    ("none", "yes", "total"): (_T, _T, _AT),
    ("poc", "no", "partial"): (_T, _T, _TS),
    ("poc", "no", "total"): (_T, _TS, _AT),
    ("poc", "yes", "partial"): (_T, _T, _AT),
    ("poc", "yes", "total"): (_T, _TS, _AT),
    ("active", "no", "partial"): (_T, _T, _AT),
    ("active", "no", "total"): (_T, _AT, _AC),
    ("active", "yes", "partial"): (_AT, _AT, _AC),
    ("active", "yes", "total"): (_AT, _AC, _AC),
}
CISA_TREE: Mapping[tuple[str, str, str, str], Priority] = MappingProxyType(
    {
        (e, a, t, m): outcomes[i]
        for (e, a, t), outcomes in _TREE_ROWS.items()
        for i, m in enumerate(MISSION_VALUES)
    }
)

# Mission & Well-being from the asset, the hospital's view (docs/notes/ssvc.md, "Mission").
# Rows: clinical criticality; columns: exposure. "unknown" is an empty or unrecognised value.
# Life-sustaining is high whatever the exposure: harm to a patient is irreversible and an
# "isolated" device still meets maintenance laptops and USB keys. Isolation lowers the others
# by one level (never below low); unknown exposure reads as internal, the common case.
_EXPOSURE_COLUMNS = ("internet", "vendor-remote", "internal", "isolated", "unknown")
_MISSION_ROWS: dict[str, tuple[str, str, str, str, str]] = {
    "life-sustaining": ("high", "high", "high", "high", "high"),
    "clinical": ("high", "high", "medium", "low", "medium"),
    "business": ("medium", "medium", "medium", "low", "medium"),
    "support": ("low", "low", "low", "low", "low"),
    "unknown": ("medium", "medium", "medium", "low", "medium"),
}
MISSION_TABLE: Mapping[tuple[str, str], str] = MappingProxyType(
    {
        (criticality, exposure): row[i]
        for criticality, row in _MISSION_ROWS.items()
        for i, exposure in enumerate(_EXPOSURE_COLUMNS)
    }
)

# Time allowed to remediate or mitigate, per decision, counted from the alert.
# act: CISA says "as soon as possible"; a day to mitigate or isolate an exploited flaw on a
# clinical asset. attend: "sooner than standard update timelines" - a week, half of BOD 22-01's
# two weeks for KEV entries. track*: BOD 19-02's 30 days for high findings, under closer watch.
# track: "standard update timelines" - a quarterly patch cycle, usual for hospital and biomedical
# systems. Callers override with `{**DEFAULT_RESPONSE_TIMES, "act": timedelta(hours=12)}`.
DEFAULT_RESPONSE_TIMES: Mapping[str, timedelta] = MappingProxyType(
    {
        "act": timedelta(hours=24),
        "attend": timedelta(days=7),
        "track*": timedelta(days=30),
        "track": timedelta(days=90),
    }
)

Reason = tuple[str, dict[str, Any]]

# CVSS preference: 3.1 first, the version CISA's own analysts score with (its ADP adds 3.1
# vectors) and the one that agreed best with CISA's SSVC values on our sample.
_CVSS_PREFERENCE = ("3.1", "3.0", "4.0", "2.0")


@dataclass(frozen=True, slots=True)
class Decision:
    """The SSVC outcome for one (vulnerability, asset) pair, with why.

    `tree_priority` is the tree's outcome; `priority` adds the ransomware raise.
    `reasons` holds one (code, params) pair per decision point, then the ransomware raise
    where it applies: codes and params are stable, `explanation` renders them in English.
    """

    priority: Priority
    exploitation: str
    automatable: str
    technical_impact: str
    mission_wellbeing: str
    ransomware: bool
    tree_priority: Priority
    reasons: tuple[Reason, ...]

    @property
    def explanation(self) -> list[str]:
        return [render_reason(code, params) for code, params in self.reasons]


def priority_rank(priority: str) -> int:
    """0 for track up to 3 for act; ValueError on any other spelling."""
    try:
        return _RANK[priority]
    except KeyError:
        raise ValueError(
            f"unknown SSVC priority {priority!r}; expected one of {PRIORITIES}"
        ) from None


def max_priority(priorities: Iterable[str]) -> Priority:
    """The worst (highest) priority: an alert covering several assets takes the worst one."""
    ranks = [priority_rank(p) for p in priorities]
    if not ranks:
        raise ValueError("max_priority needs at least one priority")
    return PRIORITIES[max(ranks)]


def worst_decision(decisions: Iterable[Decision]) -> Decision:
    """The decision with the highest priority (first one on ties), explanation included."""
    best: Decision | None = None
    for decision in decisions:
        if best is None or priority_rank(decision.priority) > priority_rank(best.priority):
            best = decision
    if best is None:
        raise ValueError("worst_decision needs at least one decision")
    return best


def raise_priority(priority: str) -> Priority:
    """One level up (track -> track* -> attend -> act), capped at act."""
    return PRIORITIES[min(priority_rank(priority) + 1, len(PRIORITIES) - 1)]


def tree_outcome(
    exploitation: str, automatable: str, technical_impact: str, mission_wellbeing: str
) -> Priority:
    """Look one combination up in CISA's table; ValueError on a value outside the tree."""
    key = (exploitation, automatable, technical_impact, mission_wellbeing)
    try:
        return CISA_TREE[key]
    except KeyError:
        raise ValueError(f"not a decision-point combination of the CISA tree: {key}") from None


def response_time(
    priority: str, times: Mapping[str, timedelta] = DEFAULT_RESPONSE_TIMES
) -> timedelta:
    """How long an alert with this priority may stay open (see DEFAULT_RESPONSE_TIMES)."""
    priority_rank(priority)  # reject unknown spellings with a clear message
    return times[priority]


def response_due(
    priority: str, since: datetime, times: Mapping[str, timedelta] = DEFAULT_RESPONSE_TIMES
) -> datetime:
    return since + response_time(priority, times)


def mission_wellbeing(criticality: str | None, exposure: str | None) -> tuple[str, Reason]:
    """Mission & Well-being from the asset's clinical criticality and exposure (MISSION_TABLE)."""
    crit, crit_given = _known(criticality, CRITICALITIES)
    expo, expo_given = _known(exposure, EXPOSURES)
    value = MISSION_TABLE[(crit, expo)]
    params: dict[str, Any] = {
        "value": value,
        "criticality": crit,
        "exposure": expo,
        "lowered_by_isolation": value != MISSION_TABLE[(crit, "internal")],
    }
    if crit_given is not None:
        params["criticality_given"] = crit_given
    if expo_given is not None:
        params["exposure_given"] = expo_given
    return value, ("mission", params)


def decide(
    *,
    vuln: VulnRecord,
    kev: Sequence[KevEntry] = (),
    epss: EpssScore | None = None,
    asset_criticality: str | None = None,
    asset_exposure: str | None = None,
    exploit_reference: bool = False,
    epss_threshold: float = DEFAULT_EPSS_THRESHOLD,
) -> Decision:
    """Decide the priority of `vuln` on one asset.

    `kev` may hold entries of other CVEs (they are ignored): entries count when their `cve` is
    the record's id or one of its aliases; so does `epss`. `exploit_reference` is the caller's
    flag for a public exploit (an NVD reference tagged "Exploit"; VulnRecord keeps bare URLs).
    """
    ids = {vuln.id.upper(), *(alias.upper() for alias in vuln.aliases)}
    listings = [entry for entry in kev if entry.cve.upper() in ids]
    score = epss if epss is not None and epss.cve.upper() in ids else None
    ransomware = any(entry.ransomware for entry in listings)

    exploitation, exploitation_reason = _exploitation(
        vuln, listings, score, exploit_reference, epss_threshold, ransomware
    )
    vector = _preferred_vector(vuln)
    automatable, automatable_reason = _automatable(vuln, vector)
    impact, impact_reason = _technical_impact(vuln, vector)
    mission, mission_reason = mission_wellbeing(asset_criticality, asset_exposure)

    outcome = tree_outcome(exploitation, automatable, impact, mission)
    reasons = [exploitation_reason, automatable_reason, impact_reason, mission_reason]
    priority = outcome
    if ransomware:
        priority = raise_priority(outcome)
        reasons.append(("ransomware", {"from": outcome, "to": priority}))
    return Decision(
        priority=priority,
        exploitation=exploitation,
        automatable=automatable,
        technical_impact=impact,
        mission_wellbeing=mission,
        ransomware=ransomware,
        tree_priority=outcome,
        reasons=tuple(reasons),
    )


# --- decision points ---------------------------------------------------------------------


def _hint(value: str | None, allowed: tuple[str, ...]) -> str | None:
    """A record's SSVC hint in our spelling, or None when absent or not a value of the tree."""
    if value is None:
        return None
    normal = value.strip().lower()
    if normal in ("public poc", "public_poc"):  # the CISA guide's label for "poc"
        normal = "poc"
    return normal if normal in allowed else None


def _known(value: str | None, allowed: tuple[str, ...]) -> tuple[str, str | None]:
    """(normalised value or "unknown", the raw value when it was given but not recognised)."""
    if value is None or not value.strip():
        return "unknown", None
    normal = value.strip().lower()
    if normal in allowed:
        return normal, None
    return "unknown", value


def _exploitation(
    vuln: VulnRecord,
    listings: list[KevEntry],
    epss: EpssScore | None,
    exploit_reference: bool,
    threshold: float,
    ransomware: bool,
) -> tuple[str, Reason]:
    hint = _hint(vuln.ssvc_exploitation, EXPLOITATION_VALUES)
    epss_high = epss is not None and epss.epss >= threshold
    if listings or hint == "active":
        value = "active"
    elif hint == "poc" or exploit_reference or epss_high:
        value = "poc"
    else:
        value = "none"
    params: dict[str, Any] = {
        "value": value,
        "kev": [
            {"catalogue": entry.catalogue, "date_added": entry.date_added}
            for entry in sorted(listings, key=lambda e: (e.date_added, e.catalogue))
        ],
        "ransomware": ransomware,
        "record": hint,
        "record_source": vuln.source,
        "exploit_reference": exploit_reference,
        "epss": epss.epss if epss is not None else None,
        "epss_percentile": epss.percentile if epss is not None else None,
        "epss_threshold": threshold,
    }
    return value, (f"exploitation.{value}", params)


@dataclass(frozen=True, slots=True)
class _Vector:
    version: str  # "2.0", "3.0", "3.1", "4.0"
    vector: str
    source: str
    metrics: dict[str, str]


@lru_cache(maxsize=65536)  # the same few thousand vectors come back for every asset
def _parse_vector(version: str, vector: str, source: str) -> _Vector | None:
    """Parse with the `cvss` library; None when it rejects the vector."""
    text = vector.strip()
    try:
        if text.startswith("CVSS:4.0/"):
            return _Vector("4.0", text, source, dict(CVSS4(text).metrics))
        if text.startswith(("CVSS:3.0/", "CVSS:3.1/")):
            return _Vector(text[5:8], text, source, dict(CVSS3(text).metrics))
        if version.startswith("2") or not text.startswith("CVSS:"):
            # NVD writes v2 vectors bare; some feeds wrap them in parentheses.
            bare = text.removeprefix("CVSS:2.0/").strip("()")
            return _Vector("2.0", text, source, dict(CVSS2(bare).metrics))
    except CVSSError:
        return None
    return None


def _preferred_vector(vuln: VulnRecord) -> _Vector | None:
    parsed = [_parse_vector(s.version, s.vector, s.source) for s in vuln.cvss]
    usable = [v for v in parsed if v is not None]
    if not usable:
        return None
    # Stable sort: within a version the record's own order (primary score first) decides.
    return sorted(usable, key=lambda v: _CVSS_PREFERENCE.index(v.version))[0]


def _unparsed(vuln: VulnRecord) -> list[str]:
    return [s.vector for s in vuln.cvss if _parse_vector(s.version, s.vector, s.source) is None]


# What makes a vulnerability automatable (steps 1-4 of the kill chain without a human):
# reachable over the network, no special conditions, no account, nobody to click.
_AUTOMATABLE_NEEDS: dict[str, tuple[tuple[str, str], ...]] = {
    "2.0": (("AV", "N"), ("AC", "L"), ("Au", "N")),
    "3.0": (("AV", "N"), ("AC", "L"), ("PR", "N"), ("UI", "N")),
    "3.1": (("AV", "N"), ("AC", "L"), ("PR", "N"), ("UI", "N")),
    "4.0": (("AV", "N"), ("AC", "L"), ("AT", "N"), ("PR", "N"), ("UI", "N")),
}
# Total technical impact: total disclosure and total control, i.e. confidentiality AND integrity
# at their highest; availability alone is denial of service, which CISA calls partial.
_TOTAL_NEEDS: dict[str, tuple[tuple[str, str], ...]] = {
    "2.0": (("C", "C"), ("I", "C")),
    "3.0": (("C", "H"), ("I", "H")),
    "3.1": (("C", "H"), ("I", "H")),
    "4.0": (("VC", "H"), ("VI", "H")),
}


def _vector_params(
    vector: _Vector, value: str, needs: tuple[tuple[str, str], ...]
) -> dict[str, Any]:
    return {
        "value": value,
        "version": vector.version,
        "vector": vector.vector,
        "source": vector.source,
        "metrics": {name: vector.metrics.get(name, "") for name, _ in needs},
        "required": "/".join(f"{name}:{want}" for name, want in needs),
        "missing": [
            f"{name}:{vector.metrics.get(name, '?')}"
            for name, want in needs
            if vector.metrics.get(name) != want
        ],
    }


def _automatable(vuln: VulnRecord, vector: _Vector | None) -> tuple[str, Reason]:
    hint = _hint(vuln.ssvc_automatable, AUTOMATABLE_VALUES)
    if hint is not None:
        return hint, ("automatable.record", {"value": hint, "source": vuln.source})
    if vector is None:
        # SSVC asks for a reasoned default rather than "unknown": most vulnerabilities are not
        # automatable (82% of CISA's 44,026 vulnrichment assessments say no).
        return "no", ("automatable.unknown", {"value": "no", "unparsed": _unparsed(vuln)})
    needs = _AUTOMATABLE_NEEDS[vector.version]
    value = "yes" if all(vector.metrics.get(k) == v for k, v in needs) else "no"
    return value, ("automatable.cvss", _vector_params(vector, value, needs))


def _technical_impact(vuln: VulnRecord, vector: _Vector | None) -> tuple[str, Reason]:
    hint = _hint(vuln.ssvc_technical_impact, TECHNICAL_IMPACT_VALUES)
    if hint is not None:
        return hint, ("technical_impact.record", {"value": hint, "source": vuln.source})
    if vector is None:
        return "partial", (
            "technical_impact.unknown",
            {"value": "partial", "unparsed": _unparsed(vuln)},
        )
    needs = _TOTAL_NEEDS[vector.version]
    value = "total" if all(vector.metrics.get(k) == v for k, v in needs) else "partial"
    return value, ("technical_impact.cvss", _vector_params(vector, value, needs))


# --- English rendering -------------------------------------------------------------------

_CATALOGUE_NAMES = {"cisa": "CISA KEV", "eu": "EU KEV"}
_PRIORITY_NAMES = {"track": "Track", "track*": "Track*", "attend": "Attend", "act": "Act"}
_CRITICALITY_WORDS = {
    "life-sustaining": "life-sustaining asset: harm to a patient is irreversible",
    "clinical": "clinical asset",
    "business": "business asset",
    "support": "support asset",
    "unknown": "clinical criticality unknown, counted as medium",
}
_EXPOSURE_WORDS = {
    "internet": "exposed to the internet",
    "vendor-remote": "reachable by the vendor's remote access",
    "internal": "on the internal network",
    "isolated": "isolated, one level lower",
    "unknown": "exposure unknown, assumed internal",
}


def _percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def _render_exploitation(value: str, p: Mapping[str, Any]) -> str:
    label = {"none": "none", "poc": "public PoC", "active": "active"}[value]
    evidence: list[str] = []
    if p.get("kev"):
        listed = " and ".join(
            f"{_CATALOGUE_NAMES.get(k['catalogue'], k['catalogue'])} since {k['date_added']}"
            for k in p["kev"]
        )
        evidence.append(f"listed in {listed}")
    if p.get("record") in ("active", "poc"):
        what = "a public proof of concept"
        if p["record"] == "active":
            what = "exploitation in the wild"
        evidence.append(f"the {p.get('record_source', 'record')} record reports {what}")
    if p.get("exploit_reference"):
        evidence.append("a public exploit is referenced")
    if p.get("epss") is not None:
        score = (
            f"EPSS {_percent(p['epss'])} (percentile {p['epss_percentile'] * 100:.0f})"
            if p.get("epss_percentile") is not None
            else f"EPSS {_percent(p['epss'])}"
        )
        if value != "active":  # beside a KEV listing the score adds nothing
            above = p["epss"] >= p["epss_threshold"]
            relation = "at or above" if above else "below"
            evidence.append(f"{score} {relation} the {_percent(p['epss_threshold'])} threshold")
    elif value == "none":
        evidence.append("no EPSS score")
    if value == "none":
        evidence.insert(0, "not in CISA or EU KEV, no public exploit known")
    text = f"Exploitation: {label} — " + "; ".join(evidence)
    if p.get("ransomware"):
        text += " (known ransomware use)"
    return text


def _render_vector_point(point: str, p: Mapping[str, Any]) -> str:
    where = f"CVSS {p['version']} vector" + (f" from {p['source']}" if p.get("source") else "")
    if point == "automatable":
        if p["value"] == "yes":
            why = "network attack, low complexity, no privileges, no user interaction"
        else:
            why = f"{'/'.join(p['missing'])} (automatable needs {p['required']})"
        return f"Automatable: {p['value']} — {where}: {why}"
    shown = "/".join(f"{k}:{v}" for k, v in p["metrics"].items())
    if p["value"] == "total":
        why = f"high confidentiality and integrity impact ({shown})"
    else:
        why = f"confidentiality and integrity not both high ({shown})"
    return f"Technical impact: {p['value']} — {where}: {why}"


def render_reason(code: str, params: Mapping[str, Any]) -> str:
    """One line of plain English for a (code, params) reason of a Decision."""
    point, _, detail = code.partition(".")
    if point == "exploitation":
        return _render_exploitation(detail, params)
    if point in ("automatable", "technical_impact"):
        title = "Automatable" if point == "automatable" else "Technical impact"
        if detail == "record":
            return f"{title}: {params['value']} — SSVC assessment in the {params['source']} record"
        if detail == "unknown":
            bad = params.get("unparsed") or []
            why = f"CVSS vector not understood ({', '.join(bad)})" if bad else "no CVSS vector"
            return f"{title}: {params['value']} — {why}; assumed {params['value']} until analysed"
        return _render_vector_point(point, params)
    if point == "mission":
        crit = _CRITICALITY_WORDS[params["criticality"]]
        expo = _EXPOSURE_WORDS[params["exposure"]]
        if params["exposure"] == "isolated" and not params.get("lowered_by_isolation"):
            expo = "isolated"
            if params["criticality"] == "life-sustaining":
                expo = "isolated, which does not lower a life-sustaining asset"
        if "criticality_given" in params:
            crit = f"criticality {params['criticality_given']!r} not recognised, counted as medium"
        if "exposure_given" in params:
            expo = f"exposure {params['exposure_given']!r} not recognised, assumed internal"
        return f"Mission & well-being: {params['value']} — {crit}; {expo}"
    if point == "ransomware":
        old, new = _PRIORITY_NAMES[params["from"]], _PRIORITY_NAMES[params["to"]]
        if old == new:
            return f"Known ransomware use: already {new}, the highest priority"
        return f"Known ransomware use: raised from {old} to {new}"
    raise ValueError(f"unknown SSVC reason code {code!r}")
