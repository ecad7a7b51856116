"""Evaluation commands — the only write path of 好差评. Each is atomic and audited.

``ratings`` (a person rates a service once; ``back_entry``: a clerk enters a card collected
offline, 离线补录; the consultation's ratings flow in through its
``ticket_rated`` signal), ``rectifications`` (the 整改 a 差评 opens: callback, report, close,
appeal, set aside) and ``escalation`` (overdue rectifications go to the level above,
``sifa escalate-rectifications``). Reads are in :mod:`sifa.evaluation.selectors`.
"""

from sifa.evaluation.services.back_entry import BACK_ENTRY_DAYS, enter_card
from sifa.evaluation.services.escalation import escalate_overdue
from sifa.evaluation.services.links import (
    LINK_VALID,
    invite_call,
    invite_visit,
    issue_link,
    open_link,
    rate_by_link,
    rate_with_token,
)
from sifa.evaluation.services.ratings import (
    LINK_SUBJECTS,
    RATEABLE_STATUSES,
    rate,
    record_ticket_rating,
    ticket_kind,
)
from sifa.evaluation.services.rectifications import (
    COMMANDS,
    DECISIONS,
    HANDLE_ROLES,
    callback_days,
    command,
    date_text,
    open_rectification,
    rectify_days,
)

__all__ = [
    "BACK_ENTRY_DAYS",
    "COMMANDS",
    "DECISIONS",
    "HANDLE_ROLES",
    "LINK_SUBJECTS",
    "LINK_VALID",
    "RATEABLE_STATUSES",
    "callback_days",
    "command",
    "date_text",
    "enter_card",
    "escalate_overdue",
    "invite_call",
    "invite_visit",
    "issue_link",
    "open_link",
    "open_rectification",
    "rate",
    "rate_by_link",
    "rate_with_token",
    "record_ticket_rating",
    "rectify_days",
    "ticket_kind",
]
