from django.urls import path

from vigie.incidents import views

app_name = "incidents"

urlpatterns = [
    path("", views.incident_list, name="list"),
    path("new/", views.incident_new, name="new"),
    path("breaches/", views.breach_register, name="breaches"),
    path("<int:incident_id>/", views.incident_detail, name="detail"),
    path("<int:incident_id>/edit/", views.incident_edit, name="edit"),
    path("<int:incident_id>/triage/", views.incident_triage, name="triage"),
    path("<int:incident_id>/phase/", views.incident_phase, name="phase"),
    path("<int:incident_id>/entries/", views.incident_entry, name="entry"),
    path("<int:incident_id>/tasks/", views.incident_task_add, name="task_add"),
    path("<int:incident_id>/tasks/<int:task_id>/", views.incident_task, name="task"),
    path("<int:incident_id>/evidence/", views.incident_evidence, name="evidence"),
    path(
        "<int:incident_id>/evidence/<int:evidence_id>/",
        views.evidence_download,
        name="evidence_download",
    ),
    path("<int:incident_id>/reports/<slug:code>/", views.incident_report, name="report"),
    path("<int:incident_id>/submissions/", views.incident_submit, name="submit"),
    path("<int:incident_id>/share/", views.incident_share, name="share"),
    path(
        "<int:incident_id>/submissions/<int:submission_id>/",
        views.submission_snapshot,
        name="submission",
    ),
]
