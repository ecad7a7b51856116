"""Citizen pages, mounted at the site root: ``path("", include("sifa.portal.urls_citizen"))``."""

from django.urls import path

from sifa.portal.citizen import (
    views_apply,
    views_complaints,
    views_correction,
    views_documents,
    views_licences,
    views_mandates,
    views_privacy,
    views_rate,
    views_register,
    views_space,
    views_track,
)

urlpatterns = [
    path("apply/drafts/<uuid:app_id>/situations/", views_apply.situations, name="citizen-apply-situations"),
    path("apply/drafts/<uuid:app_id>/form/<int:step>/", views_apply.form_step, name="citizen-apply-form"),
    path("apply/drafts/<uuid:app_id>/materials/", views_apply.materials, name="citizen-apply-materials"),
    path("apply/drafts/<uuid:app_id>/pickup/", views_apply.pickup, name="citizen-apply-pickup"),
    path("apply/drafts/<uuid:app_id>/check/", views_apply.check, name="citizen-apply-check"),
    path("apply/drafts/<uuid:app_id>/done/", views_apply.done, name="citizen-apply-done"),
    path("apply/<str:implementation_code>/", views_apply.start, name="citizen-apply"),
    path("track/", views_track.track, name="citizen-track"),
    path("rate/<str:token>/", views_rate.rate_link, name="citizen-rate-link"),
    path("care-mode/", views_track.care_mode, name="citizen-care-mode"),
    path("me/", views_space.dashboard, name="citizen-me"),
    path("me/applications/<str:ref>/", views_space.application_detail, name="citizen-application"),
    path("me/applications/<str:ref>/correction/", views_correction.correction, name="citizen-correction"),
    path("me/applications/<str:ref>/withdraw/", views_space.withdraw, name="citizen-withdraw"),
    path("me/applications/<str:ref>/rating/", views_space.rate_application, name="citizen-rate"),
    path(
        "me/applications/<str:ref>/materials/<str:material_id>/file/",
        views_space.material_file,
        name="citizen-material-file",
    ),
    path("me/materials/", views_space.my_materials, name="citizen-materials"),
    path("me/complaints/", views_complaints.complaints, name="citizen-complaints"),
    path("me/complaints/<str:number>/", views_complaints.complaint_detail, name="citizen-complaint"),
    path("me/messages/", views_space.my_messages_page, name="citizen-messages"),
    path("me/messages/<str:public_id>/read/", views_space.message_read, name="citizen-message-read"),
    path("me/access-log/", views_space.access_log, name="citizen-access-log"),
    path("me/privacy/", views_privacy.privacy, name="citizen-privacy"),
    path("me/privacy/consents/", views_privacy.give, name="citizen-consent-give"),
    path(
        "me/privacy/consents/<str:consent_id>/withdraw/",
        views_privacy.withdraw,
        name="citizen-consent-withdraw",
    ),
    path("me/privacy/export/", views_privacy.export, name="citizen-data-export"),
    path("me/licences/", views_licences.licences, name="citizen-licences"),
    path("me/licences/<str:identifier>/", views_licences.licence_detail, name="citizen-licence"),
    path("me/licences/<str:identifier>/pdf/", views_licences.licence_file, name="citizen-licence-pdf"),
    path(
        "me/licences/<str:identifier>/authorise/", views_licences.authorise, name="citizen-licence-authorise"
    ),
    path(
        "me/licences/<str:identifier>/authorisations/<str:authorisation_id>/revoke/",
        views_licences.revoke,
        name="citizen-licence-revoke",
    ),
    path("me/mandates/", views_mandates.mandates, name="citizen-mandates"),
    path("me/mandates/new/", views_mandates.new_mandate, name="citizen-mandate-new"),
    path(
        "me/mandates/<str:mandate_id>/revoke/", views_mandates.revoke_mandate, name="citizen-mandate-revoke"
    ),
    path("me/documents/", views_documents.documents, name="citizen-documents"),
    path("me/documents/<str:public_id>/pdf/", views_documents.document_file, name="citizen-document-pdf"),
    path("register/", views_register.register, name="citizen-register"),
    path("register/company/", views_register.register, {"kind": "company"}, name="citizen-register-company"),
    path("applications/<str:ref>/", views_space.legacy_link, name="citizen-application-link"),
]
