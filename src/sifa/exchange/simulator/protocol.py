"""Opening Sifa's envelopes on the partner's side, with the gateway's rules in the gateway's order.

Shape → the key is one of Sifa's published keys → signature over the header → the key was valid at
the message's time → the body matches the signed digest → the message id (the same message again
is a duplicate, and so is Sifa's re-signed copy of it: :func:`~sifa.exchange.envelope.is_duplicate`;
another message under a seen id is a replay) → the timestamp within the clock window →
the receiver is this partner. The service checks follow in :mod:`.data`. Each refusal is an
:class:`~sifa.exchange.envelope.EnvelopeError` with the gateway's code and HTTP status.

Sifa's public keys come from ``GET /api/v1/keys/`` (or a file in the same JSON form); an unknown key
id makes the simulator fetch them again, at most every :data:`REFRESH_SECONDS`.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sifa.core.signing import CanonicalJsonError, Verifier, load_verifier, parse_canonical_json
from sifa.exchange.envelope import (
    Envelope,
    EnvelopeError,
    body_digest,
    check_header,
    is_duplicate,
    parse_timestamp,
)
from sifa.exchange.simulator.store import Store

REFRESH_SECONDS = 10.0
CLOCK_SKEW_SECONDS = 300

# The gateway's HTTP statuses (sifa.exchange.services.envelopes.STATUS), plus the partner's own.
STATUS = {
    "exchange.malformed": 400,
    "exchange.unknown_key": 403,
    "exchange.bad_signature": 403,
    "exchange.key_not_valid": 403,
    "exchange.digest_mismatch": 400,
    "exchange.replay": 409,
    "exchange.stale": 400,
    "exchange.future": 400,
    "exchange.wrong_receiver": 400,
    "exchange.unknown_service": 400,
    "exchange.unknown_correlation": 400,
    "exchange.schema": 400,
    "partner.id_number_invalid": 400,
    "partner.keys_unavailable": 503,
}


def refuse(code: str, message: str) -> EnvelopeError:
    return EnvelopeError(code, message, status=STATUS[code])


@dataclass(frozen=True)
class SifaKey:
    key_id: str
    verifier: Verifier
    valid_from: dt.datetime
    valid_until: dt.datetime | None


class SifaKeys:
    """Sifa's public keys from a URL (``…/api/v1/keys/``) or a JSON file of the same form."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._keys: dict[str, SifaKey] = {}
        self._fetched_at = 0.0
        self._lock = threading.Lock()

    def _read(self) -> list[dict[str, Any]]:
        if self.source.startswith(("http://", "https://")):
            with urllib.request.urlopen(self.source, timeout=5) as response:  # noqa: S310 (configured URL)
                data = json.loads(response.read())
        else:
            data = json.loads(Path(self.source).read_text(encoding="utf-8"))
        if isinstance(data, dict):
            data = data.get("results") or data.get("keys") or []
        return data

    def refresh(self) -> None:
        keys = {}
        for item in self._read():
            valid_until = item.get("valid_until")
            keys[item["key_id"]] = SifaKey(
                item["key_id"],
                load_verifier(item["public_key_pem"], item["key_id"]),
                dt.datetime.fromisoformat(item["valid_from"]),
                dt.datetime.fromisoformat(valid_until) if valid_until else None,
            )
        self._keys = keys
        self._fetched_at = time.monotonic()

    def get(self, key_id: str) -> SifaKey | None:
        key = self._keys.get(key_id)
        if key is not None:
            return key
        with self._lock:
            if key_id not in self._keys and time.monotonic() - self._fetched_at >= REFRESH_SECONDS:
                try:
                    self.refresh()
                except (OSError, ValueError, KeyError) as error:
                    self._fetched_at = time.monotonic()
                    raise refuse("partner.keys_unavailable", f"无法取得司法行政平台的公钥：{error}") from None
        return self._keys.get(key_id)


@dataclass(frozen=True)
class Inbound:
    header: dict[str, Any]
    body: dict[str, Any]
    first_answer: str | None  # the stored answer when the same message came before


def _parse(data: bytes, what: str) -> dict[str, Any]:
    try:
        value = parse_canonical_json(data)
    except CanonicalJsonError:
        raise refuse("exchange.malformed", f"{what}不是规范 JSON") from None
    if not isinstance(value, dict):
        raise refuse("exchange.malformed", f"{what}应为 JSON 对象")
    return value


def open_from_sifa(
    envelope: Envelope,
    *,
    keys: SifaKeys,
    own_uscc: str,
    store: Store,
    now: dt.datetime | None = None,
    skew_seconds: int = CLOCK_SKEW_SECONDS,
) -> Inbound:
    if envelope.parsed is not None:  # read from the wire: the objects the signed bytes encode
        header, body = envelope.parsed
    else:
        header = _parse(envelope.header_bytes, "消息头")
        body = _parse(envelope.body_bytes, "正文")
    try:
        check_header(header)
    except EnvelopeError as error:
        raise refuse("exchange.malformed", error.message) from None
    key = keys.get(header["key_id"])
    if key is None:
        raise refuse("exchange.unknown_key", "签名密钥不是司法行政平台公布的公钥")
    if not key.verifier.verify(envelope.header_bytes, envelope.signature):
        raise refuse("exchange.bad_signature", "签名验证失败：消息头或签名被改动，或不是该密钥所签")
    sent_at = parse_timestamp(header["timestamp"])
    if sent_at < key.valid_from or (key.valid_until is not None and sent_at >= key.valid_until):
        raise refuse("exchange.key_not_valid", "签名密钥在消息时间不在有效期内（已过期或尚未生效）")
    if body_digest(envelope.body_bytes) != header["body_digest"]:
        raise refuse("exchange.digest_mismatch", "正文与签名的摘要不符：正文被改动")
    seen = store.seen(header["sender"], header["message_id"])
    if seen is not None:
        stored_header, stored_signature, answer = seen
        # The gateway's rule (shared): the same copy, or the same message re-signed by Sifa for a
        # retry after the clock window (only timestamp / key_id differ), is a duplicate.
        if not is_duplicate(stored_header, stored_signature, envelope.header_bytes, envelope.signature):
            raise refuse("exchange.replay", "该消息标识已被使用：重放的消息")
        return Inbound(header, body, answer)
    now = now or dt.datetime.now(dt.UTC)
    skew = dt.timedelta(seconds=skew_seconds)
    if sent_at < now - skew:
        raise refuse("exchange.stale", "消息时间早于允许的时间窗口（过期消息）")
    if sent_at > now + skew:
        raise refuse("exchange.future", "消息时间晚于当前时间，超出允许的时钟偏差")
    if header["receiver"] != own_uscc:
        raise refuse("exchange.wrong_receiver", "接收方不是本单位")
    return Inbound(header, body, None)
