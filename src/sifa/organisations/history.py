"""The shape every history row of a case-like record shares (a complaint's, a 12348 ticket's).

``HistoryEvent`` is abstract: a subclass adds the record it belongs to (a ``ForeignKey`` with
``related_name="events"``), ``kind`` with its own choices and its ``Meta`` (names, ordering by
record, ``at``, ``id``); it inherits when (``at``), who acted (``actor``), for or towards which
organisation (``organisation``) and a short ``note`` that holds no personal data. It lives here
because its one foreign key to the tree is this app's ``Organisation``; it writes nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class HistoryEvent(models.Model):
    at = models.DateTimeField("时间", default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField("说明", max_length=300, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.get_kind_display()  # type: ignore[attr-defined]  # the subclass's ``kind``
