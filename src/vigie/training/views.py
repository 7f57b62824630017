"""Training pages: my training and the catalogue, a module with its quiz, a result, and for the
establishment's managers, assignments and their results. Establishment pages only (a centre
gets 404). Views stay thin: changes go through `actions`, reads through `progress`."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from vigie.core.charts import shares, shares_height
from vigie.intel.refusal import Refused
from vigie.tenancy.access import OrgAccess, org_access
from vigie.tenancy.models import Membership
from vigie.tenancy.roles import Cap, OrgKind, Role
from vigie.training import actions
from vigie.training.forms import AssignmentForm, QuizForm
from vigie.training.models import Assignment, Completion, TrainingModule
from vigie.training.progress import assignments_for, group, standings, visible_modules
from vigie.training.refusals import refusal_message
from vigie.training.rendering import render_markdown
from vigie.training.sync import ensure_catalogue


def _access(request: HttpRequest, org: str, capability: str = Cap.VIEW) -> OrgAccess:
    access = org_access(request.user, org, capability)
    if access.organisation.kind != OrgKind.ESTABLISHMENT:
        raise Http404("training")
    return access


def _may_read_results(access: OrgAccess) -> bool:
    return access.can(Cap.MANAGE_TRAINING) or access.can(Cap.VIEW_AUDIT)


def _module(access: OrgAccess, module_id: int) -> TrainingModule:
    module = visible_modules(access.organisation).filter(pk=module_id).first()
    if module is None:
        raise Http404("module")
    return module


def _assignment(access: OrgAccess, assignment_id: int) -> Assignment:
    assignment = (
        Assignment.objects.filter(organisation=access.organisation, pk=assignment_id)
        .select_related("module", "organisation")
        .prefetch_related("care_units")
        .first()
    )
    if assignment is None:
        raise Http404("assignment")
    return assignment


def _mine(access: OrgAccess) -> dict[int, dict[str, Any]]:
    """Per module: my best score, whether I passed, my last completion."""
    result: dict[int, dict[str, Any]] = {}
    for row in Completion.objects.filter(
        organisation=access.organisation, user=access.user
    ).order_by("completed_at", "pk"):
        mine = result.setdefault(row.module_id, {"best": 0, "passed": False, "last": None})
        mine["best"] = max(mine["best"], row.score)
        mine["passed"] = mine["passed"] or row.passed
        mine["last"] = row
    return result


def _role_label(value: str) -> str:
    return str(dict(Role.choices).get(value, value))


@login_required
@require_GET
def index(request: HttpRequest, org: str) -> HttpResponse:
    access = _access(request, org)
    ensure_catalogue()
    today = timezone.localdate()
    mine = _mine(access)
    assigned = []
    for assignment in assignments_for(access.membership):
        state = mine.get(assignment.module_id, {})
        done = bool(state.get("passed"))
        assigned.append(
            {
                "assignment": assignment,
                "done": done,
                "overdue": not done and assignment.due_on < today,
                "best": state.get("best") if state else None,
            }
        )
    catalogue = [
        {"module": module, "mine": mine.get(module.pk)}
        for module in visible_modules(access.organisation)
    ]
    managed = []
    if _may_read_results(access):
        now = timezone.now()
        recent = (
            Assignment.objects.filter(organisation=access.organisation)
            .select_related("module")
            .prefetch_related("care_units")[:50]
        )
        for assignment in recent:
            rows = standings(assignment, now)
            managed.append(
                {
                    "assignment": assignment,
                    "assigned": len(rows),
                    "done": sum(1 for r in rows if r.done),
                    "overdue": sum(1 for r in rows if r.overdue),
                    "roles": [_role_label(r) for r in assignment.roles],
                }
            )
    return render(
        request,
        "training/index.html",
        {
            "access": access,
            "assigned": assigned,
            "catalogue": catalogue,
            "managed": managed,
            "may_manage": access.can(Cap.MANAGE_TRAINING),
            "may_read_results": _may_read_results(access),
        },
    )


def _module_page(
    request: HttpRequest, access: OrgAccess, module: TrainingModule, form: QuizForm
) -> HttpResponse:
    text = module.text()
    last = (
        Completion.objects.filter(organisation=access.organisation, user=access.user, module=module)
        .order_by("-completed_at", "-pk")
        .first()
    )
    return render(
        request,
        "training/module.html",
        {
            "access": access,
            "module": module,
            "body": render_markdown(text.get("body", "")),
            "form": form,
            "groups": form.groups(),
            "last": last,
        },
    )


@login_required
@require_GET
def module_detail(request: HttpRequest, org: str, module_id: int) -> HttpResponse:
    access = _access(request, org)
    module = _module(access, module_id)
    return _module_page(request, access, module, QuizForm(module=module))


@login_required
@require_POST
def module_answer(request: HttpRequest, org: str, module_id: int) -> HttpResponse:
    access = _access(request, org)
    module = _module(access, module_id)
    form = QuizForm(request.POST, module=module)
    if form.is_valid():
        try:
            taken = actions.complete(
                access,
                module,
                form.answers(),
                version=form.cleaned_data["version"],
                request=request,
            )
        except Refused as refused:
            form.add_error(None, refusal_message(refused))
        else:
            if taken.scored.passed:
                messages.success(request, _("Well done: you passed this module."))
            else:
                messages.warning(
                    request, _("Not passed this time: read the explanations, then try again.")
                )
            return redirect("training:result", org=org, completion_id=taken.completion.pk)
    return _module_page(request, access, module, form)


@login_required
@require_GET
def completion_detail(request: HttpRequest, org: str, completion_id: int) -> HttpResponse:
    access = _access(request, org)
    completion = (
        Completion.objects.filter(
            organisation=access.organisation, user=access.user, pk=completion_id
        )
        .select_related("module")
        .first()
    )
    if completion is None:
        raise Http404("completion")
    module = completion.module
    questions = []
    for question in module.questions:
        given = set(completion.answers.get(question["id"], []))
        correct = {c["id"] for c in question["choices"] if c.get("correct")}
        questions.append(
            {
                "question": question,
                "right": given == correct,
                "choices": [
                    {"choice": c, "given": c["id"] in given, "correct": c["id"] in correct}
                    for c in question["choices"]
                ],
            }
        )
    return render(
        request,
        "training/result.html",
        {
            "access": access,
            "completion": completion,
            "module": module,
            "questions": questions,
            "changed": completion.module_version != module.version,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def assignment_new(request: HttpRequest, org: str) -> HttpResponse:
    access = _access(request, org, Cap.MANAGE_TRAINING)
    ensure_catalogue()
    initial: dict[str, Any] = {}
    wanted = request.GET.get("module", "")
    if wanted.isdigit():
        initial["module"] = int(wanted)
    form = AssignmentForm(request.POST or None, organisation=access.organisation, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            assignment = actions.assign(
                access,
                module=form.cleaned_data["module"],
                roles=form.cleaned_data["roles"],
                care_units=list(form.cleaned_data["care_units"]),
                due_on=form.cleaned_data["due_on"],
                request=request,
            )
        except Refused as refused:
            form.add_error(None, refusal_message(refused))
        else:
            told = assignment.notices.count()
            messages.success(
                request,
                _("Module assigned: %(count)s people were told by e-mail.") % {"count": told},
            )
            return redirect("training:assignment", org=org, assignment_id=assignment.pk)
    return render(request, "training/assignment_form.html", {"access": access, "form": form})


def _share_rows(groups: list[Any]) -> list[Any]:
    return shares((g.label, g.done, g.assigned) for g in groups)


@login_required
@require_GET
def assignment_detail(request: HttpRequest, org: str, assignment_id: int) -> HttpResponse:
    access = _access(request, org)
    if not _may_read_results(access):
        raise PermissionDenied("training results")
    assignment = _assignment(access, assignment_id)
    now = timezone.now()
    rows = standings(assignment, now)
    no_unit = _("No care unit")
    by_unit = group(
        ((r.membership.care_unit.name if r.membership.care_unit else no_unit), r) for r in rows
    )
    by_role = group((_role_label(r.membership.role), r) for r in rows)
    total = group(("", r) for r in rows)
    unit_rows = _share_rows(by_unit)
    # Names only to the managers of this establishment, and only of who is late: to follow up.
    overdue = [r for r in rows if r.overdue] if access.can(Cap.MANAGE_TRAINING) else []
    return render(
        request,
        "training/assignment_detail.html",
        {
            "access": access,
            "assignment": assignment,
            "roles": [_role_label(r) for r in assignment.roles],
            "units": list(assignment.care_units.all()),
            "by_unit": by_unit,
            "by_role": by_role,
            "total": total[0] if total else None,
            "unit_rows": unit_rows,
            "unit_height": shares_height(unit_rows),
            "overdue": overdue,
            "show_names": access.can(Cap.MANAGE_TRAINING),
            "late": assignment.due_on < timezone.localdate(now),
        },
    )


def member_label(membership: Membership) -> str:
    user = membership.user
    return str(user.get_full_name() or user.get_username())
