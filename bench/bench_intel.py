"""Threat intelligence at a million indicators: importing a file, serving TAXII pages.

    .venv/bin/python bench/bench_intel.py import [--count 1000000] [--database-url U] [--profile]
    .venv/bin/python bench/bench_intel.py taxii [--count 1000000] [--database-url U] [--profile]

* `import`: a CSV (`type,value,tlp,tags`) of `--count` indicators is built from real data: the
  ~120k IPs of `intel/iocs/ipsum/ipsum.txt` (tagged with how many blocklists name them), the
  maltrail trails of `intel/iocs/maltrail/` (domains, IPs, `ip:port` as the IP, `host/path` as
  an http URL, CIDRs; tagged with their trail file), then generated domains, URLs and MD5 /
  SHA-1 / SHA-256 hashes up to the count. Mostly no TLP cell (the import's default GREEN),
  1 in 50 AMBER, 1 in 200 CLEAR, 1 in 1,000 RED. Timed: the engine's reader alone
  (`read_indicator_file`), then `import_indicators` by a centre analyst into an empty
  collection, then the same file again (everything unchanged). Target: 1,000,000 indicators
  in under 2 minutes.
* `taxii`: one centre's collection is filled with `--count` GREEN indicators by bulk insert
  (the same values; `updated_at` distinct, spread over a year in an order unrelated to the row
  ids, as after re-imports), then pages of `limit=1000` are requested through the real views
  (`django.test.Client`, a Bearer API token of an establishment member of that centre): the
  first page, the pages after a few served `next` tokens, a page in the middle (a `next`
  cursor at the middle row, and `added_after` at the middle row's time) and the last page,
  20 requests each (p50 / p95 / max). The page query is timed alone and as a whole page, and
  its plan printed (`EXPLAIN ANALYZE` on PostgreSQL, `EXPLAIN QUERY PLAN` on SQLite).
  Target: under 200 ms per 1,000-object page of a 1,000,000-object collection, no OFFSET.

SQLite: a fresh database under a temporary VIGIE_HOME. PostgreSQL: the database named by
`--database-url` (its name must contain "bench") is dropped and created, and dropped again at
the end unless `--keep`.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import csv
import hashlib
import io
import os
import pstats
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from _common import DATA, peak_rss_mb

IOCS = DATA / "intel" / "iocs"
IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
IPV4_PORT = re.compile(r"(\d{1,3}(?:\.\d{1,3}){3}):\d+")
CIDR = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}/\d{1,2}")
TLDS = ("com", "net", "org", "info", "xyz", "top", "ru", "cn", "fr", "io", "biz", "online")
Row = tuple[str, str, str, str]  # type, value, tlp, tags


# --- Databases ---------------------------------------------------------------------------------


def _postgres_admin(url: str) -> tuple[Any, str]:
    import psycopg

    parts = urlsplit(url)
    name = unquote(parts.path.lstrip("/"))
    if "bench" not in name:
        raise SystemExit(f"refusing to drop {name!r}: a scratch database's name contains 'bench'")
    admin = psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password or ""),
        dbname="postgres",
        autocommit=True,
    )
    return admin, name


def recreate_postgres(url: str) -> None:
    from psycopg import sql

    admin, name = _postgres_admin(url)
    with admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_postgres(url: str) -> None:
    from django.db import connections
    from psycopg import sql

    connections.close_all()
    admin, name = _postgres_admin(url)
    with admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
    print(f"scratch database {name} dropped")


def setup_django(database_url: str | None) -> None:
    os.environ["VIGIE_HOME"] = tempfile.mkdtemp(prefix="vigie-bench-intel-")
    if database_url:
        recreate_postgres(database_url)
        os.environ["VIGIE_DATABASE_URL"] = database_url
        os.environ.setdefault("VIGIE_SECRET_KEY", "bench-" + "x" * 60 + "0123456789abcdef")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigie.settings")
    os.environ.setdefault("VIGIE_LOG_LEVEL", "WARNING")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    from django.db import connection

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")


# --- The indicators ----------------------------------------------------------------------------


def _trail_lines(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8", errors="replace") as source:
        for line in source:
            token = line.split("#", 1)[0].strip()
            if token:
                yield token.split()[0]


def real_indicators() -> Iterator[tuple[str, str, str]]:
    """(type, value, tags) of ipsum and the maltrail trails, as the files give them."""
    for token_line in (IOCS / "ipsum" / "ipsum.txt").open(encoding="utf-8"):
        if token_line.startswith("#"):
            continue
        fields = token_line.split()
        if len(fields) == 2:
            yield "ipv4", fields[0], f"ipsum;blocklists:{fields[1]}"
    trails = sorted((IOCS / "maltrail").glob("*/*.txt")) + sorted(
        (IOCS / "maltrail").glob("mass_scanner*.txt")
    )
    for path in trails:
        if path.parent.name == "data":
            continue  # allow-lists and ignore rules, not indicators
        kind = path.parent.name if path.parent.name != "maltrail" else "scanner"
        tags = f"maltrail:{kind};{path.stem}"
        for token in _trail_lines(path):
            if IPV4.fullmatch(token):
                yield "ipv4", token, tags
            elif match := IPV4_PORT.fullmatch(token):
                yield "ipv4", match.group(1), tags
            elif CIDR.fullmatch(token):
                yield "cidr", token, tags
            elif token.startswith("/"):
                continue  # a URL path without a host: no indicator type for it
            elif "/" in token:
                yield "url", f"http://{token}", tags
            else:
                yield "domain", token, tags


def generated_indicators(seed: int = 16) -> Iterator[tuple[str, str, str]]:
    """Endless distinct domains, URLs and hashes, deterministic for a seed."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    number = 0
    while True:
        number += 1
        label = "".join(rng.choice(letters) for _ in range(rng.randint(6, 14)))
        domain = f"{label}{number:x}.{rng.choice(TLDS)}"
        digest = hashlib.sha256(f"bench-{seed}-{number}".encode()).hexdigest()
        kind = number % 5
        if kind == 0:
            yield "domain", domain, "generated;phishing"
        elif kind == 1:
            path = "".join(rng.choice(letters) for _ in range(rng.randint(4, 20)))
            yield "url", f"https://{domain}/{path}/login.php?id={number}", "generated;phishing"
        elif kind == 2:
            yield "sha256", digest, "generated;malware"
        elif kind == 3:
            yield "md5", digest[:32], "generated;malware"
        else:
            yield "sha1", digest[:40], "generated;malware"


