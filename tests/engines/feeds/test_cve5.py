"""CVE JSON 5 records (CISA vulnrichment) -> VulnRecord(source="cve5")."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from univers.version_range import VersionRange

from vigie.engines.feeds import load_feed_file
from vigie.engines.feeds.common import Problems
from vigie.engines.feeds.cve5_versions import cpe_criteria, segments, to_vers
from vigie.engines.records import NamedProduct, PackageRange, VulnRecord

SAMPLE = (
    Path(__file__).resolve().parents[2] / "data" / "feeds" / "cve5" / "vulnrichment-sample.jsonl"
)
# vers grammar: scheme, then `*` or `|`-separated constraints without blanks.
VERS = re.compile(r"^vers:[a-z0-9.+-]+/(\*|[^|\s]+(\|[^|\s]+)*)$")


@pytest.fixture(scope="module")
def records() -> dict[str, VulnRecord]:
    content = load_feed_file(SAMPLE)
    assert content.errors == []
    return {r.id: r for r in content.vulns}


def test_every_sample_line_becomes_a_cve5_record(records: dict[str, VulnRecord]) -> None:
    assert len(records) == 8
    assert {r.source for r in records.values()} == {"cve5"}


def test_range_with_less_than_or_equal_is_rendered_as_vers(records: dict[str, VulnRecord]) -> None:
    record = records["CVE-2006-20001"]
    assert record.named_products == (
        NamedProduct(
            vendor="Apache Software Foundation",
            product="Apache HTTP Server",
            versions="vers:generic/>=2.4|<=2.4.54",
            status="affected",
        ),
    )
    # the string is one univers parses
    assert str(VersionRange.from_string(record.named_products[0].versions)).startswith(
        "vers:generic/>=2.4"
    )


def test_cisa_adp_ssvc_is_read(records: dict[str, VulnRecord]) -> None:
    apache = records["CVE-2006-20001"]
    assert (apache.ssvc_exploitation, apache.ssvc_automatable, apache.ssvc_technical_impact) == (
        "none",
        "no",
        "partial",
    )
    assert records["CVE-2011-0611"].ssvc_exploitation == "active"
    assert records["CVE-2024-6387"].ssvc_exploitation == "poc"


def test_adp_cpes_give_configurations_when_the_cna_names_none(
    records: dict[str, VulnRecord],
) -> None:
    record = records["CVE-2011-0611"]  # MITRE-era record: CNA says n/a, CISA ADP lists CPEs
    assert record.named_products == ()
    criteria = record.configurations[0]["nodes"][0]["cpeMatch"]
    assert criteria[0] == {
        "criteria": "cpe:2.3:a:adobe:flash_player:*:*:*:*:*:*:*:*",
        "vulnerable": True,
        "versionEndExcluding": "10.2.154.27",
    }
    reader = next(c for c in criteria if ":reader:" in c["criteria"])
    assert reader["versionStartIncluding"] == "9.0"
    assert reader["versionEndExcluding"] == "9.4.4"


def test_adp_cvss_is_used_when_the_cna_gives_none(records: dict[str, VulnRecord]) -> None:
    [score] = records["CVE-2011-0611"].cvss
    assert (score.version, score.base_score, score.source) == ("3.1", 8.8, "CISA-ADP")


def test_cna_cpes_become_ranges_on_a_wildcard_version(records: dict[str, VulnRecord]) -> None:
    criteria = records["CVE-2021-1675"].configurations[0]["nodes"][0]["cpeMatch"]
    first = criteria[0]
    assert first["criteria"] == "cpe:2.3:o:microsoft:windows_10_1809:*:*:*:*:*:*:x86:*"
    assert first["versionStartIncluding"] == "10.0.0"
    assert first["versionEndExcluding"] == "10.0.17763.1999"


def test_changes_split_a_range_and_empty_runs_are_dropped(records: dict[str, VulnRecord]) -> None:
    pan_os = [n for n in records["CVE-2022-0028"].named_products if n.product == "PAN-OS"]
    assert (
        NamedProduct("Palo Alto Networks", "PAN-OS", "vers:generic/>=8.1|<8.1.23-h1", "affected")
        in pan_os
    )
    assert all(n.status == "affected" for n in pan_os)  # "changes at the range end" add nothing


def test_default_status_affected_adds_a_catch_all_and_exceptions(
    records: dict[str, VulnRecord],
) -> None:
    linux = records["CVE-2021-47178"].named_products
    assert linux[0] == NamedProduct("Linux", "Linux", "vers:all/*", "affected")
    assert NamedProduct("Linux", "Linux", "vers:generic/<5.11", "not_affected") in linux
    # the `5.10.*` branch wildcard became an exclusive bound on the next branch
    assert NamedProduct("Linux", "Linux", "vers:generic/>=5.12.9|<5.13", "not_affected") in linux
    assert not any("git" in n.versions for n in linux)  # commit-id ranges are not orderable


def test_package_repositories_give_package_ranges(records: dict[str, VulnRecord]) -> None:
    assert (
        PackageRange("pkg:rpm/fedora/kernel", "vers:rpm/*", "affected")
        in records["CVE-2023-0160"].packages
    )
    openssh = records["CVE-2024-6387"].packages
    assert (
        PackageRange("pkg:rpm/redhat/openssh", "vers:rpm/>=0:8.7p1-38.el9_4.1", "not_affected")
        in openssh
    )
    assert len(openssh) == len(set(openssh))


def test_medical_device_record_cross_checks_with_the_csaf_advisory(
    records: dict[str, VulnRecord],
) -> None:
    [product] = records["CVE-2023-30563"].named_products
    assert product.versions == "vers:generic/<=12.3"  # ICSMA-23-194-01 says "<=12.3" too
    assert product.product.startswith("BD Alaris")


def test_every_rendered_range_follows_the_vers_grammar(records: dict[str, VulnRecord]) -> None:
    ranges = [n.versions for r in records.values() for n in r.named_products]
    ranges += [p.vers for r in records.values() for p in r.packages]
    assert ranges
    assert [v for v in ranges if not VERS.match(v)] == []


def test_rejected_state_marks_the_record_and_keeps_the_reason(tmp_path: Path) -> None:
    doc = json.loads(SAMPLE.read_text().splitlines()[0])
    doc["cveMetadata"]["state"] = "REJECTED"
    doc["containers"]["cna"] = {"rejectedReasons": [{"lang": "en", "value": "Duplicate."}]}
    path = tmp_path / "rejected.json"
    path.write_text(json.dumps(doc))
    [record] = load_feed_file(path).vulns
    assert record.rejected
    assert record.description == "Duplicate."


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ({"version": "4.1", "status": "affected"}, ["vers:generic/4.1"]),
        ({"version": "0", "lessThan": "*", "status": "affected"}, ["vers:all/*"]),
        ({"version": "n/a", "status": "affected"}, ["vers:all/*"]),
        ({"version": "2.0", "lessThan": "*", "status": "affected"}, ["vers:generic/>=2.0"]),
        ({"version": "1.0", "lessThan": "1.*", "status": "affected"}, ["vers:generic/>=1.0|<2"]),
        ({"version": "V3.2 SP1", "status": "affected"}, ["vers:generic/V3.2%20SP1"]),
        (
            {
                "version": "2.0",
                "lessThan": "2.1",
                "status": "affected",
                "changes": [{"at": "2.0.5", "status": "unaffected"}],
            },
            ["vers:generic/>=2.0|<2.0.5", "vers:generic/>=2.0.5|<2.1"],
        ),
    ],
)
def test_cve5_version_items_render_as_vers(item: dict[str, object], expected: list[str]) -> None:
    runs = segments(item, "/v", Problems("x"), "CVE-0000-0000")
    assert [to_vers(run, "generic") for run in runs] == expected


def test_unknown_version_status_is_reported_with_its_path() -> None:
    problems = Problems("x.json")
    assert (
        segments(
            {"version": "1", "status": "broken"},
            "/containers/cna/affected/0/versions/0",
            problems,
            "CVE-0000-0000",
        )
        == []
    )
    [error] = problems.errors
    assert error.field == "/containers/cna/affected/0/versions/0/status"


def test_cpes_naming_their_version_are_not_crossed_with_every_version() -> None:
    # Shape of CISA's ADP entry for CVE-2024-20399: one CPE and one version per Cisco release.
    releases = ["6.0\\(2\\)A6\\(1\\)", "6.0\\(2\\)A6\\(1a\\)", "7.0\\(3\\)I7\\(9\\)"]
    entry = {
        "cpes": [f"cpe:2.3:o:cisco:nx-os:{r}:*:*:*:*:*:*:*" for r in releases],
        "versions": [{"status": "affected", "version": r} for r in releases],
    }
    criteria = cpe_criteria(entry, "/adp/0/affected/0", Problems("x"), "CVE-2024-20399")
    assert [c["criteria"] for c in criteria] == entry["cpes"]
