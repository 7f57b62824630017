"""MISP event JSON: `{"Event": {...}}`, `{"response": [{"Event": {...}}, ...]}`, or the bare
event object; attributes and the attributes of its objects.

Only attributes flagged `to_ids` are indicators (MISP's own meaning of the flag: fit for
detection); the others are counted in `objects_read` only. Types a value matcher cannot use
(regkey, filename, yara...) are counted and reported once per type, not once per attribute.
TLP comes from `tlp:*` tags, the attribute's own winning over the event's.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

import orjson

from vigie.engines.indicators.model import (
    IndicatorProblemError,
    IndicatorRecord,
    IndicatorType,
    Problem,
    ProblemLog,
    ReadResult,
    Tlp,
    most_restrictive,
    tlp_from_text,
)
from vigie.engines.indicators.normalise import normalise
from vigie.engines.indicators.text import decode_text

__all__ = ["MISP_TYPES", "read_misp_event", "read_misp_parsed"]

# MISP attribute type -> (type, which part of a `a|b` composite value; None: the whole value).
MISP_TYPES: dict[str, tuple[IndicatorType, int | None]] = {
    "domain": (IndicatorType.DOMAIN, None),
    "hostname": (IndicatorType.DOMAIN, None),
    "hostname|port": (IndicatorType.DOMAIN, 0),
    "ip-src": (IndicatorType.IPV4, None),
    "ip-dst": (IndicatorType.IPV4, None),
    "ip-src|port": (IndicatorType.IPV4, 0),
    "ip-dst|port": (IndicatorType.IPV4, 0),
    "url": (IndicatorType.URL, None),
    "uri": (IndicatorType.URL, None),
    "link": (IndicatorType.URL, None),
    "md5": (IndicatorType.MD5, None),
    "sha1": (IndicatorType.SHA1, None),
    "sha256": (IndicatorType.SHA256, None),
    "filename|md5": (IndicatorType.MD5, 1),
    "filename|sha1": (IndicatorType.SHA1, 1),
    "filename|sha256": (IndicatorType.SHA256, 1),
    "email": (IndicatorType.EMAIL, None),
    "email-src": (IndicatorType.EMAIL, None),
    "email-dst": (IndicatorType.EMAIL, None),
}


@dataclass(frozen=True, slots=True)
class _Attribute:
    type: str
    value: str
    to_ids: bool
    uuid: str | None
    tags: tuple[str, ...]
    deleted: bool


@dataclass(frozen=True, slots=True)
class _Event:
    uuid: str | None
    info: str | None
    org: str | None
    tags: tuple[str, ...]
    attributes: list[_Attribute]


def read_misp_event(data: bytes) -> ReadResult:
    text = decode_text(data)
    if text is None:
        return ReadResult("misp", problems=[Problem("not_text", {})])
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as error:
        return ReadResult(
            "misp", problems=[Problem("bad_json", {"line": error.lineno, "column": error.colno})]
        )
    return read_misp_parsed(parsed)


def _event_dicts(parsed: Any) -> list[dict[str, Any]] | None:
    if isinstance(parsed, dict) and isinstance(parsed.get("response"), list):
        items = parsed["response"]
    elif isinstance(parsed, list):
        items = parsed
    else:
        items = [parsed]
    events = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("Event"), dict):
            events.append(item["Event"])
        elif isinstance(item, dict) and ("Attribute" in item or "Object" in item):
            events.append(item)
        else:
            return None
    return events


def read_misp_parsed(parsed: Any) -> ReadResult:
    """The same, from JSON already parsed (read_indicator_file parses once)."""
    result = ReadResult("misp")
    events = _event_dicts(parsed)
    if not events:
        result.problems.append(Problem("not_a_misp_event", {}))
        return result
    log = ProblemLog()
    unsupported: Counter[str] = Counter()
    for raw in events:
        cleaned = _clean(raw, result, log)
        if cleaned is not None:
            _read_event(_load(cleaned), result, log, unsupported)
    for type_name, count in sorted(unsupported.items()):
        log.add("unsupported_misp_type", {"type": type_name, "count": count})
    result.problems = log.finish()
    return result


# The spellings of a flag MISP has written over the years (PyMISP reads "false" as true).
_FLAGS: dict[bool | int | str, bool] = {True: True, False: False, "1": True, "0": False}
_FLAGS |= {"true": True, "false": False, "True": True, "False": False}


def _flag(value: Any) -> bool | None:
    """A flag's meaning; None for a value no MISP writes. Absent (None) means false."""
    if value is None:
        return False
    return _FLAGS.get(value) if isinstance(value, bool | int | str) else None


