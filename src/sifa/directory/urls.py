"""Public directory pages, mounted at the site root: ``path("", include("sifa.directory.urls"))``."""

from django.urls import path

from sifa.directory import views

urlpatterns = [
    path("directory/", views.index, name="directory-index"),
    path("directory/<str:kind>/<str:entry_id>/", views.detail, name="directory-detail"),
]
