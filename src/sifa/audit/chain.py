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

from sifa.audit.hashing import GENESIS_HASH, access_hash, chain_hash
from sifa.audit.models import AuditEvent, PersonalDataAccess

BATCH_SIZE = 2000
ANCHOR_FILE = "anchors.jsonl"
PURGE_ACTION = "audit.purged"
ACCESS_PURGE_ACTION = "audit.access_purged"
"""The audit event an access-log purge appends (``sifa.audit.triggers.ACCESS_PURGE_ACTION``)."""
"""The event a retention purge appends before it deletes (``sifa.audit.triggers.PURGE_ACTION``)."""
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
    purged_through: int = 0
    """Events 1 … ``purged_through`` were removed by a recorded retention purge (``audit.purged``)."""

    @property
    def message(self) -> str:
        if self.ok and self.purged_through:
            return (
                f"审计链完整：共 {self.count} 条（第 1–{self.purged_through} 条已按保存期限清除，"
                f"自清除事件记载的第 {self.purged_through} 条哈希起核验）"
            )
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
            "purged_through": self.purged_through,
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


def purge_checkpoint(model: Any = AuditEvent) -> tuple[int, str] | None:
    """``(through_seq, through_hash)`` when the chain's first row follows a recorded retention
    purge: its predecessor was deleted by :func:`sifa.audit.services.retention.purge_through`,
    whose ``audit.purged`` event (still in the chain) names that seq and hash."""
    first = model.objects.order_by("seq").values_list("seq", "prev_hash").first()
    if first is None or first[0] <= 1:
        return None
    for detail in model.objects.filter(action=PURGE_ACTION).values_list("detail", flat=True):
        detail = detail or {}
        if str(detail.get("through_seq")) == str(first[0] - 1) and detail.get("through_hash") == first[1]:
            return first[0] - 1, first[1]
    return None


def verify_chain(
    *,
    batch_size: int = BATCH_SIZE,
    anchors: Iterable[Anchor] | None = None,
    model: Any = AuditEvent,
    start: Anchor | None = None,
    stop: int | None = None,
) -> ChainVerification:
    """Walk the whole chain and name the first broken row (see :class:`ChainVerification`).

    ``anchors`` defaults to those in the default anchor file. ``model`` is ``AuditEvent`` (or a
    migration's historical copy of it). ``start``: a head verified before (the scheduler's last
    verified anchor) — the walk checks that row still has that hash and goes on from there. A
    chain whose first rows were removed by a recorded retention purge is walked from the hash
    the ``audit.purged`` event names. ``stop``: walk no further than this seq (one slice of the
    security detector's sweep); the tail is then not checked for truncation.
    """
    anchor_list = list(read_anchors() if anchors is None else anchors)
    explained = rewritten_anchors(model)
    rewritten = 0
    by_seq: dict[int, list[Anchor]] = {}
    for anchor in anchor_list:
        by_seq.setdefault(anchor.seq, []).append(anchor)

    count, expected_prev, last_seq = 0, GENESIS_HASH, 0
    purged_through = 0
    if start is not None and start.seq > 0:
        if model.objects.filter(seq=start.seq, hash=start.hash).exists():
            last_seq, expected_prev = start.seq, start.hash
    elif (checkpoint := purge_checkpoint(model)) is not None:
        purged_through, expected_prev = checkpoint
        last_seq = purged_through
        for anchor in by_seq.get(purged_through, ()):
            if anchor.hash != expected_prev:
                return ChainVerification(
                    ok=False,
                    count=0,
                    head_seq=last_seq,
                    head_hash=expected_prev,
                    code="anchor_mismatch",
                    broken_seq=purged_through,
                    reason=f"清除事件记载的哈希与 {anchor.anchored_at} 的锚点不符，审计链被重写",
                    anchors_checked=len(anchor_list),
                )

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
        rows = model.objects.filter(seq__gt=last_seq)
        if stop is not None:
            rows = rows.filter(seq__lte=stop)
        batch = list(rows.order_by("seq")[:batch_size])
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
    if stop is None and longest is not None and longest.seq > last_seq:
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
        purged_through=purged_through,
    )


