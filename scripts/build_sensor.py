"""Build the standalone sensor wheel (`vigie-sensor`) into dist/.

    .venv/bin/python scripts/build_sensor.py [--out DIR]

The platform's tree is staged into a temporary directory with only what the sensor needs
(vigie/__init__.py, vigie/sensor, vigie/engines/__init__.py, vigie/engines/indicators, the
compiled message catalogues and the MISP warning lists), next to packaging/sensor/pyproject.toml,
then built with pip offline (`--no-build-isolation`: the project's environment has setuptools).
One source tree, two distributions: the sensor never drifts from the platform's readers.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "vigie"
# What the sensor imports or reads, relative to src/vigie (a test checks it runs on these alone).
PARTS = (
    "__init__.py",
    "sensor",
    "engines/__init__.py",
    "engines/_legacy.py",
    "engines/indicators",
    "intel/warninglists",
)
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.po")


def stage(into: Path) -> Path:
    shutil.copy(ROOT / "packaging" / "sensor" / "pyproject.toml", into / "pyproject.toml")
    (into / "README.md").write_text(
        "Vigie Santé sensor: see docs/operations.md of the Vigie Santé project.\n"
    )
    target = into / "src" / "vigie"
    for part in PARTS:
        source = SRC / part
        if source.is_dir():
            shutil.copytree(source, target / part, ignore=IGNORED)
        else:
            (target / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, target / part)
    for catalogue in SRC.glob("locale/*/LC_MESSAGES/django.mo"):
        placed = target / catalogue.relative_to(SRC)
        placed.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(catalogue, placed)
    return into


def build(out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="vigie-sensor-") as work:
        staged = stage(Path(work))
        # setuptools warns that the data directories look like packages: they are data.
        built = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--quiet",
                "--no-deps",
                "--no-build-isolation",
                "--no-index",
                "--wheel-dir",
                str(out),
                str(staged),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if built.returncode != 0:
            sys.stderr.write(built.stdout + built.stderr)
            raise SystemExit(built.returncode)
    wheels = sorted(out.glob("vigie_sensor-*.whl"), key=lambda path: path.stat().st_mtime)
    return wheels[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    wheel = build(parser.parse_args().out)
    sys.stdout.write(f"{wheel}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
