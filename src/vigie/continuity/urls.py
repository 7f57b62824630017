from django.urls import path

from vigie.continuity import views

app_name = "continuity"

urlpatterns = [
    path("", views.index, name="index"),
    path("plans.pdf", views.all_pdf, name="all_pdf"),
    path("units/", views.units, name="units"),
    path("units/new/", views.unit_save, name="unit_new"),
    path("units/members/", views.member_unit, name="member_unit"),
    path("units/<int:unit_id>/rename/", views.unit_save, name="unit_rename"),
    path("units/<int:unit_id>/", views.plan_detail, name="plan"),
    path("units/<int:unit_id>/edit/", views.plan_edit, name="plan_edit"),
    path("units/<int:unit_id>/reviewed/", views.plan_reviewed, name="reviewed"),
    path("units/<int:unit_id>/plan.pdf", views.plan_pdf, name="plan_pdf"),
    path("units/<int:unit_id>/<slug:kind>/", views.row_add, name="row_add"),
    path(
        "units/<int:unit_id>/<slug:kind>/<int:row_id>/delete/",
        views.row_delete,
        name="row_delete",
    ),
]
