"""The inventory CSV of docs INTERFACES, as hospitals and their spreadsheets write it."""

from __future__ import annotations

from pathlib import Path

import pytest

from vigie.engines.inventory import InventoryLimits, read_csv_inventory
from vigie.engines.records import ASSET_KINDS

DATA = Path(__file__).resolve().parents[2] / "data" / "inventory"
HEADER = "id,name,kind,vendor,product,version,cpe,purl,parent,criticality,exposure,location"


def write(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "inv.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_hospital_inventory_reads_every_row_with_its_physical_line() -> None:
    assets, errors, warnings = read_csv_inventory(DATA / "hospital-inventory.csv")
    assert errors == []
    assert warnings == []
    by_id = {a.id: a for a in assets}
    assert len(by_id) == 13
    pump = by_id["rea-pompe-02"]
    assert (pump.kind, pump.vendor, pump.version, pump.criticality) == (
        "medical-device",
        "Becton Dickinson",
        "9.40",
        "life-sustaining",
    )
    # pacs-01 spans lines 4-5 (a quoted cell with a line break): the next row starts on line 6.
    assert by_id["pacs-01"].line == 4
    assert by_id["pacs-01"].location == "Salle serveurs bâtiment A"
    assert by_id["pacs-01-dcmtk"].line == 6
    assert by_id["pacs-01-dcmtk"].parent == "pacs-01"
    assert by_id["moniteur-mx40"].name == "Philips IntelliVue MX40, moniteur patient"


def test_cpe_cell_holds_several_names_separated_by_bar_and_spaces() -> None:
    assets, _, _ = read_csv_inventory(DATA / "hospital-inventory.csv")
    station = next(a for a in assets if a.id == "poste-radio-01")
    assert station.cpes == (
        "cpe:2.3:o:microsoft:windows_10_22h2:-:*:*:*:*:*:*:*",
        "cpe:2.3:o:microsoft:windows_10:-:*:*:*:*:*:*:*",
    )


def test_french_excel_file_is_read_as_windows_1252_with_semicolons_and_a_warning() -> None:
    assets, errors, warnings = read_csv_inventory(DATA / "excel-fr-cp1252.csv")
    assert errors == []
    assert [a.location for a in assets] == ["Réanimation", "Bloc opératoire"]
    messages = [str(w) for w in warnings]
    assert any("line 2" in m and "Windows-1252" in m for m in messages)
    assert any("columns ignored: Nom, Commentaire" in m for m in messages)
    # No `name` column: the name is made of vendor and product.
    assert assets[0].name == "BD Alaris 8015 PC Unit"


def test_unknown_enumeration_value_names_line_column_and_allowed_values(tmp_path: Path) -> None:
    path = write(tmp_path, f"{HEADER}\na1,Pump,pump,BD,Alaris,1,,,,,,\n")
    _, errors, _ = read_csv_inventory(path)
    assert len(errors) == 1
    error = errors[0]
    assert (error.file, error.line, error.field, error.record) == (str(path), 2, "kind", "a1")
    assert "'pump'" in error.message
    assert ", ".join(ASSET_KINDS) in error.message


def test_enumerations_are_case_insensitive_and_empty_means_other_or_unknown(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path, f"{HEADER}\na1,Pump,Medical-DEVICE,,,,,,,Clinical,INTERNET,\na2,X,,,,,,,,,,\n"
    )
    assets, errors, _ = read_csv_inventory(path)
    assert errors == []
    assert (assets[0].kind, assets[0].criticality, assets[0].exposure) == (
        "medical-device",
        "clinical",
        "internet",
    )
    assert (assets[1].kind, assets[1].criticality, assets[1].exposure) == ("other", None, None)


def test_duplicate_id_error_names_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path, f"{HEADER}\npc-1,A,,,,,,,,,,\npc-2,B,,,,,,,,,,\npc-1,C,,,,,,,,,,\n")
    _, errors, _ = read_csv_inventory(path, name="upload.csv")
    assert [str(e) for e in errors] == [
        "upload.csv, line 4, record pc-1, field id: id 'pc-1' is already used on line 2"
    ]


