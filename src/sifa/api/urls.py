"""`/api/v1/` routing. Each app keeps its viewsets in its own ``api.py`` and exposes ``urlpatterns``."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

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
