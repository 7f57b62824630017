"""VEX statements applied to matches: what they close, what they never close, and why.

The statements below are written by hand from the CycloneDX VEX examples, chiefly CISA's VEX
use cases (CycloneDX/bom-examples, VEX/CISA-Use-Cases/Case-*/; see tests/data/ssvc/SOURCES.md);
the CycloneDX parser itself belongs to another module.
"""

from __future__ import annotations

import pytest

from vigie.engines.prioritise.vex import (
    STATUSES,
    SUPPRESSING_STATUSES,
    apply_vex,
    normalise_status,
    render_reason,
)
from vigie.engines.records import AssetRecord, Match, VexStatement

LOG4SHELL = "CVE-2021-44228"
CISA_SOURCE = "CISA VEX use case"
ABC_BOM = "urn:cdx:cbb2cd68-2857-43b8-a10b-e8c03d277d18/1"  # Case-7/bom-1.json serialNumber
JKL_BOM = "urn:cdx:e4c3eedc-4978-470c-ad02-6ffff63738ff/1"  # Case-7/bom-2.json serialNumber


def match(asset: str, vulnerability: str = LOG4SHELL) -> Match:
    return Match(asset, vulnerability, "nvd", "high", "test match")


def statement(
    product: str,
    status: str,
    vulnerability: str = LOG4SHELL,
    justification: str = "",
    source: str = CISA_SOURCE,
) -> VexStatement:
    return VexStatement(vulnerability, status, product, justification, source)


def kept_ids(result_kept: list[Match]) -> list[str]:
    return [m.asset for m in result_kept]


# --- CISA use case 1: one statement per status, products named by bom-ref ------------------

CASE1_ASSETS = [
    AssetRecord("product-ABC", "ABC", kind="application", product="ABC", version="4.2"),
    AssetRecord("product-DEF", "DEF", kind="application", product="DEF", version="1.0"),
    AssetRecord("product-GHI", "GHI", kind="application", product="GHI", version="17.4"),
    AssetRecord(
        "abc-log4j",
        "log4j-core",
        kind="library",
        purls=("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",),
        parent="product-ABC",
    ),
]


def test_not_affected_statement_closes_the_product_and_its_components() -> None:
    # Case-1/vex-not_affected.json: ABC 4.2, code_not_present.
    vex = [statement("product-ABC", "not_affected", justification="code_not_present")]
    result = apply_vex([match("product-ABC"), match("abc-log4j")], vex, CASE1_ASSETS)
    assert result.kept == []
    assert [(s.match.asset, s.designated, s.via) for s in result.suppressed] == [
        ("product-ABC", "product-ABC", "bom-ref"),
        ("abc-log4j", "product-ABC", "bom-ref"),
    ]
    assert result.suppressed[0].explanation == (
        "Closed by VEX: not_affected — code_not_present, from CISA VEX use case"
    )
    assert result.suppressed[1].explanation == (
        "Closed by VEX: not_affected — code_not_present, from CISA VEX use case "
        "(statement on product-ABC, which contains this asset)"
    )


@pytest.mark.parametrize("status", ["affected", "under_investigation", "exploitable", "in_triage"])
def test_affected_and_under_investigation_never_suppress(status: str) -> None:
    # Case-1/vex-affected.json (DEF, exploitable) and vex-under_investigation.json (GHI).
    vex = [statement("product-DEF", status), statement("product-GHI", status)]
    matches = [match("product-DEF"), match("product-GHI")]
    result = apply_vex(matches, vex, CASE1_ASSETS)
    assert result.kept == matches
    assert result.suppressed == result.contested == []


def test_fixed_by_bom_ref_is_overruled_by_affected_for_the_same_ref() -> None:
    # Case-1: vex-affected.json says DEF 1.0 is affected, vex-fixed.json says DEF 1.1 is fixed,
    # both with `affects: [{"ref": "product-DEF"}]`. Without the version the two collide:
    # the match stays and is reported as contested.
    vex = [
        statement("product-DEF", "affected", source="vex-affected.json"),
        statement("product-DEF", "fixed", source="vex-fixed.json"),
    ]
    result = apply_vex([match("product-DEF")], vex, CASE1_ASSETS)
    assert kept_ids(result.kept) == ["product-DEF"]
    assert result.suppressed == []
    assert [c.overruled_by for c in result.contested] == [vex[0]]
    assert result.contested[0].explanation == (
        "Kept despite VEX fixed, from vex-fixed.json: vex-affected.json says affected"
    )


