"""Backup pages: the sets at a glance, a set's page (history, chart, upload, restore test),
the set form. Views stay thin: changes go through `actions`, reads through `status`."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from vigie.backups import actions
from vigie.backups.forms import BackupSetForm, RestoreTestForm, UploadForm
from vigie.backups.labels import finding_text, parse_error_text
from vigie.backups.models import BackupSet, Source
from vigie.backups.status import SetStatus, get_set, status_of, visible_sets
from vigie.core.charts import bars, chart_height
from vigie.engines.backups import ParseError
from vigie.tenancy.access import OrgAccess, org_access
from vigie.tenancy.roles import Cap, OrgKind

HISTORY_ROWS = 60
CHART_BARS = 30


def _access(request: HttpRequest, org: str, capability: str = Cap.VIEW) -> OrgAccess:
    access = org_access(request.user, org, capability)
    if access.organisation.kind != OrgKind.ESTABLISHMENT:
        raise Http404("backups")
    return access


def _glance(status: SetStatus) -> dict[str, Any]:
    return {
        "status": status,
        "set": status.backup_set,
        "problems": [finding_text(f) for f in status.findings],
        "codes": status.codes,
    }


@login_required
@require_GET
def set_list(request: HttpRequest, org: str) -> HttpResponse:
    access = _access(request, org)
    now = timezone.now()
    rows = [_glance(status_of(s, now)) for s in visible_sets(access)]
    return render(
        request,
        "backups/set_list.html",
        {
            "access": access,
            "rows": rows,
            "problems": sum(1 for r in rows if r["problems"]),
            "may_manage": access.can(Cap.MANAGE_BACKUPS),
        },
    )


def _form_page(
    request: HttpRequest, access: OrgAccess, backup_set: BackupSet | None
) -> HttpResponse:
    form = BackupSetForm(
        request.POST or None, instance=backup_set, organisation=access.organisation
    )
    if request.method == "POST" and form.is_valid():
        saved = actions.save_set(
            access, form.save(commit=False), list(form.cleaned_data["assets"]), request=request
        )
        messages.success(request, _("Backup set saved."))
        return redirect("backups:detail", org=access.organisation.slug, set_id=saved.pk)
    return render(
        request,
        "backups/set_form.html",
        {"access": access, "form": form, "backup_set": backup_set},
    )


@login_required
@require_http_methods(["GET", "POST"])
def set_new(request: HttpRequest, org: str) -> HttpResponse:
    access = _access(request, org, Cap.MANAGE_BACKUPS)
    return _form_page(request, access, None)


@login_required
@require_http_methods(["GET", "POST"])
def set_edit(request: HttpRequest, org: str, set_id: int) -> HttpResponse:
    access = _access(request, org, Cap.MANAGE_BACKUPS)
    return _form_page(request, access, get_set(access, set_id))


@login_required
@require_POST
def set_delete(request: HttpRequest, org: str, set_id: int) -> HttpResponse:
    access = _access(request, org, Cap.MANAGE_BACKUPS)
    backup_set = get_set(access, set_id)
    actions.delete_set(access, backup_set, request=request)
    messages.success(request, _("Backup set deleted."))
    return redirect("backups:list", org=org)


def _chart(status: SetStatus, snapshots: list[Any]) -> dict[str, Any]:
    sized = [s for s in reversed(snapshots[:CHART_BARS]) if s.data_added is not None]
    rows = bars(
        (
            f"{date_filter(timezone.localtime(s.taken_at), 'SHORT_DATETIME_FORMAT')}"
            + (f" · {_('jump')}" if s.tool_id in status.jump_ids else ""),
            round(s.data_added / 1024),
        )
        for s in sized
    )
    rows = [
        dataclasses.replace(row, css="act") if snap.tool_id in status.jump_ids else row
        for row, snap in zip(rows, sized, strict=True)
    ]
    return {
        "rows": rows,
        "height": chart_height(rows),
        "chart_id": "chart-data-added",
        "title": _("Data added per backup (KiB)"),
    }


def _detail(
    request: HttpRequest,
    access: OrgAccess,
    backup_set: BackupSet,
    *,
    upload_form: UploadForm | None = None,
    restore_form: RestoreTestForm | None = None,
    status_code: int = 200,
) -> HttpResponse:
    status = status_of(backup_set, timezone.now())
    snapshots = list(backup_set.snapshots.all()[:HISTORY_ROWS])
    return render(
        request,
        "backups/set_detail.html",
        {
            "access": access,
            "set": backup_set,
            "status": status,
            "problems": [finding_text(f) for f in status.findings],
            "snapshots": snapshots,
            "jump_ids": status.jump_ids,
            "checks": list(backup_set.checks.all()[:HISTORY_ROWS]),
            "restore_tests": list(backup_set.restore_tests.select_related("recorded_by")[:50]),
            "assets": list(backup_set.assets.order_by("name")[:100]),
            "chart": _chart(status, snapshots),
            "may_manage": access.can(Cap.MANAGE_BACKUPS),
            "upload_form": upload_form or UploadForm(),
            "restore_form": restore_form or RestoreTestForm(),
            "max_mb": actions.MAX_STATUS_BYTES // (1024 * 1024),
        },
        status=status_code,
    )


@login_required
@require_GET
def set_detail(request: HttpRequest, org: str, set_id: int) -> HttpResponse:
    access = _access(request, org)
    return _detail(request, access, get_set(access, set_id))


@login_required
@require_POST
def set_upload(request: HttpRequest, org: str, set_id: int) -> HttpResponse:
    access = _access(request, org, Cap.MANAGE_BACKUPS)
    backup_set = get_set(access, set_id)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _detail(request, access, backup_set, upload_form=form, status_code=400)
    upload = form.cleaned_data["file"]
    name = str(upload.name)[:200]
    if upload.size > actions.MAX_STATUS_BYTES:
        form.add_error(
            "file",
            parse_error_text(ParseError("too_large", limit=actions.MAX_STATUS_BYTES), name),
        )
        return _detail(request, access, backup_set, upload_form=form, status_code=400)
    try:
        done = actions.ingest(
            access,
            backup_set,
            upload.read(actions.MAX_STATUS_BYTES + 1),
            kind=form.cleaned_data["kind"],
            exit_code=form.cleaned_data["exit_code"],
            source=Source.UPLOAD,
            file_name=name,
            request=request,
        )
    except ParseError as error:
        form.add_error("file", parse_error_text(error, name))
        return _detail(request, access, backup_set, upload_form=form, status_code=400)
    messages.success(
        request,
        _(
            "%(file)s read: %(new)s new snapshots, %(known)s already known, %(checks)s "
            "integrity checks."
        )
        % {
            "file": name,
            "new": done.snapshots_new,
            "known": done.snapshots_known,
            "checks": done.checks,
        },
    )
    return redirect("backups:detail", org=org, set_id=backup_set.pk)


@login_required
@require_POST
def restore_test_add(request: HttpRequest, org: str, set_id: int) -> HttpResponse:
    access = _access(request, org, Cap.MANAGE_BACKUPS)
    backup_set = get_set(access, set_id)
    form = RestoreTestForm(request.POST)
    if not form.is_valid():
        return _detail(request, access, backup_set, restore_form=form, status_code=400)
    data = form.cleaned_data
    actions.record_restore_test(
        access,
        backup_set,
        tested_on=data["tested_on"],
        duration_minutes=data["duration_minutes"],
        result=data["result"],
        restored=data["restored"],
        performed_by=data["performed_by"],
        request=request,
    )
    messages.success(request, _("Restore test recorded."))
    return redirect("backups:detail", org=org, set_id=backup_set.pk)
