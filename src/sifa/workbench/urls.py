"""Workbench pages, mounted at ``/workbench/``: ``path("workbench/", include("sifa.workbench.urls"))``."""

from django.urls import path

from sifa.workbench.views import (
    calendar,
    case,
    complaint,
    consultation,
    disclosure,
    faq,
    indicators,
    inspection,
    inspection_mock,
    licences,
    mediation,
    monitor,
    rectification,
    window,
    worklist,
)

urlpatterns = [
    path("", worklist.worklist_view, name="workbench-worklist"),
    path("overdue/", worklist.overdue_view, name="workbench-overdue"),
    path("cases/<str:number>/", case.case_view, name="workbench-case"),
    path("cases/<str:number>/actions/<str:key>/", case.action_view, name="workbench-action"),
    path("cases/<str:number>/materials/<str:material_id>/", case.material_file, name="workbench-material"),
    path("window/", window.start_view, name="workbench-window"),
    path("window/new/", window.new_view, name="workbench-window-new"),
    path("window/rating/", window.rating_view, name="workbench-window-rating"),
    path("window/rating/back-entry/", window.back_entry_view, name="workbench-window-back-entry"),
    path("window/<uuid:app_id>/situations/", window.situations_view, name="workbench-window-situations"),
    path("window/<uuid:app_id>/form/<int:step>/", window.form_view, name="workbench-window-form"),
    path("window/<uuid:app_id>/materials/", window.materials_view, name="workbench-window-materials"),
    path("window/<uuid:app_id>/materials/<str:material_id>/", window.file_view, name="workbench-window-file"),
    path("window/<uuid:app_id>/check/", window.check_view, name="workbench-window-check"),
    path("window/<uuid:app_id>/receipt/", window.receipt_view, name="workbench-window-receipt"),
    path("deliveries/failed/", monitor.failed_deliveries_view, name="workbench-failed-deliveries"),
    path("deliveries/<str:public_id>/resend/", monitor.resend_view, name="workbench-resend"),
    path("catalogue/", monitor.catalogue_view, name="workbench-catalogue"),
    path("mediation/", mediation.roster_index, name="workbench-roster-index"),
    path("mediation/<int:office_id>/", mediation.roster_view, name="workbench-roster"),
    path("calendar/", calendar.calendar_view, name="workbench-calendar"),
    path("calendar/notices/new/", calendar.notice_new_view, name="workbench-calendar-new"),
    path("calendar/notices/<str:notice_id>/", calendar.notice_view, name="workbench-calendar-notice"),
    path("calendar/notices/<str:notice_id>/edit/", calendar.notice_edit_view, name="workbench-calendar-edit"),
    path(
        "calendar/notices/<str:notice_id>/publish/",
        calendar.notice_publish_view,
        name="workbench-calendar-publish",
    ),
    # 12348 法律咨询: the queue, the operator desk, the ticket page
    path("consultations/", consultation.queue_view, name="workbench-consultations"),
    path("consultations/new/", consultation.new_view, name="workbench-consultation-new"),
    path("consultations/<str:number>/", consultation.ticket_view, name="workbench-consultation"),
    # 好差评: the rectifications of 差评; 投诉举报: the complaints handled by supervisors
    path("rectifications/", rectification.queue_view, name="workbench-rectifications"),
    path(
        "rectifications/<int:rectification_id>/",
        rectification.detail_view,
        name="workbench-rectification",
    ),
    path("complaints/", complaint.queue_view, name="workbench-complaints"),
    path("complaints/<str:number>/", complaint.detail_view, name="workbench-complaint"),
    # 政务公开: notices drafted, 保密审查, published and withdrawn
    path("disclosure/", disclosure.list_view, name="workbench-disclosure"),
    path("disclosure/new/", disclosure.new_view, name="workbench-disclosure-new"),
    path("disclosure/<str:public_id>/", disclosure.notice_view, name="workbench-disclosure-notice"),
    path("disclosure/<str:public_id>/edit/", disclosure.edit_view, name="workbench-disclosure-edit"),
    # 督查: mock applications and random checks (inspectors); ended mocks for the handling side
    path("inspections/", inspection.index_view, name="workbench-inspections"),
    path("inspections/checks/new/", inspection.draw_view, name="workbench-inspection-draw"),
    path("inspections/checks/<str:check_id>/", inspection.check_view, name="workbench-inspection-check"),
    path(
        "inspections/checks/<str:check_id>/cases/<str:number>/",
        inspection.finding_view,
        name="workbench-inspection-finding",
    ),
    path("inspections/mocks/new/", inspection_mock.new_view, name="workbench-inspection-mock-new"),
    path("inspections/mocks/<str:mock_id>/", inspection.mock_view, name="workbench-inspection-mock"),
    path("inspections/results/", inspection.results_view, name="workbench-inspection-results"),
    # 绩效考核: the indicator dashboard, its CSV and 印发 of the 通报 (its PDF is under /api/v1/indicators/report/)
    path("indicators/", indicators.dashboard_view, name="workbench-indicators"),
    path("indicators/download.csv", indicators.csv_view, name="workbench-indicators-csv"),
    path("indicators/issue/", indicators.issue_view, name="workbench-indicators-issue"),
    path("indicators/withdraw/", indicators.withdraw_view, name="workbench-indicators-withdraw"),
    path("licences/", licences.licences_view, name="workbench-licences"),
    path("licences/<str:identifier>/", licences.licence_view, name="workbench-licence"),
    path(
        "licences/<str:identifier>/actions/<str:action>/",
        licences.licence_action_view,
        name="workbench-licence-action",
    ),
    # 常见问题 (the 12348 knowledge base), kept by consultants.
    path("faq/", faq.faq_list_view, name="workbench-faq-list"),
    path("faq/new/", faq.faq_new_view, name="workbench-faq-new"),
    path("faq/<str:faq_id>/", faq.faq_view, name="workbench-faq"),
]
