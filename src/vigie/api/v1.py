"""REST API v1: /api/v1/ (schema at /api/v1/schema/, docs at /api/v1/docs)."""

import uuid
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Field as ModelField
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Form, NinjaAPI, Query, Router, Schema, UploadedFile
from ninja.errors import HttpError
from ninja.pagination import PageNumberPagination, paginate
from ninja.responses import Status
from pydantic import field_validator
from pydantic_core import PydanticCustomError

from vigie.accounts.models import User
from vigie.api import errors
from vigie.api.auth import TokenAuth, VerifiedSessionAuth, current_token
from vigie.api.models import ApiToken, Scope
from vigie.api.tokens import create_token, revoke_token
from vigie.audit.queries import apply_filters, events_for
from vigie.backups.api import router as backups_router
from vigie.core.email_address import InvalidEmailAddress, check_email_address
from vigie.core.paging import ConvertedRows, sliced_rows
from vigie.incidents import actions as incident_actions
from vigie.incidents.deadlines import clocks_of
from vigie.incidents.forms import MODEL_FIELDS, IncidentForm
from vigie.incidents.models import Incident
from vigie.incidents.visibility import visible_incidents
from vigie.intel import sightings
from vigie.intel.models import Advisory, AdvisoryVersion, IndicatorType, Sighting, Tlp
from vigie.intel.search import indicator_search
from vigie.intel.visibility import visible_advisories, visible_sightings
from vigie.inventory import import_list, imports
from vigie.inventory.models import Asset, InventoryImport
from vigie.tenancy import actions
from vigie.tenancy.access import (
    get_scoped,
    memberships_of,
    org_access,
    scoped,
    supported_establishment,
    supported_establishments,
)
from vigie.tenancy.models import Membership, Organisation
from vigie.tenancy.roles import Cap, OrgKind
from vigie.vulns import alerting
from vigie.vulns.models import (
    OPEN_STATES,
    Alert,
    AlertState,
    EpssScore,
    KevListing,
    Vulnerability,
    affected_assets_count,
)
from vigie.vulns.reasons import stored_reason
from vigie.vulns.remediation import summary_for as remediation_summary
from vigie.vulns.ssvc_text import explanation_lines

api = NinjaAPI(
    title="Vigie Santé API",
    version="1",
    description=(
        "API of the Vigie Santé platform. Authenticate with a personal token: "
        "`Authorization: Bearer <token>` (or `Token <token>`). Read-only tokens may only GET. "
        'Errors: `{"error": {"code", "message", "fields"}}`. Lists are paginated with '
        "`page` and `page_size` (at most 200)."
    ),
    urls_namespace="api-v1",
    openapi_url="/schema/",
    docs_url="/docs",
    auth=[TokenAuth(), VerifiedSessionAuth()],
)
errors.install(api)


# Offsets are computed from `page` and go to the database as 64-bit integers: a page number past
# that is refused as a field error rather than failing in the database. No list has that many
# pages; a larger `page_size` is lowered to the maximum, as documented.
MAX_PAGE = 10**9


class Pagination(PageNumberPagination):
    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(page_size=50, max_page_size=200, **kwargs)

    def paginate_queryset(
        self, queryset: Any, pagination: Any, request: HttpRequest, **params: Any
    ) -> Any:
        if not isinstance(queryset, QuerySet):
            return super().paginate_queryset(queryset, pagination, request, **params)
        size = self._get_page_size(pagination.page_size)
        offset = (pagination.page - 1) * size
        # Deep pages read their ids first, then their rows (vigie.core.paging.sliced_rows).
        return {
            self.items_attribute: sliced_rows(queryset, offset, offset + size),
            "count": self._items_count(queryset),
        }


def signed_in(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):
        raise HttpError(401, _("Authentication required."))
    return user


# --- Schemas -----------------------------------------------------------------------------------


class MembershipOut(Schema):
    organisation: str = Field(..., description="The organisation's short name (slug)")
    organisation_name: str
    kind: str
    role: str
    capabilities: list[str]


class MeOut(Schema):
    username: str
    name: str
    email: str
    language: str
    memberships: list[MembershipOut]
    token_scope: str | None = Field(None, description="Scope of the token used, if any")


class OrganisationOut(Schema):
    slug: str
    name: str
    kind: str
    finess: str
    structure_type: str
    region: str
    ght: str
    nis2_class: str
    ose: bool
    centre: str | None = None

    @staticmethod
    def resolve_centre(obj: Organisation) -> str | None:
        return obj.centre.slug if obj.centre_id and obj.centre else None


class OrganisationPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    finess: str | None = Field(None, max_length=9)
    structure_type: str | None = None
    region: str | None = None
    ght: str | None = Field(None, max_length=200)
    nis2_class: str | None = None
    ose: bool | None = None


class EstablishmentIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    slug: str = Field(..., pattern=r"^[-a-z0-9]{1,60}$")
    finess: str = Field("", max_length=9)
    structure_type: str
    region: str
    ght: str = Field("", max_length=200)
    nis2_class: str = "none"
    ose: bool = False


