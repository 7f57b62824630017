"""Side by side: our CPE matcher against an EMULATION of Dependency-Track's internal analyzer.

No assertions; figures are printed. Data (from $VIGIE_SHARED_DATA, default ../shared/data):
the 32,184 NVD-format records of vuln/nvd/anchore-nvd-overrides/all-overrides.jsonl.gz and
--names real CPE 2.3 names sampled with a fixed seed from vuln/cpe/scanoss-purl2cpe/ (as in
bench_nvd_match.py), one component per name.

What is emulated (OWASP Dependency-Track 4.x, read from its sources: the NVD mirror's
ModelConverter, VulnerableSoftwareQueryManager.getAllVulnerableSoftware and
AbstractVulnerableSoftwareAnalysisTask; this is NOT Dependency-Track itself):

* the mirror flattens every record into VulnerableSoftware rows: negated configurations and
  nodes are skipped, AND/OR structure is dropped, only `vulnerable` criteria are kept, and in
  an OR node holding both application and operating-system criteria only the applications are
  kept; a row is shared by every vulnerability listing the same (criterion, bounds), through a
  link table;
* the table is indexed on (part, vendor, product); for each component with a CPE the analyzer
  runs ONE query `part IN ('*', p) AND vendor IN ('*', v) AND product IN ('*', p)` (here joined
  with the link table, which is kinder than the ORM's lazy loading);
* each row is checked in application code: the eleven attributes by NISTIR 7696 (any DISJOINT
  refuses; mixed SUBSET/SUPERSET of vendor and product refuses), then the version: component
  version `*` takes every row, `-` takes rows whose version is `*` or `-` (ranges with a lower
  bound included), an exact version must be equal, a range is checked bound by bound. Versions
  are compared with vigie.engines.versions (Dependency-Track uses its own version classes).

Not modelled: the ORM and object creation, the REST and notification work around an analysis,
fuzzy matching, purl matching, the per-vulnerability findings written back.

The load-and-join floor: the same rows loaded into the database with the components, then ONE
join of components x vulnerable software on (vendor, product) fetched to Python with
the columns a version check needs, and no check: the cost of just moving the data.

    .venv/bin/python bench/bench_compare_dt.py                      # SQLite and PostgreSQL
    .venv/bin/python bench/bench_compare_dt.py --skip-postgres --names 20000
    .venv/bin/python bench/bench_compare_dt.py --database-url postgres://postgres@host:5432/

PostgreSQL: a scratch database `vigie_bench_dt` is created on that server and dropped at the end.
"""

from __future__ import annotations

import argparse
import gc
import re
import sqlite3
import tempfile
import time
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from _common import peak_rss_mb
from bench_nvd_match import load_configurations, load_cpes
from vigie.engines.cpe.evaluate import NA_UPPER_BOUND
from vigie.engines.cpe.index import VulnIndex
from vigie.engines.cpe.names import ANY, NA, Cpe, CpeError, Wildcard, parse_cpe
from vigie.engines.records import AssetRecord, Match
from vigie.engines.versions import version_key

SCRATCH_DB = "vigie_bench_dt"
BOUNDS = ("start_incl", "start_excl", "end_incl", "end_excl")
NVD_BOUNDS = (
    "versionStartIncluding",
    "versionStartExcluding",
    "versionEndIncluding",
    "versionEndExcluding",
)
ATTRS = (
    "part",
    "vendor",
    "product",
    "version",
    "upd",
    "edition",
    "lang",
    "sw_edition",
    "target_sw",
    "target_hw",
    "other",
)
Records = list[tuple[str, list[dict[str, Any]]]]
VsRow = tuple[Any, ...]  # id, 11 attributes, 4 bounds


def bound(value: object) -> str:
    """One CPE attribute as the row stores it: `*`, `-`, a pattern's text or the literal."""
    if value is ANY:
        return "*"
    if value is NA:
        return "-"
    if isinstance(value, Wildcard):
        return value.text
    return str(value)


# ------------------------------------------------------------------ the emulated NVD mirror


