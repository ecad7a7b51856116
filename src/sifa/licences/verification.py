"""Verification anyone can run: by identifier (the register's copy) or by a copy someone holds.

The answer always reads the status live from the database (a revocation shows at once) and
carries the exact signed bytes, the DER signature and the key id, so the check can be repeated
offline with ``openssl pkeyutl`` (docs/licences.md). The holder appears masked.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from functools import cache, lru_cache
from types import SimpleNamespace
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_date
from rest_framework.compat import LONG_SEPARATORS, SHORT_SEPARATORS
from rest_framework.renderers import JSONRenderer

from sifa.core import limits
from sifa.core.db import fixed_cursor
from sifa.core.errors import NotFound
from sifa.core.signing import SM2_WITH_SM3
from sifa.licences.models import EXPIRED, EXPIRED_LABEL, HolderCodeType, Licence, LicenceStatus, LicenceType
from sifa.licences.payload import (
    SignatureCheck,
    b64,
    check_signature,
    decode_b64,
    parse_payload,
    public_holder_name,
    stored_check,
    stored_check_of,
)
from sifa.licences.selectors import canonical_identifier

MAX_PAYLOAD_BYTES = 64 * 1024
MAX_SIGNATURE_BYTES = 160


def _algorithm(key_id: str) -> str:
    return "Ed25519" if key_id.startswith("ed25519-") else SM2_WITH_SM3


def licence_facts(licence: Licence) -> dict[str, Any]:
    """The public facts of a licence: status (live), masked holder, issuer, validity, versions."""
    today = timezone.localdate()
    successor = licence.next_versions.order_by("-version").values_list("identifier", flat=True).first()
    return {
        "identifier": licence.identifier,
        "name": licence.name,
        "type": licence.licence_type.name,
        "type_code": licence.licence_type.code,
        "number": licence.number,
        "version": licence.version,
        "status": licence.effective_status(today),
        "status_label": licence.effective_status_label(today),
        "status_reason": licence.status_reason if licence.status != "valid" else "",
        "status_date": licence.status_date,
        "suspended_until": licence.suspended_until,
        "superseded_by": successor,
        "holder": public_holder_name(licence),
        "holder_code": licence.holder_code_masked,
        "holder_code_type": licence.holder_code_type,
        "holder_code_type_name": licence.get_holder_code_type_display(),
        "issuer": {"name": licence.issuer_name, "uscc": licence.issuer_uscc},
        "issue_date": licence.issue_date,
        "valid_from": licence.valid_from,
        "valid_until": licence.valid_until,
        "jurisdiction_code": licence.jurisdiction_code,
    }


def find_licence(identifier: str) -> Licence:
    """400 for a malformed identifier or wrong check character; 404 when well-formed but unknown."""
    identifier = canonical_identifier(identifier)
    licence = Licence.objects.select_related("licence_type").filter(identifier=identifier).first()
    if licence is None:
        raise not_found()
    return licence


# The register row's columns the answer by identifier reads, in the statement's order (after them:
# the type's name and code, and the newest successor's identifier).
_COLUMNS = (
    "identifier", "name", "number", "version", "status", "status_reason", "status_date",
    "suspended_until", "holder_name", "holder_code_masked", "holder_code_type", "issuer_name",
    "issuer_uscc", "issue_date", "valid_from", "valid_until", "jurisdiction_code", "payload",
    "signature", "key_id",
)  # fmt: skip
_DATES = ("status_date", "suspended_until", "issue_date", "valid_from", "valid_until")
_HOLDER_CODE_TYPES = dict(HolderCodeType.choices)
_STATUS_LABELS = dict(LicenceStatus.choices)


@cache
def _by_identifier() -> str:
    """The licence, its type and its newest successor in one statement (names from the models;
    built once per process)."""
    table, types = Licence._meta.db_table, LicenceType._meta.db_table
    column = {name: Licence._meta.get_field(name).column for name in _COLUMNS}
    type_fk, previous = (
        Licence._meta.get_field("licence_type").column,
        Licence._meta.get_field("previous").column,
    )
    return (
        f"SELECT {', '.join('l.' + column[name] for name in _COLUMNS)}, t.name, t.code, "  # noqa: S608
        f"(SELECT n.{column['identifier']} FROM {table} n WHERE n.{previous} = l.id "
        f"ORDER BY n.{column['version']} DESC LIMIT 1) "
        f"FROM {table} l INNER JOIN {types} t ON t.id = l.{type_fk} WHERE l.{column['identifier']} = %s LIMIT 1"
    )


def not_found() -> NotFound:
    """The 404 of an identifier that is well-formed but not in the register."""
    return NotFound("证照库中没有该电子证照标识，请核对后重新输入", "licence.not_found")


def _registered(identifier: str) -> tuple[SimpleNamespace, str, str, str | None]:
    """``find_licence`` with fixed SQL: the row's columns (dates as dates, the signature as bytes),
    its type's name and code and its newest successor's identifier; 400 and 404 as there."""
    identifier = canonical_identifier(identifier)
    with fixed_cursor(connection) as cursor:
        cursor.execute(_by_identifier(), [identifier])
        row = cursor.fetchone()
    if row is None:
        raise not_found()
    return _licence_of(row)


def _licence_of(row: Sequence[Any]) -> tuple[SimpleNamespace, str, str, str | None]:
    """A row of :func:`_by_identifier` as the licence's columns (dates as dates, the signature as
    bytes), its type's name and code and its newest successor's identifier."""
    licence = SimpleNamespace(**dict(zip(_COLUMNS, row, strict=False)))
    for name in _DATES:
        value = getattr(licence, name)
        if isinstance(value, str):
            setattr(licence, name, parse_date(value))
    licence.signature = bytes(licence.signature)
    type_name, type_code, successor = row[len(_COLUMNS) :]
    return licence, type_name, type_code, successor


def _registered_facts(
    licence: SimpleNamespace, type_name: str, type_code: str, successor: str | None, today: dt.date
) -> dict:
    """``licence_facts`` of a row read by ``_registered`` (the same keys, values and order)."""
    status = licence.status
    if status == LicenceStatus.VALID and licence.valid_until and licence.valid_until < today:
        status = EXPIRED
    return {
        "identifier": licence.identifier,
        "name": licence.name,
        "type": type_name,
        "type_code": type_code,
        "number": licence.number,
        "version": licence.version,
        "status": status,
        "status_label": EXPIRED_LABEL if status == EXPIRED else _STATUS_LABELS[status],
        "status_reason": licence.status_reason if licence.status != "valid" else "",
        "status_date": licence.status_date,
        "suspended_until": licence.suspended_until,
        "superseded_by": successor,
        "holder": public_holder_name(licence),
        "holder_code": licence.holder_code_masked,
        "holder_code_type": licence.holder_code_type,
        "holder_code_type_name": _HOLDER_CODE_TYPES.get(licence.holder_code_type, licence.holder_code_type),
        "issuer": {"name": licence.issuer_name, "uscc": licence.issuer_uscc},
        "issue_date": licence.issue_date,
        "valid_from": licence.valid_from,
        "valid_until": licence.valid_until,
        "jurisdiction_code": licence.jurisdiction_code,
    }


def _verification(
    licence: SimpleNamespace,
    type_name: str,
    type_code: str,
    successor: str | None,
    check: SignatureCheck,
    today: dt.date,
) -> dict[str, Any]:
    """The answer by identifier without its ``checked_at`` (the last key), for the stored row's
    own signature check ``check`` (:func:`~sifa.licences.payload.stored_check`)."""
    if check.authentic and json.loads(licence.payload).get("certificate_identifier") != licence.identifier:
        # Signed bytes of another licence stored under this identifier: authentic, but not this one.
        check = SignatureCheck(False, "licence.payload_mismatch", "签名数据不属于该电子证照标识")
    return {
        "authentic": check.authentic,
        "reason_code": check.code,
        "reason": check.reason,
        **_registered_facts(licence, type_name, type_code, successor, today),
        "payload": b64(licence.payload.encode("utf-8")),
        "signature": b64(licence.signature),
        "key_id": licence.key_id,
        "algorithm": _algorithm(licence.key_id),
    }


def verify_identifier(identifier: str) -> dict[str, Any]:
    """The public verification by identifier, read with one fixed statement (docs/performance.md,
    "2026-12-06 (later): W5 in one statement, W6a on fixed SQL"); ``tests/perf`` checks that it
    equals what the ORM path (``find_licence`` and ``licence_facts``) gives for every licence.
    The API's plain ``GET`` is answered by :func:`checked_verification` (the same answer as JSON)."""
    licence, type_name, type_code, successor = _registered(identifier)
    answer = _verification(
        licence, type_name, type_code, successor, stored_check(licence), timezone.localdate()
    )
    answer["checked_at"] = timezone.now()
    return answer


