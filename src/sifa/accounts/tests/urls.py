"""The project's URLs plus the accounts API and pages, as the project will include them."""

from django.urls import include, path

from sifa.conf.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("api/v1/", include("sifa.accounts.api")),
    path("accounts/", include("sifa.accounts.urls")),
    *project_urlpatterns,
]
