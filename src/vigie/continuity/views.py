"""Continuity pages: the index (units × plan status), the care units, a unit's plan (detail,
edit with its rows, mark reviewed) and the printable PDFs. Views stay thin: every change goes
through `actions`, every read is scoped to the establishment of the access."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from vigie.continuity import actions
from vigie.continuity.actions import ContinuityRefused
from vigie.continuity.forms import ROW_FORMS, MemberUnitForm, PlanForm, RowForm, UnitForm
from vigie.continuity.models import ContinuityPlan
from vigie.continuity.plan_pdf import pdf_filename, render_plans
from vigie.continuity.status import MISSING, OVERDUE, unit_statuses
from vigie.intel.refusal import Refused
from vigie.tenancy.access import OrgAccess, org_access
from vigie.tenancy.models import CareUnit, Membership
from vigie.tenancy.roles import Cap, OrgKind

ROW_TITLES = {
    "contacts": gettext_lazy("Who to call"),
    "forms": gettext_lazy("Paper forms"),
    "processes": gettext_lazy("Critical processes"),
    "aid": gettext_lazy("Mutual aid"),
}


def refusal_message(refused: Refused) -> str:
    params = refused.params
    texts = {
        "not_allowed": _("Your role does not allow this."),
        "not_establishment": _("Continuity plans belong to establishments."),
        "duplicate_unit": _("A care unit named “%(name)s” already exists.")
        % {"name": params.get("name", "")},
        "unknown_unit": _("This care unit is not one of your establishment's."),
        "unknown_member": _("This person is not a member of your establishment."),
        "unknown_row": _("This line is not part of the plan."),
        "too_many_rows": _(
            "This section holds at most %(limit)s lines, so that the plan fits one printed page."
        )
        % {"limit": params.get("limit", 0)},
        "no_plan": _("This care unit has no plan yet."),
    }
    return texts.get(refused.code, _("The change was refused."))


def _access(request: HttpRequest, org: str, capability: str = Cap.VIEW) -> OrgAccess:
    """The access to an establishment's continuity pages: 404 for a centre."""
    access = org_access(request.user, org)
    if access.organisation.kind != OrgKind.ESTABLISHMENT:
        raise Http404("continuity")
    access.require(capability)
    return access


def _unit(access: OrgAccess, unit_id: int) -> CareUnit:
    unit = CareUnit.objects.filter(organisation=access.organisation, pk=unit_id).first()
    if unit is None:
        raise Http404("care unit")
    return unit


def _plan_of(unit: CareUnit) -> ContinuityPlan | None:
    return (
        ContinuityPlan.objects.filter(care_unit=unit)
        .select_related("reviewed_by", "care_unit")
        .prefetch_related("contacts", "paper_forms", "processes", "mutual_aid")
        .first()
    )


@login_required
@require_GET
def index(request: HttpRequest, org: str) -> HttpResponse:
    access = _access(request, org)
    rows = unit_statuses(access.organisation, timezone.localdate())
    return render(
        request,
        "continuity/index.html",
        {
            "access": access,
            "rows": rows,
            "missing": sum(1 for r in rows if r.status == MISSING),
            "overdue": sum(1 for r in rows if r.status == OVERDUE),
            "may_manage": access.can(Cap.MANAGE_CONTINUITY),
        },
    )


def _members(access: OrgAccess) -> list[Membership]:
    return list(
        Membership.objects.filter(organisation=access.organisation, user__is_active=True)
        .select_related("user", "care_unit")
        .order_by("user__last_name", "user__username")
    )


def _units_page(
    request: HttpRequest,
    access: OrgAccess,
    *,
    unit_form: UnitForm | None = None,
    rename_form: UnitForm | None = None,
    rename_id: int | None = None,
    member_form: MemberUnitForm | None = None,
    status: int = 200,
) -> HttpResponse:
    units = list(CareUnit.objects.filter(organisation=access.organisation).order_by("name"))
    members = _members(access)
    rows = [
        {
            "status": row,
            "rename": (
                rename_form
                if rename_form is not None and rename_id == row.unit.pk
                else UnitForm(instance=row.unit, prefix=f"unit{row.unit.pk}")
            ),
        }
        for row in unit_statuses(access.organisation, timezone.localdate())
    ]
    may_assign = access.can(Cap.MANAGE_CONTINUITY) or access.can(Cap.MANAGE_MEMBERS)
    return render(
        request,
        "continuity/units.html",
        {
            "access": access,
            "rows": rows,
            "members": members,
            "unit_form": unit_form or UnitForm(),
            "member_form": member_form or MemberUnitForm(members=members, units=units),
            "may_manage": access.can(Cap.MANAGE_CONTINUITY),
            "may_assign": may_assign,
        },
        status=status,
    )


