"""Health check, and the error pages (JSON for API clients, a page for people)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from vigie import __version__
from vigie.core.errors import error_response
from vigie.core.models import WorkerHeartbeat

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """200 when the database answers; says whether a worker has been seen recently."""
    body: dict[str, object] = {"version": __version__, "time": timezone.now().isoformat()}
    status = 200
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        body["database"] = "ok"
        latest = (
            WorkerHeartbeat.objects.order_by("-last_seen")
            .values_list("last_seen", flat=True)
            .first()
        )
        if latest is None:
            body["worker"] = "never"
        else:
            late_after = timedelta(seconds=settings.VIGIE_WORKER_HEARTBEAT_SECONDS * 4)
            body["worker"] = "ok" if timezone.now() - latest <= late_after else "late"
            body["worker_last_seen"] = latest.isoformat()
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
