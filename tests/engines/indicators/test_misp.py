"""MISP event JSON: `to_ids` attributes into records, `tlp:` tags into TLP, bad parts reported."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import pytest

from vigie.engines.indicators import IndicatorType, Tlp, read_misp_event

DATA = Path(__file__).resolve().parents[2] / "data" / "intel" / "misp"
T = IndicatorType
EVENT_UUID = "5f0c2f7e-1d3b-4b8a-9c2e-6a1b2c3d4e5f"
GOOD_UUID = "0b9d1a7c-6e5f-4d3c-8b2a-1f0e9d8c7b6a"


def attribute(type_: str, value: Any, uuid: str | None = None, **fields: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "type": type_,
        "value": value,
        "to_ids": True,
        "uuid": uuid or str(uuid5(NAMESPACE_URL, f"{type_}|{value}")),
    }
    item.update(fields)
    return item


def event(*attributes: Any, tags: tuple[str, ...] = (), **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "uuid": EVENT_UUID,
        "info": "Phishing campaign against hospitals",
        "Orgc": {"name": "CERT Santé"},
        "Tag": [{"name": tag} for tag in tags],
        "Attribute": list(attributes),
    }
    body.update(fields)
    return {"Event": body}


def good() -> dict[str, Any]:
    return attribute("ip-dst", "198.51.100.7", uuid=GOOD_UUID)


def read(parsed: Any) -> Any:
    return read_misp_event(json.dumps(parsed).encode())


def test_the_real_circl_event_gives_its_to_ids_hashes_marked_clear_by_tlp_white() -> None:
    result = read_misp_event((DATA / "57c4445b-c548-4654-af0b-4be3950d210f.json").read_bytes())
    assert result.format == "misp"
    assert [(r.type, r.value, r.external_id) for r in result.records] == [
        (T.MD5, "0749bae92ca336a02c83d126e04ec628", "57c4448b-454c-4d17-90d1-4d2f950d210f"),
        (
            T.SHA1,
            "77b0c41b7d340b8a3d903f21347bbf06aa766b5b",
            "57c4448a-bef0-4ba7-a071-444e950d210f",
        ),
        (
            T.SHA256,
            "b3c4ae251f8094fa15b510051835c657eaef2a6cea46075d3aec964b14a99f68",
            "57c4448b-3fa4-4d65-9ccc-4afa950d210f",
        ),
    ]
    first = result.records[0]
    assert first.tlp is Tlp.CLEAR  # tlp:white is TLP 2.0 CLEAR
    assert first.tags[0] == "tlp:white"
    assert 'ms-caro-malware:malware-type="Ransom"' in first.tags
    assert (first.source, first.name, first.object_id) == (
        "CIRCL",
        "Ransomware - Xorist",
        "57c4445b-c548-4654-af0b-4be3950d210f",
    )
    assert (first.valid_from, first.valid_until, first.confidence, first.line) == (
        None,
        None,
        None,
        None,
    )
    # 9 attributes: 2 links, a comment and a text without to_ids; filename and regkey|value
    # are not values a matcher can use, so they are counted once per type
    assert result.objects_read == 9
    assert [(p.code, p.params) for p in result.problems] == [
        ("unsupported_misp_type", {"type": "filename", "count": 1}),
        ("unsupported_misp_type", {"type": "regkey|value", "count": 1}),
    ]


def test_the_real_eset_response_reads_composite_domain_ip_and_filename_hash_attributes() -> None:
    result = read_misp_event((DATA / "glupteba.misp-event.json").read_bytes())
    types = [r.type for r in result.records]
    # 270 domains and 40 ip-dst, 4 domain|ip giving a domain and an address each, 6 filename|sha1
    assert (types.count(T.DOMAIN), types.count(T.IPV4), types.count(T.SHA1)) == (274, 44, 6)
    assert result.objects_read == 321
    assert ("sha1", "1645ad8468a2fb54763c0ebeb766dfd8c643f3db") in {
        (r.type.value, r.value) for r in result.records
    }
    assert {(r.source, r.name, r.tags, r.tlp) for r in result.records} == {
        ("ESET", "Glupteba.AY research related IoCs", ("Glupteba",), None)
    }
    assert [(p.code, p.params) for p in result.problems] == [
        ("unsupported_misp_type", {"type": "regkey", "count": 1})
    ]


def test_the_real_sighting_event_gives_its_domains_and_url_with_the_event_tags() -> None:
    result = read_misp_event((DATA / "sighting_1.json").read_bytes())
    assert [r.type for r in result.records] == [T.DOMAIN] * 4 + [T.URL]
    assert result.records[0].value == "ooiasjdnqjwbeasdasd.com"
    assert result.records[0].tags == ("PasteBin: MALWAREMESSIAGH", 'misp-galaxy:banker="Gozi"')
    assert result.records[0].tlp is None  # no tlp: tag: the importer's default applies
    assert result.problems == []


@pytest.mark.parametrize(
    ("misp_type", "value", "expected"),
    [
        ("ip-src", "192.0.2.10", [(T.IPV4, "192.0.2.10")]),
        ("ip-dst", "2001:DB8:0::1", [(T.IPV6, "2001:db8::1")]),
        ("ip-dst", "203.0.113.0/24", [(T.IPV4, "203.0.113.0/24")]),
        ("ip-dst|port", "192.0.2.11|443", [(T.IPV4, "192.0.2.11")]),
        ("ip-src|port", "192.0.2.12|8080", [(T.IPV4, "192.0.2.12")]),
        ("domain", "Evil.Example", [(T.DOMAIN, "evil.example")]),
        ("hostname", "www.evil.example", [(T.DOMAIN, "www.evil.example")]),
        ("hostname|port", "c2.evil.example|8443", [(T.DOMAIN, "c2.evil.example")]),
        (
            "domain|ip",
            "c2.evil.example|192.0.2.13",
            [(T.DOMAIN, "c2.evil.example"), (T.IPV4, "192.0.2.13")],
        ),
        ("url", "hxxp://evil[.]example/login", [(T.URL, "http://evil.example/login")]),
        ("uri", "https://evil.example/a", [(T.URL, "https://evil.example/a")]),
        ("link", "https://evil.example/b", [(T.URL, "https://evil.example/b")]),
        ("md5", "D41D8CD98F00B204E9800998ECF8427E", [(T.MD5, "d41d8cd98f00b204e9800998ecf8427e")]),
        (
            "sha1",
            "da39a3ee5e6b4b0d3255bfef95601890afd80709",
            [(T.SHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709")],
        ),
        (
            "sha256",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            [(T.SHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")],
        ),
        (
            "filename|md5",
            "invoice.exe|d41d8cd98f00b204e9800998ecf8427e",
            [(T.MD5, "d41d8cd98f00b204e9800998ecf8427e")],
        ),
        (
            "filename|sha256",
            "a.dll|e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            [(T.SHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")],
        ),
        ("email-src", "Phisher@Evil.EXAMPLE", [(T.EMAIL, "Phisher@evil.example")]),
        ("email-dst", "victim@hospital.example", [(T.EMAIL, "victim@hospital.example")]),
        ("email", "x@evil.example", [(T.EMAIL, "x@evil.example")]),
    ],
)
def test_each_misp_attribute_type_maps_to_its_indicator_type(
    misp_type: str, value: str, expected: list[tuple[IndicatorType, str]]
) -> None:
    item = attribute(misp_type, value)
    result = read(event(item))
    assert result.problems == []
    assert [(r.type, r.value) for r in result.records] == expected
    assert {r.external_id for r in result.records} == {item["uuid"]}
    assert {r.object_id for r in result.records} == {EVENT_UUID}


@pytest.mark.parametrize(
    "fields",
    [
        {"to_ids": False},
        {"to_ids": "0"},
        {"to_ids": 0},
        # PyMISP alone reads the string "false" as true
        {"to_ids": "false"},
        {"deleted": True},
        {"deleted": "1"},
    ],
)
def test_an_attribute_not_for_detection_or_deleted_gives_no_record(fields: dict[str, Any]) -> None:
    skipped = attribute("ip-dst", "192.0.2.20", **fields)
    result = read(event(skipped, good()))
    assert [r.external_id for r in result.records] == [GOOD_UUID]
    assert result.problems == []
    assert result.objects_read == 2


@pytest.mark.parametrize("fields", [{"to_ids": "1"}, {"to_ids": "true"}, {"deleted": "0"}])
def test_flags_written_as_strings_keep_their_meaning(fields: dict[str, Any]) -> None:
    result = read(event(attribute("ip-dst", "192.0.2.21", **fields)))
    assert [r.value for r in result.records] == ["192.0.2.21"]


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (("tlp:white",), Tlp.CLEAR),
        (("tlp:clear",), Tlp.CLEAR),
        (("tlp:green",), Tlp.GREEN),
        (("tlp:amber",), Tlp.AMBER),
        (("TLP:AMBER+STRICT",), Tlp.AMBER_STRICT),
        (("tlp:red",), Tlp.RED),
        (("tlp:green", "tlp:amber"), Tlp.AMBER),
        (("tlp:purple",), None),
        (('misp-galaxy:banker="Gozi"',), None),
        ((), None),
    ],
)
def test_event_tlp_tags_give_the_tlp_of_its_records(
    tags: tuple[str, ...], expected: Tlp | None
) -> None:
    (record,) = read(event(good(), tags=tags)).records
    assert record.tlp is expected
    assert record.tags == tags


def test_an_attribute_tlp_tag_wins_over_the_event_one_and_its_tags_join_the_event_tags() -> None:
    red = attribute("ip-dst", "192.0.2.30", Tag=[{"name": "tlp:red"}, {"name": "c2"}])
    green = attribute("ip-dst", "192.0.2.31", Tag=[{"name": "tlp:green"}])
    plain = attribute("ip-dst", "192.0.2.32", Tag=[{"name": "phishing"}])
    result = read(event(red, green, plain, tags=("tlp:amber", "campaign")))
    assert [(r.value, r.tlp, r.tags) for r in result.records] == [
        ("192.0.2.30", Tlp.RED, ("tlp:amber", "campaign", "tlp:red", "c2")),
        ("192.0.2.31", Tlp.GREEN, ("tlp:amber", "campaign", "tlp:green")),
        ("192.0.2.32", Tlp.AMBER, ("tlp:amber", "campaign", "phishing")),
    ]


def test_the_attributes_of_objects_are_read_and_those_of_a_deleted_object_are_not() -> None:
    live = {"name": "domain-ip", "Attribute": [attribute("domain", "obj.evil.example")]}
    gone = {
        "name": "domain-ip",
        "deleted": True,
        "Attribute": [attribute("domain", "gone.evil.example")],
    }
    result = read(event(good(), Object=[live, gone], tags=("tlp:amber",)))
    assert [(r.type, r.value, r.tlp) for r in result.records] == [
        (T.IPV4, "198.51.100.7", Tlp.AMBER),
        (T.DOMAIN, "obj.evil.example", Tlp.AMBER),
    ]
    assert result.objects_read == 3


def test_a_bad_value_is_reported_with_the_attribute_uuid_and_misp_type_and_the_rest_loads() -> None:
    bad = attribute("ip-dst", "999.1.1.1")
    broken = attribute("ip-dst|port", "192.0.2.40")  # no `|port`
    result = read(event(bad, broken, good()))
    assert [r.external_id for r in result.records] == [GOOD_UUID]
    assert [(p.code, p.object_id, p.field) for p in result.problems] == [
        ("bad_value", bad["uuid"], "value"),
        ("bad_value", broken["uuid"], "value"),
    ]
    assert result.problems[0].params == {
        "value": "999.1.1.1",
        "type": "ipv4",
        "reason": "not_an_address",
        "misp_type": "ip-dst",
    }


def test_types_a_matcher_cannot_use_are_counted_once_per_type() -> None:
    keys = [attribute("regkey", f"HKLM\\Software\\Evil{n}") for n in range(3)]
    result = read(event(*keys, attribute("yara", "rule x {}"), good()))
    assert [r.external_id for r in result.records] == [GOOD_UUID]
    assert [(p.code, p.params) for p in result.problems] == [
        ("unsupported_misp_type", {"type": "regkey", "count": 3}),
        ("unsupported_misp_type", {"type": "yara", "count": 1}),
    ]


def test_a_type_newer_than_pymisp_does_not_lose_the_rest_of_the_event() -> None:
    # PyMISP refuses the whole event for one unknown type; the reader falls back to the dicts
    newer = attribute("ip-dst-v9000", "whatever")
    tagged = attribute("domain", "evil.example", Tag=[{"name": "tlp:red"}])
    result = read(event(newer, tagged, good(), tags=("tlp:green",)))
    assert [(r.value, r.tlp, r.source, r.object_id) for r in result.records] == [
        ("evil.example", Tlp.RED, "CERT Santé", EVENT_UUID),
        ("198.51.100.7", Tlp.GREEN, "CERT Santé", EVENT_UUID),
    ]
    assert [(p.code, p.params) for p in result.problems] == [
        ("unsupported_misp_type", {"type": "ip-dst-v9000", "count": 1})
    ]


def test_a_bare_event_a_response_and_a_list_of_events_all_read() -> None:
    wrapped = event(good(), tags=("tlp:amber",))
    other = event(
        attribute("domain", "b.evil.example"), uuid="9e8d7c6b-5a49-4837-a261-504f3e2d1c0b"
    )
    for parsed, count in [
        (wrapped["Event"], 1),
        (wrapped, 1),
        ({"response": [wrapped, other]}, 2),
        ([wrapped, other], 2),
    ]:
        result = read(parsed)
        assert len(result.records) == count
        assert result.records[0].tlp is Tlp.AMBER
    assert {r.object_id for r in read([wrapped, other]).records} == {
        EVENT_UUID,
        "9e8d7c6b-5a49-4837-a261-504f3e2d1c0b",
    }


def test_an_attribute_without_a_uuid_gets_no_external_id_rather_than_a_random_one() -> None:
    item = {"type": "ip-dst", "value": "192.0.2.50", "to_ids": True}
    data = json.dumps({"Event": {"info": "no ids", "Attribute": [item]}}).encode()
    first, second = read_misp_event(data).records[0], read_misp_event(data).records[0]
    assert (first.external_id, first.object_id) == (None, None)
    assert first == second


@pytest.mark.parametrize(
    "parsed",
    [{}, [], {"hello": "world"}, {"Event": "x"}, {"Event": []}, {"response": [1]}, "Event", 3],
)
def test_json_that_is_not_a_misp_event_is_refused_as_not_a_misp_event(parsed: Any) -> None:
    result = read(parsed)
    assert [(p.code, p.params) for p in result.problems] == [("not_a_misp_event", {})]
    assert result.records == []


@pytest.mark.parametrize(
    ("data", "line", "column"),
    [
        (b'{"Event": {"info": "x", "Attribute": [', 1, 39),
        (b'{"Event": {\n  "Attribute": [}\n}', 2, 17),
        (b"", 1, 1),
    ],
)
def test_invalid_or_truncated_json_is_bad_json_with_line_and_column(
    data: bytes, line: int, column: int
) -> None:
    assert [(p.code, p.params) for p in read_misp_event(data).problems] == [
        ("bad_json", {"line": line, "column": column})
    ]


def test_a_misp_file_that_is_not_text_is_one_not_text_problem() -> None:
    assert [p.code for p in read_misp_event(b"PK\x03\x04\x00zip").problems] == ["not_text"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        # one string where MISP writes a list: it must not become one tag per character and
        # lose its TLP
        ({"Tag": "tlp:red"}, "Tag"),
        ({"Tag": {"name": "tlp:red"}}, "Tag"),
        ({"Tag": [{"colour": "#ff0000"}]}, "Tag"),
        ({"Tag": [{"name": 5}]}, "Tag"),
        ({"Attribute": "192.0.2.1"}, "Attribute"),
        ({"Attribute": {"type": "ip-dst", "value": "192.0.2.1"}}, "Attribute"),
        ({"Object": "x"}, "Object"),
        ({"Object": [5]}, "Object"),
        ({"Object": [{"Attribute": "x"}]}, "Object"),
        ({"Object": [{"deleted": "maybe", "Attribute": []}]}, "Object"),
        ({"info": 5}, "info"),
        ({"uuid": 5}, "uuid"),
        ({"Orgc": "CERT"}, "Orgc"),
        ({"Orgc": {"name": ["CERT"]}}, "Orgc"),
    ],
)
def test_a_malformed_event_is_reported_with_the_field_and_the_next_event_loads(
    fields: dict[str, Any], field: str
) -> None:
    bad = event(attribute("ip-dst", "192.0.2.60"), tags=("tlp:amber",), **fields)
    other = event(good(), uuid="9e8d7c6b-5a49-4837-a261-504f3e2d1c0b")
    result = read({"response": [bad, other]})
    assert [r.external_id for r in result.records] == [GOOD_UUID]
    (problem,) = result.problems
    assert (problem.code, problem.field, problem.params) == (
        "bad_misp_event",
        field,
        {"property": field},
    )
    assert problem.object_id == (EVENT_UUID if field != "uuid" else None)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"value": None}, "value"),
        ({"value": ["192.0.2.70"]}, "value"),
        ({"value": 3232235521}, "value"),
        ({"type": None}, "type"),
        ({"type": ["ip-dst"]}, "type"),
        ({"to_ids": "maybe"}, "to_ids"),
        ({"to_ids": [True]}, "to_ids"),
        ({"deleted": {"yes": 1}}, "deleted"),
        ({"Tag": "tlp:red"}, "Tag"),
        ({"Tag": [{"name": None}]}, "Tag"),
    ],
)
def test_a_malformed_attribute_is_reported_with_its_uuid_and_field_and_the_others_load(
    fields: dict[str, Any], field: str
) -> None:
    bad = attribute("ip-dst", "192.0.2.70") | fields
    result = read(event(bad, good()))
    assert [r.external_id for r in result.records] == [GOOD_UUID]
    assert [(p.code, p.object_id, p.field, p.params) for p in result.problems] == [
        ("bad_misp_attribute", bad["uuid"], field, {"property": field})
    ]
    assert result.objects_read == 2


def test_an_attribute_that_is_not_an_object_or_has_a_bad_uuid_is_reported_without_an_id() -> None:
    bad_uuid = attribute("ip-dst", "192.0.2.71", uuid="x") | {"uuid": 71}
    result = read(event("192.0.2.72", None, bad_uuid, good()))
    assert [r.external_id for r in result.records] == [GOOD_UUID]
    assert [(p.code, p.object_id, p.field) for p in result.problems] == [
        ("bad_misp_attribute", None, "Attribute"),
        ("bad_misp_attribute", None, "Attribute"),
        ("bad_misp_attribute", None, "uuid"),
    ]
