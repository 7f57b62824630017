"""Public tracking pages of the simulations, reached from the messages without signing in."""

from django.urls import path

from vigie.phishing import public_views

app_name = "phishing_public"

urlpatterns = [
    path("<str:token>/", public_views.click, name="click"),
    path("<str:token>/o.gif", public_views.pixel, name="pixel"),
    path("<str:token>/learn/", public_views.learn, name="learn"),
    path("<str:token>/report", public_views.report, name="report"),
]
