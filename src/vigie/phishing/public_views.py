"""What a recipient reaches from a simulated message: the open pixel, the generic sign-in page,
the page that teaches, and the report link. No sign-in; a token that is not genuine is a plain
404. What is typed in the form is never read, stored or logged: only the fact of submitting is.

Each hit is one indexed read and at most a few conditional UPDATEs that change nothing the
second time, so repeats cost little and move nothing.
"""

from __future__ import annotations

import base64

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from vigie.phishing import actions
from vigie.phishing.models import Target
from vigie.phishing.tokens import target_id_of

GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
ROBOTS = "noindex, nofollow, noarchive"


def _target(token: str, event: str | None) -> Target:
    target_id = target_id_of(token)
    target: Target | None = None
    if target_id is not None and event is not None:
        target = actions.record_event(target_id, event)
    elif target_id is not None:
        target = (
            Target.objects.select_related("campaign")
            .filter(pk=target_id, sent_at__isnull=False)
            .first()
        )
    if target is None:
        raise Http404("recipient")
    return target


def _page(
    request: HttpRequest, target: Target, name: str, context: dict[str, object]
) -> HttpResponse:
    with translation.override(target.campaign.language):
        response = render(
            request,
            f"phishing/public/{name}.html",
            {"language": target.campaign.language, **context},
        )
    response["X-Robots-Tag"] = ROBOTS
    # Same-origin, not no-referrer: the token stays out of any other site's logs (the pages load
    # nothing from elsewhere), and the browser still sends the Origin the CSRF check needs for
    # the sign-in form (with no-referrer Chromium sends "Origin: null" and Django refuses it).
    response["Referrer-Policy"] = "same-origin"
    return response


@never_cache
@require_GET
def pixel(request: HttpRequest, token: str) -> HttpResponse:
    _target(token, "opened_at")
    response = HttpResponse(GIF, content_type="image/gif")
    response["X-Robots-Tag"] = ROBOTS
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def click(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        # request.POST is deliberately never touched: the credentials typed are not ours to read.
        _target(token, "submitted_at")
        return redirect("phishing_public:learn", token=token)
    target = _target(token, "clicked_at")
    return _page(request, target, "signin", {"token": token})


@never_cache
@require_GET
def learn(request: HttpRequest, token: str) -> HttpResponse:
    target = _target(token, None)
    return _page(request, target, "learn", {"token": token, "campaign": target.campaign})


@never_cache
@require_GET
def report(request: HttpRequest, token: str) -> HttpResponse:
    target = _target(token, "reported_at")
    return _page(request, target, "reported", {"campaign": target.campaign})
