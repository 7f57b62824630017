"""CSAF provider distribution files (CSAF 2.0 section 7.1): ROLIE feeds, `changes.csv`, `index.txt`.

A ROLIE feed entry gives the advisory URL (`content.src`, else the `self` link), its `updated`
time, and links to its hash files and signature. The spec names the link relation `rel`; CISA's
feed writes `ref` ("ref": "hash"), so both are read. Relative URLs are resolved against the
feed's own URL.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from vigie.engines.feeds.common import Problems, get_dict, get_list, get_str, parse_timestamp


@dataclass(frozen=True, slots=True)
class RolieEntry:
    id: str
    url: str
    updated: datetime | None
    hash_urls: tuple[str, ...] = ()  # `.sha256` / `.sha512` files, as the feed lists them
    signature_url: str = ""
    title: str = ""


@dataclass(frozen=True, slots=True)
class ChangedFile:
    """One line of `changes.csv`: a path relative to the directory of the file, and its time."""

    path: str
    updated: datetime


def parse_rolie_feed(
    doc: dict[str, Any], problems: Problems, base_url: str = ""
) -> list[RolieEntry]:
    feed = get_dict(doc, "feed", "", problems, required=True) or {}
    entries: list[RolieEntry] = []
    for index, entry in enumerate(get_list(feed, "entry", "/feed", problems)):
        where = f"/feed/entry/{index}"
        if not isinstance(entry, dict):
            problems.add("expected an object", field=where)
            continue
        entry_id = get_str(entry, "id", where, problems)
        content = get_dict(entry, "content", where, problems, entry_id) or {}
        url = get_str(content, "src", f"{where}/content", problems, entry_id)
        hashes: list[str] = []
        signature = ""
        for lindex, link in enumerate(get_list(entry, "link", where, problems, entry_id)):
            if not isinstance(link, dict) or not isinstance(link.get("href"), str):
                problems.add(
                    "link needs an `href`", field=f"{where}/link/{lindex}", record=entry_id
                )
                continue
            relation = str(link.get("rel") or link.get("ref") or "")
            href = urljoin(base_url, link["href"]) if base_url else link["href"]
            if relation == "self" and not url:
                url = link["href"]
            elif relation == "hash":
                hashes.append(href)
            elif relation == "signature":
                signature = href
        if not url:
            problems.add(
                "entry has no advisory URL (content.src or a self link)",
                field=where,
                record=entry_id,
            )
            continue
        entries.append(
            RolieEntry(
                id=entry_id,
                url=urljoin(base_url, url) if base_url else url,
                updated=parse_timestamp(
                    entry.get("updated"), f"{where}/updated", problems, entry_id
                ),
                hash_urls=tuple(hashes),
                signature_url=signature,
                title=get_str(entry, "title", where, problems, entry_id),
            )
        )
    return entries


def parse_changes_csv(text: str, problems: Problems) -> list[ChangedFile]:
    """`changes.csv`: `"path","timestamp"` per line, newest first (section 7.1.16)."""
    changed: list[ChangedFile] = []
    for number, row in enumerate(csv.reader(text.splitlines()), start=1):
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) != 2:
            problems.add(f"expected 2 columns (path, timestamp), found {len(row)}", line=number)
            continue
        path, stamp = row[0].strip(), row[1].strip()
        updated = parse_timestamp(stamp, "timestamp", Problems(problems.file))
        if updated is None or not path:
            problems.add(f"not a path and an ISO 8601 timestamp: {row!r}", line=number)
            continue
        changed.append(ChangedFile(path=path, updated=updated))
    return changed


def parse_index_txt(text: str) -> list[str]:
    """`index.txt`: one advisory path per line (section 7.1.15)."""
    return [line.strip() for line in text.splitlines() if line.strip()]
