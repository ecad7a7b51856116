"""Issuing a new seal certificate on an operator's request (``sifa documents rotate-seal``).

The certificate and its key are files (``sifa.documents.ca``), never database rows; what the
database keeps is the audit event ``documents.seal.rotate`` naming the organisation and the new
serial. The files are written first and the event inside the same transaction: should the event
fail to commit, the command reports the error and the operator runs it again (a certificate
without its event is only ever a spare; the one in use is the newest, and that one is audited).
Certificates issued lazily at the first seal are named on every document they seal
(``Document.seal_certificate_serial``).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from sifa.audit.services import AuditSubject, record
from sifa.core.errors import NotFound
from sifa.documents.ca import SealAuthority, SealCredentials, default_authority
from sifa.organisations.models import Organisation


def rotate_seal(uscc: str, *, actor: Any = None, authority: SealAuthority | None = None) -> SealCredentials:
    """Issue a new seal certificate now for the organisation with ``uscc``; older ones stay, and the
    documents they sealed keep verifying. Audited; 404 ``documents.unknown_organisation``."""
    uscc = (uscc or "").strip().upper()
    organisation = Organisation.objects.filter(uscc=uscc).first()
    if organisation is None:
        raise NotFound(f"没有统一社会信用代码为 {uscc[:40]} 的机构", code="documents.unknown_organisation")
    with transaction.atomic():
        credentials = (authority or default_authority()).rotate(uscc, organisation.name)
        certificate = credentials.certificate
        record(
            "documents.seal.rotate",
            actor=actor,
            organisation=organisation,
            subject=AuditSubject("documents.SealCertificate", credentials.serial_hex),
            scope_path=organisation.path,
            detail={
                "uscc": uscc,
                "name": organisation.name,
                "not_valid_after": certificate.not_valid_after_utc.isoformat(),
            },
        )
    return credentials
