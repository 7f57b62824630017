"""Establishment pages of the simulations (campaigns, lists, results by service) and the
centre's sector view. Views stay thin: changes go through `actions`, figures through `results`.
No page lists who received, opened or clicked: only counts."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from vigie.core.charts import shares, shares_height
from vigie.phishing import actions, lures
from vigie.phishing.forms import CampaignForm, ListUploadForm
from vigie.phishing.models import Campaign, RecipientList, Source, State
from vigie.phishing.results import OTHER, UNNAMED, Counts, campaign_results, sector_results
from vigie.tenancy.access import OrgAccess, org_access, supported_establishments
from vigie.tenancy.roles import Cap, OrgKind


def _establishment(request: HttpRequest, org: str, capability: str = Cap.VIEW) -> OrgAccess:
    access = org_access(request.user, org)
    if access.organisation.kind != OrgKind.ESTABLISHMENT:
        raise Http404("establishment")
    access.require(capability)
    return access


def _results_reader(request: HttpRequest, org: str) -> OrgAccess:
    access = _establishment(request, org)
    if not (access.can(Cap.RUN_PHISHING) or access.can(Cap.VIEW_AUDIT)):
        raise PermissionDenied(Cap.RUN_PHISHING)
    return access


def _campaign(access: OrgAccess, campaign_id: int) -> Campaign:
    campaign = (
        Campaign.objects.filter(organisation=access.organisation, pk=campaign_id)
        .select_related("organisation", "care_unit", "recipient_list")
        .first()
    )
    if campaign is None:
        raise Http404("campaign")
    return campaign


def service_label(service: str) -> str:
    if service == OTHER:
        return _("Other services (fewer than 5 recipients each)")
    if service == UNNAMED:
        return _("No service given")
    return service


@login_required
def index(request: HttpRequest, org: str) -> HttpResponse:
    access = _establishment(request, org)
    campaigns = Campaign.objects.filter(organisation=access.organisation).annotate(
        recipients=Count("targets"),
        sent=Count("targets", filter=Q(targets__sent_at__isnull=False)),
        clicked=Count("targets", filter=Q(targets__clicked_at__isnull=False)),
        reported=Count("targets", filter=Q(targets__reported_at__isnull=False)),
    )
    lists = RecipientList.objects.filter(organisation=access.organisation).annotate(
        size=Count("entries")
    )
    return render(
        request,
        "phishing/index.html",
        {
            "access": access,
            "campaigns": campaigns,
            "lists": lists,
            "may_run": access.can(Cap.RUN_PHISHING),
            "may_read": access.can(Cap.RUN_PHISHING) or access.can(Cap.VIEW_AUDIT),
        },
    )


def _input(form: CampaignForm) -> actions.CampaignInput:
    data = form.cleaned_data
    return actions.CampaignInput(
        name=data["name"],
        template=data["template"],
        language=data["language"],
        sender_name=data["sender_name"],
        source=data["source"],
        care_unit=data.get("care_unit"),
        recipient_list=data.get("recipient_list"),
        rate=data["rate"],
    )


def _campaign_form(
    request: HttpRequest, access: OrgAccess, campaign: Campaign | None
) -> HttpResponse:
    initial: dict[str, Any] = {"source": Source.MEMBERS, "language": "fr"}
    if campaign is not None:
        initial = {
            "name": campaign.name,
            "template": campaign.template,
            "language": campaign.language,
            "sender_name": campaign.sender_name,
            "source": campaign.source,
            "care_unit": campaign.care_unit,
            "recipient_list": campaign.recipient_list,
            "rate": campaign.rate,
        }
    form = CampaignForm(request.POST or None, organisation=access.organisation, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = actions.save_campaign(access, _input(form), campaign)
        except actions.Refused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Campaign saved as a draft."))
            return redirect("phishing:detail", org=access.organisation.slug, campaign_id=saved.pk)
    return render(
        request,
        "phishing/campaign_form.html",
        {"access": access, "form": form, "campaign": campaign},
    )


@login_required
@require_http_methods(["GET", "POST"])
def campaign_new(request: HttpRequest, org: str) -> HttpResponse:
    access = _establishment(request, org, Cap.RUN_PHISHING)
    return _campaign_form(request, access, None)


@login_required
@require_http_methods(["GET", "POST"])
def campaign_edit(request: HttpRequest, org: str, campaign_id: int) -> HttpResponse:
    access = _establishment(request, org, Cap.RUN_PHISHING)
    campaign = _campaign(access, campaign_id)
    if campaign.state != State.DRAFT:
        messages.error(request, _("Only a draft campaign can be changed."))
        return redirect("phishing:detail", org=org, campaign_id=campaign.pk)
    return _campaign_form(request, access, campaign)


def _rate_rows(counts: Counts) -> list[tuple[str, int, int]]:
    return [
        (_("Opened"), counts.opened, counts.sent),
        (_("Clicked"), counts.clicked, counts.sent),
        (_("Submitted credentials"), counts.submitted, counts.sent),
        (_("Reported"), counts.reported, counts.sent),
    ]


@login_required
def campaign_detail(request: HttpRequest, org: str, campaign_id: int) -> HttpResponse:
    access = _results_reader(request, org)
    campaign = _campaign(access, campaign_id)
    results = campaign_results(campaign, timezone.now())
    rows = shares(_rate_rows(results.total))
    found = lures.lure(campaign.template)
    return render(
        request,
        "phishing/campaign_detail.html",
        {
            "access": access,
            "campaign": campaign,
            "lure": found,
            "total": results.total,
            "services": [(service_label(row.service), row.counts) for row in results.services],
            "chart_rows": rows,
            "chart_height": shares_height(rows),
            "may_run": access.can(Cap.RUN_PHISHING),
            "audience_size": len(actions.audience(campaign))
            if campaign.state == State.DRAFT
            else None,
        },
    )


@login_required
@require_POST
def campaign_launch(request: HttpRequest, org: str, campaign_id: int) -> HttpResponse:
    access = _establishment(request, org, Cap.RUN_PHISHING)
    campaign = _campaign(access, campaign_id)
    try:
        count = actions.launch(access, campaign, request=request)
    except actions.Refused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Campaign launched: %(count)s messages will be sent at %(rate)s per minute.")
            % {"count": count, "rate": campaign.rate},
        )
    return redirect("phishing:detail", org=org, campaign_id=campaign.pk)


@login_required
@require_POST
def campaign_stop(request: HttpRequest, org: str, campaign_id: int) -> HttpResponse:
    access = _establishment(request, org, Cap.RUN_PHISHING)
    campaign = _campaign(access, campaign_id)
    try:
        unsent = actions.stop(access, campaign, request=request)
    except actions.Refused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("Campaign stopped; %(count)s messages were not sent.") % {"count": unsent}
        )
    return redirect("phishing:detail", org=org, campaign_id=campaign.pk)


@login_required
@require_http_methods(["GET", "POST"])
def list_upload(request: HttpRequest, org: str) -> HttpResponse:
    access = _establishment(request, org, Cap.RUN_PHISHING)
    form = ListUploadForm(request.POST or None, request.FILES or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            saved = actions.upload_list(
                access,
                name=form.cleaned_data["name"],
                filename=upload.name or "upload.csv",
                content=upload.read(),
                request=request,
            )
        except actions.ListRefused as exc:
            errors = [str(error) for error in exc.errors]
        except actions.Refused as exc:
            errors = [str(exc)]
        else:
            messages.success(
                request,
                _("List “%(name)s” stored: %(count)s recipients.")
                % {"name": saved.name, "count": saved.entries.count()},
            )
            return redirect("phishing:index", org=org)
    status = 400 if errors else 200
    return render(
        request,
        "phishing/list_upload.html",
        {"access": access, "form": form, "errors": errors},
        status=status,
    )


@login_required
def sector(request: HttpRequest, org: str) -> HttpResponse:
    access = org_access(request.user, org)
    if access.organisation.kind != OrgKind.CENTRE:
        raise Http404("centre")
    access.require(Cap.VIEW_SECTOR)
    rows, total = sector_results(supported_establishments(access), timezone.now())
    chart = shares(
        [
            (row.organisation.name, row.counts.clicked, row.counts.sent)
            for row in rows
            if row.counts.sent
        ]
    )
    return render(
        request,
        "phishing/sector.html",
        {
            "access": access,
            "rows": rows,
            "total": total,
            "chart_rows": chart,
            "chart_height": shares_height(chart),
        },
    )
