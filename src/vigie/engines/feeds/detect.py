"""Recognise a feed file from its content and read it: `load_feed_file`, `load_feeds`.

The format is decided by content, never by file name: gzip by its magic bytes, JSON vs JSON Lines
by whether the first line is a complete JSON value followed by more, then the JSON kind by its
keys (see `kind_of`), and text files by their header line. JSON Lines and CSV are streamed line
by line; a JSON document is read whole (once, as bytes) and parsed with orjson.

A file that cannot be read, or whose content is not a known feed, gives an InputError naming the
file (and the line for JSON Lines and CSV); the other files still load. Files recognised as not
being feed content (JSON schemas, ROLIE feeds, provider metadata, `index.txt`, `changes.csv`,
signatures and hash files) are listed in `skipped` without error.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from vigie.engines.feeds.common import (
    READ_ERRORS,
    Problems,
    iter_text_lines,
    open_binary,
    read_bytes,
)
from vigie.engines.feeds.csaf import parse_csaf
from vigie.engines.feeds.cve5 import parse_cve5_record
from vigie.engines.feeds.cyclonedx_vex import parse_cyclonedx_vex
from vigie.engines.feeds.epss import epss_from_object, iter_epss_csv
from vigie.engines.feeds.kev import cisa_entry, eu_entry, iter_cisa_catalogue, iter_cisa_csv
from vigie.engines.feeds.nvd import (
    NvdOverride,
    apply_nvd_overrides,
    iter_nvd_page,
    parse_nvd_cve,
    parse_nvd_override,
)
from vigie.engines.feeds.openvex import parse_openvex
from vigie.engines.records import EpssScore, InputError, KevEntry, VexStatement, VulnRecord

_BOM = b"\xef\xbb\xbf"
MAX_FIRST_LINE = 256 * 1024 * 1024  # a single-line JSON document larger than this is refused
_HASH_LINE = re.compile(r"^[0-9a-fA-F]{64}(?:[0-9a-fA-F]{64})?\s+\*?\S")
_CHANGES_LINE = re.compile(r'^"?[^,]+"?,"?\d{4}-\d{2}-\d{2}T')


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file recognised as something other than feed content (why, in words)."""

    reason: str


FeedItem = VulnRecord | NvdOverride | KevEntry | EpssScore | VexStatement | InputError | Skipped


@dataclass
class FeedContent:
    """Everything read from one or more feed files."""

    vulns: list[VulnRecord] = field(default_factory=list)
    kev: list[KevEntry] = field(default_factory=list)
    epss: list[EpssScore] = field(default_factory=list)
    vex: list[VexStatement] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "path: reason"
    meta: dict[str, str] = field(default_factory=dict)  # catalogue version, EPSS score date...
    # Anchore override records, also present in `vulns`; load_feeds merges them into the NVD
    # records of the same id.
    overrides: list[VulnRecord] = field(default_factory=list)

    def add(self, item: FeedItem, path: Path) -> None:
        if isinstance(item, VulnRecord):
            self.vulns.append(item)
        elif isinstance(item, NvdOverride):
            self.vulns.append(item.record)
            self.overrides.append(item.record)
        elif isinstance(item, KevEntry):
            self.kev.append(item)
        elif isinstance(item, EpssScore):
            self.epss.append(item)
        elif isinstance(item, VexStatement):
            self.vex.append(item)
        elif isinstance(item, InputError):
            self.errors.append(item)
        else:
            self.skipped.append(f"{path}: {item.reason}")

    def extend(self, other: FeedContent) -> None:
        self.vulns.extend(other.vulns)
        self.kev.extend(other.kev)
        self.epss.extend(other.epss)
        self.vex.extend(other.vex)
        self.errors.extend(other.errors)
        self.skipped.extend(other.skipped)
        self.meta.update(other.meta)
        self.overrides.extend(other.overrides)


def iter_feed_paths(path: str | Path) -> Iterator[Path]:
    """The files under `path` (itself when it is a file), sorted, hidden names left out."""
    root = Path(path)
    if not root.is_dir():
        yield root
        return
    for candidate in sorted(root.rglob("*")):
        relative = candidate.relative_to(root)
        if any(part.startswith(".") for part in relative.parts):
            continue  # fetcher state files, editor and VCS files
        if candidate.is_file():
            yield candidate


