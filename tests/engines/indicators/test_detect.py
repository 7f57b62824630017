"""`read_indicator_file`: the reader is chosen by the content, and JSON is parsed once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vigie.engines.indicators import IndicatorType, read_indicator_file, read_misp_event
from vigie.engines.indicators.detect import detect_format

DATA = Path(__file__).resolve().parents[2] / "data" / "intel"
T = IndicatorType


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"type": "bundle"}', "json"),
        ('  \n\t[{"Event": {}}]', "json"),
        ("type,value\nip,192.0.2.1\n", "csv"),
        ("# exported\n\nTYPE;VALUE\n", "csv"),
        ("192.0.2.1\nevil.example\n", "plain"),
        ("# one value per line\nevil.example\n", "plain"),
    ],
)
def test_the_format_is_told_by_the_first_characters_and_the_header(
    text: str, expected: str
) -> None:
    assert detect_format(text) == expected


@pytest.mark.parametrize(
    ("path", "records"),
    [
        ("stix/apt1.json", 10),
        ("stix/poisonivy.json", 64),
        ("stix/using-marking-definitions.json", 1),
    ],
)
def test_real_stix_bundles_read_as_stix_whatever_the_file_is_called(
    path: str, records: int
) -> None:
    result = read_indicator_file((DATA / path).read_bytes(), "export.txt")
    assert result.format == "stix"
    assert len(result.records) == records


@pytest.mark.parametrize(
    ("path", "records"),
    [
        ("misp/57c4445b-c548-4654-af0b-4be3950d210f.json", 3),  # {"Event": {...}}
        ("misp/glupteba.misp-event.json", 324),  # {"response": [{"Event": {...}}]}
        ("misp/sighting_1.json", 5),
    ],
)
def test_real_misp_events_read_as_misp_and_give_what_the_misp_reader_gives(
    path: str, records: int
) -> None:
    data = (DATA / path).read_bytes()
    result = read_indicator_file(data, "feed.csv")
    assert result.format == "misp"
    assert len(result.records) == records
    assert result.records == read_misp_event(data).records


def test_a_bare_misp_event_object_reads_as_misp() -> None:
    event = {
        "info": "bare",
        "Attribute": [{"type": "ip-dst", "value": "192.0.2.8", "to_ids": True}],
    }
    result = read_indicator_file(json.dumps(event).encode())
    assert result.format == "misp"
    assert [(r.type, r.value, r.name) for r in result.records] == [(T.IPV4, "192.0.2.8", "bare")]


def test_a_stix_bundle_after_a_byte_order_mark_and_blank_lines_reads_as_stix() -> None:
    data = b"\xef\xbb\xbf\n\n" + (DATA / "stix" / "indicator-for-c2-ip-address.json").read_bytes()
    result = read_indicator_file(data)
    assert result.format == "stix"
    assert [r.value for r in result.records] == ["10.0.0.0"]


@pytest.mark.parametrize(
    ("data", "line", "column"),
    [
        (b'{"type": "bundle", "objects": [', 1, 32),
        (b'{"Event": {"info": "x",\n "Attribute": [}', 2, 16),
        (b"[1, 2,", 1, 7),
    ],
)
def test_invalid_or_truncated_json_is_one_bad_json_problem_with_line_and_column(
    data: bytes, line: int, column: int
) -> None:
    result = read_indicator_file(data)
    assert result.format == "json"
    assert [(p.code, p.params) for p in result.problems] == [
        ("bad_json", {"line": line, "column": column})
    ]
    assert result.records == []


@pytest.mark.parametrize(
    "data",
    [b"[]", b"{}", b'{"type": "indicator"}', b'[{"type": "bundle"}]', b'{"objects": []}'],
)
def test_json_that_is_neither_a_stix_bundle_nor_a_misp_event_is_an_unknown_json_format(
    data: bytes,
) -> None:
    result = read_indicator_file(data)
    assert (result.format, [p.code for p in result.problems]) == ("json", ["unknown_json_format"])
    assert result.records == []


def test_a_bundle_with_a_bad_object_still_reads_as_stix_with_the_problem() -> None:
    data = json.dumps(
        {"type": "bundle", "id": "bundle--x", "objects": [{"type": "indicator", "id": 5}]}
    ).encode()
    result = read_indicator_file(data)
    assert result.format == "stix"
    assert [(p.code, p.field) for p in result.problems] == [("bad_stix_object", "id")]
