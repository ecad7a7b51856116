"""Ticket API (see sifa.consultation.api.tickets docstring when written)."""

urlpatterns: list = []
