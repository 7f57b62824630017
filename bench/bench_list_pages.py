"""List pages and API lists under load: one big establishment, 10 concurrent clients, loopback.

    .venv/bin/python bench/bench_list_pages.py [--assets 50000] [--alerts 5000] [--clients 10]
        [--rounds 20] [--database-url postgres://postgres@127.0.0.1:5432/vigie_bench_lists]
        [--home DIR] [--workers 2] [--threads 4]

* Data: one establishment whose inventory of `--assets` assets comes through the CSV import
  code path (preview then commit, 10,000 rows a file, as a hospital's export would), with real
  CPE names (purl2cpe) given versions, French care units, criticality and exposure; `--alerts`
  alerts on real CVEs of the Anchore NVD records (titles, CVSS), CISA KEV listings and EPSS
  scores of the real files, each alert affecting 1 to 30 assets; 20,000 audit events over a
  year; a neighbouring establishment of 2,000 assets so that scoping has something to exclude.
* Server: `vigie serve` (gunicorn, gthread, as in production) on 127.0.0.1, DEBUG off.
* Load: `--clients` threads, each with its own keep-alive connection, a signed-in session cookie
  for the pages and a read-only API token for the API; each round every client requests every
  URL once in its own random order, waiting `--think` seconds on average before each request
  (a person reading the page; `--think 0` sends requests back to back, which measures
  throughput more than latency: 10 requests always in flight on 2 cores). The first round is a
  warm-up and is not counted. The "next page" URLs are the ones the first page links to
  (rel="next"), so keyset and offset paging are both measured as a person would follow them.

Prints p50 / p95 / p99 / max per URL and the overall p99. With `--home DIR` (SQLite) or a named
PostgreSQL database, the data is built once and reused by later runs (migrations are applied).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import http.client
import io
import json
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from html import unescape
from pathlib import Path
from typing import Any

from _common import DATA, ROOT

SLUG = "chu-bench"
UNITS = [
    "Urgences adultes",
    "Urgences pédiatriques",
    "Réanimation médicale",
    "Réanimation chirurgicale",
    "Bloc opératoire A",
    "Bloc opératoire B",
    "Cardiologie",
    "Soins intensifs de cardiologie",
    "Néphrologie - dialyse",
    "Oncologie",
    "Hématologie",
    "Pneumologie",
    "Neurologie",
    "Neurochirurgie",
    "Maternité",
    "Néonatologie",
    "Pédiatrie",
    "Radiologie",
    "Médecine nucléaire",
    "Radiothérapie",
    "Laboratoire de biologie",
    "Pharmacie",
    "Stérilisation",
    "Gériatrie",
    "Psychiatrie",
    "Consultations externes",
    "Direction des systèmes d'information",
    "Services techniques",
    "Admissions",
    "Logistique",
]
KINDS = [
    ("application", 40),
    ("workstation", 20),
    ("server", 10),
    ("medical-device", 15),
    ("network", 5),
    ("os", 5),
    ("iot", 5),
]
CRITICALITIES = [
    ("", 20),
    ("life-sustaining", 5),
    ("clinical", 35),
    ("business", 25),
    ("support", 15),
]
EXPOSURES = [("", 25), ("internet", 3), ("vendor-remote", 7), ("internal", 60), ("isolated", 5)]
STATES = [
    ("new", 55),
    ("acknowledged", 15),
    ("in_remediation", 10),
    ("resolved", 15),
    ("accepted_risk", 5),
]
PRIORITIES = [("act", 5), ("attend", 20), ("track*", 25), ("track", 50)]
AUDIT_ACTIONS = [
    ("auth.login", 50),
    ("alert.state_changed", 30),
    ("data.export", 5),
    ("inventory.asset_changed", 10),
    ("alert.assigned", 5),
]


def weighted(rng: random.Random, choices: list[tuple[str, int]]) -> str:
    return rng.choices([c for c, _ in choices], [w for _, w in choices])[0]


def setup_django(database_url: str | None, home: str | None) -> str:
    home = home or tempfile.mkdtemp(prefix="vigie-bench-lists-")
    Path(home).mkdir(parents=True, exist_ok=True)
    os.environ["VIGIE_HOME"] = home
    os.environ.setdefault("VIGIE_SECRET_KEY", "bench-" + "x" * 60 + "0123456789abcdef")
    if database_url:
        os.environ["VIGIE_DATABASE_URL"] = database_url
    else:
        os.environ.pop("VIGIE_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigie.settings")
    os.environ.setdefault("VIGIE_LOG_LEVEL", "WARNING")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    return home


def cpe_names(count: int, rng: random.Random) -> list[tuple[str, str, str]]:
    """(vendor, product, CPE with a version) for `count` assets, from the real purl2cpe names."""
    names = []
    with gzip.open(DATA / "vuln/cpe/scanoss-purl2cpe/purl2cpe-cpes.csv.gz", "rt") as source:
        for row in csv.DictReader(source):
            if len(row["cpe23"].split(":")) != 13:  # escaped colons: not worth unescaping here
                continue
            names.append((row["cpe_vendor"], row["cpe_product"], row["cpe23"]))
            if len(names) >= 200_000:
                break
    picked = rng.sample(names, min(count, len(names)))
    out = []
    for vendor, product, cpe in picked:
        parts = cpe.split(":")
        version = f"{rng.randint(1, 12)}.{rng.randint(0, 20)}.{rng.randint(0, 40)}"
        parts[5] = version
        out.append((vendor, product, ":".join(parts)))
    return out


def build(assets: int, alerts: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from vigie.audit.models import AuditEvent
    from vigie.engines.offline import load_feed_paths
    from vigie.inventory import imports
    from vigie.inventory.models import Asset
    from vigie.tenancy.access import OrgAccess
    from vigie.tenancy.models import Membership, Organisation
    from vigie.vulns.models import Alert, AlertAsset, EpssScore, KevListing, Vulnerability

    rng = random.Random(20261205)
    started = time.perf_counter()
    centre = Organisation.objects.create(kind="centre", name="Centre régional", slug="cr-bench")
    user_model = get_user_model()

    def establishment(slug: str, name: str) -> OrgAccess:
        org = Organisation.objects.create(kind="establishment", name=name, slug=slug, centre=centre)
        user = user_model.objects.create_user(
            username=f"{slug}-admin", email=f"{slug}@bench.invalid"
        )
        membership = Membership.objects.create(user=user, organisation=org, role="admin")
        return OrgAccess(user=user, organisation=org, membership=membership)

    main = establishment(SLUG, "CHU de démonstration")
    other = establishment("ch-voisin", "CH voisin")
    names = cpe_names(assets + 2000, rng)

    def import_csv(access: OrgAccess, rows: list[tuple[str, str, str]], prefix: str) -> None:
        for chunk in range(0, len(rows), 10_000):
            out = io.StringIO()
            writer = csv.writer(out)
            writer.writerow(
                [
                    "id",
                    "name",
                    "kind",
                    "vendor",
                    "product",
                    "version",
                    "cpe",
                    "criticality",
                    "exposure",
                    "location",
                ]
            )
            for n, (vendor, product, cpe) in enumerate(rows[chunk : chunk + 10_000], chunk):
                kind = weighted(rng, KINDS)
                version = cpe.split(":")[5]
                label = product.replace("_", " ").title()
                name = f"{label} {version}" if kind == "application" else f"{label} {n:05d}"
                writer.writerow(
                    [f"{prefix}-{n:06d}", name, kind, vendor, product, version, cpe,
                     weighted(rng, CRITICALITIES), weighted(rng, EXPOSURES), rng.choice(UNITS)]
                )  # fmt: skip
            job = imports.preview(
                access=access,
                stream=io.BytesIO(out.getvalue().encode()),
                file_name=f"inventaire-{prefix}-{chunk // 10_000 + 1}.csv",
            )
            assert job.state == "preview", job.errors[:3]
            imports.commit(access=access, job=job)

    import_csv(main, names[:assets], "chu")
    import_csv(other, names[assets:], "voisin")
    print(f"inventories imported through the CSV path in {time.perf_counter() - started:.1f} s")

    # Vulnerabilities: real CVE records; the KEV ones first so that some alerts are KEV-listed.
    vuln_dir = DATA / "vuln"
    content, _ = load_feed_paths([vuln_dir / "nvd/anchore-nvd-overrides/all-overrides.jsonl.gz"])
    kev = json.loads((vuln_dir / "kev/known_exploited_vulnerabilities.json").read_text())
    kev_ids = {k["cveID"] for k in kev["vulnerabilities"]}
    records = sorted(content.vulns, key=lambda r: (r.id not in kev_ids, rng.random()))
    records = records[: alerts + 500]
    now = timezone.now()
    with transaction.atomic():
        Vulnerability.objects.bulk_create(
            [
                Vulnerability(
                    vuln_id=r.id,
                    title=r.title or r.description[:200],
                    description=r.description,
                    published=r.published,
                    cvss_score=max((c.score for c in r.cvss), default=None),
                )
                for r in records
            ],
            batch_size=1000,
        )
        KevListing.objects.bulk_create(
            [
                KevListing(
                    cve=k["cveID"],
                    catalogue="cisa",
                    vendor=k["vendorProject"][:200],
                    product=k["product"][:200],
                    name=k["vulnerabilityName"][:300],
                )
                for k in kev["vulnerabilities"]
            ],
            batch_size=1000,
            ignore_conflicts=True,
        )
        wanted = {r.id for r in records}
        with open(vuln_dir / "epss/epss_scores_emba_2026-08-16.csv") as source:
            scores = [
                EpssScore(
                    cve=row["cve"], epss=float(row["epss"]), percentile=float(row["percentile"])
                )
                for row in csv.DictReader(source)
                if row["cve"] in wanted
            ]
        EpssScore.objects.bulk_create(scores, batch_size=1000)
    del content
    vulns = list(Vulnerability.objects.order_by("pk"))
    ids = Asset.objects.values_list("pk", flat=True)
    asset_ids = list(ids.filter(organisation=main.organisation))
    other_ids = list(ids.filter(organisation=other.organisation))

    def make_alerts(org: Any, ids: list[int], count: int, offset: int) -> None:
        rows = []
        for v in vulns[offset : offset + count]:
            state = weighted(rng, STATES)
            seen = now - timedelta(days=rng.uniform(0, 365))
            priority = weighted(rng, PRIORITIES)
            days = {"act": 2, "attend": 15, "track*": 60, "track": 180}[priority]
            rows.append(
                Alert(
                    organisation=org,
                    vulnerability=v,
                    state=state,
                    priority=priority,
                    first_seen=seen,
                    state_changed_at=seen,
                    ack_due_at=seen + timedelta(hours=days * 2),
                    remediation_due_at=seen + timedelta(days=days),
                    acknowledged_at=seen + timedelta(hours=5) if state != "new" else None,
                )
            )
        with transaction.atomic():
            made = Alert.objects.bulk_create(rows, batch_size=1000)
            affected = []
            for alert in made:
                for asset_id in rng.sample(ids, rng.randint(1, 30)):
                    affected.append(
                        AlertAsset(
                            alert_id=alert.pk,
                            asset_id=asset_id,
                            source="nvd",
                            confidence=rng.choice(["high", "high", "medium", "low"]),
                            reason="cpe:2.3 criterion matches the installed version",
                            criterion="cpe:2.3:a:vendor:product:*:*:*:*:*:*:*:*",
                            version_range="< 2.4.60",
                            priority=alert.priority,
                            active=rng.random() > 0.05,
                            first_seen=alert.first_seen,
                            last_seen=now,
                        )
                    )
            AlertAsset.objects.bulk_create(affected, batch_size=2000)

    make_alerts(main.organisation, asset_ids, alerts, 0)
    make_alerts(other.organisation, other_ids, 300, alerts)
    with transaction.atomic():
        events = []
        usernames = [main.user.get_username()] + [f"agent{n:02d}" for n in range(30)]
        for _n in range(20_000):
            action = weighted(rng, AUDIT_ACTIONS)
            events.append(
                AuditEvent(
                    at=now - timedelta(seconds=rng.uniform(0, 365 * 86400)),
                    actor_username=rng.choice(usernames),
                    organisation=None if action == "auth.login" else main.organisation,
                    action=action,
                    target_type="alert" if action.startswith("alert") else "",
                    target_id=str(rng.randint(1, alerts)),
                    target_label=f"CVE-{rng.randint(2015, 2025)}-{rng.randint(1000, 50000)}",
                    ip="10.12.0." + str(rng.randint(1, 250)),
                    details={"source": "bench"},
                )
            )
        AuditEvent.objects.bulk_create(events, batch_size=2000)
    past_imports(main.organisation, main.user, other.organisation, rng)
    # Fresh statistics, as PostgreSQL's autovacuum leaves them some time after a bulk load
    # them after a bulk load: a fresh PostgreSQL database otherwise plans the alert filters
    # as nested loops over 77,000 rows (41 s per request measured before this line).
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"data built in {time.perf_counter() - started:.1f} s: "
        f"{Asset.objects.filter(organisation=main.organisation).count()} assets, "
        f"{Alert.objects.filter(organisation=main.organisation).count()} alerts "
        f"({AlertAsset.objects.filter(alert__organisation=main.organisation).count()} "
        f"affected-asset rows), {AuditEvent.objects.count()} audit events"
    )


PAST_IMPORTS = 1_000


def past_imports(org: Any, user: Any, other: Any, rng: random.Random) -> None:
    """Years of weekly and daily inventory exports: a history long enough to page through."""
    from django.utils import timezone

    from vigie.inventory.models import InventoryImport

    now = timezone.now()
    rows, dates = [], []
    for n, owner in [(n, org) for n in range(PAST_IMPORTS)] + [(n, other) for n in range(100)]:
        errors = rng.random() < 0.1
        dates.append(now - timedelta(days=30 + n * 1.5, minutes=rng.uniform(0, 600)))
        rows.append(
            InventoryImport(
                organisation=owner,
                uploaded_by=user if owner == org else None,
                file_name=f"export-gmao-{n:04d}.csv",
                file_format="csv",
                file_sha256=secrets.token_hex(32),
                state="invalid" if errors else rng.choice(["committed"] * 8 + ["discarded"]),
                summary={"rows": 10_000, "errors": rng.randint(1, 40), "warnings": 3}
                if errors
                else {
                    "rows": 10_000,
                    "new": rng.randint(0, 200),
                    "updated": rng.randint(0, 900),
                    "unchanged": 9_000,
                    "errors": 0,
                    "warnings": 0,
                },
            )
        )
    made = InventoryImport.objects.bulk_create(rows, batch_size=500)
    # created_at is auto_now_add: the history's dates are set afterwards.
    for job, at in zip(made, dates, strict=True):
        job.created_at = at
    InventoryImport.objects.bulk_update(made, ["created_at"], batch_size=500)


def credentials() -> tuple[str, str, str]:
    """A session cookie (name, value) of the establishment's admin, and a read-only API token."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from vigie.api.tokens import create_token

    user = get_user_model().objects.get(username=f"{SLUG}-admin")
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    _token, secret = create_token(user=user, name=f"bench {secrets.token_hex(4)}")
    return settings.SESSION_COOKIE_NAME, cookie, secret


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int, workers: int, threads: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, VIGIE_DEBUG="0", VIGIE_ALLOWED_HOSTS="127.0.0.1")
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/vigie"), "serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers), "--threads", str(threads)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            assert server.stderr is not None  # piped above
            raise SystemExit(f"the server stopped: {server.stderr.read().decode()[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("the server did not answer within 60 s")


class Client:
    def __init__(self, port: int, cookie: str, token: str) -> None:
        self.port = port
        self.cookie = cookie
        self.token = token
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def get(self, path: str) -> tuple[int, bytes, float]:
        headers = {"Host": "127.0.0.1"}
        if path.startswith("/api/"):
            headers["Authorization"] = f"Bearer {self.token}"
        else:
            headers["Cookie"] = self.cookie
        started = time.perf_counter()
        try:
            self.conn.request("GET", path, headers=headers)
            response = self.conn.getresponse()
            body = response.read()
        except (http.client.HTTPException, OSError):
            # The server closed a kept-alive connection: one retry on a new one.
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            started = time.perf_counter()
            self.conn.request("GET", path, headers=headers)
            response = self.conn.getresponse()
            body = response.read()
        return response.status, body, time.perf_counter() - started


NEXT = re.compile(rb'<a [^>]*href="([^"]+)"[^>]*rel="next"|<a [^>]*rel="next"[^>]*href="([^"]+)"')


def next_link(base: str, body: bytes) -> str | None:
    found = NEXT.search(body)
    if not found:
        return None
    href = unescape((found.group(1) or found.group(2)).decode())
    return base.split("?")[0] + href if href.startswith("?") else href


def urls() -> list[tuple[str, str]]:
    o = f"/o/{SLUG}"
    api = f"/api/v1/organisations/{SLUG}"
    return [
        ("dashboard", f"{o}/"),
        ("inventory", f"{o}/inventory/"),
        ("inventory kind=medical-device", f"{o}/inventory/?kind=medical-device"),
        (
            "inventory criticality+exposure",
            f"{o}/inventory/?criticality=clinical&exposure=internal",
        ),
        ("inventory q=linux", f"{o}/inventory/?q=linux"),
        ("inventory location=Réanimation", f"{o}/inventory/?location=R%C3%A9animation"),
        ("inventory page 2 (next link)", f"{o}/inventory/#next"),
        ("inventory page 500", f"{o}/inventory/?page=500"),
        ("alerts", f"{o}/alerts/"),
        ("alerts sort=cvss", f"{o}/alerts/?sort=cvss"),
        ("alerts sort=epss", f"{o}/alerts/?sort=epss&dir=desc"),
        ("alerts state=all sort=due", f"{o}/alerts/?state=all&sort=due"),
        ("alerts priority=attend", f"{o}/alerts/?priority=attend"),
        ("alerts kev=yes", f"{o}/alerts/?kev=yes"),
        ("alerts location+kind", f"{o}/alerts/?location=Cardiologie&kind=server"),
        ("alerts q=CVE-2021", f"{o}/alerts/?q=CVE-2021"),
        ("alerts page 2 (next link)", f"{o}/alerts/#next"),
        ("audit log", f"{o}/audit/"),
        ("audit action=alert.state_changed", f"{o}/audit/?action=alert.state_changed"),
        ("audit page 2 (next link)", f"{o}/audit/#next"),
        ("imports", f"{o}/inventory/imports/"),
        ("imports page 2 (next link)", f"{o}/inventory/imports/#next"),
        ("API assets", f"{api}/assets"),
        ("API assets page 2", f"{api}/assets?page=2"),
        ("API assets kind=server", f"{api}/assets?kind=server"),
        ("API assets q=linux", f"{api}/assets?q=linux"),
        ("API assets page 200, size 200", f"{api}/assets?page=200&page_size=200"),
        ("API alerts", f"{api}/alerts"),
        ("API alerts priority=attend", f"{api}/alerts?priority=attend"),
        ("API alerts state=all page 20", f"{api}/alerts?state=all&page=20"),
        ("API audit", f"{api}/audit"),
        ("API imports", f"{api}/inventory/imports"),
        ("API imports page 5", f"{api}/inventory/imports?page=5"),
    ]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def load(port: int, cookie: str, token: str, clients: int, rounds: int, think: float) -> None:
    probe = Client(port, cookie, token)
    targets = []
    for label, path in urls():
        if path.endswith("#next"):
            status, body, _ = probe.get(path[: -len("#next")])
            found = next_link(path, body)
            if status != 200 or not found:
                raise SystemExit(f"{label}: no next link on the first page (status {status})")
            path = found
        targets.append((label, path))
    timings: dict[str, list[float]] = {label: [] for label, _ in targets}
    errors: list[str] = []
    lock = threading.Lock()

    def run(seed: int) -> None:
        client = Client(port, cookie, token)
        rng = random.Random(seed)
        for round_ in range(rounds + 1):
            order = list(targets)
            rng.shuffle(order)
            for label, path in order:
                if think:
                    # A person reads the page before the next click (0.5 to 1.5 × --think).
                    time.sleep(think * rng.uniform(0.5, 1.5))
                status, _body, seconds = client.get(path)
                with lock:
                    if status != 200:
                        errors.append(f"{label}: HTTP {status}")
                    elif round_ > 0:
                        timings[label].append(seconds)

    started = time.perf_counter()
    threads = [threading.Thread(target=run, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    if errors:
        print(f"{len(errors)} errors, first: {errors[:5]}")
    print(f"{'URL':<38} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    every: list[float] = []
    for label, _ in targets:
        values = timings[label]
        every += values
        print(
            f"{label:<38} {percentile(values, 50) * 1000:8.0f} {percentile(values, 95) * 1000:8.0f}"
            f" {percentile(values, 99) * 1000:8.0f} {max(values) * 1000:8.0f}"
        )
    print(
        f"all: {len(every)} requests in {wall:.1f} s ({len(every) / wall:.1f}/s), "
        f"p50 {percentile(every, 50) * 1000:.0f} ms, p99 {percentile(every, 99) * 1000:.0f} ms; "
        f"worst URL p99 {max(percentile(v, 99) for v in timings.values()) * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--assets", type=int, default=50_000)
    parser.add_argument("--alerts", type=int, default=5_000)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=20, help="counted rounds per client")
    parser.add_argument(
        "--think",
        type=float,
        default=1.0,
        help="seconds each user waits between requests, on average (0: back to back)",
    )
    parser.add_argument("--database-url", default=None, help="a scratch PostgreSQL database")
    parser.add_argument("--home", default=None, help="VIGIE_HOME to build once and reuse")
    parser.add_argument("--rebuild", action="store_true", help="drop the data and build it again")
    parser.add_argument("--build-only", action="store_true", help="build the data, measure nothing")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    home = setup_django(args.database_url, args.home)
    from django.core.management import call_command

    from vigie.tenancy.models import Organisation

    if args.rebuild:
        call_command("flush", interactive=False, verbosity=0)
    if not Organisation.objects.filter(slug=SLUG).exists():
        if args.database_url:
            call_command("flush", interactive=False, verbosity=0)
        build(args.assets, args.alerts)
    else:
        print(f"reusing the data of {args.database_url or home}")
        from vigie.inventory.models import InventoryImport

        main_org = Organisation.objects.get(slug=SLUG)
        if InventoryImport.objects.filter(organisation=main_org).count() < PAST_IMPORTS:
            # Data built before the imports list was measured.
            from django.contrib.auth import get_user_model

            user = get_user_model().objects.get(username=f"{SLUG}-admin")
            other = Organisation.objects.get(slug="ch-voisin")
            past_imports(main_org, user, other, random.Random(20261206))
    if args.build_only:
        return
    name, value, token = credentials()
    from django.db import connections

    connections.close_all()
    port = free_port()
    server = start_server(port, args.workers, args.threads)
    try:
        print(
            f"{args.clients} clients × {args.rounds} rounds × {len(urls())} URLs, "
            f"think time {args.think:g} s; "
            f"vigie serve: {args.workers} workers × {args.threads} threads"
        )
        load(port, f"{name}={value}", token, args.clients, args.rounds, args.think)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
