"""`load_inventory` picks the reader from the content, and names what it cannot read."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from vigie.engines.inventory import InventoryLimits, load_inventory

DATA = Path(__file__).resolve().parents[2] / "data" / "inventory"


@pytest.mark.parametrize(
    ("fixture", "count"),
    [
        ("hospital-inventory.csv", 13),
        ("excel-fr-cp1252.csv", 2),
        ("extended.sbom.json", 66),
        ("narrow-nested.cdx15.json", 56),
        ("cbom-protocol.cdx16.json", 9),
        ("medical-device.spdx.json", 66),
    ],
)
def test_format_is_detected_from_content_whatever_the_file_name(
    tmp_path: Path, fixture: str, count: int
) -> None:
    renamed = tmp_path / "upload.bin"
    shutil.copy(DATA / fixture, renamed)
    assets, errors, _ = load_inventory(renamed, name=fixture)
    assert errors == []
    assert len(assets) == count


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"PK\x03\x04rest-of-an-xlsx", "Excel .xlsx"),
        (gzip.compress(b"id,name\n", mtime=0), "gzip"),
        (
            b'<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.5">',
            "CycloneDX XML",
        ),
        (b"SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n", "SPDX tag-value"),
        (b'{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"}', "SPDX 3"),
        (b'{"vulnerabilities": []}', "neither CycloneDX"),
        (b"", "empty"),
        (b"\x00\x01\x02binary", "binary"),
    ],
)
def test_anything_else_is_one_clear_error_naming_the_file(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "inventaire.xlsx"
    path.write_bytes(content)
    assets, errors, _ = load_inventory(path, name="inventaire.xlsx")
    assert assets == []
    [error] = errors
    assert str(error).startswith("inventaire.xlsx: ")
    assert expected in error.message


def test_size_guard_applies_before_format_detection(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    shutil.copy(DATA / "extended.sbom.json", path)
    _, errors, _ = load_inventory(path, limits=InventoryLimits(max_bytes=10_000))
    assert "the limit is 10000" in errors[0].message


def test_missing_file_is_an_error_not_an_exception(tmp_path: Path) -> None:
    _, errors, _ = load_inventory(tmp_path / "absent.csv")
    assert "cannot read the file" in errors[0].message
