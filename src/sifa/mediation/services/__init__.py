"""Mediation commands — the only write path of 人民调解 (人民调解法). Each is atomic and audited.

Split by resource: ``roster`` (the 人民调解委员会 and 人民调解员 a 司法所 keeps, with their audit
events), ``cases`` (the steps of one mediation, run inside the workflow's commands, which lock the
case and write its audit event) and ``reminders`` (the §33 judicial-confirmation dates and
reminders, run by ``sifa remind-judicial-confirmation``). Reads are in ``sifa.mediation.selectors``.
"""

from sifa.mediation.services.cases import (
    CONFIRMATION_DAYS,
    REMEDIES,
    ConfirmationDue,
    assign,
    conclude_agreement,
    conclude_termination,
    confirmation_due,
    open_case,
    preferred_names,
    record_session,
)
from sifa.mediation.services.reminders import REMIND_DAYS_BEFORE, due_text, refresh_dates, send_due_reminders
from sifa.mediation.services.roster import (
    ROSTER_ROLES,
    add_mediator,
    can_keep_roster,
    create_committee,
    set_mediator_active,
)

__all__ = [
    "CONFIRMATION_DAYS",
    "REMEDIES",
    "REMIND_DAYS_BEFORE",
    "ROSTER_ROLES",
    "ConfirmationDue",
    "add_mediator",
    "assign",
    "can_keep_roster",
    "conclude_agreement",
    "conclude_termination",
    "confirmation_due",
    "create_committee",
    "due_text",
    "open_case",
    "preferred_names",
    "record_session",
    "refresh_dates",
    "send_due_reminders",
    "set_mediator_active",
]