def load_feed_file(path: str | Path, validate_cvss: bool = True) -> FeedContent:
    """Read one feed file whatever its format (see the module docstring)."""
    content = FeedContent()
    reader = FeedFile(Path(path), validate_cvss=validate_cvss)
    for item in reader:
        content.add(item, reader.path)
    content.meta.update(reader.meta)
    return content


def load_feeds(paths: Iterable[str | Path], validate_cvss: bool = True) -> FeedContent:
    """Read files and directories (recursively), then put Anchore overrides into NVD records."""
    content = FeedContent()
    for path in paths:
        for file in iter_feed_paths(path):
            content.extend(load_feed_file(file, validate_cvss=validate_cvss))
    if content.overrides:
        override_objects = {id(o) for o in content.overrides}
        base = [v for v in content.vulns if id(v) not in override_objects]
        content.vulns = apply_nvd_overrides(base, content.overrides)
        content.meta["nvd_overrides"] = str(len(content.overrides))
        content.overrides = []
    return content


class FeedFile:
    """One file: iterate it for its items (records, InputErrors, at most one Skipped)."""

    def __init__(self, path: Path, validate_cvss: bool = True) -> None:
        self.path = path
        self.validate_cvss = validate_cvss
        self.kind = ""  # what the content was recognised as, once iterated
        self.meta: dict[str, str] = {}
        self.problems = Problems(str(path))

    def __iter__(self) -> Iterator[FeedItem]:
        try:
            yield from self._read()
        except READ_ERRORS as exc:
            # Truncated gzip, unreadable file, or a disk error part-way through a stream.
            self.problems.add(f"cannot read the file: {exc}")
        except UnicodeDecodeError as exc:
            self.problems.add(f"not UTF-8 text (byte {exc.start}): binary content?")
        yield from self._drain()

    def _drain(self) -> Iterator[InputError]:
        errors = self.problems.errors
        if errors:
            self.problems.errors = []
            yield from errors

    def _read(self) -> Iterator[FeedItem]:
        if not self.path.exists():
            self.problems.add("no such file or directory")
            return
        with open_binary(self.path) as stream:
            first, number = _first_line(stream)
            if not first.strip():
                self.problems.add("empty file: no feed content")
                return
            if first.removeprefix(_BOM).lstrip()[:1] in (b"{", b"["):
                rest = stream.read(4096)
                yield from self._json(stream, first, number, rest)
                return
        yield from self._text()

    # ---------------------------------------------------------------------------- JSON family

    def _json(
        self, stream: io.BufferedIOBase, first: bytes, number: int, rest: bytes
    ) -> Iterator[FeedItem]:
        try:
            first_value = orjson.loads(first.removeprefix(_BOM))
        except orjson.JSONDecodeError:
            first_value = None
        if first_value is not None and rest.strip():
            self.kind = "jsonl"
            yield from self._jsonl(stream, first_value, number, rest)
            return
        if first_value is None:
            data = read_bytes(self.path)  # a multi-line document: parsed whole, from bytes
            try:
                first_value = orjson.loads(data.removeprefix(_BOM))
            except orjson.JSONDecodeError as exc:
                self.problems.add(f"invalid JSON: {exc.msg}", line=exc.lineno)
                return
            del data
        yield from self._dispatch(first_value, "")

    def _jsonl(
        self, stream: io.BufferedIOBase, first_value: object, first_number: int, rest: bytes
    ) -> Iterator[FeedItem]:
        self.problems.line = first_number
        yield from self._dispatch(first_value, "", in_lines=True)
        yield from self._drain()
        # `rest` was read ahead to tell JSON Lines from JSON; it starts the second line.
        number = first_number
        pending = rest
        for chunk in _lines_after(stream, pending):
            number += 1
            if not chunk.strip():
                continue
            self.problems.line = number
            try:
                value = orjson.loads(chunk)
            except orjson.JSONDecodeError as exc:
                self.problems.add(f"invalid JSON on this line: {exc.msg}")
                yield from self._drain()
                continue
            yield from self._dispatch(value, "", in_lines=True)
            yield from self._drain()
        self.problems.line = None

    def _dispatch(self, value: Any, where: str, in_lines: bool = False) -> Iterator[FeedItem]:
        problems = self.problems
        if isinstance(value, list):
            yield from self._array(value, where)
            return
        kind = kind_of(value)
        if not self.kind:
            self.kind = kind
        obj: dict[str, Any] = value if isinstance(value, dict) else {}
        if kind == "nvd":
            record = parse_nvd_cve(obj["cve"], f"{where}/cve", problems, self.validate_cvss)
            if record is not None:
                yield record
        elif kind == "nvd-override":
            override = parse_nvd_override(obj, where, problems)
            if override is not None:
                yield override
        elif kind == "nvd-page":
            for key in ("totalResults", "timestamp", "format", "version"):
                if key in obj and not in_lines:
                    self.meta[f"nvd_{key}"] = str(obj[key])
            for record in iter_nvd_page(obj, problems, self.validate_cvss, where):
                yield record
                yield from self._drain()
        elif kind == "cve5":
            record = parse_cve5_record(obj, where, problems, self.validate_cvss)
            if record is not None:
                yield record
        elif kind == "csaf":
            result = parse_csaf(
                obj, problems, fallback_id=self.path.stem, validate_cvss=self.validate_cvss
            )
            yield from result.vulns
            yield from result.vex
        elif kind == "cyclonedx":
            if not isinstance(obj.get("vulnerabilities"), list) or not obj["vulnerabilities"]:
                yield Skipped("CycloneDX BOM without vulnerabilities: an inventory, not a feed")
                return
            yield from parse_cyclonedx_vex(obj, problems)
        elif kind == "openvex":
            yield from parse_openvex(obj, problems)
        elif kind == "cisa-kev":
            for key in ("catalogVersion", "dateReleased", "count"):
                if key in obj:
                    self.meta[f"kev_{key}"] = str(obj[key])
            yield from iter_cisa_catalogue(obj, problems)
        elif kind == "cisa-kev-entry":
            entry = cisa_entry(obj, where, problems)
            if entry is not None:
                yield entry
        elif kind == "eu-kev-entry":
            eu = eu_entry(obj, where, problems)
            if eu is not None:
                yield eu
        elif kind == "epss-entry":
            score = epss_from_object(obj, where, problems)
            if score is not None:
                yield score
        elif kind == "vunnel":
            yield from self._dispatch(obj["item"], f"{where}/item", in_lines)
        elif kind in _NOT_FEEDS:
            yield Skipped(_NOT_FEEDS[kind])
        elif kind == "nvd-1.1":
            problems.add(
                "NVD JSON 1.1 feed (retired by NVD in 2023): use CVE API 2.0 records",
                field=where or None,
            )
        else:
            keys = ", ".join(sorted(obj)[:8]) if obj else type(value).__name__
            problems.add(f"not a known feed document (top-level keys: {keys})", field=where or None)

    def _array(self, items: list[Any], where: str) -> Iterator[FeedItem]:
        """A JSON array of records (grype/vunnel fixtures, EU KEV, EPSS API answers)."""
        for index, item in enumerate(items):
            at = f"{where}/{index}"
            if not isinstance(item, dict) or kind_of(item) in ("unknown", "list"):
                keys = ", ".join(sorted(item)[:8]) if isinstance(item, dict) else str(type(item))
                self.problems.add(f"array item is not a known feed record ({keys})", field=at)
                if index == 0:
                    return  # not a feed array at all: one error is enough
                continue
            yield from self._dispatch(item, at)
            yield from self._drain()

    # ---------------------------------------------------------------------------- text family

    def _text(self) -> Iterator[FeedItem]:
        with open_binary(self.path) as stream:
            head = stream.read(65536)
        if b"\x00" in head:
            self.problems.add("binary content, not a feed (JSON, JSON Lines or CSV expected)")
            return
        text_head = head.decode("utf-8-sig", errors="strict") if _is_utf8(head) else None
        if text_head is None:
            self.problems.add("not UTF-8 text: binary content, not a feed")
            return
        lines = [line.strip() for line in text_head.splitlines() if line.strip()]
        first = lines[0] if lines else ""
        header = next((line for line in lines if not line.startswith("#")), "")
        if first.startswith("#model_version") or header.lower().replace(" ", "").startswith(
            "cve,epss"
        ):
            self.kind = "epss-csv"
            yield from self._stream_csv(epss=True)
        elif header.startswith(("cveID,", '"cveID",')):
            self.kind = "cisa-kev-csv"
            yield from self._stream_csv(epss=False)
        elif first.startswith("-----BEGIN PGP"):
            yield Skipped("OpenPGP signature")
        elif _HASH_LINE.match(first):
            yield Skipped("checksum file")
        elif all(_CHANGES_LINE.match(line) for line in lines[:20]):
            yield Skipped("CSAF changes.csv listing")
        elif all(line.lower().endswith(".json") for line in lines[:20]):
            yield Skipped("CSAF index.txt listing")
        else:
            self.problems.add(f"not a known feed format (first line: {first[:80]!r})", line=1)

    def _stream_csv(self, epss: bool) -> Iterator[FeedItem]:
        with open_binary(self.path) as stream:
            lines = iter_text_lines(stream)
            if epss:
                for score in iter_epss_csv(lines, self.problems, self.meta):
                    yield score
                    if self.problems.errors:
                        yield from self._drain()
            else:
                for entry in iter_cisa_csv(lines, self.problems):
                    yield entry
                    yield from self._drain()


