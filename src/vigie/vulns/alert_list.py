"""The establishment's alert list: filters kept in the URL, sorting, paging in the database.

Filters and sort travel as GET parameters so a list can be bookmarked, shared, paged, exported
and returned to after a bulk action. Every filter on the affected assets is an EXISTS subquery
rather than a join, so an alert is never repeated and no DISTINCT is needed before LIMIT/OFFSET.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OrderBy,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vigie.core.forms import choice_field
from vigie.inventory.care_units import care_units
from vigie.inventory.models import Asset, AssetKind
from vigie.tenancy.access import OrgAccess, scoped
from vigie.vulns.models import (
    OPEN_STATES,
    Alert,
    AlertAsset,
    AlertState,
    EpssScore,
    KevListing,
    Priority,
)

PRIORITY_ORDER = ["act", "attend", "track*", "track"]
SORT_KEYS = ("priority", "cvss", "epss", "kev", "due")
DIRECTIONS = ("asc", "desc")
PAGE_SIZE = 50
# Parameters that describe the list (not the page): kept across sort, paging and bulk actions.
LIST_PARAMS = (
    "q",
    "priority",
    "state",
    "location",
    "kind",
    "kev",
    "overdue",
    "mine",
    "sort",
    "dir",
)


class AlertFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100)
    state = forms.ChoiceField(label=gettext_lazy("State"), required=False)
    priority = forms.ChoiceField(label=gettext_lazy("Priority"), required=False)
    location = forms.ChoiceField(label=gettext_lazy("Care unit"), required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Asset kind"), required=False)
    kev = forms.ChoiceField(label=gettext_lazy("Known exploited (KEV)"), required=False)
    overdue = forms.BooleanField(label=gettext_lazy("Overdue only"), required=False)
    mine = forms.BooleanField(label=gettext_lazy("Assigned to me"), required=False)
    sort = forms.ChoiceField(
        required=False, widget=forms.HiddenInput, choices=[(k, k) for k in SORT_KEYS]
    )
    dir = forms.ChoiceField(
        required=False, widget=forms.HiddenInput, choices=[(d, d) for d in DIRECTIONS]
    )

    def __init__(self, *args: Any, units: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "state").choices = [
            ("", _("Open")),
            ("all", _("All")),
            *AlertState.choices,
        ]
        choice_field(self, "priority").choices = [("", _("All")), *Priority.choices]
        choice_field(self, "location").choices = [
            ("", _("All")),
            *((unit, unit) for unit in units or []),
        ]
        choice_field(self, "kind").choices = [("", _("All")), *AssetKind.choices]
        choice_field(self, "kev").choices = [
            ("", _("All")),
            ("yes", _("Known exploited")),
            ("no", _("Not known exploited")),
        ]


def filter_form(access: OrgAccess, params: QueryDict) -> tuple[AlertFilterForm, dict[str, Any]]:
    form = AlertFilterForm(params or None, units=care_units(access))
    if not form.is_bound:
        return form, {}
    # A bad parameter is shown on its field and ignored; the valid ones still apply.
    form.is_valid()
    return form, dict(form.cleaned_data)


@dataclass(frozen=True, slots=True)
class Sort:
    key: str
    direction: str

    @property
    def descending(self) -> bool:
        return self.direction == "desc"


def sort_of(data: dict[str, Any]) -> Sort:
    key = data.get("sort") or "priority"
    # Priority, KEV and due date read best "most urgent first" by default; scores highest first.
    default = "desc" if key in ("cvss", "epss", "kev") else "asc"
    return Sort(key=key, direction=data.get("dir") or default)


def _affecting(access: OrgAccess, condition: Q) -> Q:
    """Alerts affecting one of the establishment's assets that meet `condition`.

    Read from the assets side: the (organisation, location/kind) and (asset, active) indexes
    find the few alerts concerned, where a per-alert EXISTS probed every open alert (60-75 ms
    at 5,000 alerts, docs/performance.md).
    """
    assets = scoped(access, Asset.objects.filter(condition)).values("pk")
    return Q(pk__in=AlertAsset.objects.filter(active=True, asset__in=assets).values("alert_id"))


# Above this many alerts, the asset-name part of a text search stays a subquery.
NAMED_ALERTS_READ_FIRST = 2_000


def _affecting_named(access: OrgAccess, text: str) -> Q:
    """Alerts affecting an asset whose name contains `text`, for the text search's OR.

    Inside an OR, PostgreSQL cannot make the subquery a semi-join: it plans it for half of its
    rows, where a sequential scan of the inventory looks cheaper than the trigram index (31 of
    the query's 47 ms at 50,000 assets, docs/performance.md). Read first, the ids are few and
    the index serves them; a search matching many alerts keeps the subquery.
    """
    assets = scoped(access, Asset.objects.filter(name__icontains=text)).values("pk")
    ids = list(
        AlertAsset.objects.filter(active=True, asset__in=assets)
        .values_list("alert_id", flat=True)
        .distinct()[: NAMED_ALERTS_READ_FIRST + 1]
    )
    if len(ids) > NAMED_ALERTS_READ_FIRST:
        return _affecting(access, Q(name__icontains=text))
    return Q(pk__in=ids)


def alerts_for(access: OrgAccess, data: dict[str, Any]) -> QuerySet[Alert]:
    """The filtered, annotated and ordered alerts; lazy but for a text search's asset names."""
    alerts = scoped(access, Alert.objects.select_related("vulnerability", "assignee"))
    state = data.get("state") or ""
    if state == "":
        alerts = alerts.filter(state__in=OPEN_STATES)
    elif state != "all":
        alerts = alerts.filter(state=state)
    if data.get("priority"):
        alerts = alerts.filter(priority=data["priority"])
    if data.get("q"):
        q = data["q"]
        alerts = alerts.filter(
            Q(vulnerability__vuln_id__icontains=q)
            | Q(vulnerability__title__icontains=q)
            | _affecting_named(access, q)
        )
    # Care unit and kind describe one asset: "a server in cardiology", not "a server somewhere
    # and anything in cardiology".
    asset_condition = Q()
    if data.get("location"):
        asset_condition &= Q(location=data["location"])
    if data.get("kind"):
        asset_condition &= Q(kind=data["kind"])
    if asset_condition:
        alerts = alerts.filter(_affecting(access, asset_condition))
    if data.get("overdue"):
        alerts = alerts.filter(state__in=OPEN_STATES, remediation_due_at__lt=timezone.now())
    if data.get("mine"):
        alerts = alerts.filter(assignee=access.user)
    kev = Exists(KevListing.objects.filter(cve=OuterRef("vulnerability__vuln_id")))
    epss = Subquery(
        EpssScore.objects.filter(cve=OuterRef("vulnerability__vuln_id")).values("epss")[:1]
    )
    alerts = alerts.annotate(in_kev=kev, epss=epss)
    if data.get("kev") == "yes":
        alerts = alerts.filter(in_kev=True)
    elif data.get("kev") == "no":
        alerts = alerts.filter(in_kev=False)
    # No count of assets here: an aggregate would make the paginator's COUNT join and group the
    # assets; the page's prefetched assets give it (one row per asset, unique per alert).
    return _ordered(alerts, sort_of(data))


def _ordered(alerts: QuerySet[Alert], sort: Sort) -> QuerySet[Alert]:
    rank = Case(
        *(When(priority=p, then=Value(i)) for i, p in enumerate(PRIORITY_ORDER)),
        default=Value(len(PRIORITY_ORDER)),
        output_field=IntegerField(),
    )
    alerts = alerts.annotate(priority_rank=rank)
    expressions = {
        "priority": F("priority_rank"),
        "cvss": F("vulnerability__cvss_score"),
        "epss": F("epss"),
        "kev": F("in_kev"),
        "due": F("remediation_due_at"),
    }
    main = expressions[sort.key]
    # Missing scores and dates go last in both directions: "unknown" is never the top of a list.
    first: OrderBy = main.desc(nulls_last=True) if sort.descending else main.asc(nulls_last=True)
    # The priority, then the newest, then the id: a total order, so pages never overlap.
    return alerts.order_by(first, "priority_rank", "-first_seen", "-pk")


SHOWN_ASSETS = 3


@dataclass(frozen=True, slots=True)
class AlertRow:
    """One line of the list: the alert, its link and labels, its first active assets (name,
    care unit) and their count. Links and labels are made here, each label once per page:
    Django's `get_FOO_display` and `{% url %}` cost 50-100 µs a row in the template."""

    alert: Alert
    url: str
    priority_label: str
    state_label: str
    shown_assets: list[tuple[str, str]]
    asset_count: int

    @property
    def more_assets(self) -> int:
        return max(0, self.asset_count - SHOWN_ASSETS)


def rows_of(alerts: Iterable[Alert], org_slug: str) -> list[AlertRow]:
    """The page's alerts with their first active assets and their count, in three small queries.

    The counts come from one GROUP BY; the first assets of each alert (lowest ids) from a window
    function over the alert-asset rows alone, then their names by primary key. Prefetching every
    affected asset loaded 800 to 1,600 rows per page of 50 alerts at 50,000 assets (a widespread
    CVE has thousands) for three shown; ranking by name joined the whole inventory, which
    PostgreSQL hashed (a 52,000-row scan per page, docs/performance.md).
    """
    page = list(alerts)
    ids = [alert.pk for alert in page]
    active = AlertAsset.objects.filter(alert_id__in=ids, active=True)
    counts = dict(
        active.values_list("alert_id").annotate(n=Count("pk")).values_list("alert_id", "n")
    )
    rank = Window(RowNumber(), partition_by=[F("alert_id")], order_by=[F("asset_id")])
    first = list(
        active.annotate(rank=rank)
        .filter(rank__lte=SHOWN_ASSETS)
        .values_list("alert_id", "asset_id")
    )
    names = {
        pk: (name, location)
        for pk, name, location in Asset.objects.filter(
            pk__in={asset_id for _alert, asset_id in first}
        ).values_list("pk", "name", "location")
    }
    shown: dict[int, list[tuple[str, str]]] = {}
    for alert_id, asset_id in first:
        shown.setdefault(alert_id, []).append(names[asset_id])
    priorities = {value: str(label) for value, label in Priority.choices}
    states = {value: str(label) for value, label in AlertState.choices}
    return [
        AlertRow(
            alert=alert,
            url=reverse("vulns:alert", kwargs={"org": org_slug, "alert_id": alert.pk}),
            priority_label=priorities.get(alert.priority, alert.priority),
            state_label=states.get(alert.state, alert.state),
            shown_assets=sorted(shown.get(alert.pk, [])),
            asset_count=counts.get(alert.pk, 0),
        )
        for alert in page
    ]


def list_query(params: QueryDict, **changes: str) -> str:
    """The list's own parameters (filters and sort), without the page, with some replaced."""
    query = QueryDict(mutable=True)
    for name in LIST_PARAMS:
        value = changes.get(name, params.get(name, ""))
        if value:
            query[name] = value
    return query.urlencode()


def sort_links(params: QueryDict, sort: Sort) -> dict[str, dict[str, str]]:
    """For each sortable column: the link that sorts by it (flipping if already) and aria-sort."""
    links = {}
    for key in SORT_KEYS:
        active = key == sort.key
        direction = ("asc" if sort.descending else "desc") if active else ""
        links[key] = {
            # Not yet sorted by it: no direction, so the column's natural one applies.
            "query": list_query(params, sort=key, dir=direction),
            "aria": ("descending" if sort.descending else "ascending") if active else "none",
        }
    return links