def test_fixed_named_with_its_version_closes_only_that_version() -> None:
    # The same two documents, products written as vendor|product|version triples from the
    # metadata component (DEF 1.0 affected, DEF 1.1 fixed).
    assets = [
        AssetRecord("lab-def", "DEF", kind="application", product="DEF", version="1.0"),
        AssetRecord("icu-def", "DEF", kind="application", product="DEF", version="1.1"),
    ]
    vex = [statement("|DEF|1.0", "affected"), statement("|DEF|1.1", "fixed")]
    result = apply_vex([match("lab-def"), match("icu-def")], vex, assets)
    assert kept_ids(result.kept) == ["lab-def"]
    assert [(s.match.asset, s.via) for s in result.suppressed] == [("icu-def", "name")]
    assert result.suppressed[0].explanation == "Closed by VEX: fixed, from CISA VEX use case"


# --- CISA use case 3: one product, Ripple20, all four states ------------------------------

CASE3_STATES = {
    "CVE-2020-11896": "in_triage",
    "CVE-2020-11897": "not_affected",
    "CVE-2020-11898": "exploitable",
    "CVE-2020-11899": "not_affected",
    "CVE-2020-11900": "in_triage",
    "CVE-2020-11901": "resolved",
    "CVE-2020-11902": "not_affected",
    "CVE-2020-11903": "in_triage",
    "CVE-2020-11904": "in_triage",
    "CVE-2020-11905": "not_affected",
    "CVE-2020-11906": "not_affected",
    "CVE-2020-11907": "exploitable",
    "CVE-2020-11908": "in_triage",
    "CVE-2020-11909": "exploitable",
    "CVE-2020-11910": "exploitable",
    "CVE-2020-11911": "exploitable",
    "CVE-2020-11912": "resolved",
    "CVE-2020-11913": "not_affected",
    "CVE-2020-11914": "resolved",
}


def test_cisa_case3_closes_only_not_affected_and_resolved() -> None:
    vex = [
        statement("product-GHI", state, cve, "code_not_present" if state == "not_affected" else "")
        for cve, state in CASE3_STATES.items()
    ]
    matches = [match("product-GHI", cve) for cve in CASE3_STATES]
    result = apply_vex(matches, vex, CASE1_ASSETS)
    closed = sorted(s.match.vulnerability for s in result.suppressed)
    assert closed == sorted(
        cve for cve, state in CASE3_STATES.items() if state in ("not_affected", "resolved")
    )
    assert len(result.kept) == 10
    assert len(closed) == 9


# --- CISA use cases 6 and 7: version ranges, products linked across BOMs ------------------

CASE7_STATEMENTS = [
    # vulnerabilities[0]: exploitable, ABC 2.4, 2.6, >=2.9|<=4.1 and JKL >=4.5|<=5.0
    statement("|ABC|2.4", "affected"),
    statement("|ABC|2.6", "affected"),
    statement("|ABC|vers:generic/>=2.9|<=4.1", "affected"),
    statement("|JKL|vers:generic/>=4.5|<=5.0", "affected"),
    # vulnerabilities[1]: not_affected (code_not_present), ABC
    statement("|ABC|vers:generic/>=1.0|<=2.3", "not_affected", justification="code_not_present"),
    statement("|ABC|2.5", "not_affected", justification="code_not_present"),
    statement("|ABC|vers:generic/>=2.7|<=2.8", "not_affected", justification="code_not_present"),
    statement("|ABC|4.2", "not_affected", justification="code_not_present"),
    # vulnerabilities[2]: not_affected, JKL >=1.0|<=4.4 (Log4j not included at all)
    statement("|JKL|vers:generic/>=1.0|<=4.4", "not_affected", justification="code_not_present"),
    # vulnerabilities[3]: resolved, JKL 5.1
    statement("|JKL|5.1", "fixed"),
]


