"""Layering rules that the code must keep: framework-free engines and sensor."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "vigie"
FRAMEWORK_FREE = ("engines", "sensor")


_LIST_IMPORTS = """
import ast, json, sys
for path in sys.argv[1:]:
    tree = ast.parse(open(path, encoding="utf-8").read(), filename=path)
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    print(json.dumps([path, sorted(names)]))
"""


def _imports(paths: list[Path]) -> dict[Path, list[str]]:
    """Each file's absolute imports, parsed in a fresh interpreter: CPython 3.11 (gh-106905)
    fails ast.parse with "recursion depth mismatch" in a process where an earlier test (the
    API fuzzer's deeply nested bodies) hit a RecursionError."""
    result = subprocess.run(
        [sys.executable, "-c", _LIST_IMPORTS, *map(str, paths)],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    return {Path(path): names for path, names in rows}


def test_engines_and_sensor_never_import_django_or_the_django_apps() -> None:
    django_apps = (
        "vigie.accounts",
        "vigie.tenancy",
        "vigie.audit",
        "vigie.api",
        "vigie.core",
        "vigie.inventory",
        "vigie.vulns",
        "vigie.notify",
        "vigie.settings",
    )
    offenders = []
    paths = [path for package in FRAMEWORK_FREE for path in (SRC / package).rglob("*.py")]
    for path, names in _imports(paths).items():
        for name in names:
            if (
                name == "django"
                or name.startswith(("django.", "ninja", "django_"))
                or name.startswith(django_apps)
            ):
                offenders.append(f"{path.relative_to(SRC)} imports {name}")
    assert offenders == []


def test_engines_import_without_loading_django() -> None:
    modules = sorted(
        "vigie." + ".".join(path.relative_to(SRC).with_suffix("").parts)
        for package in FRAMEWORK_FREE
        for path in (SRC / package).rglob("*.py")
        if path.name != "__main__.py"
    )
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name.removesuffix('.__init__'))\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('django'))\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
