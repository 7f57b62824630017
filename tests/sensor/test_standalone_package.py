"""The sensor installs alone: the `vigie-sensor` wheel (scripts/build_sensor.py) holds only the
sensor and the indicator readers, declares few dependencies, and runs in an interpreter that
sees nothing but the wheel and the closure of those dependencies (no Django, no PyMISP, no
platform code): MISP, STIX and CSV indicator files still load and a real log is scanned."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent.parent
DATA = Path(__file__).resolve().parent.parent / "data" / "sensor"
ALLOWED = (
    "vigie/__init__.py",
    "vigie/sensor/",
    "vigie/engines/__init__.py",
    "vigie/engines/_legacy.py",
    "vigie/engines/indicators/",
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_sensor.py"), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return Path(done.stdout.strip())


def _requirements(wheel: Path) -> list[Requirement]:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        lines = archive.read(name).decode().splitlines()
    return [
        Requirement(line.split(":", 1)[1].strip())
        for line in lines
        if line.startswith("Requires-Dist:")
    ]


def _closure(requirements: list[Requirement]) -> set[str]:
    """The distributions these requirements pull in, extras left out."""
    seen: set[str] = set()
    todo = [r for r in requirements if r.marker is None or r.marker.evaluate({"extra": ""})]
    while todo:
        requirement = todo.pop()
        name = metadata.distribution(requirement.name).metadata["Name"].lower()
        if name in seen:
            continue
        seen.add(name)
        for text in metadata.requires(name) or []:
            nested = Requirement(text)
            if nested.marker is None or nested.marker.evaluate({"extra": ""}):
                todo.append(nested)
    return seen


def _import_names(distribution: str) -> set[str]:
    files = metadata.files(distribution) or []
    names = set()
    for file in files:
        top = file.parts[0]
        if top.endswith((".dist-info", ".egg-info", ".pth")) or top in ("..", "__pycache__"):
            continue
        names.add(top)
    return names


def test_the_wheel_holds_the_sensor_and_its_readers_only(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        python = [n for n in archive.namelist() if n.endswith(".py")]
        names = archive.namelist()
    assert python
    assert [n for n in python if not n.startswith(ALLOWED)] == []
    assert "vigie/locale/fr/LC_MESSAGES/django.mo" in names
    assert any(n.startswith("vigie/intel/warninglists/") and n.endswith("list.json") for n in names)
    declared = {r.name for r in _requirements(wheel) if r.marker is None}
    assert declared == {"idna", "orjson", "stix2", "stix2-patterns"}
    closure = _closure(_requirements(wheel))
    assert "django" not in closure
    assert "pymisp" not in closure


def test_the_installed_wheel_scans_with_nothing_but_its_dependencies(
    wheel: Path, tmp_path: Path
) -> None:
    target = tmp_path / "site"
    installed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--target",
            str(target),
            str(wheel),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert installed.returncode == 0, installed.stderr
    deps = tmp_path / "deps"
    deps.mkdir()
    site = Path(metadata.distribution("orjson").locate_file(""))
    for distribution in _closure(_requirements(wheel)):
        for name in _import_names(distribution):
            if (site / name).exists():
                (deps / name).symlink_to(site / name)
    stix = tmp_path / "bundle.json"
    stix.write_text(
        json.dumps(
            {
                "type": "bundle",
                "id": "bundle--6b0a7d2e-9a0f-4bb1-8a0e-2f1f1f1f1f1f",
                "objects": [
                    {
                        "type": "indicator",
                        "spec_version": "2.1",
                        "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                        "created": "2024-01-01T00:00:00Z",
                        "modified": "2024-01-01T00:00:00Z",
                        "pattern": "[domain-name:value = 'wrccdc.org']",
                        "pattern_type": "stix",
                        "valid_from": "2024-01-01T00:00:00Z",
                    }
                ],
            }
        )
    )
    misp = tmp_path / "event.json"
    misp.write_text(
        json.dumps(
            {
                "Event": {
                    "info": "t",
                    "uuid": "5f4a9b3c-1111-4222-8333-444455556666",
                    "Attribute": [
                        {
                            "type": "domain",
                            "value": "pkfsp.ru",
                            "to_ids": True,
                            "category": "Network activity",
                            "uuid": "5f4a9b3c-1111-4222-8333-777788889999",
                        }
                    ],
                }
            }
        )
    )
    # -I -S: no site-packages, no PYTHONPATH; only the wheel and its dependency closure.
    code = (
        "import sys\n"
        f"sys.path[:0] = [{str(target)!r}, {str(deps)!r}]\n"
        "import importlib.util\n"
        "absent = [m for m in ('django', 'pymisp', 'vigie.cli', 'vigie.settings',"
        " 'vigie.intel.models') if importlib.util.find_spec(m) is not None]\n"
        "if absent: raise SystemExit('importable: ' + ', '.join(absent))\n"
        "from vigie.sensor.standalone import main\n"
        "raise SystemExit(main(sys.argv[1:]))\n"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            code,
            "sensor",
            "scan",
            "--indicators",
            str(stix),
            "--indicators",
            str(misp),
            str(DATA / "zeek_dns_head.log.gz"),
            str(DATA / "fail2ban_squid_access.log"),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={
            "PATH": os.environ.get("PATH", ""),
            "VIGIE_HOME": str(tmp_path / "home"),
            "LANGUAGE": "fr",
        },
    )
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert {row["indicator"] for row in rows} == {"wrccdc.org", "pkfsp.ru"}
    assert any(r["indicator_id"] == "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f" for r in rows)
    assert "Indicateurs" in done.stderr  # the catalogues travel with the wheel
