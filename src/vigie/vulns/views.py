"""Alert pages of an establishment, and the centre's view of the sector's exposure."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from vigie.accounts.models import User
from vigie.audit.log import record as audit
from vigie.core.charts import bars, chart_height
from vigie.core.forms import choice_field, model_choices
from vigie.inventory.models import Asset
from vigie.tenancy.access import OrgAccess, get_scoped, org_access, supported_establishments
from vigie.tenancy.models import Membership
from vigie.tenancy.roles import Cap
from vigie.vulns import alert_list as alert_list_
from vigie.vulns import alerting, bulk, export, remediation, timeline
from vigie.vulns.freshness import source_freshness
from vigie.vulns.models import (
    OPEN_STATES,
    Alert,
    AlertAsset,
    AlertPolicy,
    AlertState,
    EpssScore,
    FeedRun,
    KevListing,
    PendingMatch,
    Vulnerability,
    affected_assets_count,
)
from vigie.vulns.runs import reconcile_runs
from vigie.vulns.ssvc_text import explanation_lines


class TransitionForm(forms.Form):
    state = forms.ChoiceField(label=gettext_lazy("New state"), choices=AlertState.choices)
    justification = forms.CharField(
        label=gettext_lazy("Justification"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CommentForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Comment"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class MemberChoices(forms.ModelMultipleChoiceField):
    """Members chosen by who they are, not by their login: "Full name (role)", or the e-mail."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.roles: dict[int, str] = {}

    def label_from_instance(self, obj: User) -> str:
        name = obj.get_full_name() or obj.email or obj.get_username()
        role = self.roles.get(obj.pk)
        return _("%(name)s, %(role)s") % {"name": name, "role": role} if role else name


class PolicyForm(forms.ModelForm[AlertPolicy]):
    class Meta:
        model = AlertPolicy
        fields = [
            "ack_hours_act",
            "ack_hours_attend",
            "remediate_days_act",
            "remediate_days_attend",
            "remediate_days_track_star",
            "remediate_days_track",
            "deputies",
            "escalate_to_centre",
        ]
        widgets = {"deputies": forms.CheckboxSelectMultiple}
        field_classes = {"deputies": MemberChoices}