def build_rows(count: int) -> tuple[list[Row], int]:
    """`count` rows distinct by (type, lower-case value); how many came from real data."""
    seen: set[tuple[str, str]] = set()
    rows: list[Row] = []
    real = 0
    for origin, source in ((True, real_indicators()), (False, generated_indicators())):
        for type_, value, tags in source:
            if len(rows) >= count:
                break
            key = (type_, value.lower().rstrip("."))
            if key in seen:
                continue
            seen.add(key)
            n = len(rows)
            tlp = (
                "red"
                if n % 1000 == 999
                else "amber"
                if n % 50 == 49
                else "clear"
                if n % 200 == 199
                else ""
            )
            rows.append((type_, value, tlp, tags))
            real += origin
    return rows, real


def csv_bytes(rows: list[Row]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("type", "value", "tlp", "tags"))
    writer.writerows(rows)
    return out.getvalue().encode()


def _organisation(kind: str, slug: str, centre: Any = None) -> Any:
    from vigie.tenancy.models import Organisation

    return Organisation.objects.create(kind=kind, name=slug, slug=slug, centre=centre)


def _member(organisation: Any, username: str, role: str) -> Any:
    from django.contrib.auth import get_user_model

    from vigie.tenancy.models import Membership

    user = get_user_model().objects.create_user(
        username=username, email=f"{username}@bench.invalid"
    )
    Membership.objects.create(user=user, organisation=organisation, role=role)
    return user


def reset_peak_rss() -> None:
    """Start the kernel's peak-RSS count (VmHWM) again, where Linux allows it."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def rss_mb(field: str = "VmHWM") -> float:
    """VmHWM (peak since the last reset) or VmRSS (now) in MB; ru_maxrss elsewhere."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return peak_rss_mb()


def _profiled(call: Callable[[], Any], enabled: bool, lines: int = 30) -> Any:
    if not enabled:
        return call()
    profile = cProfile.Profile()
    result = profile.runcall(call)
    stats = pstats.Stats(profile, stream=sys.stdout)
    stats.sort_stats("tottime").print_stats(lines)
    stats.sort_stats("cumulative").print_stats(lines)
    return result


# --- import ------------------------------------------------------------------------------------


