"""The worker side of the outbox: claim due deliveries, send them, record the outcome.

Claiming is what makes several workers safe. On PostgreSQL a worker locks due rows with
``SELECT … FOR UPDATE SKIP LOCKED`` (others skip them instead of waiting) and flips them to
``sending`` before committing. On SQLite (one worker) each row is claimed by a conditional
``UPDATE … SET status='sending' WHERE status IN ('pending','failed')``: whoever changes the row
owns it, so even a second process could not send the same delivery twice. Sending happens after
the claim committed, outside any transaction: no lock is held while a gateway is slow.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from sifa.notifications import tasks
from sifa.notifications.channels import PermanentDeliveryError, TransientDeliveryError, get_channel
from sifa.notifications.models import DUE_STATUSES, Delivery, DeliveryStatus
from sifa.notifications.redaction import redact

logger = logging.getLogger("sifa.notifications")

MAX_ATTEMPTS = 6
"""After the sixth failed attempt a delivery is ``dead`` and waits for a manual resend."""
BASE_DELAY = dt.timedelta(minutes=1)
BACKOFF_FACTOR = 5
MAX_DELAY = dt.timedelta(hours=6)
JITTER = 0.2
"""±20 %: workers that failed together (gateway outage) do not all retry in the same second."""
CLAIM_LEASE = dt.timedelta(minutes=15)
"""A ``sending`` row older than this belongs to a worker that died; it is retried."""
BATCH_SIZE = 100


@dataclass
class SweepResult:
    sent: int = 0
    failed: int = 0
    dead: int = 0
    recovered: int = 0

    @property
    def attempted(self) -> int:
        return self.sent + self.failed + self.dead


def retry_delay(attempts: int, rng: random.Random | None = None) -> dt.timedelta:
    """Delay before the next try after ``attempts`` failed: 1, 5, 25, 125 … minutes (± jitter)."""
    # Cap the exponent first: 5 ** n minutes overflows a timedelta long before n reaches 50.
    exponent = min(max(attempts - 1, 0), 16)
    nominal = min(BASE_DELAY * BACKOFF_FACTOR**exponent, MAX_DELAY)
    return nominal * (rng or random).uniform(1 - JITTER, 1 + JITTER)


def _due(now: dt.datetime) -> Q:
    return Q(status__in=DUE_STATUSES, next_attempt_at__lte=now)


def claim(ids: Iterable[int] | None = None, *, limit: int = BATCH_SIZE) -> list[Delivery]:
    """Take up to ``limit`` due deliveries (only among ``ids`` when given) for this worker."""
    now = timezone.now()
    due = Delivery.objects.filter(_due(now)).order_by("next_attempt_at", "pk")
    if ids is not None:
        due = due.filter(pk__in=list(ids))
    taken = {"status": DeliveryStatus.SENDING, "claimed_at": now, "attempts": F("attempts") + 1}
    if connection.vendor == "postgresql":
        with transaction.atomic():
            pks = list(due.select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit])
            Delivery.objects.filter(pk__in=pks).update(**taken)
    else:
        candidates = list(due.values_list("pk", flat=True)[:limit])
        pks = [pk for pk in candidates if Delivery.objects.filter(_due(now), pk=pk).update(**taken)]
    return list(
        Delivery.objects.filter(pk__in=pks, status=DeliveryStatus.SENDING)
        .select_related("notification__recipient")
        .order_by("pk")
    )


def attempt(delivery: Delivery) -> str:
    """Send one claimed delivery and record the outcome; returns the new status."""
    try:
        provider_id = get_channel(delivery.channel).send(delivery)
    except PermanentDeliveryError as error:
        return _record_failure(delivery, error.message, permanent=True)
    except TransientDeliveryError as error:
        return _record_failure(delivery, error.message, permanent=False)
    except Exception as error:
        # An unexpected bug in a channel: retry rather than lose the message, and say what broke
        # without echoing its text (which could hold the number or address being sent to).
        logger.exception("notification channel %s crashed on delivery %s", delivery.channel, delivery.pk)
        return _record_failure(delivery, f"发送通道内部错误（{type(error).__name__}）", permanent=False)
    _finish(
        delivery, status=DeliveryStatus.SENT, sent_at=timezone.now(), provider_message_id=provider_id[:200]
    )
    return DeliveryStatus.SENT


def _record_failure(delivery: Delivery, message: str, *, permanent: bool) -> str:
    exhausted = permanent or delivery.attempts >= MAX_ATTEMPTS
    status = DeliveryStatus.DEAD if exhausted else DeliveryStatus.FAILED
    changes: dict = {"status": status, "last_error": redact(message)}
    if not exhausted:
        changes["next_attempt_at"] = timezone.now() + retry_delay(delivery.attempts)
    _finish(delivery, **changes)
    if exhausted:
        logger.warning(
            "notification delivery %s is dead after %s attempts", delivery.public_id, delivery.attempts
        )
    else:
        _schedule_retry(delivery)
    return status


def _finish(delivery: Delivery, **changes) -> None:
    """Write the outcome only if we still own the claim (a stale-claim sweep may have taken it)."""
    changes["claimed_at"] = None
    if Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING).update(**changes):
        for name, value in changes.items():
            setattr(delivery, name, value)


def _schedule_retry(delivery: Delivery) -> None:
    """Ask the task backend to come back at ``next_attempt_at`` when it can defer; otherwise the
    periodic ``sifa deliver-notifications`` sweep picks the row up."""
    if tasks.deliver.get_backend().supports_defer:
        tasks.enqueue_delivery([delivery.pk], run_after=delivery.next_attempt_at)


def recover_stale_claims() -> int:
    """Return ``sending`` rows whose worker vanished to the retry path (or to dead if spent)."""
    now = timezone.now()
    stale = Delivery.objects.filter(status=DeliveryStatus.SENDING, claimed_at__lt=now - CLAIM_LEASE)
    message = "发送过程中断（工作进程退出），已安排重试"
    dead = stale.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=DeliveryStatus.DEAD, claimed_at=None, last_error="发送过程中断（工作进程退出），已停止重试"
    )
    retried = stale.update(
        status=DeliveryStatus.FAILED, claimed_at=None, next_attempt_at=now, last_error=message
    )
    return dead + retried


def deliver_ids(ids: Iterable[int]) -> SweepResult:
    """Send the given deliveries if they are still due (the task enqueued after a commit)."""
    ids = list(ids)
    result = SweepResult()
    for delivery in claim(ids, limit=len(ids)):
        _count(result, attempt(delivery))
    return result


def deliver_due(*, limit: int = BATCH_SIZE, max_batches: int | None = None) -> SweepResult:
    """The periodic sweep: recover stale claims, then send due deliveries batch by batch."""
    result = SweepResult(recovered=recover_stale_claims())
    batches = 0
    while max_batches is None or batches < max_batches:
        claimed = claim(limit=limit)
        if not claimed:
            break
        for delivery in claimed:
            _count(result, attempt(delivery))
        batches += 1
    return result


def _count(result: SweepResult, status: str) -> None:
    if status == DeliveryStatus.SENT:
        result.sent += 1
    elif status == DeliveryStatus.FAILED:
        result.failed += 1
    else:
        result.dead += 1
