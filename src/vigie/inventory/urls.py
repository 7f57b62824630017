from django.urls import path

from vigie.inventory import views

app_name = "inventory"

urlpatterns = [
    path("", views.asset_list, name="list"),
    path("import/", views.import_upload, name="import"),
    path("imports/", views.import_list, name="imports"),
    path("import/<uuid:import_id>/", views.import_preview, name="import_preview"),
    path("import/<uuid:import_id>/commit/", views.import_commit, name="import_commit"),
    path("import/<uuid:import_id>/discard/", views.import_discard, name="import_discard"),
    path("assets/new/", views.asset_edit, name="asset_create"),
    path("assets/<int:asset_id>/", views.asset_detail, name="asset"),
    path("assets/<int:asset_id>/edit/", views.asset_edit, name="asset_edit"),
    path("assets/<int:asset_id>/delete/", views.asset_delete, name="asset_delete"),
    path("assets/<int:asset_id>/cpe/", views.asset_cpe, name="asset_cpe"),
]