class MemberOut(Schema):
    id: int
    username: str
    name: str
    email: str
    role: str
    joined: datetime

    @staticmethod
    def resolve_username(obj: Membership) -> str:
        return obj.user.get_username()

    @staticmethod
    def resolve_name(obj: Membership) -> str:
        return obj.user.display_name()

    @staticmethod
    def resolve_email(obj: Membership) -> str:
        return obj.user.email

    @staticmethod
    def resolve_joined(obj: Membership) -> datetime:
        return obj.created_at


class RoleIn(Schema):
    role: str


class InvitationIn(Schema):
    email: str = Field(..., max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    role: str

    @field_validator("email")
    @classmethod
    def sendable_email(cls, value: str) -> str:
        # The pattern only documents the shape; this is what the mail layer can send to.
        try:
            return check_email_address(value)
        except InvalidEmailAddress as error:
            raise PydanticCustomError(
                "email", _("Enter a valid e-mail address (ASCII before the @).")
            ) from error


class InvitationOut(Schema):
    id: int
    email: str
    role: str
    expires_at: datetime


class AuditEventOut(Schema):
    id: int
    at: datetime
    who: str
    action: str
    target_type: str
    target_id: str
    target: str
    ip: str | None
    details: dict[str, Any]

    @staticmethod
    def resolve_who(obj: Any) -> str:
        return str(obj.actor_username)

    @staticmethod
    def resolve_target(obj: Any) -> str:
        return str(obj.target_label)


class AuditFilter(Schema):
    who: str | None = Field(None, max_length=150)
    action: str | None = Field(None, max_length=64)
    since: date | None = None
    until: date | None = None


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    scope: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    scope: Scope = Scope.READ
    expires_at: datetime | None = None


class TokenCreated(TokenOut):
    token: str = Field(..., description="The secret; shown only in this response")


# --- Routes ------------------------------------------------------------------------------------


@api.get("/me", response=MeOut, tags=["account"])
def me(request: HttpRequest) -> dict[str, Any]:
    user = signed_in(request)
    token = current_token(request)
    return {
        "username": user.get_username(),
        "name": user.display_name(),
        "email": user.email,
        "language": user.language,
        "memberships": [
            {
                "organisation": m.organisation.slug,
                "organisation_name": m.organisation.name,
                "kind": m.organisation.kind,
                "role": m.role,
                "capabilities": sorted(m.capabilities),
            }
            for m in memberships_of(user)
        ],
        "token_scope": token.scope if token else None,
    }


orgs = Router(tags=["organisations"])


@orgs.get("", response=list[OrganisationOut])
@paginate(Pagination)
def list_organisations(request: HttpRequest) -> Any:
    return Organisation.objects.filter(
        pk__in=memberships_of(signed_in(request)).values("organisation")
    ).select_related("centre")


@orgs.get("/{slug}", response=OrganisationOut)
def get_organisation(request: HttpRequest, slug: str) -> Organisation:
    return org_access(signed_in(request), slug).organisation


@orgs.patch("/{slug}", response=OrganisationOut)
def patch_organisation(request: HttpRequest, slug: str, payload: OrganisationPatch) -> Organisation:
    access = org_access(signed_in(request), slug, Cap.EDIT_PROFILE)
    values = payload.dict(exclude_unset=True, exclude_none=True)
    return actions.update_organisation(
        access=access, organisation=access.organisation, values=values, request=request
    )


@orgs.get("/{slug}/members", response=list[MemberOut])
@paginate(Pagination)
def list_members(request: HttpRequest, slug: str) -> Any:
    access = org_access(signed_in(request), slug)
    return scoped(access, Membership.objects.select_related("user")).order_by("user__username")


@orgs.patch("/{slug}/members/{member_id}", response=MemberOut)
def patch_member(request: HttpRequest, slug: str, member_id: int, payload: RoleIn) -> Membership:
    access = org_access(signed_in(request), slug, Cap.MANAGE_MEMBERS)
    membership = get_scoped(access, Membership.objects.select_related("user"), pk=member_id)
    return actions.change_role(
        access=access, membership=membership, role=payload.role, request=request
    )


@orgs.delete("/{slug}/members/{member_id}", response={204: None})
def delete_member(request: HttpRequest, slug: str, member_id: int) -> Status[Any]:
    access = org_access(signed_in(request), slug, Cap.MANAGE_MEMBERS)
    membership = get_scoped(access, Membership.objects.select_related("user"), pk=member_id)
    actions.remove_member(access=access, membership=membership, request=request)
    return Status(204, None)


@orgs.post("/{slug}/invitations", response={201: InvitationOut})
def post_invitation(request: HttpRequest, slug: str, payload: InvitationIn) -> Status[Any]:
    access = org_access(signed_in(request), slug, Cap.MANAGE_MEMBERS)
    invitation, _token = actions.invite_member(
        access=access, email=payload.email, role=payload.role, request=request
    )
    return Status(201, invitation)


@orgs.get("/{slug}/audit", response=list[AuditEventOut])
@paginate(Pagination)
def list_audit(request: HttpRequest, slug: str, filters: Query[AuditFilter]) -> Any:
    access = org_access(signed_in(request), slug, Cap.VIEW_AUDIT)
    return apply_filters(events_for(access), filters.dict())


@orgs.get("/{slug}/establishments", response=list[OrganisationOut])
@paginate(Pagination)
def list_establishments(request: HttpRequest, slug: str) -> Any:
    access = org_access(signed_in(request), slug, Cap.VIEW_SECTOR)
    return supported_establishments(access).select_related("centre")


@orgs.post("/{slug}/establishments", response={201: OrganisationOut})
def post_establishment(request: HttpRequest, slug: str, payload: EstablishmentIn) -> Status[Any]:
    access = org_access(signed_in(request), slug, Cap.MANAGE_ESTABLISHMENTS)
    if Organisation.objects.filter(slug=payload.slug).exists():
        raise HttpError(409, _("This short name is taken."))
    return Status(
        201, actions.register_establishment(access=access, values=payload.dict(), request=request)
    )


@orgs.get("/{slug}/establishments/{establishment}", response=OrganisationOut)
def get_establishment(request: HttpRequest, slug: str, establishment: str) -> Organisation:
    access = org_access(signed_in(request), slug, Cap.VIEW_SECTOR)
    return supported_establishment(access, establishment)


@orgs.patch("/{slug}/establishments/{establishment}", response=OrganisationOut)
def patch_establishment(
    request: HttpRequest, slug: str, establishment: str, payload: OrganisationPatch
) -> Organisation:
    access = org_access(signed_in(request), slug, Cap.MANAGE_ESTABLISHMENTS)
    target = supported_establishment(access, establishment)
    values = payload.dict(exclude_unset=True, exclude_none=True)
    return actions.update_organisation(
        access=access, organisation=target, values=values, request=request
    )


api.add_router("/organisations", orgs)

tokens = Router(tags=["tokens"])


@tokens.get("", response=list[TokenOut])
@paginate(Pagination)
def list_tokens(request: HttpRequest) -> Any:
    return ApiToken.objects.filter(user=signed_in(request))


@tokens.post("", response={201: TokenCreated})
def post_token(request: HttpRequest, payload: TokenIn) -> Status[Any]:
    user = signed_in(request)
    used = current_token(request)
    if used is not None and used.scope != Scope.WRITE and payload.scope == Scope.WRITE:
        raise HttpError(403, _("A read-only token cannot create a read-write token."))
    token, secret = create_token(
        user=user,
        name=payload.name,
        scope=payload.scope,
        expires_at=payload.expires_at,
        request=request,
        via="api",
    )
    out = TokenOut.model_validate(token).model_dump()
    out["token"] = secret
    return Status(201, out)


@tokens.delete("/{token_id}", response={204: None})
def delete_token(request: HttpRequest, token_id: int) -> Status[Any]:
    user = signed_in(request)
    token = get_object_or_404(ApiToken, pk=token_id, user=user)
    revoke_token(token=token, actor=user, request=request)
    return Status(204, None)


api.add_router("/tokens", tokens)


# --- Inventory ---------------------------------------------------------------------------------

inventory = Router(tags=["inventory"])


class AssetOut(Schema):
    id: int
    external_id: str
    name: str
    kind: str
    vendor: str
    product: str
    version: str
    cpes: list[str]
    purls: list[str]
    parent: str | None
    location: str
    criticality: str
    exposure: str
    updated_at: datetime

    @staticmethod
    def resolve_parent(obj: Asset) -> str | None:
        return obj.parent.external_id if obj.parent_id and obj.parent else None


class AssetFilter(Schema):
    q: str | None = Field(None, max_length=100)
    kind: str | None = None
    criticality: str | None = None
    location: str | None = Field(None, max_length=200)


class ProblemOut(Schema):
    line: int | None = None
    record: str | None = None
    field: str | None = None
    message: str
    code: str | None = Field(
        None, description="what the problem is (the readers' codes); absent on older imports"
    )
    params: dict[str, Any] | None = Field(None, description="the values the message names")


class ImportOut(Schema):
    id: str
    file_name: str
    format: str
    state: str
    summary: dict[str, int]
    errors: list[ProblemOut]
    warnings: list[ProblemOut]
    committed: dict[str, int] | None = None


def _import_out(job: InventoryImport, committed: Any = None) -> dict[str, Any]:
    return {
        "id": str(job.pk),
        "file_name": job.file_name,
        "format": job.file_format,
        "state": job.state,
        "summary": job.summary,
        "errors": job.errors[:500],
        "warnings": job.warnings[:500],
        "committed": vars(committed) if committed is not None else None,
    }


@inventory.get("/{slug}/assets", response=list[AssetOut])
@paginate(Pagination)
def list_assets(request: HttpRequest, slug: str, filters: Query[AssetFilter]) -> Any:
    access = org_access(signed_in(request), slug)
    # Name, then id: a total order (names repeat), so pages never overlap; the list's index.
    assets = scoped(access, Asset.objects.select_related("parent")).order_by("name", "pk")
    data = filters.dict()
    if data.get("q"):
        assets = assets.filter(name__icontains=data["q"])
    for field in ("kind", "criticality"):
        if data.get(field):
            assets = assets.filter(**{field: data[field]})
    if data.get("location"):
        assets = assets.filter(location__icontains=data["location"])
    return assets


@inventory.get("/{slug}/assets/{asset_id}", response=AssetOut)
def get_asset(request: HttpRequest, slug: str, asset_id: int) -> Asset:
    access = org_access(signed_in(request), slug)
    return get_scoped(access, Asset.objects.select_related("parent"), pk=asset_id)


class ImportListOut(Schema):
    id: str
    file_name: str
    format: str
    state: str
    match_state: str
    uploaded_by: str | None = Field(None, description="username of who uploaded the file")
    created_at: datetime
    committed_at: datetime | None
    summary: dict[str, int] = Field(
        description="rows, new, updated, unchanged, errors, warnings (no new / updated / "
        "unchanged for a refused file: it is not compared with the inventory)"
    )

    @staticmethod
    def resolve_id(obj: InventoryImport) -> str:
        return str(obj.pk)

    @staticmethod
    def resolve_format(obj: InventoryImport) -> str:
        return obj.file_format

    @staticmethod
    def resolve_uploaded_by(obj: InventoryImport) -> str | None:
        return obj.uploaded_by.get_username() if obj.uploaded_by else None


@inventory.get("/{slug}/inventory/imports", response=list[ImportListOut])
@paginate(Pagination)
def list_imports(request: HttpRequest, slug: str) -> Any:
    """The establishment's inventory imports, newest first (without their records)."""
    access = org_access(signed_in(request), slug)
    return import_list.listed(scoped(access, InventoryImport.objects.all())).order_by(
        "-created_at", "-pk"
    )


@inventory.post("/{slug}/inventory/imports", response={201: ImportOut, 422: ImportOut})
def post_import(
    request: HttpRequest,
    slug: str,
    file: File[UploadedFile],
    commit: Form[bool] = False,
    location: Form[str] = "",
    criticality: Form[str] = "",
    exposure: Form[str] = "",
) -> Status[Any]:
    """Upload a CSV, CycloneDX or SPDX inventory. Without `commit`, only a preview is made.

    `location` (care unit), `criticality` and `exposure` apply to every asset the file does
    not set itself (an SBOM never does); a value the inventory does not know gives 422.
    """
    access = org_access(signed_in(request), slug, Cap.EDIT_INVENTORY)
    defaults = imports.asset_defaults(location=location, criticality=criticality, exposure=exposure)
    job = imports.preview(
        access=access,
        stream=file,
        file_name=file.name or "inventory",
        request=request,
        defaults=defaults,
    )
    if job.state != InventoryImport.State.PREVIEW:
        return Status(422, _import_out(job))
    committed = imports.commit(access=access, job=job, request=request) if commit else None
    job.refresh_from_db()
    return Status(201, _import_out(job, committed))


@inventory.post("/{slug}/inventory/imports/{import_id}/commit", response=ImportOut)
def commit_import(request: HttpRequest, slug: str, import_id: uuid.UUID) -> dict[str, Any]:
    access = org_access(signed_in(request), slug, Cap.EDIT_INVENTORY)
    job = get_scoped(access, InventoryImport.objects.all(), pk=import_id)
    committed = imports.commit(access=access, job=job, request=request)
    job.refresh_from_db()
    return _import_out(job, committed)


api.add_router("/organisations", inventory)

# --- Alerts ------------------------------------------------------------------------------------

alerts_router = Router(tags=["alerts"])


class ReasonPartOut(Schema):
    code: str = Field(description="a reason code (engines/reason_text.MESSAGES)")
    params: dict[str, Any] = Field(description="its parameters: criterion, bounds, version...")


class CorroborationOut(Schema):
    source: str
    confidence: str
    criterion: str
    version_range: str
    reason: str = Field(description="why it matched, in the request's language")
    reason_parts: list[ReasonPartOut] = Field(
        default_factory=list, description="the same reason as codes with parameters"
    )


class AlertAssetOut(Schema):
    asset: str
    name: str
    kind: str
    location: str
    source: str = Field(description="the feed whose match wins (most confident, most precise)")
    confidence: str
    priority: str
    reason: str = Field(description="why it matched, in the request's language")
    reason_parts: list[ReasonPartOut] = Field(
        default_factory=list, description="the same reason as codes with parameters"
    )
    criterion: str
    version_range: str
    corroboration: list[CorroborationOut] = Field(
        description="the other feeds that match this asset too, best first"
    )
    active: bool
    suppressed_by: str


class AlertEventOut(Schema):
    at: datetime
    kind: str
    who: str | None
    from_state: str
    to_state: str
    message: str = Field(description="what a person wrote (justification, comment, note)")
    details: dict[str, Any] = Field(
        description="the event's parameters (codes): assets_count, assets, priority, level…"
    )


class AlertOut(Schema):
    id: int
    vulnerability: str
    title: str
    priority: str
    state: str
    first_seen: datetime
    ack_due_at: datetime | None
    remediation_due_at: datetime | None
    acknowledged_at: datetime | None
    escalation_level: int
    explanation: list[str]
    cvss: float | None
    affected_assets: int = Field(description="distinct assets affected now")
    url: str


class AlertDetailOut(AlertOut):
    justification: str
    assets: list[AlertAssetOut]
    events: list[AlertEventOut]
    remediation: dict[str, Any] = Field(
        description="what to do: fixed versions and remediations per source and asset group "
        "(codes), KEV required actions and due dates, the alert's deadlines"
    )


class TransitionIn(Schema):
    state: str
    justification: str = Field("", max_length=5000)


class AlertFilter(Schema):
    state: str | None = Field(None, description="a state, 'open' (default) or 'all'")
    priority: str | None = None


def _alert_out(
    alert: Alert, detail: bool = False, assets_count: int | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": alert.pk,
        "vulnerability": alert.vulnerability.vuln_id,
        "title": alert.vulnerability.title,
        "priority": alert.priority,
        "state": alert.state,
        "first_seen": alert.first_seen,
        "ack_due_at": alert.ack_due_at,
        "remediation_due_at": alert.remediation_due_at,
        "acknowledged_at": alert.acknowledged_at,
        "escalation_level": alert.escalation_level,
        "explanation": explanation_lines(alert.decision),
        "cvss": alert.vulnerability.cvss_score,
        "affected_assets": (
            alerting.affected_count(alert) if assets_count is None else assets_count
        ),
        "url": f"{settings.VIGIE_BASE_URL}/o/{alert.organisation.slug}/alerts/{alert.pk}/",
    }
    if detail:
        out["justification"] = alert.justification
        out["assets"] = [
            {
                "asset": row.asset.external_id,
                "name": row.asset.name,
                "kind": row.asset.kind,
                "location": row.asset.location,
                "source": row.source,
                "confidence": row.confidence,
                "priority": row.priority,
                "reason": stored_reason(row.reason_parts, row.reason),
                "reason_parts": row.reason_parts or [],
                "criterion": row.criterion,
                "version_range": row.version_range,
                "corroboration": [
                    {
                        "source": str(other.get("source", "")),
                        "confidence": str(other.get("confidence", "")),
                        "criterion": str(other.get("criterion", "")),
                        "version_range": str(other.get("version_range", "")),
                        "reason": stored_reason(
                            other.get("reason_parts"), str(other.get("reason", ""))
                        ),
                        "reason_parts": other.get("reason_parts") or [],
                    }
                    for other in row.corroboration or []
                ],
                "active": row.active,
                "suppressed_by": row.suppressed_by,
            }
            for row in alert.affected.select_related("asset").order_by("-active", "asset__name")
        ]
        out["events"] = [
            {
                "at": e.at,
                "kind": e.kind,
                "who": e.actor.get_username() if e.actor else None,
                "from_state": e.from_state,
                "to_state": e.to_state,
                "message": e.message,
                "details": e.details,
            }
            for e in alert.events.select_related("actor")
        ]
        out["remediation"] = remediation_summary(alert).as_json()
    return out


@alerts_router.get("/{slug}/alerts", response=list[AlertOut])
@paginate(Pagination)
def list_alerts(request: HttpRequest, slug: str, filters: Query[AlertFilter]) -> Any:
    access = org_access(signed_in(request), slug)
    alerts = scoped(access, Alert.objects.select_related("vulnerability", "organisation"))
    state = filters.state or "open"
    if state == "open":
        alerts = alerts.filter(state__in=OPEN_STATES)
    elif state != "all":
        alerts = alerts.filter(state=state)
    if filters.priority:
        alerts = alerts.filter(priority=filters.priority)
    # Paged in the database (plain COUNT, LIMIT/OFFSET); assets counted for the page's alerts only.
    return ConvertedRows(alerts.order_by("-first_seen", "-pk"), _alerts_out)


def _alerts_out(alerts: list[Alert]) -> list[dict[str, Any]]:
    counts = dict(
        Alert.objects.filter(pk__in=[a.pk for a in alerts])
        .annotate(n=affected_assets_count())
        .values_list("pk", "n")
    )
    return [_alert_out(a, assets_count=counts.get(a.pk, 0)) for a in alerts]


@alerts_router.get("/{slug}/alerts/{alert_id}", response=AlertDetailOut)
def get_alert(request: HttpRequest, slug: str, alert_id: int) -> dict[str, Any]:
    access = org_access(signed_in(request), slug)
    alert = get_scoped(
        access, Alert.objects.select_related("vulnerability", "organisation"), pk=alert_id
    )
    return _alert_out(alert, detail=True)


@alerts_router.post("/{slug}/alerts/{alert_id}/transition", response=AlertDetailOut)
def post_transition(
    request: HttpRequest, slug: str, alert_id: int, payload: TransitionIn
) -> dict[str, Any]:
    access = org_access(signed_in(request), slug, Cap.HANDLE_ALERTS)
    alert = get_scoped(
        access, Alert.objects.select_related("vulnerability", "organisation"), pk=alert_id
    )
    if payload.state not in AlertState.values:
        raise HttpError(422, _("Unknown state."))
    updated = alerting.transition(
        access=access,
        alert=alert,
        to_state=payload.state,
        justification=payload.justification,
        request=request,
    )
    return _alert_out(updated, detail=True)


class ExposureOut(Schema):
    establishment: str
    name: str
    priority: str
    state: str
    assets: int
    acknowledged_at: datetime | None
    escalation_level: int


@alerts_router.get("/{slug}/exposure/{vuln_id}", response=list[ExposureOut])
def get_exposure(request: HttpRequest, slug: str, vuln_id: str) -> list[dict[str, Any]]:
    access = org_access(signed_in(request), slug, Cap.VIEW_SECTOR)
    alerts = (
        Alert.objects.filter(
            organisation__in=supported_establishments(access),
            vulnerability__vuln_id=vuln_id.upper(),
        )
        .select_related("organisation")
        .annotate(assets_count=affected_assets_count())
    )
    return [
        {
            "establishment": a.organisation.slug,
            "name": a.organisation.name,
            "priority": a.priority,
            "state": a.state,
            "assets": a.assets_count,
            "acknowledged_at": a.acknowledged_at,
            "escalation_level": a.escalation_level,
        }
        for a in alerts
    ]


api.add_router("/organisations", alerts_router)


class VulnerabilityOut(Schema):
    id: str
    title: str
    description: str
    published: datetime | None
    rejected: bool
    cvss: float | None
    cvss_vector: str
    cwes: list[str]
    kev: list[str]
    epss: float | None
    references: list[str]


@api.get("/vulnerabilities/{vuln_id}", response=VulnerabilityOut, tags=["vulnerabilities"])
def get_vulnerability(request: HttpRequest, vuln_id: str) -> dict[str, Any]:
    signed_in(request)
    vuln = get_object_or_404(Vulnerability, vuln_id=vuln_id.upper())
    score = EpssScore.objects.filter(cve=vuln.vuln_id).first()
    return {
        "id": vuln.vuln_id,
        "title": vuln.title,
        "description": vuln.description,
        "published": vuln.published,
        "rejected": vuln.rejected,
        "cvss": vuln.cvss_score,
        "cvss_vector": vuln.cvss_vector,
        "cwes": vuln.cwes,
        "kev": sorted(
            KevListing.objects.filter(cve=vuln.vuln_id).values_list("catalogue", flat=True)
        ),
        "epss": score.epss if score else None,
        "references": vuln.references,
    }


# --- Threat intelligence: indicators under TLP ----------------------------------------------

intel_router = Router(tags=["intelligence"])


class IndicatorOut(Schema):
    type: str = Field(description="domain, ipv4, ipv6, cidr, url, md5, sha1, sha256 or email")
    value: str = Field(description="normalised: lower-case names and hashes, CIDRs with /len")
    tlp: str = Field(description="clear, green, amber, amber+strict or red")
    publisher: str = Field(description="the publishing organisation's short name")
    tags: list[str]
    confidence: int | None
    first_seen: datetime
    last_seen: datetime
    valid_until: datetime | None
    revoked: bool
    suppressed: bool = Field(description="named by a warning list: kept out of blocklists")
    warnings: list[dict[str, str]] = Field(description="the warning lists naming the value")

    @staticmethod
    def resolve_publisher(obj: Any) -> str:
        return str(obj.organisation.slug)


class IndicatorFilter(Schema):
    type: str | None = None
    q: str | None = Field(None, max_length=200, description="part of the value")
    tlp: str | None = None
    active: bool = Field(True, description="leave out expired, revoked and suppressed ones")


@intel_router.get("/{slug}/indicators", response=list[IndicatorOut])
@paginate(Pagination)
def list_indicators(request: HttpRequest, slug: str, filters: Query[IndicatorFilter]) -> Any:
    """The indicators this organisation may see (TLP enforced), newest first."""
    access = org_access(signed_in(request), slug)
    if filters.type and filters.type not in IndicatorType.values:
        raise HttpError(422, _("Unknown indicator type."))
    if filters.tlp and filters.tlp not in Tlp.values:
        raise HttpError(422, _("Unknown TLP marking."))
    rows = indicator_search(access, filters.dict())
    return rows.select_related("organisation")


class SightingIn(Schema):
    type: str | None = Field(
        None,
        description="the indicator's type: domain, ipv4, ipv6, cidr, url, md5…; "
        "may be left out when indicator_id is given",
    )
    value: str | None = Field(
        None,
        max_length=2000,
        description="as seen; normalised like indicators; may be left out when indicator_id "
        "is given",
    )
    indicator_id: str | None = Field(
        None,
        max_length=100,
        description="the indicator's STIX id as served over TAXII (indicator--<uuid>); "
        "type and value, if given too, must be the indicator's",
    )
    log_type: str = Field(
        description="dns, http, tls, conn, files, smtp, proxy, firewall, ids, endpoint or other"
    )
    count: int = Field(1, description="how many times it was seen in this report")
    first_seen: datetime | None = Field(None, description="default: last_seen")
    last_seen: datetime | None = Field(None, description="default: now")
    tlp: str = Field(
        "amber+strict",
        description="how far the sighting may travel beyond your organisation and your centre",
    )
    source: str = Field("api", max_length=16, description="api (default) or sensor: who saw it")


class SightingOut(Schema):
    id: int
    organisation: str = Field(description="the reporting organisation's short name")
    type: str
    value: str
    log_type: str
    count: int
    first_seen: datetime
    last_seen: datetime
    reports: int = Field(description="how many reports were added up")
    tlp: str
    state: str = Field(description="new, acknowledged or closed")
    priority: str = Field(description="always act: a known-bad value seen inside")

    @staticmethod
    def resolve_organisation(obj: Any) -> str:
        return str(obj.organisation.slug)

    @staticmethod
    def resolve_priority(obj: Any) -> str:
        return sightings.PRIORITY


IDEMPOTENCY_PARAMETER = {
    "in": "header",
    "name": sightings.IDEMPOTENCY_HEADER,
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 100},
    "description": "1 to 100 printable ASCII characters, your organisation's own: a retry "
    "with the same key and the same report is answered 200 with the stored sighting and "
    "`Idempotent-Replayed: true`, and counted, audited and notified once; the same key with "
    "another report is refused 409 `idempotency_key_reused`",
}