def _tags_ok(raw: Any) -> bool:
    if raw is None:
        return True
    return isinstance(raw, list) and all(
        isinstance(tag, str) or (isinstance(tag, dict) and isinstance(tag.get("name"), str))
        for tag in raw
    )


def _event_error(raw: dict[str, Any]) -> str | None:
    """The first event-level field whose JSON shape MISP never writes, or None."""
    for name in ("uuid", "info"):
        if name in raw and not isinstance(raw[name], str):
            return name
    org = raw.get("Orgc") or {}
    if not isinstance(org, dict) or not isinstance(org.get("name", ""), str):
        return "Orgc"
    if not _tags_ok(raw.get("Tag")):
        return "Tag"
    if not isinstance(raw.get("Attribute") or [], list):
        return "Attribute"
    objects = raw.get("Object") or []
    if not isinstance(objects, list) or not all(
        isinstance(obj, dict)
        and isinstance(obj.get("Attribute") or [], list)
        and _flag(obj.get("deleted")) is not None
        for obj in objects
    ):
        return "Object"
    return None


def _attribute_error(item: Any) -> str | None:
    if not isinstance(item, dict):
        return "Attribute"
    for name in ("type", "value"):
        if not isinstance(item.get(name), str):
            return name
    if "uuid" in item and not isinstance(item["uuid"], str):
        return "uuid"
    for name in ("to_ids", "deleted"):
        if _flag(item.get(name)) is None:
            return name
    if not _tags_ok(item.get("Tag")):
        return "Tag"
    return None


def _clean_attributes(
    items: list[Any], deleted: bool, result: ReadResult, log: ProblemLog
) -> list[dict[str, Any]]:
    kept = []
    for item in items:
        wrong = _attribute_error(item)
        if wrong is not None:
            result.objects_read += 1
            uuid = item.get("uuid") if isinstance(item, dict) else None
            log.add(
                "bad_misp_attribute",
                {"property": wrong},
                object_id=uuid if isinstance(uuid, str) else None,
                field=wrong,
            )
            continue
        item = dict(item)
        if item.get("to_ids") is not None:
            item["to_ids"] = _flag(item["to_ids"])
        item["deleted"] = deleted or _flag(item.get("deleted"))
        kept.append(item)
    return kept


def _clean(raw: dict[str, Any], result: ReadResult, log: ProblemLog) -> dict[str, Any] | None:
    """The event with only the shapes MISP writes, or None when the event itself is malformed.

    Each part that is not is reported (`bad_misp_event`, `bad_misp_attribute`) rather than
    guessed at: a `Tag` written as one string must not become one tag per character and lose
    its TLP, nor a `"to_ids": "false"` read as true. An attribute of a deleted object is deleted.
    """
    wrong = _event_error(raw)
    if wrong is not None:
        uuid = raw.get("uuid")
        log.add(
            "bad_misp_event",
            {"property": wrong},
            object_id=uuid if isinstance(uuid, str) else None,
            field=wrong,
        )
        return None
    event = dict(raw)
    event["Attribute"] = _clean_attributes(raw.get("Attribute") or [], False, result, log)
    event["Object"] = [
        {
            **obj,
            "Attribute": _clean_attributes(
                obj.get("Attribute") or [], _flag(obj.get("deleted")) is True, result, log
            ),
        }
        for obj in raw.get("Object") or []
    ]
    return event


