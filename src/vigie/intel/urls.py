from django.urls import path

from vigie.intel import views

app_name = "intel"

urlpatterns = [
    path("", views.indicator_list, name="indicators"),
    path("import/", views.import_upload, name="import"),
    path("imports/<int:import_id>/", views.import_detail, name="import_detail"),
]
