from django.urls import URLPattern

app_name = "phishing_public"

urlpatterns: list[URLPattern] = []
