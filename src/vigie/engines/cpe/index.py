"""Match inventories against NVD configurations: two incremental indexes and a reference.

* `VulnIndex` holds the compiled configurations of all vulnerabilities, keyed by the
  (vendor, product) of their criteria. `match(assets)` matches a whole inventory (one
  establishment) in one pass; `match_asset(asset, tree)` matches one new or changed asset.
  `put` / `put_record` / `remove` keep it current as feeds change (rejected CVEs are removed);
  `put_many` / `put_records` load a whole feed with the garbage collector paused.
* `InventoryIndex` holds the installed CPEs of the assets of all establishments, keyed by
  (vendor, product) and sorted by version inside each key. Assets are put and removed under a
  caller-given scope (an establishment id: asset ids are unique within a scope only);
  `match_vulnerability(vuln_id, configurations)` answers "which assets of which establishments
  does this new CVE hit" by looking up only the keys its criteria name. Its matches are made
  as the caller takes them (a generator), after every candidate has been decided.
* `match_brute_force(vulns, assets)` evaluates every configuration on every asset tree, with no
  index: the reference the tests compare both indexes with.

What matches is decided in evaluate.py (the semantics, documented there and in
docs/notes/matching.md); the indexes only choose which (criterion, installed CPE) pairs to
evaluate: inside a key, installed CPEs with a literal version are sorted by
`versions.version_key`, so a range criterion takes a slice found by bisection and an exact
one an equal run; installed CPEs with version `*`, `-` or a pattern are kept apart and offered to
every criterion that could accept them (`-` only to ranges with an upper bound alone).

The common decisions are taken here without calling evaluate_criterion, and give exactly its
answer (`_scan`; the tests compare both indexes with the reference on generated inventories):
a range whose attributes after the version are `*` takes its whole slice when every installed
CPE of the key has the criterion's part; otherwise an installed CPE that repeats each value the
criterion gives is high, one that leaves some of them at `*` (WordPress plug-ins' target_sw) is
medium with a "not given" note each. The Match records of plain high hits are made straight from
the criterion's words and the installed version (`evaluate.new_match`), with no Hit in between.

The evaluation context of an asset for AND configurations is its tree: the root ancestor
(following `AssetRecord.parent`) and all that root's descendants.

Invalid CPEs in inventory records are reported as `records.InputError` (field `cpe`) and
skipped; so are CPEs that name no vendor or product (`cpe:2.3:a:*:*:...` would otherwise match
everything). Nothing raises on bad input.
"""

from __future__ import annotations

import gc
from bisect import bisect_left, bisect_right
from collections.abc import Collection, Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from itertools import chain
from operator import attrgetter
from typing import TypeVar

from vigie.engines.cpe.configurations import (
    SCAN_ANY,
    SCAN_EXACT,
    SCAN_RANGE,
    SCAN_RANGE_PART,
    CompiledVuln,
    Criterion,
    VersionKey,
    compile_configurations,
)
from vigie.engines.cpe.evaluate import (
    CONFIDENCE,
    HIGH,
    MEDIUM,
    Entry,
    Hit,
    evaluate_criterion,
    installed_words,
    make_match,
    new_match,
    not_given_notes,
    tree_matches,
)
from vigie.engines.cpe.names import ANY, NA, Cpe, CpeError, Value, Wildcard, parse_cpe
from vigie.engines.reason_text import render_part
from vigie.engines.records import AssetRecord, InputError, Match, Reason, VulnRecord

__all__ = [
    "InventoryIndex",
    "VulnIndex",
    "asset_roots",
    "match_brute_force",
    "parse_asset_cpe",
]

Key = tuple[str, str]
_vkey = attrgetter("vkey")
_HIGH = CONFIDENCE[HIGH]
_UPDATE = 4  # position of the update attribute in a Cpe
_MAX_DEPTH = 64  # parent chains longer than this are cut (and cycles are broken)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while allocating millions of small objects.

    They form no reference cycles, but the collector would traverse them again at every
    generation-2 collection while they pile up (measured: parsing a million names took 8.9 s
    with it, 5.8 s without). The caller's setting is restored; no user code runs inside.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def parse_asset_cpe(
    text: str, asset: AssetRecord, errors: list[InputError] | None, source_name: str
) -> tuple[Cpe, Key] | None:
    """Parse one installed CPE into (cpe, (vendor, product)).

    Returns None, after appending an InputError to `errors`, when the CPE is invalid or names
    no vendor or no product.
    """
    try:
        cpe = parse_cpe(text)
    except CpeError as e:
        if errors is not None:
            errors.append(InputError(source_name, str(e), asset.line, "cpe", asset.id))
        return None
    vendor = cpe.vendor
    product = cpe.product
    if not isinstance(vendor, str) or not isinstance(product, str):
        if errors is not None:
            errors.append(
                InputError(
                    source_name,
                    f"CPE {text!r} names no vendor or no product; it cannot be matched",
                    asset.line,
                    "cpe",
                    asset.id,
                )
            )
        return None
    return cpe, (vendor, product)


def asset_roots(assets: Sequence[AssetRecord]) -> list[int]:
    """Position of each asset's root ancestor (parents followed by id; cycles broken)."""
    n = len(assets)
    if not any(a.parent for a in assets):
        return list(range(n))
    pos: dict[str, int] = {}
    for i, a in enumerate(assets):
        pos.setdefault(a.id, i)
    root = [-1] * n
    for i in range(n):
        if root[i] >= 0:
            continue
        path: list[int] = []
        seen: set[int] = set()
        j = i
        while True:
            if root[j] >= 0:
                r = root[j]
                break
            path.append(j)
            seen.add(j)
            parent = assets[j].parent
            k = pos.get(parent) if parent else None
            if k is None or k in seen or len(path) > _MAX_DEPTH:
                r = j
                break
            j = k
        for x in path:
            root[x] = r
    return root


