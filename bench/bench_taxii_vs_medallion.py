"""A 1,000-object TAXII page from our server and from medallion (the OASIS reference server).

    .venv/bin/python bench/bench_taxii_vs_medallion.py [--count 100000] [--requests 20]
        [--database-url U] [--keep] [--medallion-timeout 120] [--medallion-budget 180]
        [--ladder 250,500,1000,2000,3000]

As run for the figures reported (SQLite, then PostgreSQL), about 8 minutes each:

    .venv/bin/python bench/bench_taxii_vs_medallion.py --ladder 500,1000,2000
    .venv/bin/python bench/bench_taxii_vs_medallion.py --ladder 500,1000,2000
        --database-url postgres://postgres@127.0.0.1:5432/vigie_bench_medallion   (one line)

One centre's collection is filled with `--count` GREEN indicators by bulk insert
(`bench_intel.fill_collection`: the same values and spread `updated_at`). Both servers run
behind werkzeug's threaded WSGI server on 127.0.0.1, each in a forked child process, so that
the timing client (`requests`, keep-alive) does not share a GIL with either of them:

* ours: `vigie.wsgi.application`, read with a Bearer API token of an establishment member;
* medallion 3: its Flask blueprints on its memory backend, loaded with exactly the objects and
  manifest our "All indicators" collection served (read page by page over HTTP first).

For each: the first page (`limit=1000`), then the middle page reached by following `next` from
the first page, `--requests` requests each (p50 / p95 / max). Our `next` is a stateless cursor,
so the same middle token is requested again; medallion's `next` is a server-side session that
each request consumes, so every middle-page sample is a fresh walk from the first page. On the
whole collection medallion's first page does not answer (its memory backend filters and orders
a page in time quadratic in the collection), so its middle page there is also timed on `next`
sessions seeded in its backend as its first page would have left them (`set_next`): that times
medallion's own `next` handler, but is labelled as not reached by a walk.
medallion's requests get `--medallion-timeout` seconds each and a time budget per case; what
did not answer in time is printed as such. Then medallion alone on growing prefixes of the same
objects (`--ladder`), to show how its page time grows with the collection.

SQLite: a fresh database under a temporary VIGIE_HOME. PostgreSQL: the database named by
`--database-url` (its name must contain "bench") is dropped and created, and dropped again at
the end unless `--keep`.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import multiprocessing
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import requests

from _common import peak_rss_mb
from bench_intel import (
    _member,
    _organisation,
    _quantiles,
    drop_postgres,
    fill_collection,
    setup_django,
)

LIMIT = 1000
TAXII_21 = "application/taxii+json;version=2.1"
STIX_21 = "application/stix+json;version=2.1"
ROOT = "vigie-copy"
USER, PASSWORD = "bench", "bench-password"


class TimedOut(Exception):
    """A server did not answer within the time given to it."""


@contextmanager
def serving(app: Any, configure: Callable[[str], None] | None = None) -> Iterator[str]:
    """`app` served on a free loopback port by a forked child; yields the base URL.
    `configure` gets that URL first (medallion's discovery document names it)."""
    from django.db import connections
    from werkzeug.serving import make_server

    # The child must open its own database connections, not share the parent's sockets.
    connections.close_all()
    # One access-log line per request would be written while the clock runs.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    if configure is not None:
        configure(base_url)
    child = multiprocessing.get_context("fork").Process(target=server.serve_forever, daemon=True)
    child.start()
    server.socket.close()
    try:
        yield base_url
    finally:
        # Also kills a medallion request still computing after the client gave up on it.
        child.terminate()
        child.join(timeout=10)


def configure_medallion(
    app: Any, base_url: str, objects: list[dict[str, Any]], manifest: list[dict[str, Any]]
) -> None:
    """medallion's blueprints on `app`, its memory backend holding the objects."""
    import medallion
    from medallion.exceptions import BackendError, ProcessingError

    data = {
        "/discovery": {
            "title": "medallion bench",
            "default": f"{base_url}/{ROOT}/",
            "api_roots": [f"{base_url}/{ROOT}/"],
        },
        ROOT: {
            "information": {
                "title": "A copy of our All indicators collection",
                "versions": [TAXII_21],
                "max_content_length": 10 * 2**20,
            },
            "status": [],
            "collections": [
                {
                    "id": "all",
                    "title": "All indicators (copy)",
                    "can_read": True,
                    "can_write": False,
                    "media_types": [STIX_21],
                    "objects": objects,
                    "manifest": manifest,
                }
            ],
        },
    }
    config = {
        "users": {USER: PASSWORD},
        "taxii": {"max_page_size": LIMIT},
        "backend": {
            "module": "medallion.backends.memory_backend",
            "module_class": "MemoryBackend",
            "filename": io.StringIO(json.dumps(data)),
            # A walk to the middle page must not lose its `next` session half-way.
            "session_timeout": 3600,
        },
    }
    for part in ("users", "taxii", "backend"):
        medallion.set_config(app, part, config)
    medallion.register_blueprints(app)
    app.register_error_handler(ProcessingError, medallion.handle_processing_error)
    app.register_error_handler(BackendError, medallion.handle_backend_error)


def get_page(
    session: requests.Session, url: str, params: dict[str, str], timeout: float
) -> tuple[float, dict[str, Any]]:
    """Milliseconds until the whole response body arrived, and the envelope."""
    started = time.perf_counter()
    try:
        response = session.get(url, params=params, timeout=timeout)
    except requests.Timeout as late:
        raise TimedOut(f"no answer within {timeout:.0f} s") from late
    elapsed = (time.perf_counter() - started) * 1000
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return elapsed, body


def walk_to(
    session: requests.Session, url: str, pages: int, timeout: float
) -> tuple[list[float], str]:
    """Follow `next` from the first page; the times of those pages and the token of page
    `pages + 1`."""
    times = []
    token = ""
    for _ in range(pages):
        params = {"limit": str(LIMIT), **({"next": token} if token else {})}
        elapsed, body = get_page(session, url, params, timeout)
        times.append(elapsed)
        assert body.get("next"), "the collection ended before the middle page"
        assert len(body["objects"]) == LIMIT
        token = str(body["next"])
    return times, token


def _report(label: str, timings: list[float], wanted: int, failure: str | None) -> None:
    done = f"{_quantiles(timings)} ({len(timings)} of {wanted} requests)" if timings else "-"
    print(f"  - {label}: {done}" + (f"; stopped: {failure}" if failure else ""))


def sample(
    label: str,
    one: Callable[[], float],
    wanted: int,
    budget: float,
) -> list[float]:
    """Up to `wanted` timings of `one`, fewer when `budget` seconds run out (at least one)."""
    timings: list[float] = []
    failure = None
    started = time.perf_counter()
    try:
        while len(timings) < wanted:
            timings.append(one())
            if time.perf_counter() - started > budget:
                failure = f"time budget of {budget:.0f} s spent"
                break
    except TimedOut as late:
        failure = str(late)
    _report(label, timings, wanted, failure)
    return timings


def read_all(
    session: requests.Session, url: str, key: str = "objects"
) -> tuple[list[dict[str, Any]], float]:
    found: list[dict[str, Any]] = []
    token = ""
    started = time.perf_counter()
    while True:
        params = {"limit": str(LIMIT), **({"next": token} if token else {})}
        _ms, body = get_page(session, url, params, timeout=600)
        found.extend(body.get(key, []))
        if not body.get("more"):
            return found, time.perf_counter() - started
        token = str(body["next"])


def bench_ours(count: int, wanted: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    from vigie.api.tokens import create_token
    from vigie.tenancy.roles import OrgKind, Role
    from vigie.wsgi import application

    centre = _organisation(OrgKind.CENTRE, "centre-bench")
    establishment = _organisation(OrgKind.ESTABLISHMENT, "chu-bench", centre=centre)
    reader = _member(establishment, "reader-bench", Role.VIEWER)
    fill_collection(centre, count)
    _token, secret = create_token(user=reader, name="bench")
    session = requests.Session()
    session.headers.update({"Authorization": f"Bearer {secret}", "Accept": TAXII_21})
    with serving(application) as base:
        root = f"{base}/taxii2/{establishment.slug}/"
        listing = session.get(root + "collections/", timeout=60).json()
        collection = f"{root}collections/{listing['collections'][0]['id']}/"
        url = collection + "objects/"
        objects, seconds = read_all(session, url)
        manifest, manifest_seconds = read_all(session, collection + "manifest/")
        print(
            f"our collection read over HTTP for medallion: {len(objects):,} objects in "
            f"{seconds:.1f} s, {len(manifest):,} manifest records in {manifest_seconds:.1f} s"
        )
        middle = len(objects) // LIMIT // 2
        print(f"ours (Django, {_vendor()}), {len(objects):,} objects, limit={LIMIT}:")
        sample(
            "first page",
            lambda: get_page(session, url, {"limit": str(LIMIT)}, 600)[0],
            wanted,
            budget=600,
        )
        walked, token = walk_to(session, url, middle, timeout=600)
        if len(walked) > 1:
            print(f"  - pages 2 to {middle} while walking there: {_quantiles(walked[1:])}")
        sample(
            f"middle page {middle + 1} (its next token, again)",
            lambda: get_page(session, url, {"limit": str(LIMIT), "next": token}, 600)[0],
            wanted,
            budget=600,
        )
    return objects, manifest


def bench_medallion(
    label: str,
    objects: list[dict[str, Any]],
    manifest: list[dict[str, Any]],
    wanted: int,
    timeout: float,
    budget: float,
    seed: bool = False,
) -> None:
    from flask import Flask

    print(f"medallion (memory backend), {label}, {len(objects):,} objects, limit={LIMIT}:")
    middle = len(objects) // LIMIT // 2
    # A fresh Flask app each time: Flask refuses blueprints on an app that has served.
    app: Any = Flask("medallion")  # medallion hangs its backend on the app as attributes
    seeded: list[str] = []

    def configure(base: str) -> None:
        configure_medallion(app, base, objects, manifest)
        if seed and middle >= 1:
            # What its first page would leave in the backend (`set_next` with the objects
            # after the page, in manifest order), one session per request since each is
            # consumed: the middle page then costs what medallion's `next` handler costs.
            rest = objects[middle * LIMIT :]
            seeded.extend(app.medallion_backend.set_next(list(rest), {}) for _ in range(wanted))

    started = time.perf_counter()
    with serving(app, configure) as base:
        print(f"  loaded in {time.perf_counter() - started:.1f} s")
        session = requests.Session()
        session.auth = (USER, PASSWORD)
        session.headers["Accept"] = TAXII_21
        url = f"{base}/{ROOT}/collections/all/objects/"
        # Before any first page: one that times out keeps the child's CPU busy until the end.
        if seeded:
            sample(
                f"middle page {middle + 1} (a next session seeded in the backend, not walked)",
                lambda: get_page(
                    session, url, {"limit": str(LIMIT), "next": seeded.pop()}, timeout
                )[0],
                wanted,
                budget,
            )
        first = sample(
            "first page",
            lambda: get_page(session, url, {"limit": str(LIMIT)}, timeout)[0],
            wanted,
            budget,
        )
        if not first or middle < 1:
            return

        def fresh_walk() -> float:
            _walked, token = walk_to(session, url, middle, timeout)
            return get_page(session, url, {"limit": str(LIMIT), "next": token}, timeout)[0]

        sample(f"middle page {middle + 1} (a fresh walk each)", fresh_walk, wanted, budget)


def _vendor() -> str:
    from django.db import connection

    return str(connection.vendor)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=20, help="requests per page timed")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument(
        "--medallion-timeout", type=float, default=120, help="seconds per medallion request"
    )
    parser.add_argument(
        "--medallion-budget", type=float, default=180, help="seconds per medallion case"
    )
    parser.add_argument("--ladder", default="250,500,1000,2000,3000", help="medallion sizes")
    args = parser.parse_args()
    setup_django(args.database_url)
    try:
        objects, manifest = bench_ours(args.count, args.requests)
        bench_medallion(
            "the same objects",
            objects,
            manifest,
            args.requests,
            args.medallion_timeout,
            args.medallion_budget,
            seed=True,
        )
        order = {m["id"]: n for n, m in enumerate(manifest)}
        for size in [int(s) for s in args.ladder.split(",") if s.strip()]:
            if size >= len(objects):
                break
            # The first `size` objects served, with their own manifest records.
            head = objects[:size]
            ids = {o["id"] for o in head}
            records = sorted((m for m in manifest if m["id"] in ids), key=lambda m: order[m["id"]])
            bench_medallion(
                f"a prefix of {size:,}",
                head,
                records,
                min(args.requests, 5),
                args.medallion_timeout,
                args.medallion_budget / 3,
            )
        print(f"peak RSS of the bench process {peak_rss_mb():.0f} MB")
    finally:
        if args.database_url and not args.keep:
            drop_postgres(args.database_url)


if __name__ == "__main__":
    main()