class Mirror:
    """VulnerableSoftware rows and their links to vulnerabilities, as DT's mirror writes them."""

    def __init__(self, records: Records) -> None:
        self.rows: list[VsRow] = []
        self.links: list[tuple[int, str]] = []
        ids: dict[tuple[str | None, ...], int] = {}
        seen: set[tuple[int, str]] = set()
        self.kept_criteria: set[tuple[str, str]] = set()  # (vuln, criterion) kept by the mirror
        for vuln_id, configurations in records:
            for cfg in configurations or ():
                if cfg.get("negate") is True:
                    continue  # "We can't compute negation."
                for node in cfg.get("nodes") or ():
                    if node.get("negate") is True or node.get("cpeMatch") is None:
                        continue
                    for text, cpe, m in self._kept(node):
                        key = (text, *(m.get(b) for b in NVD_BOUNDS))
                        vs_id = ids.get(key)
                        if vs_id is None:
                            vs_id = ids[key] = len(self.rows) + 1
                            self.rows.append(
                                (vs_id, *(bound(v) for v in cpe), *(m.get(b) for b in NVD_BOUNDS))
                            )
                        if (vs_id, vuln_id) not in seen:
                            seen.add((vs_id, vuln_id))
                            self.links.append((vs_id, vuln_id))
                        self.kept_criteria.add((vuln_id, text))

    @staticmethod
    def _kept(node: dict[str, Any]) -> list[tuple[str, Cpe, dict[str, Any]]]:
        parsed = []
        for m in node["cpeMatch"]:
            text = m.get("criteria")
            if not isinstance(text, str):
                continue
            try:
                parsed.append((text, parse_cpe(text), m))
            except CpeError:
                continue  # "Failed to parse CPE …; Skipping"
        if node.get("operator") != "AND":
            parts = {cpe.part for _, cpe, _ in parsed}
            if "a" in parts and "o" in parts:
                parsed = [p for p in parsed if p[1].part == "a"]
        return [p for p in parsed if p[2].get("vulnerable") is not False]


# --------------------------------------------------------------------- DT's checks, in Python

EQUAL, SUPERSET, SUBSET, DISJOINT = "equal", "superset", "subset", "disjoint"
_patterns: dict[str, re.Pattern[str]] = {}


def relation(source: str | None, target: str) -> str:
    """NISTIR 7696 Table 6-2 on the stored strings (source: the row, target: the component)."""
    if source is None or source == "*":
        return EQUAL if target == "*" else SUPERSET
    if source == "-":
        if target == "-":
            return EQUAL
        return SUBSET if target == "*" else DISJOINT
    if target == "*":
        return SUBSET
    if target == "-":
        return DISJOINT
    if source == target:
        return EQUAL
    if source[0] in "*?" or source[-1] in "*?":
        pattern = _patterns.get(source)
        if pattern is None:
            body = re.escape(source.strip("*?"))
            lead = (
                ".*" if source.startswith("*") else ".?" * (len(source) - len(source.lstrip("?")))
            )
            end = ".*" if source.endswith("*") else ".?" * (len(source) - len(source.rstrip("?")))
            pattern = _patterns[source] = re.compile(lead + body + end)
        return SUPERSET if pattern.fullmatch(target) else DISJOINT
    return DISJOINT


def matches_cpe(row: VsRow, target: Sequence[str]) -> bool:
    """AbstractVulnerableSoftwareAnalysisTask.matchesCpe: no DISJOINT attribute, no mixed
    SUBSET/SUPERSET between vendor and product."""
    relations = [relation(row[i + 1], target[i]) for i in range(11)]
    if DISJOINT in relations:
        return False
    vendor, product = relations[1], relations[2]
    return not (
        (vendor == SUBSET and product == SUPERSET) or (vendor == SUPERSET and product == SUBSET)
    )


def compare_versions(row: VsRow, version: str) -> bool:
    """compareCpeVersions: the special cases of `*` and `-`, an exact version, then the range."""
    if version == "*":
        return True
    if version == "-":
        return row[4] in ("*", "-")
    start_incl, start_excl, end_incl, end_excl = row[12:16]
    if not (start_incl or start_excl or end_incl or end_excl):
        if row[4] is not None and relation(row[4], version) != DISJOINT:
            return True
        return version_key(row[4]) == version_key(version)  # `Vers` with one EQUAL constraint
    key = version_key(version)
    if start_incl and key < version_key(start_incl):
        return False
    if start_excl and key <= version_key(start_excl):
        return False
    if end_incl and key > version_key(end_incl):
        return False
    return not (end_excl and key >= version_key(end_excl))


# ------------------------------------------------------------------------------ the databases