def test_missing_id_is_an_error_on_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, f"{HEADER}\n,Nameless,,,,,,,,,,\n")
    _, errors, _ = read_csv_inventory(path)
    assert [(e.line, e.field) for e in errors] == [(2, "id")]


def test_header_without_id_column_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "name,vendor\nPump,BD\n")
    assets, errors, _ = read_csv_inventory(path)
    assert assets == []
    assert (errors[0].line, errors[0].field) == (1, "id")


def test_unknown_parent_is_an_error_naming_the_child_line(tmp_path: Path) -> None:
    path = write(tmp_path, f"{HEADER}\nhost,H,server,,,,,,,,,\nlib,L,library,,,,,,hots,,,\n")
    _, errors, _ = read_csv_inventory(path)
    assert [(e.line, e.field, e.record) for e in errors] == [(3, "parent", "lib")]
    assert "'hots'" in errors[0].message


def test_parent_cycle_is_an_error_listing_the_rows(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"{HEADER}\na,A,,,,,,,b,,,\nb,B,,,,,,,c,,,\nc,C,,,,,,,a,,,\nd,D,,,,,,,d,,,\n",
    )
    _, errors, _ = read_csv_inventory(path)
    messages = sorted(e.message for e in errors)
    assert len(errors) == 2
    assert "a (line 2) -> b (line 3) -> c (line 4) -> a" in messages[0]
    assert "d (line 5) -> d" in messages[1]


def test_invalid_cpe_and_purl_are_errors_naming_the_value(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"{HEADER}\n"
        "a,A,,,,,cpe:2.3:a:vendor:product,,,,,\n"
        "b,B,,,,,cpe:2.3:a:offis:dcmtk:3.6.6:*:*:*:*:*:*:*|cpe:/a:offis:dcmtk:3.6.6,"
        "pkg:pypi/django@3.2 notapurl,,,,\n",
    )
    assets, errors, _ = read_csv_inventory(path)
    assert [(e.line, e.field) for e in errors] == [(2, "cpe"), (3, "purl")]
    assert "13 colon-separated components" in errors[0].message
    assert "'notapurl'" in errors[1].message
    assert assets[1].cpes == (
        "cpe:2.3:a:offis:dcmtk:3.6.6:*:*:*:*:*:*:*",
        "cpe:/a:offis:dcmtk:3.6.6",
    )


def test_escaped_colon_inside_a_cpe_component_is_one_component(tmp_path: Path) -> None:
    cpe = r"cpe:2.3:a:example:web\:server:1.0:*:*:*:*:*:*:*"
    path = write(tmp_path, f"{HEADER}\na,A,,,,,{cpe},,,,,\n")
    assets, errors, _ = read_csv_inventory(path)
    assert errors == []
    assert assets[0].cpes == (cpe,)


def test_formula_cells_are_kept_as_text_with_a_warning(tmp_path: Path) -> None:
    formula = "=cmd|' /C calc'!A0"
    path = write(tmp_path, f'{HEADER}\na,"{formula}",,,,,,,,,,\n')
    assets, errors, warnings = read_csv_inventory(path)
    assert errors == []
    assert assets[0].name == formula
    assert [(w.line, w.field) for w in warnings] == [(2, "name")]


def test_control_characters_and_bidi_overrides_are_errors(tmp_path: Path) -> None:
    path = write(tmp_path, f"{HEADER}\na,Pump\x00,,,,,,,,,,\nb,Pompe \u202egpj.exe,,,,,,,,,,\n")
    _, errors, _ = read_csv_inventory(path)
    assert [(e.line, e.field) for e in errors] == [(2, "name"), (3, "name")]


