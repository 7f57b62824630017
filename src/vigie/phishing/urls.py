from django.urls import URLPattern

app_name = "phishing"

urlpatterns: list[URLPattern] = []
