from django.urls import path

from vigie.backups import views

app_name = "backups"

urlpatterns = [
    path("", views.set_list, name="list"),
    path("new/", views.set_new, name="new"),
    path("<int:set_id>/", views.set_detail, name="detail"),
    path("<int:set_id>/edit/", views.set_edit, name="edit"),
    path("<int:set_id>/delete/", views.set_delete, name="delete"),
    path("<int:set_id>/status/", views.set_upload, name="upload"),
    path("<int:set_id>/restore-tests/", views.restore_test_add, name="restore_test"),
]
