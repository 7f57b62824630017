"""Changing one asset by hand: saved, indexed, audited and owed its matching in one
transaction, then matched at once by the request. A request that dies before it matched leaves
the owed rows to the `resume-matching` job (vulns/pending.py)."""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from vigie.audit.log import record as audit
from vigie.engines.cpe.names import CpeError, parse_cpe
from vigie.inventory.models import Asset
from vigie.tenancy.access import OrgAccess
from vigie.tenancy.roles import Cap
from vigie.vulns.matching import index_assets
from vigie.vulns.models import AlertAsset, PendingMatch
from vigie.vulns.owed import owe_assets, owe_vulnerabilities
from vigie.vulns.pending import drain

# Characters a CPE 2.3 formatted string may carry unquoted (NISTIR 7695, 6.2).
_PLAIN = re.compile(r"[A-Za-z0-9._\-]")


def cpe_value(text: str) -> str:
    """A literal for one CPE attribute: spaces become underscores, specials are escaped."""
    text = "_".join(text.strip().split())
    return "".join(ch if _PLAIN.match(ch) else "\\" + ch for ch in text) or "*"


def _check(access: OrgAccess, asset: Asset) -> None:
    access.require(Cap.EDIT_INVENTORY)
    if asset.organisation_id != access.organisation.pk:
        raise PermissionDenied("asset")


def save_asset(
    *, access: OrgAccess, asset: Asset, request: HttpRequest | None = None, created: bool = False
) -> Asset:
    access.require(Cap.EDIT_INVENTORY)
    asset.organisation = access.organisation
    with transaction.atomic():
        asset.save()
        index_assets([asset])
        owed = owe_assets([asset])
        audit(
            "inventory.asset_created" if created else "inventory.asset_changed",
            actor=access.user,
            organisation=access.organisation,
            target=asset,
            request=request,
            details={"external_id": asset.external_id},
        )
    drain(PendingMatch.objects.filter(pk__in=[row.pk for row in owed]))
    return asset


def delete_asset(*, access: OrgAccess, asset: Asset, request: HttpRequest | None = None) -> None:
    _check(access, asset)
    with transaction.atomic():
        # Alerts that listed it are re-evaluated: they close if it was their last asset. Owed
        # in the transaction of the deletion, which takes the asset's alert rows with it.
        listed = AlertAsset.objects.filter(asset=asset).values_list(
            "alert__vulnerability_id", flat=True
        )
        owed = owe_vulnerabilities(listed, organisation_id=access.organisation.pk, changed=False)
        # Its children become roots of trees of their own, evaluated anew.
        owed += owe_assets(asset.children.all())
        audit(
            "inventory.asset_deleted",
            actor=access.user,
            organisation=access.organisation,
            target=asset,
            request=request,
            details={"external_id": asset.external_id},
        )
        asset.delete()
    drain(PendingMatch.objects.filter(pk__in=[row.pk for row in owed]))


def confirm_cpe(
    *,
    access: OrgAccess,
    asset: Asset,
    part: str,
    vendor: str,
    product: str,
    request: HttpRequest | None = None,
) -> str:
    """A person confirms a suggested CPE vendor/product for an asset that had none."""
    _check(access, asset)
    if part not in ("a", "o", "h"):
        raise ValidationError(_("The CPE part must be a, o or h."))
    version = cpe_value(asset.version) if asset.version else "*"
    name = f"cpe:2.3:{part}:{cpe_value(vendor)}:{cpe_value(product)}:{version}:*:*:*:*:*:*:*"
    try:
        parse_cpe(name)
    except CpeError as error:
        raise ValidationError(str(error)) from None
    if name not in asset.cpes:
        asset.cpes = [*asset.cpes, name]
    save_asset(access=access, asset=asset, request=request)
    return name
