"""TLP enforced in one place: what a reader, in one organisation, may see of shared intelligence.

Every page, API endpoint, export and e-mail that shows indicators (and, next, advisories and
sightings) gets its rows through `visible_indicators`. The rules, from FIRST's TLP 2.0, applied
to the support centre's community (a centre and the establishments it supports):

- CLEAR: anyone signed in to the platform;
- GREEN: the publisher's community;
- AMBER: the publisher and the organisations it serves or that serve it on a need-to-know basis:
  a centre's AMBER reaches the establishments it supports; an establishment's AMBER reaches its
  centre, never the other establishments;
- AMBER+STRICT: the publishing organisation only;
- RED: the people named on the row, and nobody else (not even the rest of the publisher).

The reader's organisation is the one the page or token works in (`OrgAccess`), so a person with
two memberships never mixes what each organisation may see.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet

from vigie.intel.models import Advisory, AdvisoryReceipt, Indicator, Sighting, Tlp
from vigie.tenancy.access import OrgAccess
from vigie.tenancy.models import Organisation
from vigie.tenancy.roles import OrgKind


def community_of(organisation: Organisation) -> int:
    """The id of the support centre whose community the organisation belongs to."""
    if organisation.kind == OrgKind.CENTRE or organisation.centre_id is None:
        return organisation.pk
    return organisation.centre_id


def _readable(access: OrgAccess, red_recipients: QuerySet[Any]) -> Q:
    reader = access.organisation
    community = community_of(reader)
    amber = Q(organisation=reader)
    # A centre's AMBER reaches the establishments of its community...
    amber |= Q(organisation_id=community) & Q(community_id=community)
    if reader.kind == OrgKind.CENTRE:
        # ...and an establishment's AMBER reaches its centre.
        amber |= Q(community_id=reader.pk)
    return (
        Q(tlp=Tlp.CLEAR)
        | Q(tlp=Tlp.GREEN, community_id=community)
        | (Q(tlp=Tlp.AMBER) & amber)
        | Q(tlp=Tlp.AMBER_STRICT, organisation=reader)
        | Q(Q(tlp=Tlp.RED), Exists(red_recipients))
    )


def visible_indicators(
    access: OrgAccess, queryset: QuerySet[Indicator] | None = None
) -> QuerySet[Indicator]:
    """The indicators the reader may see, from `queryset` (all indicators by default)."""
    rows = Indicator.objects.all() if queryset is None else queryset
    named = Indicator.recipients.through.objects.filter(
        indicator_id=OuterRef("pk"), user_id=access.user.pk
    )
    return rows.filter(_readable(access, named))


def visible_sightings(
    access: OrgAccess, queryset: QuerySet[Sighting] | None = None
) -> QuerySet[Sighting]:
    """The sightings the reader may read in full, naming who saw what.

    A sighting is reported to the reporter's support centre: the reporter and its centre read
    it whatever its marking. Beyond them the marking decides, as for indicators: CLEAR for
    everyone, GREEN for the community, AMBER and AMBER+STRICT (the default) for nobody else,
    since an establishment's AMBER never reaches the other establishments. Others learn only
    how many establishments saw a value (`sighting_counts`).
    """
    rows = Sighting.objects.all() if queryset is None else queryset
    reader = access.organisation
    community = community_of(reader)
    readable = Q(organisation=reader) | Q(tlp=Tlp.CLEAR)
    readable |= Q(tlp=Tlp.GREEN) & (
        Q(organisation_id=community) | Q(organisation__centre_id=community)
    )
    if reader.kind == OrgKind.CENTRE:
        readable |= Q(organisation__centre_id=reader.pk)
    return rows.filter(readable)


def sighting_counts(
    access: OrgAccess, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], dict[str, Any]]:
    """For values the reader may see, how many organisations of its community saw each, and
    when last: anonymised, the reader's own sightings left out (it has them in full)."""
    if not keys:
        return {}
    community = community_of(access.organisation)
    wanted = Q()
    for type_, value in keys:
        wanted |= Q(type=type_, value=value)
    rows = (
        Sighting.objects.filter(wanted)
        .filter(Q(organisation_id=community) | Q(organisation__centre_id=community))
        .exclude(organisation=access.organisation)
        .values("type", "value")
        .annotate(organisations=Count("organisation", distinct=True), last_seen=Max("last_seen"))
    )
    return {
        (row["type"], row["value"]): {
            "organisations": row["organisations"],
            "last_seen": row["last_seen"],
        }
        for row in rows
    }


def visible_advisories(
    access: OrgAccess, queryset: QuerySet[Advisory] | None = None
) -> QuerySet[Advisory]:
    """The advisories the reader may read: its centre's own (drafts too, for the centre's
    members), and published ones its organisation received, within the published marking:
    AMBER+STRICT never leaves the centre, RED reaches the people named on it only."""
    rows = Advisory.objects.all() if queryset is None else queryset
    reader = access.organisation
    received = AdvisoryReceipt.objects.filter(advisory_id=OuterRef("pk"), organisation=reader)
    named = Advisory.recipients.through.objects.filter(
        advisory_id=OuterRef("pk"), user_id=access.user.pk
    )
    delivered = (
        Q(published_at__isnull=False)
        & Exists(received)
        & ~Q(published_tlp=Tlp.AMBER_STRICT)
        & (~Q(published_tlp=Tlp.RED) | Exists(named))
    )
    return rows.filter(Q(organisation=reader) | delivered)