def _load(raw: dict[str, Any]) -> _Event:
    try:
        # Imported here: the standalone sensor installs without PyMISP (its dependencies are
        # many), and then reads the event's dicts as they are, as for an event PyMISP refuses.
        from pymisp import MISPEvent
        from pymisp.exceptions import PyMISPError
    except ImportError:
        return _walk(raw)
    misp = MISPEvent()
    try:
        # PyMISP consumes (pops from) the dicts it loads; a copy keeps `raw` whole for the
        # fallback below. An orjson round trip copies plain JSON faster than deepcopy.
        misp.load({"Event": orjson.loads(orjson.dumps(raw))})
    except (PyMISPError, ValueError, TypeError, KeyError, AttributeError):
        # PyMISP refuses a whole event for one attribute type newer than its own list, or a
        # field it cannot convert; the indicators are still usable, so read the dicts.
        return _walk(raw)
    attributes = [*misp.attributes, *(a for obj in misp.objects for a in obj.attributes)]
    org = getattr(misp, "Orgc", None)
    # PyMISP gives an object without a uuid a random one: a file read twice would then give
    # its indicators new ids each time. Only the uuids the file writes are kept.
    written = {
        item["uuid"]
        for items in [raw["Attribute"], *(obj["Attribute"] for obj in raw["Object"])]
        for item in items
        if "uuid" in item
    }
    return _Event(
        uuid=raw.get("uuid"),
        info=getattr(misp, "info", None),
        org=getattr(org, "name", None),
        tags=tuple(tag.name for tag in misp.tags),
        attributes=[
            _Attribute(
                type=str(a.type),
                value=str(a.value),
                to_ids=bool(a.to_ids),
                uuid=a.uuid if getattr(a, "uuid", None) in written else None,
                tags=tuple(tag.name for tag in a.tags),
                deleted=getattr(a, "deleted", False) is True,
            )
            for a in attributes
        ],
    )


def _tag_names(raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(
        tag if isinstance(tag, str) else tag["name"]
        for tag in raw
        if isinstance(tag, str) or (isinstance(tag, dict) and "name" in tag)
    )


def _walk(raw: dict[str, Any]) -> _Event:
    attributes = []
    lists = [raw.get("Attribute") or []]
    for obj in raw.get("Object") or []:
        if isinstance(obj, dict):
            lists.append(obj.get("Attribute") or [])
    for items in lists:
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict):
                continue
            to_ids = item.get("to_ids")
            attributes.append(
                _Attribute(
                    type=str(item.get("type", "")),
                    value=str(item.get("value", "")),
                    to_ids=to_ids is True,
                    uuid=item.get("uuid") if isinstance(item.get("uuid"), str) else None,
                    tags=_tag_names(item.get("Tag")),
                    deleted=item.get("deleted") is True,
                )
            )
    org = raw.get("Orgc")
    return _Event(
        uuid=raw.get("uuid") if isinstance(raw.get("uuid"), str) else None,
        info=raw.get("info") if isinstance(raw.get("info"), str) else None,
        org=org.get("name") if isinstance(org, dict) else None,
        tags=_tag_names(raw.get("Tag")),
        attributes=attributes,
    )


def _tlp(tags: tuple[str, ...]) -> Tlp | None:
    levels = [
        level
        for tag in tags
        if tag.lower().startswith("tlp:") and (level := tlp_from_text(tag)) is not None
    ]
    return most_restrictive(levels)


def _read_event(
    event: _Event, result: ReadResult, log: ProblemLog, unsupported: Counter[str]
) -> None:
    event_tlp = _tlp(event.tags)
    for attribute in event.attributes:
        result.objects_read += 1
        if not attribute.to_ids or attribute.deleted:
            continue
        if attribute.type == "domain|ip":
            domain, _, address = attribute.value.partition("|")
            parts = [(IndicatorType.DOMAIN, domain), (IndicatorType.IPV4, address)]
        elif attribute.type in MISP_TYPES:
            type_, part = MISP_TYPES[attribute.type]
            value = attribute.value
            if part is not None:
                pieces = value.split("|")
                value = pieces[part] if len(pieces) == 2 else ""
            parts = [(type_, value)]
        else:
            unsupported[attribute.type] += 1
            continue
        tags = tuple(dict.fromkeys([*event.tags, *attribute.tags]))
        tlp = _tlp(attribute.tags) or event_tlp
        for type_, value in parts:
            try:
                final_type, canonical = normalise(type_, value)
            except IndicatorProblemError as error:
                log.add(
                    error.code,
                    {**error.params, "misp_type": attribute.type},
                    object_id=attribute.uuid,
                    field="value",
                )
                continue
            result.records.append(
                IndicatorRecord(
                    final_type,
                    canonical,
                    attribute.uuid,
                    tlp,
                    tags,
                    None,
                    None,
                    event.org,
                    None,
                    event.info,
                    None,
                    event.uuid,
                )
            )
