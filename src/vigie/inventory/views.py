"""Inventory pages: the list, import with preview, asset details, CPE suggestions."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from vigie.audit.log import record as audit
from vigie.core.csv_safety import safe_cell
from vigie.core.paging import keyset_page
from vigie.engines.cpe.suggest import suggest_cpes
from vigie.inventory import actions, imports
from vigie.inventory import asset_list as asset_list_
from vigie.inventory import import_list as import_list_
from vigie.inventory.forms import AssetFilterForm, AssetForm, CpeChoiceForm, ImportForm
from vigie.inventory.models import Asset, InventoryImport
from vigie.tenancy.access import get_scoped, org_access, scoped
from vigie.tenancy.roles import Cap
from vigie.vulns.models import AlertAsset

CSV_COLUMNS = [
    "id",
    "name",
    "kind",
    "vendor",
    "product",
    "version",
    "cpe",
    "purl",
    "parent",
    "criticality",
    "exposure",
    "location",
]


def _filtered(assets: QuerySet[Asset], data: dict[str, Any]) -> QuerySet[Asset]:
    if data.get("q"):
        q = data["q"]
        assets = assets.filter(
            Q(name__icontains=q)
            | Q(external_id__icontains=q)
            | Q(vendor__icontains=q)
            | Q(product__icontains=q)
        )
    for field in ("kind", "criticality", "exposure"):
        if data.get(field):
            assets = assets.filter(**{field: data[field]})
    if data.get("location"):
        assets = assets.filter(location__icontains=data["location"])
    return assets


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv(assets: QuerySet[Asset]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for a in assets.select_related("parent").iterator(chunk_size=1000):
        yield writer.writerow(
            [
                safe_cell(v)
                for v in (
                    a.external_id,
                    a.name,
                    a.kind,
                    a.vendor,
                    a.product,
                    a.version,
                    " ".join(a.cpes),
                    " ".join(a.purls),
                    a.parent.external_id if a.parent else "",
                    a.criticality,
                    a.exposure,
                    a.location,
                )
            ]
        )


@login_required
@require_GET
def asset_list(request: HttpRequest, org: str) -> HttpResponseBase:
    access = org_access(request.user, org)
    form = AssetFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    assets = _filtered(scoped(access, Asset.objects.all()), data)
    if request.GET.get("format") == "csv":
        audit(
            "data.export",
            actor=request.user,
            organisation=access.organisation,
            request=request,
            details={"what": "inventory", "filters": {k: str(v) for k, v in data.items() if v}},
        )
        response = StreamingHttpResponse(_csv(assets), content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%d")
        response["Content-Disposition"] = f'attachment; filename="inventory-{org}-{stamp}.csv"'
        return response
    totals = scoped(access, Asset.objects.all()).aggregate(
        total=Count("pk"),
        medical=Count("pk", filter=Q(kind="medical-device")),
        life=Count("pk", filter=Q(criticality="life-sustaining")),
        without_id=Count("pk", filter=Q(cpes=[], purls=[])),
    )
    # Keyset paging by name; unfiltered, the header's total is the list's (no second count).
    page = keyset_page(
        assets.select_related("parent"),
        request.GET,
        asset_list_.ORDER,
        total=None if any(data.values()) else totals["total"],
    )
    asset_list_.count_open_alerts(page.object_list)
    query = request.GET.copy()
    for name in ("page", "after", "before"):
        query.pop(name, None)
    return render(
        request,
        "inventory/list.html",
        {
            "access": access,
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "totals": totals,
            "can_edit": access.can(Cap.EDIT_INVENTORY),
            "imports": asset_list_.recent_imports(scoped(access, InventoryImport.objects.all())),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest, org: str) -> HttpResponse:
    access = org_access(request.user, org, Cap.EDIT_INVENTORY)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = imports.preview(
                access=access,
                stream=upload,
                file_name=upload.name,
                request=request,
                root_kind="medical-device" if form.cleaned_data["medical_device"] else None,
                defaults=form.defaults(),
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error("file", message)
        else:
            return redirect("inventory:import_preview", org=org, import_id=job.pk)
    return render(request, "inventory/import.html", {"access": access, "form": form})


@login_required
@require_GET
def import_list(request: HttpRequest, org: str) -> HttpResponse:
    access = org_access(request.user, org)
    imports_ = import_list_.listed(scoped(access, InventoryImport.objects.all()))
    page = keyset_page(imports_, request.GET, import_list_.ORDER)
    for job in page.object_list:
        job.counts = import_list_.counts(job)
    return render(
        request,
        "inventory/import_list.html",
        {"access": access, "page": page, "can_edit": access.can(Cap.EDIT_INVENTORY)},
    )


@login_required
@require_GET
def import_preview(request: HttpRequest, org: str, import_id: str) -> HttpResponse:
    access = org_access(request.user, org, Cap.EDIT_INVENTORY)
    job = get_scoped(access, InventoryImport.objects.all(), pk=import_id)
    if request.headers.get("HX-Request"):
        # The matching progress, polled while a worker matches the committed assets.
        return render(request, "inventory/_import_matching.html", {"access": access, "job": job})
    return render(
        request,
        "inventory/import_preview.html",
        {
            "access": access,
            "job": job,
            "sample": job.records[:50],
            "errors": job.errors[:200],
            "warnings": job.warnings[:200],
        },
    )


@login_required
@require_POST
def import_commit(request: HttpRequest, org: str, import_id: str) -> HttpResponse:
    access = org_access(request.user, org, Cap.EDIT_INVENTORY)
    job = get_scoped(access, InventoryImport.objects.all(), pk=import_id)
    try:
        done = imports.commit(access=access, job=job, request=request)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("inventory:import_preview", org=org, import_id=job.pk)
    messages.success(
        request,
        _("Imported: %(created)d new, %(updated)d updated, %(unchanged)d unchanged.")
        % {"created": done.created, "updated": done.updated, "unchanged": done.unchanged},
    )
    # The import's page follows the matching, which runs in a worker: the person may leave it.
    return redirect("inventory:import_preview", org=org, import_id=job.pk)


@login_required
@require_POST
def import_discard(request: HttpRequest, org: str, import_id: str) -> HttpResponse:
    access = org_access(request.user, org, Cap.EDIT_INVENTORY)
    job = get_scoped(access, InventoryImport.objects.all(), pk=import_id)
    imports.discard(access=access, job=job)
    messages.info(request, _("The import was discarded; nothing changed."))
    return redirect("inventory:list", org=org)


@login_required
@require_GET
def asset_detail(request: HttpRequest, org: str, asset_id: int) -> HttpResponse:
    access = org_access(request.user, org)
    asset = get_scoped(access, Asset.objects.select_related("parent"), pk=asset_id)
    alerts = (
        AlertAsset.objects.filter(asset=asset)
        .select_related("alert", "alert__vulnerability")
        .order_by("-active", "-alert__first_seen")
    )
    suggestions = []
    if not asset.cpes and (asset.vendor or asset.product or asset.name):
        suggestions = suggest_cpes(asset.vendor, asset.product, asset.name, limit=5)
    return render(
        request,
        "inventory/asset_detail.html",
        {
            "access": access,
            "asset": asset,
            "alerts": alerts,
            "children": asset.children.all(),
            "suggestions": suggestions,
            "can_edit": access.can(Cap.EDIT_INVENTORY),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def asset_edit(request: HttpRequest, org: str, asset_id: int | None = None) -> HttpResponse:
    access = org_access(request.user, org, Cap.EDIT_INVENTORY)
    asset = (
        get_scoped(access, Asset.objects.all(), pk=asset_id)
        if asset_id
        else Asset(organisation=access.organisation)
    )
    form = AssetForm(access.organisation, request.POST or None, instance=asset)
    if request.method == "POST" and form.is_valid():
        saved = actions.save_asset(
            access=access, asset=form.save(commit=False), request=request, created=asset_id is None
        )
        messages.success(request, _("%(name)s was saved.") % {"name": saved.name})
        return redirect("inventory:asset", org=org, asset_id=saved.pk)
    return render(
        request, "inventory/asset_form.html", {"access": access, "form": form, "asset": asset}
    )


@login_required
@require_POST
def asset_delete(request: HttpRequest, org: str, asset_id: int) -> HttpResponse:
    access = org_access(request.user, org, Cap.EDIT_INVENTORY)
    asset = get_scoped(access, Asset.objects.all(), pk=asset_id)
    name = asset.name
    actions.delete_asset(access=access, asset=asset, request=request)
    messages.success(request, _("%(name)s was deleted.") % {"name": name})
    return redirect("inventory:list", org=org)


@login_required
@require_POST
def asset_cpe(request: HttpRequest, org: str, asset_id: int) -> HttpResponse:
    access = org_access(request.user, org, Cap.EDIT_INVENTORY)
    asset = get_scoped(access, Asset.objects.all(), pk=asset_id)
    form = CpeChoiceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("This CPE suggestion is not valid."))
    else:
        try:
            name = actions.confirm_cpe(
                access=access, asset=asset, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(
                request, _("CPE %(cpe)s added; the asset was matched again.") % {"cpe": name}
            )
    return redirect("inventory:asset", org=org, asset_id=asset.pk)
