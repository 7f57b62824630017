"""TAXII 2.1 endpoints (OASIS TAXII 2.1, sections 4 and 5), read and written with API tokens.

Every endpoint answers in TAXII's media type, with TAXII error messages: 401 without a usable
token, 403 when the token or role may not write, 404 for an API root the caller does not belong
to (the same as one that does not exist), 406 when the client accepts no TAXII 2.1 type, 413 for
a submission over `max_content_length`, 415 for a submission not sent as TAXII 2.1.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from vigie.intel.imports import import_indicators
from vigie.intel.models import Tlp
from vigie.intel.problems import problem_text
from vigie.taxii.auth import Caller, NotAuthenticated, authenticate
from vigie.taxii.collections import Collection, collections_for, find_collection
from vigie.taxii.media import (
    TAXII_MEDIA_TYPE,
    accepts_taxii,
    error_response,
    is_taxii_content,
    taxii_response,
)
from vigie.taxii.models import SubmissionStatus
from vigie.taxii.objects import BadQuery, Page, manifest_record, objects_of, page, parse_filters
from vigie.taxii.stix_objects import timestamp
from vigie.tenancy.access import OrgAccess, memberships_of, org_access

View = Callable[..., HttpResponse]
DEFAULT_MAX_CONTENT_LENGTH = 10 * 1024 * 1024


def max_content_length() -> int:
    return int(getattr(settings, "VIGIE_TAXII_MAX_CONTENT_BYTES", DEFAULT_MAX_CONTENT_LENGTH))


def _unauthorised(reason: str) -> HttpResponse:
    if reason == "revoked":
        return error_response(401, _("This API token was revoked."))
    if reason == "expired":
        return error_response(401, _("This API token has expired."))
    if reason == "invalid":
        return error_response(401, _("Invalid username or API token."))
    return error_response(
        401,
        _("Authentication required."),
        _("Use HTTP Basic with your username and an API token, or a Bearer token."),
    )


def taxii_endpoint(methods: tuple[str, ...]) -> Callable[[View], View]:
    """Method, Accept and credentials checked once, in the caller's language."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                response = error_response(405, _("This method is not allowed here."))
                response["Allow"] = ", ".join(methods)
                return response
            if not accepts_taxii(request):
                return error_response(
                    406,
                    _("Not acceptable."),
                    _("Ask for %(type)s.") % {"type": TAXII_MEDIA_TYPE},
                )
            try:
                caller = authenticate(request)
            except NotAuthenticated as refused:
                return _unauthorised(refused.reason)
            with translation.override(caller.user.language or settings.LANGUAGE_CODE):
                try:
                    response = view(request, caller, *args, **kwargs)
                except Http404:
                    response = error_response(404, _("Not found."))
                except PermissionDenied:
                    response = error_response(403, _("You may not do this here."))
                except BadQuery as bad:
                    response = error_response(
                        400,
                        _("Bad request."),
                        _("The parameter %(name)s is not valid.") % {"name": str(bad)},
                    )
            response["Cache-Control"] = "no-store"
            response["Vary"] = "Accept, Authorization"
            return response

        return wrapper

    return decorate


def _root_url(request: HttpRequest, slug: str) -> str:
    return request.build_absolute_uri(f"/taxii2/{slug}/")


def _access(caller: Caller, root: str) -> OrgAccess:
    return org_access(caller.user, root)


def _collection(access: OrgAccess, collection_id: str) -> Collection:
    collection = find_collection(access, collection_id)
    if collection is None:
        raise Http404("collection")
    return collection


@taxii_endpoint(("GET",))
def discovery(request: HttpRequest, caller: Caller) -> HttpResponse:
    roots = [_root_url(request, m.organisation.slug) for m in memberships_of(caller.user)]
    body: dict[str, Any] = {
        "title": _("Vigie Santé TAXII server"),
        "description": _(
            "Threat indicators shared by the support centre and the establishments it supports, "
            "each reader seeing what its TLP markings allow. One API root per organisation."
        ),
        "contact": getattr(settings, "VIGIE_TAXII_CONTACT", "") or settings.DEFAULT_FROM_EMAIL,
        "api_roots": roots,
    }
    if roots:
        body["default"] = roots[0]
    return taxii_response(body)


@taxii_endpoint(("GET",))
def api_root(request: HttpRequest, caller: Caller, root: str) -> HttpResponse:
    access = _access(caller, root)
    return taxii_response(
        {
            "title": access.organisation.name,
            "description": _("What %(organisation)s may see of shared threat intelligence.")
            % {"organisation": access.organisation.name},
            "versions": [TAXII_MEDIA_TYPE],
            "max_content_length": max_content_length(),
        }
    )


@taxii_endpoint(("GET",))
def collections(request: HttpRequest, caller: Caller, root: str) -> HttpResponse:
    access = _access(caller, root)
    return taxii_response(
        {"collections": [c.resource(access, caller.may_write) for c in collections_for(access)]}
    )


@taxii_endpoint(("GET",))
def collection(request: HttpRequest, caller: Caller, root: str, collection_id: str) -> HttpResponse:
    access = _access(caller, root)
    return taxii_response(_collection(access, collection_id).resource(access, caller.may_write))


