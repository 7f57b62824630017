"""The personal API tokens page: create (secret shown once), list, revoke."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from vigie.accounts.models import signed_in_user
from vigie.api.models import ApiToken, Scope
from vigie.api.tokens import create_token, revoke_token

SHOWN_ONCE_KEY = "vigie_new_token"
EXPIRY_CHOICES = [
    ("30", gettext_lazy("30 days")),
    ("90", gettext_lazy("90 days")),
    ("365", gettext_lazy("1 year")),
    ("never", gettext_lazy("Never")),
]


class TokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    scope = forms.ChoiceField(label=gettext_lazy("Scope"), choices=Scope.choices)
    expires = forms.ChoiceField(
        label=gettext_lazy("Expires after"), choices=EXPIRY_CHOICES, initial="90"
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        expires = form.cleaned_data["expires"]
        token, secret = create_token(
            user=user,
            name=form.cleaned_data["name"],
            scope=form.cleaned_data["scope"],
            expires_at=None
            if expires == "never"
            else timezone.now() + timedelta(days=int(expires)),
            request=request,
        )
        request.session[SHOWN_ONCE_KEY] = {"id": token.pk, "secret": secret}
        return redirect("tokens")
    # Shown once: removed from the session as it is displayed.
    new_token = request.session.pop(SHOWN_ONCE_KEY, None)
    return render(
        request,
        "api/tokens.html",
        {
            "form": form,
            "tokens": ApiToken.objects.filter(user=user),
            "new_token": new_token,
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    user = signed_in_user(request)
    token = ApiToken.objects.filter(pk=token_id, user=user).first()
    if token is None:
        raise Http404("token")
    if revoke_token(token=token, actor=user, request=request):
        messages.success(request, _("The token %(name)s was revoked.") % {"name": token.name})
    return redirect("tokens")