def bench_import(count: int, profile: bool, keep_csv: Path | None, once: bool) -> None:
    from django.db import connection

    from vigie.engines.indicators import read_indicator_file
    from vigie.intel.imports import import_indicators, warning_index
    from vigie.intel.models import Indicator, IndicatorSource
    from vigie.tenancy.access import org_access
    from vigie.tenancy.roles import OrgKind, Role

    started = time.perf_counter()
    rows, real = build_rows(count)
    data = csv_bytes(rows)
    types: dict[str, int] = {}
    for row in rows:
        types[row[0]] = types.get(row[0], 0) + 1
    print(
        f"CSV built in {time.perf_counter() - started:.1f} s: {len(rows):,} rows "
        f"({real:,} from ipsum and maltrail), {len(data) / 2**20:.1f} MiB; "
        + ", ".join(f"{t} {n:,}" for t, n in sorted(types.items()))
    )
    del rows
    if keep_csv is not None:
        keep_csv.write_bytes(data)
        print(f"CSV written to {keep_csv}")

    started = time.perf_counter()
    result = read_indicator_file(data, "bench.csv")
    parse = time.perf_counter() - started
    print(
        f"engine reader alone (read_indicator_file): {parse:.2f} s, "
        f"{result.objects_read / parse:,.0f} lines/s; {len(result.records):,} records, "
        f"{len(result.problems):,} problems"
    )
    del result
    started = time.perf_counter()
    warning_index()
    print(f"warning lists loaded in {time.perf_counter() - started:.2f} s (once per process)")

    centre = _organisation(OrgKind.CENTRE, "centre-bench")
    analyst = _member(centre, "analyst-bench", Role.ANALYST)
    access = org_access(analyst, centre.slug)
    for label in ("first import", "same file again")[: 1 if once else 2]:
        rss_start = rss_mb("VmRSS")
        reset_peak_rss()
        started = time.perf_counter()
        job = _profiled(
            lambda: import_indicators(
                access=access,
                data=data,
                file_name="bench.csv",
                source="bench",
                default_tlp="green",
            ),
            profile,
        )
        seconds = time.perf_counter() - started
        counts = job.counts
        print(
            f"{label}: {seconds:.1f} s, {counts['objects_read'] / seconds:,.0f} rows/s; "
            f"created {counts['created']:,}, updated {counts['updated']:,}, "
            f"unchanged {counts['unchanged']:,}, flagged {counts['flagged']:,}, "
            f"problems {counts['problems']:,}; peak RSS during the import {rss_mb():.0f} MB "
            f"(RSS at its start {rss_start:.0f} MB; the process so far {peak_rss_mb():.0f} MB)"
        )
    print(
        f"stored: {Indicator.objects.count():,} indicators, "
        f"{IndicatorSource.objects.count():,} sources, "
        f"{Indicator.recipients.through.objects.count():,} RED recipients ({connection.vendor})"
    )


# --- taxii -------------------------------------------------------------------------------------


def fill_collection(centre: Any, count: int) -> datetime:
    """`count` GREEN indicators of the centre; returns the earliest `updated_at`."""
    from django.db import connection, models, transaction

    from vigie.intel.models import Indicator

    rows, _real = build_rows(count)
    order = list(range(len(rows)))
    random.Random(7).shuffle(order)
    base = datetime(2025, 9, 1, tzinfo=UTC)
    step = timedelta(seconds=31, microseconds=537)
    field = Indicator._meta.get_field("updated_at")
    assert isinstance(field, models.DateTimeField)
    auto_now = field.auto_now
    # Bench only: keep the spread `updated_at` given here instead of "now" for every row.
    field.auto_now = False
    started = time.perf_counter()
    try:
        for start in range(0, len(rows), 5000):
            batch = []
            for n in range(start, min(start + 5000, len(rows))):
                type_, value, _tlp, tags = rows[n]
                moment = base + step * order[n]
                batch.append(
                    Indicator(
                        organisation=centre,
                        community_id=centre.pk,
                        type=type_,
                        value=value.lower(),
                        tlp="green",
                        tags=tags.split(";"),
                        first_seen=moment - timedelta(days=3),
                        last_seen=moment,
                        updated_at=moment,
                        stix_id=uuid.uuid4(),
                    )
                )
            with transaction.atomic():
                Indicator.objects.bulk_create(batch, batch_size=5000)
    finally:
        field.auto_now = auto_now
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    print(
        f"collection filled: {len(rows):,} GREEN indicators in "
        f"{time.perf_counter() - started:.1f} s (bulk insert, then VACUUM ANALYZE / ANALYZE)"
    )
    return base


def _quantiles(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered):.0f} / p95 {p95:.0f} / max {ordered[-1]:.0f} ms"


def _explain(rows: Any, limit: int) -> None:
    from django.db import connection

    sql, params = rows[: limit + 1].query.sql_with_params()
    print(f"  SQL has OFFSET: {'OFFSET' in sql.upper()}; LIMIT {limit + 1}")
    prefix = (
        "EXPLAIN (ANALYZE, BUFFERS) "
        if connection.vendor == "postgresql"
        else "EXPLAIN QUERY PLAN "
    )
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        for line in cursor.fetchall():
            print("    " + " | ".join(str(cell) for cell in line))


