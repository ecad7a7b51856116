"""The workbench and the login page, mounted as the project mounts them."""

from django.urls import include, path

urlpatterns = [
    path("accounts/", include("sifa.accounts.urls")),
    path("workbench/", include("sifa.workbench.urls")),
]
