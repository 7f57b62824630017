"""The export writers: what each file holds, and that our own readers read it back."""

from __future__ import annotations

import base64
import csv
import io
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from pymisp import MISPEvent

from vigie.engines.indicators import read_indicator_file
from vigie.engines.indicators.exports import (
    ExportHeader,
    ExportRecord,
    FeedGroup,
    MispFeed,
    csv_export,
    plain_blocklist,
    rpz_name,
    rpz_zone,
    suricata_dataset,
    suricata_rule,
)
from vigie.engines.indicators.model import IndicatorType, Tlp

NOW = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)


def _header(count: int = 2, tlps: tuple[Tlp, ...] = (Tlp.GREEN, Tlp.AMBER)) -> ExportHeader:
    return ExportHeader(
        title="domain blocklist",
        organisation="CHU Alpha\nforged line",
        generated_at=NOW,
        tlps=tlps,
        count=count,
    )


def _record(value: str, type_: IndicatorType = IndicatorType.DOMAIN, **fields: Any) -> ExportRecord:
    record = ExportRecord(
        type=type_,
        value=value,
        tlp=Tlp.GREEN,
        tags=("lockbit",),
        valid_until=None,
        source="Centre Nord",
        publisher_id="7",
        changed_at=NOW,
    )
    return replace(record, **fields)


def test_plain_blocklist_says_its_strictest_marking_and_reads_back_as_the_same_values(
    tmp_path: Path,
) -> None:
    text = "".join(plain_blocklist(_header(), ["bad.example", "evil.example"]))
    assert "# TLP: TLP:GREEN, TLP:AMBER\n" in text
    assert "# Share as TLP:AMBER, the strictest marking it holds\n" in text
    # A name with a line break cannot start a record line of its own.
    assert "\nforged line" not in text
    path = tmp_path / "list.txt"
    path.write_text(text)
    result = read_indicator_file(path.read_bytes(), path.name)
    assert [(r.type, r.value) for r in result.records] == [
        (IndicatorType.DOMAIN, "bad.example"),
        (IndicatorType.DOMAIN, "evil.example"),
    ]
    assert result.problems == []


def test_csv_export_round_trips_through_the_csv_reader(tmp_path: Path) -> None:
    rows = [
        _record("bad.example", tags=("lockbit", "phishing"), tlp=Tlp.AMBER_STRICT),
        _record("198.51.100.7", IndicatorType.IPV4, valid_until=datetime(2027, 1, 1, tzinfo=UTC)),
        _record("d41d8cd98f00b204e9800998ecf8427e", IndicatorType.MD5, tlp=Tlp.CLEAR),
    ]
    path = tmp_path / "export.csv"
    path.write_text("".join(csv_export(rows)))
    result = read_indicator_file(path.read_bytes(), path.name)
    assert result.problems == []
    back = {(r.type, r.value): r for r in result.records}
    assert set(back) == {(row.type, row.value) for row in rows}
    assert back[(IndicatorType.DOMAIN, "bad.example")].tlp is Tlp.AMBER_STRICT
    assert set(back[(IndicatorType.DOMAIN, "bad.example")].tags) == {"lockbit", "phishing"}
    assert back[(IndicatorType.IPV4, "198.51.100.7")].valid_until == datetime(
        2027, 1, 1, tzinfo=UTC
    )


def test_csv_export_defuses_spreadsheet_formulas_in_free_text() -> None:
    text = "".join(csv_export([_record("bad.example", tags=("=HYPERLINK(1)",), source="@evil")]))
    row = next(iter(csv.DictReader(io.StringIO(text))))
    assert row["tags"] == "'=HYPERLINK(1)"
    assert row["source"] == "'@evil"


def test_rpz_names_are_escaped_and_impossible_names_left_out() -> None:
    origin = "rpz.example."
    assert rpz_name("bad.example", origin) == "bad.example"
    assert rpz_name("we;ird.example", origin) == "we\\;ird.example"
    assert rpz_name("a b.example", origin) == "a\\032b.example"
    assert rpz_name("x" * 64 + ".example", origin) is None
    assert rpz_name("bad..example", origin) is None
    # Owner names under these labels would block answers by address, not by name.
    assert rpz_name("32.1.0.0.10.rpz-ip", origin) is None
    assert rpz_name(".".join(["a" * 60] * 4), origin) is None


