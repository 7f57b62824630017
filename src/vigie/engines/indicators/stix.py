"""STIX 2.1 bundles: indicators whose patterns a value matcher can apply become records.

Each object is validated on its own with the stix2 library, so one invalid object is reported
(`bad_stix_object`, or `bad_pattern` for an indicator whose pattern does not parse) and the
others still import. The values are then read from the JSON object itself: stix2 has checked
them, and plain dicts keep the hot path free of its property machinery.

A pattern gives one record per value when its comparisons and observation expressions are
joined only by OR, with `=` on a supported path (or ISSUBSET on an address, giving a CIDR).
Anything a value matcher cannot apply faithfully (AND, FOLLOWEDBY, qualifiers such as REPEATS,
other operators, other object paths, other pattern languages) is kept in `kept_patterns` with a
reason code, never dropped silently. An OR pattern mixing supported and unsupported
comparisons gives records for the supported ones (each alone already satisfies the pattern)
and is also kept, since the rest of it goes unmatched.
"""

from __future__ import annotations

import json
from typing import Any

import stix2
from stix2.exceptions import (
    InvalidValueError,
    PropertyPresenceError,
    STIXError,
)
from stix2patterns.exceptions import ParseException
from stix2patterns.v21.grammars.STIXPatternListener import STIXPatternListener
from stix2patterns.v21.pattern import Pattern

from vigie.engines.indicators.model import (
    TLP_BY_MARKING_ID,
    IndicatorProblemError,
    IndicatorRecord,
    IndicatorType,
    Problem,
    ProblemLog,
    ReadResult,
    Tlp,
    cut,
    most_restrictive,
    tlp_from_text,
)
from vigie.engines.indicators.normalise import infer_type, normalise
from vigie.engines.indicators.text import decode_text, parse_datetime

__all__ = ["TLP_2_EXTENSION_ID", "read_stix_bundle", "read_stix_parsed"]

TLP_2_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

# Object path -> type; None: the type follows from the value (a network-traffic reference
# points at an ipv4-addr, ipv6-addr or domain-name).
_PATHS: dict[str, IndicatorType | None] = {
    "ipv4-addr:value": IndicatorType.IPV4,
    "ipv6-addr:value": IndicatorType.IPV6,
    "domain-name:value": IndicatorType.DOMAIN,
    "url:value": IndicatorType.URL,
    "email-addr:value": IndicatorType.EMAIL,
    "email-message:from_ref.value": IndicatorType.EMAIL,
    "file:hashes.MD5": IndicatorType.MD5,
    "file:hashes.SHA1": IndicatorType.SHA1,
    "file:hashes.SHA256": IndicatorType.SHA256,
    "network-traffic:dst_ref.value": None,
    "network-traffic:src_ref.value": None,
}
_ADDRESS_PATHS = frozenset(
    {
        "ipv4-addr:value",
        "ipv6-addr:value",
        "network-traffic:dst_ref.value",
        "network-traffic:src_ref.value",
    }
)
# Properties this reader takes from the JSON object, with the JSON types STIX 2.1 gives them.
_STRING_PROPERTIES = (
    "name",
    "pattern",
    "pattern_type",
    "valid_from",
    "valid_until",
    "created_by_ref",
)
_STRING_LIST_PROPERTIES = ("labels", "indicator_types", "object_marking_refs")
_FROM_VALUE = frozenset(
    {IndicatorType.IPV4, IndicatorType.IPV6, IndicatorType.CIDR, IndicatorType.DOMAIN}
)


class _AndListener(STIXPatternListener):
    """Notices AND between comparisons inside brackets, which `inspect()` does not report."""

    def __init__(self) -> None:
        self.found = False

    def exitComparisonExpressionAnd(self, ctx: Any) -> None:
        if ctx.AND():
            self.found = True


def read_stix_bundle(data: bytes) -> ReadResult:
    text = decode_text(data)
    if text is None:
        return ReadResult("stix", problems=[Problem("not_text", {})])
    try:
        bundle = json.loads(text)
    except json.JSONDecodeError as error:
        return ReadResult(
            "stix", problems=[Problem("bad_json", {"line": error.lineno, "column": error.colno})]
        )
    return read_stix_parsed(bundle)