class _Bucket:
    """The installed CPEs of one (vendor, product), literal versions sorted by version key.

    `parts` counts the entries per part value, so a criterion whose part every entry shares
    takes its version slice as it is; `shared` counts entries whose asset has another entry in
    this bucket (InventoryIndex: then one criterion can hit one asset twice).
    """

    __slots__ = ("any_", "keys", "literal", "na", "parts", "pending", "shared", "wild")

    def __init__(self) -> None:
        self.literal: list[Entry] = []
        self.keys: list[VersionKey] = []
        self.pending: list[Entry] = []
        self.any_: list[Entry] = []
        self.na: list[Entry] = []
        self.wild: list[Entry] = []
        self.parts: dict[Value, int] = {}
        self.shared = 0

    def __len__(self) -> int:
        return (
            len(self.literal) + len(self.pending) + len(self.any_) + len(self.na) + len(self.wild)
        )

    def add(self, entry: Entry) -> None:
        part = entry.cpe[0]
        self.parts[part] = self.parts.get(part, 0) + 1
        if entry.vkey:
            self.pending.append(entry)
        elif entry.cpe.version is ANY:
            self.any_.append(entry)
        elif entry.cpe.version is NA:
            self.na.append(entry)
        else:
            self.wild.append(entry)

    def remove(self, entry: Entry) -> None:
        if self._remove(entry):
            part = entry.cpe[0]
            left = self.parts[part] - 1
            if left:
                self.parts[part] = left
            else:
                del self.parts[part]

    def _remove(self, entry: Entry) -> bool:
        if not entry.vkey:
            for lst in (self.any_, self.na, self.wild):
                for i, e in enumerate(lst):
                    if e is entry:
                        del lst[i]
                        return True
            return False
        for i, e in enumerate(self.pending):
            if e is entry:
                del self.pending[i]
                return True
        i = bisect_left(self.keys, entry.vkey)
        while i < len(self.literal) and self.keys[i] == entry.vkey:
            if self.literal[i] is entry:
                del self.literal[i]
                del self.keys[i]
                return True
            i += 1
        return False

    def settle(self) -> None:
        """Merge pending additions into the sorted run (Timsort merges the two runs)."""
        if self.pending:
            self.literal.extend(self.pending)
            self.pending.clear()
            self.literal.sort(key=_vkey)
            self.keys = [e.vkey for e in self.literal]

    def candidates(self, crit: Criterion) -> list[Entry]:
        """A superset of the entries `crit` can accept; evaluate_criterion decides."""
        self.settle()
        if crit.has_range:
            found = self.in_range(crit)
            found.extend(self.side(crit))
            return found
        version = crit.cpe.version
        if version is ANY:
            return [*self.literal, *self.any_, *self.na, *self.wild]
        if version is NA:
            return [*self.na, *self.any_]
        if isinstance(version, Wildcard):
            return [*self.literal, *self.any_, *self.wild]
        out = self.equal_run(crit)
        out.extend(self.any_)
        out.extend(self.wild)
        return out

    def in_range(self, crit: Criterion) -> list[Entry]:
        """Literal versions inside the criterion's bounds: a slice found by bisection."""
        keys = self.keys
        lo = 0
        hi = len(keys)
        if crit.start_key is not None:
            lo = (bisect_left if crit.start_incl else bisect_right)(keys, crit.start_key)
        if crit.end_key is not None:
            hi = (bisect_right if crit.end_incl else bisect_left)(keys, crit.end_key)
        return self.literal[lo:hi] if lo < hi else []

    def side(self, crit: Criterion) -> list[Entry]:
        """Versions `*`, patterns and, under an upper bound alone, `-`: what a range may take."""
        if crit.start_key is None and self.na:
            return [*self.any_, *self.wild, *self.na]  # NA under an upper bound (evaluate.py)
        if self.any_ or self.wild:
            return [*self.any_, *self.wild]
        return []

    def equal_run(self, crit: Criterion) -> list[Entry]:
        """Literal versions equal by key to an exact criterion's (and to version+update)."""
        keys = self.keys
        out: list[Entry] = []
        key = crit.version_key
        if key is not None:
            lo = bisect_left(keys, key)
            out = self.literal[lo : bisect_right(keys, key, lo)]
        key = crit.combined_key
        if key is not None and key != crit.version_key:
            lo = bisect_left(keys, key)
            out.extend(self.literal[lo : bisect_right(keys, key, lo)])
        return out


Notes = tuple[Reason, ...]


class _Found:
    """The hits of one criterion in one bucket, sorted by how much is left to say.

    `high`: plain high hits (no note); `medium`: plain medium hits, with their "not given"
    notes; `others`: what evaluate_criterion decided, as Hit objects.
    """

    __slots__ = ("high", "medium", "others")

    def __init__(self) -> None:
        self.high: list[Entry] = []
        self.medium: list[tuple[Entry, Notes]] = []
        self.others: list[Hit] = []