def test_rpz_zone_blocks_each_domain_and_its_subdomains_and_counts_what_it_left_out() -> None:
    text = "".join(rpz_zone(_header(), "rpz.example", ["bad.example", "x" * 70 + ".example"]))
    lines = text.splitlines()
    assert "$ORIGIN rpz.example." in lines
    assert any(line.startswith("@ SOA localhost. hostmaster.localhost. ") for line in lines)
    assert "bad.example CNAME ." in lines
    assert "*.bad.example CNAME ." in lines
    assert lines[-1] == "; Skipped: 1 names that cannot be written in this zone"


def test_suricata_string_datasets_are_base64_and_address_datasets_plain() -> None:
    domains = "".join(suricata_dataset("domain", ["bad.example"])).splitlines()
    assert domains == [base64.b64encode(b"bad.example").decode()]
    addresses = "".join(suricata_dataset("ip", ["198.51.100.7", "2001:db8::1"])).splitlines()
    assert addresses == ["198.51.100.7", "2001:db8::1"]
    rule = suricata_rule("domain", file_name="vigie-domain.lst", sid=1900001)
    assert "dataset:isset,vigie-domain, type string, load vigie-domain.lst" in rule
    assert rule.startswith("alert dns any any -> any any (")
    assert rule.endswith("sid:1900001; rev:1;)")


def _feed() -> MispFeed:
    return MispFeed(namespace=uuid.UUID(int=1), reader="3", person="12")


def _group(tlp: Tlp = Tlp.GREEN) -> FeedGroup:
    return FeedGroup(
        publisher_id="7",
        publisher="Centre Nord",
        tlp=tlp,
        first_seen=NOW,
        changed_at=NOW,
        count=2,
    )


def test_misp_event_json_loads_in_pymisp_with_every_attribute_for_detection() -> None:
    records = [
        _record("bad.example"),
        _record("198.51.100.7", IndicatorType.IPV4, valid_until=datetime(2027, 1, 1, tzinfo=UTC)),
    ]
    body = b"".join(_feed().event_json(_group(), records))
    event = MISPEvent()
    event.load(body.decode())
    assert event.uuid == _feed().event_uuid("7", Tlp.GREEN)
    assert [tag.name for tag in event.tags] == ["tlp:green"]
    values = {(a.type, a.value, a.to_ids) for a in event.attributes}
    assert values == {("domain", "bad.example", True), ("ip-dst", "198.51.100.7", True)}
    commented = next(a for a in event.attributes if a.value == "198.51.100.7")
    assert commented.comment == "valid until 2027-01-01T00:00:00Z"
    assert {tag.name for a in event.attributes for tag in a.tags} == {"lockbit"}


def test_misp_event_json_streams_many_chunks_as_one_valid_document() -> None:
    records = [_record(f"host{n}.example") for n in range(4500)]
    body = b"".join(_feed().event_json(_group(), records))
    assert len(orjson.loads(body)["Event"]["Attribute"]) == 4500


def test_misp_manifest_and_hashes_name_the_same_event_ids() -> None:
    feed = _feed()
    manifest = orjson.loads(feed.manifest([_group(), _group(Tlp.AMBER)]))
    assert set(manifest) == {feed.event_uuid("7", Tlp.GREEN), feed.event_uuid("7", Tlp.AMBER)}
    entry = manifest[feed.event_uuid("7", Tlp.GREEN)]
    assert entry["info"] == "Centre Nord: indicators TLP:GREEN"
    assert int(entry["timestamp"]) == int(NOW.timestamp())
    assert entry["Tag"] == [{"name": "tlp:green"}] or [t["name"] for t in entry["Tag"]] == [
        "tlp:green"
    ]
    lines = b"".join(feed.hashes_csv([_record("bad.example")])).decode().splitlines()
    # MISP's correlation digest: md5 of the value, then the event holding it.
    assert lines == [f"2432164866e11dff2fa209b101ae91f1,{feed.event_uuid('7', Tlp.GREEN)}"]


def test_misp_event_ids_are_stable_and_differ_per_reader_and_for_red_per_person() -> None:
    one = MispFeed(namespace=uuid.UUID(int=1), reader="3", person="12")
    same = MispFeed(namespace=uuid.UUID(int=1), reader="3", person="99")
    other = MispFeed(namespace=uuid.UUID(int=1), reader="4", person="12")
    assert one.event_uuid("7", Tlp.GREEN) == same.event_uuid("7", Tlp.GREEN)
    assert one.event_uuid("7", Tlp.GREEN) != other.event_uuid("7", Tlp.GREEN)
    assert one.event_uuid("7", Tlp.RED) != same.event_uuid("7", Tlp.RED)
