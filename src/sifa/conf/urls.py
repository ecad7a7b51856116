"""Top-level URL routing."""

from django.contrib import admin
from django.urls import include, path
from django_otp.admin import OTPAdminSite

from sifa.api.health import healthz, readyz
from sifa.api.urls import root_urlpatterns as api_root_urlpatterns

# The admin site demands a verified TOTP device, like every other staff login (等保 level 3).
admin.site.__class__ = OTPAdminSite

urlpatterns = [
    path("healthz", healthz, name="healthz"),  # liveness: one SELECT 1
    path("readyz", readyz, name="readyz"),  # readiness: the full report (sifa.api.health)
    *api_root_urlpatterns,  # the progress query and case commands, without entering api/v1/'s include
    path("api/v1/", include("sifa.api.urls")),
    path("accounts/", include("sifa.accounts.urls")),
    path("admin/", admin.site.urls),
    path("workbench/", include("sifa.workbench.urls")),
    path("", include("sifa.licences.urls")),  # /verify/…
    path("", include("sifa.laws.urls")),  # /laws/…
    path("", include("sifa.catalogue.urls")),  # /catalogue/, /guides/…, /open-data/…
    path("", include("sifa.directory.urls")),  # /directory/…
    path("", include("sifa.consultation.urls")),  # /consultations/…, /faq/…
    path("", include("sifa.complaints.urls")),  # /complaints/new/, /complaints/track/
    path("", include("sifa.disclosure.urls")),  # /disclosure/… (政务公开)
    path("", include("sifa.portal.urls")),  # / (home)
    path("", include("sifa.portal.urls_citizen")),  # /apply/…, /track/, /me/…
]

handler400 = "sifa.portal.views.bad_request"
handler403 = "sifa.portal.views.forbidden"
handler404 = "sifa.portal.views.not_found"
handler500 = "sifa.portal.views.server_error"
