"""The licences API under ``/api/v1/`` and the verification page at the root, as the project mounts them."""

from django.urls import include, path

urlpatterns = [
    path("api/v1/", include("sifa.licences.api")),
    path("", include("sifa.licences.urls")),
]