@login_required
@require_GET
def units(request: HttpRequest, org: str) -> HttpResponse:
    return _units_page(request, _access(request, org))


@login_required
@require_POST
def unit_save(request: HttpRequest, org: str, unit_id: int | None = None) -> HttpResponse:
    access = _access(request, org, Cap.MANAGE_CONTINUITY)
    instance = _unit(access, unit_id) if unit_id is not None else None
    form = UnitForm(request.POST, prefix=f"unit{unit_id}" if unit_id else None)
    failed: dict[str, Any] = (
        {"rename_form": form, "rename_id": unit_id} if unit_id else {"unit_form": form}
    )
    if not form.is_valid():
        return _units_page(request, access, status=400, **failed)
    try:
        unit = actions.save_unit(
            access,
            form.cleaned_data["name"],
            form.cleaned_data.get("code", ""),
            unit_id=instance.pk if instance is not None else None,
            request=request,
        )
    except ContinuityRefused as refused:
        form.add_error("name", refusal_message(refused))
        return _units_page(request, access, status=400, **failed)
    messages.success(
        request,
        (_("Care unit “%(name)s” renamed.") if instance else _("Care unit “%(name)s” created."))
        % {"name": unit.name},
    )
    return redirect("continuity:units", org=org)


@login_required
@require_POST
def member_unit(request: HttpRequest, org: str) -> HttpResponse:
    access = _access(request, org)
    if not (access.can(Cap.MANAGE_CONTINUITY) or access.can(Cap.MANAGE_MEMBERS)):
        access.require(Cap.MANAGE_CONTINUITY)
    units_ = list(CareUnit.objects.filter(organisation=access.organisation))
    form = MemberUnitForm(request.POST, members=_members(access), units=units_)
    if not form.is_valid():
        return _units_page(request, access, member_form=form, status=400)
    membership = actions.set_member_unit(
        access, form.cleaned_data["membership"], form.cleaned_data["unit"], request=request
    )
    unit = membership.care_unit
    messages.success(
        request,
        _("%(person)s is now in %(unit)s.")
        % {
            "person": membership.user.get_full_name() or membership.user.get_username(),
            "unit": unit.name if unit is not None else _("no care unit"),
        },
    )
    return redirect("continuity:units", org=org)


@login_required
@require_GET
def plan_detail(request: HttpRequest, org: str, unit_id: int) -> HttpResponse:
    access = _access(request, org)
    unit = _unit(access, unit_id)
    plan = _plan_of(unit)
    today = timezone.localdate()
    return render(
        request,
        "continuity/plan_detail.html",
        {
            "access": access,
            "unit": unit,
            "plan": plan,
            "overdue": plan is not None and plan.review_overdue(today),
            "may_manage": access.can(Cap.MANAGE_CONTINUITY),
        },
    )


