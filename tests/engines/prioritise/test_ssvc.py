"""CISA SSVC prioritisation: the official table, the derivations, the hospital's mission view."""

from __future__ import annotations

import csv
import itertools
import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from vigie.engines.prioritise.ssvc import (
    AUTOMATABLE_VALUES,
    CISA_TREE,
    DEFAULT_EPSS_THRESHOLD,
    DEFAULT_RESPONSE_TIMES,
    EXPLOITATION_VALUES,
    MISSION_TABLE,
    MISSION_VALUES,
    PRIORITIES,
    TECHNICAL_IMPACT_VALUES,
    decide,
    max_priority,
    mission_wellbeing,
    priority_rank,
    raise_priority,
    render_reason,
    response_due,
    response_time,
    tree_outcome,
    worst_decision,
)
from vigie.engines.records import CvssScore, EpssScore, KevEntry, VulnRecord

DATA = Path(__file__).resolve().parents[2] / "data" / "ssvc"

# CISA Coordinator v2.0.3, typed out row by row from CERT/CC's CISA-Coordinator.json
# (CERTCC/SSVC docs/ssvc-calc/CISA-Coordinator.json, "decisions_table"; "Monitor" is Track*),
# which is the table of the CISA SSVC Guide (November 2022).
OFFICIAL_TABLE = [
    ("none", "no", "partial", "low", "track"),
    ("none", "no", "partial", "medium", "track"),
    ("none", "no", "partial", "high", "track"),
    ("none", "no", "total", "low", "track"),
    ("none", "no", "total", "medium", "track"),
    ("none", "no", "total", "high", "track*"),
    ("none", "yes", "partial", "low", "track"),
    ("none", "yes", "partial", "medium", "track"),
    ("none", "yes", "partial", "high", "attend"),
    ("none", "yes", "total", "low", "track"),
    ("none", "yes", "total", "medium", "track"),
    ("none", "yes", "total", "high", "attend"),
    ("poc", "no", "partial", "low", "track"),
    ("poc", "no", "partial", "medium", "track"),
    ("poc", "no", "partial", "high", "track*"),
    ("poc", "no", "total", "low", "track"),
    ("poc", "no", "total", "medium", "track*"),
    ("poc", "no", "total", "high", "attend"),
    ("poc", "yes", "partial", "low", "track"),
    ("poc", "yes", "partial", "medium", "track"),
    ("poc", "yes", "partial", "high", "attend"),
    ("poc", "yes", "total", "low", "track"),
    ("poc", "yes", "total", "medium", "track*"),
    ("poc", "yes", "total", "high", "attend"),
    ("active", "no", "partial", "low", "track"),
    ("active", "no", "partial", "medium", "track"),
    ("active", "no", "partial", "high", "attend"),
    ("active", "no", "total", "low", "track"),
    ("active", "no", "total", "medium", "attend"),
    ("active", "no", "total", "high", "act"),
    ("active", "yes", "partial", "low", "attend"),
    ("active", "yes", "partial", "medium", "attend"),
    ("active", "yes", "partial", "high", "act"),
    ("active", "yes", "total", "low", "attend"),
    ("active", "yes", "total", "medium", "act"),
    ("active", "yes", "total", "high", "act"),
]

# Real CVSS vectors, copied from NVD records in shared/data/vuln/nvd/tool-fixtures and from
# the CVE 5 records of shared/data/vuln/vulnrichment (see tests/data/ssvc/SOURCES.md).
LOG4SHELL_V31 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"  # CVE-2021-44228, NVD
OPENSSL_CCS_V31 = "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:N"  # CVE-2014-0224, NVD
OPENSSL_CCS_V2 = "AV:N/AC:M/Au:N/C:P/I:P/A:N"  # CVE-2014-0224, NVD
STRUTS_V30 = "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"  # CVE-2017-5638, NVD
STRUTS_V2 = "AV:N/AC:L/Au:N/C:C/I:C/A:C"  # CVE-2017-5638, NVD
STRUTS_V40 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H"  # CVE-2017-5638
OPENSSL_PKCS12_V31 = "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H"  # CVE-2024-0727, NVD


