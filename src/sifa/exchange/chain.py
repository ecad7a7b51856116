"""What the message log's chain hashes, and checking it (``sifa exchange verify-log``).

Each chained row's ``hash`` is SM3 over its predecessor's hash and the canonical JSON of its
evidence (:func:`row_evidence`): the signed header, the signature, the body digest and what the
gateway recorded about the message. ``status`` is not hashed: it is operational and changes.

:func:`verify_log` walks the chained rows in ``seq`` order in batches and names the first bad
one: ``missing`` (a seq is absent: a row was removed), ``link_mismatch`` (its ``prev_hash`` is not
its predecessor's hash: rows were reordered, or one before it removed or rewritten),
``hash_mismatch`` (the row itself was changed). Rows not chained yet are counted, not checked.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from typing import Any

from sifa.core.crypto import sm3_hex
from sifa.core.signing import canonical_json
from sifa.exchange.models import ExchangeMessage

GENESIS_HASH = "0" * 64
BATCH_SIZE = 2000


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def row_evidence(row: ExchangeMessage, seq: int) -> dict[str, Any]:
    return {
        "seq": seq,
        "message_id": str(row.message_id),
        "correlation_id": str(row.correlation_id) if row.correlation_id else None,
        "direction": row.direction,
        "kind": row.kind,
        "sender": row.sender,
        "receiver": row.receiver,
        "service": f"{row.service_code}/{row.service_version}",
        "case_number": row.case_number,
        "key_id": row.key_id,
        "header": row.header,
        "signature": base64.b64encode(bytes(row.signature)).decode("ascii"),
        "body_digest": row.body_digest,
        "recorded_at": _utc(row.recorded_at),
        "scope_path": row.scope_path,
    }


def row_hash(prev_hash: str, row: ExchangeMessage, seq: int) -> str:
    return sm3_hex(prev_hash.encode("ascii") + canonical_json(row_evidence(row, seq)))


@dataclass(frozen=True)
class LogVerification:
    ok: bool
    count: int
    unchained: int
    head_seq: int
    head_hash: str
    code: str = "ok"
    broken_seq: int | None = None
    message_id: str = ""
    reason: str = ""

    @property
    def message(self) -> str:
        waiting = f"，另有 {self.unchained} 条尚未入链" if self.unchained else ""
        if self.ok:
            return f"消息日志完整：已入链 {self.count} 条{waiting}"
        return (
            f"消息日志在第 {self.broken_seq} 条断裂（消息 {self.message_id or '-'}）：{self.reason}{waiting}"
        )


def verify_log(*, batch_size: int = BATCH_SIZE) -> LogVerification:
    unchained = ExchangeMessage.objects.filter(seq__isnull=True).count()
    count, expected_prev, last_seq = 0, GENESIS_HASH, 0

    def broken(seq: int, code: str, reason: str, message_id: str = "") -> LogVerification:
        return LogVerification(
            False, count, unchained, last_seq, expected_prev, code, seq, message_id, reason
        )

    while True:
        batch = list(ExchangeMessage.objects.filter(seq__gt=last_seq).order_by("seq")[:batch_size])
        if not batch:
            break
        for row in batch:
            expected_seq = last_seq + 1
            if row.seq != expected_seq:
                return broken(
                    expected_seq,
                    "missing",
                    f"第 {expected_seq} 条缺失（下一条是第 {row.seq} 条），记录被删除",
                )
            if row.prev_hash != expected_prev:
                return broken(
                    row.seq,
                    "link_mismatch",
                    "前一哈希与上一条不符：记录顺序被调整，或其前有记录被删除、改写",
                    str(row.message_id),
                )
            if row_hash(row.prev_hash, row, row.seq) != row.hash:
                return broken(row.seq, "hash_mismatch", "哈希不符，该条内容被修改", str(row.message_id))
            count, expected_prev, last_seq = count + 1, row.hash, row.seq
    return LogVerification(True, count, unchained, last_seq, expected_prev)
