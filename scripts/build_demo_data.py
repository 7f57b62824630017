"""Rebuild src/vigie/vulns/demo_data/ from the real public data in ../shared/data.

Run from the repository root: `.venv/bin/python scripts/build_demo_data.py [SHARED_DATA]`.
The demo needs a few hundred real records that concern its inventories, not the whole feeds;
this script chooses them, so the selection is reproducible and reviewable.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "vigie" / "vulns" / "demo_data" / "feeds"

# CPE vendor:product pairs present in the demo inventories (vulns/demo.py, demo_data/*.csv).
PRODUCTS = {
    "apache:http_server",
    "apache:tomcat",
    "php:php",
    "rarlab:winrar",
    "glpi-project:glpi",
    "zabbix:zabbix",
    "openssl:openssl",
    "isc:bind",
    "postgresql:postgresql",
    "open-emr:openemr",
    "ivanti:connect_secure",
    "7-zip:7-zip",
    "openbsd:openssh",
    "sudo_project:sudo",
    "offis:dcmtk",
    "microsoft:windows_server_2019",
}
# Medical-device advisories (CISA ICS-Medical CSAF) for the devices of the demo inventories.
ADVISORY_VENDORS = (
    "bd",
    "becton",
    "medtronic",
    "philips",
    "ge healthcare",
    "b. braun",
    "baxter",
    "orthanc",
    "offis",
    "carestream",
    "hillrom",
    "fresenius",
    "siemens",
)


def criteria_products(record: dict) -> set[str]:
    cve = record.get("cve", {})
    return {
        ":".join(match["criteria"].split(":")[3:5])
        for config in cve.get("configurations", [])
        for node in config.get("nodes", [])
        for match in node.get("cpeMatch", [])
        if match.get("vulnerable")
    }


def main(shared: Path) -> None:
    vuln = shared / "vuln"
    OUT.mkdir(parents=True, exist_ok=True)
    selected: list[dict] = []
    with gzip.open(vuln / "nvd/anchore-nvd-overrides/all-overrides.jsonl.gz", "rt") as feed:
        for line in feed:
            record = json.loads(line)
            if criteria_products(record) & PRODUCTS:
                selected.append(record)
    with gzip.open(OUT / "nvd-overrides.jsonl.gz", "wt", encoding="utf-8") as out:
        for record in selected:
            out.write(json.dumps(record, separators=(",", ":")) + "\n")
    cves = {r["_annotation"]["cve_id"] for r in selected}

    advisories = []
    csaf_out = OUT / "csaf"
    shutil.rmtree(csaf_out, ignore_errors=True)
    csaf_out.mkdir()
    for path in sorted((vuln / "csaf/cisa-icsma").glob("*.json")):
        doc = json.loads(path.read_text())
        vendors = " ".join(
            b.get("name", "").lower()
            for b in doc.get("product_tree", {}).get("branches", [])
            if b.get("category") == "vendor"
        )
        if any(v in vendors for v in ADVISORY_VENDORS):
            shutil.copy(path, csaf_out / path.name)
            advisories.append(path.name)
            cves.update(v.get("cve", "") for v in doc.get("vulnerabilities", []))

    kev = json.loads((vuln / "kev/known_exploited_vulnerabilities.json").read_text())
    kev["vulnerabilities"] = [v for v in kev["vulnerabilities"] if v["cveID"] in cves]
    kev["count"] = len(kev["vulnerabilities"])
    (OUT / "kev.json").write_text(json.dumps(kev, indent=1))
    shutil.copy(vuln / "kev/eukev.json", OUT / "eukev.json")

    with (vuln / "epss/epss_scores_emba_2026-08-16.csv").open() as source:
        rows = [row for row in csv.DictReader(source) if row["cve"] in cves]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["cve", "epss", "percentile"])
    writer.writeheader()
    writer.writerows(rows)
    with gzip.open(OUT / "epss.csv.gz", "wt") as out:
        out.write(buffer.getvalue())

    with (
        (vuln / "vulnrichment/vulnrichment-selected-records.jsonl").open() as source,
        (OUT / "cve5.jsonl").open("w") as out,
    ):
        for line in source:
            if json.loads(line).get("cveMetadata", {}).get("cveId") in cves:
                out.write(line)
    print(
        f"{len(selected)} NVD-format records, {len(advisories)} CSAF advisories, "
        f"{len(kev['vulnerabilities'])} KEV entries, {len(rows)} EPSS scores"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data")
