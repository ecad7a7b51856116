"""Keeping a text message in the local SMS outbox (the ``local`` gateway of :mod:`sifa.accounts.sms`).

The local gateway stands in for the carrier in development and tests: instead of sending, it keeps
the message here, phone sealed, so the one-time codes can be read. The caller is a command
(``auth.send_sms_code``, a notification delivery) whose own transaction and audit event cover it.
"""

from __future__ import annotations

from sifa.accounts.models import PHONE_INDEX, SmsChallenge, SmsMessage, User
from sifa.core.crypto import field_cipher
from sifa.core.masking import mask_phone


def keep_local_message(
    phone: str, template: str, params: dict[str, str], body: str, *, recipient: User | None = None
) -> SmsMessage:
    """Store one message as the local gateway's outbox row; returns it (its id is the message id)."""
    cipher = field_cipher()
    message = SmsMessage(
        recipient=recipient,
        template=template,
        params=params,
        body=body,
        phone_index=cipher.blind_index(phone, PHONE_INDEX),
        phone_masked=mask_phone(phone),
        scope_path=recipient.scope_path if recipient else "",
    )
    message.phone_enc = cipher.seal(phone, message.phone_aad)
    message.save(force_insert=True)
    return message


def purge_sms_before(cutoff, *, dry_run: bool = False) -> dict[str, int]:
    """The retention purge of text messages (``sifa privacy purge``): the local outbox's copies
    sent before ``cutoff`` and the one-time-code challenges that expired before it. Counts only;
    the caller audits the run."""

    messages = SmsMessage.objects.filter(sent_at__lt=cutoff)
    challenges = SmsChallenge.objects.filter(expires_at__lt=cutoff)
    if dry_run:
        return {"sms.messages": messages.count(), "sms.challenges": challenges.count()}
    return {"sms.messages": messages.delete()[0], "sms.challenges": challenges.delete()[0]}
