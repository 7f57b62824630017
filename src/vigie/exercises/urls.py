from django.urls import path

from vigie.exercises import views

app_name = "exercises"

urlpatterns = [
    path("", views.exercise_list, name="list"),
    path("new/", views.exercise_new, name="new"),
    path("actions/", views.action_list, name="actions"),
    path("<int:exercise_id>/", views.exercise_detail, name="detail"),
    path("<int:exercise_id>/edit/", views.exercise_edit, name="edit"),
    path("<int:exercise_id>/start/", views.exercise_start, name="start"),
    path("<int:exercise_id>/end/", views.exercise_end, name="end"),
    path("<int:exercise_id>/report.pdf", views.exercise_report, name="report"),
    path("<int:exercise_id>/injects/", views.inject_add, name="inject_add"),
    path(
        "<int:exercise_id>/injects/<int:inject_id>/deliver/",
        views.inject_deliver,
        name="inject_deliver",
    ),
    path("<int:exercise_id>/participants/", views.participant_add, name="participant_add"),
    path("<int:exercise_id>/observations/", views.observation_add, name="observation_add"),
    path("<int:exercise_id>/lessons/", views.lesson_add, name="lesson_add"),
    path("<int:exercise_id>/actions/", views.action_add, name="action_add"),
    path(
        "<int:exercise_id>/actions/<int:action_id>/close/",
        views.action_close,
        name="action_close",
    ),
]
