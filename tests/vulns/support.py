"""Fixtures for the early-warning pipeline: real feeds and real inventories."""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Any

import pytest

from vigie.engines.offline import load_feed_paths
from vigie.inventory import imports
from vigie.tenancy.access import OrgAccess
from vigie.tenancy.models import Membership, Organisation
from vigie.vulns.feed_import import store_and_match
from vigie.vulns.models import Alert

REPO = Path(__file__).resolve().parents[2]
DEMO_FEEDS = REPO / "src" / "vigie" / "vulns" / "demo_data" / "feeds"
DEMO_INVENTORIES = REPO / "src" / "vigie" / "vulns" / "demo_data" / "inventories"
HEADER = "id,name,kind,vendor,product,version,cpe,purl,parent,criticality,exposure,location\n"


def access_of(user: Any, organisation: Organisation) -> OrgAccess:
    membership = Membership.objects.select_related("organisation").get(
        user=user, organisation=organisation
    )
    return OrgAccess(user=user, organisation=organisation, membership=membership)


def import_csv(access: OrgAccess, text: str, name: str = "inventory.csv") -> Any:
    job = imports.preview(access=access, stream=io.BytesIO(text.encode()), file_name=name)
    assert job.state == "preview", job.errors
    return imports.commit(access=access, job=job)


def load_feeds(*paths: Path) -> dict[str, Any]:
    content, fatal = load_feed_paths(list(paths))
    assert not fatal, fatal
    return store_and_match(content)


@pytest.fixture
def a_access(a_admin: Any, est_a: Organisation) -> OrgAccess:
    return access_of(a_admin, est_a)


@pytest.fixture
def b_access(b_admin: Any, est_b: Organisation) -> OrgAccess:
    return access_of(b_admin, est_b)


@pytest.fixture(scope="session")
def small_feeds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A slice of the demo feeds (Apache HTTP Server and BD Alaris): fast, still real data."""
    import gzip
    import json
    import shutil

    folder = tmp_path_factory.mktemp("feeds")
    with (
        gzip.open(DEMO_FEEDS / "nvd-overrides.jsonl.gz", "rt") as source,
        (folder / "nvd.jsonl").open("w") as out,
    ):
        for line in source:
            if "apache:http_server" in line:
                out.write(line)
    kept = set()
    for line in (folder / "nvd.jsonl").read_text().splitlines():
        kept.add(json.loads(line)["_annotation"]["cve_id"])
    with (DEMO_FEEDS / "cve5.jsonl").open() as source, (folder / "cve5.jsonl").open("w") as out:
        for line in source:
            if json.loads(line)["cveMetadata"]["cveId"] in kept:
                out.write(line)
    for name in ("kev.json", "eukev.json", "epss.csv.gz"):
        shutil.copy(DEMO_FEEDS / name, folder / name)
    (folder / "csaf").mkdir()
    for name in ("icsma-17-017-02.json", "icsma-23-194-01.json"):
        shutil.copy(DEMO_FEEDS / "csaf" / name, folder / "csaf" / name)
    return folder


MEDICAL_FEEDS = REPO / "tests" / "data" / "feeds"
# Baxter ExactaMix compounders (ICSMA-20-170-01): EternalBlue (CVE-2017-0143), in CISA's KEV.
EXACTAMIX = (
    "em2400,Automate ExactaMix pharmacie,medical-device,Baxter,ExactaMix EM2400,1.13,,,,"
    "clinical,internal,Pharmacie centrale\n"
)
# SIMATIC RTLS gateways (ICSA-24-046-03): Siemens plans no fix for Ripple20 (CVE-2020-11896).
RTLS = (
    "rtls,Passerelle localisation bloc,iot,Siemens,"
    '"SIMATIC RTLS Gateway RTLS4030G, ETSI (6GT2701-5DB03)",2.1,,,,'
    "clinical,internal,Bloc opératoire\n"
)


@pytest.fixture
def medical_feeds(tmp_path: Path) -> Path:
    """Two medical-device CSAF advisories and CISA's KEV catalogue (real files)."""
    folder = tmp_path / "feeds"
    folder.mkdir()
    shutil.copy(MEDICAL_FEEDS / "csaf" / "cisa-icsma" / "icsma-20-170-01.json.gz", folder)
    shutil.copy(MEDICAL_FEEDS / "csaf" / "cisa-icsa-2024" / "icsa-24-046-03.json", folder)
    shutil.copy(MEDICAL_FEEDS / "kev" / "known_exploited_vulnerabilities.json.gz", folder)
    return folder


@pytest.fixture
def exactamix_alert(a_admin: Any, est_a: Organisation, medical_feeds: Path) -> Alert:
    import_csv(access_of(a_admin, est_a), HEADER + EXACTAMIX + RTLS)
    load_feeds(medical_feeds)
    return Alert.objects.select_related("vulnerability").get(
        organisation=est_a, vulnerability__vuln_id="CVE-2017-0143"
    )
