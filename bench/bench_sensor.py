"""The sensor at a million indicators: loading them, scanning Zeek DNS TSV and Suricata EVE
on one core, and `LC_ALL=C grep -F -f domains.txt` on the same DNS file, in one run.

    .venv/bin/python bench/bench_sensor.py [--count 1000000] [--copies 20] [--repeat 3]
        [--no-warning-lists]

Indicators: the real maltrail malicious and malware trails (domains) and ipsum addresses,
then generated domains up to `--count`, plus the parent domains of 20 names the log really
queries (so there are sightings to check). Logs: the real WRCCDC Zeek dns.log (53,615 rows)
concatenated `--copies` times, and the real surevego EVE file (266 lines) repeated to about
the same number of lines. Timed in-process with `vigie.sensor.scan.scan_file` (the command's
own path), `--repeat` times per log, the median kept (one slow pass on a shared machine
says more about its neighbours than about the scanner); the whole run, grep included, is
pinned to one core, and the load average is printed first. Peak RSS read from /proc.
Every line the sensor reports must be among grep's (grep's substring semantics find a
superset); grep's extra lines are counted. Last, the
same indicators go through `vigie sensor pull --file` into the sensor's store, and the store
is loaded as `scan` and `watch` load it, in a fresh process (time and peak RSS).
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import re
import statistics
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import DATA, peak_rss_mb
from vigie.engines.indicators import load_warning_lists
from vigie.sensor.loading import load_indicator_files
from vigie.sensor.logs.base import Hit
from vigie.sensor.scan import scan_file
from vigie.sensor.sources import DEFAULT_WARNING_LISTS

INTEL = DATA / "intel"
DOMAIN = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.[a-z]{2,}")


def real_values() -> tuple[list[str], list[str]]:
    domains: set[str] = set()
    for folder in ("malicious", "malware"):
        for path in sorted((INTEL / "iocs" / "maltrail" / folder).glob("*.txt")):
            for line in path.read_text(errors="replace").splitlines():
                value = line.split("#", 1)[0].strip().lower()
                if DOMAIN.fullmatch(value):
                    domains.add(value)
    addresses = [
        line.split()[0]
        for line in (INTEL / "iocs" / "ipsum" / "ipsum.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    return sorted(domains), addresses


def planted(dns_log: bytes) -> list[str]:
    queries = sorted(
        {
            line.split(b"\t")[9].decode()
            for line in dns_log.split(b"\n")
            if line and not line.startswith(b"#") and line.count(b"\t") > 9
        }
    )
    parents = sorted({q.split(".", 1)[1] for q in queries if q.count(".") >= 2})
    return random.Random(17).sample(parents, min(20, len(parents)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-warning-lists", action="store_true")
    args = parser.parse_args()
    core = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})  # one core, inherited by grep and the store subprocesses
    one, five, _ = os.getloadavg()
    print(f"pinned to core {core} of {os.cpu_count()}; load average {one:.2f}, {five:.2f}")
    work = Path(tempfile.mkdtemp(prefix="bench-sensor-"))
    dns_one = gzip.decompress(
        (INTEL / "logs" / "zeek" / "wrccdc2018" / "zeek-default" / "dns.log.gz").read_bytes()
    )
    header = b"\n".join(dns_one.split(b"\n")[:8]) + b"\n"
    rows = (
        b"\n".join(line for line in dns_one.split(b"\n") if line and not line.startswith(b"#"))
        + b"\n"
    )
    dns_path = work / "dns.log"
    dns_path.write_bytes(header + rows * args.copies)
    eve_one = (INTEL / "logs" / "suricata" / "surevego_eve.json").read_bytes()
    eve_lines = eve_one.count(b"\n")
    eve_path = work / "eve.json"
    eve_path.write_bytes(eve_one * (53_615 * args.copies // eve_lines))

    domains, addresses = real_values()
    plant = planted(dns_one)
    rng = random.Random(16)
    generated: list[str] = []
    room = args.count - len(domains) - len(addresses) - len(plant)
    while len(generated) < room:
        label = "".join(rng.choices(string.ascii_lowercase + string.digits, k=rng.randint(6, 14)))
        generated.append(f"{label}.{rng.choice(('com', 'net', 'org', 'info', 'xyz', 'ru'))}")
    all_domains = [*plant, *domains, *generated]
    csv_path = work / "indicators.csv"
    with csv_path.open("w") as out:
        out.write("type,value\n")
        out.writelines(f"domain,{d}\n" for d in all_domains)
        out.writelines(f"ipv4,{a}\n" for a in addresses)
    (work / "domains.txt").write_text("\n".join(all_domains) + "\n")
    print(
        f"indicators: {len(all_domains) + len(addresses):,} "
        f"({len(domains):,} real maltrail domains, {len(addresses):,} ipsum addresses, "
        f"{len(plant)} planted parents, {len(generated):,} generated)"
    )

    started = time.perf_counter()
    warnings = None if args.no_warning_lists else load_warning_lists(DEFAULT_WARNING_LISTS)
    indicators, report = load_indicator_files([csv_path], warnings)
    loaded = time.perf_counter() - started
    print(
        f"load: {len(indicators):,} indicators in {loaded:.2f} s "
        f"(suppressed by warning lists: {sum(report.suppressed.values()):,}); "
        f"peak RSS {peak_rss_mb():.0f} MB"
    )

    for path in (dns_path, eve_path):
        rates: list[float] = []
        for _ in range(args.repeat):
            found: list[int] = []

            def keep(hits: list[Hit], found: list[int] = found) -> None:
                # grep is given the domains only: compare the domain sightings.
                found.extend(h.line for h in hits if indicators.types[h.entry] == "domain")

            result = scan_file(str(path), indicators, keep)
            lines = sum(result.lines.values())
            rates.append(lines / result.seconds)
            print(
                f"{result.format}: {lines:,} lines in {result.seconds:.2f} s = "
                f"{rates[-1]:,.0f} lines/s; {result.hits:,} sightings on "
                f"{len(set(found)):,} lines with a domain sighting; "
                f"not understood {result.not_understood}"
            )
        median = statistics.median(rates)
        print(f"{result.format}: median of {len(rates)} = {median:,.0f} lines/s")
        if path == dns_path:
            sensor_lines = set(found)
            dns_seconds = lines / median
    print(f"peak RSS after scans: {peak_rss_mb():.0f} MB")

    started = time.perf_counter()
    done = subprocess.run(
        ["grep", "-n", "-F", "-f", str(work / "domains.txt"), str(dns_path)],
        capture_output=True,
        env={"LC_ALL": "C"},
        check=False,
    )
    grep_seconds = time.perf_counter() - started
    grep_lines = {int(line.split(b":", 1)[0]) for line in done.stdout.splitlines()}
    dns_rows = 53_615 * args.copies
    print(
        f"grep -F -f domains.txt: {grep_seconds:.2f} s = {dns_rows / grep_seconds:,.0f} "
        f"lines/s; {len(grep_lines):,} lines; the sensor's median scan is "
        f"{grep_seconds / dns_seconds:.1f} times faster"
    )
    missing = sensor_lines - grep_lines
    print(
        f"sensor lines not in grep's: {len(missing)} (must be 0: domain hits are substrings); "
        f"grep lines the sensor rightly leaves out: {len(grep_lines - sensor_lines):,}"
    )
    store_phase(work, csv_path, args.no_warning_lists)
    if missing:
        sys.exit(1)


# Run in a fresh interpreter, so that its peak RSS is the store load's alone.
STORE_LOAD = """
import sys, time
from datetime import UTC, datetime
from pathlib import Path
from vigie.engines.indicators import load_warning_lists
from vigie.sensor.matcher import IndicatorSet
from vigie.sensor.sources import DEFAULT_WARNING_LISTS
from vigie.sensor.store import IndicatorStore
started = time.perf_counter()
warnings = None if sys.argv[2] == "none" else load_warning_lists(DEFAULT_WARNING_LISTS)
with IndicatorStore.open(Path(sys.argv[1]), create=False) as store:
    found = IndicatorSet()
    counts = store.load_into(found, warnings, datetime.now(UTC))