def test_cisa_case7_version_ranges_decide_per_installed_version() -> None:
    installed = {
        "abc-2.0": ("ABC", "2.0"),
        "abc-2.4": ("ABC", "2.4"),
        "abc-2.5": ("ABC", "2.5"),
        "abc-2.8": ("ABC", "2.8"),
        "abc-3.0": ("ABC", "3.0"),
        "abc-4.2": ("ABC", "4.2"),
        "abc-4.3": ("ABC", "4.3"),
        "jkl-4.0": ("JKL", "4.0"),
        "jkl-4.7": ("JKL", "4.7"),
        "jkl-5.1": ("JKL", "5.1"),
    }
    assets = [
        AssetRecord(asset_id, name, kind="application", product=name, version=version)
        for asset_id, (name, version) in installed.items()
    ]
    result = apply_vex([match(a) for a in installed], CASE7_STATEMENTS, assets)
    assert kept_ids(result.kept) == ["abc-2.4", "abc-3.0", "abc-4.3", "jkl-4.7"]
    assert [s.match.asset for s in result.suppressed] == [
        "abc-2.0",
        "abc-2.5",
        "abc-2.8",
        "abc-4.2",
        "jkl-4.0",
        "jkl-5.1",
    ]
    assert result.contested == []
    assert result.unusable == []


@pytest.mark.parametrize(("version", "closed"), [("2.5", True), ("2.6", False), ("", False)])
def test_bom_link_in_a_triple_designates_the_asset_by_bom_ref_and_version(
    version: str, closed: bool
) -> None:
    asset = AssetRecord("product-ABC", "ABC", kind="application", version=version)
    vex = [
        statement(f"|{ABC_BOM}#product-ABC|2.5", "not_affected"),
        statement(f"|{ABC_BOM}#product-ABC|2.6", "affected"),
    ]
    result = apply_vex([match("product-ABC")], vex, [asset])
    assert [s.via for s in result.suppressed] == (["bom-ref"] if closed else [])


def test_bom_links_name_products_in_other_boms() -> None:
    # Use-Cases/Case-13: products 1 and 2 not_affected, product 3 exploitable.
    cve = "CVE-2020-25649"
    serials = {
        "acme-product-1": "urn:cdx:2c385cf7-e1ee-46e9-a51c-13de1ecb380a/1",
        "acme-product-2": "urn:cdx:6ffac0b2-5246-4fb9-a6fe-7993041856a0/1",
        "acme-product-3": "urn:cdx:240b5b0b-917d-4f48-816c-97e1944d8079/1",
    }
    assets = [AssetRecord(ref, ref, kind="application") for ref in serials]
    vex = [
        statement(f"{serials['acme-product-1']}#acme-product-1", "not_affected", cve),
        statement(f"{serials['acme-product-2']}#acme-product-2", "not_affected", cve),
        statement(f"{serials['acme-product-3']}#acme-product-3", "affected", cve),
    ]
    result = apply_vex([match(ref, cve) for ref in serials], vex, assets)
    assert kept_ids(result.kept) == ["acme-product-3"]
    assert sorted(s.match.asset for s in result.suppressed) == ["acme-product-1", "acme-product-2"]


@pytest.mark.parametrize(
    ("version", "closed"), [("2.1.9", False), ("2.2.0", True), ("2.3.1", True), ("2.4.1", False)]
)
def test_semver_vers_range_from_cyclonedx_examples(version: str, closed: bool) -> None:
    # Use-Cases/Case-4: acme-product not_affected for vers:semver/>=2.2.0|<=2.4.0.
    asset = AssetRecord("acme-product", "Acme Product", kind="application", version=version)
    vex = [statement("|acme-product|vers:semver/>=2.2.0|<=2.4.0", "not_affected", "CVE-2020-25649")]
    result = apply_vex([match("acme-product", "CVE-2020-25649")], vex, [asset])
    assert bool(result.suppressed) is closed