# --- The personal-data access log's chain -------------------------------------------------------

ACCESS_ANCHOR_DIR = "access-anchors"


def default_access_anchor_path() -> Path:
    return Path(settings.VAR_DIR) / ACCESS_ANCHOR_DIR / ANCHOR_FILE


@dataclass(frozen=True)
class AccessLogVerification:
    """The outcome of :func:`verify_access_log`; ``code`` as in :class:`ChainVerification`."""

    ok: bool
    count: int
    unchained: int
    head_seq: int
    head_hash: str
    code: str = "ok"
    broken_seq: int | None = None
    reason: str = ""
    anchors_checked: int = 0
    purged_through: int = 0
    """Rows 1 … ``purged_through`` were removed by a recorded retention purge (``audit.access_purged``)."""

    @property
    def message(self) -> str:
        waiting = f"，另有 {self.unchained} 条尚未入链" if self.unchained else ""
        if self.ok and self.purged_through:
            return (
                f"个人数据查看记录链完整：已入链 {self.count} 条（第 1–{self.purged_through} 条已按保存期限清除，"
                f"自审计链中清除事件记载的哈希起核验）{waiting}"
            )
        if self.ok:
            return f"个人数据查看记录链完整：已入链 {self.count} 条{waiting}"
        return f"个人数据查看记录链在第 {self.broken_seq} 条断裂：{self.reason}{waiting}"


def write_access_anchor(path: Path | None = None) -> Anchor:
    """Append the access log's chained head to its anchor file (chain what waits first:
    ``sifa.audit.services.access.chain_pending``)."""
    head = (
        PersonalDataAccess.objects.filter(seq__isnull=False)
        .order_by("-seq")
        .values_list("seq", "hash")
        .first()
    )
    return append_anchor(path or default_access_anchor_path(), head)


def access_purge_checkpoint() -> tuple[int, str] | None:
    """``(through_seq, through_hash)`` when the access log's first chained row follows a recorded
    retention purge: an ``audit.access_purged`` event in the audit chain names its predecessor's
    seq and hash (:func:`sifa.audit.services.retention.purge_access_through`)."""
    first = (
        PersonalDataAccess.objects.filter(seq__isnull=False)
        .order_by("seq")
        .values_list("seq", "prev_hash")
        .first()
    )
    if first is None or first[0] <= 1:
        return None
    for detail in AuditEvent.objects.filter(action=ACCESS_PURGE_ACTION).values_list("detail", flat=True):
        detail = detail or {}
        if str(detail.get("through_seq")) == str(first[0] - 1) and detail.get("through_hash") == first[1]:
            return first[0] - 1, first[1]
    return None


