"""Public licence pages, mounted at the site root: ``path("", include("sifa.licences.urls"))``."""

from django.urls import path

from sifa.licences import views

urlpatterns = [
    path("verify/", views.verify_form, name="licence-verify-form"),
    path("verify/<str:identifier>", views.verify_page, name="licence-verify-page"),
]