_NOT_FEEDS = {
    "json-schema": "JSON schema",
    "csaf-distribution": "CSAF distribution metadata (ROLIE feed, provider or aggregator)",
}


def kind_of(value: Any) -> str:
    """What a parsed JSON value is, from its keys."""
    if isinstance(value, list):
        return "list"
    if not isinstance(value, dict):
        return "unknown"
    document = value.get("document")
    if isinstance(document, dict) and ("csaf_version" in document or "tracking" in document):
        return "csaf"
    if value.get("bomFormat") == "CycloneDX":
        return "cyclonedx"
    if "cveMetadata" in value or value.get("dataType") == "CVE_RECORD":
        return "cve5"
    if "_annotation" in value and "cve" in value:
        return "nvd-override"
    if isinstance(value.get("cve"), dict):
        return "nvd"
    if isinstance(value.get("item"), dict) and "identifier" in value:
        return "vunnel"
    if "CVE_Items" in value:
        return "nvd-1.1"
    vulnerabilities = value.get("vulnerabilities")
    if isinstance(vulnerabilities, list):
        if "catalogVersion" in value or "known exploited" in str(value.get("title", "")).lower():
            return "cisa-kev"
        if any(k in value for k in ("resultsPerPage", "totalResults", "startIndex")):
            return "nvd-page"
        first = vulnerabilities[0] if vulnerabilities else None
        if isinstance(first, dict) and "cve" in first:
            return "nvd-page"
        if isinstance(first, dict) and "cveID" in first:
            return "cisa-kev"
    if "cveID" in value and "dateAdded" in value:
        return "cisa-kev-entry"
    if "cveID" in value and ("dateReported" in value or "euvdID" in value):
        return "eu-kev-entry"
    if isinstance(value.get("cve"), str) and "epss" in value:
        return "epss-entry"
    if "@context" in value and "statements" in value and "openvex" in str(value["@context"]):
        return "openvex"
    if (
        isinstance(value.get("feed"), dict)
        or "service" in value
        or "categories" in value
        or "canonical_url" in value
    ):
        return "csaf-distribution"
    if "$schema" in value and any(
        k in value for k in ("properties", "$defs", "definitions", "items")
    ):
        return "json-schema"
    return "unknown"


def _first_line(stream: io.BufferedIOBase) -> tuple[bytes, int]:
    """The first non-blank line (with its 1-based number), reading at most MAX_FIRST_LINE."""
    number = 0
    while True:
        line = stream.readline(MAX_FIRST_LINE)
        number += 1
        if not line or line.strip():
            return line, number


def _lines_after(stream: io.BufferedIOBase, pending: bytes) -> Iterator[bytes]:
    """Lines of the stream, `pending` being bytes already read from it."""
    if pending and not pending.endswith(b"\n"):
        pending += stream.readline()
    # BytesIO splits on b"\n" only, exactly as iterating the stream does.
    yield from io.BytesIO(pending)
    yield from stream


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the 64 KiB window is still text.
        return exc.start >= len(data) - 3 and exc.reason == "unexpected end of data"
    return True
