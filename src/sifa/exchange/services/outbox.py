"""The outbox and its relay (docs/exchange.md, "The outbox relay").

* :func:`send` is what the use cases call. In the caller's transaction it seals the message, logs
  it and writes an :class:`~sifa.exchange.models.OutboxItem`; nothing leaves before the caller
  commits. If Sifa cannot sign, nothing is sent unsigned: the item waits as ``unsigned`` (待签名),
  the sending organisation's staff are alerted, and the relay signs it when a key is back.
* :func:`relay_once` is one pass of ``sifa exchange relay``: it signs the waiting items it can,
  claims due items (``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL; a conditional update on
  SQLite), sends each through the :class:`~sifa.exchange.transport.Transport` outside any
  transaction, opens and logs the partner's signed acknowledgement (待对方确认 → 已确认), and
  otherwise schedules a retry with exponential back-off and jitter. Every retry carries the
  **same message id**. After 24 h an item is a dead letter (失败需人工处理). The 15 min, 1 h and
  6 h alerts are raised once each.
* :func:`resend` puts a dead letter back in the queue (数据交换管理员 in whose jurisdiction it is;
  audited).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from sifa.accounts.models import User
from sifa.audit.services import record
from sifa.core.crypto import field_cipher
from sifa.core.errors import Conflict, Forbidden, ServiceError
from sifa.exchange.envelope import Envelope, EnvelopeError, now_timestamp
from sifa.exchange.models import (
    Direction,
    ExchangeMessage,
    MessageStatus,
    OutboxItem,
    OutboxStatus,
    Partner,
)
from sifa.exchange.selectors import item_in_scope
from sifa.exchange.services import envelopes, log
from sifa.exchange.services.partners import endpoint_for
from sifa.exchange.transport import Transport, TransportError
from sifa.notifications.services.outbox import notify
from sifa.organisations.models import Organisation, Role
from sifa.organisations.scope import actor_for

logger = logging.getLogger("sifa.exchange")

BACKOFF_FACTOR = 2
MAX_DELAY_FACTOR = 120
"""The longest delay is 120 × the first (``SIFA_EXCHANGE_RETRY_BASE_MS``): 30 s → 1 h by default."""
JITTER = 0.2
"""±20 %: items that failed together (a partner outage) do not all come back in the same second."""
GIVE_UP_AFTER = dt.timedelta(hours=24)
"""An item not acknowledged 24 h after it was queued is a dead letter (失败需人工处理)."""
ALERTS = (dt.timedelta(minutes=15), dt.timedelta(hours=1), dt.timedelta(hours=6))
ALERT_WORDS = ("15 分钟", "1 小时", "6 小时")
SEND_TIMEOUT = 10.0
BATCH_SIZE = 50
ALERT_ROLES = (Role.SUPERVISOR, Role.SYSTEM_ADMIN)
"""Who of the sending organisation itself hears about undelivered messages: its 监督人员 and
系统管理员 (besides the 数据交换管理员 whose jurisdiction covers it, who act on them)."""
OPERATOR_ROLES = (Role.EXCHANGE_OPERATOR,)
"""Who holds the dead letters and 重新发送: the 数据交换管理员 of a jurisdiction (docs/exchange.md,
"Who handles the outbox")."""
RESEND_ROLES = OPERATOR_ROLES
ACTIVE = (OutboxStatus.UNSIGNED, OutboxStatus.PENDING, OutboxStatus.SENDING)


def base_delay() -> dt.timedelta:
    """The first retry delay (``SIFA_EXCHANGE_RETRY_BASE_MS``, 30 s by default)."""
    return dt.timedelta(milliseconds=settings.EXCHANGE_RETRY_BASE_MS)


def claim_lease() -> dt.timedelta:
    """A ``sending`` item older than this (``SIFA_EXCHANGE_CLAIM_LEASE_SECONDS``, 5 min by
    default) belongs to a relay that died; it is retried."""
    return dt.timedelta(seconds=settings.EXCHANGE_CLAIM_LEASE_SECONDS)


def retry_delay(attempts: int, rng: random.Random | None = None) -> dt.timedelta:
    """Delay after ``attempts`` failed tries: 30 s, 1, 2, 4, 8 … minutes up to 1 h (± jitter) with
    the default base."""
    exponent = min(max(attempts - 1, 0), 16)
    base = base_delay()
    nominal = min(base * BACKOFF_FACTOR**exponent, base * MAX_DELAY_FACTOR)
    return nominal * (rng or random).uniform(1 - JITTER, 1 + JITTER)


def _sealed_body_aad(message_id: str) -> str:
    return f"exchange.OutboxItem:{message_id}:body"


# --- writing: in the caller's transaction ---------------------------------------------------------


def send(
    *,
    organisation: Organisation,
    partner: Partner,
    service: tuple[str, str],
    body: dict[str, Any],
    purpose: str,
    official: str,
    issue: str = "",
    kind: str = "request",
    correlation_id: str | None = None,
    case_number: str | None = None,
) -> OutboxItem:
    """Queue one message to ``partner`` from ``organisation`` (sealed and logged now; sent by the
    relay after the caller commits). A partner without an allow-listed endpoint is queued all the
    same: the command that caused the message (assigning a lawyer within the statutory 3 days) must
    not fail on configuration; each attempt fails with ``exchange.no_endpoint``, the staff are
    alerted at 15 min / 1 h / 6 h, and it is sent once the address is configured (or is a dead letter
    at 24 h, for manual handling). ``case_number`` is Sifa's case the item belongs to (the
    case view lists it there); it defaults to ``issue``, which may be the partner's own case number
    (通知辩护: the court's 案号)."""
    if not organisation.uscc:
        raise ServiceError("exchange.no_uscc", f"{organisation.name} 没有统一社会信用代码，不能发送交换消息")
    now = timezone.now()
    header = {
        "message_id": str(uuid.uuid4()),
        "correlation_id": correlation_id,
        "kind": kind,
        "issue": issue,
        "purpose": purpose,
        "service": {"code": service[0], "version": service[1]},
        "sender": organisation.uscc,
        "receiver": partner.uscc,
        "user_id": {"official": official, "organisation": organisation.name},
    }
    item = OutboxItem(
        message_id=header["message_id"],
        partner=partner,
        organisation=organisation,
        scope_path=organisation.path,
        case_number=issue if case_number is None else case_number,
        service_code=service[0],
        service_version=service[1],
        purpose=purpose,
        attempts=0,
        next_attempt_at=now,
        queued_at=now,
    )
    with transaction.atomic():
        try:
            envelope = envelopes.seal(header, body)
        except envelopes.SigningUnavailable as error:
            item.status = OutboxStatus.UNSIGNED
            item.header_fields = header
            item.body_sealed = field_cipher().seal(
                json.dumps(body, ensure_ascii=False), _sealed_body_aad(header["message_id"])
            )
            item.last_error = error.message[:300]
            item.save(force_insert=True)
            _alert(item, "exchange.signing_unavailable", {"error": item.last_error})
            return item
        item.status = OutboxStatus.PENDING
        item.body_sealed = b""
        item.log_entry = _log(item, envelope, body)
        item.save(force_insert=True)
    return item


def _log(item: OutboxItem, envelope: Envelope, body: dict[str, Any]) -> ExchangeMessage:
    return log.append(
        envelope,
        json.loads(envelope.header_bytes),
        body,
        direction=Direction.OUTBOUND,
        status=MessageStatus.SENT,
        partner=item.partner,
        scope_path=item.scope_path,
    )


# --- alerts ---------------------------------------------------------------------------------------


def _ancestor_paths(path: str) -> list[str]:
    """``/1/12/345/`` → ``/1/``, ``/1/12/``, ``/1/12/345/``: the organisations whose subtree holds it."""
    parts = [part for part in path.split("/") if part]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def alert_recipients(organisation: Organisation) -> list[User]:
    """The sending organisation's supervisors and system administrators, and the 数据交换管理员 of
    that organisation or of one above it (their jurisdiction holds the message)."""
    users = (
        User.objects.filter(
            Q(memberships__organisation=organisation, memberships__role__in=ALERT_ROLES)
            | Q(
                memberships__organisation__path__in=_ancestor_paths(organisation.path),
                memberships__organisation__is_active=True,
                memberships__role__in=OPERATOR_ROLES,
            ),
            is_active=True,
        )
        .distinct()
        .order_by("pk")
    )
    return list(users)


def _alert(item: OutboxItem, event: str, context: dict[str, Any]) -> None:
    """Notify :func:`alert_recipients`, audit it and log it (in the current transaction)."""
    full = {
        "service": f"{item.service_code} v{item.service_version}",
        "partner": item.partner.name,
        "case_number": item.case_number or "—",
        "message_id": str(item.message_id),
        "error": item.last_error or "—",
        **context,
    }
    for user in alert_recipients(item.organisation):
        notify(user, event, full, related=item)
    record(
        f"{event.replace('exchange.', 'exchange.outbox.')}",
        actor=None,
        organisation=item.organisation,
        subject=item,
        scope_path=item.scope_path,
        detail={k: v for k, v in full.items() if k != "partner"} | {"attempts": item.attempts},
    )
    logger.warning("exchange outbox %s: %s %s", event, item.message_id, full.get("waited", ""))


def raise_alerts(now: dt.datetime | None = None) -> int:
    """The 15 min / 1 h / 6 h alerts, once each per item. An item first seen late gets one alert
    naming the longest wait it reached (and the lower levels count as raised)."""
    now = now or timezone.now()
    raised = 0
    for level in range(len(ALERTS), 0, -1):
        candidates = OutboxItem.objects.filter(
            status__in=ACTIVE, alerts_sent__lt=level, queued_at__lte=now - ALERTS[level - 1]
        ).select_related("partner", "organisation")
        for item in candidates:
            with transaction.atomic():
                # Whoever moves the counter raises the alert: two relays never raise it twice.
                won = OutboxItem.objects.filter(pk=item.pk, alerts_sent=item.alerts_sent).update(
                    alerts_sent=level
                )
                if won:
                    item.alerts_sent = level
                    _alert(item, "exchange.undelivered", {"waited": ALERT_WORDS[level - 1]})
                    raised += 1
    return raised


# --- the relay ------------------------------------------------------------------------------------


@dataclass
class RelayResult:
    signed: int = 0
    confirmed: int = 0
    retried: int = 0
    dead: int = 0
    alerts: int = 0
    recovered: int = 0


def _due(now: dt.datetime) -> Q:
    return Q(status=OutboxStatus.PENDING, next_attempt_at__lte=now)


def claim(*, limit: int = BATCH_SIZE, now: dt.datetime | None = None) -> list[OutboxItem]:
    """Take up to ``limit`` due items for this relay. PostgreSQL: ``FOR UPDATE SKIP LOCKED`` (other
    relays skip them), flipped to ``sending`` before commit. SQLite: one conditional update per
    item; whoever changes the row owns it."""
    now = now or timezone.now()
    due = OutboxItem.objects.filter(_due(now)).order_by("next_attempt_at", "pk")
    taken = {"status": OutboxStatus.SENDING, "claimed_at": now, "attempts": F("attempts") + 1}
    if connection.vendor == "postgresql":
        with transaction.atomic():
            pks = list(due.select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit])
            OutboxItem.objects.filter(pk__in=pks).update(**taken)
    else:
        candidates = list(due.values_list("pk", flat=True)[:limit])
        pks = [pk for pk in candidates if OutboxItem.objects.filter(_due(now), pk=pk).update(**taken)]
    return list(
        OutboxItem.objects.filter(pk__in=pks, status=OutboxStatus.SENDING)
        .select_related("partner", "organisation", "log_entry")
        .order_by("pk")
    )