def _plain(crit: Criterion, entries: Iterable[Entry], found: _Found) -> None:
    """Decide entries whose version already satisfies `crit`, as evaluate_criterion would.

    The criterion's other attributes are literals or `-` here (see Criterion.scan): the same
    value passes; `*` in the installed CPE passes at medium with a "not given" note (the
    WordPress plug-ins' target_sw, mostly); another literal or `-` is DISJOINT, no hit
    (GitLab's editions), except two update literals, which may still be equal as versions and
    go through evaluate_criterion, as do patterns.
    """
    rest = crit.rest
    high = found.high
    medium = found.medium
    for e in entries:
        cpe = e.cpe
        missing: Notes = ()
        for i, v in rest:
            t = cpe[i]
            if t is v or (t.__class__ is str and t == v):
                continue
            if t is ANY:
                missing = missing + not_given_notes(i, v) if missing else not_given_notes(i, v)
                continue
            # Two update literals may be equal as versions; a pattern may cover the value.
            maybe = (i == _UPDATE and t.__class__ is str) or t.__class__ is Wildcard
            if maybe and (h := evaluate_criterion(crit, e)) is not None:
                found.others.append(h)
            break
        else:
            if missing:
                medium.append((e, missing))
            else:
                high.append(e)


def _evaluated(crit: Criterion, entries: Iterable[Entry], found: _Found) -> None:
    others = found.others
    for e in entries:
        if (h := evaluate_criterion(crit, e)) is not None:
            others.append(h)


def _scan(crit: Criterion, bucket: _Bucket) -> _Found:
    """The hits of one criterion in one bucket.

    Exactly what evaluate_criterion decides on `bucket.candidates(crit)` (the tests compare
    both indexes with the index-free reference), with no Hit object for the plain cases: a
    range on a criterion whose attributes after the version are `*` takes the bisected slice
    as it is when every entry of the bucket has the criterion's part.
    """
    bucket.settle()
    scan = crit.scan
    found = _Found()
    if crit.has_range:
        inside = bucket.in_range(crit)
        if scan == SCAN_RANGE_PART:
            part = crit.cpe[0]
            parts = bucket.parts
            if part is ANY or (len(parts) == 1 and part in parts):
                found.high = inside
            else:
                high = found.high
                for e in inside:
                    if e.cpe[0] == part:
                        high.append(e)
                    elif e.cpe[0] is ANY and (h := evaluate_criterion(crit, e)) is not None:
                        found.others.append(h)  # part not given: medium; another part: DISJOINT
        elif scan == SCAN_RANGE:
            _plain(crit, inside, found)
        else:
            _evaluated(crit, inside, found)
        _evaluated(crit, bucket.side(crit), found)
        return found
    if scan == SCAN_ANY:
        for entries in (bucket.literal, bucket.any_, bucket.na, bucket.wild):
            _plain(crit, entries, found)
        return found
    if scan == SCAN_EXACT:
        version = crit.cpe.version
        same = []
        for e in bucket.equal_run(crit):
            if e.cpe[3] == version:
                same.append(e)
            elif (h := evaluate_criterion(crit, e)) is not None:
                found.others.append(h)  # equal as versions only (`1.0.0`, `8.5p1`): medium
        _plain(crit, same, found)
        _evaluated(crit, bucket.any_, found)
        _evaluated(crit, bucket.wild, found)
        return found
    _evaluated(crit, bucket.candidates(crit), found)
    return found


class _CriteriaByKey:
    """Criteria of many vulnerabilities keyed by (vendor, product); vendor-only for patterns."""

    def __init__(self) -> None:
        self.by_key: dict[Key, dict[str, list[Criterion]]] = {}
        self.by_vendor: dict[str, dict[str, list[Criterion]]] = {}  # product patterns

    def add(self, vuln: CompiledVuln) -> None:
        for crit in vuln.lookup:
            vendor = crit.cpe.vendor
            product = crit.cpe.product
            if not isinstance(vendor, str):
                continue  # compile_configurations never lets one through
            if isinstance(product, str):
                slot = self.by_key.setdefault((vendor, product), {})
            else:
                slot = self.by_vendor.setdefault(vendor, {})
            slot.setdefault(vuln.id, []).append(crit)

    def remove(self, vuln: CompiledVuln) -> None:
        for crit in vuln.lookup:
            vendor = crit.cpe.vendor
            product = crit.cpe.product
            if not isinstance(vendor, str):
                continue
            if isinstance(product, str):
                slot = self.by_key.get((vendor, product))
                if slot is not None and slot.pop(vuln.id, None) is not None and not slot:
                    del self.by_key[(vendor, product)]
            else:
                slot = self.by_vendor.get(vendor)
                if slot is not None and slot.pop(vuln.id, None) is not None and not slot:
                    del self.by_vendor[vendor]

    def for_key(self, key: Key) -> Iterable[tuple[str, list[Criterion]]]:
        """(vulnerability id, its criteria that can accept CPEs of `key`), one pair per id."""
        slot = self.by_key.get(key)
        patterns = self.by_vendor.get(key[0])
        if not patterns:
            return slot.items() if slot else ()
        merged: dict[str, list[Criterion]] = {v: list(c) for v, c in slot.items()} if slot else {}
        for vuln_id, crits in patterns.items():
            for crit in crits:
                product = crit.cpe.product
                if isinstance(product, Wildcard) and product.matches(key[1]):
                    merged.setdefault(vuln_id, []).append(crit)
        return merged.items()

    def wants(self, key: Key) -> bool:
        return key in self.by_key or key[0] in self.by_vendor


def _better(current: Hit | None, hit: Hit) -> bool:
    return current is None or hit.rank > current.rank


def _hits(crit: Criterion, bucket: _Bucket) -> list[Hit]:
    """The hits of one criterion among the installed CPEs of one bucket, as Hit objects."""
    return _hits_of(crit, _scan(crit, bucket))


def _hits_of(crit: Criterion, found: _Found) -> list[Hit]:
    hits = [Hit(crit, e, HIGH) for e in found.high]
    hits.extend(Hit(crit, e, MEDIUM, notes) for e, notes in found.medium)
    hits.extend(found.others)
    return hits


# (rank, criterion, entry, notes): a hit without a Hit object
Decided = tuple[int, Criterion, Entry, Notes]


