"""The observatory page and its CSV export.

The centre's readers (with the sector capability) see exact counts over the establishments it
supports; an establishment's members see the sector with small counts hidden, next to their
own. Both the page and the export are built from the same `Observatory`, so a cell hidden on
the page is hidden in the export too.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from vigie.audit.log import record
from vigie.audit.models import Action
from vigie.core.charts import bars, chart_height, line_chart, percent_text, shares, shares_height
from vigie.core.csv_safety import safe_cell
from vigie.incidents.observatory import (
    Breakdown,
    Observatory,
    Scope,
    first_year,
    observatory,
    scope_for,
    share,
)
from vigie.tenancy.access import OrgAccess, org_access
from vigie.tenancy.roles import Cap, OrgKind

CSV_COLUMNS = ["breakdown", "key", "label", "count", "suppressed"]


class YearForm(forms.Form):
    year = forms.TypedChoiceField(
        label=gettext_lazy("Year"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args: Any, years: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["year"]
        if isinstance(field, forms.TypedChoiceField):
            field.choices = [("", _("All years")), *((str(y), str(y)) for y in years)]


def _access(request: HttpRequest, org: str) -> OrgAccess:
    access = org_access(request.user, org)
    if access.organisation.kind == OrgKind.CENTRE:
        # The exact counts are for the centre's sector readers; establishments read the
        # suppressed sector view.
        access.require(Cap.VIEW_SECTOR)
    return access


def _build(request: HttpRequest, access: OrgAccess) -> tuple[Observatory, YearForm]:
    now = timezone.now()
    scope: Scope = scope_for(access)
    first = first_year(scope)
    current = timezone.localtime(now).year
    years = list(range(current, (first or current) - 1, -1))
    form = YearForm(request.GET or None, years=years)
    year = form.cleaned_data.get("year") if form.is_bound and form.is_valid() else None
    return observatory(scope, now=now, year=year), form


def _bar_chart(breakdown: Breakdown) -> dict[str, Any]:
    rows = bars((cell.label, cell.count or 0) for cell in breakdown.shown)
    return {
        "breakdown": breakdown,
        "rows": rows,
        "height": chart_height(rows),
        "chart_id": f"chart-{breakdown.code.replace('_', '-')}",
        "hidden": ", ".join(cell.label for cell in breakdown.hidden),
    }


def _hours_text(hours: float | None, incidents: int | None) -> str:
    if incidents is None:
        return _("hidden")
    if hours is None:
        return "—"
    return _("%(hours)s h") % {"hours": floatformat(hours, -1)}


@login_required
@require_GET
def index(request: HttpRequest, org: str) -> HttpResponse:
    access = _access(request, org)
    result, form = _build(request, access)
    months = [cell for cell in result.months.cells if cell.count is not None]
    # A line that skipped the hidden months would read as quiet months: draw it only whole.
    month_chart = (
        line_chart(
            [cell.label for cell in months],
            [(_("Incidents"), [float(cell.count or 0) for cell in months], "blue")],
        )
        if months and len(months) == len(result.months.cells)
        else None
    )
    deadline_rows = (
        shares([(_("Reports submitted in time"), result.deadlines.met, result.deadlines.due)])
        if result.deadlines.met is not None and result.deadlines.due is not None
        else []
    )
    own_deadline_rows = (
        shares(
            [
                (
                    _("Your reports submitted in time"),
                    result.deadlines.own_met or 0,
                    result.deadlines.own_due or 0,
                )
            ]
        )
        if result.deadlines.own_due is not None
        else []
    )
    category = result.breakdown("category")
    comparison = [
        {
            "label": cell.label,
            "own": cell.own,
            "own_share": percent_text(share(cell.own, category.own_total)),
            "sector": cell.count,
            "sector_share": percent_text(share(cell.count, category.total)),
        }
        for cell in category.cells
        if cell.own or cell.count != 0
    ]
    response = [
        {
            "label": row.label,
            "median": _hours_text(row.hours, row.incidents),
            "incidents": row.incidents,
            "own_median": _hours_text(row.own_hours, row.own_incidents),
            "own_incidents": row.own_incidents,
        }
        for row in result.response
    ]
    return render(
        request,
        "incidents/observatory.html",
        {
            "access": access,
            "form": form,
            "obs": result,
            "is_centre": result.exact,
            "years_chart": _bar_chart(result.years),
            "month_chart": month_chart,
            "hidden_months": ", ".join(c.label for c in result.months.cells if c.hidden),
            "charts": [_bar_chart(b) for b in result.breakdowns],
            "deadline_rows": deadline_rows,
            "deadline_height": shares_height(deadline_rows),
            "own_deadline_rows": own_deadline_rows,
            "own_deadline_height": shares_height(own_deadline_rows),
            "deadlines_hidden": not result.exact and result.deadlines.met is None,
            "comparison": comparison,
            "response": response,
            "query": request.GET.urlencode(),
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


def _count_row(breakdown: str, key: str, label: str, count: float | None) -> list[str]:
    if count is None:
        value = ""
    elif isinstance(count, float):
        value = floatformat(count, -1)
    else:
        value = str(count)
    return [breakdown, safe_cell(key), safe_cell(label), value, "yes" if count is None else "no"]


def csv_rows(result: Observatory) -> Iterator[list[str]]:
    """One row per figure of the page: a hidden one is written empty, marked suppressed."""
    yield CSV_COLUMNS
    yield _count_row("incidents", "total", _("Incidents"), result.incidents)
    yield _count_row("structures", "total", _("Declaring structures"), result.structures)
    for breakdown in (result.years, result.months, *result.breakdowns):
        for cell in breakdown.cells:
            yield _count_row(breakdown.code, cell.key, cell.label, cell.count)
    for row in result.response:
        yield _count_row("response_incidents", row.code, row.label, row.incidents)
        if row.incidents is None or row.hours is not None:  # no median of nothing
            yield _count_row("response_median_hours", row.code, row.label, row.hours)
    deadlines = result.deadlines
    yield _count_row("deadlines", "met", _("Reports submitted in time"), deadlines.met)
    yield _count_row("deadlines", "due", _("Reports that fell due"), deadlines.due)
    if result.exact:
        return
    # The reader's own figures, exact: they are its own.
    yield _count_row("own_incidents", "total", _("Incidents"), result.own_incidents or 0)
    for breakdown in (result.years, result.months, *result.breakdowns):
        for cell in breakdown.cells:
            yield _count_row(f"own_{breakdown.code}", cell.key, cell.label, cell.own or 0)
    for row in result.response:
        yield _count_row("own_response_incidents", row.code, row.label, row.own_incidents or 0)
        if row.own_hours is not None:
            yield _count_row("own_response_median_hours", row.code, row.label, row.own_hours)
    met_label, due_label = _("Reports submitted in time"), _("Reports that fell due")
    yield _count_row("own_deadlines", "met", met_label, deadlines.own_met or 0)
    yield _count_row("own_deadlines", "due", due_label, deadlines.own_due or 0)


@login_required
@require_GET
def export(request: HttpRequest, org: str) -> StreamingHttpResponse:
    access = _access(request, org)
    result, _form = _build(request, access)
    record(
        Action.EXPORT,
        actor=request.user,
        organisation=access.organisation,
        request=request,
        details={"what": "observatory", "year": result.year, "exact": result.exact},
    )
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in csv_rows(result)), content_type="text/csv; charset=utf-8"
    )
    suffix = f"-{result.year}" if result.year is not None else ""
    response["Content-Disposition"] = f'attachment; filename="observatory-{org}{suffix}.csv"'
    return response
