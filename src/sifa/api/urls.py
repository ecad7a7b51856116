"""`/api/v1/` routing. Each app keeps its viewsets in its own ``api.py`` and exposes ``urlpatterns``."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from sifa.accounts import api as accounts_api
from sifa.applications import api as applications_api
from sifa.licences import api as licences_api
from sifa.workflow import api as workflow_api

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="api/swagger_ui.html", template_name_js="api/swagger_ui.js"
        ),
        name="api-docs",
    ),
    path("", include("sifa.organisations.api")),
    path("", include("sifa.accounts.api")),
    path("", include("sifa.audit.api")),
    path("", include("sifa.laws.api")),
    path("", include("sifa.catalogue.api")),
    path("", include("sifa.deadlines.api")),
    path("", include("sifa.notifications.api")),
    path("", include("sifa.applications.api")),
    path("", include("sifa.workflow.api")),
    path("", include("sifa.mediation.api")),
    path("", include("sifa.licences.api")),
    path("", include("sifa.licences.staff_api")),
    path("", include("sifa.directory.api")),
    path("", include("sifa.consultation.api")),
    path("", include("sifa.evaluation.api")),
    path("", include("sifa.complaints.api")),
    path("", include("sifa.exchange.api")),
    path("", include("sifa.inspections.api")),
    path("", include("sifa.indicators.api")),
    path("", include("sifa.indicators.api_report")),
    path("", include("sifa.privacy.api")),
]

root_urlpatterns = [
    path(f"api/v1/{route.pattern}", route.callback, name=route.name)
    for route in (
        *accounts_api.first_urlpatterns,
        *applications_api.public_urlpatterns,
        *workflow_api.command_urlpatterns,
        *licences_api.public_urlpatterns,
    )
]
"""The caller's own account (``GET /api/v1/me/``, the most frequent signed-in read), the public
progress query (``GET /api/v1/track/{number}/?code=``, the most frequent public read),
the staff's commands on a case (``POST /api/v1/cases/{number}/commands/{command}/``, every
transition) and the licence verification by identifier (``GET /api/v1/licences/verify/{identifier}/``,
a QR code scanned), routed by ``sifa.conf.urls`` at the top level, before ``api/v1/``'s include: resolving
them then tries no pattern of the API and enters no include (docs/performance.md, "2026-12-06
(session 2): W5", "2026-12-06 (session 3): W4", "2026-12-06 (session 4): W6a" and "2026-12-07
(session 8): me")."""
