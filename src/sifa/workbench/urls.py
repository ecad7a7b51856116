"""Workbench pages, mounted at ``/workbench/``: ``path("workbench/", include("sifa.workbench.urls"))``."""

from django.urls import path

from sifa.workbench.views import case, licences, mediation, monitor, worklist

urlpatterns = [
    path("", worklist.worklist_view, name="workbench-worklist"),
    path("overdue/", worklist.overdue_view, name="workbench-overdue"),
    path("cases/<str:number>/", case.case_view, name="workbench-case"),
    path("cases/<str:number>/actions/<str:key>/", case.action_view, name="workbench-action"),
    path("cases/<str:number>/materials/<str:material_id>/", case.material_file, name="workbench-material"),
    path("deliveries/failed/", monitor.failed_deliveries_view, name="workbench-failed-deliveries"),
    path("deliveries/<str:public_id>/resend/", monitor.resend_view, name="workbench-resend"),
    path("catalogue/", monitor.catalogue_view, name="workbench-catalogue"),
    path("mediation/", mediation.roster_index, name="workbench-roster-index"),
    path("mediation/<int:office_id>/", mediation.roster_view, name="workbench-roster"),
    path("licences/", licences.licences_view, name="workbench-licences"),
    path("licences/<str:identifier>/", licences.licence_view, name="workbench-licence"),
    path(
        "licences/<str:identifier>/actions/<str:action>/",
        licences.licence_action_view,
        name="workbench-licence-action",
    ),
]