class _Best:
    """The best hit per asset over several (criterion, bucket) scans of one vulnerability.

    Plain high hits are kept as (criterion, entry) pairs, the others as `Decided` tuples, no
    Hit object made; the first of equal confidence wins, as evaluating the criteria in order
    would decide.
    """

    __slots__ = ("high", "other")

    def __init__(self) -> None:
        self.high: dict[object, tuple[Criterion, Entry]] = {}
        self.other: dict[object, Decided] = {}

    def add(self, crit: Criterion, found: _Found) -> None:
        # Keyed by the entry where it is its asset's only one (Entry.solo), else by the asset.
        if found.high:
            keep = self.high.setdefault
            for e in found.high:
                keep(e if e.solo else e.ref, (crit, e))
        other = self.other
        if found.medium:
            keep_medium = other.setdefault
            for e, notes in found.medium:
                keep_medium(e if e.solo else e.ref, (MEDIUM, crit, e, notes))
        for h in found.others:
            e = h.entry
            key = e if e.solo else e.ref
            current = other.get(key)
            if current is None or h.rank > current[0]:
                other[key] = (h.rank, crit, e, h.notes)

    def plain(self) -> Iterable[tuple[Criterion, Entry]]:
        """(criterion, entry) of every asset whose best hit is a plain high one."""
        return self.high.values()

    def others(self) -> Iterator[Decided]:
        """The best hit of every other asset."""
        high = self.high
        for ref, decided in self.other.items():
            if ref not in high:
                yield decided


def _noted_match(vuln: CompiledVuln, rank: int, crit: Criterion, e: Entry, notes: Notes) -> Match:
    """The Match of a hit with its notes (make_match without a Hit)."""
    installed = e.installed or installed_words(e)
    if len(notes) == 1:
        # One string built, not three.
        reason = f"{crit.reason_prefix}{installed}; {render_part(*notes[0])}"
    elif notes:
        reason = "; ".join((crit.reason_prefix + installed, *(render_part(*n) for n in notes)))
    else:
        reason = crit.reason_prefix + installed
    return new_match(
        e.asset_id,
        vuln.id,
        vuln.source,
        CONFIDENCE[rank],
        reason,
        crit.text,
        crit.version_range,
        (crit.reason_part, e.installed_part, *notes),
    )


_CHUNK = 20_000  # matches handed out per collector pause by VulnIndex.match


class _Batch:
    """One VulnIndex.match run: its matches so far and the work left for the end."""

    __slots__ = ("complex_hits", "deferred", "found", "multi", "vulns", "wanted")

    def __init__(
        self, vulns: dict[str, CompiledVuln], multi: set[int], wanted: set[str] | None
    ) -> None:
        self.vulns = vulns
        self.multi = multi  # assets with several indexed CPEs: deduplicated at the end
        self.wanted = wanted
        self.found: list[Match] = []
        self.deferred: dict[tuple[Hashable, str], Hit] = {}
        self.complex_hits: dict[tuple[Hashable, str], dict[int, list[Hit]]] = {}

    def take(self) -> list[Match]:
        found = self.found
        self.found = []
        return found

    def key(
        self, key: Key, entries: list[Entry], crits_by_vuln: Iterable[tuple[str, list[Criterion]]]
    ) -> None:
        """Every vulnerability's criteria for one (vendor, product) against its entries."""
        bucket = _Bucket()
        for e in entries:
            bucket.add(e)
        vulns = self.vulns
        plain_only = not self.multi and self.wanted is None
        append = self.found.append
        for vuln_id, crits in crits_by_vuln:
            vuln = vulns[vuln_id]
            if vuln.complex:
                complex_hits = self.complex_hits
                for crit in crits:
                    for hit in _hits(crit, bucket):
                        per_tree = complex_hits.setdefault((hit.entry.root, vuln_id), {})
                        per_tree.setdefault(crit.index, []).append(hit)
                continue
            if len(crits) == 1:
                # One criterion: at most one hit per entry, so nothing to deduplicate (an
                # asset with two CPEs here is in `multi` and deduplicated at the end).
                crit = crits[0]
                found = _scan(crit, bucket)
                if plain_only:
                    if found.high:
                        source = vuln.source
                        prefix = crit.reason_prefix
                        head = crit.reason_part
                        text = crit.text
                        version_range = crit.version_range
                        for e in found.high:
                            append(
                                new_match(
                                    e.asset_id,
                                    vuln_id,
                                    source,
                                    _HIGH,
                                    prefix + (e.installed or installed_words(e)),
                                    text,
                                    version_range,
                                    (head, e.installed_part),
                                )
                            )
                    for e, notes in found.medium:
                        append(_noted_match(vuln, MEDIUM, crit, e, notes))
                    for h in found.others:
                        append(make_match(vuln, h.rank, h))
                    continue
                hits: Iterable[Hit] = _hits_of(crit, found)
            else:
                best = _Best()
                for crit in crits:
                    best.add(crit, _scan(crit, bucket))
                if plain_only:
                    source = vuln.source
                    for c, e in best.plain():
                        append(
                            new_match(
                                e.asset_id,
                                vuln_id,
                                source,
                                _HIGH,
                                c.reason_prefix + (e.installed or installed_words(e)),
                                c.text,
                                c.version_range,
                                (c.reason_part, e.installed_part),
                            )
                        )
                    for rank, crit, e, notes in best.others():
                        append(_noted_match(vuln, rank, crit, e, notes))
                    continue
                hits = [
                    *(Hit(c, e, HIGH) for c, e in best.plain()),
                    *(Hit(c, e, rank, notes) for rank, c, e, notes in best.others()),
                ]
            self._filtered(vuln, hits)

    def _filtered(self, vuln: CompiledVuln, hits: Iterable[Hit]) -> None:
        """Emit hits through the `only` filter; assets with several CPEs wait for the end."""
        wanted = self.wanted
        multi = self.multi
        deferred = self.deferred
        for hit in hits:
            if wanted is not None and hit.entry.asset_id not in wanted:
                continue
            ref = hit.entry.ref
            if ref in multi:
                pair = (ref, vuln.id)
                if _better(deferred.get(pair), hit):
                    deferred[pair] = hit
                continue
            self.found.append(make_match(vuln, hit.rank, hit))

    def finish(self) -> None:
        """The deduplicated matches of multi-CPE assets, then the AND configurations."""
        vulns = self.vulns
        wanted = self.wanted
        found = self.found
        found.extend(make_match(vulns[v], hit.rank, hit) for (_, v), hit in self.deferred.items())
        for (_, vuln_id), hits in self.complex_hits.items():
            vuln = vulns[vuln_id]
            for rank, hit, platform in tree_matches(vuln, hits).values():
                if wanted is None or hit.entry.asset_id in wanted:
                    found.append(make_match(vuln, rank, hit, platform))