def vuln(
    cve: str = "CVE-2021-44228",
    *vectors: tuple[str, str],
    source: str = "nvd",
    aliases: tuple[str, ...] = (),
    exploitation: str | None = None,
    automatable: str | None = None,
    technical_impact: str | None = None,
) -> VulnRecord:
    return VulnRecord(
        id=cve,
        source=source,
        aliases=aliases,
        cvss=tuple(CvssScore(version, vector, 0.0, "nvd@nist.gov") for version, vector in vectors),
        ssvc_exploitation=exploitation,
        ssvc_automatable=automatable,
        ssvc_technical_impact=technical_impact,
    )


def cisa_kev(cve: str, date: str, ransomware: bool) -> KevEntry:
    return KevEntry(cve=cve, catalogue="cisa", date_added=date, ransomware=ransomware)


# --- the official table -------------------------------------------------------------------


def test_official_table_has_every_combination_once() -> None:
    combinations = set(
        itertools.product(
            EXPLOITATION_VALUES, AUTOMATABLE_VALUES, TECHNICAL_IMPACT_VALUES, MISSION_VALUES
        )
    )
    assert len(OFFICIAL_TABLE) == 36
    assert {row[:4] for row in OFFICIAL_TABLE} == combinations
    assert set(CISA_TREE) == combinations


@pytest.mark.parametrize(
    ("exploitation", "automatable", "impact", "mission", "expected"), OFFICIAL_TABLE
)
def test_tree_outcome_follows_cisa_table(
    exploitation: str, automatable: str, impact: str, mission: str, expected: str
) -> None:
    assert tree_outcome(exploitation, automatable, impact, mission) == expected


@pytest.mark.parametrize(
    ("exploitation", "automatable", "impact", "mission", "expected"), OFFICIAL_TABLE
)
def test_decide_reaches_every_cell_of_the_table_from_record_hints(
    exploitation: str, automatable: str, impact: str, mission: str, expected: str
) -> None:
    # Mission levels reached through the hospital mapping: support, business, life-sustaining.
    criticality = {"low": "support", "medium": "business", "high": "life-sustaining"}[mission]
    record = vuln(
        "CVE-2024-0001",
        exploitation=exploitation,
        automatable=automatable,
        technical_impact=impact,
    )
    decision = decide(vuln=record, asset_criticality=criticality, asset_exposure="internal")
    assert (decision.exploitation, decision.automatable) == (exploitation, automatable)
    assert (decision.technical_impact, decision.mission_wellbeing) == (impact, mission)
    assert decision.priority == decision.tree_priority == expected


def test_tree_never_lowers_the_outcome_when_a_decision_point_worsens() -> None:
    orders = (EXPLOITATION_VALUES, AUTOMATABLE_VALUES, TECHNICAL_IMPACT_VALUES, MISSION_VALUES)
    for key, outcome in CISA_TREE.items():
        for point, values in enumerate(orders):
            position = values.index(key[point])
            if position + 1 < len(values):
                worse = list(key)
                worse[point] = values[position + 1]
                worse_outcome = tree_outcome(*worse)
                assert priority_rank(worse_outcome) >= priority_rank(outcome)


def test_tree_outcome_rejects_a_value_outside_the_tree() -> None:
    with pytest.raises(ValueError, match="not a decision-point combination"):
        tree_outcome("public", "yes", "total", "high")


# --- Exploitation -------------------------------------------------------------------------


