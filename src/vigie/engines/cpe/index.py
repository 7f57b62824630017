"""Match inventories against NVD configurations: two incremental indexes and a reference.

* `VulnIndex` holds the compiled configurations of all vulnerabilities, keyed by the
  (vendor, product) of their criteria. `match(assets)` matches a whole inventory (one
  establishment) in one pass; `match_asset(asset, tree)` matches one new or changed asset.
  `put` / `put_record` / `remove` keep it current as feeds change (rejected CVEs are removed).
* `InventoryIndex` holds the installed CPEs of the assets of all establishments, keyed by
  (vendor, product) and sorted by version inside each key. Assets are put and removed under a
  caller-given scope (an establishment id: asset ids are unique within a scope only);
  `match_vulnerability(vuln_id, configurations)` answers "which assets of which establishments
  does this new CVE hit" by looking up only the keys its criteria name.
* `match_brute_force(vulns, assets)` evaluates every configuration on every asset tree, with no
  index: the reference the tests compare both indexes with.

What matches is decided in nvd_eval.py (the semantics, documented there and in
docs/notes/matching.md); the indexes only choose which (criterion, installed CPE) pairs to
evaluate: inside a key, installed CPEs with a literal version are sorted by
`versions.version_key`, so a range criterion takes a slice found by bisection and an exact
one an equal run; installed CPEs with version `*`, `-` or a pattern are kept apart and offered to
every criterion that could accept them.

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
from operator import attrgetter

from vigie.engines.cpe.configurations import (
    CompiledVuln,
    Criterion,
    VersionKey,
    compile_configurations,
)
from vigie.engines.cpe.evaluate import (
    HIGH,
    Entry,
    Hit,
    evaluate_criterion,
    make_match,
    tree_matches,
)
from vigie.engines.cpe.names import ANY, NA, Cpe, CpeError, Wildcard, parse_cpe
from vigie.engines.records import AssetRecord, InputError, Match, VulnRecord

__all__ = [
    "InventoryIndex",
    "VulnIndex",
    "asset_roots",
    "match_brute_force",
    "parse_asset_cpe",
]

Key = tuple[str, str]
_vkey = attrgetter("vkey")
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
    """The installed CPEs of one (vendor, product), literal versions sorted by version key."""

    __slots__ = ("any_", "keys", "literal", "na", "pending", "wild")

    def __init__(self) -> None:
        self.literal: list[Entry] = []
        self.keys: list[VersionKey] = []
        self.pending: list[Entry] = []
        self.any_: list[Entry] = []
        self.na: list[Entry] = []
        self.wild: list[Entry] = []

    def __len__(self) -> int:
        return (
            len(self.literal) + len(self.pending) + len(self.any_) + len(self.na) + len(self.wild)
        )

    def add(self, entry: Entry) -> None:
        if entry.vkey:
            self.pending.append(entry)
        elif entry.cpe.version is ANY:
            self.any_.append(entry)
        elif entry.cpe.version is NA:
            self.na.append(entry)
        else:
            self.wild.append(entry)

    def remove(self, entry: Entry) -> None:
        if not entry.vkey:
            for lst in (self.any_, self.na, self.wild):
                for i, e in enumerate(lst):
                    if e is entry:
                        del lst[i]
                        return
            return
        for i, e in enumerate(self.pending):
            if e is entry:
                del self.pending[i]
                return
        i = bisect_left(self.keys, entry.vkey)
        while i < len(self.literal) and self.keys[i] == entry.vkey:
            if self.literal[i] is entry:
                del self.literal[i]
                del self.keys[i]
                return
            i += 1

    def settle(self) -> None:
        """Merge pending additions into the sorted run (Timsort merges the two runs)."""
        if self.pending:
            self.literal.extend(self.pending)
            self.pending.clear()
            self.literal.sort(key=_vkey)
            self.keys = [e.vkey for e in self.literal]

    def candidates(self, crit: Criterion) -> Iterable[Entry]:
        """A superset of the entries `crit` can accept; evaluate_criterion decides."""
        self.settle()
        keys = self.keys
        version = crit.cpe.version
        if crit.has_range:
            lo = 0
            hi = len(keys)
            if crit.start_key is not None:
                lo = (bisect_left if crit.start_incl else bisect_right)(keys, crit.start_key)
            if crit.end_key is not None:
                hi = (bisect_right if crit.end_incl else bisect_left)(keys, crit.end_key)
            found = self.literal[lo:hi] if lo < hi else []
            if self.any_ or self.wild:
                found.extend(self.any_)
                found.extend(self.wild)
            return found
        if version is ANY:
            return [*self.literal, *self.any_, *self.na, *self.wild]
        if version is NA:
            return [*self.na, *self.any_]
        if isinstance(version, Wildcard):
            return [*self.literal, *self.any_, *self.wild]
        out: list[Entry] = []
        for key in (crit.version_key, crit.combined_key):
            if key is not None:
                lo = bisect_left(keys, key)
                hi = bisect_right(keys, key, lo)
                out.extend(self.literal[lo:hi])
        out.extend(self.any_)
        out.extend(self.wild)
        return out


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
    """The hits of one criterion among the installed CPEs of one bucket."""
    candidates = bucket.candidates(crit)
    if not crit.part_only_range:
        return [h for e in candidates if (h := evaluate_criterion(crit, e)) is not None]
    # The dominant case (a range on a criterion whose attributes after the version are all
    # `*`), inlined: a candidate with a literal version lies inside the bounds by
    # construction, so it is a high-confidence hit when its part agrees. This is exactly what
    # evaluate_criterion would decide; the rest (versions `*`, `-`, patterns; part `*`) goes
    # through it. Tests cross-check both indexes with the index-free reference.
    part = crit.cpe[0]
    out = []
    for e in candidates:
        if e.vkey and (part is ANY or e.cpe[0] == part):
            out.append(Hit(crit, e, HIGH))
        elif (h := evaluate_criterion(crit, e)) is not None:
            out.append(h)
    return out


def _best_hits(crits: Iterable[Criterion], bucket: _Bucket) -> dict[Hashable, Hit]:
    """The best hit per asset among one vulnerability's criteria (simple configurations)."""
    best: dict[Hashable, Hit] = {}
    for crit in crits:
        for hit in _hits(crit, bucket):
            current = best.get(hit.entry.ref)
            if current is None or hit.rank > current.rank:
                best[hit.entry.ref] = hit
    return best


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
        vulns = self._vulns
        wanted = None if only is None else set(only)
        deferred: dict[tuple[Hashable, str], Hit] = {}  # assets with several indexed CPEs
        complex_hits: dict[tuple[Hashable, str], dict[int, list[Hit]]] = {}
        for key, entries in groups.items():
            with _gc_paused():
                bucket = _Bucket()
                for e in entries:
                    bucket.add(e)
                found: list[Match] = []
                for vuln_id, crits in criteria.for_key(key):
                    vuln = vulns[vuln_id]
                    if vuln.complex:
                        for crit in crits:
                            for hit in _hits(crit, bucket):
                                tree = (hit.entry.root, vuln_id)
                                per_tree = complex_hits.setdefault(tree, {})
                                per_tree.setdefault(crit.index, []).append(hit)
                        continue
                    if len(crits) == 1:
                        # One criterion: at most one hit per entry, so no dict to dedupe
                        # (an asset with two CPEs here is in `multi` and deduped below).
                        single = _hits(crits[0], bucket)
                        pairs: Iterable[tuple[Hashable, Hit]] = ((h.entry.ref, h) for h in single)
                    else:
                        pairs = _best_hits(crits, bucket).items()
                    for ref, hit in pairs:
                        if wanted is not None and hit.entry.asset_id not in wanted:
                            continue
                        if ref in multi:
                            pair = (ref, vuln_id)
                            if _better(deferred.get(pair), hit):
                                deferred[pair] = hit
                            continue
                        found.append(make_match(vuln, hit.rank, hit))
            yield from found
        with _gc_paused():
            found = [make_match(vulns[v], hit.rank, hit) for (_, v), hit in deferred.items()]
            for (_, vuln_id), hits in complex_hits.items():
                vuln = vulns[vuln_id]
                for rank, hit, platform in tree_matches(vuln, hits).values():
                    if wanted is None or hit.entry.asset_id in wanted:
                        found.append(make_match(vuln, rank, hit, platform))
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
        self._assets[ref] = _Stored(asset, entries)
        self._scopes.setdefault(scope, set()).add(asset.id)
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
        """`match_vulnerability` for an already compiled vulnerability."""
        if not vuln.complex:
            best: dict[Hashable, Hit] = {}
            for crit in vuln.lookup:
                for bucket in self._buckets_for(crit):
                    for hit in _hits(crit, bucket):
                        ref = hit.entry.ref
                        current = best.get(ref)
                        if current is None or hit.rank > current.rank:
                            best[ref] = hit
            for hit in best.values():
                yield hit.entry.scope, make_match(vuln, hit.rank, hit)
            return
        complex_hits: dict[Hashable, dict[int, list[Hit]]] = {}
        for crit in vuln.lookup:
            for bucket in self._buckets_for(crit):
                for found in _hits(crit, bucket):
                    entry = found.entry
                    root = (entry.scope, self._root(entry.scope, entry.asset_id))
                    per_tree = complex_hits.setdefault(root, {})
                    per_tree.setdefault(crit.index, []).append(found)
        for hits in complex_hits.values():
            for rank, hit, platform in tree_matches(vuln, hits).values():
                yield hit.entry.scope, make_match(vuln, rank, hit, platform)

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
