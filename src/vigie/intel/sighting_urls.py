from django.urls import path

from vigie.intel import sighting_views

app_name = "intel_sightings"

urlpatterns = [
    path("", sighting_views.sighting_list, name="list"),
    path("<int:sighting_id>/", sighting_views.sighting_detail, name="detail"),
    path("<int:sighting_id>/state/", sighting_views.sighting_state, name="state"),
]
