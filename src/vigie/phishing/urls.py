from django.urls import path

from vigie.phishing import views

app_name = "phishing"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.campaign_new, name="new"),
    path("lists/upload/", views.list_upload, name="list_upload"),
    path("sector/", views.sector, name="sector"),
    path("<int:campaign_id>/", views.campaign_detail, name="detail"),
    path("<int:campaign_id>/edit/", views.campaign_edit, name="edit"),
    path("<int:campaign_id>/launch/", views.campaign_launch, name="launch"),
    path("<int:campaign_id>/stop/", views.campaign_stop, name="stop"),
]
