"""What the message log's chain hashes, and checking it (``sifa exchange verify-log``).

Each chained row has a link (:class:`~sifa.exchange.models.MessageLink`, its own insert-only table;
ADR 0023): ``seq``, ``prev_hash`` and ``hash``, SM3 over its predecessor's hash and the canonical
JSON of the row's evidence (:func:`row_evidence`): the signed header, the signature, the body
digest and what the gateway recorded about the message. ``status`` is not hashed: it is
operational and changes.

:func:`verify_log` walks the links in ``seq`` order in batches, each with its row, and names the
first bad one: ``missing`` (a seq is absent: a row or its link was removed), ``link_mismatch`` (its
``prev_hash`` is not its predecessor's hash: rows were reordered, or one before it removed or
rewritten), ``hash_mismatch`` (the row, or which row a link names, was changed). Rows not chained
yet (no link) are counted, not checked.

Removing the newest rows, or rewriting every row from some seq on with fresh hashes, leaves a
chain consistent in itself. :func:`write_anchor` (``sifa exchange anchor``) therefore appends the
head (seq and hash) to an anchor file outside the database, like the audit trail's
(``sifa.audit.chain``), and :func:`verify_log` checks every anchor: ``anchor_mismatch`` (the row at
an anchored seq has another hash: the log was rewritten from there), ``truncated`` (the chain ends
before an anchored seq: the newest rows were removed).
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from sifa.audit.chain import Anchor, append_anchor
from sifa.audit.hashing import GENESIS_HASH
from sifa.core.crypto import sm3_hex
from sifa.core.signing import canonical_json
from sifa.exchange.models import ExchangeMessage, MessageLink

BATCH_SIZE = 2000
ANCHOR_FILE = "anchors.jsonl"


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def row_evidence(row: ExchangeMessage, seq: int) -> dict[str, Any]:
    """What the chain hashes for ``row``. A copy signed again for a retry (``copy_number`` > 0)
    also hashes its number; a first copy's evidence has no such key, so rows chained before copies
    were logged keep their hashes."""
    evidence = {
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
    if row.copy_number:
        evidence["copy_number"] = row.copy_number
    return evidence


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
    anchors_checked: int = 0

    @property
    def message(self) -> str:
        waiting = f"，另有 {self.unchained} 条尚未入链" if self.unchained else ""
        if self.ok:
            anchored = f"，核对锚点 {self.anchors_checked} 个" if self.anchors_checked else ""
            return f"消息日志完整：已入链 {self.count} 条{anchored}{waiting}"
        return (
            f"消息日志在第 {self.broken_seq} 条断裂（消息 {self.message_id or '-'}）：{self.reason}{waiting}"
        )


def default_anchor_path() -> Path:
    return Path(settings.VAR_DIR) / "exchange-anchors" / ANCHOR_FILE


def write_anchor(path: Path | None = None) -> Anchor:
    """Append the chained head (seq 0 and the genesis hash for an empty log) to the anchor file
    and flush it to disk. Chain what is waiting first (``chain_pending``) to anchor it too."""
    head = MessageLink.objects.order_by("-seq").values_list("seq", "hash").first()
    return append_anchor(path or default_anchor_path(), head)


def verify_log(*, batch_size: int = BATCH_SIZE, anchors: Iterable[Anchor] = ()) -> LogVerification:
    """Walk the chain and check it against ``anchors`` (``sifa exchange verify-log`` passes those
    of the anchor file: ``read_anchors(default_anchor_path())``)."""
    anchor_list = list(anchors)
    by_seq: dict[int, list[Anchor]] = {}
    for anchor in anchor_list:
        by_seq.setdefault(anchor.seq, []).append(anchor)
    unchained = ExchangeMessage.objects.filter(link__isnull=True).count()
    count, expected_prev, last_seq = 0, GENESIS_HASH, 0

    def broken(seq: int, code: str, reason: str, message_id: str = "") -> LogVerification:
        return LogVerification(
            False, count, unchained, last_seq, expected_prev, code, seq, message_id, reason
        )

    while True:
        batch = list(
            MessageLink.objects.filter(seq__gt=last_seq)
            .select_related("message")
            .order_by("seq")[:batch_size]
        )
        if not batch:
            break
        for row in (link.message for link in batch):
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
            for anchor in by_seq.get(row.seq, ()):
                if anchor.hash != row.hash:
                    return broken(
                        row.seq,
                        "anchor_mismatch",
                        f"与 {anchor.anchored_at} 的锚点哈希不符，消息日志自此被改写",
                        str(row.message_id),
                    )
            count, expected_prev, last_seq = count + 1, row.hash, row.seq
    longest = max(anchor_list, key=lambda a: a.seq, default=None)
    if longest is not None and longest.seq > last_seq:
        return broken(
            last_seq + 1,
            "truncated",
            f"链尾被截断：{longest.anchored_at} 的锚点记录到第 {longest.seq} 条，现只有 {last_seq} 条",
        )
    return LogVerification(True, count, unchained, last_seq, expected_prev, anchors_checked=len(anchor_list))
