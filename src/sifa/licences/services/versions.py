"""New versions of a licence: 换发 (reissue), 补办 (replacement), 变更 (change); atomic and audited.

A new version keeps the serial and number, adds 1 to the version (so a new check character) and
is signed anew; the old version becomes ``superseded`` and stays verifiable as such (GB/T 36904).
:func:`new_version` is the staff entry point (API and workbench): role (403), input (400), state
(409), in that order.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from sifa.core.errors import Conflict, ServiceError
from sifa.core.licence_ids import build_licence_id
from sifa.licences.models import IssueKind, Licence, LicenceStatus
from sifa.licences.services.common import (
    CHANGEABLE,
    audit,
    check_dates,
    check_issuing_permission,
    clean_reason,
    locked,
    notify_issued_after_commit,
    require_decider,
    set_holder_code,
    sign_and_save,
)

MAX_PARTICULARS = 10
PARTICULAR_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz_")


def _new_version(
    licence: Licence,
    kind: str,
    *,
    actor: Any,
    reason: str,
    particulars: dict[str, Any] | None = None,
    valid_until: dt.date | None = None,
    holder_name: str | None = None,
    application: Any = None,
    with_pdf: bool = True,
) -> Licence:
    reason = clean_reason(reason)
    check_issuing_permission(actor, licence.issuer)
    with transaction.atomic():
        old = locked(licence, CHANGEABLE, "licence.not_current", f"不能{IssueKind(kind).label}")
        if old.version >= 999:
            raise Conflict("licence.version_exhausted", "该证照的版本号已用尽")
        today = timezone.localdate()
        holder_code = old.reveal_holder_code()
        new = Licence(
            licence_type=old.licence_type,
            serial=old.serial,
            version=old.version + 1,
            number=old.number,
            name=old.name,
            issue_kind=kind,
            issuer=old.issuer,
            issuer_name=old.issuer.name,
            issuer_uscc=old.issuer_uscc,
            issue_date=today,
            holder=old.holder,
            holder_name=(holder_name or old.holder_name).strip()[:200],
            holder_code_type=old.holder_code_type,
            holder_salt=secrets.token_hex(16),
            jurisdiction_code=old.jurisdiction_code,
            valid_from=old.valid_from if kind == IssueKind.REPLACEMENT else today,
            valid_until=valid_until if valid_until is not None else old.valid_until,
            particulars={**old.particulars, **(particulars or {})},
            status=old.status,
            status_reason=old.status_reason if old.status == LicenceStatus.SUSPENDED else "",
            status_date=old.status_date if old.status == LicenceStatus.SUSPENDED else None,
            suspended_until=old.suspended_until,
            previous=old,
            application=application or old.application,
            scope_path=old.scope_path,
        )
        check_dates(new.valid_from, new.valid_until)
        new.identifier = build_licence_id(old.licence_type.code, old.issuer_uscc, old.serial, new.version)
        set_holder_code(new, old.holder_code_type, holder_code)
        old.status, old.status_reason, old.status_date = LicenceStatus.SUPERSEDED, reason, today
        old.save(update_fields=["status", "status_reason", "status_date"])
        sign_and_save(new, holder_code, with_pdf=with_pdf)
        audit(f"licence.{kind}", new, actor, previous=old.identifier, reason=reason)
        notify_issued_after_commit(new)
    return new


def reissue(licence: Licence, *, actor: Any, reason: str, **changes: Any) -> Licence:
    """换发: a new version, e.g. after a change of 执业机构 (律师法 §10) or at the end of validity."""
    return _new_version(licence, IssueKind.REISSUE, actor=actor, reason=reason, **changes)


def replace(licence: Licence, *, actor: Any, reason: str, **changes: Any) -> Licence:
    """补办: the same content as a new version, after loss or damage of the printed licence."""
    return _new_version(licence, IssueKind.REPLACEMENT, actor=actor, reason=reason, **changes)


def change(licence: Licence, *, actor: Any, reason: str, **changes: Any) -> Licence:
    """变更: a recorded particular (name, 执业机构 …) changed; a new version carries it."""
    return _new_version(licence, IssueKind.CHANGE, actor=actor, reason=reason, **changes)


VERSION_ACTIONS: dict[str, Any] = {"reissue": reissue, "replace": replace, "change": change}
"""The staff actions that make a new version, by name (``services.common.ACTION_LABELS``)."""


def _clean_particulars(particulars: dict[str, Any] | None) -> dict[str, str]:
    if not particulars:
        return {}
    problems = []
    if len(particulars) > MAX_PARTICULARS:
        problems.append(f"记载事项不能超过{MAX_PARTICULARS}项")
    cleaned = {}
    for key, value in particulars.items():
        text = str(value).strip() if isinstance(value, str | int) else ""
        if not key or len(key) > 40 or not set(key) <= PARTICULAR_KEY_CHARS:
            problems.append(f"记载事项名称“{key[:40]}”只能由小写英文字母和下划线组成（不超过40个字符）")
        elif not text or len(text) > 200:
            problems.append(f"记载事项“{key}”的内容应为1至200字的文字")
        else:
            cleaned[key] = text
    if problems:
        raise ServiceError(
            "licence.bad_particulars",
            problems[0],
            errors=[
                {"field": "particulars", "code": "licence.bad_particulars", "message": p} for p in problems
            ],
        )
    return cleaned


def new_version(
    licence: Licence,
    action: str,
    *,
    actor: Any,
    reason: str,
    holder_name: str | None = None,
    particulars: dict[str, Any] | None = None,
    valid_until: dt.date | None = None,
    with_pdf: bool = True,
) -> Licence:
    """换发 / 补办 / 变更 by a decision maker: the next version (the holder is told it was issued).

    A change must change something: the holder's name, a recorded particular or the validity.
    """
    if action not in VERSION_ACTIONS:
        raise ServiceError("licence.unknown_action", "不支持该证照操作")
    require_decider(actor, licence, action)
    particulars = _clean_particulars(particulars)
    holder_name = (holder_name or "").strip() or None
    if holder_name is not None and len(holder_name) > 200:
        raise ServiceError("licence.bad_holder", "持证主体名称不能超过200字")
    if action == "change":
        renamed = holder_name is not None and holder_name != licence.holder_name
        new_particulars = any(licence.particulars.get(k) != v for k, v in particulars.items())
        new_validity = valid_until is not None and valid_until != licence.valid_until
        if not (renamed or new_particulars or new_validity):
            raise ServiceError("licence.nothing_changed", "请填写需要变更的事项（与现有记载不同）")
    changes: dict[str, Any] = {"particulars": particulars, "valid_until": valid_until, "with_pdf": with_pdf}
    if holder_name is not None:
        changes["holder_name"] = holder_name
    return VERSION_ACTIONS[action](licence, actor=actor, reason=reason, **changes)
