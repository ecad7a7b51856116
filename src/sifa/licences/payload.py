"""What is signed: the GB/T 36903 core metadata of one licence version as canonical JSON.

Field names follow the national 电子证照共享数据 table (standards.md §4.3). The holder's full
公民身份号码 is never in the payload, because anyone may fetch the payload from the public
verification API: it carries the masked code and ``certificate_holder_commitment`` =
SM3(salt ‖ "|" ‖ holder code ‖ "|" ‖ holder name) in hex, with a per-licence random salt kept on the
server. The commitment binds the signature to the real holder; the holder (or staff holding the
full code) can re-compute it, nobody else can brute-force it without the salt.

Status is not signed: it changes (suspension, revocation) and is always read live.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from sifa.core.crypto import sm3_hex
from sifa.core.errors import ServiceError
from sifa.core.signing import KeyRing, SigningError, canonical_json, default_keyring, parse_canonical_json
from sifa.licences.models import HolderCodeType, Licence

PAYLOAD_FORMAT = "sifa-licence/1"
"""Bumped if the set or meaning of signed fields ever changes; old payloads keep verifying."""


def keyring() -> KeyRing:
    """The key ring that signs licences (``sifa.core.signing.default_keyring``); tests replace it."""
    return default_keyring()


def holder_commitment(salt_hex: str, holder_code: str, holder_name: str) -> str:
    return sm3_hex(f"{salt_hex}|{holder_code}|{holder_name}".encode())


def public_holder_name(licence: Licence) -> str:
    """A company's name is public; a person's name is shown masked (张*)."""
    from sifa.core.masking import mask_name

    if licence.holder_code_type == HolderCodeType.USCC:
        return licence.holder_name
    return mask_name(licence.holder_name)


def build_payload(licence: Licence, holder_code: str, previous_identifier: str | None) -> bytes:
    """The canonical JSON bytes for ``licence`` (all fields must already be set)."""
    data: dict[str, Any] = {
        "format": PAYLOAD_FORMAT,
        "certificate_identifier": licence.identifier,
        "certificate_name": licence.name,
        "certificate_type": licence.licence_type.name,
        "certificate_type_code": licence.licence_type.code,
        "certificate_number": licence.number,
        "certificate_serial": licence.serial,
        "certificate_version": licence.version,
        "issue_kind": licence.issue_kind,
        "previous_identifier": previous_identifier,
        "issue_dept": licence.issuer_name,
        "issue_dept_code": licence.issuer_uscc,
        "issue_date": licence.issue_date.isoformat(),
        "certificate_holder": public_holder_name(licence),
        "certificate_holder_code": licence.holder_code_masked,
        "certificate_holder_type": licence.holder_code_type,
        "certificate_holder_type_name": HolderCodeType(licence.holder_code_type).label,
        "certificate_holder_commitment": holder_commitment(
            licence.holder_salt, holder_code, licence.holder_name
        ),
        "certificate_area_code": licence.jurisdiction_code,
        "certificate_valid_from": licence.valid_from.isoformat(),
        "certificate_valid_until": licence.valid_until.isoformat() if licence.valid_until else None,
        "particulars": licence.particulars or {},
    }
    return canonical_json(data)


@dataclass(frozen=True)
class SignatureCheck:
    authentic: bool
    code: str = ""
    reason: str = ""


def check_signature(
    payload: bytes, signature: bytes, key_id: str, ring: KeyRing | None = None
) -> SignatureCheck:
    """Verify ``signature`` over ``payload`` with ``key_id``. Unknown keys raise ``signing.unknown_key``."""
    ring = ring or keyring()
    if ring.verify(key_id, payload, signature):
        return SignatureCheck(True)
    return SignatureCheck(False, "licence.signature_invalid", "签名与证照数据不符：数据被改动或签名是伪造的")


STORED_CHECKS_KEPT = 4096
"""How many verification results of register rows a process remembers (about 2 KB each)."""

_stored_results: dict[tuple[Any, bytes, bytes], bool] = {}


def _verified(verifier: Any, payload: bytes, signature: bytes) -> bool:
    """``verifier.verify(payload, signature)``, remembered per process: the result of verifying the
    same bytes with the same public key never changes, and verification by identifier (a QR code
    scanned, W6a) checks the same few register rows again and again. The key is the verifier object
    itself (kept alive by the memo, so never confused with another key's), the exact payload and
    the exact signature; whether the key still exists is asked on every request, before this."""
    memo = (verifier, payload, signature)
    result = _stored_results.get(memo)
    if result is None:
        result = bool(verifier.verify(payload, signature))
        if len(_stored_results) >= STORED_CHECKS_KEPT:
            _stored_results.clear()
        _stored_results[memo] = result
    return result


def stored_check(licence: Licence) -> SignatureCheck:
    """The stored licence's own signature; a deleted (compromised) key reads as not authentic.

    The key is looked up in the key ring on every call (a deleted key shows at once); the SM2 (or
    Ed25519) verification of the row's bytes with that key is remembered (:func:`_verified`)."""
    return stored_check_of(licence.key_id, licence.payload, bytes(licence.signature))


def stored_check_of(key_id: str, payload: str, signature: bytes) -> SignatureCheck:
    """:func:`stored_check` of a register row's key id, payload (text) and signature (bytes)."""
    try:
        verifier = keyring().verifier(key_id)
    except SigningError as error:
        return SignatureCheck(False, error.code, error.message)
    if _verified(verifier, payload.encode("utf-8"), signature):
        return SignatureCheck(True)
    return SignatureCheck(False, "licence.signature_invalid", "签名与证照数据不符：数据被改动或签名是伪造的")


def b64(data: bytes) -> str:
    return base64.b64encode(bytes(data)).decode("ascii")


def decode_b64(value: Any, field: str, label: str, max_bytes: int) -> bytes:
    """Strict base64 (standard alphabet, padding) or a 400 naming the field."""
    if not isinstance(value, str) or not value.strip():
        raise ServiceError("field.required", f"请提供{label}", errors=[
            {"field": field, "code": "field.required", "message": f"请提供{label}（base64）"}
        ])  # fmt: skip
    try:
        data = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ServiceError("licence.bad_base64", f"{label}不是有效的 base64 编码", errors=[
            {"field": field, "code": "licence.bad_base64", "message": f"{label}不是有效的 base64 编码"}
        ]) from None  # fmt: skip
    if not data or len(data) > max_bytes:
        raise ServiceError("licence.bad_size", f"{label}的长度不正确")
    return data


def parse_payload(payload: bytes) -> dict[str, Any]:
    """A copy's payload must be canonical JSON of our format, else 400 (``canonical_json.*``/``licence.*``)."""
    data = parse_canonical_json(payload)
    if not isinstance(data, dict) or data.get("format") != PAYLOAD_FORMAT:
        raise ServiceError("licence.bad_payload", "签名数据不是本平台签发的电子证照数据（format 字段不符）")
    if not isinstance(data.get("certificate_identifier"), str):
        raise ServiceError("licence.bad_payload", "签名数据缺少电子证照标识")
    return data