class VulnIndex:
    """All vulnerabilities' compiled configurations, for matching inventories."""

    def __init__(self) -> None:
        self._vulns: dict[str, CompiledVuln] = {}
        self._criteria = _CriteriaByKey()

    def __len__(self) -> int:
        return len(self._vulns)

    def __contains__(self, vuln_id: object) -> bool:
        return vuln_id in self._vulns

    def get(self, vuln_id: str) -> CompiledVuln | None:
        return self._vulns.get(vuln_id)

    def put(self, vuln_id: str, configurations: object, *, source: str = "nvd") -> CompiledVuln:
        """Add or replace one vulnerability; returns its compilation (see `.problems`)."""
        compiled = compile_configurations(vuln_id, configurations, source)
        self.put_compiled(compiled)
        return compiled

    def put_compiled(self, compiled: CompiledVuln) -> None:
        self.remove(compiled.id)
        if compiled.lookup:
            self._vulns[compiled.id] = compiled
            self._criteria.add(compiled)

    def put_record(self, record: VulnRecord) -> CompiledVuln | None:
        """Add or replace a feed record; a rejected record is removed (returns None)."""
        if record.rejected:
            self.remove(record.id)
            return None
        return self.put(record.id, record.configurations, source=record.source)

    def put_many(
        self, items: Iterable[tuple[str, object]], *, source: str = "nvd"
    ) -> list[CompiledVuln]:
        """`put` for many (vulnerability id, configurations) pairs: a whole feed at once.

        The cyclic garbage collector is paused meanwhile (measured on the 32,184 Anchore
        records: 2.3 s with it, 1.1 s without); the input is read before the pause.
        """
        items = list(items)
        with _gc_paused():
            return [self.put(v, c, source=source) for v, c in items]

    def put_records(self, records: Iterable[VulnRecord]) -> list[CompiledVuln | None]:
        """`put_record` for many records, with the collector paused as in `put_many`."""
        records = list(records)
        with _gc_paused():
            return [self.put_record(r) for r in records]

    def remove(self, vuln_id: str) -> bool:
        compiled = self._vulns.pop(vuln_id, None)
        if compiled is None:
            return False
        self._criteria.remove(compiled)
        return True

    def match(
        self,
        assets: Iterable[AssetRecord],
        *,
        only: Collection[str] | None = None,
        errors: list[InputError] | None = None,
        source_name: str = "inventory",
    ) -> Iterator[Match]:
        """Match one inventory (one establishment); one Match per (asset, vulnerability).

        `only`: emit matches for these asset ids only (the others are context for AND
        configurations). Invalid CPEs are appended to `errors` and skipped.
        """
        assets = list(assets)
        criteria = self._criteria
        groups: dict[Key, list[Entry]] = {}
        multi: set[int] = set()
        with _gc_paused():
            roots = asset_roots(assets)
            for idx, asset in enumerate(assets):
                kept = 0
                for text in asset.cpes:
                    parsed = parse_asset_cpe(text, asset, errors, source_name)
                    if parsed is None:
                        continue
                    cpe, key = parsed
                    if not criteria.wants(key):
                        continue
                    kept += 1
                    groups.setdefault(key, []).append(Entry(idx, roots[idx], asset.id, cpe, text))
                if kept > 1:
                    multi.add(idx)
        run = _Batch(self._vulns, multi, None if only is None else set(only))
        # Matches are made with the collector paused and handed out in chunks outside the
        # pause: one collection per chunk instead of one per key (the caller may keep them all).
        pending = iter(groups.items())
        more = True
        while more:
            more = False
            with _gc_paused():
                for key, entries in pending:
                    run.key(key, entries, criteria.for_key(key))
                    if len(run.found) >= _CHUNK:
                        more = True
                        break
                found = run.take()
            yield from found
        with _gc_paused():
            run.finish()
            found = run.take()
        yield from found

    def match_asset(
        self,
        asset: AssetRecord,
        tree: Iterable[AssetRecord] = (),
        *,
        errors: list[InputError] | None = None,
        source_name: str = "inventory",
    ) -> Iterator[Match]:
        """Match one new or changed asset; `tree` = the other assets of its tree (context).

        A change can also make AND configurations true for *other* assets of the tree (a new
        OS under an application): re-match the whole tree with `match(tree_assets)` for that.
        """
        others = [a for a in tree if a.id != asset.id]
        return self.match(
            [asset, *others], only=(asset.id,), errors=errors, source_name=source_name
        )


