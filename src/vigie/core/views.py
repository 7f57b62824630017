"""Health check, the centre's operations page, and the error pages (JSON for API clients, a
page for people)."""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from vigie import __version__
from vigie.core import heartbeat, operations
from vigie.core.errors import error_response
from vigie.tenancy.access import org_access
from vigie.tenancy.roles import Cap

logger = logging.getLogger(__name__)


_HEALTHZ_METHODS = ("GET", "HEAD")


# Exempt from CSRF so that a POST gets the 405 it deserves rather than a CSRF 403: the check
# changes nothing, so there is nothing to protect.
@csrf_exempt
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """200 when the database answers; says whether a worker has been seen recently.

    HEAD is answered like GET (uptime checkers use it); the server drops the body.
    """
    if request.method not in _HEALTHZ_METHODS:
        return error_response(
            request,
            405,
            "method_not_allowed",
            _("This method is not allowed here."),
            headers={"Allow": ", ".join(_HEALTHZ_METHODS)},
        )
    body: dict[str, object] = {"version": __version__, "time": timezone.now().isoformat()}
    status = 200
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        body["database"] = "ok"
        views = operations.workers()
        if not views:
            body["worker"] = "never"
        else:
            latest = max(views, key=lambda view: view.row.last_seen)
            body["worker"] = "ok" if any(view.reporting for view in views) else "late"
            body["worker_last_seen"] = latest.row.last_seen.isoformat()
        # Within the last 24 hours. Dead workers are recovered by the live ones within seconds:
        # "late" ones (silent, not yet recovered) should only show while no worker runs at all.
        body["workers"] = operations.worker_counts(views)
        body["tasks_interrupted"] = operations.interrupted_count()
    except DatabaseError as error:
        logger.error("health check: database unreachable: %s", error)
        body["database"] = "error"
        body["worker"] = "unknown"
        status = 503
    return JsonResponse(body, status=status)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return error_response(
        request,
        403,
        "csrf",
        _(
            "This form expired or was sent from another site. "
            "Go back, reload the page and try again."
        ),
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, 400, "bad_request", _("The request could not be understood."))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, 403, "forbidden", _("Your role does not allow this."))


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(
        request, 404, "not_found", _("This page does not exist, or you do not have access to it.")
    )


def server_error(request: HttpRequest) -> HttpResponse:
    return error_response(
        request, 500, "internal", _("Internal error. It was logged; try again later.")
    )


@login_required
@require_GET
def operations_page(request: HttpRequest, org: str) -> HttpResponse:
    """Workers, tasks their death interrupted, and the apps' panels (the outbox): the centre's."""
    access = org_access(request.user, org, Cap.VIEW_SECTOR)
    views = operations.workers()
    return render(
        request,
        "core/operations.html",
        {
            "access": access,
            "workers": views,
            "counts": operations.worker_counts(views),
            "interrupted": operations.interrupted_tasks(),
            "pending": operations.pending_tasks(),
            "panels": operations.panels(),
            "dead_after_beats": heartbeat.DEAD_AFTER_BEATS,
        },
    )
