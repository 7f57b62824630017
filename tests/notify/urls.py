"""The platform's URLs with the notification pages, whether or not vigie/urls.py has them yet."""

from django.urls import include, path

from vigie import urls as platform

_included = any(getattr(p, "namespace", None) == "notify" for p in platform.urlpatterns)

urlpatterns = [
    *platform.urlpatterns,
    *([] if _included else [path("o/<slug:org>/notifications/", include("vigie.notify.urls"))]),
]

handler400 = platform.handler400
handler403 = platform.handler403
handler404 = platform.handler404
handler500 = platform.handler500