def read_stix_parsed(bundle: Any) -> ReadResult:
    """The same, from JSON already parsed (read_indicator_file parses once)."""
    result = ReadResult("stix")
    if not isinstance(bundle, dict) or bundle.get("type") != "bundle":
        result.problems.append(Problem("not_a_bundle", {}))
        return result
    objects = bundle.get("objects", [])
    if not isinstance(objects, list):
        result.problems.append(Problem("bad_stix_bundle", {"reason": "objects"}, field="objects"))
        return result
    log = ProblemLog()
    valid = [obj for obj in objects if _valid(obj, log)]
    result.objects_read = len(objects)
    identities: dict[str, str] = {}
    markings: dict[str, Tlp] = {}
    for obj in valid:
        kind = obj.get("type")
        if kind == "identity" and isinstance(obj.get("name"), str):
            identities[obj["id"]] = obj["name"]
        elif kind == "marking-definition":
            tlp = _marking_tlp(obj)
            if tlp is not None:
                markings[obj["id"]] = tlp
    revoked = 0
    for obj in valid:
        if obj.get("type") != "indicator":
            continue
        if obj.get("revoked") is True:
            revoked += 1
            continue
        _read_indicator(obj, identities, markings, result, log)
    if revoked:
        log.add("revoked", {"count": revoked})
    result.problems = log.finish()
    return result


def _wrong_property(obj: dict[str, Any]) -> str | None:
    """The first property read from the dict itself whose JSON type STIX 2.1 forbids.

    stix2 accepts some of them coerced ("85" for 85, "true" for true, one string for a list,
    null for absent, a generated id for none), but the dict keeps what the file wrote.
    """
    for name in ("type", "id"):
        if not isinstance(obj.get(name), str):
            return name
    for name in _STRING_PROPERTIES:
        if name in obj and not isinstance(obj[name], str):
            return name
    for name in _STRING_LIST_PROPERTIES:
        items = obj.get(name, [])
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            return name
    if not isinstance(obj.get("revoked", False), bool):
        return "revoked"
    confidence = obj.get("confidence", 0)
    if isinstance(confidence, bool) or not isinstance(confidence, int):
        return "confidence"
    if not 0 <= confidence <= 100:
        return "confidence"
    return None


def _valid(obj: Any, log: ProblemLog) -> bool:
    if not isinstance(obj, dict):
        log.add("bad_stix_object", {"reason": "not_an_object"})
        return False
    object_id = obj.get("id") if isinstance(obj.get("id"), str) else None
    wrong = _wrong_property(obj)
    if wrong is not None:
        reason = "InvalidValueError" if wrong in obj else "MissingPropertiesError"
        log.add(
            "bad_stix_object",
            {"reason": reason, "property": wrong},
            object_id=object_id,
            field=wrong,
        )
        return False
    if obj.get("pattern") == "":
        # stix2patterns fails on an empty pattern (UnboundLocalError) instead of refusing it.
        log.add("bad_pattern", {"reason": "syntax"}, object_id=object_id, field="pattern")
        return False
    try:
        stix2.parse(obj, allow_custom=True, version="2.1")
    except InvalidValueError as error:
        if error.prop_name == "pattern":
            log.add("bad_pattern", {"reason": "syntax"}, object_id=object_id, field="pattern")
        else:
            log.add(
                "bad_stix_object",
                {"reason": type(error).__name__, "property": error.prop_name},
                object_id=object_id,
                field=error.prop_name,
            )
        return False
    except PropertyPresenceError as error:
        names = [str(name) for name in getattr(error, "properties", None) or ()]
        log.add(
            "bad_stix_object",
            {"reason": type(error).__name__, "property": ",".join(names)},
            object_id=object_id,
            field=names[0] if names else None,
        )
        return False
    # AttributeError: what stix2 raises for `extensions` that is not a dict of dicts.
    except (STIXError, ValueError, TypeError, AttributeError) as error:
        log.add("bad_stix_object", {"reason": type(error).__name__}, object_id=object_id)
        return False
    return True


def _marking_tlp(obj: dict[str, Any]) -> Tlp | None:
    if obj["id"] in TLP_BY_MARKING_ID:
        return TLP_BY_MARKING_ID[obj["id"]]
    definition = obj.get("definition")
    if obj.get("definition_type") == "tlp" and isinstance(definition, dict):
        level = definition.get("tlp")
        if isinstance(level, str):
            return tlp_from_text(level)
    extensions = obj.get("extensions")
    if isinstance(extensions, dict):
        extension = extensions.get(TLP_2_EXTENSION_ID)
        if isinstance(extension, dict) and isinstance(extension.get("tlp_2_0"), str):
            return tlp_from_text(extension["tlp_2_0"])
    return None


