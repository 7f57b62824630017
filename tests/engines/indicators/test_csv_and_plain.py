"""CSV and plain indicator lists, and choosing the reader from a file's content."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from vigie.engines.indicators import (
    IndicatorType,
    Tlp,
    read_csv,
    read_indicator_file,
    read_plain,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "intel"
T = IndicatorType


def test_a_csv_with_a_bad_line_in_the_middle_loads_the_rest_and_names_line_and_field() -> None:
    data = b"type,value\nip,8.8.4.4\nip,999.1.1.1\nfrobnicator,x\ndomain,Example.ORG\n"
    result = read_csv(data)
    assert result.format == "csv"
    assert [(r.type, r.value, r.line) for r in result.records] == [
        (T.IPV4, "8.8.4.4", 2),
        (T.DOMAIN, "example.org", 5),
    ]
    assert [(p.code, p.line, p.field) for p in result.problems] == [
        ("bad_value", 3, "value"),
        ("unknown_type", 4, "type"),
    ]
    assert result.problems[1].params == {"type": "frobnicator"}
    assert result.objects_read == 4


def test_a_csv_reads_its_optional_columns_in_any_order_and_ignores_unknown_ones() -> None:
    data = (
        "\ufeffValue;Type;TLP;tags;valid_until;source;id;colour\n"
        "lockbit-decryptor.com;fqdn;TLP:AMBER+STRICT;ransomware:lockbit| c2 ;2026-01-31;"
        "CERT Santé;ioc-1;red\n"
        "10.0.0.0/8;cidr;;;2026-01-31T12:00:00+02:00;;;\n"
    ).encode()
    result = read_csv(data)
    assert result.problems == []
    first, second = result.records
    assert (first.type, first.value, first.tlp, first.tags) == (
        T.DOMAIN,
        "lockbit-decryptor.com",
        Tlp.AMBER_STRICT,
        ("ransomware:lockbit", "c2"),
    )
    assert first.valid_until == datetime(2026, 1, 31, tzinfo=UTC)
    assert (first.source, first.external_id, first.line) == ("CERT Santé", "ioc-1", 2)
    assert second.valid_until == datetime(2026, 1, 31, 10, 0, tzinfo=UTC)
    assert (second.tlp, second.tags, second.source, second.external_id) == (None, (), None, None)


def test_a_csv_row_with_a_bad_tlp_or_date_is_not_loaded_and_each_problem_is_named() -> None:
    data = b"type,value,tlp,valid_until\nip,1.2.3.4,purple,tomorrow\nip,1.2.3.5,green,\n"
    result = read_csv(data)
    assert [r.value for r in result.records] == ["1.2.3.5"]
    assert [(p.code, p.line, p.field) for p in result.problems] == [
        ("bad_tlp", 2, "tlp"),
        ("bad_date", 2, "valid_until"),
    ]


def test_a_naive_csv_date_means_utc() -> None:
    result = read_csv(b"type,value,valid_until\nip,1.2.3.4,2026-03-01T08:30:00\n")
    assert result.records[0].valid_until == datetime(2026, 3, 1, 8, 30, tzinfo=UTC)


def test_a_csv_without_a_value_column_is_refused_with_the_missing_column() -> None:
    result = read_csv(b"type,indicator\nip,1.2.3.4\n")
    assert result.records == []
    assert [(p.code, p.params, p.line) for p in result.problems] == [
        ("missing_column", {"column": "value"}, 1)
    ]


def test_csv_comment_lines_before_the_header_and_quoted_line_breaks_keep_physical_lines() -> None:
    data = b'# exported 2026-08-01\n\ntype,value,tags\nurl,"http://a.example/x","one\ntwo"\nip,1.1.1.1,\n'
    result = read_csv(data)
    assert result.problems == []
    assert [(r.value, r.line) for r in result.records] == [
        ("http://a.example/x", 4),
        ("1.1.1.1", 6),
    ]


def test_a_csv_field_over_2000_characters_is_too_long_and_the_next_rows_load() -> None:
    long_url = "http://a.example/" + "x" * 2500
    huge = "y" * 200_000  # beyond the csv module's own field limit
    data = f"type,value\nurl,{long_url}\nurl,{huge}\nip,1.2.3.4\n".encode()
    result = read_csv(data)
    assert [(p.code, p.line) for p in result.problems] == [("too_long", 2), ("too_long", 3)]
    assert result.problems[0].field == "value"
    assert [(r.value, r.line) for r in result.records] == [("1.2.3.4", 4)]


def test_more_than_a_thousand_problems_are_counted_but_not_listed() -> None:
    data = ("type,value\n" + "ip,bad\n" * 1500).encode()
    result = read_csv(data)
    assert len(result.problems) == 1001
    assert result.problems[-1].code == "too_many_problems"
    assert result.problems[-1].params == {"count": 1500}


def test_the_real_ipsum_list_gives_each_address_with_its_line() -> None:
    result = read_plain((DATA / "plain" / "ipsum-head300.txt").read_bytes())
    assert result.format == "plain"
    assert result.problems == []
    assert len(result.records) == 293  # 300 lines, 7 of them comments
    first = result.records[0]
    assert (first.type, first.value, first.line) == (T.IPV4, "77.90.185.20", 8)


def test_the_real_maltrail_lockbit_trails_read_domains_onions_urls_and_report_bare_paths() -> None:
    result = read_plain((DATA / "plain" / "maltrail-lockbit.txt").read_bytes())
    by_value = {r.value: r for r in result.records}
    assert by_value["lockbit-decryptor.com"].type is T.DOMAIN
    assert by_value["lockbit-decryptor.com"].line == 8
    assert by_value["lockbitapt.uz"].type is T.DOMAIN
    urls = [r.value for r in result.records if r.type is T.URL]
    assert urls
    assert all(url.startswith(("http://", "https://", "ftp://")) for url in urls)
    codes = {p.code for p in result.problems}
    assert codes <= {"unknown_type", "bad_value"}
    bare_paths = [p for p in result.problems if str(p.params["value"]).startswith("/")]
    assert bare_paths
    assert all(p.line is not None for p in result.problems)
    assert len(result.records) + len(result.problems) == result.objects_read


def test_plain_lists_take_the_address_of_ip_port_trails_and_drop_inline_comments() -> None:
    data = b"# header\n\n1.2.3.4:443\n[2001:db8::1]:8080\nevil.example # seen 2026-08\nlocalhost\n"
    result = read_plain(data)
    assert [(r.type, r.value, r.line) for r in result.records] == [
        (T.IPV4, "1.2.3.4", 3),
        (T.IPV6, "2001:db8::1", 4),
        (T.DOMAIN, "evil.example", 5),
    ]
    assert [(p.code, p.line) for p in result.problems] == [("unknown_type", 6)]


def test_binary_input_is_one_not_text_problem() -> None:
    for reader in (read_csv, read_plain, read_indicator_file):
        result = reader(b"PK\x03\x04\x00\x00binary")
        assert [p.code for p in result.problems] == ["not_text"]
        assert result.records == []
    assert [p.code for p in read_indicator_file(b"\xff\xfe\xfa").problems] == ["not_text"]


def test_an_empty_file_is_reported() -> None:
    assert [p.code for p in read_indicator_file(b"  \n").problems] == ["empty_file"]
    assert [p.code for p in read_plain(b"").problems] == ["empty_file"]


def test_the_format_is_detected_from_content_not_the_file_name() -> None:
    stix = (DATA / "stix" / "indicator-for-c2-ip-address.json").read_bytes()
    misp = (DATA / "misp" / "sighting_1.json").read_bytes()
    assert read_indicator_file(stix, "feed.txt").format == "stix"
    assert read_indicator_file(misp, "feed.csv").format == "misp"
    assert (
        read_indicator_file(b"\xef\xbb\xbf# list\nTYPE,VALUE\nip,1.2.3.4\n", "a.json").format
        == "csv"
    )
    assert read_indicator_file(b"1.2.3.4\n", "a.csv").format == "plain"
    assert [p.code for p in read_indicator_file(b'{"type": "bun').problems] == ["bad_json"]
    assert [p.code for p in read_indicator_file(b'{"hello": 1}').problems] == [
        "unknown_json_format"
    ]