@intel_router.post(
    "/{slug}/sightings",
    response={200: SightingOut, 201: SightingOut},
    openapi_extra={"parameters": [IDEMPOTENCY_PARAMETER]},
)
def post_sighting(
    request: HttpRequest, response: HttpResponse, slug: str, payload: SightingIn
) -> Any:
    """Report an indicator seen in your logs: 201 for a new sighting (your channels and your
    support centre are notified at once), 200 when it adds to one already reported. Name it by
    type and value, or by indicator_id. Send an `Idempotency-Key` header to retry safely."""
    access = org_access(signed_in(request), slug, Cap.HANDLE_ALERTS)
    key = request.headers.get(sightings.IDEMPOTENCY_HEADER)
    try:
        reported = sightings.record_report(
            access,
            sightings.Report(
                type=(payload.type or "").strip().lower(),
                value=payload.value or "",
                indicator_id=payload.indicator_id,
                log_type=payload.log_type.strip().lower(),
                count=payload.count,
                first_seen=payload.first_seen,
                last_seen=payload.last_seen,
                tlp=payload.tlp.strip().lower(),
                source=payload.source.strip().lower(),
            ),
            idempotency_key=key,
        )
    except sightings.IdempotencyKeyReused as reused:
        message = sightings.refusal_message(reused)
        return errors.json_error(
            409, message, {sightings.IDEMPOTENCY_HEADER: [message]}, code=reused.code
        )
    except sightings.SightingRefused as refused:
        field = sightings.REFUSAL_FIELDS.get(refused.code, "request")
        raise DjangoValidationError({field: [sightings.refusal_message(refused)]}) from None
    if reported.replayed:
        response["Idempotent-Replayed"] = "true"
    return Status(201 if reported.created else 200, reported.sighting)


