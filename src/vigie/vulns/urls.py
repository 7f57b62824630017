from django.urls import path

from vigie.vulns import views
from vigie.vulns.dashboard import dashboard_live

app_name = "vulns"

urlpatterns = [
    path("alerts/", views.alert_list, name="alerts"),
    path("alerts/bulk/", views.alert_bulk, name="alerts_bulk"),
    path("alerts/settings/", views.alert_policy, name="policy"),
    path("alerts/<int:alert_id>/", views.alert_detail, name="alert"),
    path("alerts/<int:alert_id>/state/", views.alert_transition, name="alert_transition"),
    path("alerts/<int:alert_id>/comment/", views.alert_comment, name="alert_comment"),
    path("exposure/", views.exposure_overview, name="exposure"),
    path("exposure/<str:vuln_id>/", views.exposure_detail, name="exposure_detail"),
    path("feeds/", views.feed_runs, name="feeds"),
    path("live/dashboard/", dashboard_live, name="dashboard_live"),
]
