"""Complaint commands — the only write path of 投诉举报. Each is atomic and audited.

``complaints``: submit, accept, supervise (督办), report, reply, close; ``escalation``: overdue
complaints shown to the level above (``sifa escalate-complaints``). Reads are in
:mod:`sifa.complaints.selectors`.
"""

from sifa.complaints.services.complaints import (
    HANDLER_ROLES,
    Submitted,
    accept,
    close,
    due_text,
    handler_for,
    level_above,
    reply,
    reply_days,
    report,
    submit,
    supervise,
)
from sifa.complaints.services.escalation import escalate_overdue

COMMANDS = ("accept", "supervise", "report", "reply", "close")

__all__ = [
    "COMMANDS",
    "HANDLER_ROLES",
    "Submitted",
    "accept",
    "close",
    "due_text",
    "escalate_overdue",
    "handler_for",
    "level_above",
    "reply",
    "reply_days",
    "report",
    "submit",
    "supervise",
]
