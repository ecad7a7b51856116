"""Public law-library pages, mounted at the site root: ``path("", include("sifa.laws.urls"))``."""

from django.urls import path

from sifa.laws import views

urlpatterns = [
    path("laws/", views.index, name="laws-index"),
    path("laws/<str:slug>/", views.statute_page, name="laws-statute"),
    path("laws/<str:slug>/<str:key>/", views.article_page, name="laws-article"),
]
