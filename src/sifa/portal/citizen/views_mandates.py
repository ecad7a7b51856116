"""我的空间 → 委托代办: the mandates I gave and received, a new mandate (form → 确认委托), revoking one.

The agent is named the way a written 委托书 names them — a person by 姓名 + 公民身份号码, a company
(a law firm) by 名称 + 统一社会信用代码 — and found only when both match a registered account
(``accounts.selectors.agent_by_identity``); the platform never lists its users. Each lookup counts
against a per-account limit, so the form cannot be used to probe who is registered. The form
checks every field at once; ``accounts.services.create_mandate`` stays the authority (overlap,
five-year limit, items) and its refusals land on their fields.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from sifa.accounts import selectors as account_selectors
from sifa.accounts import services as account_services
from sifa.accounts.models import AccountKind, Mandate, MandateStatus
from sifa.accounts.services.mandates import MAX_MANDATE_DAYS
from sifa.applications.selectors import mandatable_items
from sifa.core.api import throttles
from sifa.core.errors import Conflict, ServiceError
from sifa.organisations.scope import actor_for
from sifa.portal.citizen.common import applicant_required, bound_fields, page
from sifa.web.errors import error_list

FIELDS = (
    "agent_kind",
    "agent_name",
    "agent_id_number",
    "agent_uscc",
    "scope_all",
    "valid_from",
    "valid_until",
    "document_reference",
)
AGENT_KINDS = {AccountKind.PERSON: "自然人", AccountKind.COMPANY: "法人或其他组织（如律师事务所）"}
SCOPE_CHOICES = {"chosen": "指定事项", "all": "全部事项"}
DEFAULT_TERM_DAYS = 365
"""The form suggests a one-year term; the principal changes it as the 委托书 says."""
LOOKUP_RATE = "20/h"


class AgentLookupThrottle(throttles.PerClientThrottle):
    """Looking up an agent by identity, per account: finding out who has an account stays slow."""

    scope = "portal_mandate_agent"
    rate = LOOKUP_RATE


"""Agent lookups per account and hour: enough for typing mistakes, too few to probe identities."""
ANCHORS = {"agent_kind": "#f-agent_kind", "scope_all": "#f-scope_all", "items": "#f-items"}

# Where a refusal of create_mandate / agent_by_identity belongs on the form (their stable codes).
CODE_FIELDS = {
    "mandate.self": "agent_name",
    "mandate.agent_invalid": "agent_name",
    "mandate.agent_not_found": "agent_name",
    "mandate.scope_unknown": "items",
    "mandate.scope_invalid": "items",
    "mandate.scope_too_long": "items",
    "mandate.window": "valid_until",
    "mandate.expired": "valid_until",
    "mandate.too_long": "valid_until",
    "mandate.overlap": "valid_from",
    "field.too_long": "document_reference",
}


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        return None


def mandate_row(mandate: Mandate, names: dict[str, str], today: dt.date) -> dict[str, Any]:
    state, label = account_selectors.mandate_state(mandate, today)
    return {
        "mandate": mandate,
        "state": state,
        "state_label": label,
        "items": [names.get(code, code) for code in mandate.scope] or ["全部事项"],
    }


@never_cache
@require_safe
@applicant_required
def mandates(request: HttpRequest) -> HttpResponse:
    mine = account_selectors.mandates(actor_for(request.user))
    given = list(mine.filter(principal=request.user))
    received = list(mine.filter(agent=request.user))
    names = dict(mandatable_items())
    today = timezone.localdate()
    context = {
        "title": "委托代办",
        "given": [mandate_row(m, names, today) for m in given],
        "received": [mandate_row(m, names, today) for m in received],
        "agent_kinds": AGENT_KINDS,
        "section": "mandates",
    }
    return page(request, "portal/citizen/me_mandates.html", context)


def check_mandate(
    request: HttpRequest, data: dict[str, str], items: list[str], known: dict[str, str]
) -> tuple[dict[str, str], dict[str, Any]]:
    """Every problem of the form at once, and the values ``create_mandate`` takes. The agent is
    looked up only when the agent fields are complete (and within the lookup limit)."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    kind = data["agent_kind"]
    if kind not in AGENT_KINDS:
        errors["agent_kind"] = "请选择受托人是自然人还是法人或其他组织"
    name = data["agent_name"].strip()
    if not name:
        errors["agent_name"] = "请填写受托人的姓名或单位名称"
    elif len(name) > 200:
        errors["agent_name"] = "受托人姓名或单位名称不超过200个字"
    identifier_field = "agent_uscc" if kind == AccountKind.COMPANY else "agent_id_number"
    if kind in AGENT_KINDS and not data[identifier_field].strip():
        errors[identifier_field] = (
            "请填写受托人的统一社会信用代码" if kind == AccountKind.COMPANY else "请填写受托人的公民身份号码"
        )
    if data["scope_all"] not in SCOPE_CHOICES:
        errors["scope_all"] = "请选择委托全部事项还是指定事项"
    elif data["scope_all"] == "chosen":
        if not items:
            errors["items"] = "请至少选择一个委托事项"
        elif any(code not in known for code in items):
            errors["items"] = "所选事项不存在，请重新选择"
    values["scope"] = items if data["scope_all"] == "chosen" else []
    _check_dates(data, errors, values)
    if len(data["document_reference"]) > 200:
        errors["document_reference"] = "委托书编号或说明不超过200个字符"
    values["document_reference"] = data["document_reference"].strip()
    if not ({"agent_kind", "agent_name", identifier_field} & errors.keys()):
        _find_agent(request, kind, name, data[identifier_field], identifier_field, errors, values)
    return errors, values


