from django.urls import URLPattern

app_name = "backups"

urlpatterns: list[URLPattern] = []
