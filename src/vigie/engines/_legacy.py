"""Old import paths of the engines, from before they were split by concern.

`import vigie.engines.nvd_match` gives the very module object of `vigie.engines.cpe.index`
(not a copy), so classes, functions and module state are shared and `isinstance` holds.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from types import ModuleType

MOVED: dict[str, str] = {
    "vigie.engines.nvd_compile": "vigie.engines.cpe.configurations",
    "vigie.engines.nvd_eval": "vigie.engines.cpe.evaluate",
    "vigie.engines.nvd_match": "vigie.engines.cpe.index",
    "vigie.engines.cpe_suggest": "vigie.engines.cpe.suggest",
    "vigie.engines.names": "vigie.engines.advisories.names",
    "vigie.engines.version_expr": "vigie.engines.advisories.version_expr",
    "vigie.engines.device_match": "vigie.engines.advisories.device_match",
    "vigie.engines.package_match": "vigie.engines.advisories.package_match",
    "vigie.engines.ssvc": "vigie.engines.prioritise.ssvc",
    "vigie.engines.vex": "vigie.engines.prioritise.vex",
}


class _Alias(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(self.target)

    def exec_module(self, module: ModuleType) -> None:
        """The target module is already executed."""


class _LegacyFinder(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        new = MOVED.get(fullname)
        if new is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _Alias(new))


def install() -> None:
    if not any(isinstance(finder, _LegacyFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _LegacyFinder())
