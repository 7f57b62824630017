"""Advisory pages: the centre's editor and receipts, the establishments' reader."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from vigie.intel import advisories
from vigie.intel.models import (
    Advisory,
    AdvisoryReceipt,
    AdvisoryVersion,
    Audience,
    Severity,
    Tlp,
)
from vigie.intel.visibility import visible_advisories
from vigie.tenancy.access import OrgAccess, org_access, supported_establishments
from vigie.tenancy.models import Membership, Region
from vigie.tenancy.roles import Cap

REFUSALS = {
    "not_yours": gettext_lazy("Only the centre that wrote an advisory changes it."),
    "empty": gettext_lazy("Write the advisory before publishing it."),
    "amber_strict": gettext_lazy(
        "TLP:AMBER+STRICT stays inside your centre: choose TLP:AMBER to reach establishments."
    ),
    "red_without_people": gettext_lazy(
        "TLP:RED reaches named people only: name at least one person before publishing."
    ),
    "not_received": gettext_lazy("Your organisation did not receive this advisory."),
}


class AdvisoryForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=300)
    severity = forms.ChoiceField(label=gettext_lazy("Severity"), choices=Severity.choices)
    tlp = forms.ChoiceField(
        label=gettext_lazy("TLP marking"), choices=Tlp.choices, initial=Tlp.AMBER
    )
    summary = forms.CharField(
        label=gettext_lazy("Summary"), widget=forms.Textarea(attrs={"rows": 5})
    )
    cves = forms.CharField(
        label=gettext_lazy("CVEs"),
        required=False,
        help_text=gettext_lazy("CVE identifiers, separated by spaces, commas or lines."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    products = forms.CharField(
        label=gettext_lazy("Affected products"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    indicators = forms.CharField(
        label=gettext_lazy("Indicators of compromise"),
        required=False,
        help_text=gettext_lazy(
            "One per line; import them on the Indicators page to share them as files."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    actions = forms.CharField(
        label=gettext_lazy("Recommended actions"), widget=forms.Textarea(attrs={"rows": 5})
    )
    references = forms.CharField(
        label=gettext_lazy("References"),
        required=False,
        help_text=gettext_lazy("One web address per line."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    audience = forms.ChoiceField(
        label=gettext_lazy("Audience"), choices=Audience.choices, initial=Audience.ALL
    )
    regions = forms.MultipleChoiceField(
        label=gettext_lazy("Regions"),
        choices=Region.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    establishments = forms.MultipleChoiceField(
        label=gettext_lazy("Named establishments"), choices=(), required=False
    )
    recipients = forms.MultipleChoiceField(
        label=gettext_lazy("People (TLP:RED)"),
        choices=(),
        required=False,
        help_text=gettext_lazy("A TLP:RED advisory reaches these people only."),
    )

    def __init__(self, *args: Any, access: OrgAccess, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        supported = supported_establishments(access)
        self.fields["establishments"] = forms.MultipleChoiceField(
            label=gettext_lazy("Named establishments"),
            choices=[(str(org.pk), org.name) for org in supported],
            required=False,
            widget=forms.CheckboxSelectMultiple,
        )
        people: dict[str, str] = {}
        members = (
            Membership.objects.filter(organisation__in=supported, user__is_active=True)
            .select_related("user", "organisation")
            .order_by("organisation__name", "user__last_name", "user__username")
        )
        for member in members:
            # A person in two establishments is listed once, under the first.
            people.setdefault(
                str(member.user.pk),
                f"{member.organisation.name} — {member.user.display_name()} "
                f"({member.user.username})",
            )
        self.fields["recipients"] = forms.MultipleChoiceField(
            label=gettext_lazy("People (TLP:RED)"),
            choices=list(people.items()),
            widget=forms.SelectMultiple(attrs={"size": 8}),
            required=False,
            help_text=gettext_lazy("A TLP:RED advisory reaches these people only."),
        )

    def clean_references(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["references"].splitlines()]
        check = URLValidator(schemes=["http", "https"])
        found = []
        for number, line in enumerate(lines, start=1):
            if not line:
                continue
            try:
                check(line)
            except forms.ValidationError:
                raise forms.ValidationError(
                    _("Line %(line)s is not a web address: %(value)s"),
                    params={"line": number, "value": line[:100]},
                ) from None
            found.append(line)
        return found

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        audience = data.get("audience")
        if audience == Audience.REGION and not data.get("regions"):
            self.add_error("regions", _("Choose at least one region."))
        if audience == Audience.NAMED and not data.get("establishments"):
            self.add_error("establishments", _("Choose at least one establishment."))
        if audience == Audience.AFFECTED and not advisories.parse_cves(data.get("cves", "")):
            self.add_error("cves", _("Name the CVEs whose affected establishments are told."))
        return data

    def draft(self) -> advisories.Draft:
        data = self.cleaned_data
        return advisories.Draft(
            title=data["title"].strip(),
            summary=data["summary"].strip(),
            severity=data["severity"],
            tlp=data["tlp"],
            actions=data["actions"].strip(),
            cves=advisories.parse_cves(data.get("cves", "")),
            products=data.get("products", "").strip(),
            indicators=data.get("indicators", "").strip(),
            references=data.get("references", []),
        )


def _initial(advisory: Advisory) -> dict[str, Any]:
    version = advisory.current
    if version is None:
        return {}
    return {
        "title": version.title,
        "severity": version.severity,
        "tlp": version.tlp,
        "summary": version.summary,
        "cves": " ".join(version.cves),
        "products": version.products,
        "indicators": version.indicators,
        "actions": version.actions,
        "references": "\n".join(version.references),
        "audience": advisory.audience,
        "regions": advisory.regions,
        "establishments": [str(pk) for pk in advisory.establishments.values_list("pk", flat=True)],
        "recipients": [str(pk) for pk in advisory.recipients.values_list("pk", flat=True)],
    }


def _own(access: OrgAccess, advisory_id: int) -> Advisory:
    advisory = Advisory.objects.filter(organisation=access.organisation, pk=advisory_id).first()
    if advisory is None:
        raise Http404("advisory")
    return advisory


@login_required
@require_GET
def advisory_list(request: HttpRequest, org: str) -> HttpResponse:
    access = org_access(request.user, org)
    rows = visible_advisories(access, Advisory.objects.select_related("current", "organisation"))
    writer = access.can(Cap.PUBLISH)
    if writer:
        rows = rows.annotate(
            received=Count("receipts", distinct=True),
            read=Count("receipts", filter=Q(receipts__read_at__isnull=False), distinct=True),
            acknowledged=Count(
                "receipts", filter=Q(receipts__acknowledged_at__isnull=False), distinct=True
            ),
        )
    listed = list(rows[:200])
    receipts = {
        receipt.advisory_id: receipt
        for receipt in AdvisoryReceipt.objects.filter(
            organisation=access.organisation, advisory__in=listed
        )
    }
    shown = {
        (version.advisory_id, version.number): version
        for version in AdvisoryVersion.objects.filter(advisory__in=listed)
    }
    items = []
    for advisory in listed:
        number = (
            advisory.current.number if writer and advisory.current else advisory.published_version
        )
        items.append(
            {
                "advisory": advisory,
                "version": shown.get((advisory.pk, number)),
                "receipt": receipts.get(advisory.pk),
            }
        )
    return render(
        request,
        "intel/advisory_list.html",
        {"access": access, "items": items, "writer": writer},
    )


@login_required
@require_http_methods(["GET", "POST"])
def advisory_edit(request: HttpRequest, org: str, advisory_id: int | None = None) -> HttpResponse:
    access = org_access(request.user, org, Cap.PUBLISH)
    advisory = _own(access, advisory_id) if advisory_id is not None else None
    initial = _initial(advisory) if advisory is not None else {}
    form = AdvisoryForm(request.POST or None, initial=initial, access=access)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with transaction.atomic():
            saved = advisories.save_version(access, advisory, form.draft())
            saved.audience = data["audience"]
            saved.regions = list(data.get("regions") or [])
            saved.save(update_fields=["audience", "regions"])
            saved.establishments.set([int(pk) for pk in data.get("establishments") or []])
            saved.recipients.set([int(pk) for pk in data.get("recipients") or []])
        messages.success(
            request,
            _("Advisory saved as version %(n)s.")
            % {"n": saved.current.number if saved.current else 1},
        )
        return redirect("advisories:detail", org=org, advisory_id=saved.pk)
    return render(
        request,
        "intel/advisory_form.html",
        {"access": access, "form": form, "advisory": advisory},
    )


@login_required
@require_GET
def advisory_detail(request: HttpRequest, org: str, advisory_id: int) -> HttpResponse:
    access = org_access(request.user, org)
    advisory = (
        visible_advisories(access, Advisory.objects.select_related("organisation", "current"))
        .filter(pk=advisory_id)
        .first()
    )
    if advisory is None:
        raise Http404("advisory")
    writer = advisory.organisation_id == access.organisation.pk and access.can(Cap.PUBLISH)
    versions = list(advisory.versions.select_related("created_by"))
    if writer:
        wanted = request.GET.get("version", "")
        number = (
            int(wanted)
            if wanted.isdigit()
            else (advisory.current.number if advisory.current else 0)
        )
    else:
        number = advisory.published_version
    version = next((v for v in versions if v.number == number), None)
    if version is None:
        raise Http404("version")
    receipt = None if writer else advisories.mark_read(access, advisory)
    receipts = (
        list(advisory.receipts.select_related("organisation", "read_by", "acknowledged_by"))
        if writer
        else []
    )
    audience_count = advisories.audience_of(advisory, access).count() if writer else 0
    return render(
        request,
        "intel/advisory_detail.html",
        {
            "access": access,
            "advisory": advisory,
            "version": version,
            "versions": versions if writer else [],
            "writer": writer,
            "receipt": receipt,
            "receipts": receipts,
            "audience_count": audience_count,
            "may_acknowledge": receipt is not None and access.can(Cap.HANDLE_ALERTS),
        },
    )


@login_required
@require_POST
def advisory_publish(request: HttpRequest, org: str, advisory_id: int) -> HttpResponse:
    access = org_access(request.user, org, Cap.PUBLISH)
    advisory = _own(access, advisory_id)
    try:
        count = advisories.publish(access, advisory)
    except advisories.AdvisoryRefused as refused:
        messages.error(request, str(REFUSALS[refused.code]))
    else:
        messages.success(
            request,
            _("Published to %(count)s establishments.") % {"count": count},
        )
    return redirect("advisories:detail", org=org, advisory_id=advisory.pk)


@login_required
@require_POST
def advisory_acknowledge(request: HttpRequest, org: str, advisory_id: int) -> HttpResponse:
    access = org_access(request.user, org, Cap.HANDLE_ALERTS)
    advisory = visible_advisories(access).filter(pk=advisory_id).first()
    if advisory is None:
        raise Http404("advisory")
    try:
        advisories.acknowledge(access, advisory)
    except advisories.AdvisoryRefused as refused:
        messages.error(request, str(REFUSALS[refused.code]))
    else:
        messages.success(request, _("Advisory acknowledged."))
    return redirect("advisories:detail", org=org, advisory_id=advisory.pk)
