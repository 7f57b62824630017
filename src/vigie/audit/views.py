"""The audit log page, with filters and a CSV export (itself audited)."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from vigie.audit.forms import AuditFilterForm
from vigie.audit.log import record
from vigie.audit.models import Action, AuditEvent
from vigie.audit.queries import ORDER, apply_filters, events_for
from vigie.core.csv_safety import safe_cell
from vigie.core.paging import keyset_page
from vigie.tenancy.access import org_access
from vigie.tenancy.roles import Cap

CSV_COLUMNS = ["time", "who", "action", "target", "ip", "details"]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_rows(events: Iterator[AuditEvent]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for event in events:
        yield writer.writerow(
            [
                event.at.isoformat(),
                safe_cell(event.actor_username),
                event.action,
                safe_cell(event.target_label),
                event.ip or "",
                safe_cell(str(event.details) if event.details else ""),
            ]
        )


@login_required
@require_GET
def audit_log(request: HttpRequest, org: str) -> HttpResponseBase:
    access = org_access(request.user, org, Cap.VIEW_AUDIT)
    form = AuditFilterForm(request.GET or None)
    events = events_for(access)
    if form.is_bound and form.is_valid():
        events = apply_filters(events, form.cleaned_data)
    if request.GET.get("format") == "csv" and (not form.is_bound or form.is_valid()):
        record(
            Action.EXPORT,
            actor=request.user,
            organisation=access.organisation,
            request=request,
            details={
                "what": "audit_log",
                "filters": {
                    k: str(v) for k, v in (form.cleaned_data if form.is_bound else {}).items() if v
                },
            },
        )
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response = StreamingHttpResponse(
            _csv_rows(events.iterator(chunk_size=1000)), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="audit-{org}-{stamp}.csv"'
        return response
    # Newest first, continued from the last row shown (keyset): no OFFSET, no COUNT of the log.
    page = keyset_page(events, request.GET, ORDER)
    query = request.GET.copy()
    for name in ("page", "after", "before"):
        query.pop(name, None)
    return render(
        request,
        "audit/log.html",
        {"access": access, "form": form, "page": page, "query": query.urlencode()},
    )