def test_exploitation_is_active_when_in_cisa_kev_with_date_and_ransomware_in_explanation() -> None:
    decision = decide(
        vuln=vuln("CVE-2021-44228", ("3.1", LOG4SHELL_V31)),
        kev=[cisa_kev("CVE-2021-44228", "2021-12-10", ransomware=True)],
        asset_criticality="clinical",
        asset_exposure="internal",
    )
    assert decision.exploitation == "active"
    assert decision.ransomware
    assert decision.explanation[0] == (
        "Exploitation: active — listed in CISA KEV since 2021-12-10 (known ransomware use)"
    )


def test_exploitation_is_active_when_only_in_eu_kev() -> None:
    entry = KevEntry("CVE-2025-0282", "eu", "2025-01-17", ransomware=False)
    decision = decide(vuln=vuln("CVE-2025-0282"), kev=[entry])
    assert decision.exploitation == "active"
    assert "listed in EU KEV since 2025-01-17" in decision.explanation[0]
    assert not decision.ransomware


def test_exploitation_lists_both_catalogues_oldest_first() -> None:
    entries = [
        KevEntry("CVE-2023-4966", "eu", "2025-01-17", ransomware=False),
        cisa_kev("CVE-2023-4966", "2023-10-18", ransomware=True),
    ]
    decision = decide(vuln=vuln("CVE-2023-4966"), kev=entries)
    assert "CISA KEV since 2023-10-18 and EU KEV since 2025-01-17" in decision.explanation[0]


def test_exploitation_is_active_when_the_record_says_so() -> None:
    decision = decide(vuln=vuln("CVE-2024-23113", source="cve5", exploitation="active"))
    assert decision.exploitation == "active"
    assert "the cve5 record reports exploitation in the wild" in decision.explanation[0]


@pytest.mark.parametrize("spelling", ["poc", "PoC", "Public PoC", " POC "])
def test_exploitation_poc_from_record_hint_in_any_spelling(spelling: str) -> None:
    decision = decide(vuln=vuln("CVE-2024-6387", source="cve5", exploitation=spelling))
    assert decision.exploitation == "poc"


def test_exploitation_poc_when_epss_reaches_the_threshold() -> None:
    # CVE-2024-6387 (regreSSHion): EPSS 0.99506, percentile 0.99942 on 2026-08-16.
    decision = decide(vuln=vuln("CVE-2024-6387"), epss=EpssScore("CVE-2024-6387", 0.99506, 0.99942))
    assert decision.exploitation == "poc"
    assert "EPSS 99.5% (percentile 100) at or above the 10.0% threshold" in decision.explanation[0]


def test_exploitation_none_when_epss_below_threshold_says_why() -> None:
    # CVE-2019-10964 (Medtronic MiniMed): EPSS 0.01234, percentile 0.66461.
    decision = decide(
        vuln=vuln("CVE-2019-10964"), epss=EpssScore("CVE-2019-10964", 0.01234, 0.66461)
    )
    assert decision.exploitation == "none"
    assert decision.explanation[0] == (
        "Exploitation: none — not in CISA or EU KEV, no public exploit known; "
        "EPSS 1.2% (percentile 66) below the 10.0% threshold"
    )


def test_epss_exactly_at_threshold_counts_and_threshold_is_configurable() -> None:
    score = EpssScore("CVE-2022-2119", 0.02913, 0.8582)  # OFFIS DCMTK
    assert decide(vuln=vuln("CVE-2022-2119"), epss=score).exploitation == "none"
    assert decide(vuln=vuln("CVE-2022-2119"), epss=score, epss_threshold=0.02913).exploitation == (
        "poc"
    )
    assert DEFAULT_EPSS_THRESHOLD == 0.1


def test_exploitation_poc_when_caller_flags_an_exploit_reference() -> None:
    decision = decide(vuln=vuln("CVE-2014-0224"), exploit_reference=True)
    assert decision.exploitation == "poc"
    assert "a public exploit is referenced" in decision.explanation[0]


