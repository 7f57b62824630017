from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from vigie.tenancy.access import memberships_of


def organisations(request: HttpRequest) -> dict[str, Any]:
    """The organisations the signed-in user can switch between (lazy: one query when used)."""
    user = getattr(request, "user", None)
    return {"my_memberships": memberships_of(user)}
