"""URLconf for the API tests: the notifications API mounted as the project will mount it."""

from django.urls import include, path

urlpatterns = [path("api/v1/", include("sifa.notifications.api"))]
