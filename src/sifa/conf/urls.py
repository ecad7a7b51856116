"""Top-level URL routing."""

from django.contrib import admin
from django.urls import include, path

from sifa.api.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include("sifa.api.urls")),
    path("admin/", admin.site.urls),
]
