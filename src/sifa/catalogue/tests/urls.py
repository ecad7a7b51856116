"""The catalogue mounted as the project will mount it: the API under ``/api/v1/``, pages at the root."""

from django.urls import include, path

urlpatterns = [
    path("api/v1/", include("sifa.catalogue.api")),
    path("", include("sifa.catalogue.urls")),
    path("", include("sifa.portal.urls")),
]