def _edit_page(
    request: HttpRequest,
    access: OrgAccess,
    unit: CareUnit,
    *,
    plan_form: PlanForm | None = None,
    failed: RowForm | None = None,
    failed_kind: str = "",
    status: int = 200,
) -> HttpResponse:
    plan = _plan_of(unit)
    row_forms = {kind: form_class() for kind, form_class in ROW_FORMS.items()}
    if failed is not None:
        row_forms[failed_kind] = failed
    rows = {
        "contacts": list(plan.contacts.all()) if plan else [],
        "forms": list(plan.paper_forms.all()) if plan else [],
        "processes": list(plan.processes.all()) if plan else [],
        "aid": list(plan.mutual_aid.all()) if plan else [],
    }
    sections = [
        {
            "kind": kind,
            "title": ROW_TITLES[kind],
            "form": row_forms[kind],
            "rows": rows[kind],
            "limit": actions.ROW_LIMITS[kind],
        }
        for kind in ROW_FORMS
    ]
    return render(
        request,
        "continuity/plan_form.html",
        {
            "access": access,
            "unit": unit,
            "plan": plan,
            "form": plan_form or PlanForm(instance=plan),
            "sections": sections,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, org: str, unit_id: int) -> HttpResponse:
    access = _access(request, org, Cap.MANAGE_CONTINUITY)
    unit = _unit(access, unit_id)
    if request.method != "POST":
        return _edit_page(request, access, unit)
    form = PlanForm(request.POST, instance=_plan_of(unit))
    if not form.is_valid():
        return _edit_page(request, access, unit, plan_form=form, status=400)
    actions.save_plan(access, unit.pk, form.values(), request=request)
    messages.success(request, _("Plan of %(unit)s saved.") % {"unit": unit.name})
    return redirect("continuity:plan_edit", org=org, unit_id=unit.pk)


@login_required
@require_POST
def row_add(request: HttpRequest, org: str, unit_id: int, kind: str) -> HttpResponse:
    access = _access(request, org, Cap.MANAGE_CONTINUITY)
    unit = _unit(access, unit_id)
    form_class = ROW_FORMS.get(kind)
    if form_class is None:
        raise Http404("section")
    form = form_class(request.POST)
    if not form.is_valid():
        return _edit_page(request, access, unit, failed=form, failed_kind=kind, status=400)
    try:
        actions.add_row(access, unit.pk, kind, form.values(), request=request)
    except ContinuityRefused as refused:
        form.add_error(None, refusal_message(refused))
        return _edit_page(request, access, unit, failed=form, failed_kind=kind, status=400)
    messages.success(request, _("Line added."))
    return redirect(f"{_edit_url(org, unit.pk)}#section-{kind}")


def _edit_url(org: str, unit_id: int) -> str:
    return reverse("continuity:plan_edit", kwargs={"org": org, "unit_id": unit_id})


@login_required
@require_POST
def row_delete(
    request: HttpRequest, org: str, unit_id: int, kind: str, row_id: int
) -> HttpResponse:
    access = _access(request, org, Cap.MANAGE_CONTINUITY)
    unit = _unit(access, unit_id)
    if kind not in ROW_FORMS:
        raise Http404("section")
    try:
        actions.delete_row(access, unit.pk, kind, row_id, request=request)
    except ContinuityRefused as refused:
        if refused.code in ("unknown_row", "no_plan"):
            raise Http404("row") from refused
        raise
    messages.success(request, _("Line deleted."))
    return redirect(f"{_edit_url(org, unit.pk)}#section-{kind}")


@login_required
@require_POST
def plan_reviewed(request: HttpRequest, org: str, unit_id: int) -> HttpResponse:
    access = _access(request, org, Cap.MANAGE_CONTINUITY)
    unit = _unit(access, unit_id)
    try:
        plan = actions.mark_reviewed(access, unit.pk, request=request)
    except ContinuityRefused as refused:
        messages.error(request, refusal_message(refused))
        return redirect("continuity:plan", org=org, unit_id=unit.pk)
    messages.success(
        request,
        _("Plan of %(unit)s marked reviewed; next review due on %(due)s.")
        % {"unit": unit.name, "due": date_format(plan.next_review_due)},
    )
    return redirect("continuity:plan", org=org, unit_id=unit.pk)


def _pdf(
    request: HttpRequest, access: OrgAccess, units_: list[CareUnit], name: str
) -> HttpResponse:
    user: Any = request.user
    pdf = render_plans(
        access.organisation,
        units_,
        language=get_language() or settings.LANGUAGE_CODE,
        time_zone=getattr(user, "time_zone", "") or settings.TIME_ZONE,
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@login_required
@require_GET
def plan_pdf(request: HttpRequest, org: str, unit_id: int) -> HttpResponse:
    access = _access(request, org)
    unit = _unit(access, unit_id)
    return _pdf(request, access, [unit], pdf_filename(access.organisation, unit))


@login_required
@require_GET
def all_pdf(request: HttpRequest, org: str) -> HttpResponse:
    access = _access(request, org)
    units_ = list(CareUnit.objects.filter(organisation=access.organisation).order_by("name"))
    return _pdf(request, access, units_, pdf_filename(access.organisation))
