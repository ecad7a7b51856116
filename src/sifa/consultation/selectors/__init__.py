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

# The knowledge base (常见问题).
from sifa.consultation.selectors.faq import (
    by_category,
    curated,
    curated_entry,
    public_entry,
)
from sifa.consultation.selectors.faq import search as search_faq

__all__ += [
    "by_category",
    "curated",
    "curated_entry",
    "public_entry",
    "search_faq",
]