def _read_indicator(
    obj: dict[str, Any],
    identities: dict[str, str],
    markings: dict[str, Tlp],
    result: ReadResult,
    log: ProblemLog,
) -> None:
    object_id: str = obj["id"]
    pattern: str = obj.get("pattern", "")
    if obj.get("pattern_type", "stix") != "stix":
        result.kept_patterns.append((object_id, pattern, "pattern_type"))
        return
    values, reason = _pattern_values(pattern, object_id, log)
    if reason is not None:
        result.kept_patterns.append((object_id, pattern, reason))
    if not values:
        return
    levels = []
    for ref in obj.get("object_marking_refs", ()):
        level = TLP_BY_MARKING_ID.get(ref) or markings.get(ref)
        if level is not None:
            levels.append(level)
    tags = tuple(dict.fromkeys([*obj.get("labels", ()), *obj.get("indicator_types", ())]))
    confidence = obj.get("confidence")
    name = obj.get("name")
    valid_from = parse_datetime(obj.get("valid_from", ""))
    valid_until = parse_datetime(obj.get("valid_until", ""))
    source = identities.get(obj.get("created_by_ref", ""))
    tlp = most_restrictive(levels)
    for type_, value in values:
        result.records.append(
            IndicatorRecord(
                type_,
                value,
                object_id,
                tlp,
                tags,
                valid_from,
                valid_until,
                source,
                confidence if isinstance(confidence, int) else None,
                name if isinstance(name, str) else None,
                None,
                object_id,
            )
        )


def _path_key(object_type: str, path: list[Any]) -> str:
    parts = [str(part) for part in path]
    if object_type == "file" and len(parts) == 2 and parts[0] == "hashes":
        # hashes.MD5, hashes.'SHA-256', hashes.sha256: one dictionary key, spelt many ways.
        parts[1] = parts[1].upper().replace("-", "").replace("_", "")
    return object_type + ":" + ".".join(parts)


def _string_literal(literal: str) -> str | None:
    if len(literal) >= 2 and literal[0] == "'" and literal[-1] == "'":
        return literal[1:-1].replace("\\'", "'").replace("\\\\", "\\")
    return None


def _pattern_values(
    pattern: str, object_id: str, log: ProblemLog
) -> tuple[list[tuple[IndicatorType, str]], str | None]:
    """The values an OR pattern names, and the reason it is kept (None: fully matchable)."""
    try:
        parsed = Pattern(pattern)
    except ParseException:
        log.add("bad_pattern", {"reason": "syntax"}, object_id=object_id, field="pattern")
        return [], None
    data = parsed.inspect()
    and_listener = _AndListener()
    parsed.walk(and_listener)
    if "AND" in data.observation_ops or and_listener.found:
        return [], "and_operator"
    if "FOLLOWEDBY" in data.observation_ops:
        return [], "followedby_operator"
    if data.qualifiers:
        return [], "qualifier"
    values: dict[tuple[IndicatorType, str], None] = {}
    reason = None
    for object_type, comparisons in data.comparisons.items():
        for path, operator, literal in comparisons:
            key = _path_key(object_type, path)
            if key not in _PATHS:
                reason = reason or "unsupported_path"
                continue
            if operator == "ISSUBSET" and key in _ADDRESS_PATHS:
                type_: IndicatorType | None = IndicatorType.CIDR
            elif operator == "=":
                type_ = _PATHS[key]
            else:
                reason = reason or "unsupported_operator"
                continue
            value = _string_literal(literal)
            if value is None:
                reason = reason or "unsupported_value"
                continue
            if type_ is None:
                type_ = infer_type(value)
                if type_ is None or type_ not in _FROM_VALUE:
                    log.add(
                        "bad_value",
                        {"value": cut(value), "type": key},
                        object_id=object_id,
                        field="pattern",
                    )
                    continue
            try:
                values[normalise(type_, value)] = None
            except IndicatorProblemError as error:
                log.add(error.code, error.params, object_id=object_id, field="pattern")
    return list(values), reason
