"""``Idempotency-Key``: a retried create/submit gets the first answer again, never a second case.

The record is inserted FIRST in the command's transaction. The unique index (user, scope, key)
makes a concurrent retry wait on that insert: when the first request commits, the retry's insert
fails and it replays the committed answer; when the first request fails and rolls back, the retry
simply runs. A retry after the first request committed is the same: its insert fails, and the
stored answer is read then (no read before the insert: a first request costs no extra query). Only successful answers are kept, so a request refused for bad input can be fixed
and sent again with the same key. The one secret in an answer (the query code) is stored sealed
(SM4-GCM), never in clear text.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, models, transaction

from sifa.applications.models import IdempotencyRecord
from sifa.core.crypto import field_cipher, sm3_hex
from sifa.core.db import FixedInsert, FixedUpdate, fixed_cursor
from sifa.core.errors import Conflict, ServiceError

MAX_KEY_LENGTH = 200
M = TypeVar("M", bound=models.Model)
_SEALED = ("query_code",)


def _aad(user_id: Any, scope: str, key: str) -> str:
    return f"applications.IdempotencyRecord:{user_id}:{scope}:{key}"


def _seal(body: dict[str, Any], aad: str) -> dict[str, Any]:
    out = dict(body)
    for name in _SEALED:
        if out.get(name):
            out[name] = {"sealed": base64.b64encode(field_cipher().seal(str(out[name]), aad)).decode()}
    return out


def _open(body: dict[str, Any], aad: str) -> dict[str, Any]:
    out = dict(body)
    for name in _SEALED:
        value = out.get(name)
        if isinstance(value, dict) and "sealed" in value:
            out[name] = field_cipher().open(base64.b64decode(value["sealed"]), aad)
    return out


def request_digest(payload: Any) -> str:
    return sm3_hex(json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode())


def _same_request(stored_digest: str, digest: str) -> None:
    if stored_digest != digest:
        raise ServiceError(
            "idempotency.key_reused",
            "该幂等键已用于另一个不同内容的请求，请为新的请求使用新的幂等键",
            status=422,
        )


def _replay(record: IdempotencyRecord, digest: str, aad: str) -> tuple[int, dict[str, Any]]:
    _same_request(record.request_digest, digest)
    return record.response_status, _open(record.response_body, aad)


def first_request(model: type[M], *, owner: str, key: str, digest: str) -> M | None:
    """For records that keep their own key (``idempotency_owner``, ``idempotency_key``,
    ``request_digest``: a complaint, a consultation ticket, a random check, a 模拟办件): the record
    the first request with this key created, or None; the same key with other content is
    ``idempotency.key_reused`` (422)."""
    existing = model.objects.filter(idempotency_owner=owner, idempotency_key=key).first()
    if existing is not None:
        _same_request(existing.request_digest, digest)
    return existing


def idempotent(
    *, user: Any, key: str | None, scope: str, payload: Any, run: Callable[[], tuple[int, dict[str, Any]]]
) -> tuple[int, dict[str, Any]]:
    """Run ``run`` once per (user, scope, key); without a key it just runs."""
    if not key:
        with transaction.atomic():
            return run()
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ServiceError("idempotency.bad_key", "幂等键应为1至200个字符")
    digest = request_digest(payload)
    aad = _aad(user.pk, scope, key)
    for _attempt in range(3):
        try:
            with transaction.atomic():
                # The record first, as the transaction's first statement: a concurrent request with
                # the same key waits on this row until this one commits or rolls back. No savepoint
                # around it: a duplicate rolls the whole (still empty) transaction back, and the
                # committed answer is read below — one read only when there is one to replay.
                record = IdempotencyRecord(
                    user=user,
                    scope=scope,
                    key=key,
                    request_digest=digest,
                    response_status=0,
                    response_body={},
                )
                try:
                    _insert(record)
                except IntegrityError:
                    raise _Raced() from None
                status, body = run()
                record.response_status = status
                record.response_body = _seal(body, aad)
                _store_answer(record)
                return status, body
        except _Raced:
            existing = IdempotencyRecord.objects.filter(user=user, scope=scope, key=key).first()
            if existing is not None:
                return _replay(existing, digest, aad)
    raise Conflict("idempotency.in_progress", "相同的请求正在处理中，请稍后重试")


_INSERT = FixedInsert(IdempotencyRecord)
_ANSWER = FixedUpdate(IdempotencyRecord, "response_status", "response_body")


def _insert(record: IdempotencyRecord) -> None:
    """``record.save(force_insert=True)`` (no save override or signals), as one statement built
    once per database (``FixedInsert``): the same row, the key returned."""
    db = connections[DEFAULT_DB_ALIAS]  # not the proxy: each field's preparation reads it
    with fixed_cursor(db) as cursor:
        cursor.execute(_INSERT.sql(db), _INSERT.params(record, db))
        _INSERT.saved(record, cursor, db)


def _store_answer(record: IdempotencyRecord) -> None:
    """``record.save(update_fields=["response_status", "response_body"])``, built once."""
    db = connections[DEFAULT_DB_ALIAS]
    with fixed_cursor(db) as cursor:
        cursor.execute(_ANSWER.sql(db), _ANSWER.params(record, db))


def stored_answer(*, user: Any, scope: str, key: str) -> dict[str, Any] | None:
    """The committed answer to ``user``'s request with this key, opened — a read for pages that
    show a first answer again (the window's receipt, reprinted with its query code); None when
    there is none."""
    record = (
        IdempotencyRecord.objects.filter(user=user, scope=scope, key=key).exclude(response_status=0).first()
    )
    if record is None:
        return None
    return _open(record.response_body, _aad(user.pk, scope, key))


class _Raced(Exception):
    """Another request with the same key committed first."""