seconds = time.perf_counter() - started
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent across exec.
status = Path("/proc/self/status").read_text()
rss = int(next(l for l in status.splitlines() if l.startswith("VmHWM:")).split()[1]) / 1024
print(f"{len(found)} {seconds:.2f} {rss:.0f}")
"""


def store_phase(work: Path, csv_path: Path, no_warning_lists: bool) -> None:
    """`vigie sensor pull --file` (the engine's reader, once), then loading the store as
    `scan` and `watch` do, in a fresh process."""
    env = {**os.environ, "VIGIE_HOME": str(work / "home")}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "vigie.sensor", "pull", "--file", str(csv_path)],
        env=env,
        capture_output=True,
        check=True,
    )
    print(f"pull --file into the store: {time.perf_counter() - started:.2f} s")
    store = work / "home" / "sensor" / "indicators.sqlite3"
    done = subprocess.run(
        [sys.executable, "-c", STORE_LOAD, str(store), "none" if no_warning_lists else "lists"],
        capture_output=True,
        text=True,
        check=True,
    )
    count, seconds, rss = done.stdout.split()
    print(
        f"load from the store: {int(count):,} indicators in {seconds} s "
        f"(warning lists {'off' if no_warning_lists else 'on'}); peak RSS {rss} MB"
    )


if __name__ == "__main__":
    main()
