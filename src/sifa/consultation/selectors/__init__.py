"""Reads of 12348 法律咨询: the public knowledge base (``faq``) and tickets, always data-scoped
(``tickets``). Nothing here writes."""

from sifa.consultation.selectors.tickets import (
    QUEUES,
    by_tracking_code,
    can_work_queue,
    citations,
    for_asker,
    for_staff,
    history,
    mine,
    queue,
    view,
)

__all__ = [
    "QUEUES",
    "by_tracking_code",
    "can_work_queue",
    "citations",
    "for_asker",
    "for_staff",
    "history",
    "mine",
    "queue",
    "view",
]
