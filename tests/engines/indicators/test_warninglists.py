"""MISP warning lists: loading `list.json` files, and which indicators each list type flags."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vigie.engines.indicators import (
    IndicatorProblemError,
    IndicatorType,
    WarningHit,
    WarningIndex,
    WarningList,
    load_warning_list,
    load_warning_lists,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "intel" / "warninglists"
T = IndicatorType
RFC1918 = "List of RFC 1918 CIDR blocks"
RFC5735 = "List of RFC 5735 CIDR blocks"
DNS4 = "List of known IPv4 public DNS resolvers"
DNS6 = "List of known IPv6 public DNS resolvers"
UMBRELLA = "cisco-umbrella-blockpage-hostname"
EMPTY = "List of known hashes for empty files"


@pytest.fixture(scope="module")
def real() -> WarningIndex:
    return load_warning_lists(DATA)


def one(list_type: str, entries: list[str], **fields: Any) -> WarningIndex:
    data: dict[str, Any] = {
        "name": f"test {list_type}",
        "description": f"a {list_type} list",
        "type": list_type,
        "version": 1,
        "list": entries,
    }
    data.update(fields)
    return WarningIndex([load_warning_list(json.dumps(data).encode())])


def names(index: WarningIndex, type_: IndicatorType, value: str) -> list[str]:
    return [hit.list_name for hit in index.check(type_, value)]


def test_the_real_lists_load_with_their_type_and_the_indicator_types_they_apply_to(
    real: WarningIndex,
) -> None:
    by_name = {wl.name: wl for wl in real.lists}
    assert sorted(by_name) == sorted([EMPTY, DNS4, DNS6, RFC1918, RFC5735, UMBRELLA])
    assert {name: wl.list_type for name, wl in by_name.items()} == {
        EMPTY: "string",
        DNS4: "cidr",
        DNS6: "cidr",
        RFC1918: "cidr",
        RFC5735: "cidr",
        UMBRELLA: "hostname",
    }
    assert by_name[RFC1918].entries == ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
    assert by_name[EMPTY].indicator_types() == {T.MD5, T.SHA1, T.SHA256}
    assert by_name[RFC1918].indicator_types() == {T.IPV4, T.IPV6, T.CIDR}
    # hostname, domain, url, domain|ip: no email
    assert by_name[UMBRELLA].indicator_types() == {T.DOMAIN, T.URL}
    # none of these files says a category: MISP's default is false-positive
    assert {wl.category for wl in real.lists} == {"false-positive"}
    assert real.skipped_lists == ()


@pytest.mark.parametrize(
    ("type_", "value", "expected"),
    [
        (T.IPV4, "10.20.30.40", [RFC1918, RFC5735]),
        (T.IPV4, "172.31.255.255", [RFC1918, RFC5735]),
        (T.IPV4, "172.32.0.1", []),
        (T.IPV4, "192.168.0.1", [RFC1918, RFC5735]),
        (T.IPV4, "127.0.0.1", [RFC5735]),
        (T.IPV4, "203.0.113.9", [RFC5735]),
        (T.IPV4, "255.255.255.255", [RFC5735]),
        (T.IPV4, "11.0.0.1", []),
        (T.IPV4, "8.8.8.8", [DNS4]),
        (T.IPV4, "8.8.8.9", []),
        (T.IPV4, "9.9.9.9", [DNS4]),
        (T.IPV6, "2001:4860:4860::8888", [DNS6]),
        (T.IPV6, "2001:4860:4860::8889", []),
    ],
)
def test_a_cidr_list_flags_an_address_inside_one_of_its_networks_or_equal_to_a_bare_entry(
    real: WarningIndex, type_: IndicatorType, value: str, expected: list[str]
) -> None:
    assert names(real, type_, value) == expected


@pytest.mark.parametrize(
    ("type_", "value", "expected"),
    [
        (T.CIDR, "10.1.0.0/16", [RFC1918, RFC5735]),
        (T.CIDR, "10.0.0.0/8", [RFC1918, RFC5735]),
        (T.IPV4, "10.0.0.0/8", [RFC1918, RFC5735]),  # STIX and CSV write networks as ipv4
        (T.CIDR, "10.0.0.0/7", []),  # larger than the entry: part of it is public
        (T.CIDR, "8.8.8.0/24", []),  # holds a resolver, but is not one
        (T.CIDR, "192.168.0.0/15", []),
        (T.CIDR, "2001:4860:4860::/48", []),
    ],
)
def test_a_cidr_list_flags_a_network_only_when_all_of_it_lies_inside_one_entry(
    real: WarningIndex, type_: IndicatorType, value: str, expected: list[str]
) -> None:
    assert names(real, type_, value) == expected


def test_a_cidr_hit_names_the_entry_that_matched_as_the_list_writes_it(real: WarningIndex) -> None:
    assert real.check(T.IPV4, "192.168.12.1")[0] == WarningHit(
        RFC1918,
        "Event contains one or more entries part of the private network CIDR blocks (RFC 1918)",
        "192.168.0.0/16",
        "false-positive",
    )


@pytest.mark.parametrize(
    ("type_", "value", "expected"),
    [
        (T.DOMAIN, "hit-botnet.opendns.com", [UMBRELLA]),
        (T.DOMAIN, "deep.sub.hit-botnet.opendns.com", [UMBRELLA]),
        # a suffix only at a label boundary, and never the parent of an entry
        (T.DOMAIN, "xhit-botnet.opendns.com", []),
        (T.DOMAIN, "opendns.com", []),
        (T.DOMAIN, "hit-botnet.opendns.com.evil.example", []),
        (T.URL, "https://hit-phish.opendns.com:443/block?u=x", [UMBRELLA]),
        (T.URL, "http://user@hit-malware.opendns.com/", [UMBRELLA]),
        (T.URL, "http://evil.example/hit-phish.opendns.com", []),
        # matching_attributes names no email type
        (T.EMAIL, "noreply@hit-phish.opendns.com", []),
    ],
)
def test_a_hostname_list_flags_the_name_and_its_subdomains_and_the_host_of_a_url(
    real: WarningIndex, type_: IndicatorType, value: str, expected: list[str]
) -> None:
    assert names(real, type_, value) == expected


def test_hostname_entries_are_read_without_case_trailing_dot_or_leading_wildcard() -> None:
    index = one("hostname", ["Example.COM.", "*.wild.example", ".dot.example"])
    for value in [
        "example.com",
        "a.b.example.com",
        "x.wild.example",
        "wild.example",
        "dot.example",
    ]:
        assert names(index, T.DOMAIN, value) == ["test hostname"], value
    assert names(index, T.DOMAIN, "badexample.com") == []
    assert index.check(T.DOMAIN, "www.example.com")[0].matching == "Example.COM."


def test_a_hostname_list_without_matching_attributes_also_checks_mail_domains() -> None:
    index = one("hostname", ["gmail.com"])
    assert names(index, T.EMAIL, "someone@gmail.com") == ["test hostname"]
    assert names(index, T.IPV4, "192.0.2.1") == []
    assert names(index, T.MD5, "d41d8cd98f00b204e9800998ecf8427e") == []


@pytest.mark.parametrize(
    ("type_", "value", "expected"),
    [
        (T.MD5, "d41d8cd98f00b204e9800998ecf8427e", [EMPTY]),
        (T.SHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709", [EMPTY]),
        (T.SHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", [EMPTY]),
        (T.MD5, "d41d8cd98f00b204e9800998ecf8427f", []),
        # the same text as another type: the list's matching_attributes name hashes only
        (T.DOMAIN, "d41d8cd98f00b204e9800998ecf8427e", []),
    ],
)
def test_a_string_list_flags_only_the_whole_value_for_the_types_it_names(
    real: WarningIndex, type_: IndicatorType, value: str, expected: list[str]
) -> None:
    assert names(real, type_, value) == expected


def test_a_string_list_matches_the_whole_value_ignoring_case_and_surrounding_spaces() -> None:
    index = one("string", ["Example.COM", " padded.example "])
    assert names(index, T.DOMAIN, "example.com") == ["test string"]
    assert names(index, T.DOMAIN, "padded.example") == ["test string"]
    assert names(index, T.DOMAIN, "www.example.com") == []  # no suffix semantics
    assert names(index, T.URL, "http://example.com/") == []
    assert index.check(T.DOMAIN, "example.com")[0].matching == "Example.COM"


def test_a_substring_list_flags_a_value_containing_an_entry_anywhere() -> None:
    index = one(
        "substring",
        ["mobiseclab", "EXAMPLE.org", "ab"],
        matching_attributes=["domain", "hostname", "url"],
    )
    assert names(index, T.DOMAIN, "akana.mobiseclab.org") == ["test substring"]
    assert names(index, T.URL, "https://x.example.org/sample") == ["test substring"]
    assert names(index, T.DOMAIN, "cab.example") == ["test substring"]  # short entries too
    assert names(index, T.DOMAIN, "safe.example") == []
    # matching_attributes name no hash type
    assert names(index, T.MD5, "ab" * 16) == []
    assert index.check(T.URL, "https://x.example.org/")[0].matching == "EXAMPLE.org"


def test_a_value_is_flagged_at_most_once_per_list() -> None:
    index = one("substring", ["evil", "vil", "example"])
    assert len(index.check(T.DOMAIN, "evil.evil.example")) == 1


def test_a_hit_says_whether_its_list_means_false_positive_or_merely_known() -> None:
    known = {
        "name": "Known cloud ranges",
        "description": "addresses of a cloud provider",
        "type": "cidr",
        "category": "known",
        "list": ["198.51.100.0/24"],
    }
    false_positive = dict(known, name="Private ranges", category="false-positive")
    index = WarningIndex(
        [load_warning_list(json.dumps(item).encode()) for item in (known, false_positive)]
    )
    assert [
        (h.list_name, h.list_description, h.matching, h.category)
        for h in index.check(T.IPV4, "198.51.100.9")
    ] == [
        ("Known cloud ranges", "addresses of a cloud provider", "198.51.100.0/24", "known"),
        ("Private ranges", "addresses of a cloud provider", "198.51.100.0/24", "false-positive"),
    ]


def test_a_regex_list_is_loaded_but_skipped_and_named() -> None:
    index = one("regex", ["/^evil/i"])
    assert index.skipped_lists == ("test regex",)
    assert names(index, T.DOMAIN, "evil.example") == []


def test_a_stray_non_address_entry_in_a_cidr_list_is_ignored_and_the_rest_applies() -> None:
    index = one("cidr", ["not an address", "192.0.2.0/24", ""])
    assert names(index, T.IPV4, "192.0.2.77") == ["test cidr"]


def test_a_list_whose_matching_attributes_cover_no_indicator_type_never_flags() -> None:
    index = one("string", ["14d82eec-204b-4c2f-b7e8-296a70dab67e"], matching_attributes=["x"])
    assert index.check(T.DOMAIN, "14d82eec-204b-4c2f-b7e8-296a70dab67e") == []


def test_an_empty_index_flags_nothing() -> None:
    assert WarningIndex([]).check(T.IPV4, "10.0.0.1") == []


def test_a_warning_list_reads_as_a_frozen_record() -> None:
    wl = load_warning_list((DATA / "rfc1918" / "list.json").read_bytes())
    assert isinstance(wl, WarningList)
    assert (wl.name, wl.category, wl.matching_attributes[:2]) == (
        RFC1918,
        "false-positive",
        ("ip-src", "ip-dst"),
    )


VALID = {"name": "n", "description": "d", "type": "string", "list": ["a"], "version": 1}


@pytest.mark.parametrize(
    ("data", "params"),
    [
        (b"\x00\x01", {"reason": "not_text"}),
        (b'{"name": "n",', {"reason": "bad_json", "line": 1}),
        (b"[]", {"reason": "not_an_object"}),
        (json.dumps({**VALID, "name": None}).encode(), {"reason": "not_a_string", "field": "name"}),
        (json.dumps({**VALID, "type": 5}).encode(), {"reason": "not_a_string", "field": "type"}),
        (
            json.dumps({k: v for k, v in VALID.items() if k != "description"}).encode(),
            {"reason": "missing_field", "field": "description"},
        ),
        (
            json.dumps({k: v for k, v in VALID.items() if k != "list"}).encode(),
            {"reason": "missing_field", "field": "list"},
        ),
        (
            json.dumps({**VALID, "type": "glob"}).encode(),
            {"reason": "unknown_list_type", "type": "glob"},
        ),
        (
            json.dumps({**VALID, "category": "trusted"}).encode(),
            {"reason": "unknown_category", "category": "trusted"},
        ),
        (
            json.dumps({**VALID, "list": "a"}).encode(),
            {"reason": "not_a_list_of_strings", "field": "list"},
        ),
        (
            json.dumps({**VALID, "list": ["a", 1]}).encode(),
            {"reason": "not_a_list_of_strings", "field": "list"},
        ),
        (
            json.dumps({**VALID, "matching_attributes": "domain"}).encode(),
            {"reason": "not_a_list_of_strings", "field": "matching_attributes"},
        ),
    ],
)
def test_an_invalid_list_file_raises_bad_warning_list_with_the_reason(
    data: bytes, params: dict[str, Any]
) -> None:
    with pytest.raises(IndicatorProblemError) as caught:
        load_warning_list(data)
    assert (caught.value.code, caught.value.params) == ("bad_warning_list", params)


def test_loading_a_folder_names_the_bad_file(tmp_path: Path) -> None:
    (tmp_path / "good").mkdir()
    (tmp_path / "good" / "list.json").write_text(json.dumps(VALID))
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "list.json").write_text('{"name": ')
    with pytest.raises(IndicatorProblemError) as caught:
        load_warning_lists(tmp_path)
    assert caught.value.code == "bad_warning_list"
    assert caught.value.params == {
        "reason": "bad_json",
        "line": 1,
        "file": str(Path("broken") / "list.json"),
    }


def test_loading_a_folder_reads_only_list_json_one_level_down(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "list.json").write_text(json.dumps(VALID))
    (tmp_path / "a" / "README.md").write_text("# not a list")
    (tmp_path / "list.json").write_text("not even json")
    index = load_warning_lists(tmp_path)
    assert [wl.name for wl in index.lists] == ["n"]
