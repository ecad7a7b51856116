"""``sifa exchange export --since YYYY-MM-DD --out FILE``: a signed archive of the message log.

The archive is a ZIP file:

* ``messages.jsonl`` — one line per chained message from ``since`` on (recorded time, Asia/Shanghai
  date), in chain order: its evidence (:func:`sifa.exchange.chain.row_evidence`), ``prev_hash``,
  ``hash`` and the masked body (ID numbers never in clear);
* ``messages/<seq>-<message_id>.header.json`` and ``.sig`` — the exact signed header bytes and the
  DER signature, ready for ``openssl pkeyutl -verify``;
* ``keys/<key_id>.pem`` — the public key of every signer in the archive (partners' and Sifa's);
* ``manifest.json`` — the period, the first and last seq, the hash before the first row and the
  head hash, and the SM3 digest of every file; ``manifest.sig`` is Sifa's signature over it with
  the key in ``signer.pem`` (``manifest.key_id``).

Waiting rows are chained first, so the archive covers everything logged before it was made.
"""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.utils import timezone

from sifa.audit import services as audit
from sifa.core.crypto import sm3_hex
from sifa.core.signing import KeyRingError, SigningError, canonical_json
from sifa.exchange.chain import GENESIS_HASH, row_evidence
from sifa.exchange.models import MessageLink, PartnerKey
from sifa.exchange.services import envelopes
from sifa.exchange.services.envelopes import SigningUnavailable
from sifa.exchange.services.log import chain_pending


@dataclass(frozen=True)
class Exported:
    path: Path
    count: int
    first_seq: int | None
    last_seq: int | None
    key_id: str


def _public_pem(key_id: str) -> str | None:
    key = PartnerKey.objects.filter(key_id=key_id).values_list("public_key_pem", flat=True).first()
    if key:
        return key
    try:
        return envelopes.default_keyring().verifier(key_id).public_key_pem()
    except (KeyRingError, SigningError):
        return None


def export(since: dt.date, out: Path) -> Exported:
    chain_pending()
    start = timezone.make_aware(dt.datetime.combine(since, dt.time.min))
    links = MessageLink.objects.filter(message__recorded_at__gte=start).select_related("message")
    rows = (link.message for link in links.order_by("seq").iterator(chunk_size=1000))
    files: dict[str, bytes] = {}
    lines: list[bytes] = []
    key_ids: set[str] = set()
    first_seq = last_seq = None
    prev_before = GENESIS_HASH
    head = GENESIS_HASH
    for row in rows:
        if first_seq is None:
            first_seq, prev_before = row.seq, row.prev_hash
        last_seq, head = row.seq, row.hash
        entry = {
            **row_evidence(row, row.seq),
            "prev_hash": row.prev_hash,
            "hash": row.hash,
            "body_masked": row.body_masked,
        }
        lines.append(json.dumps(entry, ensure_ascii=False, sort_keys=True).encode("utf-8"))
        stem = f"messages/{row.seq:08d}-{row.message_id}"
        files[f"{stem}.header.json"] = row.header.encode("utf-8")
        files[f"{stem}.sig"] = bytes(row.signature)
        key_ids.add(row.key_id)
    files["messages.jsonl"] = b"\n".join(lines) + (b"\n" if lines else b"")
    for key_id in sorted(key_ids):
        pem = _public_pem(key_id)
        if pem:
            files[f"keys/{key_id}.pem"] = pem.encode("ascii")
    try:
        signer = envelopes.default_keyring().signer()
    except (KeyRingError, SigningError) as error:
        raise SigningUnavailable(error.message) from None
    files["signer.pem"] = signer.public_key_pem().encode("ascii")
    manifest = canonical_json(
        {
            "since": since.isoformat(),
            "created_at": timezone.now().isoformat(timespec="seconds"),
            "count": len(lines),
            "first_seq": first_seq,
            "last_seq": last_seq,
            "prev_hash": prev_before,
            "head_hash": head,
            "key_id": signer.key_id,
            "files": {name: sm3_hex(data) for name, data in sorted(files.items())},
        }
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(files.items()):
            archive.writestr(name, data)
        archive.writestr("manifest.json", manifest)
        archive.writestr("manifest.sig", signer.sign(manifest))
        archive.writestr("manifest.key_id", signer.key_id)
    # An export of (masked) personal data: the security detector records it (docs/security.md).
    audit.record(
        "exchange.archive_export",
        detail={"rows": len(lines), "since": since.isoformat(), "first_seq": first_seq, "last_seq": last_seq},
    )
    return Exported(out, len(lines), first_seq, last_seq, signer.key_id)
