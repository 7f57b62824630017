from django.urls import path

from vigie.intel import advisory_views

app_name = "advisories"

urlpatterns = [
    path("", advisory_views.advisory_list, name="list"),
    path("new/", advisory_views.advisory_edit, name="new"),
    path("<int:advisory_id>/", advisory_views.advisory_detail, name="detail"),
    path("<int:advisory_id>/edit/", advisory_views.advisory_edit, name="edit"),
    path("<int:advisory_id>/publish/", advisory_views.advisory_publish, name="publish"),
    path("<int:advisory_id>/acknowledge/", advisory_views.advisory_acknowledge, name="acknowledge"),
]
