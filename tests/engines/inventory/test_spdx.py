"""SPDX 2.3 JSON documents read into assets (packages, external refs, relationships)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vigie.engines.inventory import read_spdx

DATA = Path(__file__).resolve().parents[2] / "data" / "inventory"


def fixture() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DATA / "medical-device.spdx.json").read_text("utf-8"))
    return loaded


def dump(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "doc.spdx.json"
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def test_packages_become_assets_with_spdxid_supplier_cpe_and_purl() -> None:
    assets, errors, warnings = read_spdx(DATA / "medical-device.spdx.json")
    assert (errors, warnings) == ([], [])
    assert len(assets) == 66
    freertos = next(a for a in assets if a.name == "FreeRTOS")
    assert freertos.id == "SPDXRef-9740521717940234-4029744837037744"
    assert (freertos.vendor, freertos.version, freertos.kind) == ("Amazon", "10.0.1", "firmware")
    assert freertos.cpes == ("cpe:2.3:o:amazon:freertos:10.0.1:*:*:*:-:*:*:*",)
    assert freertos.purls == ("pkg:github/freertos/freertos",)


def test_relationships_give_parents_contains_before_depends_on() -> None:
    assets, _, _ = read_spdx(DATA / "medical-device.spdx.json")
    by_id = {a.id: a for a in assets}
    root = by_id["SPDXRef-5792796981519278-8396330178335286"]
    firmware = by_id["SPDXRef-7157055766199052-12684388118138878"]
    assert root.parent is None
    assert firmware.parent == root.id  # root CONTAINS firmware
    libraries = [a for a in assets if a.kind == "library"]
    assert libraries
    assert {a.parent for a in libraries} == {firmware.id}  # firmware DEPENDS_ON libraries


def test_root_kind_applies_to_the_described_package() -> None:
    assets, _, _ = read_spdx(DATA / "medical-device.spdx.json", root_kind="medical-device")
    assert [a.id for a in assets if a.kind == "medical-device"] == [
        "SPDXRef-5792796981519278-8396330178335286"
    ]


def test_contained_by_and_dependency_of_read_the_other_way(tmp_path: Path) -> None:
    document = fixture()
    first, second = document["packages"][1]["SPDXID"], document["packages"][2]["SPDXID"]
    document["relationships"] = [
        {"spdxElementId": second, "relationshipType": "CONTAINED_BY", "relatedSpdxElement": first},
    ]
    assets, _, _ = read_spdx(dump(tmp_path, document))
    assert {a.id: a.parent for a in assets}[second] == first


def test_dependency_cycle_is_broken_with_a_warning(tmp_path: Path) -> None:
    document = fixture()
    a, b = document["packages"][1]["SPDXID"], document["packages"][2]["SPDXID"]
    document["relationships"] = [
        {"spdxElementId": a, "relationshipType": "DEPENDS_ON", "relatedSpdxElement": b},
        {"spdxElementId": b, "relationshipType": "DEPENDS_ON", "relatedSpdxElement": a},
    ]
    assets, errors, warnings = read_spdx(dump(tmp_path, document))
    assert errors == []
    parents = {x.id: x.parent for x in assets}
    assert [parents[a], parents[b]].count(None) == 1
    assert "cycle" in warnings[0].message


def test_lenient_about_actor_prefix_and_strict_about_duplicate_ids(tmp_path: Path) -> None:
    document = fixture()
    document["packages"][1]["supplier"] = "Ubiquiti Inc. (support@ui.example)"
    document["packages"][3]["SPDXID"] = document["packages"][2]["SPDXID"]
    assets, errors, _ = read_spdx(dump(tmp_path, document), name="sbom.spdx.json")
    assert assets[1].vendor == "Ubiquiti Inc."
    [error] = errors
    assert error.field == "/packages/3/SPDXID"
    assert "/packages/2" in error.message
    assert str(error).startswith("sbom.spdx.json, line ")


def test_invalid_cpe_reference_is_dropped_with_a_warning(tmp_path: Path) -> None:
    document = fixture()
    document["packages"][1]["externalRefs"][0]["referenceLocator"] = "cpe:2.3:a:ubiquiti"
    assets, errors, warnings = read_spdx(dump(tmp_path, document))
    assert errors == []
    assert assets[1].cpes == ()
    assert warnings[0].field == "/packages/1/externalRefs/0/referenceLocator"


def test_other_spdx_versions_are_refused_or_warned(tmp_path: Path) -> None:
    document = fixture()
    document["spdxVersion"] = "SPDX-2.2"
    assets, errors, warnings = read_spdx(dump(tmp_path, document))
    assert (len(assets), errors) == (66, [])
    assert warnings[0].field == "/spdxVersion"
    document["spdxVersion"] = "SPDX-3.0"
    _, errors, _ = read_spdx(dump(tmp_path, document))
    assert errors[0].field == "/spdxVersion"


def test_package_without_name_is_an_error_with_its_pointer(tmp_path: Path) -> None:
    document = fixture()
    del document["packages"][4]["name"]
    _, errors, _ = read_spdx(dump(tmp_path, document))
    assert [(e.field, e.record) for e in errors] == [
        ("/packages/4/name", document["packages"][4]["SPDXID"])
    ]
