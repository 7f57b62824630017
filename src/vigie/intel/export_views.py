"""Export pages and downloads: blocklists, CSV, RPZ, Suricata datasets and the MISP feed.

Downloads accept the browser session or an API token (`Authorization: Bearer vgs_…`), so a
resolver's cron job or a MISP instance fetches them without a session; either way the rows
are those `intel.exports` selects for the reader (TLP enforced, active only), a member of
another organisation gets the same 404 as a missing one, and each download is audited.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django import forms
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.db.models import Count
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from vigie.api.auth import header_token
from vigie.api.models import ApiToken
from vigie.api.tokens import TokenRejected
from vigie.engines.indicators.exports import (
    SURICATA_DATASETS,
    csv_export,
    plain_blocklist,
    rpz_zone,
    suricata_dataset,
    suricata_rule,
)
from vigie.engines.indicators.model import IndicatorType
from vigie.engines.indicators.normalise import CANONICAL_DOMAIN
from vigie.intel import exports
from vigie.intel.models import IndicatorType as IndicatorTypeChoice
from vigie.intel.models import Tlp
from vigie.tenancy.access import OrgAccess, org_access

TYPES = [type_.value for type_ in IndicatorType]
# Local-use signature ids (1000000-1999999 are left to each site by convention).
FIRST_SID = 1_900_001


class ExportForm(forms.Form):
    tlp = forms.MultipleChoiceField(
        label=gettext_lazy("TLP markings to include"),
        choices=Tlp.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "None ticked: every marking you may see. A file shared with a contractor "
            "(a managed resolver or firewall) should hold TLP:CLEAR and TLP:GREEN only."
        ),
    )


class _Refused(Exception):
    """No session and no usable token: the client must authenticate."""


def _caller(request: HttpRequest) -> tuple[Any, ApiToken | None]:
    if request.headers.get("Authorization"):
        # A header is an answer: another scheme, or a bad token, is refused, never ignored.
        try:
            token = header_token(request)
        except TokenRejected:
            raise _Refused from None
        if token is None:
            raise _Refused
        return token.user, token
    if request.user.is_authenticated:
        return request.user, None
    raise _Refused


def _refusal(request: HttpRequest) -> HttpResponse:
    if "text/html" in request.headers.get("Accept", "") and not request.headers.get(
        "Authorization"
    ):
        # A person whose session ended: the sign-in page brings them back here.
        return redirect_to_login(request.get_full_path())
    response = HttpResponse(
        _("Sign in, or send an API token as 'Authorization: Bearer <token>'.") + "\n",
        status=401,
        content_type="text/plain; charset=utf-8",
    )
    response["WWW-Authenticate"] = 'Bearer realm="vigie"'
    return response


def _levels(request: HttpRequest) -> list[str] | None:
    """The requested markings; None when one is unknown (a typo must never widen a file)."""
    # `amber+strict` typed in a query string arrives as `amber strict` (`+` is a space there).
    levels = [level.strip().lower().replace(" ", "+") for level in request.GET.getlist("tlp")]
    if any(level not in exports.TLP_VALUES for level in levels):
        return None
    return sorted(set(levels), key=exports.TLP_VALUES_ORDERED.index)


def _download(
    chunks: Iterable[str | bytes], content_type: str, file_name: str | None
) -> StreamingHttpResponse:
    def encoded() -> Iterator[bytes]:
        for chunk in chunks:
            yield chunk.encode() if isinstance(chunk, str) else chunk

    response = StreamingHttpResponse(encoded(), content_type=content_type)
    # Marked intelligence: no shared cache may keep a copy.
    response["Cache-Control"] = "private, no-store"
    if file_name is not None:
        response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


class _Download:
    """One authenticated download: who asks, in which organisation, for which markings."""

    def __init__(self, request: HttpRequest, org: str) -> None:
        user, self.token = _caller(request)
        self.access: OrgAccess = org_access(user, org)
        self.request = request
        levels = _levels(request)
        self.unknown_marking = levels is None
        self.levels: list[str] = levels or []

    def audit(self, file_format: str, count: int, tlps: Iterable[str] = ()) -> None:
        exports.record_export(
            access=self.access,
            file_format=file_format,
            count=count,
            request=self.request,
            token=self.token,
            tlps=tlps,
        )


def download_view(
    view: Callable[..., HttpResponseBase],
) -> Callable[..., HttpResponseBase]:
    """A GET download: the caller authenticated (session or token) in `org`, markings valid.

    The view receives the `_Download` then the URL's other arguments.
    """

    @require_GET
    @functools.wraps(view)
    def wrapper(request: HttpRequest, org: str, **kwargs: Any) -> HttpResponseBase:
        try:
            download = _Download(request, org)
        except _Refused:
            return _refusal(request)
        if download.unknown_marking:
            return _bad_tlp()
        return view(download, **kwargs)

    return wrapper


def _bad_tlp() -> HttpResponse:
    return HttpResponseBadRequest(
        _("Unknown TLP marking: use clear, green, amber, amber+strict or red.") + "\n",
        content_type="text/plain; charset=utf-8",
    )


# --- The page -------------------------------------------------------------------------------------


@login_required
@require_GET
def export_page(request: HttpRequest, org: str) -> HttpResponse:
    access = org_access(request.user, org)
    form = ExportForm(request.GET or None)
    levels = form.cleaned_data["tlp"] if form.is_bound and form.is_valid() else []
    rows = exports.exportable(access, TYPES, levels)
    counts = {
        row["type"]: row["n"]
        for row in rows.order_by().values("type").annotate(n=Count("value", distinct=True))
    }
    query = ("?" + urlencode([("tlp", level) for level in levels])) if levels else ""
    slug = access.organisation.slug

    def link(name: str, **kwargs: str) -> str:
        return reverse(name, kwargs={"org": slug, **kwargs}) + query

    types = [
        {
            "code": code,
            "label": label,
            "count": counts.get(code, 0),
            "plain": link("intel:export_plain", kind=code),
            "csv": link("intel:export_csv", kind=code),
        }
        for code, label in IndicatorTypeChoice.choices
    ]
    datasets = [
        {
            "kind": kind,
            "type": dataset.suricata_type,
            "count": sum(counts.get(type_.value, 0) for type_ in dataset.types),
            "url": link("intel:export_suricata", kind=kind),
            "file": _dataset_file(kind),
            "rule": suricata_rule(kind, file_name=_dataset_file(kind), sid=FIRST_SID + index),
        }
        for index, (kind, dataset) in enumerate(SURICATA_DATASETS.items())
    ]
    rpz_url = link("intel:export_rpz")
    return render(
        request,
        "intel/export.html",
        {
            "access": access,
            "form": form,
            "types": types,
            "datasets": datasets,
            "all_csv": link("intel:export_csv", kind="all"),
            "total": sum(counts.values()),
            "rpz_url": rpz_url,
            "rpz_zone": _default_zone(slug),
            "rpz_count": counts.get(IndicatorType.DOMAIN.value, 0),
            "example_url": request.build_absolute_uri(
                link("intel:export_plain", kind=IndicatorType.DOMAIN.value)
            ),
            "misp_url": request.build_absolute_uri(
                reverse("intel_feed:misp_manifest", kwargs={"org": slug})
            ).removesuffix("manifest.json"),
        },
    )


# --- Blocklists, CSV, RPZ, Suricata ---------------------------------------------------------------


@download_view
def plain(download: _Download, kind: str) -> HttpResponseBase:
    if kind not in TYPES:
        raise Http404("type")
    levels = download.levels
    rows = exports.exportable(download.access, [kind], levels)
    header = exports.header(download.access, rows, f"{kind} blocklist")
    download.audit(f"plain:{kind}", header.count, levels)
    return _download(
        plain_blocklist(header, exports.distinct_values(rows)),
        "text/plain; charset=utf-8",
        f"{download.access.organisation.slug}-{kind}.txt",
    )


@download_view
def csv(download: _Download, kind: str) -> HttpResponseBase:
    if kind != "all" and kind not in TYPES:
        raise Http404("type")
    levels = download.levels
    rows = exports.exportable(download.access, TYPES if kind == "all" else [kind], levels)
    download.audit(f"csv:{kind}", rows.count(), levels)
    return _download(
        csv_export(exports.records(rows)),
        "text/csv; charset=utf-8",
        f"{download.access.organisation.slug}-{kind}.csv",
    )


def _dataset_file(kind: str) -> str:
    return f"vigie-{kind}.lst"


def _default_zone(slug: str) -> str:
    return f"{slug}.rpz.vigie."


@download_view
def rpz(download: _Download) -> HttpResponseBase:
    levels = download.levels
    zone = download.request.GET.get("zone", "").strip().lower().rstrip(".")
    if zone and not CANONICAL_DOMAIN.fullmatch(zone):
        return HttpResponseBadRequest(
            _("The zone name must be a domain name, such as rpz.example.org.") + "\n",
            content_type="text/plain; charset=utf-8",
        )
    origin = zone + "." if zone else _default_zone(download.access.organisation.slug)
    rows = exports.exportable(download.access, [IndicatorType.DOMAIN.value], levels)
    header = exports.header(download.access, rows, f"response policy zone {origin}")
    download.audit("rpz", header.count, levels)
    return _download(
        rpz_zone(header, origin, exports.distinct_values(rows)),
        "text/dns; charset=utf-8",
        f"{download.access.organisation.slug}.rpz",
    )


@download_view
def suricata(download: _Download, kind: str) -> HttpResponseBase:
    if kind not in SURICATA_DATASETS:
        raise Http404("dataset")
    levels = download.levels
    rows = exports.suricata_rows(download.access, kind, levels)
    download.audit(f"suricata:{kind}", rows.values("value").distinct().count(), levels)
    return _download(
        suricata_dataset(kind, exports.distinct_values(rows)),
        "text/plain; charset=utf-8",
        _dataset_file(kind),
    )


# --- MISP feed ------------------------------------------------------------------------------------


@download_view
def misp_manifest(download: _Download) -> HttpResponseBase:
    feed = exports.misp_feed(download.access)
    # Not audited: the manifest names events (publisher, marking, date), never an indicator.
    body = feed.manifest(exports.feed_groups(download.access))
    response = HttpResponse(body, content_type="application/json")
    response["Cache-Control"] = "private, no-store"
    return response


@download_view
def misp_hashes(download: _Download) -> HttpResponseBase:
    rows = exports.misp_rows(download.access)
    download.audit("misp:hashes", rows.count())
    feed = exports.misp_feed(download.access)
    return _download(
        feed.hashes_csv(exports.records(rows, "organisation_id", "tlp", "type", "value")),
        "text/csv; charset=utf-8",
        None,
    )


@download_view
def misp_event(download: _Download, event_id: UUID) -> HttpResponseBase:
    event = exports.feed_event(download.access, str(event_id))
    if event is None:
        raise Http404("event")
    download.audit(f"misp:{event_id}", event.group.count)
    feed = exports.misp_feed(download.access)
    return _download(
        feed.event_json(event.group, exports.records(event.rows, "type", "value")),
        "application/json",
        None,
    )