@intel_router.get("/{slug}/sightings", response=list[SightingOut])
@paginate(Pagination)
def list_sightings(request: HttpRequest, slug: str) -> Any:
    """Sightings this organisation reads in full: its own, and for a centre those of its
    establishments; newest first."""
    access = org_access(signed_in(request), slug)
    return visible_sightings(access, Sighting.objects.select_related("organisation"))


class AdvisoryOut(Schema):
    id: int
    reference: str
    publisher: str = Field(description="the support centre's short name")
    version: int = Field(description="the version this reader reads")
    title: str
    summary: str
    severity: str = Field(description="critical, high, medium or low")
    tlp: str
    cves: list[str]
    products: str
    indicators: str
    actions: str
    references: list[str]
    published_at: datetime | None


def _advisory_out(advisory: Advisory, version: AdvisoryVersion) -> dict[str, Any]:
    return {
        "id": advisory.pk,
        "reference": advisory.reference,
        "publisher": advisory.organisation.slug,
        "version": version.number,
        "title": version.title,
        "summary": version.summary,
        "severity": version.severity,
        "tlp": version.tlp,
        "cves": version.cves,
        "products": version.products,
        "indicators": version.indicators,
        "actions": version.actions,
        "references": version.references,
        "published_at": advisory.published_at,
    }


