"""The workflow API mounted as the project mounts it, under /api/v1/."""

from django.urls import include, path

urlpatterns = [path("api/v1/", include("sifa.workflow.api"))]
