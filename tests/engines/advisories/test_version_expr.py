"""Advisory version expressions: univers `vers:` strings and CISA's free text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vigie.engines.advisories.version_expr import parse_version_expr

CSAF = Path(__file__).resolve().parents[2] / "data" / "csaf_medical"


def advisory_versions() -> list[str]:
    found: list[str] = []

    def walk(branches: list[dict[str, object]]) -> None:
        for branch in branches:
            if branch["category"] in ("product_version", "product_version_range"):
                found.append(str(branch["name"]))
            children = branch.get("branches")
            if isinstance(children, list):
                walk(children)

    for path in sorted(CSAF.glob("icsma-*.json")):
        walk(json.loads(path.read_text("utf-8"))["product_tree"]["branches"])
    return found


@pytest.mark.parametrize(
    ("expression", "version", "expected"),
    [
        ("<= 9.33.1", "9.19", True),
        ("<= 9.33.1", "9.33.1", True),
        ("<= 9.33.1", "9.33.2", False),
        ("<= 9.33", "9.5", True),  # 9.5 < 9.33: numeric, not lexical
        (">= 1.0.0 | <= 1.1.1", "1.1.0", True),
        (">= 1.0.0 | <= 1.1.1", "1.2", False),
        (">= 1.0.0 | <= 1.1.1", "0.9", False),
        (">= 1.0.0  | <= 1.3.1", "1.3.1", True),  # Illumina, two spaces
        ("<2.4", "2.3.9", True),
        ("<2.4", "2.4", False),
        ("4.1", "4.1.0", True),
        ("4.1", "4.2", False),
        ("A10 < A11", "A10", True),
        ("A10 < A11", "A11", False),
        ("A10 | A11", "A11", True),
        ("1.0 - 2.3", "2.3", True),
        ("1.0 - 2.3", "2.4", False),
        ("all versions", "1", True),
        ("prior to 5.0", "4.9", True),
        ("prior to 5.0", "5.0", False),
        ("versions before 3.2", "3.1", True),
        ("2.3.6 and  below", "2.3.6", True),
        ("3.0 and later", "2.9", False),
        ("V2.0.x", "2.0.7", True),
        ("V2.0.x", "2.1", False),
        ("2.X", "2.1", True),
        ("2.X", "20.1", False),
        ("4.X | 5.X", "5.2", True),
        ("<= 12.2.x.x", "12.2.9.1", True),
        ("<= 12.2.x.x", "12.3", False),
        ("< 3.x", "2.9", True),
        ("< 3.x", "3.1", False),
        ("A.01 <= C.0x | 4.0", "C.03", True),
        ("A.01 <= C.0x | 4.0", "C.10", False),
        ("A.01 <= C.0x | 4.0", "4.0", True),
        ("Rev B-M", "K", True),
        ("Rev B-M", "N", False),
        ("<=N", "M", True),
        ("< B.06.18", "B.06.10", True),
        ("<= R4.1L1", "R4.1", True),
        ("*", "anything", True),
        ("vers:all/*", "1.0", True),
        ("vers:generic/>=2.0|<2.4", "2.3", True),
        ("vers:generic/>=2.0|<2.4", "2.4", False),
        ("vers:semver/>=1.0.0|<1.2.3", "1.2.0", True),
        ("vers:intdot/>=1.2|<3", "2.9", True),
        ("vers:pypi/>=1.0|<2.0", "1.5", True),
        ("vers:pypi/>=1.0|<2.0", "2.0", False),
        ("vers:generic/!=1.5", "1.5", False),
        ("vers:all/<V2.4.0", "2.3", True),  # Siemens-style, not valid vers
    ],
)
def test_contains(expression: str, version: str, expected: bool) -> None:
    assert parse_version_expr(expression).contains(version) is expected


@pytest.mark.parametrize(
    ("expression", "version"),
    [
        ("< august 28", "1.0"),  # a manufacturing date
        ("distributed  < april 1, 2018", "1.0"),
        ("<8/30/2024", "1.0"),
        ("882160 Gemini Dual", "1.0"),  # a model, not a version
        ("Windows 10 Professional Operating System U.S. release", "1.0"),
        ("<= 9.33.1", ""),  # the inventory has no version
        ("<= 9.33.1", "unknown"),
        ("vers:pypi/>=1.0|<2.0", "not a version!"),
    ],
)
def test_undecidable_gives_none(expression: str, version: str) -> None:
    assert parse_version_expr(expression).contains(version) is None


def test_qualifiers_are_cut_into_a_note() -> None:
    expr = parse_version_expr("<=11.2 on Windows 8.1 with IIS 7.5")
    assert (expr.kind, expr.describe(), expr.note) == (
        "range",
        "<= 11.2",
        "on Windows 8.1 with IIS 7.5",
    )
    battery = parse_version_expr("v9.x (with Wireless Battery Module >= v22D19 | <= v22D28)")
    assert battery.describe() == "v9.x"
    assert battery.note == "with Wireless Battery Module >= v22D19 | <= v22D28"
    assert parse_version_expr("* (end-of-life 2011)").kind == "all"


def test_empty_expression_is_all_versions_with_a_note() -> None:
    expr = parse_version_expr("")
    assert (expr.kind, expr.contains("1.0"), expr.note) == (
        "all",
        True,
        "the advisory names no version",
    )


def test_model_lists_are_exact_values() -> None:
    expr = parse_version_expr("MMT-1715 | MMT-1754 | MMT-1755")
    assert expr.exact_values == ("MMT-1715", "MMT-1754", "MMT-1755")
    assert parse_version_expr("2131 and 2141").exact_values == ("2131", "2141")


def test_describe_and_matching_interval_read_like_a_person_writes() -> None:
    expr = parse_version_expr(">= 1.0.0 | <= 1.1.1")
    assert expr.describe() == ">= 1.0.0, <= 1.1.1"
    two = parse_version_expr("<= U61 |<= L81")
    assert two.describe() == "<= U61 or <= L81"
    assert parse_version_expr("1.1 | 1.2").describe() == "1.1 or 1.2"
    assert parse_version_expr("vers:generic/>=2.0|<2.4").matching_interval("2.1") == ">= 2.0, < 2.4"


def test_every_expression_of_the_copied_advisories_parses_or_says_why() -> None:
    expressions = advisory_versions()
    assert len(expressions) >= 50
    unparsable = [e for e in expressions if parse_version_expr(e).kind == "unparsable"]
    for text in unparsable:
        assert parse_version_expr(text).problem
    # The only forms left in these twelve advisories: model lists mixed with words, prose.
    assert sorted(set(unparsable)) == [
        "7100 | 7900 MRI",
        "7100 | 7900 | 100 | Protiva Carestation View",
        "CS2  Avance | Amingo | Avance CS2",
    ]


def test_parse_never_raises_on_hostile_text() -> None:
    for text in ["", " ", "|||", "vers:", "vers:pypi/", "<>=", "(((", "x" * 10000, "vers:foo/<1"]:
        parse_version_expr(text).contains("1.0")