@intel_router.get("/{slug}/advisories", response=list[AdvisoryOut])
@paginate(Pagination)
def list_advisories(request: HttpRequest, slug: str) -> Any:
    """The advisories this organisation may read (TLP enforced): for an establishment the
    published version; for the centre that writes them, the latest version, drafts included."""
    access = org_access(signed_in(request), slug)
    rows = visible_advisories(access, Advisory.objects.select_related("organisation"))
    advisories = list(rows)
    own = {a.pk for a in advisories if a.organisation_id == access.organisation.pk}
    versions = {
        (v.advisory_id, v.number): v
        for v in AdvisoryVersion.objects.filter(advisory__in=advisories)
    }
    out = []
    for advisory in advisories:
        number = advisory.published_version
        if advisory.pk in own and advisory.current_id is not None:
            number = max(n for (pk, n) in versions if pk == advisory.pk)
        version = versions.get((advisory.pk, number))
        if version is not None:
            out.append(_advisory_out(advisory, version))
    return out


api.add_router("/organisations", intel_router)


# --- Incidents ---------------------------------------------------------------------------------

incidents_router = Router(tags=["incidents"])


class ObligationOut(Schema):
    code: str = Field(description="ars_cert_sante, nis2_early_warning, nis2_notification, …")
    regulation: str = Field(description="fr_health, nis2 or gdpr")
    due_at: datetime | None
    status: str = Field(
        description="not_started, pending, due_soon, overdue, submitted or submitted_late"
    )
    submitted_at: datetime | None


