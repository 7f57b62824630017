from django.urls import path

from vigie.notify import views

app_name = "notify"

urlpatterns = [
    path("", views.channels, name="channels"),
    path("channels/new/<str:kind>/", views.channel_create, name="channel_create"),
    path("channels/<int:channel_id>/", views.channel_edit, name="channel_edit"),
    path("channels/<int:channel_id>/delete/", views.channel_delete, name="channel_delete"),
    path("channels/<int:channel_id>/test/", views.channel_test, name="channel_test"),
    path("channels/<int:channel_id>/secret/", views.channel_secret, name="channel_secret"),
    path("deliveries/", views.deliveries, name="deliveries"),
    path("deliveries/<int:delivery_id>/", views.delivery_detail, name="delivery"),
]
