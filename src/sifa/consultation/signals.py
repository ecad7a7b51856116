"""Signals the consultation sends for the apps above it (it imports none of them).

``ticket_rated`` — sent inside :func:`sifa.consultation.services.rate`'s transaction once the
ticket is rated, with ``ticket``, ``satisfaction`` (a ``Satisfaction`` key), ``channel`` (the
ticket ``Channel`` the rating came in on), ``comment`` and ``user`` (who rated or recorded it; None
for an anonymous asker). ``sifa.evaluation`` records the 好差评 rating from it.
"""

from django.dispatch import Signal

ticket_rated = Signal()