def _envelope(result: Page) -> HttpResponse:
    body: dict[str, Any] = {"more": result.more}
    if result.next:
        body["next"] = result.next
    if result.entries:
        body["objects"] = objects_of(result.entries)
    return taxii_response(body, headers=result.headers())


@taxii_endpoint(("GET", "POST"))
def objects(request: HttpRequest, caller: Caller, root: str, collection_id: str) -> HttpResponse:
    access = _access(caller, root)
    found = _collection(access, collection_id)
    if request.method == "POST":
        return _add_objects(request, caller, access, found)
    return _envelope(page(found, access, parse_filters(request.GET)))


@taxii_endpoint(("GET",))
def object_by_id(
    request: HttpRequest, caller: Caller, root: str, collection_id: str, object_id: str
) -> HttpResponse:
    access = _access(caller, root)
    filters = parse_filters(request.GET, allow_id=False)
    filters.ids = {object_id}
    result = page(_collection(access, collection_id), access, filters)
    if not result.entries and filters.after is None:
        raise Http404("object")
    return _envelope(result)


@taxii_endpoint(("GET",))
def versions(
    request: HttpRequest, caller: Caller, root: str, collection_id: str, object_id: str
) -> HttpResponse:
    access = _access(caller, root)
    filters = parse_filters(request.GET, allow_id=False)
    filters.ids = {object_id}
    filters.versions = {"all"}
    result = page(_collection(access, collection_id), access, filters)
    if not result.entries and filters.after is None:
        raise Http404("object")
    body: dict[str, Any] = {
        "more": result.more,
        "versions": [manifest_record(e)["version"] for e in result.entries],
    }
    if result.next:
        body["next"] = result.next
    return taxii_response(body, headers=result.headers())


@taxii_endpoint(("GET",))
def manifest(request: HttpRequest, caller: Caller, root: str, collection_id: str) -> HttpResponse:
    access = _access(caller, root)
    result = page(_collection(access, collection_id), access, parse_filters(request.GET))
    body: dict[str, Any] = {"more": result.more}
    if result.next:
        body["next"] = result.next
    if result.entries:
        body["objects"] = [manifest_record(e) for e in result.entries]
    return taxii_response(body, headers=result.headers())


@taxii_endpoint(("GET",))
def status(request: HttpRequest, caller: Caller, root: str, status_id: str) -> HttpResponse:
    access = _access(caller, root)
    try:
        key = uuid.UUID(status_id)
    except ValueError:
        raise Http404("status") from None
    found = SubmissionStatus.objects.filter(
        pk=key, organisation=access.organisation, user=caller.user
    ).first()
    if found is None:
        raise Http404("status")
    return taxii_response(status_resource(found))


def status_resource(found: SubmissionStatus) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(found.id),
        "status": "complete",
        "request_timestamp": timestamp(found.created_at),
        "total_count": found.total_count,
        "success_count": len(found.successes),
        "failure_count": len(found.failures),
        "pending_count": 0,
    }
    if found.successes:
        body["successes"] = found.successes
    if found.failures:
        body["failures"] = found.failures
    return body


def _add_objects(
    request: HttpRequest, caller: Caller, access: OrgAccess, found: Collection
) -> HttpResponse:
    if not found.can_write(access, caller.may_write):
        raise PermissionDenied("write")
    if not is_taxii_content(request):
        return error_response(
            415,
            _("Unsupported media type."),
            _("Send the objects as %(type)s.") % {"type": TAXII_MEDIA_TYPE},
        )
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length > max_content_length():
        return error_response(
            413,
            _("The request is too large."),
            _("This API root takes at most %(size)d bytes.") % {"size": max_content_length()},
        )
    try:
        envelope = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return error_response(400, _("Bad request."), _("The body is not valid JSON."))
    submitted = envelope.get("objects") if isinstance(envelope, dict) else None
    if not isinstance(submitted, list):
        return error_response(
            400, _("Bad request."), _("The body must be an envelope with a list of objects.")
        )
    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": submitted}
    try:
        job = import_indicators(
            access=access,
            data=json.dumps(bundle).encode(),
            file_name=f"TAXII {timezone.now():%Y-%m-%d %H:%M:%S}",
            source="TAXII",
            # STIX objects usually carry their marking; an unmarked one stays with its
            # publisher's organisation and the centre.
            default_tlp=Tlp.AMBER,
        )
    except ValidationError as refused:
        return error_response(400, _("Bad request."), " ".join(refused.messages))
    failed: dict[str, str] = {}
    for problem in job.problems:
        object_id = problem.get("object")
        if object_id and object_id not in failed:
            failed[object_id] = problem_text(problem)
    successes: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    for obj in submitted:
        if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
            failures.append({"id": "", "message": _("An object without an id was skipped.")})
            continue
        record: dict[str, Any] = {"id": obj["id"]}
        if isinstance(obj.get("modified"), str):
            record["version"] = obj["modified"]
        if obj["id"] in failed:
            record["message"] = failed[obj["id"]]
            failures.append(record)
        else:
            successes.append(record)
    saved = SubmissionStatus.objects.create(
        organisation=access.organisation,
        user=caller.user,
        collection=found.key,
        indicator_import=job,
        total_count=len(submitted),
        successes=successes,
        failures=failures,
    )
    return taxii_response(status_resource(saved), status=202)