def _check_dates(data: dict[str, str], errors: dict[str, str], values: dict[str, Any]) -> None:
    today = timezone.localdate()
    start, until = _date(data["valid_from"]), _date(data["valid_until"])
    if start is None:
        errors["valid_from"] = "请按“年-月-日”填写生效日期，如 2026-12-01"
    if until is None:
        errors["valid_until"] = "请按“年-月-日”填写截止日期，如 2027-06-30"
    elif until < today:
        errors["valid_until"] = "截止日期不能早于今天"
    elif start is not None and until < start:
        errors["valid_until"] = "截止日期不能早于生效日期"
    elif start is not None and (until - start).days > MAX_MANDATE_DAYS:
        errors["valid_until"] = "委托期限不得超过五年"
    values["valid_from"], values["valid_until"] = start, until


def _find_agent(
    request: HttpRequest, kind: str, name: str, identifier: str, field: str, errors: dict, values: dict
) -> None:
    if not AgentLookupThrottle().allow_request(request, None):
        errors["agent_name"] = "查找受托人的次数过多，请一小时后再试"
        values["rate_limited"] = True
        return
    try:
        agent = account_selectors.agent_by_identity(kind=kind, name=name, identifier=identifier, field=field)
    except ServiceError as exc:
        target = exc.errors[0]["field"] if exc.code != "mandate.agent_not_found" else "agent_name"
        errors[target] = exc.message
        return
    if agent.pk == request.user.pk:
        errors["agent_name"] = "不能委托本人为受托人"
        return
    values["agent"] = agent


def _form(
    request: HttpRequest, data: dict, items: list[str], errors: dict, status: int = 200
) -> HttpResponse:
    context = {
        "title": "新增委托",
        "f": bound_fields(data, errors),
        "errors": error_list(errors, ANCHORS),
        "items_error": errors.get("items", ""),
        "catalogue": [(code, name, code in items) for code, name in mandatable_items()],
        "agent_kinds": AGENT_KINDS,
        "scope_choices": SCOPE_CHOICES,
        "today": timezone.localdate(),
        "section": "mandates",
    }
    return page(request, "portal/citizen/me_mandate_new.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@applicant_required
def new_mandate(request: HttpRequest) -> HttpResponse:
    """委托 in two steps: the form, then 确认委托 (the values ride along as hidden fields)."""
    data = {name: request.POST.get(name, "") for name in FIELDS}
    items = [code for code in request.POST.getlist("items") if code]
    if request.method != "POST" or "edit" in request.POST:
        if request.method != "POST":
            today = timezone.localdate()
            data.update(
                agent_kind=AccountKind.PERSON,
                scope_all="chosen",
                valid_from=str(today),
                valid_until=str(today + dt.timedelta(days=DEFAULT_TERM_DAYS)),
            )
        return _form(request, data, items, {})
    known = dict(mandatable_items())
    errors, values = check_mandate(request, data, items, known)
    if errors:
        return _form(request, data, items, errors, status=429 if values.get("rate_limited") else 400)
    if "confirm" not in request.POST:
        context = {
            "title": "确认委托",
            "data": data,
            "items": items,
            "values": values,
            "agent_kind_label": AGENT_KINDS[data["agent_kind"]],
            "item_names": [known[code] for code in values["scope"]] or ["全部事项"],
            "section": "mandates",
        }
        return page(request, "portal/citizen/me_mandate_confirm.html", context)
    try:
        account_services.create_mandate(
            principal=request.user,
            agent=values["agent"],
            scope=values["scope"],
            valid_from=values["valid_from"],
            valid_until=values["valid_until"],
            document_reference=values["document_reference"],
        )
    except ServiceError as exc:
        field = CODE_FIELDS.get(exc.code) or next(
            (CODE_FIELDS[e["code"]] for e in exc.errors if e.get("code") in CODE_FIELDS), None
        )
        if field is None:
            raise
        return _form(request, data, items, {field: exc.message}, status=exc.status)
    messages.success(request, f"委托已生效：{values['agent'].display_name}可在委托范围和期限内代您办理。")
    return redirect("citizen-mandates")


@never_cache
@require_http_methods(["GET", "POST"])
@applicant_required
def revoke_mandate(request: HttpRequest, mandate_id: str) -> HttpResponse:
    """The principal revokes (or the agent declines) a mandate, after a confirmation page."""
    mandate = account_selectors.mandate(actor_for(request.user), mandate_id)
    if mandate.status == MandateStatus.REVOKED:
        raise Conflict("mandate.already_revoked", "该委托已撤销")
    if request.method == "POST":
        account_services.revoke_mandate(mandate, by=request.user)
        messages.success(
            request,
            "已撤销该委托，受托人不能再代您办理。"
            if mandate.principal_id == request.user.pk
            else "您已不再接受该委托。",
        )
        return redirect("citizen-mandates")
    names = dict(mandatable_items())
    context = {
        "title": "撤销委托",
        "row": mandate_row(mandate, names, timezone.localdate()),
        "as_principal": mandate.principal_id == request.user.pk,
        "section": "mandates",
    }
    return page(request, "portal/citizen/me_mandate_revoke.html", context)
