"""Public catalogue pages, mounted at the site root: ``path("", include("sifa.catalogue.urls"))``."""

from django.urls import path

from sifa.catalogue import views

urlpatterns = [
    path("catalogue/", views.catalogue_index, name="catalogue-index"),
    path("catalogue/places/", views.place_page, name="catalogue-places"),
    path("catalogue/<str:basic_code>/", views.item_page, name="catalogue-item"),
    path("guides/preview/<str:basic_code>/<str:number>/", views.guide_preview, name="guide-preview"),
    path("guides/<str:implementation_code>.json", views.guide_json, name="guide-json"),
    path("guides/<str:implementation_code>/guide.pdf", views.guide_pdf, name="guide-pdf"),
    path("guides/<str:implementation_code>/", views.guide_page, name="guide"),
    path("open-data/", views.open_data_index, name="open-data"),
    path("open-data/catalogue.json", views.open_data_json, name="open-data-json"),
    path("open-data/catalogue.csv", views.open_data_csv, name="open-data-csv"),
    path("open-data/changes.json", views.open_data_changes, name="open-data-changes"),
    path("open-data/index.json", views.open_data_part, {"part": "index.json"}, name="open-data-index-json"),
    path("open-data/items.json", views.open_data_part, {"part": "items.json"}, name="open-data-items"),
    path(
        "open-data/implementations/<str:province>.json",
        views.open_data_province,
        name="open-data-implementations",
    ),
]
