from django.urls import path

from vigie.incidents import observatory_views

app_name = "observatory"

urlpatterns = [
    path("", observatory_views.index, name="index"),
    path("export.csv", observatory_views.export, name="export"),
]
