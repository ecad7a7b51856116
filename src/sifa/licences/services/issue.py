"""Issuing a new licence (version 001), signed with the active SM2 key; atomic and audited.

* :func:`issue_licence` — a new licence for a holder with an account.
* :func:`issue_for_application` — the licence an approved application results in (the workflow
  calls it through :func:`sifa.licences.services.results.apply_decision`, which also handles 换发
  and 注销 items).
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from sifa.accounts.models import ID_NUMBER_INDEX
from sifa.core.crypto import field_cipher
from sifa.core.errors import Conflict, ServiceError
from sifa.core.licence_ids import build_licence_id
from sifa.licences.models import HolderCodeType, IssueKind, Licence, LicenceType
from sifa.licences.one_per_holder import ONE_PER_HOLDER, describe, held_licence
from sifa.licences.services.common import (
    USCC_INDEX,
    audit,
    check_dates,
    check_issuing_permission,
    default_until,
    holder_identity,
    issuer_uscc,
    jurisdiction,
    next_number,
    notify_issued_after_commit,
    serial_from_number,
    set_holder_code,
    sign_and_save,
)
from sifa.licences.types import type_for_result
from sifa.organisations.models import Organisation

# --- issuing -----------------------------------------------------------------------------------


def issue_licence(
    licence_type: LicenceType,
    holder: Any,
    issuer: Organisation,
    *,
    actor: Any,
    number: str | None = None,
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    issue_date: dt.date | None = None,
    application: Any = None,
    particulars: dict[str, Any] | None = None,
    with_pdf: bool = True,
    holder_person: Any = None,
    holder_company: Any = None,
) -> Licence:
    """Issue version 001 of a new licence to ``holder`` (a User with a person or company record),
    or, with ``holder`` None, to the ``holder_person`` / ``holder_company`` a window recorded
    without an account (the licence then has no account; its blind index finds it).

    ``valid_from`` defaults to today, ``valid_until`` to the type's default validity (None: 长期).
    ``number`` (证照编号) is generated per type, issuer and year unless given.
    """
    check_issuing_permission(actor, issuer)
    issuer_code = issuer_uscc(issuer)
    holder_name, code_type, holder_code = holder_identity(
        holder, licence_type, person=holder_person, company=holder_company
    )
    today = timezone.localdate()
    valid_from = valid_from or today
    valid_until = valid_until if valid_until is not None else default_until(licence_type, valid_from)
    check_dates(valid_from, valid_until)
    with transaction.atomic():
        number = number.strip() if number else next_number(licence_type, issuer, issuer_code, today.year)
        serial = serial_from_number(number)
        licence = Licence(
            licence_type=licence_type,
            serial=serial,
            version=1,
            number=number,
            name=licence_type.name,
            issue_kind=IssueKind.ISSUE,
            issuer=issuer,
            issuer_name=issuer.name,
            issuer_uscc=issuer_code,
            issue_date=issue_date or today,
            holder=holder,
            holder_name=holder_name,
            holder_code_type=code_type,
            holder_salt=secrets.token_hex(16),
            jurisdiction_code=jurisdiction(issuer),
            valid_from=valid_from,
            valid_until=valid_until,
            particulars=particulars or {},
            application=application,
            scope_path=issuer.path,
        )
        if Licence.objects.filter(licence_type=licence_type, issuer_uscc=issuer_code, serial=serial).exists():
            raise Conflict(
                "licence.duplicate_number", f"该颁发机构已签发过编号为 {number} 的{licence_type.name}"
            )
        licence.identifier = build_licence_id(licence_type.code, issuer_code, serial, 1)
        set_holder_code(licence, code_type, holder_code)
        sign_and_save(licence, holder_code, with_pdf=with_pdf)
        audit("licence.issue", licence, actor, application=getattr(application, "number", None) or "")
        notify_issued_after_commit(licence)
    return licence


PARTICULAR_FIELDS = {"law_firm": "practice_organisation", "practice_organisation": "practice_organisation"}
"""Application form fields copied onto the licence (律师执业证 records the 执业机构)."""


def _refuse_a_second(application: Any, licence_type: LicenceType) -> None:
    """A holder already holding a valid licence of a one-per-holder type gets no second one (409
    ``licence.already_held``): the guard at issuing, whatever let the application through (the
    refusals at application and at the decision come first, :mod:`sifa.licences.one_per_holder`)."""
    why = ONE_PER_HOLDER.get(licence_type.key)
    if why is None:
        return
    person = application.applicant_person if application.applicant_id is None else None
    company = application.applicant_company if application.applicant_id is None else None
    _name, code_type, code = holder_identity(
        application.applicant, licence_type, person=person, company=company
    )
    index = field_cipher().blind_index(
        code, ID_NUMBER_INDEX if code_type == HolderCodeType.ID_NUMBER else USCC_INDEX
    )
    held = held_licence(licence_type.key, code_index=index)
    if held is not None:
        raise Conflict(
            "licence.already_held",
            f"{held.holder_name}已持有{describe(held)}，不能再颁发一份：{why}",
        )


def issue_for_application(
    application: Any, actor: Any, *, issuer: Organisation | None = None, with_pdf: bool = True
) -> Licence | None:
    """Issue the licence an approved application results in, or None when its result is no licence.

    The type comes from the pinned catalogue version's ``result_name``; the holder is the applicant;
    the issuer is ``issuer`` or else the organisation currently handling the case (the deciding one).
    换发 and 注销 items go through :func:`sifa.licences.services.results.apply_decision` instead.
    """
    licence_type = type_for_result(application.version.result_name)
    if licence_type is None:
        return None
    if (
        application.applicant_id is None
        and application.applicant_person_id is None
        and application.applicant_company_id is None
    ):
        raise ServiceError("licence.holder_without_account", "申请人没有平台账户，电子证照无法归集到其证照库")
    existing = Licence.objects.filter(application=application).first()
    if existing is not None:
        return existing  # a retried decision must not issue twice
    _refuse_a_second(application, licence_type)
    issuer = issuer or application.current_organisation or application.accepting_organisation
    form = application.form_data or {}
    particulars = {
        target: str(form[source])[:200] for source, target in PARTICULAR_FIELDS.items() if form.get(source)
    }
    return issue_licence(
        licence_type,
        application.applicant,
        issuer,
        actor=actor,
        application=application,
        particulars=particulars,
        with_pdf=with_pdf,
        # A walk-in applicant recorded without an account (一窗受理) holds the licence by the
        # identity the window checked: the 公民身份号码's blind index or the USCC finds it later.
        holder_person=application.applicant_person if application.applicant_id is None else None,
        holder_company=application.applicant_company if application.applicant_id is None else None,
    )
