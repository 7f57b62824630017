"""End-to-end timings of the platform itself (Django, database, outbox), on real data.

    .venv/bin/python bench/bench_platform.py sbom [--components N] [--repeat 3] [--database-url U]
    .venv/bin/python bench/bench_platform.py new-cve [--establishments 100] [--assets 1000]

* `sbom`: a 5,000-component CycloneDX SBOM (the real medical-device SBOM scaled) is uploaded to
  an establishment: preview (parse, compare), commit (write, index), match against every stored
  vulnerability (the ~32k NVD-format records of anchore-nvd-overrides, CISA KEV, EPSS), alerts
  and outbox rows written. Target: under 5 s end to end.
* `new-cve`: many establishments' inventories are stored; one new CVE record arrives (a real
  record re-dated); time until its alerts exist in every affected establishment, i.e. until
  the centre's sector view shows them. Target: seconds.

A fresh database is created under a temporary VIGIE_HOME (SQLite), or the PostgreSQL database
given by --database-url (its tables are dropped first: use a scratch database).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import DATA, ROOT, peak_rss_mb
from bench_sbom_import import scaled_cyclonedx


def setup_django(database_url: str | None) -> None:
    home = tempfile.mkdtemp(prefix="vigie-bench-")
    os.environ["VIGIE_HOME"] = home
    if database_url:
        os.environ["VIGIE_DATABASE_URL"] = database_url
        os.environ.setdefault("VIGIE_SECRET_KEY", "bench-" + "x" * 60 + "0123456789abcdef")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigie.settings")
    os.environ.setdefault("VIGIE_LOG_LEVEL", "WARNING")
    import django
    from django.core.management import call_command

    django.setup()
    if database_url:
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", interactive=False, verbosity=0)


def establishment(slug: str, centre: Any) -> Any:
    from django.contrib.auth import get_user_model

    from vigie.tenancy.access import OrgAccess
    from vigie.tenancy.models import Membership, Organisation

    org = Organisation.objects.create(kind="establishment", name=slug, slug=slug, centre=centre)
    user = get_user_model().objects.create_user(
        username=f"{slug}-admin", email=f"{slug}@bench.invalid"
    )
    membership = Membership.objects.create(user=user, organisation=org, role="admin")
    return OrgAccess(user=user, organisation=org, membership=membership)


def load_feeds(paths: list[Path]) -> float:
    from vigie.engines.offline import load_feed_paths
    from vigie.vulns.feed_import import store_and_match

    started = time.perf_counter()
    content, fatal = load_feed_paths(paths)
    if fatal:
        raise SystemExit(f"cannot read the feeds: {fatal[0]}")
    store_and_match(content, match=True)
    return time.perf_counter() - started


def bench_sbom(components: int, repeat: int) -> None:
    from vigie.inventory import imports
    from vigie.tenancy.models import Organisation
    from vigie.vulns.models import Alert, FeedRecord
    from vigie.vulns.pending import match_import

    centre = Organisation.objects.create(kind="centre", name="Centre", slug="centre")
    vuln = DATA / "vuln"
    seconds = load_feeds(
        [
            vuln / "nvd/anchore-nvd-overrides/all-overrides.jsonl.gz",
            vuln / "kev/known_exploited_vulnerabilities.json",
            vuln / "epss/epss_scores_emba_2026-08-16.csv",
        ]
    )
    stored = FeedRecord.objects.count()
    print(f"feeds stored: {stored} records in {seconds:.1f} s (not part of the target)")
    document = json.dumps(scaled_cyclonedx(components)).encode()
    totals = []
    # Each run imports the SBOM into a new establishment: a first import, never a no-op.
    for run in range(repeat):
        access = establishment(f"chu-{run}", centre)
        started = time.perf_counter()
        job = imports.preview(
            access=access, stream=io.BytesIO(document), file_name="device.cdx.json"
        )
        previewed = time.perf_counter()
        assert job.state == "preview", job.errors[:3]
        done = imports.commit(access=access, job=job)
        committed = time.perf_counter()
        # What the worker's task does with the committed import (queued by the commit).
        match_import(job.pk)
        finished = time.perf_counter()
        totals.append(finished - started)
        alerts = Alert.objects.filter(organisation=access.organisation).count()
        print(
            f"SBOM of {components} components: preview {previewed - started:.2f} s, "
            f"commit + index {committed - previewed:.2f} s, "
            f"match {finished - committed:.2f} s, "
            f"end to end {finished - started:.2f} s; "
            f"{done.created} assets, {alerts} alerts"
        )
    print(
        f"end to end over {repeat} runs: best {min(totals):.2f} s, median "
        f"{sorted(totals)[len(totals) // 2]:.2f} s, worst {max(totals):.2f} s; "
        f"peak RSS {peak_rss_mb():.0f} MB"
    )


def bench_new_cve(establishments: int, assets: int) -> None:
    import csv

    # Inventories: real CPE names (the purl2cpe sample), the same Apache httpd 2.4.59 in some.
    import gzip

    from vigie.engines.feeds import FeedContent
    from vigie.engines.offline import load_feed_paths
    from vigie.inventory import imports
    from vigie.tenancy.models import Organisation
    from vigie.vulns.feed_import import store_and_match
    from vigie.vulns.models import Alert
    from vigie.vulns.pending import match_import

    names = []
    with gzip.open(DATA / "vuln/cpe/scanoss-purl2cpe/purl2cpe-cpes.csv.gz", "rt") as source:
        for row in csv.DictReader(source):
            names.append(row["cpe23"])
            if len(names) >= assets * 2:
                break
    centre = Organisation.objects.create(kind="centre", name="Centre", slug="centre")
    started = time.perf_counter()
    for index in range(establishments):
        access = establishment(f"est-{index:03d}", centre)
        lines = ["id,name,kind,cpe"]
        for n in range(assets - 1):
            lines.append(f"a{n},asset {n},application,{names[(index * 7 + n) % len(names)]}")
        if index % 3 == 0:
            lines.append("portal,Portal,server,cpe:2.3:a:apache:http_server:2.4.59:*:*:*:*:*:*:*")
        job = imports.preview(
            access=access, stream=io.BytesIO("\n".join(lines).encode()), file_name="inventory.csv"
        )
        imports.commit(access=access, job=job)
        match_import(job.pk)
    print(
        f"{establishments} establishments × {assets} assets stored and indexed in "
        f"{time.perf_counter() - started:.1f} s"
    )
    content, _ = load_feed_paths([ROOT / "src/vigie/vulns/demo_data/feeds/kev.json"])
    store_and_match(content)
    record_file = ROOT / "src/vigie/vulns/demo_data/feeds/nvd-overrides.jsonl.gz"
    records, _ = load_feed_paths([record_file])
    record = next(r for r in records.vulns if r.id == "CVE-2024-38475")
    timings = []
    for attempt in range(5):
        Alert.objects.all().delete()
        from dataclasses import replace

        fresh = replace(record, title=f"attempt {attempt}")
        started = time.perf_counter()
        summary = store_and_match(FeedContent(vulns=[fresh]))
        timings.append(time.perf_counter() - started)
    affected = Alert.objects.values("organisation").distinct().count()
    print(
        f"one new CVE: stored, matched and alerted in {min(timings) * 1000:.0f} ms "
        f"(best of 5; worst {max(timings) * 1000:.0f} ms); {affected} establishments alerted "
        f"({summary.get('alerts_created', 0)} alerts); peak RSS {peak_rss_mb():.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="what", required=True)
    sbom = sub.add_parser("sbom")
    sbom.add_argument("--components", type=int, default=5000)
    sbom.add_argument("--repeat", type=int, default=3, help="imports into fresh establishments")
    new = sub.add_parser("new-cve")
    new.add_argument("--establishments", type=int, default=100)
    new.add_argument("--assets", type=int, default=1000)
    for p in (sbom, new):
        p.add_argument("--database-url", default=None)
    args = parser.parse_args()
    setup_django(args.database_url)
    if args.what == "sbom":
        bench_sbom(args.components, args.repeat)
    else:
        bench_new_cve(args.establishments, args.assets)


if __name__ == "__main__":
    sys.exit(main())
