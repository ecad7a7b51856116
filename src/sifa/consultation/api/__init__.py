"""Consultation API, included under ``/api/v1/``: the knowledge base (``faq``) and tickets
(``tickets``)."""

from sifa.consultation.api import faq, tickets

urlpatterns = [*faq.urlpatterns, *tickets.urlpatterns]
