"""Checking the audit chain, and anchoring its head outside the database.

:func:`verify_chain` walks every event in ``seq`` order in fixed-size batches (keyset pagination
on the primary key, so memory stays flat and each batch is an index range scan, whatever the
length of the chain), recomputes each hash and checks the links. It stops at the first broken
row and says why.

A database owner could delete the newest events, or rewrite the chain from some row onwards and
recompute every hash; neither leaves a broken link. :func:`write_anchor` therefore appends the
current head (seq, hash, time) to a JSON-lines file kept apart from the database; ``verify``
compares the chain with every anchor it finds. In production the anchor file is shipped to a
separate write-once (WORM) store or log server (see docs/audit.md).

A documented rewrite of the chain (migration ``audit.0003_object_names``, see
:mod:`sifa.audit.services.renames`) appends a ``audit.chain_rewritten`` event listing, for each anchor it
found on a rewritten row, the anchored (old) hash and the row's new hash; ``verify`` accepts an
anchor that such an event explains and says how many it accepted that way.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from sifa.audit.hashing import GENESIS_HASH, chain_hash
from sifa.audit.models import AuditEvent

BATCH_SIZE = 2000
ANCHOR_FILE = "anchors.jsonl"
REWRITE_ACTION = "audit.chain_rewritten"
"""The action of the event a documented chain rewrite appends (see :mod:`sifa.audit.services.renames`)."""


@dataclass(frozen=True)
class Anchor:
    """The chain head at one moment: event ``seq`` had ``hash`` (seq 0 = an empty chain)."""

    seq: int
    hash: str
    anchored_at: str

    def as_json(self) -> str:
        return json.dumps(
            {"seq": self.seq, "hash": self.hash, "anchored_at": self.anchored_at},
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
        )


class AnchorFileError(Exception):
    """The anchor file exists but a line cannot be read: verification cannot be trusted."""


@dataclass(frozen=True)
class ChainVerification:
    """The outcome of :func:`verify_chain`.

    ``code`` is stable for machines: ``ok``, ``missing`` (a seq is absent: a row was deleted),
    ``link_mismatch`` (prev_hash does not match the predecessor: a row was inserted, deleted or
    rewritten before it), ``hash_mismatch`` (the row's own content was changed),
    ``anchor_mismatch`` (the row differs from an anchored head: the chain was rewritten),
    ``truncated`` (the chain is shorter than an anchor says).
    """

    ok: bool
    count: int
    head_seq: int
    head_hash: str
    code: str = "ok"
    broken_seq: int | None = None
    reason: str = ""
    anchors_checked: int = 0
    anchors_rewritten: int = 0
    """Anchors whose row was rewritten by a documented rewrite that records the old and new hash."""

    @property
    def message(self) -> str:
        if self.ok:
            if self.anchors_rewritten:
                return (
                    f"审计链完整：共 {self.count} 条"
                    f"（{self.anchors_rewritten} 个锚点所指记录已按审计链重写事件记载的新旧哈希核对）"
                )
            return f"审计链完整：共 {self.count} 条"
        return f"审计链在第 {self.broken_seq} 条断裂：{self.reason}"

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "code": self.code,
            "message": self.message,
            "count": self.count,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "broken_seq": self.broken_seq,
            "reason": self.reason,
            "anchors_checked": self.anchors_checked,
            "anchors_rewritten": self.anchors_rewritten,
        }


def default_anchor_path() -> Path:
    return Path(settings.VAR_DIR) / "audit-anchors" / ANCHOR_FILE


def read_anchors(path: Path | None = None) -> list[Anchor]:
    """Every anchor in the file (none when it does not exist yet)."""
    path = path or default_anchor_path()
    if not path.exists():
        return []
    anchors = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                anchors.append(
                    Anchor(seq=int(raw["seq"]), hash=str(raw["hash"]), anchored_at=str(raw["anchored_at"]))
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise AnchorFileError(f"锚点文件 {path} 第 {number} 行无法解析") from exc
    return anchors


def write_anchor(path: Path | None = None, *, model: Any = AuditEvent) -> Anchor:
    """Append the current head to the anchor file and flush it to disk (``model``: a migration's
    historical ``AuditEvent``)."""
    head = model.objects.order_by("-seq").values_list("seq", "hash").first()
    return append_anchor(path or default_anchor_path(), head)


def append_anchor(path: Path, head: tuple[int, str] | None) -> Anchor:
    """Append ``head`` (a chain's last seq and hash; None for an empty chain: seq 0 and the genesis
    hash) to the anchor file at ``path`` and flush it to disk. Shared by the exchange message log."""
    seq, head_hash = head if head else (0, GENESIS_HASH)
    anchor = Anchor(seq=seq, hash=head_hash, anchored_at=timezone.localtime().isoformat(timespec="seconds"))
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_APPEND: concurrent anchor runs interleave whole lines, never overwrite each other.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, (anchor.as_json() + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return anchor


def rewritten_anchors(model: Any = AuditEvent) -> dict[tuple[int, str], str]:
    """``(seq, anchored old hash) → new hash`` for every anchor a documented rewrite explains."""
    explained: dict[tuple[int, str], str] = {}
    for detail in (
        model.objects.filter(action=REWRITE_ACTION).order_by("seq").values_list("detail", flat=True)
    ):
        for row in (detail or {}).get("anchors", []):
            explained[(int(row["seq"]), str(row["old_hash"]))] = str(row["new_hash"])
    return explained


def verify_chain(
    *, batch_size: int = BATCH_SIZE, anchors: Iterable[Anchor] | None = None, model: Any = AuditEvent
) -> ChainVerification:
    """Walk the whole chain and name the first broken row (see :class:`ChainVerification`).

    ``anchors`` defaults to those in the default anchor file. ``model`` is ``AuditEvent`` (or a
    migration's historical copy of it).
    """
    anchor_list = list(read_anchors() if anchors is None else anchors)
    explained = rewritten_anchors(model)
    rewritten = 0
    by_seq: dict[int, list[Anchor]] = {}
    for anchor in anchor_list:
        by_seq.setdefault(anchor.seq, []).append(anchor)

    count, expected_prev, last_seq = 0, GENESIS_HASH, 0

    def broken(seq: int, code: str, reason: str) -> ChainVerification:
        return ChainVerification(
            ok=False,
            count=count,
            head_seq=last_seq,
            head_hash=expected_prev,
            code=code,
            broken_seq=seq,
            reason=reason,
            anchors_checked=len(anchor_list),
        )

    while True:
        batch = list(model.objects.filter(seq__gt=last_seq).order_by("seq")[:batch_size])
        if not batch:
            break
        for event in batch:
            expected_seq = last_seq + 1
            if event.seq != expected_seq:
                return broken(
                    expected_seq,
                    "missing",
                    f"第 {expected_seq} 条缺失（序号不连续，下一条是第 {event.seq} 条），记录被删除",
                )
            if event.prev_hash != expected_prev:
                where = f"第 {event.seq - 1} 条的哈希" if event.seq > 1 else "链首值"
                return broken(
                    event.seq, "link_mismatch", f"前一哈希与{where}不符，其前有记录被插入、删除或改写"
                )
            if chain_hash(event.prev_hash, event) != event.hash:
                return broken(event.seq, "hash_mismatch", "哈希不符，该条内容被修改")
            for anchor in by_seq.get(event.seq, ()):
                if anchor.hash != event.hash and explained.get((anchor.seq, anchor.hash)) == event.hash:
                    rewritten += 1  # rewritten by a documented rewrite; the walk checked the new hash
                elif anchor.hash != event.hash:
                    return broken(
                        event.seq, "anchor_mismatch", f"与 {anchor.anchored_at} 的锚点哈希不符，审计链被重写"
                    )
            count, expected_prev, last_seq = count + 1, event.hash, event.seq

    longest = max(anchor_list, key=lambda a: a.seq, default=None)
    if longest is not None and longest.seq > last_seq:
        return broken(
            last_seq + 1,
            "truncated",
            f"链尾被截断：{longest.anchored_at} 的锚点记录到第 {longest.seq} 条，现只有 {last_seq} 条",
        )
    return ChainVerification(
        ok=True,
        count=count,
        head_seq=last_seq,
        head_hash=expected_prev,
        anchors_checked=len(anchor_list),
        anchors_rewritten=rewritten,
    )
