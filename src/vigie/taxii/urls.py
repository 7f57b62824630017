from django.urls import path

from vigie.taxii import views

app_name = "taxii"

_COLLECTION = "<slug:root>/collections/<str:collection_id>/"

urlpatterns = [
    path("", views.discovery, name="discovery"),
    path("<slug:root>/", views.api_root, name="api_root"),
    path("<slug:root>/status/<str:status_id>/", views.status, name="status"),
    path("<slug:root>/collections/", views.collections, name="collections"),
    path(_COLLECTION, views.collection, name="collection"),
    path(_COLLECTION + "objects/", views.objects, name="objects"),
    path(_COLLECTION + "objects/<str:object_id>/", views.object_by_id, name="object"),
    path(_COLLECTION + "objects/<str:object_id>/versions/", views.versions, name="versions"),
    path(_COLLECTION + "manifest/", views.manifest, name="manifest"),
]
