"""Public consultation pages, mounted at the site root: ``path("", include("sifa.consultation.urls"))``."""

from django.urls import path

from sifa.consultation.views import faq, tickets

urlpatterns: list = []

# 法律咨询 (citizens): ask online, the confirmation, follow up (signed in, or with the tracking
# code), rate, turn it into a legal-aid or mediation application. ``new/`` and ``track/`` come
# before ``<number>/``.
urlpatterns += [
    path("consultations/", tickets.index, name="consultation-index"),
    path("consultations/new/", tickets.ask, name="consultation-new"),
    path("consultations/new/done/", tickets.done, name="consultation-done"),
    path("consultations/track/", tickets.track, name="consultation-track"),
    path("consultations/<str:number>/", tickets.detail, name="consultation-detail"),
    path("consultations/<str:number>/rating/", tickets.rate, name="consultation-rate"),
    path("consultations/<str:number>/convert/", tickets.convert, name="consultation-convert"),
]

# 常见问题 (the knowledge base): search and browse, one answer, the htmx suggestions fragment.
urlpatterns += [
    path("faq/", faq.index, name="faq-index"),
    path("faq/suggest/", faq.suggest, name="faq-suggest"),
    path("faq/<str:faq_id>/", faq.detail, name="faq-detail"),
]
