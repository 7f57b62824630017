"""The pillars of readiness, each registered by the app that knows its facts.

An app (backups, continuity, exercises, training, phishing…) registers a provider in its
`readiness.py`, imported by its AppConfig.ready(). A provider reads the establishment's data as
it stood at `now` (so that past points of the trend can be computed the same way) and returns
the reasons behind its score, codes with parameters; `reason_texts` gives each code its
sentence (gettext_lazy, with %(name)s placeholders for the parameters).

A pillar with nothing recorded scores 0 with a reason saying so: a director must see "no backup
set declared", never a blank that reads as fine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.utils.functional import Promise

from vigie.engines.readiness import Pillar, Reason

if TYPE_CHECKING:
    from vigie.tenancy.models import Organisation

Provider = Callable[["Organisation", datetime], list[Reason]]


@dataclass(frozen=True)
class PillarSpec:
    code: str
    label: Promise
    order: int
    provider: Provider
    reason_texts: Mapping[str, Promise]
    url_name: str = ""  # the page that shows the details ("backups:list"), taking `org`


_pillars: dict[str, PillarSpec] = {}


def register_pillar(spec: PillarSpec) -> None:
    _pillars[spec.code] = spec


def unregister_pillar(code: str) -> None:
    """Take a pillar out (tests that register their own clean up with it)."""
    _pillars.pop(code, None)


def pillars() -> list[PillarSpec]:
    return sorted(_pillars.values(), key=lambda spec: spec.order)


def reason_text(code: str) -> Promise | None:
    for spec in _pillars.values():
        if code in spec.reason_texts:
            return spec.reason_texts[code]
    return None


def evaluate(organisation: Organisation, now: datetime) -> list[tuple[PillarSpec, Pillar]]:
    return [
        (spec, Pillar(code=spec.code, reasons=tuple(spec.provider(organisation, now))))
        for spec in pillars()
    ]
