"""Public consultation pages, mounted at the site root: ``path("", include("sifa.consultation.urls"))``."""

urlpatterns: list = []
