"""The collections of an API root: what the reader's organisation may see, whole and per TLP.

An API root is one organisation the caller belongs to (`/taxii2/<slug>/`), so a person with two
memberships never mixes what each may see. Every collection's rows come from
`intel.visibility.visible_indicators`, the one place TLP is enforced; a collection only narrows
that set further (a TLP level, or what the organisation published itself).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from vigie.intel.models import Indicator, Tlp
from vigie.intel.visibility import visible_indicators
from vigie.taxii.stix_objects import STIX_MEDIA_TYPE
from vigie.tenancy.access import OrgAccess
from vigie.tenancy.roles import Cap

# Collection ids are stable per organisation: uuid5 of the organisation and the collection key.
COLLECTION_NAMESPACE = uuid.UUID("b0c2a7a4-58c1-4a5e-8f52-0f1f3a7e9d61")
PUBLISHED = "published"
ALL = "all"


@dataclass(frozen=True, slots=True)
class Collection:
    key: str
    id: str
    title: str | Promise
    description: str | Promise
    tlp: str | None = None  # only this marking
    own_only: bool = False  # only what the organisation published

    def rows(self, access: OrgAccess) -> QuerySet[Indicator]:
        # Values on a false-positive warning list are never pushed to tools that block.
        rows = visible_indicators(access).filter(suppressed=False)
        if self.tlp is not None:
            rows = rows.filter(tlp=self.tlp)
        if self.own_only:
            rows = rows.filter(organisation=access.organisation)
        return rows

    def tlp_levels(self) -> list[str]:
        return [self.tlp] if self.tlp is not None else list(Tlp.values)

    def can_write(self, access: OrgAccess, token_may_write: bool) -> bool:
        return self.key == PUBLISHED and token_may_write and access.can(Cap.PUBLISH)

    def resource(self, access: OrgAccess, token_may_write: bool) -> dict[str, object]:
        return {
            "id": self.id,
            "title": str(self.title),
            "description": str(self.description),
            "can_read": True,
            "can_write": self.can_write(access, token_may_write),
            "media_types": [STIX_MEDIA_TYPE],
        }


def _id(access: OrgAccess, key: str) -> str:
    return str(uuid.uuid5(COLLECTION_NAMESPACE, f"{access.organisation.pk}:{key}"))


def collections_for(access: OrgAccess) -> list[Collection]:
    found = [
        Collection(
            ALL,
            _id(access, ALL),
            _("All indicators"),
            _("Every indicator your organisation may see, whatever its TLP marking."),
        )
    ]
    for level in Tlp:
        found.append(
            Collection(
                f"tlp-{level.value.replace('+', '-')}",
                _id(access, f"tlp-{level.value}"),
                level.label,
                _("The indicators marked %(tlp)s that your organisation may see.")
                % {"tlp": level.label},
                tlp=level.value,
            )
        )
    found.append(
        Collection(
            PUBLISHED,
            _id(access, PUBLISHED),
            _("Published by your organisation"),
            _(
                "The indicators your organisation published. Analysts with a read-write token "
                "add indicators here."
            ),
            own_only=True,
        )
    )
    return found


def find_collection(access: OrgAccess, collection_id: str) -> Collection | None:
    for collection in collections_for(access):
        if collection.id == collection_id:
            return collection
    return None
