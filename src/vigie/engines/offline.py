"""`vigie vulns match`: match an inventory file against feed files, offline, no database.

Output rows follow docs (INTERFACES.md): one object per (asset, vulnerability) pair with
`asset`, `vulnerability`, `source`, `confidence`, `priority`, `reason` (English; the same as
`reason_parts`, `{"code", "params"}` objects of engines/reason_text.py, for tools and other
languages), plus the explanation and `corroboration`: the other feeds that match the same pair
(the platform's alert rows hold the same winner and the same corroboration, through
`engines.matching.per_pair`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vigie.engines.feeds import FeedContent, apply_nvd_overrides, iter_feed_paths, load_feed_file
from vigie.engines.inventory import load_inventory
from vigie.engines.matching import by_id, match_records, per_pair, prioritise, suppressed_pairs
from vigie.engines.prioritise.ssvc import priority_rank
from vigie.engines.reason_text import reasons_json
from vigie.engines.records import EpssScore, InputError, KevEntry

Progress = Callable[[str, int, int], None]  # (stage, done, total)
# Files that sit beside feeds in mirrors and data folders (notes, signatures, checksums).
NOT_FEEDS = frozenset({".md", ".txt", ".asc", ".sig", ".sha256", ".sha512", ".html", ".pdf"})


# OfflineInputError.code when no feed file could be read at all: an empty result would read as
# "nothing found" to a script, so it is an error, not zero matches.
NO_FEED_READ = "no_feed_read"


class OfflineInputError(Exception):
    """Input that cannot be used at all; `errors` say which file, line and field.

    `code` names a cause that is not one file's problem (NO_FEED_READ), with `params`
    (`files`, `unreadable`, `skipped`: counts of feed files found, unreadable, not feeds).
    """

    def __init__(
        self,
        errors: Sequence[InputError],
        code: str | None = None,
        params: dict[str, int] | None = None,
    ) -> None:
        super().__init__(code or "; ".join(str(e) for e in errors[:5]))
        self.errors = list(errors)
        self.code = code
        self.params = params or {}


@dataclass
class OfflineReport:
    rows: list[dict[str, Any]]
    warnings: list[InputError] = field(default_factory=list)
    suppressed: int = 0
    stats: dict[str, int] = field(default_factory=dict)
    # One entry per feed file that gave nothing but errors: its first error, and how many it had.
    unreadable: list[tuple[InputError, int]] = field(default_factory=list)


@dataclass
class FeedLoad:
    """What `read_feed_paths` found, file by file."""

    content: FeedContent
    fatal: list[InputError]
    files: int = 0  # feed files tried (named, or found in a directory)
    read: int = 0  # of which read: content, or a valid feed with nothing in it
    skipped: int = 0  # of which recognised as something other than feed content
    # Files that gave nothing but errors: (first error, number of errors). Their errors are
    # also in `fatal` (a named file) or in `content.errors` (a file found in a directory).
    unreadable: list[tuple[InputError, int]] = field(default_factory=list)


def load_feed_paths(
    paths: Iterable[str | Path], progress: Progress | None = None
) -> tuple[FeedContent, list[InputError]]:
    """Read every feed file; returns the content and the fatal errors.

    A path named on the command line that does not exist, or a named file that yields nothing
    but errors, is fatal (the user asked for it). Inside a directory, unreadable or unknown
    files are warnings (in the content's errors): the rest still loads.
    """
    load = read_feed_paths(paths, progress)
    return load.content, load.fatal


def read_feed_paths(paths: Iterable[str | Path], progress: Progress | None = None) -> FeedLoad:
    """`load_feed_paths`, with each file's outcome counted and unreadable files kept apart."""
    fatal: list[InputError] = []
    planned: list[tuple[Path, bool]] = []  # (file, named directly)
    for given in paths:
        path = Path(given)
        if not path.exists():
            fatal.append(InputError(str(path), "no such file or directory"))
        elif path.is_dir():
            planned.extend(
                (file, False)
                for file in iter_feed_paths(path)
                if file.suffix.lower() not in NOT_FEEDS
            )
        else:
            planned.append((path, True))
    content = FeedContent()
    load = FeedLoad(content=content, fatal=fatal, files=len(planned))
    for done, (file, named) in enumerate(planned, start=1):
        one = load_feed_file(file)
        loaded = len(one.vulns) + len(one.kev) + len(one.epss) + len(one.vex)
        if one.errors and not loaded:
            load.unreadable.append((one.errors[0], len(one.errors)))
        if named and one.errors and not loaded:
            fatal.extend(one.errors)
        else:
            content.extend(one)
        if loaded or not (one.errors or one.skipped):
            load.read += 1
        elif not one.errors:
            load.skipped += 1
        if progress is not None:
            progress("feeds", done, len(planned))
    if content.overrides:
        override_ids = {id(o) for o in content.overrides}
        base = [v for v in content.vulns if id(v) not in override_ids]
        content.vulns = apply_nvd_overrides(base, content.overrides)
        content.overrides = []
    return load


def run_offline_match(
    inventory: str | Path, feeds: Sequence[str | Path], progress: Progress | None = None
) -> OfflineReport:
    loaded = load_inventory(inventory)
    if loaded.errors:
        raise OfflineInputError(loaded.errors)
    load = read_feed_paths(feeds, progress)
    if load.fatal:
        raise OfflineInputError(load.fatal)
    if not load.read:
        raise OfflineInputError(
            [first for first, _count in load.unreadable],
            code=NO_FEED_READ,
            params={
                "files": load.files,
                "unreadable": len(load.unreadable),
                "skipped": load.skipped,
            },
        )
    content = load.content
    # Unreadable files are reported apart, one line each, rather than among the warnings.
    unreadable_files = {first.file for first, _count in load.unreadable}
    warnings: list[InputError] = [
        *loaded.warnings,
        *(error for error in content.errors if error.file not in unreadable_files),
    ]
    assets = {asset.id: asset for asset in loaded.assets}
    records = by_id(content.vulns)
    matches = match_records(
        content.vulns, loaded.assets, errors=warnings, source_name=str(inventory)
    )
    kev: dict[str, list[KevEntry]] = defaultdict(list)
    for entry in content.kev:
        kev[entry.cve.upper()].append(entry)
    epss: dict[str, EpssScore] = {score.cve.upper(): score for score in content.epss}
    outcome = prioritise(
        matches,
        records=records,
        assets=assets,
        kev=kev,
        epss=epss,
        vex=content.vex,
    )
    rows = []
    for pair in per_pair(outcome):
        match, decision = pair.best, pair.decision
        vuln_id = match.vulnerability.upper()
        listings = kev.get(vuln_id, [])
        score = epss.get(vuln_id)
        best_cvss = next((r.cvss[0] for r in records[vuln_id] if r.cvss), None)
        rows.append(
            {
                "asset": match.asset,
                "asset_name": assets[match.asset].name,
                "vulnerability": match.vulnerability,
                "source": match.source,
                "confidence": match.confidence,
                "priority": decision.priority,
                "reason": match.reason,
                "reason_parts": reasons_json(match.reasons),
                "criterion": match.criterion,
                "version_range": match.version_range,
                "explanation": decision.explanation,
                "kev": sorted({entry.catalogue for entry in listings}),
                "ransomware": decision.ransomware,
                "epss": score.epss if score else None,
                "cvss": best_cvss.base_score if best_cvss else None,
                "cvss_vector": best_cvss.vector if best_cvss else None,
                "corroboration": [
                    {
                        "source": other.source,
                        "confidence": other.confidence,
                        "criterion": other.criterion,
                        "version_range": other.version_range,
                        "reason": other.reason,
                        "reason_parts": reasons_json(other.reasons),
                    }
                    for other in pair.others
                ],
            }
        )
    rows.sort(key=lambda r: (-priority_rank(str(r["priority"])), r["asset"], r["vulnerability"]))
    suppressed = len(suppressed_pairs(outcome))  # pairs, as rows are, not one per feed
    return OfflineReport(
        rows=rows,
        warnings=warnings,
        suppressed=suppressed,
        unreadable=load.unreadable,
        stats={
            "feed_files": load.files,
            "feed_files_read": load.read,
            "feed_files_unreadable": len(load.unreadable),
            "feed_files_skipped": load.skipped,
            "assets": len(assets),
            "vulnerabilities": len(records),
            "kev": len(content.kev),
            "epss": len(content.epss),
            "vex": len(content.vex),
            "matches": len(rows),
            "suppressed_by_vex": suppressed,
        },
    )