class IncidentOut(Schema):
    id: int
    reference: str
    organisation: str = Field(description="the declaring establishment's short name")
    title: str
    category: str
    origin: str
    phase: str
    severity: int | None = Field(description="1 (critical) to 4, set by the centre")
    major: bool
    tlp: str
    pap: str
    declared_at: datetime
    aware_at: datetime | None
    contained_at: datetime | None
    recovered_at: datetime | None
    closed_at: datetime | None
    degraded_mode: bool
    care_is_interrupted: bool
    emergency: str
    transfers: int
    endangerment: str
    personal_data: bool
    obligations: list[ObligationOut]

    @staticmethod
    def resolve_organisation(obj: Any) -> str:
        return str(obj.organisation.slug)

    @staticmethod
    def resolve_obligations(obj: Any) -> list[dict[str, Any]]:
        return [
            {
                "code": o.code.value,
                "regulation": o.regulation,
                "due_at": o.due_at,
                "status": o.status.value,
                "submitted_at": o.submitted_at,
            }
            for o in clocks_of(obj, timezone.now())
        ]


class IncidentIn(Schema):
    """The declaration: `title` and `category` are required; any field of the declaration
    form may be given (times in ISO 8601; without a zone they are read in the platform's)."""

    title: str = Field(max_length=200)
    category: str = Field(description="the Observatoire's category: ransomware, phishing, …")
    origin: str = Field("unknown", description="malicious, not_malicious or unknown")
    description: str = Field("", max_length=20_000)
    first_malicious_at: datetime | None = None
    detected_at: datetime | None = None
    aware_at: datetime | None = Field(None, description="starts the regulatory clocks")
    support_requested: bool = False
    degraded_mode: bool = False
    care_is_interrupted: bool = False
    emergency: str = Field("none", description="none, diversion or closure")
    plan_blanc: bool = False
    transfers_adult: int = Field(0, ge=0, le=100_000)
    transfers_paediatric: int = Field(0, ge=0, le=100_000)
    transfers_intensive: int = Field(0, ge=0, le=100_000)
    transfers_neonatal: int = Field(0, ge=0, le=100_000)
    endangerment: str = Field("none", description="none, potential or actual")
    availability: bool = False
    integrity: bool = False
    confidentiality: bool = False
    personal_data: bool = False
    health_data: bool = False
    suspected_malicious: bool = False
    cross_border: bool = False