class Database(ABC):
    """The few operations the emulation needs, on SQLite or PostgreSQL (the two subclasses)."""

    name = ""
    placeholder = "?"

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    @abstractmethod
    def load(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None: ...

    @abstractmethod
    def commit(self) -> None: ...

    @abstractmethod
    def close(self) -> None: ...


class Sqlite(Database):
    name = "SQLite"

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path)
        self.cur = self.conn.cursor()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.cur.execute(sql, params).fetchall()

    def load(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        marks = ", ".join("?" * len(columns))
        # Table and column names are this file's constants, never outside input.
        insert = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
        self.cur.executemany(insert, rows)

    def commit(self) -> None:
        self.conn.commit()

    def close(self) -> None:
        self.conn.close()


class Postgres(Database):
    name = "PostgreSQL"
    placeholder = "%s"

    def __init__(self, server_url: str) -> None:
        import psycopg

        self.server_url = server_url.rstrip("/")
        with psycopg.connect(f"{self.server_url}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DB}")
            admin.execute(f"CREATE DATABASE {SCRATCH_DB}")
        self.conn = psycopg.connect(f"{self.server_url}/{SCRATCH_DB}")
        self.cur = self.conn.cursor()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        # The statements are the bench's own constants, never outside input.
        self.cur.execute(sql.replace("?", "%s"), params)
        return self.cur.fetchall() if self.cur.description else []

    def load(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        with self.cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def commit(self) -> None:
        self.conn.commit()

    def close(self) -> None:
        import psycopg

        self.conn.close()
        with psycopg.connect(f"{self.server_url}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DB}")


VS_COLUMNS = ("id", *ATTRS, *BOUNDS)
VS_DDL = (
    "CREATE TABLE vs (id INTEGER PRIMARY KEY, "
    + ", ".join(f"{a} TEXT NOT NULL" for a in ATTRS)
    + ", "
    + ", ".join(f"{b} TEXT" for b in BOUNDS)
    + ")"
)
COMPONENT_COLUMNS = ("id", *ATTRS)


def load_mirror(db: Database, mirror: Mirror) -> None:
    db.execute(VS_DDL)
    db.execute("CREATE TABLE vs_vuln (vs INTEGER NOT NULL, vuln TEXT NOT NULL)")
    db.load("vs", VS_COLUMNS, mirror.rows)
    db.load("vs_vuln", ("vs", "vuln"), mirror.links)
    db.execute("CREATE INDEX vs_cpe ON vs (part, vendor, product)")
    db.execute("CREATE INDEX vs_vuln_vs ON vs_vuln (vs)")
    db.execute("ANALYZE")
    db.commit()


# Column names from this file's constants; the component's values are parameters.
DT_QUERY = (
    "SELECT vs.id, "  # noqa: S608
    + ", ".join(f"vs.{a}" for a in ATTRS)
    + ", "
    + ", ".join(f"vs.{b}" for b in BOUNDS)
    + ", vs_vuln.vuln FROM vs JOIN vs_vuln ON vs_vuln.vs = vs.id"
    " WHERE vs.part IN ('*', ?) AND vs.vendor IN ('*', ?) AND vs.product IN ('*', ?)"
)


def dt_analyse(db: Database, names: Sequence[str]) -> dict[str, Any]:
    """Dependency-Track's internal analysis of each component, one query per component."""
    pairs: set[tuple[int, str]] = set()
    rows_read = 0
    skipped = 0
    in_db = 0.0
    clock = time.perf_counter
    t0 = clock()
    for i, name in enumerate(names):
        try:
            cpe = parse_cpe(name)  # CpeParser.parse; an invalid CPE is discarded
        except CpeError:
            skipped += 1
            continue
        if not isinstance(cpe.vendor, str) or not isinstance(cpe.product, str):
            skipped += 1  # DT would read every row of the vendor; ours reports these
            continue
        target = [bound(v) for v in cpe]
        t = clock()
        rows = db.execute(DT_QUERY, (target[0], target[1], target[2]))
        in_db += clock() - t
        rows_read += len(rows)
        decided: dict[int, bool] = {}
        version = target[3]
        for row in rows:
            ok = decided.get(row[0])
            if ok is None:
                ok = decided[row[0]] = matches_cpe(row, target) and compare_versions(row, version)
            if ok:
                pairs.add((i, row[16]))
    return {
        "analyse": clock() - t0,
        "in_db": in_db,
        "pairs": pairs,
        "rows": rows_read,
        "skipped": skipped,
    }


FLOOR_IDS = (
    "SELECT c.id, vs.id FROM component c JOIN vs ON vs.vendor = c.vendor AND vs.product = c.product"
)
FLOOR_CHECK = (
    "SELECT c.id, vs.id, c.version, vs.version, vs.start_incl, vs.start_excl, vs.end_incl,"
    " vs.end_excl FROM component c JOIN vs ON vs.vendor = c.vendor AND vs.product = c.product"
)


def floor(db: Database, names: Sequence[str]) -> dict[str, Any]:
    """Load the components, then one join with the rows, fetched, no check at all."""
    t0 = time.perf_counter()
    components = []
    for i, name in enumerate(names):
        try:
            cpe = parse_cpe(name)
        except CpeError:
            continue
        components.append((i, *(bound(v) for v in cpe)))
    db.execute(
        "CREATE TABLE component (id INTEGER PRIMARY KEY, "
        + ", ".join(f"{a} TEXT NOT NULL" for a in ATTRS)
        + ")"
    )
    db.load("component", COMPONENT_COLUMNS, components)
    db.commit()
    t1 = time.perf_counter()
    ids = db.execute(FLOOR_IDS)
    t2 = time.perf_counter()
    rows = db.execute(FLOOR_CHECK)
    t3 = time.perf_counter()
    return {
        "floor_components": t1 - t0,
        "floor_join": t2 - t1,
        "floor_rows": len(ids),
        "floor_join_check": t3 - t2,
        "floor_rows_check": len(rows),
    }


# ------------------------------------------------------------------------------------- ours


def ours_build(records: Records) -> tuple[VulnIndex, float]:
    t0 = time.perf_counter()
    index = VulnIndex()
    index.put_many(records)
    return index, time.perf_counter() - t0


def ours_match(index: VulnIndex, names: Sequence[str]) -> tuple[list[Match], float]:
    t0 = time.perf_counter()
    assets = [
        AssetRecord(id=str(i), name=name, kind="application", cpes=(name,))
        for i, name in enumerate(names)
    ]
    found = list(index.match(assets, errors=[]))
    return found, time.perf_counter() - t0


# ----------------------------------------------------------------------------- the comparison


Summary = dict[tuple[int, str], tuple[str, str, str]]  # (component, vuln) -> conf., reason, crit.


def why_ours_only(vuln: str, confidence: str, reason: str, criterion: str, mirror: Mirror) -> str:
    if NA_UPPER_BOUND in reason:
        return "installed `-` under an upper bound only (ours medium; DT reads `-` its own way)"
    if (vuln, criterion) not in mirror.kept_criteria:
        try:
            parsed = parse_cpe(criterion)
        except CpeError:
            return "criterion not kept by DT's mirror"
        if parsed.part == "o":
            return "operating-system criterion dropped by DT's mirror (applications in its node)"
        return "criterion not kept by DT's mirror"
    if isinstance(parse_cpe(criterion).product, Wildcard):
        return "criterion product is a pattern (DT's query asks for `*` or the equal product)"
    if "read as" in reason:
        return "spelled differently, equal as versions (ours medium; DT compares strings)"
    if confidence == "medium":
        return "other medium-confidence decision of ours"
    return "other"


def why_dt_only(vuln: str, name: str, index: VulnIndex) -> str:
    cpe = parse_cpe(name)
    compiled = index.get(vuln)
    if cpe.version is NA:
        return "component version `-`: DT takes it in every range whose version is `*`"
    if compiled is not None and compiled.complex:
        return "AND configuration: DT ignores the platform condition"
    return "other"


def compare(
    mine: Summary, dt: set[tuple[int, str]], names: Sequence[str], mirror: Mirror, index: Any
) -> None:
    both = mine.keys() & dt
    print(
        f"match sets: ours {len(mine):,} pairs, DT emulation {len(dt):,};"
        f" {len(both):,} in both, {len(mine) - len(both):,} ours only,"
        f" {len(dt) - len(both):,} DT only"
    )
    ours_only = Counter(why_ours_only(v, *mine[(i, v)], mirror) for (i, v) in mine.keys() - dt)
    dt_only = Counter(why_dt_only(v, names[i], index) for i, v in dt - mine.keys())
    confidence = Counter(mine[k][0] for k in both)
    print(f"  in both: {dict(confidence)} by our confidence")
    for title, counts in (("ours only", ours_only), ("DT only", dt_only)):
        for reason, n in counts.most_common():
            print(f"  {title}: {n:>7,}  {reason}")
    examples = [
        (names[i], v)
        for i, v in sorted(dt - mine.keys())
        if why_dt_only(v, names[i], index) == "other"
    ][:3]
    for name, vuln in examples:
        print(f"  DT only, other, e.g. {vuln} on {name}")


@contextmanager
def timed(label: str, out: dict[str, float]) -> Iterator[None]:
    t0 = time.perf_counter()
    yield
    out[label] = time.perf_counter() - t0


def run_database(
    make: Callable[[], Database], mirror: Mirror, names: Sequence[str]
) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    db = make()
    try:
        figures["name"] = db.name
        with timed("load", figures):
            load_mirror(db, mirror)
        figures.update(dt_analyse(db, names))
    finally:
        db.close()
    db = make()  # the floor in a fresh database: nothing cached by the analysis
    try:
        with timed("floor_load", figures):
            load_mirror(db, mirror)
        figures.update(floor(db, names))
    finally:
        db.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--names", type=int, default=100_000, help="components (CPE names)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()

    records = load_configurations()
    names = load_cpes(args.names, args.seed)
    print(
        "EMULATION of Dependency-Track's internal analyzer (see this file's docstring for what"
        " it models and what not); Dependency-Track itself is not run."
    )
    t0 = time.perf_counter()
    mirror = Mirror(records)
    flatten = time.perf_counter() - t0
    print(
        f"data: {len(records):,} records -> {len(mirror.rows):,} vulnerable-software rows,"
        f" {len(mirror.links):,} links (flattening {flatten:.1f} s, counted in DT's load);"
        f" {len(names):,} CPE names, seed {args.seed}"
    )

    gc.collect()
    index, build = ours_build(records)
    # A platform process holds its index, not the feed's parsed JSON (millions of objects the
    # garbage collector would traverse again at each full collection while matching).
    del records
    gc.collect()
    found, match = ours_match(index, names)
    matched = len(found)
    confidence = Counter(m.confidence for m in found)
    mine: Summary = {
        (int(m.asset), m.vulnerability): (m.confidence, m.reason, m.criterion) for m in found
    }
    del found  # (kept as plain tuples, which the collector leaves alone)
    gc.collect()
    rematch = ours_match(index, names)[1]  # the platform keeps its index between runs
    ours_rss = peak_rss_mb()

    results = []
    with tempfile.TemporaryDirectory(prefix="vigie-bench-dt-") as tmp:
        files = iter(Path(tmp) / f"dt-{n}.sqlite3" for n in range(2))
        results.append(run_database(lambda: Sqlite(next(files)), mirror, names))
    if not args.skip_postgres:
        results.append(run_database(lambda: Postgres(args.database_url), mirror, names))

    rows: list[tuple[str, float | None, float, str]] = [
        ("ours: VulnIndex build (put_many)", None, build, f"{len(index):,} records indexed"),
        ("ours: match (parse the names, match, Match records)", None, match, ""),
        ("ours: end to end", None, build + match, f"{matched:,} matches"),
        ("ours: index already built, match only", None, rematch, ""),
    ]
    for r in results:
        name = r["name"]
        dt_total = flatten + r["load"] + r["analyse"]
        floor_total = r["floor_load"] + r["floor_components"] + r["floor_join"]
        r["dt_total"] = dt_total
        r["floor_total"] = floor_total
        rows += [
            (f"DT emulation, {name}: flatten + load table", None, flatten + r["load"], ""),
            (
                f"DT emulation, {name}: analyse (one query each)",
                r["in_db"],
                r["analyse"],
                f"{len(r['pairs']):,} pairs, {r['rows']:,} rows read",
            ),
            (f"DT emulation, {name}: end to end", None, dt_total, ""),
            (
                f"floor, {name}: load rows + components",
                None,
                r["floor_load"] + r["floor_components"],
                "",
            ),
            (
                f"floor, {name}: one join, ids fetched",
                None,
                r["floor_join"],
                f"{r['floor_rows']:,} rows",
            ),
            (f"floor, {name}: total (no flattening)", None, floor_total, ""),
            (
                f"floor, {name}: join with the check's columns",
                None,
                r["floor_join_check"],
                f"{r['floor_rows_check']:,} rows (not counted)",
            ),
        ]
    print()
    print(f"{'':56} {'in the DB':>9} {'seconds':>8}")
    for label, in_db, seconds, note in rows:
        shown = f"{in_db:9.2f}" if in_db is not None else f"{'':9}"
        print(f"{label:56} {shown} {seconds:8.2f}  {note}")
    print(f"ours: {dict(confidence)}; peak RSS {ours_rss:.0f} MB before the databases")
    for r in results:
        print(
            f"{r['name']}: DT emulation / ours = {r['dt_total'] / (build + match):.1f}x end to"
            f" end (target >= 5x), {r['analyse'] / rematch:.1f}x with index and table kept,"
            f" {r['in_db'] / rematch:.1f}x counting only DT's time in the database;"
            f" ours / floor = {(build + match) / r['floor_total']:.2f}x (target <= 3x)"
        )
    print()
    compare(mine, results[0]["pairs"], names, mirror, index)
    print(f"peak RSS: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
