"""Time and peak memory of reading a 5,000-component SBOM into AssetRecords.

The SBOM is built by scaling the real medical-device SBOM
(`$VIGIE_SHARED_DATA/vuln/sbom/medical-device-case-study/extended.sbom.json`, 65 components,
each with a purl and a CPE): components are repeated with distinct bom-refs, names and versions
until there are N. The same components are also written as an SPDX 2.3 document.

    .venv/bin/python bench/bench_sbom_import.py [--components 5000] [--repeat 3] [--compare]

`--compare` also times the reference libraries (cyclonedx-python-lib `Bom.from_json`, spdx-tools
`parse_file`) on the same documents; it takes several seconds. Figures are printed, not checked.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

SHARED = Path(os.environ.get("VIGIE_SHARED_DATA", ROOT.parent / "shared" / "data"))
SOURCE = SHARED / "vuln" / "sbom" / "medical-device-case-study" / "extended.sbom.json"


def scaled_cyclonedx(count: int) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(SOURCE.read_text(encoding="utf-8"))
    originals = document["components"]
    components = []
    for index in range(count):
        component = copy.deepcopy(originals[index % len(originals)])
        component["bom-ref"] = f"{component['bom-ref']}-{index}"
        component["name"] = f"{component['name']} {index}"
        if component.get("version"):
            component["version"] = f"{component['version']}.{index}"
        components.append(component)
    document["components"] = components
    document["dependencies"] = [{"ref": c["bom-ref"]} for c in components]
    return document


def as_spdx(document: dict[str, Any]) -> dict[str, Any]:
    root = document["metadata"]["component"]
    root_id = "SPDXRef-root"
    packages: list[dict[str, Any]] = [
        {
            "SPDXID": root_id,
            "name": root["name"],
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": False,
            "primaryPackagePurpose": "DEVICE",
        }
    ]
    relationships = [
        {
            "spdxElementId": "SPDXRef-DOCUMENT",
            "relationshipType": "DESCRIBES",
            "relatedSpdxElement": root_id,
        }
    ]
    for index, component in enumerate(document["components"]):
        spdx_id = f"SPDXRef-Package-{index}"
        package: dict[str, Any] = {
            "SPDXID": spdx_id,
            "name": component["name"],
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": False,
            "supplier": f"Organization: {component.get('publisher') or 'unknown'}",
            "externalRefs": [
                {
                    "referenceCategory": "SECURITY",
                    "referenceType": "cpe23Type",
                    "referenceLocator": component["cpe"],
                },
                {
                    "referenceCategory": "PACKAGE-MANAGER",
                    "referenceType": "purl",
                    "referenceLocator": component["purl"],
                },
            ],
        }
        if component.get("version"):
            package["versionInfo"] = component["version"]
        packages.append(package)
        relationships.append(
            {
                "spdxElementId": root_id,
                "relationshipType": "CONTAINS",
                "relatedSpdxElement": spdx_id,
            }
        )
    return {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": "scaled",
        "documentNamespace": "https://vigie-sante.example/bench/scaled",
        "creationInfo": {"created": "2025-07-23T20:23:25Z", "creators": ["Tool: bench"]},
        "packages": packages,
        "relationships": relationships,
    }


def measure(label: str, run: Callable[[], int], repeat: int) -> None:
    times = []
    count = 0
    for _ in range(repeat):
        start = time.perf_counter()
        count = run()
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"{label:48} {count:6d} records  median {statistics.median(times):7.3f} s  "
        f"min {min(times):7.3f} s  peak {peak / 2**20:6.1f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--components", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--compare", action="store_true", help="also time the reference libraries")
    args = parser.parse_args()
    # Imported here so the script runs from a checkout without installing the package.
    from vigie.engines.inventory import load_inventory, read_cyclonedx, read_spdx

    if not SOURCE.exists():
        sys.exit(f"{SOURCE}: not found; set VIGIE_SHARED_DATA")
    document = scaled_cyclonedx(args.components)
    with tempfile.TemporaryDirectory() as folder:
        cdx_path = Path(folder) / "scaled.cdx.json"
        spdx_path = Path(folder) / "scaled.spdx.json"
        cdx_path.write_text(json.dumps(document), encoding="utf-8")
        spdx_path.write_text(json.dumps(as_spdx(document)), encoding="utf-8")
        print(
            f"CycloneDX {cdx_path.stat().st_size / 2**20:.1f} MiB, "
            f"SPDX {spdx_path.stat().st_size / 2**20:.1f} MiB, {args.components} components"
        )

        def ours_cdx() -> int:
            result = read_cyclonedx(cdx_path)
            assert not result.errors, result.errors[:3]
            return len(result.assets)

        def ours_load() -> int:
            return len(load_inventory(cdx_path).assets)

        def ours_spdx() -> int:
            result = read_spdx(spdx_path)
            assert not result.errors, result.errors[:3]
            return len(result.assets)

        measure("vigie read_cyclonedx (orjson + checks)", ours_cdx, args.repeat)
        measure("vigie load_inventory (detect + read)", ours_load, args.repeat)
        measure("vigie read_spdx (orjson + checks)", ours_spdx, args.repeat)
        if args.compare:
            from cyclonedx.model.bom import Bom
            from spdx_tools.spdx.parser.parse_anything import parse_file

            def library_cdx() -> int:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    # from_json is attached at runtime by py-serializable: invisible to mypy.
                    bom = cast(Any, Bom).from_json(json.loads(cdx_path.read_text("utf-8")))
                return len(bom.components)

            def library_spdx() -> int:
                return len(parse_file(str(spdx_path)).packages)

            measure("cyclonedx-python-lib Bom.from_json", library_cdx, 1)
            measure("spdx-tools parse_file (no validation)", library_spdx, 1)


if __name__ == "__main__":
    main()