def _declaration_data(payload: IncidentIn) -> dict[str, Any]:
    """The payload as the declaration form reads it, every other field at its default: the
    API and the page validate a declaration with the same rules and messages."""
    data: dict[str, Any] = {}
    for name in MODEL_FIELDS:
        field = Incident._meta.get_field(name)
        default = field.get_default() if isinstance(field, ModelField) else None
        data[name] = "" if default is None else default
    for name, value in payload.dict().items():
        data[name] = value.isoformat() if isinstance(value, datetime) else value
    return {name: value for name, value in data.items() if value is not False}


@incidents_router.get("/{slug}/incidents", response=list[IncidentOut])
@paginate(Pagination)
def list_incidents(request: HttpRequest, slug: str) -> Any:
    """The incidents this organisation reads: an establishment's own, a centre's of the
    establishments it supports (TLP:RED cases only for their analysts); newest first."""
    access = org_access(signed_in(request), slug)
    return visible_incidents(
        access, Incident.objects.select_related("organisation").prefetch_related("submissions")
    )


@incidents_router.get("/{slug}/incidents/{incident_id}", response=IncidentOut)
def get_incident(request: HttpRequest, slug: str, incident_id: int) -> Any:
    access = org_access(signed_in(request), slug)
    incident = (
        visible_incidents(access, Incident.objects.select_related("organisation"))
        .filter(pk=incident_id)
        .first()
    )
    if incident is None:
        raise HttpError(404, _("Not found."))
    return incident


@incidents_router.post("/{slug}/incidents", response={201: IncidentOut})
def declare_incident(request: HttpRequest, slug: str, payload: IncidentIn) -> Any:
    """Declare an incident: the case is opened with its playbook, the regulatory clocks start
    at `aware_at`, and the support centre is told at once."""
    access = org_access(signed_in(request), slug, Cap.DECLARE_INCIDENTS)
    if access.organisation.kind != OrgKind.ESTABLISHMENT:
        raise HttpError(404, _("Not found."))
    form = IncidentForm(_declaration_data(payload), organisation=access.organisation)
    if not form.is_valid():
        raise DjangoValidationError(
            {
                field: [str(message) for message in messages]
                for field, messages in form.errors.items()
            }
        )
    incident = incident_actions.declare(access, form.model_values(), [], request=request)
    return Status(201, incident)


api.add_router("/organisations", incidents_router)


api.add_router("/organisations", backups_router)
