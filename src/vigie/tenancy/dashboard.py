"""Dashboard sections contributed by the domain apps (vulnerabilities, incidents, ...).

Each app registers a function at start-up; the dashboard renders whatever they return, so the
tenancy app does not depend on the apps built on top of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vigie.tenancy.access import OrgAccess


@dataclass(frozen=True, slots=True)
class Section:
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 100


SectionProvider = Callable[[OrgAccess], Section | None]
_providers: list[SectionProvider] = []


def register_section(provider: SectionProvider) -> SectionProvider:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def dashboard_sections(access: OrgAccess) -> list[Section]:
    sections = [section for provider in _providers if (section := provider(access)) is not None]
    return sorted(sections, key=lambda section: section.order)
