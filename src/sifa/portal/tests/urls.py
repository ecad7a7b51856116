"""The portal and the catalogue pages its base template links to."""

from django.urls import include, path

urlpatterns = [path("", include("sifa.catalogue.urls")), path("", include("sifa.portal.urls"))]
