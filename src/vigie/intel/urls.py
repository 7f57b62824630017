from django.urls import path

from vigie.intel import export_views, views

app_name = "intel"

urlpatterns = [
    path("", views.indicator_list, name="indicators"),
    path("import/", views.import_upload, name="import"),
    path("imports/<int:import_id>/", views.import_detail, name="import_detail"),
    path("export/", export_views.export_page, name="export"),
    path("export/<str:kind>.txt", export_views.plain, name="export_plain"),
    path("export/<str:kind>.csv", export_views.csv, name="export_csv"),
    path("export/zone.rpz", export_views.rpz, name="export_rpz"),
    path("export/suricata/<str:kind>.lst", export_views.suricata, name="export_suricata"),
]