def bench_taxii(count: int, requests: int, walk: int, profile: bool) -> None:
    from django.db import connection
    from django.test import Client

    from vigie.api.tokens import create_token
    from vigie.intel.models import Indicator
    from vigie.taxii.collections import find_collection
    from vigie.taxii.objects import INDICATOR_RANK, Cursor, _indicator_rows, page, parse_filters
    from vigie.taxii.stix_objects import timestamp
    from vigie.tenancy.access import org_access
    from vigie.tenancy.roles import OrgKind, Role

    centre = _organisation(OrgKind.CENTRE, "centre-bench")
    establishment = _organisation(OrgKind.ESTABLISHMENT, "chu-bench", centre=centre)
    reader = _member(establishment, "reader-bench", Role.VIEWER)
    fill_collection(centre, count)
    _token, secret = create_token(user=reader, name="bench")
    client = Client(
        HTTP_HOST="127.0.0.1",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
        HTTP_ACCEPT="application/taxii+json;version=2.1",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    root = f"/taxii2/{establishment.slug}/"
    listing = client.get(root + "collections/").json()
    # The first collection of a root holds every indicator the reader may see.
    collection_id = listing["collections"][0]["id"]
    url = f"{root}collections/{collection_id}/objects/"
    access = org_access(reader, establishment.slug)
    collection = find_collection(access, collection_id)
    assert collection is not None

    ordered = Indicator.objects.order_by("updated_at", "pk").values_list("updated_at", "pk")
    total = Indicator.objects.count()

    def cursor_at(position: int) -> str:
        added, pk = ordered[position]
        return Cursor(added.astimezone(UTC), INDICATOR_RANK, str(pk)).encode()

    middle_added, _middle_pk = ordered[total // 2]
    middle_after = timestamp(middle_added - timedelta(microseconds=1))
    cases: list[tuple[str, dict[str, str]]] = [("first page", {"limit": "1000"})]

    # Served `next` tokens, followed from the first page.
    token = None
    walked: list[float] = []
    for _ in range(walk + 1):
        params = {"limit": "1000", **({"next": token} if token else {})}
        started = time.perf_counter()
        body = client.get(url, params).json()
        walked.append((time.perf_counter() - started) * 1000)
        token = body.get("next")
    print(f"followed {walk} `next` tokens from the first page: {_quantiles(walked[1:])} per page")
    if token:
        cases.append((f"page {walk + 2} (a served next token)", {"limit": "1000", "next": token}))
    cases += [
        (
            f"middle, next cursor at row {total // 2:,}",
            {"limit": "1000", "next": cursor_at(total // 2)},
        ),
        ("middle, added_after", {"limit": "1000", "added_after": middle_after}),
        (
            f"last page (cursor at row {total - 1001:,})",
            {"limit": "1000", "next": cursor_at(total - 1001)},
        ),
    ]
    print(f"TAXII pages of {total:,} objects, limit=1000, {requests} requests each:")
    for label, params in cases:
        timings = []
        response = None
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get(url, params)
            timings.append((time.perf_counter() - started) * 1000)
        assert response is not None
        body = response.json()
        # The same page in-process: the query alone, then the whole page (query and objects).
        filters = parse_filters(params)
        rows = _indicator_rows(collection, access, filters)
        assert rows is not None
        started = time.perf_counter()
        list(rows[: filters.limit + 1])
        query_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        page(collection, access, filters)
        page_ms = (time.perf_counter() - started) * 1000
        print(
            f"- {label}: HTTP {response.status_code}, {len(body.get('objects', [])):,} objects, "
            f"more={body['more']}, {len(response.content) / 1024:.0f} KiB; {_quantiles(timings)}; "
            f"in-process: query {query_ms:.0f} ms, page() {page_ms:.0f} ms"
        )
        _explain(rows, filters.limit)
    if profile:
        params = cases[2][1]
        print("profile of one request in the middle (next cursor):")
        _profiled(lambda: client.get(url, params), True, lines=25)
    print(f"peak RSS {peak_rss_mb():.0f} MB ({connection.vendor})")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="what", required=True)
    imp = sub.add_parser("import")
    imp.add_argument("--csv", type=Path, default=None, help="also write the CSV here")
    imp.add_argument("--once", action="store_true", help="skip the second import")
    taxii = sub.add_parser("taxii")
    taxii.add_argument("--requests", type=int, default=20, help="requests per page timed")
    taxii.add_argument("--walk", type=int, default=5, help="served next tokens followed")
    for p in (imp, taxii):
        p.add_argument("--count", type=int, default=1_000_000)
        p.add_argument("--database-url", default=None)
        p.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
        p.add_argument("--profile", action="store_true", help="print a cProfile")
    args = parser.parse_args()
    setup_django(args.database_url)
    try:
        if args.what == "import":
            bench_import(args.count, args.profile, args.csv, args.once)
        else:
            bench_taxii(args.count, args.requests, args.walk, args.profile)
    finally:
        if args.database_url and not args.keep:
            drop_postgres(args.database_url)


if __name__ == "__main__":
    main()
