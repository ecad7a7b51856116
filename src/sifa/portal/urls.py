"""Portal pages, mounted at the site root: ``path("", include("sifa.portal.urls"))``."""

from django.urls import path

from sifa.portal import views

urlpatterns = [path("", views.home, name="portal-home")]
