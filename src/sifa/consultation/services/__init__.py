"""Consultation commands — the only write path of 12348 法律咨询. Each is atomic and audited.

Split by resource: ``faq`` (the knowledge base kept by consultants), ``tickets`` (a consultation
from any channel: create, answer, transfer, rate, convert), ``routing`` (who answers a question
from a place and of a category; pure reads) and ``escalation`` (overdue tickets go to the level
above, ``sifa escalate-consultations``). Reads are in :mod:`sifa.consultation.selectors`.
"""

from sifa.consultation.services.escalation import escalate_overdue
from sifa.consultation.services.routing import bureau_for, county_of, escalation_target, route
from sifa.consultation.services.tickets import (
    ANSWER_ROLES,
    QUEUE_ROLES,
    RECORD_ROLES,
    TRANSFER_ROLES,
    Created,
    answer,
    answer_days,
    conversion_options,
    convert,
    create_ticket,
    due_text,
    link_of,
    rate,
    resolve_citations,
    transfer,
)

__all__ = [
    "ANSWER_ROLES",
    "QUEUE_ROLES",
    "RECORD_ROLES",
    "TRANSFER_ROLES",
    "Created",
    "answer",
    "answer_days",
    "bureau_for",
    "conversion_options",
    "convert",
    "county_of",
    "create_ticket",
    "due_text",
    "escalate_overdue",
    "escalation_target",
    "link_of",
    "rate",
    "resolve_citations",
    "route",
    "transfer",
]

# The knowledge base (常见问题).
from sifa.consultation.services.faq import (
    CURATOR_ROLES,
    can_curate,
    create_faq,
    curated_organisations,
    load_starter_faq,
    publish_faq,
    update_faq,
    withdraw_faq,
)

__all__ += [
    "CURATOR_ROLES",
    "can_curate",
    "create_faq",
    "curated_organisations",
    "load_starter_faq",
    "publish_faq",
    "update_faq",
    "withdraw_faq",
]
