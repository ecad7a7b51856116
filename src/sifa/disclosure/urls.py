"""Public 政务公开 pages, mounted at the site root."""

from django.urls import path

from sifa.disclosure import views

urlpatterns = [
    path("disclosure/", views.index, name="disclosure-index"),
    path("disclosure/feed.atom", views.platform_feed, name="disclosure-feed"),
    path("disclosure/opendata/", views.opendata_index, name="disclosure-opendata"),
    path(
        "disclosure/opendata/<str:dataset>.<str:fmt>",
        views.opendata_file,
        name="disclosure-opendata-file",
    ),
    path("disclosure/notices/<str:public_id>/", views.notice_page, name="disclosure-notice"),
    path("disclosure/<int:org_id>/", views.organisation_page, name="disclosure-organisation"),
    path("disclosure/<int:org_id>/feed.atom", views.organisation_feed, name="disclosure-organisation-feed"),
]
