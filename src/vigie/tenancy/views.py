"""Organisation pages: dashboard, members and invitations, profile, the centre's establishments."""

from __future__ import annotations

from collections import Counter

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from vigie.accounts.forms import SignUpForm
from vigie.audit.models import AuditEvent
from vigie.core.charts import bars, chart_height
from vigie.core.forms import choice_field
from vigie.tenancy import actions
from vigie.tenancy.access import (
    default_organisation,
    get_scoped,
    memberships_of,
    org_access,
    scoped,
    supported_establishment,
    supported_establishments,
)
from vigie.tenancy.dashboard import dashboard_sections
from vigie.tenancy.forms import (
    EstablishmentFilterForm,
    EstablishmentForm,
    InviteForm,
    OrganisationProfileForm,
    RoleForm,
)
from vigie.tenancy.models import (
    Invitation,
    Membership,
    Nis2Class,
    Region,
    StructureType,
)
from vigie.tenancy.roles import Cap, OrgKind, Role


def _validation_messages(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    wanted = request.GET.get("org", "")
    if wanted and memberships_of(request.user).filter(organisation__slug=wanted).exists():
        return redirect("tenancy:dashboard", org=wanted)
    organisation = default_organisation(request.user)
    if organisation is None:
        return render(request, "tenancy/no_organisation.html")
    return redirect("tenancy:dashboard", org=organisation.slug)


@login_required
@require_GET
def dashboard(request: HttpRequest, org: str) -> HttpResponse:
    access = org_access(request.user, org)
    context: dict[str, object] = {"access": access, "sections": dashboard_sections(access)}
    if access.organisation.kind == OrgKind.CENTRE:
        establishments = supported_establishments(access)
        by_type = Counter(establishments.values_list("structure_type", flat=True))
        by_region = Counter(establishments.values_list("region", flat=True))
        by_nis2 = Counter(establishments.values_list("nis2_class", flat=True))
        type_bars = bars(
            (label, by_type[value]) for value, label in StructureType.choices if by_type[value]
        )
        region_bars = bars(
            (label, by_region[value]) for value, label in Region.choices if by_region[value]
        )
        nis2_bars = bars(
            ((label, by_nis2[value]) for value, label in Nis2Class.choices if by_nis2[value]),
            css="accent",
        )
        context.update(
            establishments_count=establishments.count(),
            ose_count=establishments.filter(ose=True).count(),
            type_bars=type_bars,
            type_height=chart_height(type_bars),
            region_bars=region_bars,
            region_height=chart_height(region_bars),
            nis2_bars=nis2_bars,
            nis2_height=chart_height(nis2_bars),
        )
    else:
        members = scoped(access, Membership.objects.all())
        context.update(
            members_count=members.count(),
            pending_invitations=scoped(
                access, Invitation.objects.filter(accepted_at=None, revoked_at=None)
            ).count(),
        )
    if access.can(Cap.VIEW_AUDIT):
        context["recent_events"] = AuditEvent.objects.filter(
            organisation=access.organisation
        ).select_related("actor")[:8]
    return render(request, "tenancy/dashboard.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def members(request: HttpRequest, org: str) -> HttpResponse:
    access = org_access(request.user, org)
    can_manage = access.can(Cap.MANAGE_MEMBERS)
    form = InviteForm(access.organisation.kind, request.POST or None)
    if request.method == "POST":
        access.require(Cap.MANAGE_MEMBERS)
        if form.is_valid():
            try:
                actions.invite_member(
                    access=access,
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                    request=request,
                )
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    for message in errors:
                        form.add_error(field if field in form.fields else None, message)
            else:
                messages.success(
                    request,
                    _("An invitation was sent to %(email)s.")
                    % {"email": form.cleaned_data["email"]},
                )
                return redirect("tenancy:members", org=org)
    member_list = (
        scoped(access, Membership.objects.select_related("user"))
        .annotate(
            has_totp=Count(
                "user__totpdevice", filter=Q(user__totpdevice__confirmed=True), distinct=True
            )
        )
        .order_by("user__last_name", "user__username")
    )
    invitations = (
        scoped(access, Invitation.objects.filter(accepted_at=None, revoked_at=None))
        if can_manage
        else Invitation.objects.none()
    )
    return render(
        request,
        "tenancy/members.html",
        {
            "access": access,
            "members": member_list,
            "invitations": invitations,
            "form": form,
            "can_manage": can_manage,
            "role_form_kind": access.organisation.kind,
            "role_choices": choice_field(RoleForm(access.organisation.kind), "role").choices,
        },
    )


@login_required
@require_POST
def member_role(request: HttpRequest, org: str, member_id: int) -> HttpResponse:
    access = org_access(request.user, org, Cap.MANAGE_MEMBERS)
    membership = get_scoped(access, Membership.objects.select_related("user"), pk=member_id)
    form = RoleForm(access.organisation.kind, request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid role."))
    else:
        try:
            actions.change_role(
                access=access,
                membership=membership,
                role=form.cleaned_data["role"],
                request=request,
            )
        except ValidationError as error:
            _validation_messages(request, error)
        else:
            messages.success(
                request,
                _("%(user)s is now %(role)s.")
                % {
                    "user": membership.user.display_name(),
                    "role": Role(form.cleaned_data["role"]).label,
                },
            )
    return redirect("tenancy:members", org=org)


@login_required
@require_POST
def member_remove(request: HttpRequest, org: str, member_id: int) -> HttpResponse:
    access = org_access(request.user, org, Cap.MANAGE_MEMBERS)
    membership = get_scoped(access, Membership.objects.select_related("user"), pk=member_id)
    try:
        actions.remove_member(access=access, membership=membership, request=request)
    except ValidationError as error:
        _validation_messages(request, error)
    else:
        messages.success(
            request, _("%(user)s was removed.") % {"user": membership.user.display_name()}
        )
    return redirect("tenancy:members", org=org)


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, org: str, invitation_id: int) -> HttpResponse:
    access = org_access(request.user, org, Cap.MANAGE_MEMBERS)
    invitation = get_scoped(access, Invitation.objects.all(), pk=invitation_id)
    actions.revoke_invitation(access=access, invitation=invitation, request=request)
    messages.success(request, _("The invitation was withdrawn."))
    return redirect("tenancy:members", org=org)


@login_required
@require_http_methods(["GET", "POST"])
def organisation_profile(request: HttpRequest, org: str) -> HttpResponse:
    access = org_access(request.user, org)
    can_edit = access.can(Cap.EDIT_PROFILE)
    form = OrganisationProfileForm(request.POST or None, instance=access.organisation)
    if request.method == "POST":
        access.require(Cap.EDIT_PROFILE)
        if form.is_valid():
            actions.update_organisation(
                access=access,
                organisation=access.organisation,
                values=form.cleaned_data,
                request=request,
            )
            messages.success(request, _("The details were saved."))
            return redirect("tenancy:profile", org=org)
    return render(
        request,
        "tenancy/profile.html",
        {"access": access, "form": form, "can_edit": can_edit, "organisation": access.organisation},
    )


@login_required
@require_GET
def establishments(request: HttpRequest, org: str) -> HttpResponse:
    access = org_access(request.user, org, Cap.VIEW_SECTOR)
    queryset = supported_establishments(access).annotate(members_count=Count("memberships"))
    form = EstablishmentFilterForm(request.GET or None)
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            queryset = queryset.filter(
                Q(name__icontains=data["q"])
                | Q(finess__icontains=data["q"])
                | Q(ght__icontains=data["q"])
            )
        for field in ("structure_type", "region", "nis2_class"):
            if data[field]:
                queryset = queryset.filter(**{field: data[field]})
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "tenancy/establishments.html",
        {
            "access": access,
            "page": page,
            "form": form,
            "can_manage": access.can(Cap.MANAGE_ESTABLISHMENTS),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def establishment_create(request: HttpRequest, org: str) -> HttpResponse:
    access = org_access(request.user, org, Cap.MANAGE_ESTABLISHMENTS)
    if access.organisation.kind != OrgKind.CENTRE:
        raise Http404("not a centre")
    form = EstablishmentForm(request.POST or None)
    admin_form = InviteForm(OrgKind.ESTABLISHMENT, request.POST or None, prefix="admin")
    admin_form.fields["email"].required = False
    admin_form.fields["role"].required = False
    # This invitation is for the establishment's first administrator, unlike member invitations.
    admin_form.fields["role"].initial = Role.ADMIN
    if request.method == "POST" and form.is_valid() and admin_form.is_valid():
        try:
            with transaction.atomic():
                establishment = actions.register_establishment(
                    access=access, values=form.cleaned_data, request=request
                )
                admin_email = admin_form.cleaned_data.get("email")
                if admin_email:
                    actions.invite_first_admin(
                        access=access,
                        establishment=establishment,
                        email=admin_email,
                        role=admin_form.cleaned_data.get("role") or Role.ADMIN,
                        request=request,
                    )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, _("%(name)s is registered.") % {"name": establishment.name})
            return redirect("tenancy:establishment", org=org, establishment=establishment.slug)
    return render(
        request,
        "tenancy/establishment_form.html",
        {"access": access, "form": form, "admin_form": admin_form, "creating": True},
    )


@login_required
@require_GET
def establishment_detail(request: HttpRequest, org: str, establishment: str) -> HttpResponse:
    access = org_access(request.user, org, Cap.VIEW_SECTOR)
    target = supported_establishment(access, establishment)
    # Imported here: the tenancy app does not depend on the apps built on it at start-up.
    from vigie.vulns.exposure import establishment_exposure
    from vigie.vulns.trends import present, supported_establishment_trends

    admins = Membership.objects.filter(organisation=target, role="admin").select_related("user")
    return render(
        request,
        "tenancy/establishment_detail.html",
        {
            "access": access,
            "establishment": target,
            "admins": admins,
            "exposure": establishment_exposure(access, target),
            "trends": present(supported_establishment_trends(access, target)),
            "members_count": Membership.objects.filter(organisation=target).count(),
            # A centre registers establishments and invites their first administrator: it must
            # see whether that invitation is still waiting.
            "invitations": Invitation.objects.filter(
                organisation=target,
                accepted_at=None,
                revoked_at=None,
                expires_at__gt=timezone.now(),
            ).order_by("-created_at"),
            "can_manage": access.can(Cap.MANAGE_ESTABLISHMENTS),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def establishment_edit(request: HttpRequest, org: str, establishment: str) -> HttpResponse:
    access = org_access(request.user, org, Cap.MANAGE_ESTABLISHMENTS)
    target = supported_establishment(access, establishment)
    form = OrganisationProfileForm(request.POST or None, instance=target)
    if request.method == "POST" and form.is_valid():
        actions.update_organisation(
            access=access, organisation=target, values=form.cleaned_data, request=request
        )
        messages.success(request, _("The details were saved."))
        return redirect("tenancy:establishment", org=org, establishment=target.slug)
    return render(
        request,
        "tenancy/establishment_form.html",
        {"access": access, "form": form, "establishment": target, "creating": False},
    )


@require_http_methods(["GET", "POST"])
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    invitation = actions.find_invitation(token)
    if invitation is None:
        return render(request, "tenancy/invitation_invalid.html", status=404)
    user = request.user if request.user.is_authenticated else None
    signup = None
    if user is None:
        signup = SignUpForm(invitation.email, request.POST or None)
    if request.method == "POST":
        if user is None and signup is not None and signup.is_valid():
            with transaction.atomic():
                user = get_user_model().objects.create_user(
                    username=signup.cleaned_data["username"],
                    email=invitation.email,
                    password=signup.cleaned_data["password1"],
                    first_name=signup.cleaned_data["first_name"],
                    last_name=signup.cleaned_data["last_name"],
                    language=request.LANGUAGE_CODE if hasattr(request, "LANGUAGE_CODE") else "fr",
                )
                actions.accept_invitation(invitation=invitation, user=user, request=request)
            messages.success(
                request,
                _("Welcome! Sign in to reach %(org)s.") % {"org": invitation.organisation.name},
            )
            return redirect("accounts:login")
        if user is not None:
            try:
                actions.accept_invitation(invitation=invitation, user=user, request=request)
            except ValidationError as error:
                _validation_messages(request, error)
                return redirect("home")
            messages.success(
                request, _("You joined %(org)s.") % {"org": invitation.organisation.name}
            )
            return redirect("tenancy:dashboard", org=invitation.organisation.slug)
    return render(
        request,
        "tenancy/invitation_accept.html",
        {"invitation": invitation, "signup": signup},
    )
