"""SSVC explanations in the reader's language.

The engine keeps each reason as a stable (code, params) pair and renders English for the
command line (engines/ssvc.py); pages and e-mails render the same pairs here, through gettext.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from vigie.core.templatetags.vigie import day_in_words, percentage

PRIORITY_NAMES = {"track": "Track", "track*": "Track*", "attend": "Attend", "act": "Act"}


def _value(value: str) -> str:
    words = {
        "none": _("none"),
        "poc": _("public proof of concept"),
        "active": _("active"),
        "yes": _("yes"),
        "no": _("no"),
        "partial": _("partial"),
        "total": _("total"),
        "low": _("low"),
        "medium": _("medium"),
        "high": _("high"),
    }
    return words.get(value, value)


def _day(value: Any) -> str:
    """A KEV date (ISO "2022-03-03" in the stored decision) in words, in the active language."""
    if isinstance(value, date):
        return day_in_words(value)
    try:
        return day_in_words(date.fromisoformat(str(value)))
    except ValueError:
        return str(value or "?")


def _catalogue(name: str) -> str:
    return {"cisa": _("CISA KEV"), "eu": _("EU KEV")}.get(name, name)


def _exploitation(value: str, p: Mapping[str, Any]) -> str:
    evidence: list[str] = []
    if value == "none":
        evidence.append(_("not in CISA or EU KEV, no public exploit known"))
    for listing in p.get("kev") or []:
        evidence.append(
            _("listed in %(catalogue)s since %(date)s")
            % {
                "catalogue": _catalogue(listing["catalogue"]),
                "date": _day(listing.get("date_added")),
            }
        )
    if p.get("record") == "active":
        evidence.append(
            _("the %(source)s record reports exploitation in the wild")
            % {"source": p.get("record_source", "")}
        )
    elif p.get("record") == "poc":
        evidence.append(
            _("the %(source)s record reports a public proof of concept")
            % {"source": p.get("record_source", "")}
        )
    if p.get("exploit_reference"):
        evidence.append(_("a public exploit is referenced"))
    if p.get("epss") is not None and value != "active":
        above = p["epss"] >= p["epss_threshold"]
        evidence.append(
            (
                _("EPSS %(score)s, at or above the %(threshold)s threshold")
                if above
                else _("EPSS %(score)s, below the %(threshold)s threshold")
            )
            % {"score": percentage(p["epss"]), "threshold": percentage(p["epss_threshold"])}
        )
    elif p.get("epss") is None and value == "none":
        evidence.append(_("no EPSS score"))
    text = _("Exploitation: %(value)s — %(evidence)s") % {
        "value": _value(value),
        # Translators: between two pieces of evidence; French puts a non-breaking space before ";".
        "evidence": pgettext("list of evidence", "; ").join(evidence),
    }
    if p.get("ransomware"):
        text += " " + _("(known ransomware use)")
    return text


def _vector(point: str, detail: str, p: Mapping[str, Any]) -> str:
    title = _("Automatable") if point == "automatable" else _("Technical impact")
    if detail == "record":
        why = _("SSVC assessment in the %(source)s record") % {"source": p.get("source", "")}
    elif detail == "unknown":
        why = _("no usable CVSS vector; assumed until analysed")
    elif point == "automatable":
        where = _("CVSS %(version)s vector") % {"version": p.get("version", "")}
        if p.get("value") == "yes":
            why = where + _(": network attack, low complexity, no privileges, no user interaction")
        else:
            why = _("%(vector)s: %(missing)s") % {
                "vector": where,
                "missing": "/".join(p.get("missing") or []),
            }
    else:
        where = _("CVSS %(version)s vector") % {"version": p.get("version", "")}
        shown = "/".join(f"{k}:{v}" for k, v in (p.get("metrics") or {}).items())
        if p.get("value") == "total":
            why = where + _(": high confidentiality and integrity impact (%(metrics)s)") % {
                "metrics": shown
            }
        else:
            why = where + _(": confidentiality and integrity not both high (%(metrics)s)") % {
                "metrics": shown
            }
    return _("%(point)s: %(value)s — %(why)s") % {
        "point": title,
        "value": _value(str(p.get("value", ""))),
        "why": why,
    }


def _mission(p: Mapping[str, Any]) -> str:
    criticality = {
        "life-sustaining": _("life-sustaining asset: harm to a patient is irreversible"),
        "clinical": _("clinical asset"),
        "business": _("business asset"),
        "support": _("support asset"),
        "unknown": _("clinical criticality unknown, counted as medium"),
    }.get(p.get("criticality", "unknown"), p.get("criticality", ""))
    exposure = {
        "internet": _("exposed to the internet"),
        "vendor-remote": _("reachable by the vendor's remote access"),
        "internal": _("on the internal network"),
        "isolated": _("isolated, one level lower")
        if p.get("lowered_by_isolation")
        else _("isolated"),
        "unknown": _("exposure unknown, assumed internal"),
    }.get(p.get("exposure", "unknown"), p.get("exposure", ""))
    return _("Mission and well-being: %(value)s — %(criticality)s; %(exposure)s") % {
        "value": _value(str(p.get("value", ""))),
        "criticality": criticality,
        "exposure": exposure,
    }


def reason_text(code: str, params: Mapping[str, Any]) -> str:
    point, _sep, detail = code.partition(".")
    if point == "exploitation":
        return _exploitation(detail, params)
    if point in ("automatable", "technical_impact"):
        return _vector(point, detail, params)
    if point == "mission":
        return _mission(params)
    if point == "ransomware":
        old = PRIORITY_NAMES.get(params.get("from", ""), params.get("from", ""))
        new = PRIORITY_NAMES.get(params.get("to", ""), params.get("to", ""))
        if old == new:
            return _("Known ransomware use: already %(priority)s, the highest priority") % {
                "priority": new
            }
        return _("Known ransomware use: raised from %(old)s to %(new)s") % {"old": old, "new": new}
    return code


def explanation_lines(decision: Mapping[str, Any]) -> list[str]:
    """The decision stored on an alert, one translated line per decision point."""
    reasons = decision.get("reasons") or []
    if not reasons:
        return list(decision.get("explanation") or [])
    return [reason_text(str(code), params or {}) for code, params in reasons]
