"""The audit API mounted as the project will mount it, under /api/v1/."""

from django.urls import include, path

urlpatterns = [path("api/v1/", include("sifa.audit.api"))]
