"""CycloneDX JSON SBOMs 1.4 / 1.5 / 1.6 read into assets, from real documents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vigie.engines.inventory import InventoryLimits, read_cyclonedx

DATA = Path(__file__).resolve().parents[2] / "data" / "inventory"


def real(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
    return loaded


def dump(tmp_path: Path, document: object, name: str = "bom.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def test_medical_device_sbom_14_gives_root_and_65_components_with_purl_and_cpe() -> None:
    assets, errors, warnings = read_cyclonedx(DATA / "extended.sbom.json")
    assert (errors, warnings) == ([], [])
    root, *components = assets
    assert root.id == "BomRef.5792796981519278.8396330178335286"
    assert (root.parent, root.kind) == (None, "hardware")
    assert len(components) == 65
    assert all(c.parent == root.id for c in components)
    assert all(c.cpes and c.purls for c in components)
    freertos = next(c for c in components if c.product == "FreeRTOS")
    assert (freertos.vendor, freertos.version, freertos.kind) == ("Amazon", "10.0.1", "firmware")
    assert freertos.cpes == ("cpe:2.3:o:amazon:freertos:10.0.1:*:*:*:-:*:*:*",)
    assert freertos.purls == ("pkg:github/freertos/freertos",)


def test_root_kind_makes_the_described_device_a_medical_device() -> None:
    assets, _, _ = read_cyclonedx(DATA / "extended.sbom.json", root_kind="medical-device")
    assert assets[0].kind == "medical-device"
    # Only the root: a Wi-Fi SoC listed as `device` stays hardware.
    assert {a.kind for a in assets[1:] if a.product == "UAP-AC-Pro"} == {"hardware"}


def test_nested_components_15_take_the_enclosing_component_as_parent() -> None:
    assets, errors, warnings = read_cyclonedx(DATA / "narrow-nested.cdx15.json")
    assert errors == []
    by_id = {a.id: a for a in assets}
    root = assets[0]
    firmware = next(a for a in assets if a.kind == "firmware" and a.parent == root.id)
    libraries = [a for a in assets if a.kind == "library"]
    assert libraries
    assert {a.parent for a in libraries} == {firmware.id}
    assert len(by_id) == 56
    # The library without a bom-ref got a generated, stable id and a warning naming where.
    [warning] = warnings
    assert warning.field == "/components/1/components/0"
    assert warning.message.startswith("no bom-ref; generated the id cdx-")
    again, _, _ = read_cyclonedx(DATA / "narrow-nested.cdx15.json")
    assert [a.id for a in again] == [a.id for a in assets]


def test_cyclonedx_16_cbom_reads_with_generated_root_id() -> None:
    assets, errors, warnings = read_cyclonedx(DATA / "cbom-protocol.cdx16.json")
    assert errors == []
    assert assets[0].name == "my application"
    assert assets[0].kind == "application"
    assert warnings[0].field == "/metadata/component"
    assert all(a.parent == assets[0].id for a in assets[1:])


def test_hardware_bom_takes_vendor_from_manufacturer_or_supplier() -> None:
    assets, errors, _ = read_cyclonedx(DATA / "hbom-pcie-sata.cdx14.json")
    assert errors == []
    vendors = {a.product: a.vendor for a in assets}
    assert vendors["PCIE-098-02-F-D-EMS2"] == "Samtec"
    assert vendors["47155-4001"] == "Molex"


def test_invalid_purl_is_dropped_with_a_warning_and_the_component_kept(tmp_path: Path) -> None:
    document = real("narrow.sbom.json")
    target = document["components"][3]
    target["purl"] = "not a purl"
    path = dump(tmp_path, document)
    assets, errors, warnings = read_cyclonedx(path)
    assert errors == []
    kept = next(a for a in assets if a.id == target["bom-ref"])
    assert kept.purls == ()
    assert kept.cpes == (target["cpe"],)
    [warning] = warnings
    assert (warning.field, warning.record) == ("/components/3/purl", target["bom-ref"])
    assert warning.line is not None
    line_text = path.read_text(encoding="utf-8").splitlines()[warning.line - 1]
    assert "not a purl" in line_text


def test_duplicate_bom_ref_is_an_error_naming_both_places(tmp_path: Path) -> None:
    document = real("narrow.sbom.json")
    document["components"][5]["bom-ref"] = document["components"][2]["bom-ref"]
    _, errors, _ = read_cyclonedx(dump(tmp_path, document), name="device.cdx.json")
    [error] = errors
    assert error.field == "/components/5/bom-ref"
    assert "/components/2" in error.message
    assert str(error).startswith("device.cdx.json, line ")


def test_component_repeating_metadata_component_is_read_once(tmp_path: Path) -> None:
    document = real("narrow.sbom.json")
    document["components"].append(dict(document["metadata"]["component"]))
    assets, errors, warnings = read_cyclonedx(dump(tmp_path, document))
    assert errors == []
    assert len(assets) == 56
    assert "repeats metadata.component" in warnings[0].message


def test_own_properties_set_kind_criticality_exposure_and_location(tmp_path: Path) -> None:
    document = real("narrow.sbom.json")
    document["metadata"]["component"]["properties"] = [
        {"name": "vigie:kind", "value": "Medical-Device"},
        {"name": "vigie:criticality", "value": "life-sustaining"},
        {"name": "vigie:location", "value": "Réanimation B"},
    ]
    document["components"][0]["properties"].append(
        {"name": "vigie:exposure", "value": "everywhere"}
    )
    assets, errors, _ = read_cyclonedx(dump(tmp_path, document))
    root = assets[0]
    assert (root.kind, root.criticality, root.location) == (
        "medical-device",
        "life-sustaining",
        "Réanimation B",
    )
    [error] = errors
    assert error.field == "/components/0/properties/2/value"
    assert "internet, vendor-remote, internal, isolated" in error.message


def test_unsupported_spec_version_and_wrong_format_are_errors(tmp_path: Path) -> None:
    document = real("narrow.sbom.json")
    document["specVersion"] = "2.0"
    _, errors, _ = read_cyclonedx(dump(tmp_path, document))
    assert [e.field for e in errors] == ["/specVersion"]
    document["bomFormat"] = "SPDX"
    _, errors, _ = read_cyclonedx(dump(tmp_path, document))
    assert [e.field for e in errors] == ["/bomFormat"]


def test_older_spec_is_read_with_a_warning(tmp_path: Path) -> None:
    document = real("narrow.sbom.json")
    document["specVersion"] = "1.3"
    assets, errors, warnings = read_cyclonedx(dump(tmp_path, document))
    assert errors == []
    assert len(assets) == 56
    assert warnings[0].field == "/specVersion"


def test_broken_json_error_gives_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_text('{\n  "bomFormat": "CycloneDX",\n  "components": [,]\n}\n', encoding="utf-8")
    assets, errors, _ = read_cyclonedx(path)
    assert assets == []
    assert errors[0].line == 3
    assert "not valid JSON" in errors[0].message


def test_deeply_nested_hostile_document_does_not_exhaust_the_stack(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    # Written by hand: json.dumps would recurse as well.
    text = json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": ["HOLE"]})
    inner = '{"type": "library", "name": "leaf", "bom-ref": "c-0"}'
    for depth in range(1, 200):
        inner = (
            f'{{"type": "library", "name": "level {depth}", "bom-ref": "c-{depth}", '
            f'"components": [{inner}]}}'
        )
    path.write_text(text.replace('"HOLE"', inner), encoding="utf-8")
    assets, errors, _ = read_cyclonedx(path)
    assert errors == []
    assert len(assets) == 200
    assert assets[-1].parent == "c-1"


def test_nesting_deeper_than_the_json_parser_allows_is_an_error_not_a_crash(
    tmp_path: Path,
) -> None:
    inner = '{"type": "library", "name": "leaf"}'
    for _ in range(3000):
        inner = f'{{"type": "library", "name": "x", "components": [{inner}]}}'
    path = tmp_path / "deeper.json"
    path.write_text(
        f'{{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{inner}]}}',
        encoding="utf-8",
    )
    assets, errors, _ = read_cyclonedx(path)
    assert assets == []
    assert "not valid JSON" in errors[0].message


def test_component_count_over_the_limit_is_an_error(tmp_path: Path) -> None:
    _, errors, _ = read_cyclonedx(DATA / "extended.sbom.json", limits=InventoryLimits(max_rows=10))
    assert [e.field for e in errors] == ["/components"]
    assert "more than 10 components" in errors[0].message
