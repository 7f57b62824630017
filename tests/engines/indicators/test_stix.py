"""STIX 2.1 bundles: indicator patterns into records, markings into TLP, bad objects reported."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from vigie.engines.indicators import IndicatorType, Tlp, read_stix_bundle
from vigie.engines.indicators.stix import TLP_2_EXTENSION_ID

DATA = Path(__file__).resolve().parents[2] / "data" / "intel" / "stix"
T = IndicatorType
IND_ID = "indicator--6b616fc1-1505-48e3-8b2c-0d19337bff38"
OTHER_ID = "indicator--c5a7c8d2-4d4e-4b5c-9a1f-2f7f3a0f7e11"
IDENTITY_ID = "identity--5b0b2b8e-7e5a-4b6d-8a1c-3c4e5f6a7b8c"
TLP1_AMBER = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
TLP2_AMBER_STRICT = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"


def indicator(pattern: str, object_id: str = IND_ID, **properties: Any) -> dict[str, Any]:
    """A valid STIX 2.1 indicator; `properties` add to or replace its properties."""
    obj: dict[str, Any] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": object_id,
        "created": "2024-03-01T10:00:00.000Z",
        "modified": "2024-03-01T10:00:00.000Z",
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": "2024-03-01T10:00:00Z",
    }
    obj.update(properties)
    return obj


def bundle(*objects: Any) -> bytes:
    data = {
        "type": "bundle",
        "id": "bundle--1f9d2b64-8f4a-4a3c-9a4e-1b2c3d4e5f60",
        "objects": list(objects),
    }
    return json.dumps(data).encode()


def good() -> dict[str, Any]:
    """An indicator that always loads, to show the rest of a bundle survives a bad object."""
    return indicator("[ipv4-addr:value = '198.51.100.7']", object_id=OTHER_ID)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("[domain-name:value = 'Evil.EXAMPLE.']", (T.DOMAIN, "evil.example")),
        ("[ipv4-addr:value = '203.0.113.9']", (T.IPV4, "203.0.113.9")),
        ("[ipv4-addr:value = '203.0.113.0/24']", (T.IPV4, "203.0.113.0/24")),
        ("[ipv4-addr:value = '203.0.113.9/32']", (T.IPV4, "203.0.113.9")),
        ("[ipv4-addr:value ISSUBSET '10.0.0.0/8']", (T.CIDR, "10.0.0.0/8")),
        ("[ipv6-addr:value = '2001:DB8:0:0::1']", (T.IPV6, "2001:db8::1")),
        ("[ipv6-addr:value = '2001:db8::/32']", (T.IPV6, "2001:db8::/32")),
        ("[url:value = 'HTTP://Evil.Example/Path?Q=1']", (T.URL, "http://evil.example/Path?Q=1")),
        (
            "[file:hashes.MD5 = 'D41D8CD98F00B204E9800998ECF8427E']",
            (T.MD5, "d41d8cd98f00b204e9800998ecf8427e"),
        ),
        (
            "[file:hashes.'SHA-1' = 'DA39A3EE5E6B4B0D3255BFEF95601890AFD80709']",
            (T.SHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        ),
        (
            "[file:hashes.'SHA-256' = "
            "'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']",
            (T.SHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ),
        ("[email-addr:value = 'Phish.Er@Evil.EXAMPLE']", (T.EMAIL, "Phish.Er@evil.example")),
        ("[email-message:from_ref.value = 'ceo@evil.example']", (T.EMAIL, "ceo@evil.example")),
        ("[network-traffic:dst_ref.value = '192.0.2.44']", (T.IPV4, "192.0.2.44")),
        ("[network-traffic:dst_ref.value = 'c2.evil.example']", (T.DOMAIN, "c2.evil.example")),
    ],
)
def test_each_supported_pattern_gives_one_record_of_its_type_with_the_canonical_value(
    pattern: str, expected: tuple[IndicatorType, str]
) -> None:
    result = read_stix_bundle(bundle(indicator(pattern)))
    assert result.format == "stix"
    assert result.problems == []
    assert result.kept_patterns == []
    assert [(r.type, r.value) for r in result.records] == [expected]
    assert result.records[0].external_id == IND_ID


def test_a_record_carries_the_stix_id_validity_labels_as_tags_confidence_name_and_source() -> None:
    identity = {
        "type": "identity",
        "spec_version": "2.1",
        "id": IDENTITY_ID,
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z",
        "name": "CERT Santé",
    }
    obj = indicator(
        "[domain-name:value = 'c2.evil.example']",
        name="Lockbit C2",
        labels=["ransomware", "lockbit"],
        indicator_types=["malicious-activity", "lockbit"],
        confidence=85,
        valid_until="2024-09-30T23:59:59.5Z",
        created_by_ref=IDENTITY_ID,
    )
    (record,) = read_stix_bundle(bundle(identity, obj)).records
    assert record.external_id == IND_ID
    assert record.object_id == IND_ID
    # labels first, then indicator_types, each tag once
    assert record.tags == ("ransomware", "lockbit", "malicious-activity")
    assert record.confidence == 85
    assert record.name == "Lockbit C2"
    assert record.source == "CERT Santé"
    assert record.valid_from == datetime(2024, 3, 1, 10, 0, tzinfo=UTC)
    assert record.valid_until == datetime(2024, 9, 30, 23, 59, 59, 500000, tzinfo=UTC)
    assert (record.tlp, record.line) == (None, None)


def test_an_indicator_without_optional_properties_has_none_of_them() -> None:
    (record,) = read_stix_bundle(bundle(indicator("[ipv4-addr:value = '203.0.113.9']"))).records
    assert (record.valid_until, record.confidence, record.name, record.source) == (
        None,
        None,
        None,
        None,
    )
    assert record.tags == ()


def test_the_real_oasis_examples_give_their_ip_url_and_file_hash_indicators() -> None:
    c2 = read_stix_bundle((DATA / "indicator-for-c2-ip-address.json").read_bytes())
    url = read_stix_bundle((DATA / "indicator-for-malicious-url.json").read_bytes())
    sha = read_stix_bundle((DATA / "malware-indicator-for-file-hash.json").read_bytes())
    assert [(r.type, r.value, r.external_id) for r in c2.records] == [
        (T.IPV4, "10.0.0.0", "indicator--33fe3b22-0201-47cf-85d0-97c02164528d")
    ]
    assert c2.records[0].valid_from == datetime(2014, 5, 8, 9, 0, tzinfo=UTC)
    assert c2.records[0].tags == ("malicious-activity",)
    assert [(r.type, r.value, r.name) for r in url.records] == [
        (T.URL, "http://x4z9arb.cn/4712/", "Malicious site hosting downloader")
    ]
    assert url.objects_read == 3  # indicator, malware, relationship
    assert [(r.type, r.value) for r in sha.records] == [
        (T.SHA256, "ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c")
    ]
    for result in (c2, url, sha):
        assert result.problems == []
        assert result.kept_patterns == []


def test_a_pattern_joining_comparisons_with_or_gives_one_record_per_value() -> None:
    result = read_stix_bundle((DATA / "poisonivy.json").read_bytes())
    byinter = "indicator--8da68996-f175-4ae0-bd74-aad4913873b8"
    assert [(r.type, r.value) for r in result.records if r.external_id == byinter] == [
        (T.DOMAIN, "microsofta.byinter.net"),
        (T.DOMAIN, "microsoftb.byinter.net"),
        (T.DOMAIN, "microsoftc.byinter.net"),
        (T.DOMAIN, "microsofte.byinter.net"),
        (T.IPV4, "113.10.246.30"),
        (T.IPV4, "219.90.112.203"),
        (T.IPV4, "202.65.220.64"),
        (T.IPV4, "75.126.95.138"),
        (T.IPV4, "219.90.112.197"),
        (T.IPV4, "202.65.222.45"),
        (T.IPV4, "98.126.148.114"),
    ]
    # every record of that indicator shares its name and tags
    assert {(r.name, r.tags) for r in result.records if r.external_id == byinter} == {
        ("microsoft.byinter.net", ("malicious-activity", "attribution"))
    }


def test_the_real_poisonivy_report_loads_its_or_patterns_and_keeps_its_file_name_ones() -> None:
    result = read_stix_bundle((DATA / "poisonivy.json").read_bytes())
    assert result.objects_read == 155
    assert len(result.records) == 64
    assert {r.type for r in result.records} == {T.IPV4, T.DOMAIN}
    assert sorted((obj, reason) for obj, _, reason in result.kept_patterns) == [
        ("indicator--0b71628d-31dd-4eb8-baee-39f19c0a14b0", "unsupported_path"),
        ("indicator--137acf67-cedc-4a07-8719-72759174de3a", "unsupported_path"),
    ]
    # `'domain autuo.xicp.net'` is no domain: reported, and the address beside it still loads
    autuo = "indicator--4e4c4ad7-4909-456a-b6fa-e24a6f682a40"
    assert [(p.code, p.object_id, p.field, p.params["reason"]) for p in result.problems] == [
        ("bad_value", autuo, "pattern", "not_a_domain")
    ]
    assert result.problems[0].params["value"] == "domain autuo.xicp.net"
    assert [r.value for r in result.records if r.external_id == autuo] == ["60.10.1.115"]


def test_or_between_observation_expressions_also_gives_one_record_per_value() -> None:
    pattern = (
        "([ipv4-addr:value = '192.0.2.1'] OR [ipv4-addr:value = '192.0.2.2']) "
        "OR [domain-name:value = 'evil.example']"
    )
    result = read_stix_bundle(bundle(indicator(pattern)))
    assert [(r.type, r.value) for r in result.records] == [
        (T.IPV4, "192.0.2.1"),
        (T.IPV4, "192.0.2.2"),
        (T.DOMAIN, "evil.example"),
    ]
    assert result.kept_patterns == []


def test_a_value_named_twice_in_one_pattern_gives_one_record() -> None:
    pattern = "[ipv4-addr:value = '192.0.2.1' OR ipv4-addr:value = '192.0.2.1']"
    assert [r.value for r in read_stix_bundle(bundle(indicator(pattern))).records] == ["192.0.2.1"]


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("[ipv4-addr:value = '192.0.2.1' AND domain-name:value = 'a.example']", "and_operator"),
        ("[ipv4-addr:value = '192.0.2.1'] AND [domain-name:value = 'a.example']", "and_operator"),
        (
            "[ipv4-addr:value = '192.0.2.1'] OR "
            "[ipv4-addr:value = '192.0.2.2' AND ipv4-addr:value = '192.0.2.3']",
            "and_operator",
        ),
        (
            "[ipv4-addr:value = '192.0.2.1'] FOLLOWEDBY [domain-name:value = 'a.example']",
            "followedby_operator",
        ),
        ("[ipv4-addr:value = '192.0.2.1'] REPEATS 5 TIMES", "qualifier"),
        ("[ipv4-addr:value = '192.0.2.1'] WITHIN 300 SECONDS", "qualifier"),
        ("[ipv4-addr:value != '192.0.2.1']", "unsupported_operator"),
        ("[ipv4-addr:value NOT = '192.0.2.1']", "unsupported_operator"),
        ("[ipv4-addr:value IN ('192.0.2.1', '192.0.2.2')]", "unsupported_operator"),
        ("[domain-name:value MATCHES '^evil\\\\.']", "unsupported_operator"),
        ("[file:name = 'invoice.exe']", "unsupported_path"),
        ("[file:size = 1024]", "unsupported_path"),
    ],
)
def test_and_followedby_qualifiers_and_other_operators_are_kept_with_a_reason_not_matched(
    pattern: str, reason: str
) -> None:
    result = read_stix_bundle(bundle(indicator(pattern), good()))
    assert result.kept_patterns == [(IND_ID, pattern, reason)]
    assert [r.external_id for r in result.records] == [OTHER_ID]
    assert result.problems == []


def test_the_real_apt1_report_keeps_its_and_certificate_patterns_and_loads_the_rest() -> None:
    result = read_stix_bundle((DATA / "apt1.json").read_bytes())
    assert [(obj, reason) for obj, _, reason in result.kept_patterns] == [
        ("indicator--b3b6b540-d838-41e2-853b-005056c00008", "and_operator"),
        ("indicator--b3b7035e-d838-41e2-8d38-005056c00008", "and_operator"),
    ]
    assert "x509-certificate:issuer = 'CN=WEBMAIL' AND" in result.kept_patterns[0][1]
    assert [(r.type, r.value) for r in result.records] == [
        (T.IPV4, "223.166.0.0/15"),
        (T.IPV4, "58.246.0.0/15"),
        (T.IPV4, "112.64.0.0/15"),
        (T.IPV4, "139.226.0.0/15"),
        (T.DOMAIN, "hugesoft.org"),
        (T.DOMAIN, "arrowservice.net"),
        (T.DOMAIN, "msnhome.org"),
        (T.MD5, "001dd76872d80801692ff942308c64e6"),
        (T.MD5, "002325a0a67fded0381b5648d7fe9b8e"),
        (T.MD5, "00dbb9e1c09dbdafb360f3163ba5a3de"),
    ]
    assert result.problems == []


def test_the_real_email_example_keeps_both_matches_patterns_and_gives_no_record() -> None:
    result = read_stix_bundle(
        (DATA / "malicious-email-indicator-with-attachment.json").read_bytes()
    )
    assert result.records == []
    assert [reason for _, _, reason in result.kept_patterns] == [
        "unsupported_path",
        "unsupported_path",
    ]


def test_an_or_with_an_unsupported_comparison_loads_the_supported_values_and_is_kept() -> None:
    pattern = "[domain-name:value LIKE '%.evil.example' OR domain-name:value = 'evil.example']"
    result = read_stix_bundle(bundle(indicator(pattern)))
    assert [(r.type, r.value) for r in result.records] == [(T.DOMAIN, "evil.example")]
    assert result.kept_patterns == [(IND_ID, pattern, "unsupported_operator")]


def test_a_pattern_in_another_language_is_kept_untouched() -> None:
    obj = indicator('alert tcp any any -> any 445 (msg:"smb";)', pattern_type="snort")
    result = read_stix_bundle(bundle(obj, good()))
    assert result.kept_patterns == [(IND_ID, obj["pattern"], "pattern_type")]
    assert [r.external_id for r in result.records] == [OTHER_ID]


def test_a_network_traffic_reference_to_something_not_an_address_or_name_is_a_bad_value() -> None:
    pattern = (
        "[network-traffic:dst_ref.value = 'x@evil.example' OR "
        "network-traffic:dst_ref.value = '192.0.2.5']"
    )
    result = read_stix_bundle(bundle(indicator(pattern)))
    assert [r.value for r in result.records] == ["192.0.2.5"]
    assert [(p.code, p.object_id, p.field, p.params) for p in result.problems] == [
        (
            "bad_value",
            IND_ID,
            "pattern",
            {"value": "x@evil.example", "type": "network-traffic:dst_ref.value"},
        )
    ]


def test_a_revoked_indicator_is_skipped_and_counted() -> None:
    revoked = indicator("[ipv4-addr:value = '192.0.2.1']", revoked=True)
    live = indicator("[ipv4-addr:value = '192.0.2.2']", object_id=OTHER_ID, revoked=False)
    result = read_stix_bundle(bundle(revoked, live))
    assert [r.value for r in result.records] == ["192.0.2.2"]
    assert [(p.code, p.params) for p in result.problems] == [("revoked", {"count": 1})]
    assert result.objects_read == 2


@pytest.mark.parametrize(
    ("marking_id", "expected"),
    [
        # TLP 1.0, predefined by STIX 2.1 section 7.2.1.4
        ("marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", Tlp.CLEAR),
        ("marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", Tlp.GREEN),
        ("marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", Tlp.AMBER),
        ("marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", Tlp.RED),
        # TLP 2.0, published by OASIS
        ("marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", Tlp.CLEAR),
        ("marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", Tlp.GREEN),
        ("marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", Tlp.AMBER),
        ("marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", Tlp.AMBER_STRICT),
        ("marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", Tlp.RED),
    ],
)
def test_a_tlp_1_or_tlp_2_marking_id_gives_its_tlp_without_the_definition_in_the_bundle(
    marking_id: str, expected: Tlp
) -> None:
    obj = indicator("[ipv4-addr:value = '192.0.2.1']", object_marking_refs=[marking_id])
    (record,) = read_stix_bundle(bundle(obj)).records
    assert record.tlp is expected


def test_the_real_marking_example_gives_amber_and_ignores_its_copyright_statement() -> None:
    result = read_stix_bundle((DATA / "using-marking-definitions.json").read_bytes())
    (record,) = result.records
    assert (record.type, record.value, record.tlp) == (T.IPV4, "10.0.0.0", Tlp.AMBER)
    assert record.source == "Stark Industries"
    assert result.problems == []


def test_a_tlp_2_marking_defined_in_the_bundle_by_its_extension_gives_its_level() -> None:
    marking_id = "marking-definition--0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    marking = {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": marking_id,
        "created": "2022-10-01T00:00:00.000Z",
        "name": "TLP:AMBER+STRICT",
        "extensions": {
            TLP_2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": "amber+strict"}
        },
    }
    obj = indicator("[ipv4-addr:value = '192.0.2.1']", object_marking_refs=[marking_id])
    (record,) = read_stix_bundle(bundle(marking, obj)).records
    assert record.tlp is Tlp.AMBER_STRICT


def test_a_tlp_1_marking_under_another_id_is_refused_as_stix_2_1_requires() -> None:
    marking_id = "marking-definition--1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
    marking = {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": marking_id,
        "created": "2017-01-20T00:00:00.000Z",
        "definition_type": "tlp",
        "definition": {"tlp": "green"},
    }
    obj = indicator("[ipv4-addr:value = '192.0.2.1']", object_marking_refs=[marking_id])
    result = read_stix_bundle(bundle(marking, obj))
    # STIX 2.1 (7.2.1.4): TLP 1.0 levels are the four predefined marking definitions only
    assert [(p.code, p.params, p.object_id) for p in result.problems] == [
        ("bad_stix_object", {"reason": "TLPMarkingDefinitionError"}, marking_id)
    ]
    (record,) = result.records
    assert record.tlp is None


def test_several_tlp_markings_on_one_indicator_give_the_most_restrictive() -> None:
    refs = [
        "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",  # TLP 1.0 green
        TLP2_AMBER_STRICT,
        TLP1_AMBER,
    ]
    obj = indicator("[ipv4-addr:value = '192.0.2.1']", object_marking_refs=refs)
    (record,) = read_stix_bundle(bundle(obj)).records
    assert record.tlp is Tlp.AMBER_STRICT


@pytest.mark.parametrize(
    "pattern",
    [
        "[ipv4-addr:value = '192.0.2.1'",
        "ipv4-addr:value = '192.0.2.1'",
        "[ipv4-addr:value = ]",
        "[file:hashes.MD5 = 'not-a-hash']",
        "",
    ],
)
def test_a_malformed_pattern_is_a_bad_pattern_naming_the_indicator_and_the_rest_loads(
    pattern: str,
) -> None:
    result = read_stix_bundle(bundle(indicator(pattern), good()))
    assert [(p.code, p.object_id, p.field) for p in result.problems] == [
        ("bad_pattern", IND_ID, "pattern")
    ]
    assert [r.external_id for r in result.records] == [OTHER_ID]
    assert result.kept_patterns == []


@pytest.mark.parametrize(
    "data",
    [b"[]", b"{}", b'"bundle"', b"42", b'{"type": "indicator", "objects": []}'],
)
def test_json_that_is_not_a_bundle_is_refused_as_not_a_bundle(data: bytes) -> None:
    result = read_stix_bundle(data)
    assert [(p.code, p.params) for p in result.problems] == [("not_a_bundle", {})]
    assert result.records == []


@pytest.mark.parametrize(
    ("data", "line", "column"),
    [
        (b"not json at all", 1, 1),
        (b'{"type": "bundle",\n "objects": [\n  {"type": "indicator",', 3, 24),
        (b'{"type": "bundle", "objects": [}', 1, 32),
        (b"", 1, 1),
    ],
)
def test_invalid_or_truncated_json_is_bad_json_with_its_line_and_column(
    data: bytes, line: int, column: int
) -> None:
    result = read_stix_bundle(data)
    assert [(p.code, p.params) for p in result.problems] == [
        ("bad_json", {"line": line, "column": column})
    ]
    assert result.records == []


def test_a_stix_file_that_is_not_text_is_one_not_text_problem() -> None:
    assert [p.code for p in read_stix_bundle(b"\x1f\x8b\x08\x00gzip").problems] == ["not_text"]


def test_a_bundle_whose_objects_is_not_a_list_is_a_bad_bundle() -> None:
    data = b'{"type": "bundle", "id": "bundle--x", "objects": {"a": 1}}'
    result = read_stix_bundle(data)
    assert [(p.code, p.params, p.field) for p in result.problems] == [
        ("bad_stix_bundle", {"reason": "objects"}, "objects")
    ]


def test_a_bundle_without_objects_reads_nothing_and_says_nothing() -> None:
    result = read_stix_bundle(b'{"type": "bundle", "id": "bundle--x"}')
    assert (result.records, result.problems, result.objects_read) == ([], [], 0)


def test_an_object_that_is_not_a_json_object_is_reported_and_the_rest_loads() -> None:
    result = read_stix_bundle(bundle("indicator", 7, None, good()))
    assert [(p.code, p.params) for p in result.problems] == [
        ("bad_stix_object", {"reason": "not_an_object"})
    ] * 3
    assert [r.external_id for r in result.records] == [OTHER_ID]
    assert result.objects_read == 4


@pytest.mark.parametrize(
    ("properties", "field"),
    [
        # a bare string where STIX wants a list: stix2 accepts it, and it must not become one
        # tag per character
        ({"labels": "malicious"}, "labels"),
        ({"indicator_types": "c2"}, "indicator_types"),
        ({"labels": ["c2", 7]}, "labels"),
        ({"labels": None}, "labels"),
        ({"object_marking_refs": TLP1_AMBER}, "object_marking_refs"),
        ({"object_marking_refs": None}, "object_marking_refs"),
        ({"confidence": "high"}, "confidence"),
        ({"confidence": "85"}, "confidence"),
        ({"confidence": True}, "confidence"),
        ({"confidence": 101}, "confidence"),
        ({"confidence": -1}, "confidence"),
        ({"confidence": 50.5}, "confidence"),
        # "true" read as a live indicator would be a revoked one loaded
        ({"revoked": "true"}, "revoked"),
        ({"revoked": None}, "revoked"),
        ({"valid_until": None}, "valid_until"),
        ({"valid_until": 1735689600}, "valid_until"),
        ({"valid_from": "yesterday"}, "valid_from"),
        ({"created_by_ref": ["identity--x"]}, "created_by_ref"),
        ({"name": 5}, "name"),
        ({"pattern": 5}, "pattern"),
        ({"pattern": None}, "pattern"),
        ({"pattern_type": ["stix"]}, "pattern_type"),
        ({"id": 5}, "id"),
        ({"id": ["indicator--x"]}, "id"),
        ({"type": 5}, "type"),
    ],
)
def test_a_wrong_json_type_is_reported_with_the_object_id_and_property_and_the_rest_loads(
    properties: dict[str, Any], field: str
) -> None:
    obj = indicator("[ipv4-addr:value = '192.0.2.1']") | properties
    result = read_stix_bundle(bundle(obj, good()))
    (problem,) = result.problems
    assert problem.code == "bad_stix_object"
    assert problem.field == field
    assert problem.params["property"] == field
    assert problem.object_id == (IND_ID if field != "id" else None)
    assert [r.external_id for r in result.records] == [OTHER_ID]


@pytest.mark.parametrize("field", ["id", "type", "pattern", "pattern_type"])
def test_an_object_missing_a_required_property_is_reported_with_the_property(field: str) -> None:
    obj = indicator("[ipv4-addr:value = '192.0.2.1']")
    del obj[field]
    result = read_stix_bundle(bundle(obj, good()))
    (problem,) = result.problems
    assert problem.code == "bad_stix_object"
    assert problem.field == field
    assert problem.params["property"] == field
    assert [r.external_id for r in result.records] == [OTHER_ID]


@pytest.mark.parametrize(
    "extensions", ["x", 5, ["a"], {"extension-definition--x": "y"}, {TLP_2_EXTENSION_ID: None}]
)
def test_malformed_extensions_are_a_bad_object_not_a_crash(extensions: Any) -> None:
    obj = indicator("[ipv4-addr:value = '192.0.2.1']", extensions=extensions)
    result = read_stix_bundle(bundle(obj, good()))
    assert [(p.code, p.object_id) for p in result.problems] == [("bad_stix_object", IND_ID)]
    assert [r.external_id for r in result.records] == [OTHER_ID]


def test_a_valid_until_before_valid_from_is_a_bad_object_naming_the_indicator() -> None:
    obj = indicator("[ipv4-addr:value = '192.0.2.1']", valid_until="2020-01-01T00:00:00Z")
    result = read_stix_bundle(bundle(obj, good()))
    assert [(p.code, p.object_id) for p in result.problems] == [("bad_stix_object", IND_ID)]
    assert [r.external_id for r in result.records] == [OTHER_ID]


def test_an_unknown_custom_object_is_read_but_gives_nothing() -> None:
    custom = {"type": "x-hospital-note", "id": "x-hospital-note--1", "spec_version": "2.1"}
    result = read_stix_bundle(bundle(custom, good()))
    assert result.problems == []
    assert [r.external_id for r in result.records] == [OTHER_ID]
    assert result.objects_read == 2
