"""Organisation and membership actions: each owns its transaction and its audit entry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from vigie.audit.log import record
from vigie.audit.models import Action
from vigie.core.hashed_secrets import hash_secret, new_secret
from vigie.core.mail import send_templated_mail
from vigie.tenancy.access import OrgAccess
from vigie.tenancy.models import Invitation, Membership, Organisation
from vigie.tenancy.roles import ROLES_BY_KIND, Cap, OrgKind, Role

INVITATION_DAYS = 7
INVITATION_PREFIX = "inv_"


def _check_role(organisation: Organisation, role: str) -> None:
    if role not in ROLES_BY_KIND[organisation.kind]:
        raise ValidationError({"role": _("This role does not exist for this organisation.")})


def invite_member(
    *, access: OrgAccess, email: str, role: str, request: HttpRequest | None = None
) -> tuple[Invitation, str]:
    """Invite someone by e-mail. Returns the invitation and the secret link token (sent once)."""
    access.require(Cap.MANAGE_MEMBERS)
    return _create_invitation(
        organisation=access.organisation,
        email=email,
        role=role,
        inviter=access.user,
        request=request,
    )


def invite_first_admin(
    *,
    access: OrgAccess,
    establishment: Organisation,
    email: str,
    role: str = Role.ADMIN,
    request: HttpRequest | None = None,
) -> tuple[Invitation, str]:
    """A centre invites the first administrator of an establishment it supports.

    The role is the one chosen on the registration form (administrator unless said otherwise).
    """
    access.require(Cap.MANAGE_ESTABLISHMENTS)
    if establishment.centre_id != access.organisation.pk:
        raise PermissionDenied("establishment")
    return _create_invitation(
        organisation=establishment,
        email=email,
        role=role or Role.ADMIN,
        inviter=access.user,
        request=request,
    )


def _create_invitation(
    *,
    organisation: Organisation,
    email: str,
    role: str,
    inviter: Any,
    request: HttpRequest | None,
) -> tuple[Invitation, str]:
    _check_role(organisation, role)
    email = email.strip().lower()
    if Membership.objects.filter(organisation=organisation, user__email__iexact=email).exists():
        raise ValidationError({"email": _("This person is already a member.")})
    token = new_secret(INVITATION_PREFIX)
    now = timezone.now()
    with transaction.atomic():
        # A new invitation replaces any pending one for the same address.
        Invitation.objects.filter(
            organisation=organisation, email=email, accepted_at=None, revoked_at=None
        ).update(revoked_at=now)
        invitation = Invitation.objects.create(
            organisation=organisation,
            email=email,
            role=role,
            token_hash=hash_secret(token),
            invited_by=inviter,
            expires_at=now + timedelta(days=INVITATION_DAYS),
        )
        record(
            Action.MEMBER_INVITED,
            actor=inviter,
            organisation=organisation,
            target=invitation,
            target_label=email,
            request=request,
            details={"role": role},
        )
        language = get_language() or "fr"
        transaction.on_commit(
            lambda: send_templated_mail(
                "tenancy/mail/invitation",
                {
                    "organisation": organisation,
                    "inviter": inviter,
                    "role": Role(role).label,
                    "token": token,
                    "days": INVITATION_DAYS,
                },
                [email],
                language,
            )
        )
    return invitation, token


def find_invitation(token: str) -> Invitation | None:
    """A pending, unexpired invitation for this link token, or None."""
    invitation = (
        Invitation.objects.select_related("organisation")
        .filter(token_hash=hash_secret(token), accepted_at=None, revoked_at=None)
        .first()
    )
    if invitation is None or invitation.expires_at <= timezone.now():
        return None
    if not invitation.organisation.is_active:
        return None
    return invitation


def accept_invitation(
    *, invitation: Invitation, user: Any, request: HttpRequest | None = None
) -> Membership:
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.accepted_at is not None or locked.revoked_at is not None:
            raise ValidationError(_("This invitation was already used or withdrawn."))
        if locked.expires_at <= timezone.now():
            raise ValidationError(_("This invitation has expired."))
        membership, created = Membership.objects.get_or_create(
            user=user, organisation=locked.organisation, defaults={"role": locked.role}
        )
        if not created:
            raise ValidationError(_("You are already a member of this organisation."))
        locked.accepted_at = timezone.now()
        locked.accepted_by = user
        locked.save(update_fields=["accepted_at", "accepted_by"])
        record(
            Action.MEMBER_JOINED,
            actor=user,
            organisation=locked.organisation,
            target=membership,
            target_label=user.get_username(),
            request=request,
            details={"role": locked.role, "invitation": locked.pk},
        )
    return membership


def revoke_invitation(
    *, access: OrgAccess, invitation: Invitation, request: HttpRequest | None = None
) -> None:
    access.require(Cap.MANAGE_MEMBERS)
    if invitation.organisation_id != access.organisation.pk:
        raise PermissionDenied("invitation")
    with transaction.atomic():
        updated = Invitation.objects.filter(
            pk=invitation.pk, accepted_at=None, revoked_at=None
        ).update(revoked_at=timezone.now())
        if updated:
            record(
                Action.INVITATION_REVOKED,
                actor=access.user,
                organisation=access.organisation,
                target=invitation,
                target_label=invitation.email,
                request=request,
            )


def _other_admins(membership: Membership) -> int:
    return (
        Membership.objects.select_for_update()
        .filter(organisation=membership.organisation, role=Role.ADMIN, user__is_active=True)
        .exclude(pk=membership.pk)
        .count()
    )


def change_role(
    *, access: OrgAccess, membership: Membership, role: str, request: HttpRequest | None = None
) -> Membership:
    access.require(Cap.MANAGE_MEMBERS)
    if membership.organisation_id != access.organisation.pk:
        raise PermissionDenied("membership")
    _check_role(access.organisation, role)
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        previous = locked.role
        if previous == role:
            return locked
        if previous == Role.ADMIN and _other_admins(locked) == 0:
            raise ValidationError(_("The organisation must keep at least one administrator."))
        locked.role = role
        locked.save(update_fields=["role"])
        record(
            Action.ROLE_CHANGED,
            actor=access.user,
            organisation=access.organisation,
            target=locked,
            target_label=locked.user.get_username(),
            request=request,
            details={"from": previous, "to": role},
        )
    return locked


def remove_member(
    *, access: OrgAccess, membership: Membership, request: HttpRequest | None = None
) -> None:
    access.require(Cap.MANAGE_MEMBERS)
    if membership.organisation_id != access.organisation.pk:
        raise PermissionDenied("membership")
    with transaction.atomic():
        locked = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
        if locked.role == Role.ADMIN and _other_admins(locked) == 0:
            raise ValidationError(_("The organisation must keep at least one administrator."))
        username = locked.user.get_username()
        record(
            Action.MEMBER_REMOVED,
            actor=access.user,
            organisation=access.organisation,
            target=locked,
            target_label=username,
            request=request,
            details={"role": locked.role},
        )
        locked.delete()


PROFILE_FIELDS = ("name", "finess", "structure_type", "region", "ght", "nis2_class", "ose")


def register_establishment(
    *, access: OrgAccess, values: dict[str, Any], request: HttpRequest | None = None
) -> Organisation:
    """A centre registers an establishment it supports."""
    access.require(Cap.MANAGE_ESTABLISHMENTS)
    if access.organisation.kind != OrgKind.CENTRE:
        raise PermissionDenied("not a centre")
    establishment = Organisation(
        kind=OrgKind.ESTABLISHMENT,
        centre=access.organisation,
        slug=values["slug"],
        **{field: values[field] for field in PROFILE_FIELDS if field in values},
    )
    establishment.full_clean()
    with transaction.atomic():
        establishment.save()
        record(
            Action.ORG_CREATED,
            actor=access.user,
            organisation=access.organisation,
            target=establishment,
            request=request,
            details={"finess": establishment.finess, "slug": establishment.slug},
        )
    return establishment


def update_organisation(
    *,
    access: OrgAccess,
    organisation: Organisation,
    values: dict[str, Any],
    request: HttpRequest | None = None,
) -> Organisation:
    """Change an organisation's details: its own admin, or the centre that supports it."""
    if organisation.pk == access.organisation.pk:
        access.require(Cap.EDIT_PROFILE)
    else:
        access.require(Cap.MANAGE_ESTABLISHMENTS)
        if organisation.centre_id != access.organisation.pk:
            raise PermissionDenied("organisation")
    with transaction.atomic():
        locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
        changes: dict[str, list[Any]] = {}
        for field in PROFILE_FIELDS:
            if field in values and getattr(locked, field) != values[field]:
                changes[field] = [getattr(locked, field), values[field]]
                setattr(locked, field, values[field])
        if not changes:
            return locked
        locked.full_clean()
        locked.save()
        record(
            Action.ORG_UPDATED,
            actor=access.user,
            organisation=access.organisation,
            target=locked,
            request=request,
            details={"changes": changes},
        )
    return locked
