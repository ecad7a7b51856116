"""代办/委托: a principal authorises an agent account to handle items for them, for a window.

The agent is a registered natural person (a relative, a colleague) or a legal person — typically a
law firm acting for its client. Staff accounts are never agents: they act for walk-in applicants
at the window (一窗受理) under their own role instead.

The accounts app does not know the service catalogue (it sits below it), so the basic codes of a
mandate's scope are checked through an item lookup that a higher app registers with
:func:`use_item_lookup` (``sifa.applications`` does, in its ``ready()``). Without one only the
code's shape is checked.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection, Iterable

from django.db import transaction
from django.utils import timezone

from sifa.accounts.models import AccountKind, Mandate, MandateStatus, User
from sifa.accounts.services.common import FieldErrors
from sifa.audit import services as audit
from sifa.core.errors import Conflict, NotFound

ITEM_CODE_RE = re.compile(r"^[0-9A-Za-z_.-]{1,64}$")
MAX_MANDATE_DAYS = 366 * 5
"""A written 委托书 names a term; five years is the longest window we accept without review."""
MAX_SCOPE_ITEMS = 50

AGENT_KINDS = (AccountKind.PERSON, AccountKind.COMPANY)
PRINCIPAL_KINDS = (AccountKind.PERSON, AccountKind.COMPANY)

ItemLookup = Callable[[Collection[str]], dict[str, str]]
"""Given basic codes, answer ``{code: item name}`` for those that name a catalogue item."""

_item_lookup: ItemLookup | None = None


def use_item_lookup(lookup: ItemLookup | None) -> None:
    """Register how mandate scopes are checked against the catalogue (None: shape only)."""
    global _item_lookup
    _item_lookup = lookup


def item_names(codes: Collection[str]) -> dict[str, str]:
    """Names of the catalogue items behind ``codes`` (empty without a registered lookup)."""
    return _item_lookup(codes) if (_item_lookup and codes) else {}


def _windows_overlap(a_from: dt.date, a_until: dt.date, b_from: dt.date, b_until: dt.date) -> bool:
    return a_from <= b_until and b_from <= a_until


def _scopes_overlap(a: list[str], b: list[str]) -> bool:
    """An empty scope means every item, so it overlaps any other scope."""
    return not a or not b or bool(set(a) & set(b))


def _check_scope(codes: list[str], errors: FieldErrors) -> None:
    if len(codes) > MAX_SCOPE_ITEMS:
        errors.add("scope", "mandate.scope_too_long", f"委托范围最多列{MAX_SCOPE_ITEMS}个事项")
    elif any(not ITEM_CODE_RE.match(code) for code in codes):
        errors.add("scope", "mandate.scope_invalid", "委托范围应为事项基本编码列表")
    elif _item_lookup is not None and codes:
        unknown = sorted(set(codes) - set(_item_lookup(codes)))
        if unknown:
            errors.add(
                "scope", "mandate.scope_unknown", f"委托范围中的事项编码不存在：{'、'.join(unknown[:5])}"
            )


def _check_parties(principal: User, agent: User, errors: FieldErrors) -> None:
    if principal.kind not in PRINCIPAL_KINDS or not principal.is_active:
        errors.add("principal", "mandate.principal_invalid", "委托人必须是自然人或法人账户")
    if principal.pk == agent.pk:
        errors.add("agent", "mandate.self", "不能委托本人为代办人")
    elif agent.kind not in AGENT_KINDS or not agent.is_active:
        errors.add("agent", "mandate.agent_invalid", "受托人必须是已注册的自然人或法人（如律师事务所）账户")


def _check_window(valid_from: dt.date, valid_until: dt.date, errors: FieldErrors) -> None:
    if valid_until < valid_from:
        errors.add("valid_until", "mandate.window", "截止日期不能早于生效日期")
    elif valid_until < timezone.localdate():
        errors.add("valid_until", "mandate.expired", "截止日期已过，请重新填写")
    elif (valid_until - valid_from).days > MAX_MANDATE_DAYS:
        errors.add("valid_until", "mandate.too_long", "委托期限不得超过五年")


def _overlapping(principal: User, agent: User, codes: list[str], valid_from, valid_until) -> Mandate | None:
    """An active mandate to the same agent whose dates and items overlap the new one."""
    for existing in Mandate.objects.filter(principal=principal, agent=agent, status=MandateStatus.ACTIVE):
        if _windows_overlap(existing.valid_from, existing.valid_until, valid_from, valid_until) and (
            _scopes_overlap(existing.scope, codes)
        ):
            return existing
    return None


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
    """Record a mandate. ``scope`` lists item basic codes; empty means every item.

    Every problem is reported at once (400). A mandate to the same agent that overlaps an active
    one in both dates and items is refused (409 ``mandate.overlap``): the principal revokes the
    old one or picks other dates, so it is always clear which 委托书 an application rests on.
    """
    errors = FieldErrors()
    codes = sorted({str(code).strip() for code in scope})
    _check_scope(codes, errors)
    _check_parties(principal, agent, errors)
    _check_window(valid_from, valid_until, errors)
    if len(document_reference or "") > 200:
        errors.add("document_reference", "field.too_long", "委托书编号不能超过200个字符")
    errors.raise_if_any()
    with transaction.atomic():
        # Serialise the principal's mandate commands so two overlapping grants cannot both pass.
        User.objects.select_for_update().filter(pk=principal.pk).first()
        existing = _overlapping(principal, agent, codes, valid_from, valid_until)
        if existing is not None:
            raise Conflict(
                "mandate.overlap",
                f"您已委托该受托人办理相同事项（{existing.valid_from}至{existing.valid_until}），"
                "有效期不能重叠；请先撤销原委托或调整日期",
            )
        mandate = Mandate.objects.create(
            principal=principal,
            agent=agent,
            scope=codes,
            valid_from=valid_from,
            valid_until=valid_until,
            document_reference=(document_reference or "").strip(),
            scope_path=principal.scope_path,
        )
        audit.record(
            "account.create_mandate",
            actor=by or principal,
            subject=mandate,
            scope_path=mandate.scope_path,
            detail={
                "scope": mandate.scope,
                "valid_from": str(valid_from),
                "valid_until": str(valid_until),
                "agent_kind": agent.kind,
            },
        )
    return mandate


def revoke_mandate(mandate: Mandate, *, by: User) -> Mandate:
    """The principal (or the agent, declining) ends a mandate; history stays.

    From then on the agent can neither start nor continue an application for the principal
    (``sifa.applications`` checks the mandate on every command the agent sends).
    """
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
            subject=locked,
            scope_path=locked.scope_path,
            detail={"by": "principal" if by.pk == locked.principal_id else "agent"},
        )
    return locked
