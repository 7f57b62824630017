"""Indicator pages: search what the organisation may see (TLP enforced), import files."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from vigie.core.paging import keyset_page
from vigie.intel.forms import IndicatorFilterForm, IndicatorImportForm
from vigie.intel.imports import import_indicators
from vigie.intel.models import IndicatorImport
from vigie.intel.problems import problem_text
from vigie.intel.search import ORDER, indicator_search
from vigie.intel.visibility import sighting_counts
from vigie.tenancy.access import get_scoped, org_access, scoped
from vigie.tenancy.roles import Cap


@login_required
@require_GET
def indicator_list(request: HttpRequest, org: str) -> HttpResponse:
    access = org_access(request.user, org)
    form = IndicatorFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    rows = indicator_search(access, data).select_related("organisation")
    page = keyset_page(rows, request.GET, ORDER)
    # Anonymised: how many organisations of the community saw each value, never which.
    counts = sighting_counts(access, [(row.type, row.value) for row in page])
    for row in page:
        row.community_sightings = counts.get((row.type, row.value))
    can_publish = access.can(Cap.PUBLISH)
    imports = scoped(access, IndicatorImport.objects.all())[:5] if can_publish else []
    return render(
        request,
        "intel/indicator_list.html",
        {
            "access": access,
            "form": form,
            "page": page,
            "can_publish": can_publish,
            "imports": imports,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest, org: str) -> HttpResponse:
    access = org_access(request.user, org, Cap.PUBLISH)
    form = IndicatorImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = import_indicators(
                access=access,
                data=upload.read(),
                file_name=upload.name,
                source=form.cleaned_data["source"],
                default_tlp=form.cleaned_data["tlp"],
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error("file", message)
        else:
            return redirect("intel:import_detail", org=org, import_id=job.pk)
    return render(request, "intel/import.html", {"access": access, "form": form})


@login_required
@require_GET
def import_detail(request: HttpRequest, org: str, import_id: int) -> HttpResponse:
    access = org_access(request.user, org, Cap.PUBLISH)
    job = get_scoped(access, IndicatorImport.objects.select_related("created_by"), pk=import_id)
    return render(
        request,
        "intel/import_detail.html",
        {
            "access": access,
            "job": job,
            "problems": [problem_text(p) for p in job.problems],
        },
    )
