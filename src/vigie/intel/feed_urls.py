"""The MISP feed: the layout a MISP instance's feed loader fetches under the feed's URL."""

from django.urls import path

from vigie.intel import export_views

app_name = "intel_feed"

urlpatterns = [
    path("manifest.json", export_views.misp_manifest, name="misp_manifest"),
    path("hashes.csv", export_views.misp_hashes, name="misp_hashes"),
    path("<uuid:event_id>.json", export_views.misp_event, name="misp_event"),
]
