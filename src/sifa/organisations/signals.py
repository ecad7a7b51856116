"""Signals the organisation tree sends for the apps above it (it imports none of them).

``organisations_renamed`` — sent inside :func:`sifa.organisations.services.build_organisations`
(which writes with ``bulk_update``, so no ``post_save`` fires) with ``ids``, the organisations
whose name changed. ``sifa.catalogue`` rewrites the public list entries that show the name.
"""

from django.dispatch import Signal

organisations_renamed = Signal()