@login_required
@require_GET
def alert_list(request: HttpRequest, org: str) -> HttpResponseBase:
    access = org_access(request.user, org)
    form, data = alert_list_.filter_form(access, request.GET)
    alerts = alert_list_.alerts_for(access, data)
    if request.GET.get("format") == "csv":
        audit(
            "data.export",
            actor=request.user,
            organisation=access.organisation,
            request=request,
            details={"what": "alerts", "filters": {k: str(v) for k, v in data.items() if v}},
        )
        response = StreamingHttpResponse(
            export.rows(alerts), content_type="text/csv; charset=utf-8"
        )
        stamp = timezone.now().strftime("%Y%m%d")
        response["Content-Disposition"] = f'attachment; filename="alerts-{org}-{stamp}.csv"'
        return response
    # The paginator counts and slices in the database (COUNT, then LIMIT/OFFSET); only the page's
    # alerts are loaded, with their first assets and counts in two more queries.
    page = Paginator(alerts, alert_list_.PAGE_SIZE).get_page(request.GET.get("page"))
    sort = alert_list_.sort_of(data)
    query = alert_list_.list_query(request.GET)
    here = query + ("&" if query else "") + f"page={page.number}"
    template = (
        "vulns/_alert_rows.html" if request.headers.get("HX-Request") else "vulns/alert_list.html"
    )
    can_handle = access.can(Cap.HANDLE_ALERTS)
    return render(
        request,
        template,
        {
            "access": access,
            "form": form,
            "page": page,
            "rows": alert_list_.rows_of(page, access.organisation.slug),
            "query": query,
            "sort": sort,
            "sort_links": alert_list_.sort_links(request.GET, sort),
            "can_handle": can_handle,
            "bulk_form": bulk.BulkForm(access=access, initial={"back": here})
            if can_handle
            else None,
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
def alert_bulk(request: HttpRequest, org: str) -> HttpResponse:
    access = org_access(request.user, org, Cap.HANDLE_ALERTS)
    form = bulk.BulkForm(request.POST, access=access)
    back = reverse("vulns:alerts", kwargs={"org": org})
    # Back to the same list (filters, sort, page): only the list's own parameters are kept.
    kept = QueryDict(request.POST.get("back", ""))
    query = alert_list_.list_query(kept)
    if kept.get("page", "").isdigit():
        query += ("&" if query else "") + f"page={kept['page']}"
    if query:
        back += "?" + query
    if not form.is_valid():
        # Each error names its field (the bulk form sits above the list, not beside each field).
        for name, errors in form.errors.as_data().items():
            label = form.fields[name].label if name in form.fields else ""
            for error in errors:
                for text in error.messages:
                    messages.error(
                        request,
                        _("%(field)s: %(error)s") % {"field": label, "error": text}
                        if label
                        else text,
                    )
        return redirect(back)
    try:
        result = bulk.apply(access=access, form=form, request=request)
    except bulk.BulkRefused as refused:
        for message in refused.error.messages:
            messages.error(request, message)
        return redirect(back)
    messages.success(
        request,
        ngettext("%(count)d alert updated.", "%(count)d alerts updated.", result.changed)
        % {"count": result.changed},
    )
    if result.skipped:
        messages.warning(
            request,
            _("Left unchanged, their state does not allow it: %(alerts)s")
            % {"alerts": ", ".join(result.skipped)},
        )
    return redirect(back)


def _alert_for(access: OrgAccess, alert_id: int) -> Alert:
    return get_scoped(
        access, Alert.objects.select_related("vulnerability", "acknowledged_by"), pk=alert_id
    )


def _transition_form(alert: Alert, data: QueryDict | None = None) -> TransitionForm:
    form = TransitionForm(data)
    allowed = alerting.HUMAN_TRANSITIONS.get(alert.state, ())
    choice_field(form, "state").choices = [
        (value, label) for value, label in AlertState.choices if value in allowed
    ]
    return form


def _detail(
    request: HttpRequest,
    access: OrgAccess,
    alert: Alert,
    transition: TransitionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    affected = list(
        AlertAsset.objects.filter(alert=alert)
        .select_related("asset", "asset__parent")
        .order_by("-active", "asset__name")
    )
    kev = list(KevListing.objects.filter(cve=alert.vulnerability.vuln_id))
    return render(
        request,
        "vulns/alert_detail.html",
        {
            "access": access,
            "alert": alert,
            "vuln": alert.vulnerability,
            "affected": affected,
            "affected_count": sum(1 for row in affected if row.active),
            "kev": kev,
            "remediation": remediation.summary_for(alert),
            "epss": EpssScore.objects.filter(cve=alert.vulnerability.vuln_id).first(),
            "explanation": explanation_lines(alert.decision),
            "events": timeline.entries(alert.events.select_related("actor")),
            "transition_form": transition or _transition_form(alert),
            "comment_form": CommentForm(),
            "can_handle": access.can(Cap.HANDLE_ALERTS),
            "now": timezone.now(),
        },
        status=status,
    )


@login_required
@require_GET
def alert_detail(request: HttpRequest, org: str, alert_id: int) -> HttpResponse:
    access = org_access(request.user, org)
    return _detail(request, access, _alert_for(access, alert_id))


@login_required
@require_POST
def alert_transition(request: HttpRequest, org: str, alert_id: int) -> HttpResponse:
    access = org_access(request.user, org, Cap.HANDLE_ALERTS)
    alert = _alert_for(access, alert_id)
    form = _transition_form(alert, request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid state."))
        return redirect("vulns:alert", org=org, alert_id=alert.pk)
    try:
        alerting.transition(
            access=access,
            alert=alert,
            to_state=form.cleaned_data["state"],
            justification=form.cleaned_data["justification"],
            request=request,
        )
    except ValidationError as error:
        # The page again with the form as the user filled it (the state they chose, their
        # text) and the error next to its field, rather than a redirect to a fresh form.
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                for problem in errors:
                    form.add_error(name if name in form.fields else None, problem)
        else:
            form.add_error(None, error)
        return _detail(request, access, alert, transition=form, status=400)
    messages.success(
        request,
        _("The alert is now “%(state)s”.")
        % {"state": AlertState(form.cleaned_data["state"]).label},
    )
    return redirect("vulns:alert", org=org, alert_id=alert.pk)


@login_required
@require_POST
def alert_comment(request: HttpRequest, org: str, alert_id: int) -> HttpResponse:
    access = org_access(request.user, org, Cap.HANDLE_ALERTS)
    alert = _alert_for(access, alert_id)
    form = CommentForm(request.POST)
    if form.is_valid():
        alerting.comment(access=access, alert=alert, text=form.cleaned_data["text"])
    else:
        messages.error(request, _("Write something."))
    return redirect("vulns:alert", org=org, alert_id=alert.pk)


@login_required
@require_http_methods(["GET", "POST"])
def alert_policy(request: HttpRequest, org: str) -> HttpResponse:
    access = org_access(request.user, org)
    can_edit = access.can(Cap.MANAGE_MEMBERS)
    policy = AlertPolicy.objects.filter(organisation=access.organisation).first() or AlertPolicy(
        organisation=access.organisation
    )
    form = PolicyForm(request.POST or None, instance=policy)
    if not can_edit:
        for field in form.fields.values():
            field.disabled = True
    roles = {
        m.user_id: m.get_role_display()
        for m in Membership.objects.filter(organisation=access.organisation)
    }
    deputies = model_choices(form, "deputies")
    deputies.queryset = User.objects.filter(pk__in=roles, is_active=True).order_by(
        "last_name", "first_name", "email", "pk"
    )
    if isinstance(deputies, MemberChoices):
        deputies.roles = roles
    if request.method == "POST":
        access.require(Cap.MANAGE_MEMBERS)
        if form.is_valid():
            form.save()
            audit(
                "alert.policy_changed",
                actor=request.user,
                organisation=access.organisation,
                request=request,
                details={k: str(v) for k, v in form.cleaned_data.items()},
            )
            messages.success(request, _("The response times were saved."))
            return redirect("vulns:policy", org=org)
    return render(
        request, "vulns/policy.html", {"access": access, "form": form, "can_edit": can_edit}
    )


# --- the support centre --------------------------------------------------------------------------


def _sector_alerts(access: OrgAccess) -> QuerySet[Alert]:
    return Alert.objects.filter(organisation__in=supported_establishments(access))


@login_required
@require_GET
def exposure_overview(request: HttpRequest, org: str) -> HttpResponse:
    """The centre's list of vulnerabilities affecting the sector, most widespread first."""
    access = org_access(request.user, org, Cap.VIEW_SECTOR)
    query = (request.GET.get("q") or "").strip()[:100]
    alerts = _sector_alerts(access).filter(state__in=OPEN_STATES)
    if query:
        alerts = alerts.filter(
            Q(vulnerability__vuln_id__icontains=query) | Q(vulnerability__title__icontains=query)
        )
    rows = (
        alerts.values("vulnerability__vuln_id", "vulnerability__title", "vulnerability__cvss_score")
        .annotate(
            establishments=Count("organisation", distinct=True),
            act=Count("pk", filter=Q(priority="act")),
            unacknowledged=Count("pk", filter=Q(state=AlertState.NEW)),
            escalated=Count("pk", filter=Q(escalation_level__gte=2)),
        )
        .order_by("-act", "-establishments", "vulnerability__vuln_id")[:200]
    )
    template = (
        "vulns/_exposure_rows.html" if request.headers.get("HX-Request") else "vulns/exposure.html"
    )
    return render(request, template, {"access": access, "rows": rows, "query": query})


@login_required
@require_GET
def exposure_detail(request: HttpRequest, org: str, vuln_id: str) -> HttpResponse:
    """Which establishments one vulnerability affects, and whether they acknowledged it."""
    from vigie.vulns.exposure import exposure_rows

    access = org_access(request.user, org, Cap.VIEW_SECTOR)
    vuln = Vulnerability.objects.filter(vuln_id=vuln_id.upper()).first()
    if vuln is None:
        raise Http404("vulnerability")
    alerts = (
        _sector_alerts(access)
        .filter(vulnerability=vuln)
        .select_related("organisation", "acknowledged_by")
        .annotate(assets_count=affected_assets_count())
        .order_by("state", "organisation__name")
    )
    # Each asset once, whatever the number of rows or feeds that name it.
    kinds = Counter(
        kind
        for _asset, kind in AlertAsset.objects.filter(alert__in=alerts, active=True)
        .values_list("asset_id", "asset__kind")
        .distinct()
    )
    kind_labels = dict(Asset._meta.get_field("kind").choices or [])
    kind_bars = bars((kind_labels.get(k, k), n) for k, n in kinds.most_common())
    supported = supported_establishments(access).count()
    template = (
        "vulns/_exposure_detail_rows.html"
        if request.headers.get("HX-Request")
        else "vulns/exposure_detail.html"
    )
    return render(
        request,
        template,
        {
            "access": access,
            "vuln": vuln,
            "alerts": alerts,
            "kev": list(KevListing.objects.filter(cve=vuln.vuln_id)),
            "supported": supported,
            "affected_count": alerts.count(),
            "acknowledged": alerts.exclude(state=AlertState.NEW).count(),
            "kind_bars": kind_bars,
            "kind_height": chart_height(kind_bars),
            "rows": exposure_rows(access, alerts),
        },
    )


@login_required
@require_GET
def feed_runs(request: HttpRequest, org: str) -> HttpResponse:
    access = org_access(request.user, org, Cap.VIEW_SECTOR)
    # A run whose process died is shown as such now, not when the next job notices it.
    reconcile_runs()
    runs = FeedRun.objects.select_related("resumed_by").prefetch_related("resumed")
    page = Paginator(runs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "vulns/feed_runs.html",
        {
            "access": access,
            "page": page,
            "owed": PendingMatch.objects.count(),
            "freshness": source_freshness(),
        },
    )
