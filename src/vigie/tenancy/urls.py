from django.urls import path

from vigie.audit import views as audit_views
from vigie.tenancy import views

app_name = "tenancy"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("members/", views.members, name="members"),
    path("members/<int:member_id>/role/", views.member_role, name="member_role"),
    path("members/<int:member_id>/remove/", views.member_remove, name="member_remove"),
    path(
        "invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("profile/", views.organisation_profile, name="profile"),
    path("audit/", audit_views.audit_log, name="audit"),
    path("establishments/", views.establishments, name="establishments"),
    path("establishments/new/", views.establishment_create, name="establishment_create"),
    path("establishments/<slug:establishment>/", views.establishment_detail, name="establishment"),
    path(
        "establishments/<slug:establishment>/edit/",
        views.establishment_edit,
        name="establishment_edit",
    ),
]