def _alerting(vuln: CompiledVuln) -> set[int]:
    """Indexes of the criteria whose hits can raise a Match (tree_matches' own rule):
    vulnerable, in a node and a configuration that are not negated."""
    out: set[int] = set()
    for cfg in vuln.configurations:
        if cfg.negate:
            continue
        for node in cfg.nodes:
            if not node.negate:
                out.update(i for i in node.criteria if vuln.criteria[i].vulnerable)
    return out


def _needs_platform(vuln: CompiledVuln, alerting: set[int]) -> bool:
    """Whether every configuration that can alert is an AND needing a node of non-alerting
    criteria to hold (an application on a platform): then a tree without a hit of those
    criteria gets no Match, whatever its alerting hits."""
    alerting_configs = [
        cfg
        for cfg in vuln.configurations
        if not cfg.negate and any(i in alerting for n in cfg.nodes for i in n.criteria)
    ]
    return bool(alerting_configs) and all(
        cfg.operator == "AND"
        and any(
            not n.negate and n.criteria and not any(i in alerting for i in n.criteria)
            for n in cfg.nodes
        )
        for cfg in alerting_configs
    )


_LOT = 512  # Match records made per collector pause by InventoryIndex.match_compiled

T = TypeVar("T")


def _lots(items: list[T]) -> Iterator[list[T]]:
    for i in range(0, len(items), _LOT):
        yield items[i : i + _LOT]


def _repeated_keys(entries: list[tuple[Key, Entry]]) -> Iterator[tuple[Key, int]]:
    """(key, entries) for the keys an asset has several CPEs under."""
    counts: dict[Key, int] = {}
    for key, _ in entries:
        counts[key] = counts.get(key, 0) + 1
    return ((key, n) for key, n in counts.items() if n > 1)


class _Stored:
    __slots__ = ("entries", "record")

    def __init__(self, record: AssetRecord, entries: list[tuple[Key, Entry]]) -> None:
        self.record = record
        self.entries = entries