@pytest.mark.parametrize(
    ("version", "closed"), [("1.4.0", True), ("2.0.0", False), ("7.1.0", True)]
)
def test_disjoint_ranges_with_their_affected_complement(version: str, closed: bool) -> None:
    # Use-Cases/Case-5: exploitable <7.0.0|>=1.5.0; not_affected <1.5.0|>=7.0.0.
    asset = AssetRecord("acme-product", "Acme Product", kind="application", version=version)
    vex = [
        statement("|acme-product|vers:semver/<7.0.0|>=1.5.0", "affected", "CVE-2020-25649"),
        statement("|acme-product|vers:semver/<1.5.0|>=7.0.0", "not_affected", "CVE-2020-25649"),
    ]
    result = apply_vex([match("acme-product", "CVE-2020-25649")], vex, [asset])
    assert bool(result.suppressed) is closed
    assert result.contested == []


# --- purl ---------------------------------------------------------------------------------

JACKSON = AssetRecord(
    "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0?type=jar",  # VEX/bom.json
    "jackson-databind",
    kind="library",
    version="2.10.0",
    purls=("pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0?type=jar",),
)


def test_top_level_example_bom_link_to_a_purl_bom_ref() -> None:
    # VEX/vex.json: CVE-2020-25649 not_affected (code_not_reachable) for this BOM-Link.
    product = (
        "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1"
        "#pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0?type=jar"
    )
    vex = [statement(product, "not_affected", "CVE-2020-25649", "code_not_reachable")]
    result = apply_vex([match(JACKSON.id, "CVE-2020-25649")], vex, [JACKSON])
    assert [s.via for s in result.suppressed] == ["bom-ref"]


@pytest.mark.parametrize(
    ("product", "closed"),
    [
        ("pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0?type=jar", True),
        ("pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0", True),
        ("pkg:maven/com.fasterxml.jackson.core/jackson-databind", True),  # every version
        ("pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.1", False),
        ("pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0?type=pom", False),
        ("pkg:maven/com.fasterxml.jackson.core/jackson-core@2.10.0", False),
        ("pkg:npm/jackson-databind@2.10.0", False),
    ],
)
def test_purl_designation_is_version_aware(product: str, closed: bool) -> None:
    vex = [statement(product, "not_affected", "CVE-2020-25649")]
    result = apply_vex([match(JACKSON.id, "CVE-2020-25649")], vex, [JACKSON])
    assert [s.via for s in result.suppressed] == (["purl"] if closed else [])


def test_versioned_purl_does_not_cover_an_asset_without_version() -> None:
    asset = AssetRecord(
        "wolfssl", "wolfSSL", kind="firmware", purls=("pkg:github/wolfssl/wolfssl",)
    )
    vex = [statement("pkg:github/wolfssl/wolfssl@4.8.1", "not_affected", "CVE-2022-42905")]
    assert apply_vex([match("wolfssl", "CVE-2022-42905")], vex, [asset]).suppressed == []


# --- CPE ----------------------------------------------------------------------------------

# A real medical-device SBOM component (sbom-completeness case study, extended.sbom.json).
FREERTOS = AssetRecord(
    "BomRef.9740521717940234.4029744837037744",
    "FreeRTOS",
    kind="firmware",
    version="10.0.1",
    cpes=("cpe:2.3:o:amazon:freertos:10.0.1:*:*:*:-:*:*:*",),
    purls=("pkg:github/freertos/freertos",),
)


