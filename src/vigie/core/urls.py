from django.urls import path

from vigie.core import views

app_name = "core"

urlpatterns = [
    path("", views.operations_page, name="operations"),
]
