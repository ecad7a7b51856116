"""The applications API mounted as the project will mount it (``/api/v1/``), for tests."""

from django.urls import include, path

urlpatterns = [path("api/v1/", include("sifa.applications.api"))]
