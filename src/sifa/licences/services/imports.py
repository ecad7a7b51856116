"""Entering an existing (paper-era) licence into the register and signing it now; atomic, audited.

``sifa import-licences`` calls :func:`import_licence` once per line, all lines in one transaction.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.db import transaction

from sifa.accounts.models import ID_NUMBER_INDEX, LegalPerson, NaturalPerson
from sifa.core.crypto import field_cipher
from sifa.core.errors import Conflict, ServiceError
from sifa.core.identifiers import normalize_id_number, parse_id_number, validate_uscc
from sifa.core.licence_ids import build_licence_id
from sifa.licences.models import HolderCodeType, HolderKind, IssueKind, Licence, LicenceType
from sifa.licences.services.common import (
    audit,
    check_dates,
    check_issuing_permission,
    issuer_uscc,
    jurisdiction,
    serial_from_number,
    set_holder_code,
    sign_and_save,
)
from sifa.organisations.models import Organisation


def import_licence(
    licence_type: LicenceType,
    issuer: Organisation,
    *,
    number: str,
    holder_name: str,
    holder_code: str,
    issue_date: dt.date,
    valid_from: dt.date,
    valid_until: dt.date | None = None,
    particulars: dict[str, Any] | None = None,
    holder: Any = None,
    actor: Any = None,
    with_pdf: bool = False,
) -> Licence:
    """Enter an existing licence (issued on paper before the platform) and sign it now.

    The holder is identified by name and code (公民身份号码 or USCC, validated); ``holder`` links
    an account when one exists — otherwise the person's account is found by the code's blind index.
    """
    check_issuing_permission(actor, issuer)
    issuer_code = issuer_uscc(issuer)
    holder_name = (holder_name or "").strip()
    if not holder_name or len(holder_name) > 200:
        raise ServiceError("licence.bad_holder", "请填写持证主体名称（不超过200字）")
    if licence_type.holder_kind == HolderKind.PERSON:
        code_type = HolderCodeType.ID_NUMBER
        holder_code = parse_id_number(normalize_id_number(holder_code)).value
        if holder is None:
            person = NaturalPerson.objects.filter(
                id_number_index=field_cipher().blind_index(holder_code, ID_NUMBER_INDEX)
            ).first()
            holder = person.user if person else None
    else:
        code_type = HolderCodeType.USCC
        holder_code = validate_uscc(holder_code)
        if holder is None:
            company = LegalPerson.objects.filter(uscc=holder_code).first()
            holder = company.user if company else None
    check_dates(valid_from, valid_until)
    number = (number or "").strip()
    if not number or len(number) > 64:
        raise ServiceError("licence.bad_number", "请填写证照编号（不超过64个字符）")
    serial = serial_from_number(number)
    with transaction.atomic():
        if Licence.objects.filter(licence_type=licence_type, issuer_uscc=issuer_code, serial=serial).exists():
            raise Conflict("licence.duplicate_number", f"编号为 {number} 的{licence_type.name}已在证照库中")
        licence = Licence(
            licence_type=licence_type, serial=serial, version=1, number=number, name=licence_type.name,
            issue_kind=IssueKind.IMPORT, issuer=issuer, issuer_name=issuer.name, issuer_uscc=issuer_code,
            issue_date=issue_date, holder=holder, holder_name=holder_name, holder_code_type=code_type,
            holder_salt=secrets.token_hex(16), jurisdiction_code=jurisdiction(issuer), valid_from=valid_from,
            valid_until=valid_until, particulars=particulars or {}, scope_path=issuer.path,
        )  # fmt: skip
        licence.identifier = build_licence_id(licence_type.code, issuer_code, serial, 1)
        set_holder_code(licence, code_type, holder_code)
        sign_and_save(licence, holder_code, with_pdf=with_pdf)
        audit("licence.import", licence, actor)
    return licence
