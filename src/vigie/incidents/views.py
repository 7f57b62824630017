"""Incident pages: the list, the declaration form, the case (clocks, tasks, timeline,
evidence, reports), and the GDPR breach register. Views stay thin: every change goes
through `actions`, every read through `visibility`."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from vigie.audit.log import record as audit
from vigie.audit.models import Action
from vigie.core.paging import Key, keyset_page
from vigie.incidents import actions, reports
from vigie.incidents.deadlines import OWED, clocks_of, outlook_of
from vigie.incidents.forms import (
    SECTIONS,
    EntryForm,
    EvidenceForm,
    IncidentForm,
    PhaseForm,
    ShareForm,
    SubmissionForm,
    TaskForm,
    TriageForm,
)
from vigie.incidents.labels import CHANNELS, OBLIGATIONS, STATUSES, step_label
from vigie.incidents.models import Category, Evidence, Incident, Phase, Submission
from vigie.incidents.refusals import refusal_message
from vigie.incidents.report_pdf import pdf_filename, render_pdf
from vigie.incidents.visibility import (
    may_edit_declaration,
    may_take_part,
    may_triage,
    visible_incidents,
)
from vigie.tenancy.access import OrgAccess, org_access
from vigie.tenancy.models import Membership
from vigie.tenancy.roles import Cap, OrgKind, Role

ORDER = (Key("declared_at", descending=True), Key("pk", descending=True))


def _case(access: OrgAccess, incident_id: int) -> Incident:
    incident = (
        visible_incidents(access, Incident.objects.select_related("organisation", "declared_by"))
        .filter(pk=incident_id)
        .first()
    )
    if incident is None:
        raise Http404("incident")
    return incident


def _taking_part(access: OrgAccess, incident_id: int) -> Incident:
    """The case, for a change both sides make (phase, timeline, tasks, evidence): 403 for a
    reader who only reads it."""
    incident = _case(access, incident_id)
    if not may_take_part(access, incident):
        raise PermissionDenied("incident")
    return incident


def _filtered(rows: QuerySet[Incident], params: Any) -> QuerySet[Incident]:
    state = params.get("state", "open")
    if state == "open":
        rows = rows.exclude(phase=Phase.CLOSED)
    elif state in Phase.values:
        rows = rows.filter(phase=state)
    category = params.get("category", "")
    if category in Category.values:
        rows = rows.filter(category=category)
    return rows


@login_required
@require_GET
def incident_list(request: HttpRequest, org: str) -> HttpResponse:
    access = org_access(request.user, org)
    visible = visible_incidents(access, Incident.objects.select_related("organisation"))
    # The clocks of each row read its submissions: one query for the page, not one per row.
    rows = _filtered(visible, request.GET).prefetch_related("submissions")
    page = keyset_page(rows, request.GET, ORDER)
    now = timezone.now()
    items = []
    for incident in page.object_list:
        outlook = outlook_of(incident, now)
        items.append({"incident": incident, "next": outlook.next, "overdue": outlook.overdue})
    counts = visible.aggregate(
        open=Count("pk", filter=~Q(phase=Phase.CLOSED)),
        untriaged=Count("pk", filter=Q(phase=Phase.DECLARED)),
    )
    return render(
        request,
        "incidents/incident_list.html",
        {
            "access": access,
            "page": page,
            "items": items,
            "is_centre": access.organisation.kind == OrgKind.CENTRE,
            "may_declare": access.can(Cap.DECLARE_INCIDENTS),
            "state": request.GET.get("state", "open"),
            "category": request.GET.get("category", ""),
            "phases": Phase.choices,
            "categories": Category.choices,
            "counts": counts,
            "obligation_labels": OBLIGATIONS,
        },
    )


def _sections(form: IncidentForm) -> list[dict[str, Any]]:
    return [
        {"legend": legend, "fields": [form[name] for name in names], "slug": f"section-{i}"}
        for i, (legend, names) in enumerate(SECTIONS)
    ]


@login_required
@require_http_methods(["GET", "POST"])
def incident_new(request: HttpRequest, org: str) -> HttpResponse:
    access = org_access(request.user, org, Cap.DECLARE_INCIDENTS)
    if access.organisation.kind != OrgKind.ESTABLISHMENT:
        raise Http404("incident")
    form = IncidentForm(
        request.POST or None,
        organisation=access.organisation,
        initial={"aware_at": timezone.localtime().replace(second=0, microsecond=0)},
    )
    if request.method == "POST" and form.is_valid():
        incident = actions.declare(access, form.model_values(), form.assets, request=request)
        messages.success(
            request,
            _("Incident %(reference)s declared: your support centre has been told.")
            % {"reference": incident.reference},
        )
        return redirect("incidents:detail", org=org, incident_id=incident.pk)
    return render(
        request,
        "incidents/incident_form.html",
        {"access": access, "form": form, "sections": _sections(form), "incident": None},
    )


@login_required
@require_http_methods(["GET", "POST"])
def incident_edit(request: HttpRequest, org: str, incident_id: int) -> HttpResponse:
    access = org_access(request.user, org, Cap.DECLARE_INCIDENTS)
    incident = _case(access, incident_id)
    if not may_edit_declaration(access, incident):
        raise Http404("incident")
    form = IncidentForm(request.POST or None, instance=incident, organisation=access.organisation)
    if request.method == "POST" and form.is_valid():
        # The form wrote into `incident`; the action compares with the stored row.
        values = form.model_values()
        changed = actions.update_declaration(
            access, Incident.objects.get(pk=incident.pk), values, form.assets, request=request
        )
        messages.success(
            request, _("Declaration updated.") if changed else _("Nothing was changed.")
        )
        return redirect("incidents:detail", org=org, incident_id=incident.pk)
    return render(
        request,
        "incidents/incident_form.html",
        {"access": access, "form": form, "sections": _sections(form), "incident": incident},
    )


def _analyst_choices(access: OrgAccess) -> list[tuple[str, str]]:
    members = Membership.objects.filter(
        organisation=access.organisation, role__in=(Role.ANALYST, Role.ADMIN), user__is_active=True
    ).select_related("user")
    return [(str(m.user.pk), m.user.get_full_name() or m.user.get_username()) for m in members]


@login_required
@require_GET
def incident_detail(request: HttpRequest, org: str, incident_id: int) -> HttpResponse:
    access = org_access(request.user, org)
    incident = _case(access, incident_id)
    now = timezone.now()
    clocks = clocks_of(incident, now)
    taking_part = may_take_part(access, incident)
    triaging = may_triage(access, incident)
    tasks = list(incident.tasks.select_related("done_by"))
    entries = list(incident.entries.select_related("author", "author_organisation"))
    default_code = next(
        (o.code.value for o in clocks if o.status in OWED),
        clocks[0].code.value if clocks else "",
    )
    submission_form = SubmissionForm(
        initial={"code": default_code, "channel": str(CHANNELS.get(default_code, ""))}
    )
    return render(
        request,
        "incidents/incident_detail.html",
        {
            "access": access,
            "incident": incident,
            "clocks": [
                {
                    "obligation": o,
                    "label": OBLIGATIONS.get(o.code.value, o.code.value),
                    "status_label": STATUSES.get(o.status.value, o.status.value),
                    "remaining_hours": (
                        o.remaining.total_seconds() / 3600 if o.remaining is not None else None
                    ),
                }
                for o in clocks
            ],
            "tasks": [{"task": t, "label": step_label(t.code, t.title)} for t in tasks],
            "tasks_done": sum(1 for t in tasks if t.done_at is not None),
            "entries": entries,
            "evidence": list(incident.evidence.select_related("uploaded_by")),
            "submissions": list(incident.submissions.select_related("recorded_by")),
            "assets": list(incident.assets.order_by("name")[:200]),
            "may_edit": may_edit_declaration(access, incident),
            "may_take_part": taking_part,
            "may_triage": triaging,
            "triage_form": TriageForm(
                initial={
                    "severity": incident.severity,
                    "major": incident.major,
                    "tlp": incident.tlp,
                    "pap": incident.pap,
                    "analysts": [str(pk) for pk in incident.analysts.values_list("pk", flat=True)],
                },
                analysts=_analyst_choices(access) if triaging else [],
            ),
            "analysts": list(incident.analysts.all()),
            "phase_form": PhaseForm(initial={"phase": incident.phase}),
            "entry_form": EntryForm(),
            "task_form": TaskForm(),
            "evidence_form": EvidenceForm(),
            "submission_form": submission_form,
            "share_form": ShareForm(initial={"tlp": incident.tlp}),
            "may_share": triaging and access.can(Cap.PUBLISH),
            "channels_json": json.dumps({k: str(v) for k, v in CHANNELS.items()}),
            "evidence_limit_mb": settings.VIGIE_EVIDENCE_MAX_BYTES // (1024 * 1024),
            "phases": Phase.choices,
        },
    )


def _refused(request: HttpRequest, refused: actions.IncidentRefused) -> None:
    messages.error(request, refusal_message(refused))


@login_required
@require_POST
def incident_triage(request: HttpRequest, org: str, incident_id: int) -> HttpResponse:
    access = org_access(request.user, org, Cap.TRIAGE_INCIDENTS)
    incident = _case(access, incident_id)
    form = TriageForm(request.POST, analysts=_analyst_choices(access))
    if not form.is_valid():
        messages.error(request, _("The triage was not saved: check the fields."))
    else:
        wanted = {int(pk) for pk in form.cleaned_data["analysts"]}
        users = [
            m.user
            for m in Membership.objects.filter(
                organisation=access.organisation, user_id__in=wanted
            ).select_related("user")
        ]
        try:
            actions.triage(
                access,
                incident,
                severity=form.cleaned_data["severity"],
                major=form.cleaned_data["major"],
                tlp=form.cleaned_data["tlp"],
                pap=form.cleaned_data["pap"],
                analysts=users,
                request=request,
            )
        except actions.IncidentRefused as refused:
            _refused(request, refused)
        else:
            messages.success(request, _("Triage saved."))
    return redirect("incidents:detail", org=org, incident_id=incident.pk)


@login_required
@require_POST
def incident_phase(request: HttpRequest, org: str, incident_id: int) -> HttpResponse:
    access = org_access(request.user, org)
    incident = _taking_part(access, incident_id)
    try:
        actions.change_phase(access, incident, request.POST.get("phase", ""), request=request)
    except actions.IncidentRefused as refused:
        _refused(request, refused)
    else:
        messages.success(request, _("Phase updated."))
    return redirect("incidents:detail", org=org, incident_id=incident.pk)


@login_required
@require_POST
def incident_entry(request: HttpRequest, org: str, incident_id: int) -> HttpResponse:
    access = org_access(request.user, org)
    incident = _taking_part(access, incident_id)
    form = EntryForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            _("Nothing was written: the text is missing or too long, or the time is not valid."),
        )
    else:
        try:
            actions.write_entry(
                access,
                incident,
                form.cleaned_data["text"],
                at=form.cleaned_data["at"],
                comment=form.cleaned_data["kind"] == "comment",
            )
        except actions.IncidentRefused as refused:
            _refused(request, refused)
        else:
            messages.success(request, _("Written in the case."))
    return redirect(f"{reports.case_path(org, incident.pk)}#timeline")


@login_required
@require_POST
def incident_task(request: HttpRequest, org: str, incident_id: int, task_id: int) -> HttpResponse:
    access = org_access(request.user, org)
    incident = _taking_part(access, incident_id)
    try:
        actions.set_task(access, incident, task_id, request.POST.get("done") == "1")
    except actions.IncidentRefused as refused:
        _refused(request, refused)
    return redirect(f"{reports.case_path(org, incident.pk)}#tasks")


@login_required
@require_POST
def incident_task_add(request: HttpRequest, org: str, incident_id: int) -> HttpResponse:
    access = org_access(request.user, org)
    incident = _taking_part(access, incident_id)
    form = TaskForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The task was not added: give it a title and a phase."))
    else:
        try:
            actions.add_task(
                access, incident, form.cleaned_data["title"], form.cleaned_data["phase"]
            )
        except actions.IncidentRefused as refused:
            _refused(request, refused)
    return redirect(f"{reports.case_path(org, incident.pk)}#tasks")


@login_required
@require_POST
def incident_evidence(request: HttpRequest, org: str, incident_id: int) -> HttpResponse:
    access = org_access(request.user, org)
    incident = _taking_part(access, incident_id)
    form = EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("No file was received."))
    else:
        upload = form.cleaned_data["file"]
        try:
            actions.add_evidence(
                access,
                incident,
                upload,
                upload.name or "",
                form.cleaned_data["description"],
                request=request,
            )
        except actions.IncidentRefused as refused:
            _refused(request, refused)
        else:
            messages.success(request, _("Evidence stored, with its SHA-256."))
    return redirect(f"{reports.case_path(org, incident.pk)}#evidence")


@login_required
@require_GET
def evidence_download(
    request: HttpRequest, org: str, incident_id: int, evidence_id: int
) -> FileResponse:
    access = org_access(request.user, org)
    incident = _case(access, incident_id)
    evidence = Evidence.objects.filter(incident=incident, pk=evidence_id).first()
    if evidence is None:
        raise Http404("evidence")
    path = actions.evidence_path(evidence)
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise Http404("evidence") from None
    audit(
        Action.INCIDENT_EVIDENCE_READ,
        actor=request.user,
        organisation=access.organisation,
        target=incident,
        request=request,
        details={"name": evidence.name, "sha256": evidence.sha256},
    )
    # Never rendered inline, never sniffed: whatever it holds, the browser saves it.
    response = FileResponse(
        handle, as_attachment=True, filename=evidence.name, content_type="application/octet-stream"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@login_required
@require_GET
def incident_report(request: HttpRequest, org: str, incident_id: int, code: str) -> HttpResponse:
    access = org_access(request.user, org)
    incident = _case(access, incident_id)
    now = timezone.now()
    if code not in {o.code.value for o in clocks_of(incident, now)}:
        raise Http404("report")
    report = reports.snapshot(incident, code, now)
    return _report_response(request, report, request.GET.get("format", "pdf"))


def _report_response(request: HttpRequest, report: dict[str, Any], kind: str) -> HttpResponse:
    name = pdf_filename(report)
    if kind == "json":
        response = HttpResponse(
            json.dumps(report, ensure_ascii=False, indent=2), content_type="application/json"
        )
        response["Content-Disposition"] = f'attachment; filename="{name.removesuffix(".pdf")}.json"'
        return response
    user: Any = request.user
    pdf = render_pdf(
        report,
        language=get_language() or settings.LANGUAGE_CODE,
        time_zone=getattr(user, "time_zone", "") or settings.TIME_ZONE,
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_POST
def incident_submit(request: HttpRequest, org: str, incident_id: int) -> HttpResponse:
    access = org_access(request.user, org, Cap.DECLARE_INCIDENTS)
    incident = _case(access, incident_id)
    form = SubmissionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The submission was not recorded: check the fields."))
    else:
        try:
            actions.submit_report(
                access,
                incident,
                form.cleaned_data["code"],
                channel=form.cleaned_data["channel"],
                reference=form.cleaned_data["reference"],
                submitted_at=form.cleaned_data["submitted_at"],
                language=get_language() or settings.LANGUAGE_CODE,
                request=request,
            )
        except actions.IncidentRefused as refused:
            _refused(request, refused)
        else:
            messages.success(request, _("Submission recorded; the report sent is kept."))
    return redirect(f"{reports.case_path(org, incident.pk)}#reports")


@login_required
@require_GET
def submission_snapshot(
    request: HttpRequest, org: str, incident_id: int, submission_id: int
) -> HttpResponse:
    access = org_access(request.user, org)
    incident = _case(access, incident_id)
    submission = Submission.objects.filter(incident=incident, pk=submission_id).first()
    if submission is None:
        raise Http404("submission")
    return _report_response(request, submission.snapshot, request.GET.get("format", "pdf"))


@login_required
@require_POST
def incident_share(request: HttpRequest, org: str, incident_id: int) -> HttpResponse:
    access = org_access(request.user, org, Cap.PUBLISH)
    incident = _case(access, incident_id)
    form = ShareForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Nothing was shared: give the indicators and a TLP."))
        return redirect(f"{reports.case_path(org, incident.pk)}#share")
    try:
        job = actions.share_indicators(
            access,
            incident,
            form.cleaned_data["indicators"],
            form.cleaned_data["tlp"],
            request=request,
        )
    except actions.IncidentRefused as refused:
        _refused(request, refused)
        return redirect(f"{reports.case_path(org, incident.pk)}#share")
    messages.success(request, _("Indicators shared: here is what was read."))
    return redirect("intel:import_detail", org=org, import_id=job.pk)


@login_required
@require_GET
def breach_register(request: HttpRequest, org: str) -> HttpResponse:
    """GDPR Art. 33(5): every personal-data breach, notified or not, with its facts."""
    access = org_access(request.user, org)
    if access.organisation.kind != OrgKind.ESTABLISHMENT:
        raise Http404("register")
    breaches = (
        visible_incidents(access)
        .filter(personal_data=True)
        .prefetch_related("submissions")
        .order_by("-declared_at")
    )
    rows = []
    for incident in breaches[:1000]:
        notified = [s for s in incident.submissions.all() if s.code == "gdpr_authority"]
        told = [s for s in incident.submissions.all() if s.code == "gdpr_data_subjects"]
        rows.append({"incident": incident, "notified": notified[:1], "told": told[:1]})
    return render(
        request,
        "incidents/breach_register.html",
        {"access": access, "rows": rows},
    )