# --- The API's plain GET: the count, the read and the answer's JSON (W6a) ---------------------

ANSWERS_KEPT = 1024
"""How many answers (without ``checked_at``, as JSON text; a few KB each with its row) a process
remembers."""

_answers: dict[tuple[Any, ...], str] = {}
_SIGNATURE, _KEY_ID, _PAYLOAD = (_COLUMNS.index(name) for name in ("signature", "key_id", "payload"))
_SEPARATORS = SHORT_SEPARATORS if JSONRenderer.compact else LONG_SEPARATORS


def _iso(value: Any) -> Any:
    """A date or time as DRF's ``JSONEncoder`` writes it (ISO 8601; UTC as ``Z``); else the value."""
    if not isinstance(value, dt.date):
        return value
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _json_text(answer: dict[str, Any]) -> str:
    """``JSONRenderer().render(answer)`` as text (DRF's settings and U+2028/U+2029 escaping), the
    answer's dates already written as DRF's encoder writes them (:func:`_iso`)."""
    text = json.dumps(
        answer,
        ensure_ascii=JSONRenderer.ensure_ascii,
        allow_nan=not JSONRenderer.strict,
        separators=_SEPARATORS,
    )
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def verification_json(row: Sequence[Any]) -> bytes:
    """The API's answer to a row of :func:`_by_identifier`, byte for byte what DRF's renderer
    writes for :func:`verify_identifier`'s answer (``tests/perf/test_queries_verify.py``).

    The key is looked up in the key ring on every call (a deleted key shows at once) and the
    signature's verification is remembered per process as before (``payload.stored_check``). The
    rest of the answer depends only on the row, that check and today's date (expiry), so its JSON
    is remembered per process for those three; ``checked_at`` is written on every call."""
    if isinstance(row[_SIGNATURE], memoryview):
        row = (*row[:_SIGNATURE], bytes(row[_SIGNATURE]), *row[_SIGNATURE + 1 :])
    check = stored_check_of(row[_KEY_ID], row[_PAYLOAD], row[_SIGNATURE])
    today = timezone.localdate()
    memo = (tuple(row), check, today)
    text = _answers.get(memo)
    if text is None:
        answer = _verification(*_licence_of(row), check, today)
        answer = {name: _iso(value) for name, value in answer.items()}
        text = _json_text(answer)[:-1]
        if len(_answers) >= ANSWERS_KEPT:
            _answers.clear()
        _answers[memo] = text
    return f'{text},"checked_at":"{_iso(timezone.now())}"}}'.encode()


