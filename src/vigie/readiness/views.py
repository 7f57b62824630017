"""The readiness pages: the establishment's (for its director), the centre's sector table with
its CSV export, and the centre's read-only view of one establishment it supports.

A centre organisation opening the establishment page is sent to its sector page; the sector
pages answer 404 to an establishment, and an establishment of another centre is a 404.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from vigie.audit.log import record as audit
from vigie.audit.models import Action
from vigie.core.csv_safety import safe_cell
from vigie.engines.readiness.overall import level_of, mean_points, mean_score, weakest
from vigie.readiness import present
from vigie.readiness.days import local_date
from vigie.readiness.pillars import PillarSpec, pillars
from vigie.readiness.scores import (
    Readiness,
    latest_snapshot,
    readiness_of,
    snapshots_since,
    trend_start,
)
from vigie.tenancy.access import OrgAccess, org_access, supported_establishment
from vigie.tenancy.access import supported_establishments as centre_establishments
from vigie.tenancy.models import Organisation
from vigie.tenancy.roles import Cap, OrgKind


def _sector_access(request: HttpRequest, org: str) -> OrgAccess:
    access = org_access(request.user, org)
    if access.organisation.kind != OrgKind.CENTRE:
        raise Http404("centre only")
    access.require(Cap.VIEW_SECTOR)
    return access


def _establishment_context(
    readiness: Readiness, link_org: str | None, specs: list[PillarSpec]
) -> dict[str, Any]:
    organisation = readiness.organisation
    today = local_date(readiness.at)
    points = snapshots_since([organisation], trend_start(today))[organisation.pk]
    scores = readiness.scores
    weakest_code = weakest(scores)
    return {
        "summary": present.summary(readiness),
        "cards": present.cards(readiness, link_org),
        "trend": present.trend(points, specs),
        "last_snapshot": latest_snapshot(organisation),
        "weakest": next((s for s in specs if s.code == weakest_code), None),
        "computed_at": readiness.at,
    }


@login_required
@require_GET
def index(request: HttpRequest, org: str) -> HttpResponse:
    access = org_access(request.user, org)
    if access.organisation.kind == OrgKind.CENTRE:
        return redirect("readiness:sector", org=access.organisation.slug)
    specs = pillars()
    readiness = readiness_of(access.organisation)
    context = _establishment_context(readiness, access.organisation.slug, specs)
    return render(
        request,
        "readiness/index.html",
        {"access": access, "establishment": access.organisation, "read_only": False, **context},
    )


@login_required
@require_GET
def establishment(request: HttpRequest, org: str, establishment: str) -> HttpResponse:
    access = _sector_access(request, org)
    found = supported_establishment(access, establishment)
    specs = pillars()
    context = _establishment_context(readiness_of(found), None, specs)
    return render(
        request,
        "readiness/index.html",
        {"access": access, "establishment": found, "read_only": True, **context},
    )


SORTS = ("overall", "name")


def _sector_rows(
    establishments: list[Organisation], specs: list[PillarSpec], sort: str
) -> list[dict[str, Any]]:
    now = timezone.now()
    rows = []
    for organisation in establishments:
        readiness = readiness_of(organisation, now)
        scores = readiness.scores
        row: dict[str, Any] = {
            "organisation": organisation,
            "summary": present.summary(readiness),
            "overall": readiness.overall,
            "cells": [
                {
                    "code": spec.code,
                    "score": scores.get(spec.code),
                    "css": present.level_css(level_of(scores.get(spec.code))),
                    "level_label": present.level_label(level_of(scores.get(spec.code))),
                }
                for spec in specs
            ],
            "scores": scores,
        }
        rows.append(row)
    if sort == "name":
        rows.sort(key=lambda row: row["organisation"].name.casefold())
    else:
        code = sort if sort != "overall" else ""

        def key(row: dict[str, Any]) -> tuple[int, str]:
            value = row["scores"].get(code) if code else row["overall"]
            return (value if value is not None else 101, row["organisation"].name.casefold())

        rows.sort(key=key)
    return rows


def _sort_of(request: HttpRequest, specs: list[PillarSpec]) -> str:
    sort = request.GET.get("sort", "overall")
    return sort if sort in SORTS or any(spec.code == sort for spec in specs) else "overall"


@login_required
@require_GET
def sector(request: HttpRequest, org: str) -> HttpResponse:
    access = _sector_access(request, org)
    specs = pillars()
    establishments = list(centre_establishments(access).filter(is_active=True))
    sort = _sort_of(request, specs)
    rows = _sector_rows(establishments, specs, sort)
    averages = [mean_score([row["scores"].get(spec.code) for row in rows]) for spec in specs]
    overall_average = mean_score([row["overall"] for row in rows])
    today = local_date(timezone.now())
    points = snapshots_since(establishments, trend_start(today))
    sector_trend = present.trend(mean_points(list(points.values())), specs)
    return render(
        request,
        "readiness/sector.html",
        {
            "access": access,
            "specs": specs,
            "rows": rows,
            "sort": sort,
            "averages": [
                {"score": value, "css": present.level_css(level_of(value))} for value in averages
            ],
            "overall_average": overall_average,
            "overall_css": present.level_css(level_of(overall_average)),
            "overall_label": present.level_label(level_of(overall_average)),
            "trend": sector_trend,
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_rows(rows: list[dict[str, Any]], specs: list[PillarSpec]) -> Iterator[list[str]]:
    """The sector table: one row per establishment, pillar codes as columns, then the means."""
    yield ["establishment", "slug", "overall", "level", *(spec.code for spec in specs)]
    for row in rows:
        organisation = row["organisation"]
        level = level_of(row["overall"])
        yield [
            safe_cell(organisation.name),
            safe_cell(organisation.slug),
            "" if row["overall"] is None else str(row["overall"]),
            str(level) if level is not None else "",
            *("" if cell["score"] is None else str(cell["score"]) for cell in row["cells"]),
        ]
    overall = mean_score([row["overall"] for row in rows])
    level = level_of(overall)
    averages = [mean_score([row["scores"].get(spec.code) for row in rows]) for spec in specs]
    yield [
        "mean",
        "",
        "" if overall is None else str(overall),
        str(level) if level is not None else "",
        *("" if value is None else str(value) for value in averages),
    ]


@login_required
@require_GET
def export(request: HttpRequest, org: str) -> StreamingHttpResponse:
    access = _sector_access(request, org)
    specs = pillars()
    establishments = list(centre_establishments(access).filter(is_active=True))
    rows = _sector_rows(establishments, specs, _sort_of(request, specs))
    audit(
        Action.EXPORT,
        actor=request.user,
        organisation=access.organisation,
        request=request,
        details={"what": "readiness_sector", "establishments": len(rows)},
    )
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in csv_rows(rows, specs)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="readiness-{org}.csv"'
    return response
