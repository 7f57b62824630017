"""Tenant isolation in one place.

Every view and API endpoint that touches an organisation's data gets it through these helpers,
never through a bare `Model.objects.get`. Rules:
- a user who is not a member of the organisation, or an object outside it, gets Http404, exactly
  as if it did not exist ("not yours" and "does not exist" are indistinguishable);
- a member whose role lacks the capability gets PermissionDenied (403): they know it exists;
- a support centre sees the profiles of the establishments it supports, never their members.
tests/tenancy/test_isolation_matrix.py runs every URL and endpoint against these rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.http import Http404

from vigie.tenancy.models import Membership, Organisation
from vigie.tenancy.roles import Cap, OrgKind

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True, slots=True)
class OrgAccess:
    """What one user may do in one organisation, established by `org_access`."""

    user: Any
    organisation: Organisation
    membership: Membership

    @property
    def role(self) -> str:
        return self.membership.role

    def can(self, capability: str) -> bool:
        return capability in self.membership.capabilities

    def require(self, capability: str) -> None:
        if not self.can(capability):
            raise PermissionDenied(capability)


def memberships_of(user: Any) -> QuerySet[Membership]:
    """The user's memberships in active organisations (empty for anonymous users)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Membership.objects.none()
    return (
        Membership.objects.filter(user=user, organisation__is_active=True)
        .select_related("organisation")
        .order_by("organisation__kind", "organisation__name")
    )


def org_access(user: Any, slug: str, capability: str = Cap.VIEW) -> OrgAccess:
    membership = memberships_of(user).filter(organisation__slug=slug).first()
    if membership is None:
        raise Http404("organisation")
    access = OrgAccess(user=user, organisation=membership.organisation, membership=membership)
    access.require(capability)
    return access


def scoped(access: OrgAccess, queryset: QuerySet[M], field: str = "organisation") -> QuerySet[M]:
    """Restrict a queryset to the organisation the access was granted for."""
    return queryset.filter(**{field: access.organisation})


def get_scoped(
    access: OrgAccess, queryset: QuerySet[M], field: str = "organisation", **lookup: Any
) -> M:
    obj = scoped(access, queryset, field).filter(**lookup).first()
    if obj is None:
        raise Http404("object")
    return obj


def supported_establishments(access: OrgAccess) -> QuerySet[Organisation]:
    """Establishments a centre supports; nothing for an establishment's own members."""
    if access.organisation.kind != OrgKind.CENTRE:
        return Organisation.objects.none()
    return Organisation.objects.filter(
        kind=OrgKind.ESTABLISHMENT, centre=access.organisation
    ).order_by("name")


def supported_establishment(access: OrgAccess, slug: str) -> Organisation:
    establishment = supported_establishments(access).filter(slug=slug).first()
    if establishment is None:
        raise Http404("establishment")
    return establishment


def default_organisation(user: Any) -> Organisation | None:
    membership = memberships_of(user).first()
    return membership.organisation if membership is not None else None


def requires_two_factor(user: Any) -> bool:
    """Centre roles must use a second factor; it is optional for establishment staff."""
    return memberships_of(user).filter(organisation__kind=OrgKind.CENTRE).exists()
