"""The trends section of the dashboards, computed where the template shows it.

The dashboards' live part refreshes itself every 15 seconds; the trends change by the day, so
the templates show them outside the refreshed part, and these tags compute them only then.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from vigie.tenancy.access import OrgAccess
from vigie.tenancy.roles import Cap, OrgKind
from vigie.vulns.trends import establishment_trends, present, sector_trends

register = template.Library()


@register.inclusion_tag("vulns/_trends.html")
def establishment_trends_section(access: OrgAccess) -> dict[str, Any]:
    return {
        "trends": present(establishment_trends(access)),
        "heading": _("Trends"),
        "prefix": "establishment",
    }


@register.inclusion_tag("vulns/_trends.html")
def sector_trends_section(access: OrgAccess) -> dict[str, Any]:
    if access.organisation.kind != OrgKind.CENTRE or not access.can(Cap.VIEW_SECTOR):
        return {}
    return {
        "trends": present(sector_trends(access)),
        "heading": _("Sector trends"),
        "prefix": "sector",
    }
