"""Readiness: what one establishment's scores cost, and the pages that show them, on the demo.

    .venv/bin/python bench/bench_readiness.py [--home DIR] [--repeat 20]

* Data: the demo (`vigie demo --no-serve`), built once into `--home` (default
  /tmp/vigie-bench-readiness) and reused: three establishments with their real inventories and
  alerts (NVD, KEV, EPSS of ../shared/data), incidents, backup sets (one fed by a real restic
  repository when restic is installed), continuity plans, an exercise, training and phishing.
* Measured in-process (Django's test client, no network), each `--repeat` times, median and
  p95: the seven pillars of one establishment (`readiness_of`), the director's page, the
  centre's sector page and its CSV export.

The sector page computes every establishment's pillars live, so its cost grows with the number
of establishments: the figure per establishment tells how far that goes before the page must
read the daily snapshots instead.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _common import ROOT


def _timed(action: Callable[[], object], repeat: int) -> tuple[float, float]:
    action()  # warm-up: caches, compiled templates
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    home = Path(tempfile.gettempdir()) / "vigie-bench-readiness"
    parser.add_argument("--home", type=Path, default=home)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    os.environ["VIGIE_HOME"] = str(args.home)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigie.settings")
    if not (args.home / "vigie.sqlite3").exists():
        print(f"building the demo in {args.home} …", file=sys.stderr)
        subprocess.run(
            [str(ROOT / ".venv" / "bin" / "vigie"), "demo", "--no-serve"],
            check=True,
            env={**os.environ},
            stdout=subprocess.DEVNULL,
        )
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from vigie.readiness.scores import readiness_of
    from vigie.tenancy.models import Organisation

    settings.ALLOWED_HOSTS = ["*"]
    users = get_user_model().objects
    chu = Organisation.objects.get(slug="chu-val-de-loire")
    centre = Organisation.objects.get(slug="centre-cyber-sante")
    establishments = Organisation.objects.filter(centre=centre).count()

    def signed_in(username: str) -> Client:
        # A session that proved its second factor (every centre user has one; others may).
        user = users.get(username=username)
        client = Client()
        client.force_login(user)
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return client

    director = signed_in("chu.directrice")
    analyst = signed_in("centre.analyste")

    def page(client: Client, path: str) -> Callable[[], object]:
        def get() -> object:
            response = client.get(path)
            if response.status_code != 200:
                raise SystemExit(f"{path}: HTTP {response.status_code}")
            return response

        return get

    rows = [
        ("pillars of one establishment (readiness_of)", lambda: readiness_of(chu)),
        ("director's page", page(director, f"/o/{chu.slug}/readiness/")),
        (
            f"sector page ({establishments} establishments)",
            page(analyst, f"/o/{centre.slug}/readiness/sector/"),
        ),
        ("sector CSV", page(analyst, f"/o/{centre.slug}/readiness/sector/export.csv")),
    ]
    print(f"load average {os.getloadavg()[0]:.2f}; {args.repeat} runs each")
    for label, action in rows:
        median, p95 = _timed(action, args.repeat)
        print(f"{label:<48} median {median:7.1f} ms   p95 {p95:7.1f} ms")


if __name__ == "__main__":
    main()
