"""Demo data: a support centre, three establishments and their people.

Loaders are registered by each domain app (`register_loader`) and run in order by `vigie demo`.
Every loader is idempotent: a second run finds what exists and creates nothing new.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

DemoLoader = Callable[["DemoReport"], None]


@dataclass
class DemoReport:
    created_users: list[tuple[str, str, str]] = field(
        default_factory=list
    )  # username, password, role
    notes: list[str] = field(default_factory=list)


# How long the demo's establishments have used the platform: rows that stand for long-standing
# facts (members, assets, backup sets) are dated this far back.
DEMO_HISTORY = timedelta(days=400)

_loaders: list[tuple[int, str, DemoLoader]] = []


def register_loader(order: int, name: str) -> Callable[[DemoLoader], DemoLoader]:
    def decorator(loader: DemoLoader) -> DemoLoader:
        if all(existing != name for _, existing, _ in _loaders):
            _loaders.append((order, name, loader))
        return loader

    return decorator


def loaders() -> list[tuple[str, DemoLoader]]:
    return [(name, loader) for _, name, loader in sorted(_loaders, key=lambda item: item[0])]
