from django.urls import include, path

from vigie.accounts import views as account_views
from vigie.api import views as api_views
from vigie.api.v1 import api
from vigie.core import views as core_views
from vigie.tenancy import views as tenancy_views

urlpatterns = [
    path("", tenancy_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("language/", account_views.set_language, name="set_language"),
    path("accounts/", include("vigie.accounts.urls")),
    path("accounts/tokens/", api_views.tokens, name="tokens"),
    path("accounts/tokens/<int:token_id>/revoke/", api_views.token_revoke, name="token_revoke"),
    path("invitations/<str:token>/", tenancy_views.accept_invitation, name="accept_invitation"),
    path("o/<slug:org>/", include("vigie.tenancy.urls")),
    path("o/<slug:org>/", include("vigie.vulns.urls")),
    path("o/<slug:org>/inventory/", include("vigie.inventory.urls")),
    path("o/<slug:org>/notifications/", include("vigie.notify.urls")),
    path("o/<slug:org>/intel/indicators/", include("vigie.intel.urls")),
    path("o/<slug:org>/intel/misp-feed/", include("vigie.intel.feed_urls")),
    path("o/<slug:org>/intel/sightings/", include("vigie.intel.sighting_urls")),
    path("o/<slug:org>/advisories/", include("vigie.intel.advisory_urls")),
    path("o/<slug:org>/operations/", include("vigie.core.urls")),
    path("o/<slug:org>/incidents/", include("vigie.incidents.urls")),
    path("o/<slug:org>/observatory/", include("vigie.incidents.observatory_urls")),
    path("o/<slug:org>/backups/", include("vigie.backups.urls")),
    path("o/<slug:org>/continuity/", include("vigie.continuity.urls")),
    path("o/<slug:org>/exercises/", include("vigie.exercises.urls")),
    path("o/<slug:org>/training/", include("vigie.training.urls")),
    path("o/<slug:org>/phishing/", include("vigie.phishing.urls")),
    path("o/<slug:org>/readiness/", include("vigie.readiness.urls")),
    # The phishing simulation's tracked links: reached from a message, without signing in.
    path("p/", include("vigie.phishing.public_urls")),
    path("api/v1/", api.urls),
    path("taxii2/", include("vigie.taxii.urls")),
]

handler400 = "vigie.core.views.bad_request"
handler403 = "vigie.core.views.permission_denied"
handler404 = "vigie.core.views.page_not_found"
handler500 = "vigie.core.views.server_error"
