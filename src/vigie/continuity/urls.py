from django.urls import URLPattern

app_name = "continuity"

urlpatterns: list[URLPattern] = []
