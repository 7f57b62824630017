from django.urls import path

from vigie.training import views

app_name = "training"

urlpatterns = [
    path("", views.index, name="index"),
    path("modules/<int:module_id>/", views.module_detail, name="module"),
    path("modules/<int:module_id>/answer/", views.module_answer, name="answer"),
    path("results/<int:completion_id>/", views.completion_detail, name="result"),
    path("assignments/new/", views.assignment_new, name="assignment_new"),
    path("assignments/<int:assignment_id>/", views.assignment_detail, name="assignment"),
]
