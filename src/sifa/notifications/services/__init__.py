"""Notification commands — the only write path for messages and their deliveries.

Split by side: ``outbox`` (:func:`notify`, what every other app calls inside its own command, and
the staff :func:`resend`), ``inbox`` (the recipient marks a message read) and ``dispatch`` (the
worker: claim due deliveries, send them, record the outcome; ``sifa deliver-notifications``).
Reads are in :mod:`sifa.notifications.selectors`.
"""

from sifa.notifications.services.dispatch import (
    BATCH_SIZE,
    CLAIM_LEASE,
    MAX_ATTEMPTS,
    SweepResult,
    attempt,
    claim,
    deliver_due,
    deliver_ids,
    recover_stale_claims,
    retry_delay,
)
from sifa.notifications.services.inbox import mark_read
from sifa.notifications.services.outbox import notify, notify_phone, resend

__all__ = [
    "BATCH_SIZE",
    "CLAIM_LEASE",
    "MAX_ATTEMPTS",
    "SweepResult",
    "attempt",
    "claim",
    "deliver_due",
    "deliver_ids",
    "mark_read",
    "notify",
    "notify_phone",
    "recover_stale_claims",
    "resend",
    "retry_delay",
]
