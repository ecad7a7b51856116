"""Public 投诉举报 pages, mounted at the site root."""

from django.urls import path

from sifa.complaints import views

urlpatterns = [
    path("complaints/new/", views.new, name="complaints-new"),
    path("complaints/new/places/", views.places, name="complaints-places"),
    path("complaints/new/done/", views.done, name="complaints-done"),
    path("complaints/track/", views.track, name="complaints-track"),
]
