"""NVD configuration matching, case by case on real records and on the curated CVE cases.

Every case runs through the three paths (VulnIndex batch, InventoryIndex per CVE, and the
index-free reference) and checks that they agree before looking at the result.

The curated NVD records named in shared/data/vuln/SOURCES.md (`nvd/curated/`: sudo
CVE-2021-3156, Citrix CVE-2023-4966, OpenSSH CVE-2024-6387, gSOAP CVE-2019-7659, BD Alaris
CVE-2020-25165, Medtronic CVE-2019-10964) are kept back for independent evaluation and are not
available here: the `CURATED` configurations below are hand-written in NVD's shape from the
features that description lists (update fields `1.9.5:patch1`, `8.5:p1`, `13.2:p11`,
`14.0:rc4-p1`; escaped `privilege_management_for_unix\\/linux`; builds `13.1-49.15`;
`sw_edition` fips/`-`; firmware AND hardware; a hardware criterion with a range; `2.4a`) and
from the advisories' published version bounds. They are not NVD's exact records.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from vigie.engines.cpe.configurations import compile_configurations
from vigie.engines.cpe.index import InventoryIndex, VulnIndex, match_brute_force
from vigie.engines.records import AssetRecord, InputError, Match, VulnRecord

DATA = Path(__file__).resolve().parents[2] / "data" / "nvd"


# ------------------------------------------------------------------------------------ helpers


def load(name: str) -> tuple[str, list[dict[str, Any]], dict[str, Any]]:
    """(id, configurations, cve object) of a fixture: NVD `{"cve"}` or vunnel `{"item"}`."""
    doc = json.loads((DATA / name).read_text())
    cve = doc["item"]["cve"] if "item" in doc else doc["cve"]
    return cve["id"], cve.get("configurations", []), cve


def anchore(cve_id: str) -> list[dict[str, Any]]:
    with (DATA / "anchore-overrides.jsonl").open() as f:
        for line in f:
            rec = json.loads(line)
            if rec["_annotation"]["cve_id"] == cve_id:
                return rec["cve"].get("configurations") or []
    raise KeyError(cve_id)


def crit(criteria: str, vulnerable: bool = True, **bounds: str) -> dict[str, Any]:
    return {"vulnerable": vulnerable, "criteria": criteria, **bounds}


def node(*matches: dict[str, Any], operator: str = "OR", negate: bool = False) -> dict[str, Any]:
    return {"operator": operator, "negate": negate, "cpeMatch": list(matches)}


def config(*nodes: dict[str, Any], operator: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"nodes": list(nodes)}
    if operator:
        out["operator"] = operator
    return out


def asset(
    asset_id: str, *cpes: str, parent: str | None = None, line: int | None = None
) -> AssetRecord:
    return AssetRecord(id=asset_id, name=asset_id, cpes=cpes, parent=parent, line=line)


def run(
    vulns: dict[str, list[dict[str, Any]]], assets: Iterable[AssetRecord]
) -> dict[tuple[str, str], Match]:
    """Match through the three paths, check they agree, return matches by (asset, CVE)."""
    assets = list(assets)
    index = VulnIndex()
    for vuln_id, cfgs in vulns.items():
        index.put(vuln_id, cfgs)
    batch = {(m.asset, m.vulnerability): m for m in index.match(assets)}
    assert len(batch) == len(list(index.match(assets))), "one Match per (asset, CVE)"
    inventory = InventoryIndex()
    inventory.put_many("chu-a", assets)
    per_cve = {}
    for vuln_id, cfgs in vulns.items():
        for scope, m in inventory.match_vulnerability(vuln_id, cfgs):
            assert scope == "chu-a"
            per_cve[(m.asset, m.vulnerability)] = m
    reference = {
        (m.asset, m.vulnerability): m
        for m in match_brute_force([compile_configurations(v, c) for v, c in vulns.items()], assets)
    }
    summary = {k: m.confidence for k, m in batch.items()}
    assert summary == {k: m.confidence for k, m in per_cve.items()}
    assert summary == {k: m.confidence for k, m in reference.items()}
    return batch


def confidences(
    vulns: dict[str, list[dict[str, Any]]], assets: Iterable[AssetRecord]
) -> dict[str, str]:
    """Confidence per asset id (single-vulnerability cases)."""
    return {a: m.confidence for (a, _), m in run(vulns, assets).items()}


# ------------------------------------------------------------------ curated cases, hand-written

SUDO = "CVE-2021-3156"
SUDO_CONFIGS = [
    config(
        node(
            crit(
                "cpe:2.3:a:sudo_project:sudo:*:*:*:*:*:*:*:*",
                versionStartIncluding="1.8.2",
                versionEndExcluding="1.8.32",
            ),
            crit(
                "cpe:2.3:a:sudo_project:sudo:*:*:*:*:*:*:*:*",
                versionStartIncluding="1.9.0",
                versionEndExcluding="1.9.5",
            ),
            crit("cpe:2.3:a:sudo_project:sudo:1.9.5:-:*:*:*:*:*:*"),
            crit("cpe:2.3:a:sudo_project:sudo:1.9.5:patch1:*:*:*:*:*:*"),
        )
    ),
    config(
        node(
            crit(
                "cpe:2.3:a:beyondtrust:privilege_management_for_unix\\/linux:*:*:*:*:basic:*:*:*",
                versionEndExcluding="10.3.2-10",
            ),
            crit(
                "cpe:2.3:a:beyondtrust:privilege_management_for_unix\\/linux:*:*:*:*:essentials:*:*:*",
                versionEndExcluding="10.3.2-10",
            ),
        )
    ),
    config(
        node(crit("cpe:2.3:o:synology:diskstation_manager:6.2:*:*:*:*:*:*:*")),
        node(crit("cpe:2.3:h:synology:ds218:-:*:*:*:*:*:*:*", vulnerable=False)),
        operator="AND",
    ),
]

CITRIX = "CVE-2023-4966"
ADC = "cpe:2.3:a:citrix:netscaler_application_delivery_controller"
CITRIX_CONFIGS = [
    config(
        node(
            crit(
                f"{ADC}:*:*:*:*:-:*:*:*",
                versionStartIncluding="13.1",
                versionEndExcluding="13.1-49.15",
            ),
            crit(
                f"{ADC}:*:*:*:*:-:*:*:*",
                versionStartIncluding="14.1",
                versionEndExcluding="14.1-8.50",
            ),
            crit(
                f"{ADC}:*:*:*:*:fips:*:*:*",
                versionStartIncluding="13.1",
                versionEndExcluding="13.1-37.164",
            ),
            crit(
                f"{ADC}:*:*:*:*:ndcpp:*:*:*",
                versionStartIncluding="12.1",
                versionEndExcluding="12.1-55.300",
            ),
            crit(
                "cpe:2.3:a:citrix:netscaler_gateway:*:*:*:*:*:*:*:*",
                versionStartIncluding="13.1",
                versionEndExcluding="13.1-49.15",
            ),
        )
    )
]

OPENSSH = "CVE-2024-6387"
OPENSSH_CONFIGS = [
    config(
        node(
            crit("cpe:2.3:a:openbsd:openssh:*:*:*:*:*:*:*:*", versionEndExcluding="4.4"),
            crit("cpe:2.3:a:openbsd:openssh:4.4:-:*:*:*:*:*:*"),
            crit("cpe:2.3:a:openbsd:openssh:8.5:p1:*:*:*:*:*:*"),
            crit(
                "cpe:2.3:a:openbsd:openssh:*:*:*:*:*:*:*:*",
                versionStartIncluding="8.6",
                versionEndExcluding="9.8",
            ),
            crit("cpe:2.3:a:openbsd:openssh:9.8:-:*:*:*:*:*:*"),
        )
    ),
    config(
        node(
            crit("cpe:2.3:o:freebsd:freebsd:13.2:p11:*:*:*:*:*:*"),
            crit("cpe:2.3:o:freebsd:freebsd:14.0:rc4-p1:*:*:*:*:*:*"),
        )
    ),
]

GSOAP = "CVE-2019-7659"
GSOAP_CONFIGS = [
    config(
        node(
            crit(
                "cpe:2.3:a:genivia:gsoap:*:*:*:*:*:*:*:*",
                versionStartIncluding="2.7.0",
                versionEndExcluding="2.8.75",
            )
        )
    )
]

ALARIS = "CVE-2020-25165"
ALARIS_CONFIGS = [
    config(
        node(
            crit(
                "cpe:2.3:o:bd:alaris_8015_pc_unit_firmware:*:*:*:*:*:*:*:*",
                versionEndIncluding="9.33.1",
            )
        ),
        node(crit("cpe:2.3:h:bd:alaris_8015_pc_unit:-:*:*:*:*:*:*:*", vulnerable=False)),
        operator="AND",
    )
]

MINIMED = "CVE-2019-10964"
MINIMED_CONFIGS = [
    config(
        node(crit("cpe:2.3:o:medtronic:minimed_paradigm_522_firmware:2.4a:*:*:*:*:*:*:*")),
        node(crit("cpe:2.3:h:medtronic:minimed_paradigm_522:-:*:*:*:*:*:*:*", vulnerable=False)),
        operator="AND",
    ),
    config(
        node(crit("cpe:2.3:o:medtronic:minimed_paradigm_veo_754_firmware:-:*:*:*:*:*:*:*")),
        node(
            crit(
                "cpe:2.3:h:medtronic:minimed_paradigm_veo_754:*:*:*:*:*:*:*:*",
                vulnerable=False,
                versionStartIncluding="2.6a",
                versionEndIncluding="2.7a",
            )
        ),
        operator="AND",
    ),
]

CURATED: dict[str, list[dict[str, Any]]] = {
    SUDO: SUDO_CONFIGS,
    CITRIX: CITRIX_CONFIGS,
    OPENSSH: OPENSSH_CONFIGS,
    GSOAP: GSOAP_CONFIGS,
    ALARIS: ALARIS_CONFIGS,
    MINIMED: MINIMED_CONFIGS,
}


# --------------------------------------------------------------------------------- the cases


def test_sudo_ranges_exact_versions_and_update_fields() -> None:
    got = confidences(
        {SUDO: SUDO_CONFIGS},
        [
            asset("s-1.8.31", "cpe:2.3:a:sudo_project:sudo:1.8.31:*:*:*:*:*:*:*"),
            asset("s-1.8.32", "cpe:2.3:a:sudo_project:sudo:1.8.32:*:*:*:*:*:*:*"),
            asset("s-1.8.1", "cpe:2.3:a:sudo_project:sudo:1.8.1:*:*:*:*:*:*:*"),
            asset("s-1.9.4p2", "cpe:2.3:a:sudo_project:sudo:1.9.4:p2:*:*:*:*:*:*"),
            asset("s-1.9.5-", "cpe:2.3:a:sudo_project:sudo:1.9.5:-:*:*:*:*:*:*"),
            asset("s-1.9.5patch1", "cpe:2.3:a:sudo_project:sudo:1.9.5:patch1:*:*:*:*:*:*"),
            asset("s-1.9.5p1", "cpe:2.3:a:sudo_project:sudo:1.9.5:p1:*:*:*:*:*:*"),
            asset("s-1.9.5p2", "cpe:2.3:a:sudo_project:sudo:1.9.5:p2:*:*:*:*:*:*"),
            asset("s-1.9.5*", "cpe:2.3:a:sudo_project:sudo:1.9.5:*:*:*:*:*:*:*"),
            asset("s-1.9.5p1-one-field", "cpe:2.3:a:sudo_project:sudo:1.9.5p1:*:*:*:*:*:*:*"),
            asset("s-1.9.5p2-one-field", "cpe:2.3:a:sudo_project:sudo:1.9.5p2:*:*:*:*:*:*:*"),
            asset("s-unknown", "cpe:2.3:a:sudo_project:sudo:*:*:*:*:*:*:*:*"),
        ],
    )
    assert got == {
        "s-1.8.31": "high",
        "s-1.9.4p2": "high",  # the range is on the version field: 1.9.4 is in [1.9.0, 1.9.5)
        "s-1.9.5-": "high",
        "s-1.9.5patch1": "high",
        "s-1.9.5p1": "medium",  # `p1` and `patch1` are the same patch level, not the same string
        "s-1.9.5*": "medium",  # update unknown: could be -, patch1 (vulnerable) or p2 (fixed)
        "s-1.9.5p1-one-field": "medium",  # `1.9.5p1` read as version 1.9.5 update p1
        "s-unknown": "medium",  # version unknown
    }


def test_reason_says_criterion_range_and_installed_version() -> None:
    matches = run(
        {SUDO: SUDO_CONFIGS},
        [asset("host", "cpe:2.3:a:sudo_project:sudo:1.8.31:*:*:*:*:*:*:*")],
    )
    m = matches[("host", SUDO)]
    assert m.reason == (
        "cpe:2.3:a:sudo_project:sudo:*:*:*:*:*:*:*:* versions from 1.8.2 (incl.) to 1.8.32"
        " (excl.); installed 1.8.31"
    )
    assert m.criterion == "cpe:2.3:a:sudo_project:sudo:*:*:*:*:*:*:*:*"
    assert m.version_range == ">= 1.8.2, < 1.8.32"
    assert m.source == "nvd"
    assert m.confidence == "high"


def test_medium_matches_say_what_was_unknown() -> None:
    matches = run(
        {SUDO: SUDO_CONFIGS},
        [
            asset("a", "cpe:2.3:a:sudo_project:sudo:*:*:*:*:*:*:*:*"),
            asset("b", "cpe:2.3:a:sudo_project:sudo:1.9.5:p1:*:*:*:*:*:*"),
            asset("c", "cpe:2.3:a:sudo_project:sudo:1.9.5p1:*:*:*:*:*:*:*"),
        ],
    )
    assert "version unknown" in matches[("a", SUDO)].reason
    assert "installed update p1 read as patch1" in matches[("b", SUDO)].reason
    assert matches[("b", SUDO)].version_range == "= 1.9.5 update patch1"
    assert "installed version 1.9.5p1 read as 1.9.5 update" in matches[("c", SUDO)].reason


def test_escaped_product_and_sw_edition_are_compared_field_wise() -> None:
    base = "cpe:2.3:a:beyondtrust:privilege_management_for_unix\\/linux"
    got = confidences(
        {SUDO: SUDO_CONFIGS},
        [
            asset("basic-old", f"{base}:10.3.2-9:*:*:*:basic:*:*:*"),
            asset("basic-fixed", f"{base}:10.3.2-10:*:*:*:basic:*:*:*"),
            asset("essentials", f"{base}:10.1:*:*:*:essentials:*:*:*"),
            asset("other-edition", f"{base}:10.1:*:*:*:enterprise:*:*:*"),
            asset("edition-unknown", f"{base}:10.1:*:*:*:*:*:*:*"),
            asset(
                "unescaped-typo",
                "cpe:2.3:a:beyondtrust:privilege_management_for_unix:10.1:*:*:*:basic:*:*:*",
            ),
        ],
    )
    assert got == {"basic-old": "high", "essentials": "high", "edition-unknown": "medium"}


def test_citrix_build_versions_and_sw_edition_na() -> None:
    got = confidences(
        {CITRIX: CITRIX_CONFIGS},
        [
            asset("adc-49.13", f"{ADC}:13.1-49.13:*:*:*:-:*:*:*"),
            asset("adc-49.15", f"{ADC}:13.1-49.15:*:*:*:-:*:*:*"),
            asset("adc-51.15", f"{ADC}:13.1-51.15:*:*:*:-:*:*:*"),
            asset("adc-13.0", f"{ADC}:13.0-92.19:*:*:*:-:*:*:*"),
            asset("adc-fips-old", f"{ADC}:13.1-37.150:*:*:*:fips:*:*:*"),
            asset("adc-fips-fixed", f"{ADC}:13.1-37.176:*:*:*:fips:*:*:*"),
            asset("adc-14.1", f"{ADC}:14.1-4.42:*:*:*:-:*:*:*"),
            asset("adc-edition-unknown", f"{ADC}:13.1-48.47:*:*:*:*:*:*:*"),
            asset("gateway", "cpe:2.3:a:citrix:netscaler_gateway:13.1-48.47:*:*:*:*:*:*:*"),
        ],
    )
    assert got == {
        "adc-49.13": "high",
        "adc-fips-old": "high",
        "adc-14.1": "high",
        # sw_edition `*` against `-`: the plain edition's range says vulnerable, medium
        "adc-edition-unknown": "medium",
        "gateway": "high",
    }


def test_openssh_update_fields_and_freebsd_patch_levels() -> None:
    ssh = "cpe:2.3:a:openbsd:openssh"
    bsd = "cpe:2.3:o:freebsd:freebsd"
    got = confidences(
        {OPENSSH: OPENSSH_CONFIGS},
        [
            asset("ssh-8.5p1", f"{ssh}:8.5:p1:*:*:*:*:*:*"),
            asset("ssh-8.5", f"{ssh}:8.5:-:*:*:*:*:*:*"),
            asset("ssh-8.5p1-one-field", f"{ssh}:8.5p1:*:*:*:*:*:*:*"),
            asset("ssh-4.4p1", f"{ssh}:4.4:p1:*:*:*:*:*:*"),
            asset("ssh-4.4-", f"{ssh}:4.4:-:*:*:*:*:*:*"),
            asset("ssh-4.4", f"{ssh}:4.4:*:*:*:*:*:*:*"),
            asset("ssh-4.3p2", f"{ssh}:4.3p2:*:*:*:*:*:*:*"),
            asset("ssh-9.7p1", f"{ssh}:9.7:p1:*:*:*:*:*:*"),
            asset("ssh-9.8p1", f"{ssh}:9.8:p1:*:*:*:*:*:*"),
            asset("bsd-13.2p11", f"{bsd}:13.2:p11:*:*:*:*:*:*"),
            asset("bsd-13.2p10", f"{bsd}:13.2:p10:*:*:*:*:*:*"),
            asset("bsd-14.0rc4p1", f"{bsd}:14.0:rc4-p1:*:*:*:*:*:*"),
            asset("bsd-14.0rc3", f"{bsd}:14.0:rc3:*:*:*:*:*:*"),
            asset("bsd-14.0-rc4-p1-one-field", f"{bsd}:14.0-rc4-p1:*:*:*:*:*:*:*"),
        ],
    )
    assert got == {
        "ssh-8.5p1": "high",
        "ssh-8.5p1-one-field": "medium",
        "ssh-4.4-": "high",
        "ssh-4.4": "medium",  # 4.4 with unknown update: 4.4:- is listed, 4.4p1 is not
        "ssh-4.3p2": "high",
        "ssh-9.7p1": "high",
        "bsd-13.2p11": "high",  # exact criteria list only the listed patch levels
        "bsd-14.0rc4p1": "high",
        "bsd-14.0-rc4-p1-one-field": "medium",
    }


def test_gsoap_2_8_123e_is_above_the_fix_not_inside_the_range() -> None:
    gsoap = "cpe:2.3:a:genivia:gsoap"
    got = confidences(
        {GSOAP: GSOAP_CONFIGS},
        [
            asset("2.8.123e", f"{gsoap}:2.8.123e:*:*:*:*:*:*:*"),
            asset("2.8.74", f"{gsoap}:2.8.74:*:*:*:*:*:*:*"),
            asset("2.8.12", f"{gsoap}:2.8.12:*:*:*:*:*:*:*"),  # a real dictionary name
            asset("2.8.75", f"{gsoap}:2.8.75:*:*:*:*:*:*:*"),
            asset("2.6.2", f"{gsoap}:2.6.2:*:*:*:*:*:*:*"),
        ],
    )
    assert got == {"2.8.74": "high", "2.8.12": "high"}


def test_firmware_and_hardware_match_over_the_device_tree() -> None:
    fw = "cpe:2.3:o:bd:alaris_8015_pc_unit_firmware"
    hw = "cpe:2.3:h:bd:alaris_8015_pc_unit"
    matches = run(
        {ALARIS: ALARIS_CONFIGS},
        [
            # a pump: the hardware record with its firmware as a child
            asset("pump-1", f"{hw}:-:*:*:*:*:*:*:*"),
            asset("pump-1-fw", f"{fw}:9.33.1:*:*:*:*:*:*:*", parent="pump-1"),
            # firmware alone: the hardware condition is not met
            asset("loose-fw", f"{fw}:9.19:*:*:*:*:*:*:*"),
            # fixed firmware
            asset("pump-2", f"{hw}:-:*:*:*:*:*:*:*"),
            asset("pump-2-fw", f"{fw}:12.1.0:*:*:*:*:*:*:*", parent="pump-2"),
            # one device record carrying both CPEs
            asset("pump-3", f"{hw}:-:*:*:*:*:*:*:*", f"{fw}:9.12:*:*:*:*:*:*:*"),
            # a grandchild: the tree is the root and all its descendants
            asset("rack", "cpe:2.3:h:bd:alaris_8015_pc_unit:*:*:*:*:*:*:*:*"),
            asset(
                "rack-module",
                "cpe:2.3:a:bd:alaris_systems_manager:12.3:*:*:*:*:*:*:*",
                parent="rack",
            ),
            asset("rack-fw", f"{fw}:9.33.1:*:*:*:*:*:*:*", parent="rack-module"),
        ],
    )
    got = {a: m.confidence for (a, _), m in matches.items()}
    assert got == {
        "pump-1-fw": "high",
        "pump-3": "high",
        "rack-fw": "medium",  # the hardware CPE gives no version where the criterion says `-`
    }
    assert "condition cpe:2.3:h:bd:alaris_8015_pc_unit:-" in matches[("pump-1-fw", ALARIS)].reason
    assert "met by pump-1" in matches[("pump-1-fw", ALARIS)].reason


def test_hardware_criterion_with_a_range_and_letter_firmware_versions() -> None:
    fw522 = "cpe:2.3:o:medtronic:minimed_paradigm_522_firmware"
    fw754 = "cpe:2.3:o:medtronic:minimed_paradigm_veo_754_firmware:-:*:*:*:*:*:*:*"
    hw754 = "cpe:2.3:h:medtronic:minimed_paradigm_veo_754"
    got = confidences(
        {MINIMED: MINIMED_CONFIGS},
        [
            asset("p522", "cpe:2.3:h:medtronic:minimed_paradigm_522:-:*:*:*:*:*:*:*"),
            asset("p522-fw", f"{fw522}:2.4A:*:*:*:*:*:*:*", parent="p522"),
            asset("p522b", "cpe:2.3:h:medtronic:minimed_paradigm_522:-:*:*:*:*:*:*:*"),
            asset("p522b-fw", f"{fw522}:2.4b:*:*:*:*:*:*:*", parent="p522b"),
            asset("v754-in", f"{hw754}:2.7:*:*:*:*:*:*:*"),
            asset("v754-in-fw", fw754, parent="v754-in"),
            asset("v754-edge", f"{hw754}:2.7a:*:*:*:*:*:*:*"),
            asset("v754-edge-fw", fw754, parent="v754-edge"),
            asset("v754-out", f"{hw754}:2.8:*:*:*:*:*:*:*"),
            asset("v754-out-fw", fw754, parent="v754-out"),
        ],
    )
    # Hardware records never get the alert themselves (vulnerable: false).
    assert got == {"p522-fw": "high", "v754-in-fw": "high", "v754-edge-fw": "high"}


def test_application_matches_only_on_the_platform_the_configuration_names() -> None:
    record, cfgs, _ = load(
        "grype/db__v6__build__transformers__nvd__testdata__CVE-2023-45283-platform-cpe-last.json"
    )
    go = "cpe:2.3:a:golang:go"
    got = confidences(
        {record: cfgs},
        [
            asset("win", "cpe:2.3:o:microsoft:windows:-:*:*:*:*:*:*:*"),
            asset("win-go", f"{go}:1.20.10:*:*:*:*:*:*:*", parent="win"),
            asset("win-go-fixed", f"{go}:1.20.11:*:*:*:*:*:*:*", parent="win"),
            asset("win-go-121", f"{go}:1.21.3:*:*:*:*:*:*:*", parent="win"),
            asset("linux", "cpe:2.3:o:linux:linux_kernel:6.1:*:*:*:*:*:*:*"),
            asset("linux-go", f"{go}:1.20.10:*:*:*:*:*:*:*", parent="linux"),
            asset("lonely-go", f"{go}:1.20.10:*:*:*:*:*:*:*"),
            asset("win10", "cpe:2.3:o:microsoft:windows_10:1809:*:*:*:*:*:*:*"),
            asset("win10-go", f"{go}:1.20.10:*:*:*:*:*:*:*", parent="win10"),
            asset("win-any", "cpe:2.3:o:microsoft:windows:*:*:*:*:*:*:*:*"),
            asset("win-any-go", f"{go}:1.20.10:*:*:*:*:*:*:*", parent="win-any"),
        ],
    )
    # windows_10 is another product than `windows:-` (NVD's own matching says the same);
    # a Windows of unknown version meets `windows:-` only as a medium.
    assert got == {"win-go": "high", "win-go-121": "high", "win-any-go": "medium"}


def test_platform_first_or_last_gives_the_same_result() -> None:
    assets = [
        asset("win", "cpe:2.3:o:microsoft:windows:-:*:*:*:*:*:*:*"),
        asset("go", "cpe:2.3:a:golang:go:1.21.0:*:*:*:*:*:*:*", parent="win"),
    ]
    first = load(
        "grype/db__v6__build__transformers__nvd__testdata__CVE-2023-45283-platform-cpe-first.json"
    )
    last = load(
        "grype/db__v6__build__transformers__nvd__testdata__CVE-2023-45283-platform-cpe-last.json"
    )
    assert confidences({first[0]: first[1]}, assets) == {"go": "high"}
    assert confidences({last[0]: last[1]}, assets) == {"go": "high"}


def test_application_with_several_possible_platforms() -> None:
    record, cfgs, _ = load(
        "grype/db__v6__build__transformers__nvd__testdata__multiple-platforms-with-application-cpe.json"
    )
    rpa = "cpe:2.3:a:ibm:robotic_process_automation"
    got = confidences(
        {record: cfgs},
        [
            asset("ocp", "cpe:2.3:a:redhat:openshift:-:*:*:*:*:*:*:*"),
            asset("ocp-rpa", f"{rpa}:23.0.3:*:*:*:*:*:*:*", parent="ocp"),
            asset("win", "cpe:2.3:o:microsoft:windows:-:*:*:*:*:*:*:*"),
            asset("win-rpa", f"{rpa}:21.0.7.3:*:*:*:*:*:*:*", parent="win"),
            asset("win-rpa-new", f"{rpa}:21.0.7.4:*:*:*:*:*:*:*", parent="win"),
            asset("bare-rpa", f"{rpa}:21.0.1:*:*:*:*:*:*:*"),
        ],
    )
    assert got == {"ocp-rpa": "high", "win-rpa": "high"}


def test_non_vulnerable_criterion_in_the_vulnerable_node_does_not_veto() -> None:
    record, cfgs, _ = load(
        "grype/db__v6__build__transformers__nvd__testdata__product-affected-and-unaffected-range-with-platforms.json"
    )
    got = confidences(
        {record: cfgs},
        [
            asset("win", "cpe:2.3:o:microsoft:windows:-:*:*:*:*:*:*:*"),
            asset("ff108", "cpe:2.3:a:mozilla:firefox:108:*:*:*:*:*:*:*", parent="win"),
            asset("ff137", "cpe:2.3:a:mozilla:firefox:137:*:*:*:*:*:*:*", parent="win"),
            asset("esr", "cpe:2.3:a:mozilla:firefox_esr:128.1:*:*:*:*:*:*:*", parent="win"),
        ],
    )
    # `firefox:108` with vulnerable false is a condition, not an exclusion: 108 < 137.
    assert got == {"ff108": "high", "esr": "high"}


def test_and_node_with_two_vulnerable_criteria_alerts_both_assets() -> None:
    record, cfgs, _ = load("grype/db__v6__build__transformers__nvd__testdata__cve-2021-1566.json")
    got = confidences(
        {record: cfgs},
        [
            asset("esa", "cpe:2.3:a:cisco:email_security_appliance:-:*:*:*:*:*:*:*"),
            asset("esa-os", "cpe:2.3:o:cisco:asyncos:12.5.2:*:*:*:*:*:*:*", parent="esa"),
            asset("esa2", "cpe:2.3:a:cisco:email_security_appliance:-:*:*:*:*:*:*:*"),
            asset("esa2-os", "cpe:2.3:o:cisco:asyncos:12.5.3-035:*:*:*:*:*:*:*", parent="esa2"),
            asset("wsa", "cpe:2.3:a:cisco:web_security_appliance:-:*:*:*:*:*:*:*"),
            asset("wsa-os", "cpe:2.3:o:cisco:asyncos:12.5.3-035:*:*:*:*:*:*:*", parent="wsa"),
        ],
    )
    # esa2 runs the fixed 12.5.3-035; wsa's 12.5.3-035 is outside [12.5.0, 12.5.1-043).
    assert got == {"esa": "high", "esa-os": "high"}


def test_criterion_version_dash_does_not_match_every_version() -> None:
    record, cfgs, _ = load("dependency-track/cve-vuln.json")
    kernel = "cpe:2.3:o:linux:linux_kernel"
    got = confidences(
        {record: cfgs},
        [
            asset("k-5.10", f"{kernel}:5.10:*:*:*:*:*:*:*"),
            asset("k-2.2.5", f"{kernel}:2.2.5:*:*:*:*:*:*:*"),
            asset("k-2.3.0", f"{kernel}:2.3.0:*:*:*:*:*:*:*"),  # start excluded
            asset("k-2.3.1", f"{kernel}:2.3.1:*:*:*:*:*:*:*"),
            asset("k-na", f"{kernel}:-:*:*:*:*:*:*:*"),
            asset("k-unknown", f"{kernel}:*:*:*:*:*:*:*:*"),
        ],
    )
    assert got == {"k-2.2.5": "high", "k-2.3.1": "high", "k-na": "high", "k-unknown": "medium"}


def test_criterion_version_any_matches_all_versions() -> None:
    record, cfgs, _ = load("dependency-track/CVE-2022-31022-all-versions-vulnerable.json")
    got = confidences(
        {record: cfgs},
        [
            asset("a", "cpe:2.3:a:couchbase:bleve:2.3.2:*:*:*:*:*:*:*"),
            asset("b", "cpe:2.3:a:couchbase:bleve:-:*:*:*:*:*:*:*"),
            asset("c", "cpe:2.3:a:couchbase:bleve:*:*:*:*:*:*:*:*"),
        ],
    )
    assert got == {"a": "high", "b": "high", "c": "high"}


def test_vendor_must_match_when_products_collide() -> None:
    _, cfgs, _ = load(
        "grype/matcher__apk__testdata__alpine318__nvd__results__2014__cve-2014-0224.json"
    )
    got = confidences(
        {"CVE-2014-0224": cfgs, SUDO: SUDO_CONFIGS},
        [
            asset("ruby", "cpe:2.3:a:ruby-lang:openssl:1.0.1:*:*:*:*:*:*:*"),
            asset("rust", "cpe:2.3:a:sfackler:openssl:0.9.8:*:*:*:*:*:*:*"),
            asset("sudo-rs", "cpe:2.3:a:trifectatech:sudo:0.2.0:*:*:*:*:*:*:*"),
            asset("sudo-old", "cpe:2.3:a:todd_miller:sudo:1.8.31:*:*:*:*:*:*:*"),
            asset("real", "cpe:2.3:a:openssl:openssl:1.0.1g:*:*:*:*:*:*:*"),
        ],
    )
    assert got == {"real": "high"}


def test_openssl_letter_releases_against_cve_2014_0224() -> None:
    record, cfgs, _ = load(
        "grype/matcher__apk__testdata__alpine318__nvd__results__2014__cve-2014-0224.json"
    )
    ossl = "cpe:2.3:a:openssl:openssl"
    got = confidences(
        {record: cfgs},
        [
            asset(v, f"{ossl}:{v}:*:*:*:*:*:*:*")
            for v in (
                "0.9.8y",
                "0.9.8za",
                "0.9.8zh",
                "1.0.0l",
                "1.0.0m",
                "1.0.1",
                "1.0.1g",
                "1.0.1h",
                "1.0.2",
            )
        ]
        + [
            asset("s7", "cpe:2.3:h:siemens:s7-1500:-:*:*:*:*:*:*:*"),
            asset("s7-fw", "cpe:2.3:o:siemens:s7-1500_firmware:1.5:*:*:*:*:*:*:*", parent="s7"),
        ],
    )
    assert got == {
        "0.9.8y": "high",
        "1.0.0l": "high",
        "1.0.1": "high",
        "1.0.1g": "high",
        "s7-fw": "high",
    }


def test_wildcard_vendor_criterion_is_reported_and_never_matches() -> None:
    cfgs = [
        config(node(crit("cpe:2.3:a:*:openssl:*:*:*:*:*:*:*:*", versionEndExcluding="3.0.0"))),
        config(node(crit("cpe:2.3:a:openssl:*:*:*:*:*:*:*:*:*"))),
    ]
    compiled = compile_configurations("CVE-TEST-0001", cfgs)
    assert len(compiled.problems) == 2
    assert all("too broad" in p for p in compiled.problems)
    assert (
        confidences(
            {"CVE-TEST-0001": cfgs}, [asset("x", "cpe:2.3:a:openssl:openssl:1.0.2:*:*:*:*:*:*:*")]
        )
        == {}
    )


def test_asset_cpe_naming_no_product_is_reported_not_matched_against_everything() -> None:
    index = VulnIndex()
    index.put(SUDO, SUDO_CONFIGS)
    errors: list[InputError] = []
    found = list(
        index.match(
            [asset("vague", "cpe:2.3:a:" + ":".join(["*"] * 10), line=7)],
            errors=errors,
            source_name="parc.csv",
        )
    )
    assert found == []
    assert len(errors) == 1
    assert errors[0].record == "vague"
    assert errors[0].line == 7
    assert errors[0].field == "cpe"
    assert "names no vendor or no product" in errors[0].message


def test_invalid_cpes_in_records_are_reported_and_skipped() -> None:
    index = VulnIndex()
    index.put(SUDO, SUDO_CONFIGS)
    errors: list[InputError] = []
    assets = [
        asset(
            "mixed",
            "cpe:2.3:a:soap::lite_project:soap::lite:*:*:*:*:*:perl:*:*",
            "cpe:2.3:a:sudo_project:sudo:1.8.31:*:*:*:*:*:*:*",
            line=3,
        ),
        asset("garbage", "not a cpe", "cpe:2.3:a:x:a*b:1:*:*:*:*:*:*:*", line=4),
    ]
    found = list(index.match(assets, errors=errors, source_name="parc.csv"))
    assert [(m.asset, m.confidence) for m in found] == [("mixed", "high")]
    assert [(e.record, e.line, e.field) for e in errors] == [
        ("mixed", 3, "cpe"),
        ("garbage", 4, "cpe"),
        ("garbage", 4, "cpe"),
    ]
    assert str(errors[0]).startswith("parc.csv, line 3, record mixed, field cpe: CPE 2.3 name")
    inventory = InventoryIndex()
    assert len(inventory.put_many("chu-a", assets, source_name="parc.csv")) == 3
    assert len(inventory) == 2


def test_invalid_criterion_is_reported_and_the_rest_still_matches() -> None:
    record, cfgs, _ = load("grype/db__v6__build__transformers__nvd__testdata__invalid_cpe.json")
    compiled = compile_configurations(record, cfgs)
    assert len(compiled.problems) == 1
    assert "invalid criterion, never matches" in compiled.problems[0]
    assert "configurations[0].nodes[0].cpeMatch[0]" in compiled.problems[0]
    mixed = [
        config(node(cfgs[0]["nodes"][0]["cpeMatch"][0], *SUDO_CONFIGS[0]["nodes"][0]["cpeMatch"]))
    ]
    assert confidences(
        {record: mixed}, [asset("s", "cpe:2.3:a:sudo_project:sudo:1.8.31:*:*:*:*:*:*:*")]
    ) == {"s": "high"}


def test_invalid_criterion_makes_its_and_node_false() -> None:
    cfgs = [
        config(
            node(
                crit("cpe:2.3:a:sudo_project:sudo:*:*:*:*:*:*:*:*", versionEndExcluding="1.9.5"),
                crit("cpe:2.3:o:soap::lite:*:*:*:*:*:*:*:*", vulnerable=False),
                operator="AND",
            )
        )
    ]
    assert (
        confidences(
            {"CVE-TEST-0002": cfgs},
            [asset("s", "cpe:2.3:a:sudo_project:sudo:1.8.31:*:*:*:*:*:*:*")],
        )
        == {}
    )


def test_negated_node_excludes_a_platform() -> None:
    cfgs = [
        config(
            node(crit("cpe:2.3:a:vendor:agent:*:*:*:*:*:*:*:*", versionEndExcluding="2.0")),
            node(
                crit("cpe:2.3:o:vendor:hardened_os:-:*:*:*:*:*:*:*", vulnerable=False), negate=True
            ),
            operator="AND",
        )
    ]
    got = confidences(
        {"CVE-TEST-0003": cfgs},
        [
            asset("plain", "cpe:2.3:a:vendor:agent:1.5:*:*:*:*:*:*:*"),
            asset("hardened", "cpe:2.3:o:vendor:hardened_os:-:*:*:*:*:*:*:*"),
            asset("hardened-agent", "cpe:2.3:a:vendor:agent:1.5:*:*:*:*:*:*:*", parent="hardened"),
        ],
    )
    assert got == {"plain": "high"}


def test_duplicate_exact_criteria_give_one_match_per_asset() -> None:
    record, cfgs, _ = load("dependency-track/CVE-2021-0002-duplicate-exact-version-matches.json")
    matches = run(
        {record: cfgs},
        [
            asset("f35", "cpe:2.3:o:fedoraproject:fedora:35:*:*:*:*:*:*:*"),
            asset("e810", "cpe:2.3:h:intel:ethernet_controller_e810:-:*:*:*:*:*:*:*"),
            asset(
                "e810-fw",
                "cpe:2.3:o:intel:ethernet_controller_e810_firmware:1.4.10:*:*:*:*:linux:*:*",
                parent="e810",
            ),
            asset(
                "e810-fw-any-os",
                "cpe:2.3:o:intel:ethernet_controller_e810_firmware:1.4.10:*:*:*:*:*:*:*",
                parent="e810",
            ),
        ],
    )
    assert {a: m.confidence for (a, _), m in matches.items()} == {
        "f35": "high",
        "e810-fw": "high",
        "e810-fw-any-os": "medium",  # target_sw `linux` not given by the installed CPE
    }
    assert "target_sw not given by the installed CPE" in matches[("e810-fw-any-os", record)].reason


def test_standalone_os_with_release_candidates() -> None:
    record, cfgs, _ = load(
        "grype/db__v6__build__transformers__nvd__testdata__cve-2024-26663-standalone-os.json"
    )
    kernel = "cpe:2.3:o:linux:linux_kernel"
    got = confidences(
        {record: cfgs},
        [
            asset("rc1", f"{kernel}:6.8:rc1:*:*:*:*:*:*"),
            asset("rc1-one-field", f"{kernel}:6.8-rc1:*:*:*:*:*:*:*"),
            asset("rc4", f"{kernel}:6.8:rc4:*:*:*:*:*:*"),
            asset("6.7.4", f"{kernel}:6.7.4:*:*:*:*:*:*:*"),
            asset("6.7.5", f"{kernel}:6.7.5:*:*:*:*:*:*:*"),
            asset("4.19.306", f"{kernel}:4.19.306:*:*:*:*:*:*:*"),
            asset("6.8", f"{kernel}:6.8:-:*:*:*:*:*:*"),
            asset("debian", "cpe:2.3:o:debian:debian_linux:10.0:*:*:*:*:*:*:*"),
        ],
    )
    assert got == {
        "rc1": "high",
        "rc1-one-field": "medium",
        "6.7.4": "high",
        "4.19.306": "high",
        "debian": "high",
    }


def test_range_ends_inclusive_and_exclusive() -> None:
    inclusive = load("grype/db__v6__build__transformers__nvd__testdata__version-range.json")
    exclusive = load("grype/db__v6__build__transformers__nvd__testdata__fix-version.json")
    assets = [
        asset("linux", "cpe:2.3:o:linux:linux_kernel:-:*:*:*:*:*:*:*"),
        asset(
            "um-7.2", "cpe:2.3:a:netapp:oncommand_unified_manager:7.2:*:*:*:*:*:*:*", parent="linux"
        ),
        asset(
            "um-7.3", "cpe:2.3:a:netapp:oncommand_unified_manager:7.3:*:*:*:*:*:*:*", parent="linux"
        ),
        asset(
            "um-7.1", "cpe:2.3:a:netapp:oncommand_unified_manager:7.1:*:*:*:*:*:*:*", parent="linux"
        ),
    ]
    assert confidences({"incl": inclusive[1]}, assets) == {"um-7.2": "high", "um-7.3": "high"}
    assert confidences({"excl": exclusive[1]}, assets) == {"um-7.2": "high"}


def test_several_nodes_without_operator_are_read_as_or() -> None:
    cfgs = anchore("CVE-2024-2125")
    got = confidences(
        {"CVE-2024-2125": cfgs},
        [
            asset("plain", "cpe:2.3:a:donweb:envialosimple:2.3:*:*:*:*:wordpress:*:*"),
            asset(
                "colon",
                "cpe:2.3:a:donweb:envialosimple\\:_email_marketing:2.3:*:*:*:*:wordpress:*:*",
            ),
            asset("fixed", "cpe:2.3:a:donweb:envialosimple:2.4:*:*:*:*:wordpress:*:*"),
        ],
    )
    assert got == {"plain": "high", "colon": "high"}


def test_product_wildcard_criterion_matches_through_both_indexes() -> None:
    cfgs = anchore("CVE-2026-11616")
    prefix = "cpe:2.3:a:wpgeodirectory"
    got = confidences(
        {"CVE-2026-11616": cfgs},
        [
            asset("hit", f"{prefix}:events_calendar_for_geodirectory:2.3.28:*:*:*:*:wordpress:*:*"),
            asset(
                "fixed", f"{prefix}:events_calendar_for_geodirectory:2.3.29:*:*:*:*:wordpress:*:*"
            ),
            asset("other", f"{prefix}:geodirectory:2.3.28:*:*:*:*:wordpress:*:*"),
        ],
    )
    assert got == {"hit": "high"}


def test_bound_without_digits_is_reported_and_compared_as_letters() -> None:
    compiled = compile_configurations("CVE-2025-62667", anchore("CVE-2025-62667"))
    assert any("'master' has no digit" in p for p in compiled.problems)


def test_record_with_no_configurations_indexes_nothing_and_reports_nothing() -> None:
    index = VulnIndex()
    compiled = index.put("CVE-2023-36268", anchore("CVE-2023-36268"))
    assert compiled.problems == ()
    assert "CVE-2023-36268" not in index


def test_anchore_corrections_match() -> None:
    got = confidences(
        {
            "CVE-1999-1412": anchore("CVE-1999-1412"),
            "CVE-2009-3456": anchore("CVE-2009-3456"),
            "CVE-2022-2274": anchore("CVE-2022-2274"),
        },
        [
            asset("mac", "cpe:2.3:o:apple:macos:-:*:*:*:*:*:*:*"),
            asset("mac-httpd", "cpe:2.3:a:apache:http_server:1.3.42:*:*:*:*:*:*:*", parent="mac"),
            asset("linux-httpd", "cpe:2.3:a:apache:http_server:1.3.42:*:*:*:*:*:*:*"),
            asset("chrome", "cpe:2.3:a:google:chrome:3.0.195.21:*:*:*:*:*:*:*"),
            asset("chrome-new", "cpe:2.3:a:google:chrome:3.0.195.22:*:*:*:*:*:*:*"),
            asset("ossl-304", "cpe:2.3:a:openssl:openssl:3.0.4:*:*:*:*:*:*:*"),
            asset("ossl-305", "cpe:2.3:a:openssl:openssl:3.0.5:*:*:*:*:*:*:*"),
            asset("ossl-src", "cpe:2.3:a:alexcrichton:openssl-src-rs:300.0.8:*:*:*:*:rust:*:*"),
        ],
    )
    assert got == {"mac-httpd": "high", "chrome": "high", "ossl-304": "high", "ossl-src": "high"}


def test_rejected_record_is_removed_from_the_index() -> None:
    record, cfgs, _ = load(
        "grype/db__v6__diff__testdata__inputs__nvd__results__2020__cve-2020-15415.json"
    )
    _, _, rejected = load(
        "grype/db__v6__diff__testdata__inputs__nvd__results__2020__cve-2020-15415-status-rejected.json"
    )
    router = [asset("router", "cpe:2.3:a:draytek:vigor3900:1.5.0:*:*:*:*:*:*:*")]
    index = VulnIndex()
    assert index.put_record(VulnRecord(id=record, source="nvd", configurations=cfgs)) is not None
    assert [m.asset for m in index.match(router)] == ["router"]
    assert rejected["vulnStatus"] == "rejected"
    assert (
        index.put_record(VulnRecord(id=record, source="nvd", rejected=True, configurations=cfgs))
        is None
    )
    assert record not in index
    assert list(index.match(router)) == []


def test_match_asset_uses_its_tree_as_context() -> None:
    index = VulnIndex()
    index.put(ALARIS, ALARIS_CONFIGS)
    pump = asset("pump", "cpe:2.3:h:bd:alaris_8015_pc_unit:-:*:*:*:*:*:*:*")
    firmware = asset(
        "fw", "cpe:2.3:o:bd:alaris_8015_pc_unit_firmware:9.33.1:*:*:*:*:*:*:*", parent="pump"
    )
    assert [m.asset for m in index.match_asset(firmware, [pump])] == ["fw"]
    assert list(index.match_asset(firmware)) == []  # no hardware in its tree
    assert list(index.match_asset(pump, [firmware])) == []  # the hardware never gets the alert


@pytest.mark.parametrize("vuln_id", sorted(CURATED))
def test_every_curated_configuration_compiles_without_problems(vuln_id: str) -> None:
    assert compile_configurations(vuln_id, CURATED[vuln_id]).problems == ()


# ------------------------------------------- installed version `-` (NA) against version ranges

DCMTK = "CVE-2022-2119"
# NVD's configuration of CVE-2022-2119 (OFFIS DCMTK before 3.6.7), in NVD's shape. NVD's own
# match-criteria record of this criterion (matchCriteriaId 06DB814D-2ADD-41EA-A1CF-E2178623D6B3)
# lists `cpe:2.3:a:offis:dcmtk:-:*:*:*:*:*:*:*` among the 22 dictionary names it covers, next to
# 3.1.0 … 3.6.6: an upper bound alone takes the NA name.
DCMTK_CONFIGS = [
    config(node(crit("cpe:2.3:a:offis:dcmtk:*:*:*:*:*:*:*:*", versionEndExcluding="3.6.7")))
]
NA_REASON = (
    "installed version - (not applicable) taken by an upper bound only,"
    " as NVD's CPE-match data lists it"
)


def test_na_version_is_taken_by_an_upper_bound_only_at_medium_and_says_so() -> None:
    dcmtk = "cpe:2.3:a:offis:dcmtk"
    matches = run(
        {DCMTK: DCMTK_CONFIGS},
        [
            asset("na", f"{dcmtk}:-:*:*:*:*:*:*:*"),
            asset("old", f"{dcmtk}:3.6.6:*:*:*:*:*:*:*"),
            asset("fixed", f"{dcmtk}:3.6.7:*:*:*:*:*:*:*"),
        ],
    )
    assert {a: m.confidence for (a, _), m in matches.items()} == {"na": "medium", "old": "high"}
    na = matches[("na", DCMTK)]
    assert na.reason == (
        "cpe:2.3:a:offis:dcmtk:*:*:*:*:*:*:*:* versions up to 3.6.7 (excl.);"
        f" installed '-' (no version); {NA_REASON}"
    )
    assert na.version_range == "< 3.6.7"


def test_na_version_under_an_inclusive_upper_bound_and_an_and_configuration() -> None:
    fw = "cpe:2.3:o:bd:alaris_8015_pc_unit_firmware:-:*:*:*:*:*:*:*"
    matches = run(
        {ALARIS: ALARIS_CONFIGS},
        [
            asset("pump", "cpe:2.3:h:bd:alaris_8015_pc_unit:-:*:*:*:*:*:*:*"),
            asset("pump-fw", fw, parent="pump"),
            asset("loose-fw", fw),  # the hardware condition is still required
        ],
    )
    assert {a: m.confidence for (a, _), m in matches.items()} == {"pump-fw": "medium"}
    assert NA_REASON in matches[("pump-fw", ALARIS)].reason
    assert "met by pump" in matches[("pump-fw", ALARIS)].reason


def test_na_version_is_refused_by_a_range_with_a_lower_bound() -> None:
    got = confidences(
        {
            GSOAP: GSOAP_CONFIGS,  # [2.7.0, 2.8.75)
            "CVE-TEST-START-ONLY": [
                config(
                    node(
                        crit(
                            "cpe:2.3:a:genivia:gsoap:*:*:*:*:*:*:*:*",
                            versionStartIncluding="2.0",
                        )
                    )
                )
            ],
        },
        [asset("na", "cpe:2.3:a:genivia:gsoap:-:*:*:*:*:*:*:*")],
    )
    assert got == {}


def test_na_version_is_refused_by_an_exact_version_as_before() -> None:
    # Sudo lists ranges with lower bounds and the exact `1.9.5:-` / `1.9.5:patch1`.
    got = confidences(
        {SUDO: SUDO_CONFIGS, OPENSSH: OPENSSH_CONFIGS},
        [
            asset("sudo-na", "cpe:2.3:a:sudo_project:sudo:-:*:*:*:*:*:*:*"),
            asset("freebsd-na", "cpe:2.3:o:freebsd:freebsd:-:*:*:*:*:*:*:*"),
        ],
    )
    assert got == {}


def test_na_version_still_needs_the_other_attributes_of_the_criterion() -> None:
    base = "cpe:2.3:a:beyondtrust:privilege_management_for_unix\\/linux"  # `< 10.3.2-10`, basic
    matches = run(
        {SUDO: SUDO_CONFIGS},
        [
            asset("basic", f"{base}:-:*:*:*:basic:*:*:*"),
            asset("enterprise", f"{base}:-:*:*:*:enterprise:*:*:*"),
            asset("edition-unknown", f"{base}:-:*:*:*:*:*:*:*"),
        ],
    )
    assert {a: m.confidence for (a, _), m in matches.items()} == {
        "basic": "medium",
        "edition-unknown": "medium",
    }
    reason = matches[("edition-unknown", SUDO)].reason
    assert NA_REASON in reason
    assert "sw_edition not given by the installed CPE (criterion: basic)" in reason


def test_na_version_is_never_high_against_an_upper_bound() -> None:
    # Whatever else the criterion says, an upper bound taking NA is a medium decision.
    cfgs = [
        config(
            node(
                crit("cpe:2.3:a:offis:dcmtk:*:*:*:*:*:*:*:*", versionEndIncluding="3.6.6"),
                crit("cpe:2.3:a:offis:dcmtk:*:*:*:*:*:*:*:*", versionEndExcluding="3.6.7"),
            )
        )
    ]
    got = confidences({DCMTK: cfgs}, [asset("na", "cpe:2.3:a:offis:dcmtk:-:*:*:*:*:*:*:*")])
    assert got == {"na": "medium"}