def recover_stale_claims(now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    return OutboxItem.objects.filter(status=OutboxStatus.SENDING, claimed_at__lt=now - claim_lease()).update(
        status=OutboxStatus.PENDING,
        claimed_at=None,
        next_attempt_at=now,
        last_error="发送过程中断（转发进程退出），已安排重试",
    )


def sign_waiting(now: dt.datetime | None = None, *, limit: int = BATCH_SIZE) -> int:
    """Seal and log the items that waited for a key; stop at the first that still cannot be signed."""
    now = now or timezone.now()
    signed = 0
    waiting = OutboxItem.objects.filter(status=OutboxStatus.UNSIGNED).order_by("pk")
    for pk in list(waiting.values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            query = OutboxItem.objects.filter(pk=pk, status=OutboxStatus.UNSIGNED)
            if connection.vendor == "postgresql":
                query = query.select_for_update(skip_locked=True)
            item = query.select_related("partner", "organisation").first()
            if item is None:
                continue
            body = json.loads(field_cipher().open(item.body_sealed, _sealed_body_aad(str(item.message_id))))
            header = dict(item.header_fields)
            header.pop("timestamp", None)
            try:
                envelope = envelopes.seal(header, body)
            except envelopes.SigningUnavailable as error:
                OutboxItem.objects.filter(pk=pk).update(last_error=error.message[:300])
                if now - item.queued_at >= GIVE_UP_AFTER:
                    item.last_error = error.message[:300]
                    _dead(item, "24 小时内签名服务一直不可用")
                return signed
            message = _log(item, envelope, body)
            OutboxItem.objects.filter(pk=pk).update(
                status=OutboxStatus.PENDING,
                log_entry=message,
                header_fields={},
                body_sealed=b"",
                next_attempt_at=now,
                last_error="",
            )
            signed += 1
    return signed


def _fresh(row: ExchangeMessage) -> bool:
    """Whether a logged copy may still be sent byte for byte: signed within half the receivers'
    clock window."""
    return timezone.now() - row.sent_at <= dt.timedelta(seconds=settings.EXCHANGE_CLOCK_SKEW_SECONDS / 2)


def _envelope_for_attempt(item: OutboxItem) -> Envelope:
    """The copy to send now. The logged envelope while its timestamp is within half the
    receivers' clock window; after that the latest copy signed again, while it is; else the
    same message signed again with a fresh timestamp under the **same** message id (the receiver
    treats a re-signed copy of the same content as a duplicate: docs/exchange.md,
    "Idempotency"). A copy signed again is **logged before it leaves**, numbered (``copy_number``
    1, 2, …) and committed, so that every copy a partner may have received is evidence in the
    chained log (ADR 0009)."""
    first = item.log_entry
    assert first is not None
    if _fresh(first):
        return envelopes.stored_envelope(first)
    latest = (
        ExchangeMessage.objects.filter(sender=first.sender, message_id=first.message_id)
        .order_by("-copy_number")
        .first()
    )
    if latest is not None and latest.copy_number > 0 and _fresh(latest):
        return envelopes.stored_envelope(latest)
    envelope = envelopes.stored_envelope(first)
    header = json.loads(envelope.header_bytes)
    for name in ("timestamp", "key_id", "body_digest"):
        header.pop(name, None)
    header["timestamp"] = now_timestamp()
    body = json.loads(envelope.body_bytes)
    copy = envelopes.seal(header, body)
    log.append(  # committed and durable before :func:`attempt` sends it (ADR 0020, 0022)
        copy,
        json.loads(copy.header_bytes),
        body,
        direction=Direction.OUTBOUND,
        status=MessageStatus.SENT,
        partner=item.partner,
        scope_path=item.scope_path,
        copy_number=(latest.copy_number if latest is not None else 0) + 1,
        before_sending=True,
    )
    return copy


def attempt(item: OutboxItem, transport: Transport) -> str:
    """Send one claimed item and record the outcome; returns its new status."""
    try:
        endpoint = endpoint_for(item.partner)
        envelope = _envelope_for_attempt(item)
        deliver = getattr(transport, "deliver", None)
        if deliver is not None:  # the HTTP transport opens and logs the answer itself: once is enough
            delivered = deliver(endpoint, envelope, timeout=SEND_TIMEOUT)
            answer = None
        else:
            answer = transport.send(endpoint, envelope, timeout=SEND_TIMEOUT)
    except TransportError as error:
        return _failed(item, f"投递不确定：{error}"[:300] if str(error) else "投递不确定（超时或连接中断）")
    except EnvelopeError as error:
        # The partner refused the message itself (its answer named the reason): no retry helps.
        return _failed(item, f"对方拒收：{error.message}（{error.code}）", permanent=True)
    except ServiceError as error:
        return _failed(item, f"{error.message}（{error.code}）")
    except Exception as error:  # a bug in a transport: retry rather than lose the message
        logger.exception("exchange transport crashed on %s", item.message_id)
        return _failed(item, f"发送通道内部错误（{type(error).__name__}）")
    if answer is None:
        header, answer_pk = delivered.header, delivered.message_pk
    else:
        try:
            # The answer to a retry may be the partner's first answer (older than the clock window);
            # not older than the first signed copy, nor than the queuing (a resent dead letter keeps
            # its copy).
            opened = envelopes.open(answer, answering_since=min(item.queued_at, item.log_entry.sent_at))
        except EnvelopeError as error:
            return _failed(item, f"对方的确认未通过核验：{error.message}（{error.code}）")
        header, answer_pk = opened.header, opened.message.pk
    if (
        header["correlation_id"] != str(item.message_id)
        or header["sender"] != item.partner.uscc
        or header["kind"] == "request"
    ):
        return _failed(item, "对方的确认不是对本消息的答复")
    done = OutboxItem.objects.filter(pk=item.pk, status=OutboxStatus.SENDING).update(
        status=OutboxStatus.CONFIRMED,
        answer_id=answer_pk,
        confirmed_at=timezone.now(),
        claimed_at=None,
        last_error="",
    )
    if done:
        item.status = OutboxStatus.CONFIRMED
    return OutboxStatus.CONFIRMED


def _failed(item: OutboxItem, message: str, *, permanent: bool = False) -> str:
    now = timezone.now()
    give_up_at = item.queued_at + GIVE_UP_AFTER
    item.last_error = message[:300]
    if permanent or now >= give_up_at:
        with transaction.atomic():
            if not OutboxItem.objects.filter(pk=item.pk, status=OutboxStatus.SENDING).update(
                status=OutboxStatus.DEAD, dead_at=now, claimed_at=None, last_error=item.last_error
            ):
                return item.status
            item.status = OutboxStatus.DEAD
            _dead_alert(item, "被对方拒收" if permanent else "24 小时内未能送达")
        return OutboxStatus.DEAD
    next_at = min(now + retry_delay(item.attempts), give_up_at)
    OutboxItem.objects.filter(pk=item.pk, status=OutboxStatus.SENDING).update(
        status=OutboxStatus.PENDING, next_attempt_at=next_at, claimed_at=None, last_error=item.last_error
    )
    item.status, item.next_attempt_at = OutboxStatus.PENDING, next_at
    return OutboxStatus.PENDING


def _dead(item: OutboxItem, reason: str) -> None:
    OutboxItem.objects.filter(pk=item.pk).update(
        status=OutboxStatus.DEAD, dead_at=timezone.now(), claimed_at=None, last_error=item.last_error
    )
    item.status = OutboxStatus.DEAD
    _dead_alert(item, reason)


def _dead_alert(item: OutboxItem, reason: str) -> None:
    _alert(item, "exchange.dead_letter", {"reason": reason})


def relay_once(transport: Transport, *, limit: int = BATCH_SIZE, max_batches: int | None = 1) -> RelayResult:
    """One pass: recover stale claims, sign what waited for a key, send due items, raise alerts."""
    result = RelayResult(recovered=recover_stale_claims())
    result.signed = sign_waiting()
    batches = 0
    while max_batches is None or batches < max_batches:
        claimed = claim(limit=limit)
        if not claimed:
            break
        for item in claimed:
            outcome = attempt(item, transport)
            if outcome == OutboxStatus.CONFIRMED:
                result.confirmed += 1
            elif outcome == OutboxStatus.DEAD:
                result.dead += 1
            else:
                result.retried += 1
        batches += 1
    result.alerts = raise_alerts()
    return result


# --- reads and the manual resend ------------------------------------------------------------------


def resend(actor_user: User, message_id: str) -> OutboxItem:
    """Put a dead letter back in the queue under the same message id, with a fresh 24 h (audited).

    Only a 数据交换管理员 whose jurisdiction covers the sending organisation may do it (403 for
    other staff in whose jurisdiction it is); outside it the message does not exist (404)."""
    actor = actor_for(actor_user)
    with transaction.atomic():
        item = item_in_scope(actor, message_id, for_update=True)
        membership = next(
            (
                (organisation, role)
                for organisation, path, role in actor.memberships
                if role in RESEND_ROLES and item.scope_path.startswith(path)
            ),
            None,
        )
        if membership is None and not actor.is_superuser:
            raise Forbidden("只有数据交换管理员可以重新发送交换消息", "exchange.resend_forbidden")
        if item.status != OutboxStatus.DEAD:
            raise Conflict(
                "exchange.not_dead",
                f"该消息当前状态为“{item.get_status_display()}”，只有失败需人工处理的消息可以重新发送",
            )
        previous = {"attempts": item.attempts, "last_error": item.last_error, "dead_at": item.dead_at}
        now = timezone.now()
        status = OutboxStatus.PENDING if item.log_entry_id else OutboxStatus.UNSIGNED
        OutboxItem.objects.filter(pk=item.pk, status=OutboxStatus.DEAD).update(
            status=status,
            attempts=0,
            next_attempt_at=now,
            queued_at=now,
            dead_at=None,
            alerts_sent=0,
            claimed_at=None,
        )
        item.refresh_from_db()
        record(
            "exchange.outbox.resend",
            actor=actor_user,
            organisation=membership[0] if membership else None,
            role=membership[1] if membership else "",
            subject=item,
            scope_path=item.scope_path,
            detail={
                "message_id": str(item.message_id),
                "service": item.service_code,
                "previous": {
                    **previous,
                    "dead_at": previous["dead_at"].isoformat() if previous["dead_at"] else None,
                },
            },
        )
    return item
