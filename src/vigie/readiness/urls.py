from django.urls import path

from vigie.readiness import views

app_name = "readiness"

urlpatterns = [
    path("", views.index, name="index"),
    path("sector/", views.sector, name="sector"),
    path("sector/export.csv", views.export, name="export"),
    path("sector/<slug:establishment>/", views.establishment, name="establishment"),
]
