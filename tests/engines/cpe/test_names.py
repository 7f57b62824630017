"""CPE 2.3 names: parsing with quoting, logical values, wildcards, CPE 2.2 URIs, NISTIR 7696."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from vigie.engines.cpe.names import (
    ANY,
    NA,
    Cpe,
    CpeError,
    Relation,
    Value,
    Wildcard,
    compare_attribute,
    compare_names,
    format_cpe,
    name_superset,
    parse_cpe,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "nvd"
# Real dictionary names from the scanoss purl2cpe sample (every name with a backslash in it,
# the malformed ones, and 1,500 others): see tests/data/nvd/SOURCES.md.
SAMPLE = DATA / "cpe-sample.csv"
INVALID_IN_SAMPLE = {
    "cpe:2.3:a:oracle:mysql:8.0:*:*:*:community_server:*:*:*:*",  # 12 components
    "cpe:2.3:a:sainwp:onestore_sites:*:*:*:*:*:*:wordpress:*:*",  # 12 components
    "cpe:2.3:a:strapi:strapi:*:*:*:*:*:**:*:*",  # `**`
}

# Quotes a letter (`\t`, probably a tab gone wrong): read as the letter, bound without quoting.
NEEDLESS_QUOTING = (
    "cpe:2.3:a:exclusiveaddons:exclusive_addons_for_elementor:*:*:*:*:free:wordpress:*:*\\t"
)


def sample_names() -> list[str]:
    with SAMPLE.open(newline="") as f:
        return [row["cpe23"] for row in csv.DictReader(f)]


def test_plain_name_parses_into_eleven_attributes() -> None:
    cpe = parse_cpe("cpe:2.3:a:openbsd:openssh:8.5:p1:*:*:*:*:*:*")
    assert cpe == Cpe("a", "openbsd", "openssh", "8.5", "p1", ANY, ANY, ANY, ANY, ANY, ANY)
    assert cpe.product == "openssh"
    assert cpe.edition is ANY


@pytest.mark.parametrize(
    ("name", "attribute", "value"),
    [
        # real dictionary names with quoted punctuation
        ("cpe:2.3:a:2glux:com_sexypolling:0.9.1:-:-:*:-:joomla\\!:*:*", "target_sw", "joomla!"),
        ("cpe:2.3:a:messagepack:messagepack:1.7.0:*:*:*:*:c\\#:*:*", "target_sw", "c#"),
        (
            "cpe:2.3:a:icu-project:international_components_for_unicode:1.4.1.1:*:*:*:*:c\\/c\\+\\+:*:*",
            "target_sw",
            "c/c++",
        ),
        ("cpe:2.3:a:xabber:xabber:2.3.1\\(480\\):*:*:*:vip:android:*:*", "version", "2.3.1(480)"),
        ("cpe:2.3:a:9base_project:9base:1\\:6-6:*:*:*:*:*:*:*", "version", "1:6-6"),
        ("cpe:2.3:a:apache:subversion:m4\\/m5:*:*:*:*:*:*:*", "version", "m4/m5"),
        (
            "cpe:2.3:a:debian:advanced_package_tool:1.1.0\\~beta1:*:*:*:*:*:*:*",
            "version",
            "1.1.0~beta1",
        ),
        (
            "cpe:2.3:a:ubports:unity8:8.10\\+15.10.20150702.2-0ubuntu1:*:*:*:*:*:*:*",
            "version",
            "8.10+15.10.20150702.2-0ubuntu1",
        ),
        # NVD criteria (sudo CVE-2021-3156, Perl modules in the anchore overrides)
        (
            "cpe:2.3:a:beyondtrust:privilege_management_for_unix\\/linux:*:*:*:*:basic:*:*:*",
            "product",
            "privilege_management_for_unix/linux",
        ),
        (
            "cpe:2.3:a:miyagawa:plack\\:\\:middleware\\:\\:session\\:\\:cookie:*:*:*:*:*:perl:*:*",
            "product",
            "plack::middleware::session::cookie",
        ),
        (
            "cpe:2.3:a:backpackforlaravel:backpack\\\\crud:*:*:*:*:*:php:*:*",
            "product",
            "backpack\\crud",
        ),
    ],
)
def test_quoted_characters_are_unquoted_into_literal_values(
    name: str, attribute: str, value: str
) -> None:
    cpe = parse_cpe(name)
    assert getattr(cpe, attribute) == value
    assert format_cpe(cpe) == name  # binding quotes them back the same way


def test_quoted_colon_does_not_split_components() -> None:
    cpe = parse_cpe("cpe:2.3:a:simple-press:simple\\:press:*:*:*:*:*:wordpress:*:*")
    assert cpe.product == "simple:press"
    assert cpe.version is ANY
    assert cpe.target_sw == "wordpress"


def test_logical_any_and_na_are_not_literals() -> None:
    cpe = parse_cpe("cpe:2.3:h:bd:alaris_8015:-:*:*:*:*:*:*:*")
    assert cpe.version is NA
    assert cpe.update is ANY
    quoted = parse_cpe("cpe:2.3:a:vendor:product:\\-:\\*:*:*:*:*:*:*")
    assert quoted.version == "-"  # a quoted hyphen is a literal, not NA
    assert quoted.update == "*"  # a quoted asterisk is a literal, not ANY
    assert quoted.version is not NA
    assert quoted.update is not ANY
    assert format_cpe(quoted) == "cpe:2.3:a:vendor:product:\\-:\\*:*:*:*:*:*:*"


def test_names_are_case_folded() -> None:
    assert parse_cpe("CPE:2.3:A:Microsoft:.NET_Framework:4.5:*:*:*:*:*:*:*") == parse_cpe(
        "cpe:2.3:a:microsoft:.net_framework:4.5:*:*:*:*:*:*:*"
    )


def test_fast_and_quoting_paths_agree_on_real_names() -> None:
    """A name parsed on the split fast path equals the same name forced through the scanner.

    Quoting an unreserved character (`\\.`) is legal and changes nothing but sends the name
    through the character scanner.
    """
    checked = 0
    for name in sample_names():
        if "\\" in name or name in INVALID_IN_SAMPLE or "." not in name[8:]:
            continue
        forced = name[:8] + name[8:].replace(".", "\\.", 1)
        assert parse_cpe(forced) == parse_cpe(name), name
        checked += 1
    assert checked > 1000


def test_every_real_sample_name_parses_and_binds_back_except_the_malformed_ones() -> None:
    rejected = set()
    for name in sample_names():
        try:
            cpe = parse_cpe(name)
        except CpeError:
            rejected.add(name)
            continue
        assert parse_cpe(format_cpe(cpe)) == cpe
        if name != NEEDLESS_QUOTING:
            assert format_cpe(cpe) == name.lower()
        assert isinstance(cpe.vendor, str)
    assert rejected == INVALID_IN_SAMPLE


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("cpe:2.3:a:soap::lite_project:soap::lite:*:*:*:*:*:perl:*:*", "11 components"),
        ("cpe:2.3:a:oracle:mysql:8.0:*:*:*:community_server:*:*:*:*", "found 12"),
        ("cpe:2.3:a:openssl:openssl:1.0.2", "found 4"),
        ("cpe:2.3:a:x:a*b:1:*:*:*:*:*:*:*", "unquoted wildcard inside the product"),
        ("cpe:2.3:a:strapi:strapi:*:*:*:*:*:**:*:*", "'*' mixed"),
        ("cpe:2.3:a:vendor::1.0:*:*:*:*:*:*:*", "empty product"),
        ("cpe:2.3:z:vendor:product:1.0:*:*:*:*:*:*:*", "part must be"),
        ("cpe:2.3:-:vendor:product:1.0:*:*:*:*:*:*:*", "part must be"),
        ("cpe:2.3:a:vendor:product:1.0 beta:*:*:*:*:*:*:*", "whitespace"),
        ("cpe:2.3:a:vendor:product:1.0\t:*:*:*:*:*:*:*", "whitespace"),
        ("cpe:2.3:a:vendor:product:1.0:*:*:*:*:*:*:\\", "lone backslash"),
        ("pkg:npm/lodash@4.17.20", "not a CPE name"),
        ("", "not a CPE name"),
        ("cpe:/a:v:p:1:2:3:4:5", "more than 7"),
    ],
)
def test_invalid_names_raise_cpe_error_saying_why(name: str, message: str) -> None:
    with pytest.raises(CpeError, match=message) as info:
        parse_cpe(name)
    assert isinstance(info.value, ValueError)


def test_invalid_criterion_of_grype_fixture_is_rejected() -> None:
    record = json.loads(
        (
            DATA / "grype" / "db__v6__build__transformers__nvd__testdata__invalid_cpe.json"
        ).read_text()
    )
    criterion = record["cve"]["configurations"][0]["nodes"][0]["cpeMatch"][0]["criteria"]
    with pytest.raises(CpeError):
        parse_cpe(criterion)


def test_edge_wildcards_make_patterns() -> None:
    cpe = parse_cpe("cpe:2.3:a:wpgeodirectory:events_calendar*:*:*:*:*:*:wordpress:*:*")
    assert isinstance(cpe.product, Wildcard)
    assert cpe.product.matches("events_calendar")
    assert cpe.product.matches("events_calendar_for_geodirectory")
    assert not cpe.product.matches("event_calendar")
    quoted_colon = parse_cpe("cpe:2.3:a:donweb:envialosimple\\:*:*:*:*:*:*:wordpress:*:*")
    assert isinstance(quoted_colon.product, Wildcard)
    assert quoted_colon.product.matches("envialosimple:_email_marketing_y_newsletters")
    assert not quoted_colon.product.matches("envialosimple")


def test_question_marks_match_up_to_that_many_characters_as_in_the_reference_matcher() -> None:
    cpe = parse_cpe("cpe:2.3:a:vendor:product:1.??:*:*:*:*:*:*:*")
    assert isinstance(cpe.version, Wildcard)
    assert cpe.version.matches("1.")
    assert cpe.version.matches("1.2")
    assert cpe.version.matches("1.23")
    assert not cpe.version.matches("1.234")
    leading = parse_cpe("cpe:2.3:a:vendor:product:*beta:*:*:*:*:*:*:*")
    assert isinstance(leading.version, Wildcard)
    assert leading.version.matches("2.0beta")


def test_cpe_22_uris_are_accepted() -> None:
    assert parse_cpe("cpe:/a:openbsd:openssh:8.5p1") == parse_cpe(
        "cpe:2.3:a:openbsd:openssh:8.5p1:*:*:*:*:*:*:*"
    )
    assert parse_cpe("cpe:/o:linux:linux_kernel:-") == parse_cpe(
        "cpe:2.3:o:linux:linux_kernel:-:*:*:*:*:*:*:*"
    )
    assert parse_cpe("cpe:/a:2glux:com_sexypolling:0.9.1:::en") == parse_cpe(
        "cpe:2.3:a:2glux:com_sexypolling:0.9.1:*:*:en:*:*:*:*"
    )


def test_cpe_22_percent_encoding_and_packed_edition() -> None:
    cpe = parse_cpe("cpe:/a:acyba:acymailing:5.0.1::~~~joomla%21~~")
    assert cpe.target_sw == "joomla!"
    assert cpe.edition is ANY
    assert cpe.sw_edition is ANY
    wild = parse_cpe("cpe:/a:vendor:product:1.%02")
    assert isinstance(wild.version, Wildcard)
    assert wild.version.matches("1.5")
    with pytest.raises(CpeError, match="packed edition"):
        parse_cpe("cpe:/a:vendor:product:1::~a~b")


# NISTIR 7696 Table 6-2, row by row: (source, target, relation).
_LITERAL = "7.0"
_OTHER = "8.0"
_PATTERN = parse_cpe("cpe:2.3:a:v:p:7.*:*:*:*:*:*:*:*").version


@pytest.mark.parametrize(
    ("source", "target", "relation"),
    [
        (ANY, ANY, Relation.EQUAL),
        (ANY, NA, Relation.SUPERSET),
        (ANY, _LITERAL, Relation.SUPERSET),
        (ANY, _PATTERN, Relation.UNDEFINED),
        (NA, ANY, Relation.SUBSET),
        (NA, NA, Relation.EQUAL),
        (NA, _LITERAL, Relation.DISJOINT),
        (NA, _PATTERN, Relation.UNDEFINED),
        (_LITERAL, ANY, Relation.SUBSET),
        (_LITERAL, NA, Relation.DISJOINT),
        (_LITERAL, _LITERAL, Relation.EQUAL),
        (_LITERAL, _OTHER, Relation.DISJOINT),
        (_LITERAL, _PATTERN, Relation.UNDEFINED),
        (_PATTERN, ANY, Relation.SUBSET),
        (_PATTERN, NA, Relation.DISJOINT),
        (_PATTERN, _LITERAL, Relation.SUPERSET),
        (_PATTERN, _OTHER, Relation.DISJOINT),
        (_PATTERN, _PATTERN, Relation.UNDEFINED),
    ],
)
def test_attribute_comparison_follows_nistir_7696_table(
    source: Value, target: Value, relation: Relation
) -> None:
    assert compare_attribute(source, target) is relation


def test_name_superset_is_cpe_superset() -> None:
    criterion = parse_cpe("cpe:2.3:a:sudo_project:sudo:1.9.5:-:*:*:*:*:*:*")
    assert name_superset(criterion, parse_cpe("cpe:2.3:a:sudo_project:sudo:1.9.5:-:*:*:*:*:*:*"))
    # update `-` (NA) against a patch release: disjoint
    assert not name_superset(
        criterion, parse_cpe("cpe:2.3:a:sudo_project:sudo:1.9.5:p1:*:*:*:*:*:*")
    )
    # a target saying ANY for the update is a subset: no strict match
    assert not name_superset(
        criterion, parse_cpe("cpe:2.3:a:sudo_project:sudo:1.9.5:*:*:*:*:*:*:*")
    )
    relations = compare_names(
        criterion, parse_cpe("cpe:2.3:a:sudo_project:sudo:1.9.5:*:*:*:*:*:*:*")
    )
    assert relations[4] is Relation.SUBSET
    assert relations[0] is Relation.EQUAL
    assert relations[5] is Relation.EQUAL  # ANY against ANY