def verify_access_log(
    *, batch_size: int = BATCH_SIZE, anchors: Iterable[Anchor] | None = None
) -> AccessLogVerification:
    """Walk the access log's chain in ``seq`` order and name the first bad row: ``missing``,
    ``link_mismatch``, ``hash_mismatch``, ``anchor_mismatch``, ``truncated``. Rows not chained yet
    are counted, not checked. ``anchors`` defaults to those of the access log's anchor file."""
    anchor_list = list(read_anchors(default_access_anchor_path()) if anchors is None else anchors)
    by_seq: dict[int, list[Anchor]] = {}
    for anchor in anchor_list:
        by_seq.setdefault(anchor.seq, []).append(anchor)
    unchained = PersonalDataAccess.objects.filter(seq__isnull=True).count()
    count, expected_prev, last_seq = 0, GENESIS_HASH, 0
    if (checkpoint := access_purge_checkpoint()) is not None:
        last_seq, expected_prev = checkpoint
        for anchor in by_seq.get(last_seq, ()):
            if anchor.hash != expected_prev:
                return AccessLogVerification(
                    False,
                    0,
                    unchained,
                    last_seq,
                    expected_prev,
                    "anchor_mismatch",
                    last_seq,
                    f"清除事件记载的哈希与 {anchor.anchored_at} 的锚点不符，记录被重写",
                    len(anchor_list),
                )

    def broken(seq: int, code: str, reason: str) -> AccessLogVerification:
        return AccessLogVerification(
            False, count, unchained, last_seq, expected_prev, code, seq, reason, len(anchor_list)
        )

    while True:
        batch = list(PersonalDataAccess.objects.filter(seq__gt=last_seq).order_by("seq")[:batch_size])
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
                return broken(row.seq, "link_mismatch", "前一哈希与上一条不符，其前有记录被插入、删除或改写")
            if access_hash(row.prev_hash, row, row.seq) != row.hash:
                return broken(row.seq, "hash_mismatch", "哈希不符，该条内容被修改")
            for anchor in by_seq.get(row.seq, ()):
                if anchor.hash != row.hash:
                    return broken(
                        row.seq, "anchor_mismatch", f"与 {anchor.anchored_at} 的锚点哈希不符，记录被重写"
                    )
            count, expected_prev, last_seq = count + 1, row.hash, row.seq
    longest = max(anchor_list, key=lambda a: a.seq, default=None)
    if longest is not None and longest.seq > last_seq:
        return broken(
            last_seq + 1,
            "truncated",
            f"链尾被截断：{longest.anchored_at} 的锚点记录到第 {longest.seq} 条，现只有 {last_seq} 条",
        )
    return AccessLogVerification(
        True,
        count,
        unchained,
        last_seq,
        expected_prev,
        anchors_checked=len(anchor_list),
        purged_through=checkpoint[0] if checkpoint else 0,
    )


# --- The scheduler's hourly verify-and-anchor ---------------------------------------------------

STATUS_FILE = "last-verified.json"


def status_path() -> Path:
    return default_anchor_path().with_name(STATUS_FILE)


def read_status(path: Path | None = None) -> dict[str, Any] | None:
    """The outcome of the last :func:`verify_and_anchor` (``/readyz`` shows it), or None."""
    path = path or status_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_status(path: Path, status: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(status, ensure_ascii=False, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)  # readers see the old status or the new one, never half a file


def verify_and_anchor(anchors_path: Path | None = None) -> dict[str, Any]:
    """Verify the chain, then anchor its head — what ``sifa scheduler`` does every
    ``SIFA_ANCHOR_INTERVAL_MINUTES`` and on shutdown.

    The walk starts at the head the previous run verified and anchored (cheap: only the events
    since then, plus a check that that row still has its hash); the first run, or one after a
    failure, walks the whole chain. A broken chain is not anchored (an anchor vouches for the
    head). The outcome goes to ``SIFA_VAR_DIR/audit-anchors/last-verified.json`` for ``/readyz``.
    """
    path = anchors_path or default_anchor_path()
    status_file = path.with_name(STATUS_FILE)
    previous = read_status(status_file)
    start = None
    if previous and previous.get("ok") and previous.get("seq"):
        start = Anchor(seq=int(previous["seq"]), hash=str(previous["hash"]), anchored_at="")
    result = verify_chain(anchors=read_anchors(path), start=start)
    status: dict[str, Any] = {
        "ok": result.ok,
        "code": result.code,
        "message": result.message,
        "verified_at": timezone.localtime().isoformat(timespec="seconds"),
        "seq": result.head_seq if result.ok else (previous or {}).get("seq", 0),
        "hash": result.head_hash if result.ok else (previous or {}).get("hash", GENESIS_HASH),
        "anchored_at": (previous or {}).get("anchored_at"),
    }
    if result.ok:
        anchor = append_anchor(path, (result.head_seq, result.head_hash) if result.head_seq else None)
        status["anchored_at"] = anchor.anchored_at
    _write_status(status_file, status)
    return status
