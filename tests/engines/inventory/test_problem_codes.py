"""What the inventory readers report, by code: every problem of a row, one verdict for whatever
is not text, errors past the cap counted, and the importer's defaults for what a file leaves
unknown."""

from __future__ import annotations

import hashlib
from pathlib import Path

import orjson
import pytest

from vigie.engines.inventory import InventoryLimits, load_inventory
from vigie.engines.inventory.common import (
    AssetDefaults,
    InventoryProblem,
    Problems,
    check_defaults,
    english,
)

HEADER = "id,name,kind,vendor,product,version,cpe,purl,parent,criticality,exposure,location\n"


def codes(problems: list[object]) -> list[str]:
    return [p.code for p in problems if isinstance(p, InventoryProblem)]


def test_a_row_with_two_bad_fields_reports_both_with_their_field(tmp_path: Path) -> None:
    path = tmp_path / "inventory.csv"
    path.write_text(HEADER + "pump-1,Pompe,spaceship,BD,Alaris,1,,,,vital,internal,Réa\n")
    _, errors, _ = load_inventory(path)
    found = {(e.line, e.field, e.code) for e in errors if isinstance(e, InventoryProblem)}
    assert found == {(2, "kind", "unknown_value"), (2, "criticality", "unknown_value")}
    by_field = {e.field: e for e in errors if isinstance(e, InventoryProblem)}
    assert by_field["kind"].params["value"] == "spaceship"
    assert by_field["criticality"].params["value"] == "vital"
    assert all(e.record == "pump-1" for e in errors)


@pytest.mark.parametrize("size", [100, 10_000, 100_000, 1_000_000])
def test_random_bytes_get_the_one_not_text_verdict_whatever_their_size(
    tmp_path: Path, size: int
) -> None:
    path = tmp_path / "upload.csv"
    # Deterministic noise: the same bytes on every run.
    path.write_bytes(hashlib.shake_256(str(size).encode()).digest(size))
    assets, errors, _ = load_inventory(path, name="upload.csv")
    assert assets == []
    [error] = errors
    assert isinstance(error, InventoryProblem)
    assert error.code == "not_text"
    assert error.params["hint"] == "binary"
    assert error.message == english("not_text", {"hint": "binary"})


def test_errors_past_the_cap_are_counted_in_one_more_errors_entry(tmp_path: Path) -> None:
    path = tmp_path / "inventory.csv"
    rows = "".join(f"a-{n},Asset {n},spaceship,,,,,,,,,\n" for n in range(25))
    path.write_text(HEADER + rows)
    _, errors, _ = load_inventory(path, limits=InventoryLimits(max_errors=10))
    assert len(errors) == 11
    assert codes(errors[:10]) == ["unknown_value"] * 10
    last = errors[-1]
    assert isinstance(last, InventoryProblem)
    assert last.code == "more_errors"
    assert last.params == {"count": 15}
    assert last.message == "and 15 more errors, not listed"


def test_defaults_fill_only_what_a_csv_row_leaves_empty(tmp_path: Path) -> None:
    path = tmp_path / "inventory.csv"
    path.write_text(
        HEADER
        + "pump-1,Pompe,medical-device,BD,Alaris,1,,,,clinical,isolated,Bloc\n"
        + "fw-1,Firmware,firmware,BD,Alaris firmware,9.19,,,pump-1,,,\n"
    )
    defaults = AssetDefaults(criticality="life-sustaining", exposure="internal", location="Réa")
    assets, errors, _ = load_inventory(path, defaults=defaults)
    assert errors == []
    by_id = {a.id: (a.criticality, a.exposure, a.location) for a in assets}
    assert by_id == {
        "pump-1": ("clinical", "isolated", "Bloc"),
        "fw-1": ("life-sustaining", "internal", "Réa"),
    }


def test_defaults_fill_every_component_of_an_sbom(tmp_path: Path) -> None:
    path = tmp_path / "device.cdx.json"
    document = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "metadata": {"component": {"bom-ref": "pump", "type": "device", "name": "Pompe"}},
        "components": [
            {"bom-ref": "fw", "type": "firmware", "name": "Firmware", "version": "9.19"},
            {"bom-ref": "ssl", "type": "library", "name": "openssl", "version": "1.1.1"},
        ],
    }
    path.write_bytes(orjson.dumps(document))
    defaults = AssetDefaults(criticality="life-sustaining", exposure="isolated", location="Réa")
    assets, errors, _ = load_inventory(path, defaults=defaults)
    assert errors == []
    assert {(a.criticality, a.exposure, a.location) for a in assets} == {
        ("life-sustaining", "isolated", "Réa")
    }
    assert len(assets) == 3


def test_check_defaults_refuses_an_unknown_criticality_naming_the_field() -> None:
    problems = Problems("upload.csv")
    valid = check_defaults(
        AssetDefaults(criticality="vital"), problems, InventoryLimits(max_location_chars=200)
    )
    assert valid is False
    [error] = problems.errors
    assert isinstance(error, InventoryProblem)
    assert (error.code, error.field, error.params["value"]) == (
        "unknown_value",
        "criticality",
        "vital",
    )


def test_an_sbom_import_with_an_unknown_default_is_refused_whole(tmp_path: Path) -> None:
    path = tmp_path / "device.cdx.json"
    document = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "components": [{"bom-ref": "fw", "type": "firmware", "name": "Firmware"}],
    }
    path.write_bytes(orjson.dumps(document))
    assets, errors, _ = load_inventory(path, defaults=AssetDefaults(exposure="everywhere"))
    assert assets == []
    assert [(e.field, e.code) for e in errors if isinstance(e, InventoryProblem)] == [
        ("exposure", "unknown_value")
    ]
