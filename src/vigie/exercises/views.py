"""Exercise pages: the list, the exercise (scenario, people, injects, live log, RETEX,
actions), the actions across exercises, and the PDF report. Views stay thin: every change
goes through `actions`, every read through its scoped helpers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from vigie.exercises import actions
from vigie.exercises.forms import (
    ActionForm,
    CloseActionForm,
    ExerciseForm,
    InjectForm,
    LessonForm,
    NewExerciseForm,
    ObservationForm,
    ParticipantForm,
)
from vigie.exercises.models import (
    ActionStatus,
    Exercise,
    ExerciseAction,
    LessonKind,
    ParticipantRole,
    Status,
)
from vigie.exercises.refusals import refusal_message
from vigie.exercises.report_pdf import pdf_filename, render_pdf
from vigie.tenancy.access import OrgAccess, org_access
from vigie.tenancy.roles import Cap, OrgKind

YEAR = timedelta(days=365)


def _access(request: HttpRequest, org: str, capability: str = Cap.VIEW) -> OrgAccess:
    """Establishment pages only: a centre gets 404, as for a page that does not exist."""
    access = org_access(request.user, org)
    if access.organisation.kind != OrgKind.ESTABLISHMENT:
        raise Http404("exercises")
    access.require(capability)
    return access


def _exercise(access: OrgAccess, exercise_id: int) -> Exercise:
    exercise = (
        actions.exercises_of(access)
        .select_related("organisation", "created_by")
        .filter(pk=exercise_id)
        .first()
    )
    if exercise is None:
        raise Http404("exercise")
    return exercise


def _refused(request: HttpRequest, refused: actions.ExerciseRefused) -> None:
    messages.error(request, refusal_message(refused))


def _form_errors(request: HttpRequest, form: Any, intro: str) -> None:
    details = "; ".join(
        f"{form.fields[name].label if name in form.fields else ''}: {' '.join(errors)}".lstrip(": ")
        for name, errors in form.errors.items()
    )
    messages.error(request, f"{intro} {details}")


def _detail(org: str, exercise: Exercise, anchor: str = "") -> HttpResponse:
    url = f"/o/{org}/exercises/{exercise.pk}/"
    return redirect(f"{url}#{anchor}" if anchor else url)


def yearly_status(access: OrgAccess) -> dict[str, Any]:
    """The last exercise done and whether the yearly one is due."""
    last = (
        actions.exercises_of(access)
        .filter(status=Status.DONE, ended_at__isnull=False)
        .order_by("-ended_at")
        .first()
    )
    now = timezone.now()
    return {
        "last": last,
        "due": last is None or last.ended_at is None or last.ended_at < now - YEAR,
    }


@login_required
@require_GET
def exercise_list(request: HttpRequest, org: str) -> HttpResponse:
    access = _access(request, org)
    rows = list(actions.exercises_of(access).order_by("-planned_for", "-pk")[:500])
    groups = [
        (Status.RUNNING, _("Running"), [e for e in rows if e.status == Status.RUNNING]),
        (Status.PLANNED, _("Planned"), [e for e in rows if e.status == Status.PLANNED]),
        (Status.DONE, _("Done"), [e for e in rows if e.status == Status.DONE]),
    ]
    today = timezone.localdate()
    open_actions = actions.actions_of(access).filter(status=ActionStatus.OPEN)
    return render(
        request,
        "exercises/exercise_list.html",
        {
            "access": access,
            "groups": groups,
            "yearly": yearly_status(access),
            "may_run": access.can(Cap.RUN_EXERCISES),
            "open_actions": open_actions.count(),
            "overdue_actions": open_actions.filter(due_on__lt=today).count(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def exercise_new(request: HttpRequest, org: str) -> HttpResponse:
    access = _access(request, org, Cap.RUN_EXERCISES)
    initial: dict[str, Any] = {"planned_for": timezone.localdate() + timedelta(days=30)}
    if request.method == "GET" and request.GET.get("template"):
        initial["template"] = request.GET["template"]
    form = NewExerciseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            exercise = actions.create_exercise(
                access,
                title=data["title"],
                kind=data["kind"],
                planned_for=data["planned_for"],
                scenario=data["scenario"],
                objectives=data["objectives"],
                template=data["template"],
                request=request,
            )
        except actions.ExerciseRefused as refused:
            _refused(request, refused)
        else:
            messages.success(request, _("Exercise created."))
            return _detail(org, exercise)
    return render(
        request, "exercises/exercise_form.html", {"access": access, "form": form, "exercise": None}
    )


@login_required
@require_http_methods(["GET", "POST"])
def exercise_edit(request: HttpRequest, org: str, exercise_id: int) -> HttpResponse:
    access = _access(request, org, Cap.RUN_EXERCISES)
    exercise = _exercise(access, exercise_id)
    form = ExerciseForm(request.POST or None, instance=exercise)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in actions.EDITABLE}
        try:
            changed = actions.update_exercise(
                access, Exercise.objects.get(pk=exercise.pk), values, request=request
            )
        except actions.ExerciseRefused as refused:
            _refused(request, refused)
        else:
            messages.success(
                request, _("Exercise saved.") if changed else _("Nothing was changed.")
            )
            return _detail(org, exercise)
    return render(
        request,
        "exercises/exercise_form.html",
        {"access": access, "form": form, "exercise": exercise},
    )


@login_required
@require_GET
def exercise_detail(request: HttpRequest, org: str, exercise_id: int) -> HttpResponse:
    access = _access(request, org)
    exercise = _exercise(access, exercise_id)
    participants = list(exercise.participants.select_related("membership__user"))
    injects = list(exercise.injects.all())
    lessons = list(exercise.lessons.all())
    today = timezone.localdate()
    rows = list(exercise.actions.select_related("owner__user", "closed_by"))
    may_run = access.can(Cap.RUN_EXERCISES)
    return render(
        request,
        "exercises/exercise_detail.html",
        {
            "access": access,
            "exercise": exercise,
            "may_run": may_run,
            "may_observe": actions.may_observe(access, exercise),
            "roles": [
                (label, [p for p in participants if p.role == value])
                for value, label in ParticipantRole.choices
            ],
            "injects": injects,
            "observations": list(exercise.observations.select_related("author", "inject")),
            "went_well": [lesson for lesson in lessons if lesson.kind == LessonKind.WENT_WELL],
            "to_improve": [lesson for lesson in lessons if lesson.kind == LessonKind.TO_IMPROVE],
            "actions": [
                {
                    "action": a,
                    "overdue": a.status == ActionStatus.OPEN and a.due_on < today,
                    "may_close": a.status == ActionStatus.OPEN and actions.may_close(access, a),
                }
                for a in rows
            ],
            "participant_form": ParticipantForm(organisation=access.organisation, prefix="p"),
            "inject_form": InjectForm(prefix="i"),
            "observation_form": ObservationForm(injects=injects, prefix="o"),
            "lesson_form": LessonForm(prefix="l"),
            "action_form": ActionForm(organisation=access.organisation, prefix="a"),
            "close_form": CloseActionForm(),
        },
    )


def _change(request: HttpRequest, org: str, exercise_id: int) -> tuple[OrgAccess, Exercise]:
    access = _access(request, org, Cap.RUN_EXERCISES)
    return access, _exercise(access, exercise_id)


@login_required
@require_POST
def exercise_start(request: HttpRequest, org: str, exercise_id: int) -> HttpResponse:
    access, exercise = _change(request, org, exercise_id)
    try:
        actions.start_exercise(access, exercise, request=request)
    except actions.ExerciseRefused as refused:
        _refused(request, refused)
    else:
        messages.success(request, _("The exercise has started: deliver the injects as it goes."))
    return _detail(org, exercise)


@login_required
@require_POST
def exercise_end(request: HttpRequest, org: str, exercise_id: int) -> HttpResponse:
    access, exercise = _change(request, org, exercise_id)
    try:
        actions.end_exercise(access, exercise, request=request)
    except actions.ExerciseRefused as refused:
        _refused(request, refused)
    else:
        messages.success(request, _("The exercise is over: write the lessons learned."))
    return _detail(org, exercise, "lessons")


@login_required
@require_POST
def inject_add(request: HttpRequest, org: str, exercise_id: int) -> HttpResponse:
    access, exercise = _change(request, org, exercise_id)
    form = InjectForm(request.POST, prefix="i")
    if not form.is_valid():
        _form_errors(request, form, _("The inject was not added."))
    else:
        data = form.cleaned_data
        try:
            actions.add_inject(
                access,
                exercise,
                offset_minutes=data["offset_minutes"],
                title=data["title"],
                channel=data["channel"],
                content=data["content"],
                expected_reaction=data["expected_reaction"],
            )
        except actions.ExerciseRefused as refused:
            _refused(request, refused)
    return _detail(org, exercise, "injects")


@login_required
@require_POST
def inject_deliver(
    request: HttpRequest, org: str, exercise_id: int, inject_id: int
) -> HttpResponse:
    access, exercise = _change(request, org, exercise_id)
    try:
        actions.deliver_inject(access, exercise, inject_id)
    except actions.ExerciseRefused as refused:
        _refused(request, refused)
    return _detail(org, exercise, f"inject-{inject_id}")


@login_required
@require_POST
def participant_add(request: HttpRequest, org: str, exercise_id: int) -> HttpResponse:
    access, exercise = _change(request, org, exercise_id)
    form = ParticipantForm(request.POST, organisation=access.organisation, prefix="p")
    if not form.is_valid():
        _form_errors(request, form, _("The participant was not added."))
    else:
        data = form.cleaned_data
        try:
            actions.add_participant(
                access,
                exercise,
                role=data["role"],
                membership_id=data["member"],
                name=data["name"],
                function=data["function"],
            )
        except actions.ExerciseRefused as refused:
            _refused(request, refused)
    return _detail(org, exercise, "participants")


@login_required
@require_POST
def observation_add(request: HttpRequest, org: str, exercise_id: int) -> HttpResponse:
    access = _access(request, org)
    exercise = _exercise(access, exercise_id)
    if not actions.may_observe(access, exercise):
        raise PermissionDenied("exercise")
    form = ObservationForm(request.POST, injects=list(exercise.injects.all()), prefix="o")
    if not form.is_valid():
        _form_errors(request, form, _("Nothing was logged."))
    else:
        data = form.cleaned_data
        try:
            actions.add_observation(
                access,
                exercise,
                text=data["text"],
                kind=data["kind"],
                inject_id=data["inject"],
                at=data["at"],
            )
        except actions.ExerciseRefused as refused:
            _refused(request, refused)
        else:
            messages.success(request, _("Logged."))
    return _detail(org, exercise, "observations")


@login_required
@require_POST
def lesson_add(request: HttpRequest, org: str, exercise_id: int) -> HttpResponse:
    access, exercise = _change(request, org, exercise_id)
    form = LessonForm(request.POST, prefix="l")
    if not form.is_valid():
        _form_errors(request, form, _("The lesson was not added."))
    else:
        try:
            actions.add_lesson(
                access, exercise, kind=form.cleaned_data["kind"], text=form.cleaned_data["text"]
            )
        except actions.ExerciseRefused as refused:
            _refused(request, refused)
    return _detail(org, exercise, "lessons")


@login_required
@require_POST
def action_add(request: HttpRequest, org: str, exercise_id: int) -> HttpResponse:
    access, exercise = _change(request, org, exercise_id)
    form = ActionForm(request.POST, organisation=access.organisation, prefix="a")
    if not form.is_valid():
        _form_errors(request, form, _("The action was not added."))
    else:
        data = form.cleaned_data
        try:
            actions.add_action(
                access,
                exercise,
                title=data["title"],
                due_on=data["due_on"],
                owner_id=data["owner"],
                owner_name=data["owner_name"],
                request=request,
            )
        except actions.ExerciseRefused as refused:
            _refused(request, refused)
        else:
            messages.success(request, _("Action added."))
    return _detail(org, exercise, "actions")


@login_required
@require_POST
def action_close(request: HttpRequest, org: str, exercise_id: int, action_id: int) -> HttpResponse:
    access = _access(request, org)
    exercise = _exercise(access, exercise_id)
    action = (
        ExerciseAction.objects.filter(exercise=exercise, pk=action_id)
        .select_related("exercise", "owner")
        .first()
    )
    if action is None:
        raise Http404("action")
    if not actions.may_close(access, action):
        raise PermissionDenied("action")
    form = CloseActionForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form, _("The action was not closed."))
    else:
        try:
            actions.close_action(access, action, note=form.cleaned_data["note"], request=request)
        except actions.ExerciseRefused as refused:
            _refused(request, refused)
        else:
            messages.success(request, _("Action closed."))
    if request.POST.get("next") == "actions":
        return redirect("exercises:actions", org=org)
    return _detail(org, exercise, "actions")


@login_required
@require_GET
def action_list(request: HttpRequest, org: str) -> HttpResponse:
    access = _access(request, org)
    today = timezone.localdate()
    rows = (
        actions.actions_of(access)
        .select_related("exercise", "owner__user", "closed_by")
        .annotate(
            open_first=Case(
                When(status=ActionStatus.OPEN, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("open_first", "due_on", "pk")[:1000]
    )
    items: list[dict[str, Any]] = [
        {
            "action": a,
            "overdue": a.status == ActionStatus.OPEN and a.due_on < today,
            "may_close": a.status == ActionStatus.OPEN and actions.may_close(access, a),
        }
        for a in rows
    ]
    return render(
        request,
        "exercises/action_list.html",
        {
            "access": access,
            "items": items,
            "close_form": CloseActionForm(),
            "open_count": sum(1 for i in items if i["action"].status == ActionStatus.OPEN),
            "overdue_count": sum(1 for i in items if i["overdue"]),
        },
    )


@login_required
@require_GET
def exercise_report(request: HttpRequest, org: str, exercise_id: int) -> HttpResponse:
    access = _access(request, org)
    exercise = _exercise(access, exercise_id)
    language = (get_language() or "fr")[:2]
    if language not in ("fr", "en"):
        language = "fr"
    zone = timezone.get_current_timezone_name()
    pdf = render_pdf(exercise, language=language, time_zone=zone)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{pdf_filename(exercise)}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