class InventoryIndex:
    """The installed CPEs of the assets of all establishments, for matching new CVEs."""

    def __init__(self) -> None:
        self._assets: dict[tuple[Hashable, str], _Stored] = {}
        self._scopes: dict[Hashable, set[str]] = {}
        self._buckets: dict[Key, _Bucket] = {}
        self._products: dict[str, dict[str, int]] = {}  # vendor -> product -> entries
        # (scope, parent id) -> ids of the assets naming it as parent: finds a tree's members
        self._children: dict[tuple[Hashable, str], set[str]] = {}

    def __len__(self) -> int:
        return len(self._assets)

    def __contains__(self, scoped_id: object) -> bool:
        return scoped_id in self._assets

    def put(
        self, scope: Hashable, asset: AssetRecord, *, source_name: str = "inventory"
    ) -> list[InputError]:
        """Add or replace one asset of `scope`; returns the problems with its CPEs."""
        errors: list[InputError] = []
        ref = (scope, asset.id)
        if ref in self._assets:
            self.remove(scope, asset.id)
        entries: list[tuple[Key, Entry]] = []
        for text in asset.cpes:
            parsed = parse_asset_cpe(text, asset, errors, source_name)
            if parsed is None:
                continue
            cpe, key = parsed
            entry = Entry(ref, None, asset.id, cpe, text, scope)
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket()
            bucket.add(entry)
            products = self._products.setdefault(key[0], {})
            products[key[1]] = products.get(key[1], 0) + 1
            entries.append((key, entry))
        if len(entries) > 1:
            for _, entry in entries:
                entry.solo = False
            for key, n in _repeated_keys(entries):
                self._buckets[key].shared += n
        self._assets[ref] = _Stored(asset, entries)
        self._scopes.setdefault(scope, set()).add(asset.id)
        if asset.parent:
            self._children.setdefault((scope, asset.parent), set()).add(asset.id)
        return errors

    def put_many(
        self, scope: Hashable, assets: Iterable[AssetRecord], *, source_name: str = "inventory"
    ) -> list[InputError]:
        """`put` for many assets (a whole establishment's inventory)."""
        errors: list[InputError] = []
        with _gc_paused():
            for asset in assets:
                errors.extend(self.put(scope, asset, source_name=source_name))
        return errors

    def remove(self, scope: Hashable, asset_id: str) -> bool:
        stored = self._assets.pop((scope, asset_id), None)
        if stored is None:
            return False
        if len(stored.entries) > 1:
            for key, n in _repeated_keys(stored.entries):
                self._buckets[key].shared -= n
        for key, entry in stored.entries:
            bucket = self._buckets[key]
            bucket.remove(entry)
            if not len(bucket):
                del self._buckets[key]
            products = self._products[key[0]]
            products[key[1]] -= 1
            if not products[key[1]]:
                del products[key[1]]
                if not products:
                    del self._products[key[0]]
        ids = self._scopes.get(scope)
        if ids is not None:
            ids.discard(asset_id)
            if not ids:
                del self._scopes[scope]
        parent = stored.record.parent
        if parent:
            siblings = self._children.get((scope, parent))
            if siblings is not None:
                siblings.discard(asset_id)
                if not siblings:
                    del self._children[(scope, parent)]
        return True

    def remove_scope(self, scope: Hashable) -> int:
        """Remove every asset of one establishment; returns how many."""
        ids = list(self._scopes.get(scope, ()))
        for asset_id in ids:
            self.remove(scope, asset_id)
        return len(ids)

    def settle(self) -> None:
        """Sort pending additions now, so the first queries after a bulk load do not pay."""
        for bucket in self._buckets.values():
            bucket.settle()

    def match_vulnerability(
        self, vuln_id: str, configurations: object, *, source: str = "nvd"
    ) -> Iterator[tuple[Hashable, Match]]:
        """(scope, Match) for every asset of every scope that this vulnerability hits."""
        return self.match_compiled(compile_configurations(vuln_id, configurations, source))

    def match_compiled(self, vuln: CompiledVuln) -> Iterator[tuple[Hashable, Match]]:
        """`match_vulnerability` for an already compiled vulnerability.

        Every candidate is found and decided first, without making any record; the Match
        records are then made a few hundred at a time as the caller takes them (with the
        collector paused for each lot: no caller code runs inside), so the first alerts of a
        CVE that hits thousands of assets can be written while the rest are still to be made.
        The lots are chained in C: no Python frame resumes per match.
        """
        return chain.from_iterable(self._match_lots(vuln))

    def _match_lots(self, vuln: CompiledVuln) -> Iterator[list[tuple[Hashable, Match]]]:
        if vuln.complex:
            yield self._match_mixed(vuln)
            return
        lookup = vuln.lookup
        vuln_id = vuln.id
        source = vuln.source
        if len(lookup) == 1:
            crit = lookup[0]
            buckets = list(self._buckets_for(crit))
            if len(buckets) == 1 and not buckets[0].shared:
                # One criterion, one bucket, one entry per asset in it: nothing to deduplicate.
                found = _scan(crit, buckets[0])
                prefix = crit.reason_prefix
                head = crit.reason_part
                text = crit.text
                version_range = crit.version_range
                for lot in _lots(found.high):
                    with _gc_paused():
                        made = [
                            (
                                e.scope,
                                new_match(
                                    e.asset_id,
                                    vuln_id,
                                    source,
                                    _HIGH,
                                    prefix + (e.installed or installed_words(e)),
                                    text,
                                    version_range,
                                    (head, e.installed_part),
                                ),
                            )
                            for e in lot
                        ]
                    yield made
                for lot_m in _lots(found.medium):
                    with _gc_paused():
                        made = [
                            (e.scope, _noted_match(vuln, MEDIUM, crit, e, notes))
                            for e, notes in lot_m
                        ]
                    yield made
                yield [(h.entry.scope, make_match(vuln, h.rank, h)) for h in found.others]
                return
        best = _Best()
        for crit in lookup:
            for bucket in self._buckets_for(crit):
                best.add(crit, _scan(crit, bucket))
        for lot_p in _lots(list(best.plain())):
            with _gc_paused():
                made = [
                    (
                        e.scope,
                        new_match(
                            e.asset_id,
                            vuln_id,
                            source,
                            _HIGH,
                            c.reason_prefix + (e.installed or installed_words(e)),
                            c.text,
                            c.version_range,
                            (c.reason_part, e.installed_part),
                        ),
                    )
                    for c, e in lot_p
                ]
            yield made
        for lot_o in _lots(list(best.others())):
            with _gc_paused():
                made = [
                    (e.scope, _noted_match(vuln, rank, c, e, notes)) for rank, c, e, notes in lot_o
                ]
            yield made

    def _match_mixed(self, vuln: CompiledVuln) -> list[tuple[Hashable, Match]]:
        """A vulnerability with AND / negated configurations, and often plain ones beside.

        The plain configurations (git's ranges next to "Git for Windows AND Windows") need no
        tree: their hits are taken as for a plain vulnerability; only the others are evaluated
        tree by tree. Per asset the best confidence wins, then the first configuration, as
        tree_matches over all of them would decide.
        """
        configs = vuln.configurations
        plain = [c for c in vuln.lookup if configs[c.config].simple]
        if not plain:
            return list(self._match_complex(vuln, vuln.lookup))
        best = _Best()
        for crit in plain:
            for bucket in self._buckets_for(crit):
                best.add(crit, _scan(crit, bucket))
        # asset -> ((confidence, earlier configuration first), scope, Match)
        chosen: dict[object, tuple[tuple[int, int], Hashable, Match]] = {}
        for crit, e in best.plain():
            match = _noted_match(vuln, HIGH, crit, e, ())
            chosen[e if e.solo else e.ref] = ((HIGH, -crit.config), e.scope, match)
        for rank, crit, e, notes in best.others():
            match = _noted_match(vuln, rank, crit, e, notes)
            chosen[e if e.solo else e.ref] = ((rank, -crit.config), e.scope, match)
        others = replace(vuln, configurations=tuple(c for c in configs if not c.simple))
        rest = [c for c in vuln.lookup if not configs[c.config].simple]
        for rank, hit, platform in self._complex_hits(others, rest):
            e = hit.entry
            key = e if e.solo else e.ref
            order = (rank, -hit.crit.config)
            current = chosen.get(key)
            if current is None or order > current[0]:
                chosen[key] = (order, e.scope, make_match(vuln, rank, hit, platform))
        return [(scope, match) for _, scope, match in chosen.values()]

    def _match_complex(
        self, vuln: CompiledVuln, lookup: Sequence[Criterion]
    ) -> Iterator[tuple[Hashable, Match]]:
        for rank, hit, platform in self._complex_hits(vuln, lookup):
            yield hit.entry.scope, make_match(vuln, rank, hit, platform)

    def _complex_hits(
        self, vuln: CompiledVuln, lookup: Sequence[Criterion]
    ) -> Iterator[tuple[int, Hit, Notes]]:
        """AND / negated configurations, evaluated tree by tree.

        Only a tree holding a hit of a criterion that can raise a Match (`_alerting`) can get
        one. When every configuration that can alert also needs a platform (a node of
        non-alerting criteria that must hold), only trees holding a platform hit too can: the
        side whose criteria name fewer installed CPEs is read first and the other one only
        kept inside its trees. Otherwise the alerting hits are found first and the other
        criteria (platforms, negated nodes) evaluated in those trees only (`_conditions`).
        """
        alerting = _alerting(vuln)
        alerts = [c for c in lookup if c.index in alerting]
        conditions = [c for c in lookup if c.index not in alerting]
        needs_platform = bool(conditions) and _needs_platform(vuln, alerting)
        if needs_platform and self._size(conditions) < self._size(alerts):
            trees = self._tree_hits(conditions, None)
            if trees:
                self._tree_hits(alerts, trees)
        else:
            trees = self._tree_hits(alerts, None)
            if trees and conditions:
                self._conditions(conditions, trees)
        for hits in trees.values():
            if needs_platform and all(i in alerting for i in hits):
                continue  # no platform hit in this tree: no configuration can be true
            if not any(i in alerting for i in hits):
                continue  # nothing here can raise a Match
            yield from tree_matches(vuln, hits).values()

    def _size(self, crits: list[Criterion]) -> int:
        return sum(len(b) for crit in crits for b in self._buckets_for(crit))

    def _tree_hits(
        self,
        crits: list[Criterion],
        trees: dict[tuple[Hashable, str], dict[int, list[Hit]]] | None,
    ) -> dict[tuple[Hashable, str], dict[int, list[Hit]]]:
        """Hits of `crits` by tree; with `trees`, only added to the trees already there."""
        out: dict[tuple[Hashable, str], dict[int, list[Hit]]] = {} if trees is None else trees
        for crit in crits:
            for bucket in self._buckets_for(crit):
                for hit in _hits(crit, bucket):
                    entry = hit.entry
                    tree = (entry.scope, self._root(entry.scope, entry.asset_id))
                    if trees is None:
                        per_tree = out.setdefault(tree, {})
                    else:
                        found = out.get(tree)
                        if found is None:
                            continue
                        per_tree = found
                    per_tree.setdefault(crit.index, []).append(hit)
        return out

    def _conditions(
        self, conditions: list[Criterion], trees: dict[tuple[Hashable, str], dict[int, list[Hit]]]
    ) -> None:
        """Add the hits of the non-alerting criteria inside the given trees."""
        budget = sum(len(b) for crit in conditions for b in self._buckets_for(crit))
        members: list[tuple[tuple[Hashable, str], _Stored]] = []
        for tree in trees:
            for stored in self._members(*tree):
                members.append((tree, stored))
                budget -= len(stored.entries)
            if budget < 0:
                break
        if budget >= 0:
            for tree, stored in members:
                hits = trees[tree]
                for _, entry in stored.entries:
                    for crit in conditions:
                        if (h := evaluate_criterion(crit, entry)) is not None:
                            hits.setdefault(crit.index, []).append(h)
            return
        for crit in conditions:  # big trees: read the criteria's keys, keep hits in the trees
            for bucket in self._buckets_for(crit):
                for hit in _hits(crit, bucket):
                    entry = hit.entry
                    in_tree = trees.get((entry.scope, self._root(entry.scope, entry.asset_id)))
                    if in_tree is not None:
                        in_tree.setdefault(crit.index, []).append(hit)

    def _members(self, scope: Hashable, root: str) -> Iterator[_Stored]:
        """The assets whose root (as `_root` finds it) is `root`: its descendants, checked."""
        seen = {root}
        todo = [root]
        while todo:
            asset_id = todo.pop()
            stored = self._assets.get((scope, asset_id))
            if stored is not None and self._root(scope, asset_id) == root:
                yield stored
            for child in self._children.get((scope, asset_id), ()):
                if child not in seen:
                    seen.add(child)
                    todo.append(child)

    def _buckets_for(self, crit: Criterion) -> Iterator[_Bucket]:
        vendor = crit.cpe.vendor
        product = crit.cpe.product
        if not isinstance(vendor, str):
            return
        if isinstance(product, str):
            bucket = self._buckets.get((vendor, product))
            if bucket is not None:
                yield bucket
            return
        if isinstance(product, Wildcard):
            for name in self._products.get(vendor, {}):
                if product.matches(name):
                    yield self._buckets[(vendor, name)]

    def _root(self, scope: Hashable, asset_id: str) -> str:
        """The root ancestor's id within the scope (cycles and over-long chains cut)."""
        current = asset_id
        seen = {current}
        for _ in range(_MAX_DEPTH):
            stored = self._assets.get((scope, current))
            parent = stored.record.parent if stored is not None else None
            if not parent or parent in seen or (scope, parent) not in self._assets:
                return current
            seen.add(parent)
            current = parent
        return current


def match_brute_force(vulns: Iterable[CompiledVuln], assets: Sequence[AssetRecord]) -> list[Match]:
    """Reference: every configuration of every vulnerability on every asset tree, no index.

    Costs assets x criteria; for tests and for explaining a single decision.
    """
    roots = asset_roots(assets)
    trees: dict[int, list[Entry]] = {}
    for idx, asset in enumerate(assets):
        for text in asset.cpes:
            parsed = parse_asset_cpe(text, asset, None, "")
            if parsed is not None:
                trees.setdefault(roots[idx], []).append(
                    Entry(idx, roots[idx], asset.id, parsed[0], text)
                )
    out: list[Match] = []
    for vuln in vulns:
        for entries in trees.values():
            hits: dict[int, list[Hit]] = {}
            for crit in vuln.criteria:
                found = [h for e in entries if (h := evaluate_criterion(crit, e)) is not None]
                if found:
                    hits[crit.index] = found
            for rank, hit, platform in tree_matches(vuln, hits).values():
                out.append(make_match(vuln, rank, hit, platform))
    return out