@pytest.mark.parametrize(
    ("product", "closed"),
    [
        ("cpe:2.3:o:amazon:freertos:10.0.1:*:*:*:-:*:*:*", True),  # the same name
        ("cpe:2.3:o:amazon:freertos:10.0.1:*:*:*:*:*:*:*", True),  # ANY covers NA
        ("cpe:2.3:o:amazon:freertos:*:*:*:*:*:*:*:*", True),  # every version
        ("cpe:2.3:o:Amazon:FreeRTOS:10.0.1:*:*:*:*:*:*:*", True),  # case-insensitive
        ("cpe:/o:amazon:freertos:10.0.1", True),  # CPE 2.2 URI
        ("cpe:/o:amazon:freertos", True),
        ("cpe:2.3:o:amazon:freertos:10.0.2:*:*:*:*:*:*:*", False),
        ("cpe:2.3:o:amazon:freertos:10.0.1:*:*:*:esp32:*:*:*", False),
        ("cpe:2.3:a:amazon:freertos:10.0.1:*:*:*:*:*:*:*", False),  # part differs
    ],
)
def test_cpe_designation_exact_or_covering(product: str, closed: bool) -> None:
    vex = [statement(product, "not_affected", "CVE-2021-31571")]
    result = apply_vex([match(FREERTOS.id, "CVE-2021-31571")], vex, [FREERTOS])
    assert [s.via for s in result.suppressed] == (["cpe"] if closed else [])


def test_cpe_escapes_and_uri_percent_encoding_compare_equal() -> None:
    asset = AssetRecord(
        "cms", "Joomla!", cpes=("cpe:2.3:a:joomla\\!:joomla\\!:3.9.0:*:*:*:*:*:*:*",)
    )
    vex = [statement("cpe:/a:joomla%21:joomla%21:3.9.0", "fixed", "CVE-2019-10945")]
    assert len(apply_vex([match("cms", "CVE-2019-10945")], vex, [asset]).suppressed) == 1


def test_cpe_with_specific_version_does_not_cover_an_unknown_version() -> None:
    asset = AssetRecord("ap", "UAP-AC-Pro", cpes=("cpe:2.3:h:ubiquiti:uap-ac-pro:*:*:*:*:*:*:*:*",))
    vex = [statement("cpe:2.3:h:ubiquiti:uap-ac-pro:1.0:*:*:*:*:*:*:*", "not_affected", "CVE-1")]
    assert apply_vex([match("ap", "CVE-1")], vex, [asset]).suppressed == []


# --- vendor|product|version ---------------------------------------------------------------

PUMP = AssetRecord(
    "pump-12",
    "Pompe réa 12",
    kind="medical-device",
    vendor="Baxter",
    product="Sigma Spectrum Infusion System",
    version="8.00.01",
    criticality="life-sustaining",
)


@pytest.mark.parametrize(
    ("product", "closed"),
    [
        ("Baxter|Sigma Spectrum Infusion System|8.00.01", True),
        ("baxter|sigma-spectrum  infusion_system|8.00.01", True),  # spelling differences
        ("|Sigma Spectrum Infusion System|8.00.01", True),  # no vendor: any vendor
        ("Baxter|Sigma Spectrum Infusion System|*", True),  # every version
        ("Baxter|Sigma Spectrum Infusion System|", True),
        ("Baxter|Sigma Spectrum Infusion System|vers:generic/>=8.0|<9", True),
        ("Baxter|Sigma Spectrum Infusion System|8.01.01", False),
        ("B. Braun|Sigma Spectrum Infusion System|8.00.01", False),
        ("Baxtér|Sigma Spectrum Infusion Systém|8.00.01", True),  # accents folded
        ("Baxter|Spectrum IQ Infusion System|8.00.01", False),
    ],
)
def test_name_triple_designation(product: str, closed: bool) -> None:
    vex = [statement(product, "not_affected", "CVE-2020-12045")]
    result = apply_vex([match("pump-12", "CVE-2020-12045")], vex, [PUMP])
    assert [s.via for s in result.suppressed] == (["name"] if closed else [])


# --- parents, unusable statements, odd input ----------------------------------------------


def test_statement_on_a_device_covers_its_firmware_and_libraries() -> None:
    assets = [
        AssetRecord("monitor", "Patient monitor", kind="medical-device", product="IntelliVue MX40"),
        AssetRecord("monitor-fw", "Firmware", kind="firmware", parent="monitor"),
        AssetRecord("monitor-ssl", "wolfSSL", kind="library", parent="monitor-fw"),
    ]
    vex = [
        statement(
            "|IntelliVue MX40|",
            "not_affected",
            "CVE-2022-42905",
            "vulnerable_code_not_in_execute_path",
        )
    ]
    result = apply_vex([match("monitor-ssl", "CVE-2022-42905")], vex, assets)
    assert [(s.designated, s.via) for s in result.suppressed] == [("monitor", "name")]


