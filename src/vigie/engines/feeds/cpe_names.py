"""Just enough CPE handling for the feed readers: split a CPE 2.3 formatted string, turn a
CPE 2.2 URI (`cpe:/a:vendor:product:1.0`, still used in CSAF helpers) into a 2.3 formatted
string, and write NVD-shaped criteria. Matching itself belongs to the CPE matcher.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

_FS_FIELDS = 13  # "cpe", "2.3", part, vendor, product, version, update, edition, language,
#                  sw_edition, target_sw, target_hw, other
_PLAIN = re.compile(r"[A-Za-z0-9._-]*")
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")


def split_fs(cpe: str) -> list[str] | None:
    """The 13 fields of a CPE 2.3 formatted string, escapes kept; None when it is not one.

    Fields are split on colons that are not escaped (`\\:` is a literal colon, as in
    `privilege_management_for_unix\\/linux` a backslash quotes the next character).
    """
    if not cpe.startswith("cpe:2.3:"):
        return None
    # Most names have no escape at all: a plain split is ten times faster.
    fields = cpe.split(":") if "\\" not in cpe else _split_unescaped(cpe)
    if len(fields) != _FS_FIELDS or any(f == "" for f in fields):
        return None
    return fields


def _split_unescaped(cpe: str) -> list[str]:
    fields: list[str] = []
    current: list[str] = []
    escaped = False
    for char in cpe:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            current.append(char)
            escaped = True
        elif char == ":":
            fields.append("".join(current))
            current = []
        else:
            current.append(char)
    fields.append("".join(current))
    return fields


def escape_fs(value: str) -> str:
    """A literal value quoted for a 2.3 formatted string (only `.`, `-`, `_` stay bare)."""
    if _PLAIN.fullmatch(value):
        return value
    return "".join(c if c.isalnum() or c in "._-" else "\\" + c for c in value)


def uri_to_fs(uri: str) -> str | None:
    """CPE 2.2 URI binding -> 2.3 formatted string (CPE Naming 2.3, sections 6.1.3 and 6.2)."""
    if not uri.lower().startswith("cpe:/"):
        return None
    parts = uri[5:].split(":")
    if len(parts) > 7 or not parts[0]:
        return None
    parts += [""] * (7 - len(parts))
    part, vendor, product, version, update, edition, language = parts
    if part.lower() not in ("a", "o", "h"):
        return None
    sw_edition = target_sw = target_hw = other = ""
    if edition.startswith("~"):
        # A "packed" edition carries the four extended attributes of CPE 2.3.
        packed = edition[1:].split("~")
        if len(packed) != 5:
            return None
        edition, sw_edition, target_sw, target_hw, other = packed
    values = [
        vendor,
        product,
        version,
        update,
        edition,
        language,
        sw_edition,
        target_sw,
        target_hw,
        other,
    ]
    return "cpe:2.3:" + part.lower() + ":" + ":".join(_uri_value_to_fs(v) for v in values)


def _uri_value_to_fs(value: str) -> str:
    if value == "":
        return "*"
    if value == "-":
        return "-"
    out: list[str] = []
    pos = 0
    for match in _PERCENT.finditer(value):
        out.append(escape_fs(value[pos : match.start()]))
        code = match.group().lower()
        # %01 and %02 are the URI spellings of the unquoted wildcards ? and *.
        if code == "%01":
            out.append("?")
        elif code == "%02":
            out.append("*")
        else:
            out.append(escape_fs(unquote(match.group())))
        pos = match.end()
    out.append(escape_fs(value[pos:]))
    return "".join(out).lower()


def to_fs(cpe: str) -> str | None:
    """A 2.3 formatted string from either binding; None when neither parses."""
    cpe = cpe.strip()
    if cpe.startswith("cpe:2.3:"):
        return cpe if split_fs(cpe) is not None else None
    return uri_to_fs(cpe)


def with_version(fs: str, version: str) -> str:
    """The same CPE with its version field replaced (`*` for any, else a literal)."""
    fields = split_fs(fs)
    if fields is None:
        return fs
    fields[5] = version if version in ("*", "-") else escape_fs(version)
    return ":".join(fields)


def criterion(
    fs: str, vulnerable: bool = True, bounds: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """One NVD `cpeMatch` entry; bounds are versionStartIncluding / versionEndExcluding / ..."""
    entry: dict[str, Any] = {"criteria": fs, "vulnerable": vulnerable}
    entry.update({k: v for k, v in (bounds or {}).items() if v})
    return entry


def or_configuration(criteria: list[dict[str, Any]]) -> dict[str, Any]:
    """An NVD configuration with a single OR node holding the criteria."""
    return {"nodes": [{"operator": "OR", "negate": False, "cpeMatch": criteria}]}


def and_configuration(
    component: list[dict[str, Any]], platform: list[dict[str, Any]]
) -> dict[str, Any]:
    """NVD's "running on/with" shape: a vulnerable component AND a (non-vulnerable) platform."""
    return {
        "operator": "AND",
        "nodes": [
            {"operator": "OR", "negate": False, "cpeMatch": component},
            {"operator": "OR", "negate": False, "cpeMatch": platform},
        ],
    }
