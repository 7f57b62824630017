"""Notification pages: channels (configured by administrators) and the delivery log (members)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from vigie.notify import actions, filters, ssrf
from vigie.notify.forms import (
    DeliveryFilterForm,
    EmailChannelForm,
    WebhookChannelForm,
    unsafe_url_message,
)
from vigie.notify.models import Channel, ChannelKind, Delivery, DeliveryState
from vigie.notify.transports.webhook import USER_AGENT
from vigie.tenancy.access import OrgAccess, get_scoped, org_access, scoped
from vigie.tenancy.roles import Cap, Role

_FORMS: dict[str, type[EmailChannelForm] | type[WebhookChannelForm]] = {
    ChannelKind.EMAIL: EmailChannelForm,
    ChannelKind.WEBHOOK: WebhookChannelForm,
}


def _sends_to(channel: Channel) -> str:
    if channel.kind == ChannelKind.WEBHOOK:
        return channel.display_url
    labels = {value: str(label) for value, label in Role.choices}
    parts = [labels.get(role, role) for role in channel.roles or []]
    extra = len(channel.extra_addresses or [])
    if extra:
        parts.append(
            ngettext("%(count)d other address", "%(count)d other addresses", extra)
            % {"count": extra}
        )
    return ", ".join(parts)


@login_required
@require_GET
def channels(request: HttpRequest, org: str) -> HttpResponse:
    access = org_access(request.user, org)
    deliveries = scoped(access, Delivery.objects.all())
    # order_by() clears the model's ordering, which would otherwise split the groups.
    by_state = dict(
        deliveries.order_by().values("state").annotate(n=Count("pk")).values_list("state", "n")
    )
    return render(
        request,
        "notify/channels.html",
        {
            "access": access,
            "channels": [
                (channel, _sends_to(channel), filters.summary(channel))
                for channel in scoped(access, Channel.objects.all()).order_by("name", "pk")
            ],
            "can_manage": access.can(Cap.MANAGE_MEMBERS),
            "by_state": by_state,
            "recent": deliveries.select_related("channel")[:10],
        },
    )


def _secret_page(
    request: HttpRequest, access: OrgAccess, channel: Channel, secret: str
) -> HttpResponse:
    return render(
        request,
        "notify/secret.html",
        {"access": access, "channel": channel, "secret": secret, "user_agent": USER_AGENT},
    )


def _save_form(
    request: HttpRequest, access: OrgAccess, channel: Channel, *, created: bool
) -> HttpResponse:
    form_class = _FORMS[channel.kind]
    form = form_class(access.organisation, request.POST or None, instance=channel)
    if request.method == "POST" and form.is_valid():
        channel = form.save(commit=False)
        try:
            if created:
                secret = actions.create_channel(access=access, channel=channel, request=request)
            else:
                actions.update_channel(access=access, channel=channel, request=request)
                secret = None
        except ssrf.UnsafeURL as exc:
            # The name resolved differently between the form's check and the save.
            form.add_error(
                "url", unsafe_url_message(exc, http_allowed=settings.VIGIE_WEBHOOK_ALLOW_HTTP)
            )
        else:
            if secret is not None:
                return _secret_page(request, access, channel, secret)
            messages.success(request, _("Channel “%(name)s” saved.") % {"name": channel.name})
            return redirect("notify:channels", org=access.organisation.slug)
    return render(
        request,
        "notify/channel_form.html",
        {"access": access, "form": form, "channel": channel, "created": created},
    )


@login_required
@require_http_methods(["GET", "POST"])
def channel_create(request: HttpRequest, org: str, kind: str) -> HttpResponse:
    access = org_access(request.user, org, Cap.MANAGE_MEMBERS)
    if kind not in _FORMS:
        raise Http404("kind")
    return _save_form(
        request, access, Channel(kind=kind, organisation=access.organisation), created=True
    )


def _channel(access: OrgAccess, channel_id: int) -> Channel:
    return get_scoped(access, Channel.objects.all(), pk=channel_id)


@login_required
@require_http_methods(["GET", "POST"])
def channel_edit(request: HttpRequest, org: str, channel_id: int) -> HttpResponse:
    access = org_access(request.user, org, Cap.MANAGE_MEMBERS)
    return _save_form(request, access, _channel(access, channel_id), created=False)


@login_required
@require_POST
def channel_delete(request: HttpRequest, org: str, channel_id: int) -> HttpResponse:
    access = org_access(request.user, org, Cap.MANAGE_MEMBERS)
    channel = _channel(access, channel_id)
    actions.delete_channel(access=access, channel=channel, request=request)
    messages.success(request, _("Channel “%(name)s” deleted.") % {"name": channel.name})
    return redirect("notify:channels", org=access.organisation.slug)


@login_required
@require_POST
def channel_test(request: HttpRequest, org: str, channel_id: int) -> HttpResponse:
    access = org_access(request.user, org, Cap.MANAGE_MEMBERS)
    channel = _channel(access, channel_id)
    deliveries = actions.send_test(access=access, channel=channel, request=request)
    if deliveries:
        messages.success(
            request,
            ngettext(
                "Test queued: %(count)d message.",
                "Test queued: %(count)d messages.",
                len(deliveries),
            )
            % {"count": len(deliveries)},
        )
    else:
        messages.warning(request, _("Nobody to send the test to: no member has these roles."))
    url = reverse("notify:deliveries", kwargs={"org": access.organisation.slug})
    return redirect(f"{url}?event=test")


@login_required
@require_POST
def channel_secret(request: HttpRequest, org: str, channel_id: int) -> HttpResponse:
    access = org_access(request.user, org, Cap.MANAGE_MEMBERS)
    channel = _channel(access, channel_id)
    if channel.kind != ChannelKind.WEBHOOK:
        raise Http404("secret")
    secret = actions.regenerate_secret(access=access, channel=channel, request=request)
    return _secret_page(request, access, channel, secret)


@login_required
@require_GET
def deliveries(request: HttpRequest, org: str) -> HttpResponse:
    access = org_access(request.user, org)
    rows = scoped(access, Delivery.objects.all())
    events = list(rows.order_by("event").values_list("event", flat=True).distinct())
    form = DeliveryFilterForm(events, request.GET or None)
    data: dict[str, Any] = form.cleaned_data if form.is_bound and form.is_valid() else {}
    if data.get("state"):
        rows = rows.filter(state=data["state"])
    if data.get("event"):
        rows = rows.filter(event=data["event"])
    page = Paginator(rows.select_related("channel").order_by("-created_at", "-pk"), 50).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "notify/deliveries.html",
        {"access": access, "form": form, "page": page, "query": query.urlencode()},
    )


@login_required
@require_GET
def delivery_detail(request: HttpRequest, org: str, delivery_id: int) -> HttpResponse:
    access = org_access(request.user, org)
    delivery = get_scoped(access, Delivery.objects.select_related("channel"), pk=delivery_id)
    return render(
        request,
        "notify/delivery_detail.html",
        {
            "access": access,
            "delivery": delivery,
            "attempts": delivery.attempt_log.all(),
            "waiting": delivery.state in (DeliveryState.PENDING, DeliveryState.RETRY),
        },
    )