def test_statement_on_a_host_does_not_cover_software_installed_on_it() -> None:
    assets = [
        AssetRecord("srv-pacs", "PACS server", kind="server", product="PowerEdge R740"),
        AssetRecord("pacs-app", "PACS", kind="application", parent="srv-pacs"),
    ]
    vex = [statement("srv-pacs", "not_affected")]
    result = apply_vex([match("srv-pacs"), match("pacs-app")], vex, assets)
    assert [s.match.asset for s in result.suppressed] == ["srv-pacs"]
    assert kept_ids(result.kept) == ["pacs-app"]


def test_statement_on_a_component_does_not_cover_its_parent() -> None:
    vex = [statement("abc-log4j", "not_affected")]
    result = apply_vex([match("product-ABC"), match("abc-log4j")], vex, CASE1_ASSETS)
    assert kept_ids(result.kept) == ["product-ABC"]


def test_parent_cycle_ends() -> None:
    assets = [
        AssetRecord("a", "A", kind="application", parent="b"),
        AssetRecord("b", "B", kind="application", parent="a"),
    ]
    result = apply_vex([match("a")], [statement("c", "not_affected")], assets)
    assert kept_ids(result.kept) == ["a"]


def test_unusable_statements_are_reported_and_the_rest_still_apply() -> None:
    vex = [
        statement("pkg:", "not_affected"),
        statement("cpe:2.3:a:apache:log4j", "not_affected"),
        statement("|log4j|vers:nope/>=2.0", "not_affected"),
        statement("||2.0", "not_affected"),
        statement("product-ABC", "maybe"),
        statement("  ", "not_affected"),
        statement("product-ABC", "not_affected"),
    ]
    result = apply_vex([match("product-ABC")], vex, CASE1_ASSETS)
    assert len(result.suppressed) == 1
    assert [why.split(" ")[0] for _, why in result.unusable] == [
        "invalid",
        "invalid",
        "invalid",
        "no",
        "unknown",
        "empty",
    ]


def test_other_vulnerabilities_and_unknown_assets_are_kept() -> None:
    vex = [statement("product-ABC", "not_affected", "cve-2021-44228")]  # id case ignored
    matches = [
        match("product-ABC", "CVE-2021-45046"),
        match("not-in-inventory"),
        match("product-ABC"),
    ]
    result = apply_vex(matches, vex, CASE1_ASSETS)
    assert kept_ids(result.kept) == ["product-ABC", "not-in-inventory"]
    assert len(result.suppressed) == 1


def test_version_not_comparable_in_the_range_scheme_is_not_closed() -> None:
    asset = AssetRecord("x", "X", product="X", version="release-candidate")
    vex = [statement("|X|vers:generic/>=1.0", "not_affected")]
    assert apply_vex([match("x")], vex, [asset]).suppressed == []


@pytest.mark.parametrize(
    ("spelling", "status"),
    [
        ("resolved", "fixed"),
        ("resolved_with_pedigree", "fixed"),
        ("false_positive", "not_affected"),
        ("Not_Affected", "not_affected"),
        ("known_not_affected", "not_affected"),
        ("exploitable", "affected"),
        ("in_triage", "under_investigation"),
        ("under investigation", "under_investigation"),
    ],
)
def test_status_spellings_from_cyclonedx_and_csaf(spelling: str, status: str) -> None:
    assert normalise_status(spelling) == status
    assert status in STATUSES


def test_reason_is_machine_readable() -> None:
    result = apply_vex(
        [match("abc-log4j")],
        [statement("product-ABC", "not_affected", justification="code_not_present")],
        CASE1_ASSETS,
    )
    code, params = result.suppressed[0].reason
    assert code == "vex.closed"
    assert params["status"] in SUPPRESSING_STATUSES
    assert params["designated"] == "product-ABC"
    assert render_reason(code, params) == result.suppressed[0].explanation