def test_over_long_cell_is_an_error_not_a_truncation(tmp_path: Path) -> None:
    path = write(tmp_path, f"{HEADER}\na,{'x' * 5000},,,,,,,,,,\n")
    _, errors, _ = read_csv_inventory(path)
    assert [(e.line, e.field) for e in errors] == [(2, "name")]
    assert "5000 characters" in errors[0].message


def test_unclosed_quote_is_reported_not_raised(tmp_path: Path) -> None:
    body = "".join(f"r{i},Row {i},,,,,,,,,,\n" for i in range(3))
    path = write(tmp_path, f'{HEADER}\na,"unclosed,,,,,,,,,,\n' + body * 20000)
    _, errors, _ = read_csv_inventory(path)
    assert errors
    assert errors[0].line == 2


def test_more_rows_than_the_limit_stops_with_an_error(tmp_path: Path) -> None:
    body = "".join(f"r{i},Row {i},,,,,,,,,,\n" for i in range(50))
    path = write(tmp_path, HEADER + "\n" + body)
    assets, errors, _ = read_csv_inventory(path, limits=InventoryLimits(max_rows=10))
    assert len(assets) == 10
    assert [(e.line, e.message) for e in errors] == [(12, "more than 10 rows, the limit")]


def test_file_over_the_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "\n" + "a,A,,,,,,,,,,\n" * 100)
    assets, errors, _ = read_csv_inventory(path, limits=InventoryLimits(max_bytes=1000))
    assert assets == []
    assert "the limit is 1000" in errors[0].message


def test_bom_and_windows_line_endings_and_reordered_header(tmp_path: Path) -> None:
    text = "\ufeffName , ID,Kind\r\nPompe,p1,medical-device\r\n\r\nPC,p2,workstation\r\n"
    path = write(tmp_path, text)
    assets, errors, warnings = read_csv_inventory(path)
    assert errors == []
    assert [(a.id, a.name, a.kind, a.line) for a in assets] == [
        ("p1", "Pompe", "medical-device", 2),
        ("p2", "PC", "workstation", 4),
    ]
    assert "columns absent" in warnings[0].message


def test_utf16_excel_unicode_text_export_is_read(tmp_path: Path) -> None:
    text = "id\tname\tvendor\r\np1\tPompe réa\tB. Braun\r\n"
    path = write(tmp_path, text, encoding="utf-16")
    assets, errors, _ = read_csv_inventory(path)
    assert errors == []
    assert (assets[0].name, assets[0].vendor) == ("Pompe réa", "B. Braun")


def test_text_neither_utf8_nor_windows_1252_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "inv.csv"
    path.write_bytes(b"id,name\np1,ok\np2,\x81\x8d\xff\n")
    _, errors, _ = read_csv_inventory(path)
    assert errors[0].line == 3


def test_row_with_more_fields_than_the_header_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "id,name\np1,Pompe Alaris, bloc 3\n")
    _, errors, _ = read_csv_inventory(path)
    assert [(e.line, e.field) for e in errors] == [(2, None)]
    assert "3 fields, the header 2" in errors[0].message


@pytest.mark.parametrize("column", ["criticality", "exposure"])
def test_unknown_criticality_or_exposure_lists_allowed_values(tmp_path: Path, column: str) -> None:
    path = write(tmp_path, f"id,{column}\np1,high\n")
    _, errors, _ = read_csv_inventory(path)
    assert (errors[0].line, errors[0].field) == (2, column)
    assert "allowed:" in errors[0].message


def test_every_error_message_names_file_line_and_field(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"{HEADER}\na,A,robot,,,,,,,,,\na,B,,,,,,,,,,\nc,C,,,,,bad,,x,,,\n",
        name="hopital.csv",
    )
    _, errors, _ = read_csv_inventory(path, name="hopital.csv")
    assert len(errors) == 4
    for error in errors:
        text = str(error)
        assert text.startswith("hopital.csv, line ")
        assert ", field " in text
