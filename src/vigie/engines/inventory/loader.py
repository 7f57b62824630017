"""One entry point for every inventory format, chosen from the file's content (not its name).

CSV (docs INTERFACES "Inventory CSV"), CycloneDX JSON and SPDX 2.3 JSON are read; anything else
is refused with one error naming the file and saying what it looks like (an Excel workbook, a
gzip archive, CycloneDX XML, SPDX tag-value, SPDX 3 JSON-LD...).
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Literal

import orjson

from vigie.engines.inventory.common import (
    InventoryLimits,
    InventoryResult,
    Problems,
    check_size,
    display_name,
)
from vigie.engines.inventory.csv_reader import read_csv_inventory
from vigie.engines.inventory.cyclonedx_reader import read_cyclonedx_document
from vigie.engines.inventory.spdx_reader import read_spdx_document

InventoryFormat = Literal["csv", "cyclonedx", "spdx"]
_HEAD = 64 * 1024
_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "a gzip archive; decompress it first"),
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx workbook?); save the sheet as CSV"),
    (b"\xd0\xcf\x11\xe0", "an Excel .xls workbook; save the sheet as CSV"),
    (b"%PDF", "a PDF document, not an inventory"),
)


def _text_head(head: bytes) -> str:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return head.decode("utf-16", errors="ignore").lstrip("\ufeff").lstrip()
    return head.decode("utf-8", errors="ignore").lstrip("\ufeff").lstrip()


def detect_format(head: bytes) -> InventoryFormat | str:
    """The format of a file from its first bytes; otherwise the reason it is none of ours.

    JSON is recognised here only as "json": the document must be parsed to tell CycloneDX from
    SPDX (`load_inventory` does that), so this returns "cyclonedx" or "spdx" only when the key
    appears in the head, and "json" is never returned to callers of `load_inventory`.
    """
    if not head.strip():
        return "the file is empty"
    for signature, reason in _BINARY_SIGNATURES:
        if head.startswith(signature):
            return reason
    utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if b"\x00" in head and not utf16:
        return "a binary file, not an inventory"
    text = _text_head(head)
    lowered = text[:4096].lower()
    if text.startswith(("{", "[")):
        return "json"
    if text.startswith("<"):
        if "cyclonedx" in lowered:
            return "CycloneDX XML; only CycloneDX JSON is read, export the SBOM as JSON"
        if "spdx" in lowered:
            return "SPDX RDF/XML; only SPDX JSON is read, export the SBOM as JSON"
        return "XML or HTML, not an inventory"
    if lowered.startswith("spdxversion:"):
        return "SPDX tag-value; only SPDX JSON is read, convert it (e.g. with pyspdxtools)"
    return "csv"


def _json_format(document: object) -> InventoryFormat | str:
    if isinstance(document, dict):
        if "bomFormat" in document:
            return "cyclonedx"
        if "spdxVersion" in document:
            return "spdx"
        context = document.get("@context")
        if context is not None and "spdx" in str(context).lower():
            return "SPDX 3 JSON-LD; only SPDX 2.3 JSON is read"
    return "JSON that is neither CycloneDX (no bomFormat) nor SPDX (no spdxVersion)"


def load_inventory(
    path: str | Path,
    *,
    name: str | None = None,
    limits: InventoryLimits | None = None,
    root_kind: str | None = None,
) -> InventoryResult:
    """Read an inventory file of any supported format; the format is detected from content.

    `name` is how messages call the file (an upload's original name); `root_kind` sets the kind
    of an SBOM's described component (e.g. `medical-device`). Never raises on bad input.
    """
    limits = limits or InventoryLimits()
    path = Path(path)
    file = display_name(path, name)
    problems = Problems(file, limits.max_errors)
    if not check_size(path, problems, limits):
        return InventoryResult([], problems.errors, problems.warnings)
    try:
        with path.open("rb") as handle:
            head = handle.read(_HEAD)
    except OSError as exc:
        problems.error(f"cannot read the file: {exc.strerror}")
        return InventoryResult([], problems.errors, problems.warnings)
    found = detect_format(head)
    if found == "csv":
        return read_csv_inventory(path, name=file, limits=limits)
    if found != "json":
        problems.error(f"not an inventory: {found}")
        return InventoryResult([], problems.errors, problems.warnings)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        problems.error(f"cannot read the file: {exc.strerror}")
        return InventoryResult([], problems.errors, problems.warnings)
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        problems.error(f"not valid JSON: {exc.msg} (column {exc.colno})", line=exc.lineno)
        return InventoryResult([], problems.errors, problems.warnings)
    kind = _json_format(document)
    if kind == "cyclonedx":
        return read_cyclonedx_document(document, raw, file, limits=limits, root_kind=root_kind)
    if kind == "spdx":
        return read_spdx_document(document, raw, file, limits=limits, root_kind=root_kind)
    problems.error(f"not an inventory: {kind}")
    return InventoryResult([], problems.errors, problems.warnings)
