"""Sighting pages: an establishment's own sightings to handle, its centre's view of them all."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Max, QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from vigie.core.charts import bars, chart_height
from vigie.core.paging import Key, keyset_page
from vigie.intel import sightings
from vigie.intel.models import LogType, Sighting, SightingState
from vigie.intel.visibility import visible_sightings
from vigie.tenancy.access import org_access
from vigie.tenancy.models import Organisation
from vigie.tenancy.roles import Cap, OrgKind

ORDER = (Key("last_seen", descending=True), Key("pk", descending=True))


class SightingFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Value contains"), required=False, max_length=200)
    log_type = forms.ChoiceField(
        label=gettext_lazy("Log type"),
        choices=[("", gettext_lazy("All")), *LogType.choices],
        required=False,
    )
    state = forms.ChoiceField(
        label=gettext_lazy("State"),
        choices=[("", gettext_lazy("All")), *SightingState.choices],
        required=False,
    )
    establishment = forms.ChoiceField(label=gettext_lazy("Establishment"), required=False)

    def __init__(self, *args: Any, establishments: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if establishments:
            self.fields["establishment"] = forms.ChoiceField(
                label=gettext_lazy("Establishment"),
                required=False,
                choices=[("", _("All")), *establishments],
            )
        else:
            del self.fields["establishment"]  # an establishment reads its own sightings only


def _filtered(rows: QuerySet[Sighting], data: dict[str, str]) -> QuerySet[Sighting]:
    if data.get("q"):
        rows = rows.filter(value__icontains=data["q"].strip().lower())
    if data.get("log_type"):
        rows = rows.filter(log_type=data["log_type"])
    if data.get("state"):
        rows = rows.filter(state=data["state"])
    if data.get("establishment"):
        rows = rows.filter(organisation__slug=data["establishment"])
    return rows


@login_required
@require_GET
def sighting_list(request: HttpRequest, org: str) -> HttpResponse:
    access = org_access(request.user, org)
    is_centre = access.organisation.kind == OrgKind.CENTRE
    establishments = (
        list(
            Organisation.objects.filter(centre=access.organisation)
            .order_by("name")
            .values_list("slug", "name")
        )
        if is_centre
        else []
    )
    form = SightingFilterForm(request.GET or None, establishments=establishments)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    visible = visible_sightings(access, Sighting.objects.select_related("organisation"))
    rows = _filtered(visible, data)
    page = keyset_page(rows, request.GET, ORDER)
    # The centre looks before it reads: which establishments see most, right now.
    by_establishment = (
        list(
            visible.exclude(state=SightingState.CLOSED)
            .values("organisation__slug", "organisation__name")
            .annotate(values=Count("id"), seen=Sum("count"), last=Max("last_seen"))
            .order_by("-values", "organisation__name")[:12]
        )
        if is_centre
        else []
    )
    chart = bars((row["organisation__name"], row["values"]) for row in by_establishment)
    return render(
        request,
        "intel/sighting_list.html",
        {
            "access": access,
            "form": form,
            "page": page,
            "is_centre": is_centre,
            "by_establishment": by_establishment,
            "chart": chart,
            "chart_height": chart_height(chart),
            "open_count": visible.filter(state=SightingState.NEW).count(),
        },
    )


@login_required
@require_GET
def sighting_detail(request: HttpRequest, org: str, sighting_id: int) -> HttpResponse:
    access = org_access(request.user, org)
    sighting = (
        visible_sightings(access, Sighting.objects.select_related("organisation", "indicator"))
        .filter(pk=sighting_id)
        .first()
    )
    if sighting is None:
        raise Http404("sighting")
    may_handle = sighting.organisation_id == access.organisation.pk and access.can(
        Cap.HANDLE_ALERTS
    )
    return render(
        request,
        "intel/sighting_detail.html",
        {
            "access": access,
            "sighting": sighting,
            "may_handle": may_handle,
            "actions": _actions(sighting),
        },
    )


def _actions(sighting: Sighting) -> list[dict[str, str]]:
    """The buttons of the sighting's page: what its state may become."""
    labels = {
        SightingState.ACKNOWLEDGED: _("Acknowledge"),
        SightingState.CLOSED: _("Close"),
        SightingState.NEW: _("Reopen"),
    }
    if sighting.state == SightingState.CLOSED:
        wanted = [SightingState.NEW]
    elif sighting.state == SightingState.ACKNOWLEDGED:
        wanted = [SightingState.CLOSED]
    else:
        wanted = [SightingState.ACKNOWLEDGED, SightingState.CLOSED]
    return [{"state": state.value, "label": str(labels[state])} for state in wanted]


@login_required
@require_POST
def sighting_state(request: HttpRequest, org: str, sighting_id: int) -> HttpResponse:
    access = org_access(request.user, org, Cap.HANDLE_ALERTS)
    sighting = Sighting.objects.filter(organisation=access.organisation, pk=sighting_id).first()
    if sighting is None:
        raise Http404("sighting")
    try:
        sightings.change_state(access, sighting, request.POST.get("state", ""))
    except sightings.SightingRefused as refused:
        messages.error(request, sightings.refusal_message(refused))
    else:
        messages.success(request, _("Sighting updated."))
    return redirect("intel_sightings:detail", org=org, sighting_id=sighting.pk)