@lru_cache(maxsize=1024)
def _canonical(identifier: str) -> str:
    return canonical_identifier(identifier)


def canonical(identifier: str) -> str:
    """``canonical_identifier`` (400 with ``licence_id.*`` when malformed), its result remembered
    per process for identifiers up to 128 characters: a pure function of the text (the same QR
    codes are scanned again and again); a malformed one raises every time (nothing remembered)."""
    return _canonical(identifier) if len(identifier) <= 128 else canonical_identifier(identifier)


def checked_verification(
    identifier: str, key: str | None, rate: limits.Rate
) -> tuple[limits.Decision | None, bytes | None]:
    """The API's answer by identifier (``identifier`` already canonical) as JSON bytes
    (:func:`verification_json`), under the verification's throttle, which counts **every**
    request (docs/security.md, "Shared limits"): the look at the count under ``key`` and, only
    when the rate allows it, the read, in one read-only statement on both databases, the request
    counted in the process and sent to the store in batches (``limits.tally_then_read``;
    docs/adr/0015-licence-verifications-counted-in-batches.md). A refused request is not counted
    and its rows are not used; a refused or unknown licence answers ``None`` (its 429 or 404 is
    DRF's). Without a ``key`` (no rate) nothing is counted."""
    if key is None:
        with fixed_cursor(connection) as cursor:
            cursor.execute(_by_identifier(), [identifier])
            rows = cursor.fetchall()
        decision = None
    else:
        decision, rows = limits.tally_then_read(key, rate, _by_identifier(), [identifier])
    if not rows:
        return decision, None
    return decision, verification_json(rows[0])


def verify_copy(payload_b64: str, signature_b64: str, key_id: str) -> dict[str, Any]:
    """Check a copy. Malformed input raises (400); a bad signature answers ``authentic: false``."""
    payload = decode_b64(payload_b64, "payload", "签名数据", MAX_PAYLOAD_BYTES)
    signature = decode_b64(signature_b64, "signature", "签名值", MAX_SIGNATURE_BYTES)
    data = parse_payload(payload)
    check = check_signature(payload, signature, key_id.strip())  # unknown key id → 400
    answer: dict[str, Any] = {
        "authentic": check.authentic,
        "reason_code": check.code,
        "reason": check.reason,
        "key_id": key_id.strip(),
        "algorithm": _algorithm(key_id.strip()),
        "identifier": data["certificate_identifier"],
        "checked_at": timezone.now(),
    }
    if not check.authentic:
        return answer
    licence = (
        Licence.objects.select_related("licence_type")
        .filter(identifier=data["certificate_identifier"])
        .first()
    )
    answer["registered"] = licence is not None
    answer["matches_register"] = licence is not None and licence.payload.encode("utf-8") == payload
    if licence is not None:
        # Authentic bytes say what was issued; the register says whether it still holds.
        answer["licence"] = licence_facts(licence)
    return answer
