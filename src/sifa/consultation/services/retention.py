"""The retention rule of 12348 consultations' contact details (``sifa privacy purge``).

A ticket answered longer ago than the period keeps its question, answer and history (the service
record of the 司法行政机关, 履行法定职责) but loses the asker's contact details — the name and
phone given for the reply, sealed, and their masked forms — which served only that reply
(个人信息保护法 §19, §47 第一款第一项: 处理目的已实现). Counts only; the caller audits the run.
"""

from __future__ import annotations

import datetime as dt

from sifa.consultation.models import Ticket


def anonymise_contacts_before(cutoff: dt.datetime, *, dry_run: bool = False) -> int:
    """Clear the contact details of tickets answered before ``cutoff``; returns how many."""
    rows = Ticket.objects.filter(answered_at__lt=cutoff).exclude(
        name_enc=None, phone_enc=None, name_masked="", phone_masked=""
    )
    if dry_run:
        return rows.count()
    return rows.update(name_enc=None, phone_enc=None, name_masked="", phone_masked="", wants_sms=False)
