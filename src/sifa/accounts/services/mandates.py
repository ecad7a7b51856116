"""代办/委托: a principal authorises a person account to handle items for them, for a window."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from sifa.accounts.models import AccountKind, Mandate, MandateStatus, User
from sifa.accounts.services.common import FieldErrors
from sifa.audit import services as audit
from sifa.core.errors import Conflict, NotFound

ITEM_CODE_RE = re.compile(r"^[0-9A-Za-z_.-]{1,64}$")
MAX_MANDATE_DAYS = 366 * 5
"""A written 委托书 names a term; five years is the longest window we accept without review."""


def create_mandate(
    *,
    principal: User,
    agent: User,
    scope: Iterable[str] = (),
    valid_from: dt.date,
    valid_until: dt.date,
    document_reference: str = "",
    by: User | None = None,
) -> Mandate:
    """Record a mandate. ``scope`` lists item basic codes; empty means every item."""
    errors = FieldErrors()
    codes = [str(code).strip() for code in scope]
    if any(not ITEM_CODE_RE.match(code) for code in codes):
        errors.add("scope", "mandate.scope_invalid", "委托范围应为事项基本编码列表")
    if principal.pk == agent.pk:
        errors.add("agent", "mandate.self", "不能委托本人为代办人")
    elif agent.kind != AccountKind.PERSON or not agent.is_active:
        errors.add("agent", "mandate.agent_not_person", "代办人必须是已注册的自然人账户")
    if principal.kind not in (AccountKind.PERSON, AccountKind.COMPANY):
        errors.add("principal", "mandate.principal_invalid", "委托人必须是自然人或法人账户")
    if valid_until < valid_from:
        errors.add("valid_until", "mandate.window", "截止日期不能早于生效日期")
    elif valid_until < timezone.localdate():
        errors.add("valid_until", "mandate.expired", "截止日期已过，请重新填写")
    elif (valid_until - valid_from).days > MAX_MANDATE_DAYS:
        errors.add("valid_until", "mandate.too_long", "委托期限不得超过五年")
    if len(document_reference or "") > 200:
        errors.add("document_reference", "field.too_long", "委托书编号不能超过200个字符")
    errors.raise_if_any()
    with transaction.atomic():
        mandate = Mandate.objects.create(
            principal=principal,
            agent=agent,
            scope=sorted(set(codes)),
            valid_from=valid_from,
            valid_until=valid_until,
            document_reference=(document_reference or "").strip(),
            scope_path=principal.scope_path,
        )
        audit.record(
            "account.create_mandate",
            actor=by or principal,
            object_type="accounts.Mandate",
            object_id=str(mandate.id),
            scope_path=mandate.scope_path,
            detail={"scope": mandate.scope, "valid_from": str(valid_from), "valid_until": str(valid_until)},
        )
    return mandate


def revoke_mandate(mandate: Mandate, *, by: User) -> Mandate:
    """The principal (or the agent, declining) ends a mandate; history stays."""
    if by.pk not in (mandate.principal_id, mandate.agent_id):
        raise NotFound()
    with transaction.atomic():
        locked = Mandate.objects.select_for_update().get(pk=mandate.pk)
        if locked.status == MandateStatus.REVOKED:
            raise Conflict("mandate.already_revoked", "该委托已撤销")
        locked.status = MandateStatus.REVOKED
        locked.save(update_fields=["status"])
        audit.record(
            "account.revoke_mandate",
            actor=by,
            object_type="accounts.Mandate",
            object_id=str(locked.id),
            scope_path=locked.scope_path,
        )
    return locked
