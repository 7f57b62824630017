"""One entry point for every inventory format, chosen from the file's content (not its name).

CSV (docs INTERFACES "Inventory CSV"), CycloneDX JSON and SPDX 2.3 JSON are read; anything else
is refused with one error naming the file and saying what it looks like (an Excel workbook, a
gzip archive, CycloneDX XML, SPDX tag-value, SPDX 3 JSON-LD...). Whatever is not text (binary
data, or text in an encoding we do not read) gets one verdict, `not_text`, whatever its size.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Literal

import orjson

from vigie.engines.inventory.common import (
    AssetDefaults,
    InventoryLimits,
    InventoryResult,
    Problems,
    binary_content,
    check_size,
    display_name,
)
from vigie.engines.inventory.csv_reader import read_csv_inventory
from vigie.engines.inventory.cyclonedx_reader import read_cyclonedx_document
from vigie.engines.inventory.spdx_reader import read_spdx_document

InventoryFormat = Literal["csv", "cyclonedx", "spdx"]
_HEAD = 64 * 1024
_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip"),
    (b"PK\x03\x04", "zip"),
    (b"\xd0\xcf\x11\xe0", "xls"),
    (b"%PDF", "pdf"),
)
# Hints (common.HINTS) that mean "not text": reported as not_text, the others as not_inventory.
NOT_TEXT_HINTS = frozenset({"binary", "gzip", "zip", "xls", "pdf"})


def _text_head(head: bytes) -> str:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return head.decode("utf-16", errors="ignore").lstrip("\ufeff").lstrip()
    return head.decode("utf-8", errors="ignore").lstrip("\ufeff").lstrip()


def detect_format(head: bytes, *, complete: bool = False) -> InventoryFormat | str:
    """The format of a file from its first bytes; otherwise a hint code (common.HINTS), or
    "empty", saying why it is none of ours. `complete`: `head` is the whole file.

    JSON is recognised here only as "json": the document must be parsed to tell CycloneDX from
    SPDX (`load_inventory` does that), and "json" is never returned to callers of
    `load_inventory`.
    """
    if not head.strip():
        return "empty"
    for signature, hint in _BINARY_SIGNATURES:
        if head.startswith(signature):
            return hint
    if binary_content(head, complete=complete):
        return "binary"
    text = _text_head(head)
    lowered = text[:4096].lower()
    if text.startswith(("{", "[")):
        return "json"
    if text.startswith("<"):
        if "cyclonedx" in lowered:
            return "cyclonedx_xml"
        if "spdx" in lowered:
            return "spdx_xml"
        return "xml"
    if lowered.startswith("spdxversion:"):
        return "spdx_tag_value"
    return "csv"


def _json_format(document: object) -> InventoryFormat | str:
    if isinstance(document, dict):
        if "bomFormat" in document:
            return "cyclonedx"
        if "spdxVersion" in document:
            return "spdx"
        context = document.get("@context")
        if context is not None and "spdx" in str(context).lower():
            return "spdx3"
    return "json_unknown"


def refuse(problems: Problems, hint: str) -> None:
    """The one error for a file that is not an inventory, by what `detect_format` saw."""
    if hint == "empty":
        problems.error("empty")
    elif hint in NOT_TEXT_HINTS:
        problems.error("not_text", hint=hint)
    else:
        problems.error("not_inventory", hint=hint)


def load_inventory(
    path: str | Path,
    *,
    name: str | None = None,
    limits: InventoryLimits | None = None,
    root_kind: str | None = None,
    defaults: AssetDefaults | None = None,
) -> InventoryResult:
    """Read an inventory file of any supported format; the format is detected from content.

    `name` is how messages call the file (an upload's original name); `root_kind` sets the kind
    of an SBOM's described component (e.g. `medical-device`); `defaults` fill the criticality,
    exposure and care unit of every asset that does not set its own. Never raises on bad input.
    """
    limits = limits or InventoryLimits()
    path = Path(path)
    file = display_name(path, name)
    problems = Problems(file, limits.max_errors)
    if not check_size(path, problems, limits):
        return problems.result([])
    try:
        with path.open("rb") as handle:
            head = handle.read(_HEAD + 1)
    except OSError as exc:
        problems.error("read_failed", reason=exc.strerror)
        return problems.result([])
    found = detect_format(head[:_HEAD], complete=len(head) <= _HEAD)
    if found == "csv":
        return read_csv_inventory(path, name=file, limits=limits, defaults=defaults)
    if found != "json":
        refuse(problems, found)
        return problems.result([])
    try:
        raw = path.read_bytes()
    except OSError as exc:
        problems.error("read_failed", reason=exc.strerror)
        return problems.result([])
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        problems.error("not_json", line=exc.lineno, reason=exc.msg, column=exc.colno)
        return problems.result([])
    kind = _json_format(document)
    if kind == "cyclonedx":
        return read_cyclonedx_document(
            document, raw, file, limits=limits, root_kind=root_kind, defaults=defaults
        )
    if kind == "spdx":
        return read_spdx_document(
            document, raw, file, limits=limits, root_kind=root_kind, defaults=defaults
        )
    refuse(problems, kind)
    return problems.result([])