def test_kev_and_epss_of_other_cves_are_ignored_but_aliases_count() -> None:
    other = cisa_kev("CVE-2017-5638", "2021-11-03", ransomware=True)
    epss = EpssScore("CVE-2017-5638", 0.99999, 0.99994)
    decision = decide(vuln=vuln("CVE-2014-0224"), kev=[other], epss=epss)
    assert (decision.exploitation, decision.ransomware) == ("none", False)
    aliased = vuln("GHSA-jfh8-c2jp-5v3q", aliases=("CVE-2021-44228",))
    kev = [cisa_kev("cve-2021-44228", "2021-12-10", ransomware=True)]
    assert decide(vuln=aliased, kev=kev).exploitation == "active"


def test_kev_listing_outranks_a_record_that_says_none() -> None:
    record = vuln("CVE-2021-3156", exploitation="none")
    decision = decide(vuln=record, kev=[cisa_kev("CVE-2021-3156", "2022-04-06", ransomware=False)])
    assert decision.exploitation == "active"


# --- Automatable and Technical Impact from real CVSS vectors ------------------------------


@pytest.mark.parametrize(
    ("version", "vector", "automatable", "impact"),
    [
        ("3.1", LOG4SHELL_V31, "yes", "total"),
        ("3.1", OPENSSL_CCS_V31, "no", "total"),  # AC:H: needs a man-in-the-middle
        ("2.0", OPENSSL_CCS_V2, "no", "partial"),
        ("3.0", STRUTS_V30, "yes", "total"),
        ("2.0", STRUTS_V2, "yes", "total"),
        ("4.0", STRUTS_V40, "yes", "total"),
        ("3.1", OPENSSL_PKCS12_V31, "no", "partial"),  # local, user interaction, DoS only
        # CISA's own SSVC values for these (vulnrichment): yes/total, no/total, no/total, no/total.
        ("3.1", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:H/RL:U/RC:C", "yes", "total"),
        ("3.1", "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", "no", "total"),
        ("3.1", "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", "no", "total"),
        ("4.0", "CVSS:4.0/AV:N/AC:L/AT:P/PR:H/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "no", "total"),
        # CVE-2023-30563 (BD Alaris): CISA says no/partial; integrity only low.
        ("3.1", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:L/A:N", "no", "partial"),
    ],
)
def test_automatable_and_impact_from_real_cvss_vectors(
    version: str, vector: str, automatable: str, impact: str
) -> None:
    decision = decide(vuln=vuln("CVE-2000-0001", (version, vector)))
    assert (decision.automatable, decision.technical_impact) == (automatable, impact)


def test_cvss_explanation_names_the_vector_and_what_blocks_automation() -> None:
    decision = decide(vuln=vuln("CVE-2024-0727", ("3.1", OPENSSL_PKCS12_V31)))
    assert decision.explanation[1] == (
        "Automatable: no — CVSS 3.1 vector from nvd@nist.gov: AV:L/UI:R "
        "(automatable needs AV:N/AC:L/PR:N/UI:N)"
    )
    assert decision.explanation[2] == (
        "Technical impact: partial — CVSS 3.1 vector from nvd@nist.gov: "
        "confidentiality and integrity not both high (C:N/I:N)"
    )


def test_cvss_31_is_preferred_over_20_and_40() -> None:
    # CVE-2014-0224: v2 says partial, v3.1 total; v3.1 wins whatever the order.
    record = vuln("CVE-2014-0224", ("2.0", OPENSSL_CCS_V2), ("3.1", OPENSSL_CCS_V31))
    assert decide(vuln=record).technical_impact == "total"
    # CVE-2024-0218: the CNA's 3.1 vector says automatable (as CISA does), its 4.0 vector AT:P.
    record = vuln(
        "CVE-2024-0218",
        ("4.0", "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:L"),
        ("3.1", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"),
    )
    assert decide(vuln=record).automatable == "yes"


def test_no_vector_gives_no_and_partial_with_a_note() -> None:
    decision = decide(vuln=vuln("CVE-2024-0001"))
    assert (decision.automatable, decision.technical_impact) == ("no", "partial")
    assert decision.explanation[1] == "Automatable: no — no CVSS vector; assumed no until analysed"
    assert decision.explanation[2] == (
        "Technical impact: partial — no CVSS vector; assumed partial until analysed"
    )


def test_malformed_vector_is_named_and_the_next_usable_one_is_taken() -> None:
    # The CISA VEX use case 2 (CVE-2020-11898) really carries this typo ("AAV").
    typo = "AAV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:H"
    decision = decide(vuln=vuln("CVE-2020-11898", ("3.1", typo)))
    assert decision.technical_impact == "partial"
    assert f"CVSS vector not understood ({typo})" in decision.explanation[2]
    with_good = vuln("CVE-2020-11898", ("3.1", typo), ("3.1", LOG4SHELL_V31))
    assert decide(vuln=with_good).technical_impact == "total"


def test_record_ssvc_hints_win_over_cvss() -> None:
    record = vuln(
        "CVE-2024-6387", ("3.1", LOG4SHELL_V31), automatable="No", technical_impact="Partial"
    )
    decision = decide(vuln=record)
    assert (decision.automatable, decision.technical_impact) == ("no", "partial")
    assert decision.explanation[1] == "Automatable: no — SSVC assessment in the nvd record"


def test_unknown_hint_value_falls_back_to_cvss() -> None:
    record = vuln("CVE-2021-44228", ("3.1", LOG4SHELL_V31), automatable="maybe")
    assert decide(vuln=record).automatable == "yes"


def test_derivation_agrees_with_cisa_on_vulnrichment_sample() -> None:
    # 933 CVEs (KEV and CISA ICS/ICS-Medical) whose CVE 5 record carries both CVSS vectors
    # and CISA's own SSVC assessment; we derive from the vectors only.
    rows: dict[str, list[dict[str, str]]] = defaultdict(list)
    with (DATA / "vulnrichment-cvss-ssvc.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            rows[row["cve"]].append(row)
    same_automatable = same_impact = 0
    for cve, vectors in rows.items():
        record = VulnRecord(
            id=cve,
            source="cve5",
            cvss=tuple(
                CvssScore(r["cvss_version"], r["cvss_vector"], 0.0, r["vector_source"])
                for r in vectors
            ),
        )
        decision = decide(vuln=record)
        same_automatable += decision.automatable == vectors[0]["cisa_automatable"].lower()
        same_impact += decision.technical_impact == vectors[0]["cisa_technical_impact"].lower()
    total = len(rows)
    print(f"agreement on {total} CVEs: automatable {same_automatable}, impact {same_impact}")
    assert total == 933
    assert same_automatable / total >= 0.93
    assert same_impact / total >= 0.93


# --- Mission & Well-being -----------------------------------------------------------------

HOSPITAL_MAPPING = {
    # criticality: (internet, vendor-remote, internal, isolated, unknown exposure)
    "life-sustaining": ("high", "high", "high", "high", "high"),
    "clinical": ("high", "high", "medium", "low", "medium"),
    "business": ("medium", "medium", "medium", "low", "medium"),
    "support": ("low", "low", "low", "low", "low"),
    None: ("medium", "medium", "medium", "low", "medium"),
}


@pytest.mark.parametrize(
    ("criticality", "exposure", "expected"),
    [
        (criticality, exposure, levels[i])
        for criticality, levels in HOSPITAL_MAPPING.items()
        for i, exposure in enumerate(("internet", "vendor-remote", "internal", "isolated", None))
    ],
)
def test_hospital_mission_mapping(
    criticality: str | None, exposure: str | None, expected: str
) -> None:
    value, _reason = mission_wellbeing(criticality, exposure)
    assert value == expected


def test_mission_table_is_the_one_documented() -> None:
    assert len(MISSION_TABLE) == 25
    assert MISSION_TABLE[("clinical", "vendor-remote")] == "high"


def test_mission_values_are_case_insensitive_and_blank_means_unknown() -> None:
    assert mission_wellbeing("Life-Sustaining", " ISOLATED ")[0] == "high"
    assert mission_wellbeing("", "")[0] == "medium"


def test_unknown_criticality_is_medium_and_says_so() -> None:
    decision = decide(vuln=vuln("CVE-2024-0001"), asset_criticality=None, asset_exposure=None)
    assert decision.mission_wellbeing == "medium"
    assert decision.explanation[3] == (
        "Mission & well-being: medium — clinical criticality unknown, counted as medium; "
        "exposure unknown, assumed internal"
    )


def test_unrecognised_criticality_is_named_in_the_explanation() -> None:
    decision = decide(vuln=vuln("CVE-2024-0001"), asset_criticality="vital", asset_exposure="dmz")
    assert decision.mission_wellbeing == "medium"
    assert "criticality 'vital' not recognised" in decision.explanation[3]
    assert "exposure 'dmz' not recognised, assumed internal" in decision.explanation[3]


def test_isolation_lowers_a_clinical_asset_but_never_a_life_sustaining_one() -> None:
    clinical = decide(
        vuln=vuln("CVE-2024-0001"), asset_criticality="clinical", asset_exposure="isolated"
    )
    assert clinical.mission_wellbeing == "low"
    assert (
        clinical.explanation[3]
        == "Mission & well-being: low — clinical asset; isolated, one level lower"
    )
    pump = decide(
        vuln=vuln("CVE-2024-0001"), asset_criticality="life-sustaining", asset_exposure="isolated"
    )
    assert pump.mission_wellbeing == "high"
    assert "isolated, which does not lower a life-sustaining asset" in pump.explanation[3]


# --- Known ransomware use -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "criticality", "tree", "raised"),
    [
        # active/no/partial: low -> track, high -> attend; active/yes/total: medium -> act.
        (vuln("CVE-1", ("3.1", OPENSSL_PKCS12_V31)), "support", "track", "track*"),
        (vuln("CVE-1", ("3.1", OPENSSL_CCS_V31)), "business", "attend", "act"),
        (vuln("CVE-1", ("3.1", LOG4SHELL_V31)), "support", "attend", "act"),
        (vuln("CVE-1", ("3.1", LOG4SHELL_V31)), "life-sustaining", "act", "act"),
    ],
)
def test_known_ransomware_use_raises_one_level_capped_at_act(
    record: VulnRecord, criticality: str, tree: str, raised: str
) -> None:
    decision = decide(
        vuln=record,
        kev=[cisa_kev("CVE-1", "2024-01-10", ransomware=True)],
        asset_criticality=criticality,
        asset_exposure="internal",
    )
    assert (decision.tree_priority, decision.priority) == (tree, raised)
    assert decision.ransomware
    assert decision.reasons[-1] == ("ransomware", {"from": tree, "to": raised})


def test_raise_from_track_star_and_cap_are_explained() -> None:
    assert raise_priority("track*") == "attend"
    assert raise_priority("act") == "act"
    assert render_reason("ransomware", {"from": "act", "to": "act"}) == (
        "Known ransomware use: already Act, the highest priority"
    )
    assert render_reason("ransomware", {"from": "track*", "to": "attend"}) == (
        "Known ransomware use: raised from Track* to Attend"
    )


def test_eu_kev_ransomware_flag_raises_too() -> None:
    entry = KevEntry("CVE-1", "eu", "2025-02-01", ransomware=True)
    decision = decide(vuln=vuln("CVE-1"), kev=[entry], asset_criticality="support")
    assert (decision.tree_priority, decision.priority) == ("track", "track*")


def test_kev_without_ransomware_does_not_raise() -> None:
    decision = decide(
        vuln=vuln("CVE-1", ("3.1", LOG4SHELL_V31)),
        kev=[cisa_kev("CVE-1", "2024-01-10", ransomware=False)],
        asset_criticality="support",
    )
    assert decision.priority == decision.tree_priority == "attend"
    assert len(decision.reasons) == 4


# --- Whole decisions, ordering and SLAs ---------------------------------------------------


def test_log4shell_on_a_ventilator_is_act_and_fully_explained() -> None:
    decision = decide(
        vuln=vuln("CVE-2021-44228", ("3.1", LOG4SHELL_V31)),
        kev=[cisa_kev("CVE-2021-44228", "2021-12-10", ransomware=True)],
        epss=EpssScore("CVE-2021-44228", 0.99999, 1.0),
        asset_criticality="life-sustaining",
        asset_exposure="vendor-remote",
    )
    assert decision.priority == "act"
    assert decision.explanation == [
        "Exploitation: active — listed in CISA KEV since 2021-12-10 (known ransomware use)",
        "Automatable: yes — CVSS 3.1 vector from nvd@nist.gov: network attack, low complexity, "
        "no privileges, no user interaction",
        "Technical impact: total — CVSS 3.1 vector from nvd@nist.gov: high confidentiality and "
        "integrity impact (C:H/I:H)",
        "Mission & well-being: high — life-sustaining asset: harm to a patient is irreversible; "
        "reachable by the vendor's remote access",
        "Known ransomware use: already Act, the highest priority",
    ]


def test_reasons_are_machine_readable_codes_with_json_params() -> None:
    decision = decide(
        vuln=vuln("CVE-2024-6387", ("3.1", "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H")),
        epss=EpssScore("CVE-2024-6387", 0.99506, 0.99942),
        asset_criticality="clinical",
        asset_exposure="internet",
    )
    assert [code for code, _ in decision.reasons] == [
        "exploitation.poc",
        "automatable.cvss",
        "technical_impact.cvss",
        "mission",
    ]
    assert decision.reasons[1][1]["missing"] == ["AC:H"]
    assert json.loads(json.dumps(decision.reasons))[3][1]["value"] == "high"
    assert decision.explanation == [render_reason(c, p) for c, p in decision.reasons]
    assert decision.priority == "attend"  # poc / no / total / high


def test_priority_rank_orders_track_to_act() -> None:
    assert [priority_rank(p) for p in PRIORITIES] == [0, 1, 2, 3]
    assert PRIORITIES == ("track", "track*", "attend", "act")
    with pytest.raises(ValueError, match="unknown SSVC priority 'Act'"):
        priority_rank("Act")


def test_alert_over_several_assets_takes_the_worst_priority() -> None:
    assert max_priority(["track", "attend", "track*"]) == "attend"
    assert max_priority(iter(["track*"])) == "track*"
    with pytest.raises(ValueError, match="at least one"):
        max_priority([])
    record = vuln("CVE-2021-44228", ("3.1", LOG4SHELL_V31))
    kev = [cisa_kev("CVE-2021-44228", "2021-12-10", ransomware=False)]
    decisions = [
        decide(vuln=record, kev=kev, asset_criticality=c, asset_exposure="internal")
        for c in ("support", "life-sustaining", "business")
    ]
    worst = worst_decision(decisions)
    assert worst.priority == "act"
    assert worst.mission_wellbeing == "high"


def test_response_times_default_and_override() -> None:
    assert response_time("act") == timedelta(hours=24)
    assert response_time("attend") == timedelta(days=7)
    assert response_time("track*") == timedelta(days=30)
    assert response_time("track") == timedelta(days=90)
    faster = {**DEFAULT_RESPONSE_TIMES, "act": timedelta(hours=12)}
    start = datetime(2026, 8, 1, 8, 0, tzinfo=UTC)
    assert response_due("act", start, faster) == datetime(2026, 8, 1, 20, 0, tzinfo=UTC)
    shared: Any = DEFAULT_RESPONSE_TIMES  # the constant is read-only: nobody edits it by mistake
    with pytest.raises(TypeError):
        shared["act"] = timedelta(0)
