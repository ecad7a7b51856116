"""The notices CMS: draft, submit for 保密审查, review (publish or return), withdraw.

Every command is one transaction with its audit event, and checks permission itself.

Who does what (docs/disclosure.md, "Who does what"):

* **draft, edit, submit**: any staff member of the organisation the notice is for (a membership
  held *at* that organisation, any role but the three separated administrators); only the author
  edits and submits their own draft or returned notice;
* **review (保密审查 → publish or return)**: a supervisor (监督人员) or decision maker (审批决定人员)
  of the organisation or of a level above — never the author, whatever roles they hold;
* **withdraw (撤回)**: the same reviewer roles; the notice is kept and audited, never deleted.

Staff outside the notice's subtree are answered 404 (``disclosure.not_found``), as if the notice
did not exist.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils import timezone

from sifa.audit.services import record
from sifa.core.errors import Forbidden, NotFound, ServiceError
from sifa.disclosure.models import (
    CHECKLIST,
    EDITABLE,
    Category,
    Decision,
    Notice,
    NoticeReview,
    NoticeStatus,
)
from sifa.disclosure.rules import author_organisations, public_id_of, review_role
from sifa.organisations.scope import Actor, actor_for, scoped

TITLE_MIN, TITLE_MAX = 4, 100
BODY_MIN, BODY_MAX = 10, 20000
OPINION_MIN, OPINION_MAX = 2, 500
REASON_MIN, REASON_MAX = 4, 500

UNREADABLE = re.compile(r"[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\u202a-\u202e\u2066-\u2069]")


# --- shared -------------------------------------------------------------------------------------


def problem(field: str, code: str, message: str) -> dict[str, str]:
    return {"field": field, "code": f"disclosure.{code}", "message": message}


def invalid(errors: list[dict[str, str]]) -> ServiceError:
    if len(errors) == 1:
        return ServiceError(errors[0]["code"], errors[0]["message"], errors=errors, status=400)
    return ServiceError(
        "validation_error", "；".join(e["message"] for e in errors), errors=errors, status=400
    )


def not_found() -> NotFound:
    return NotFound("未找到该公开信息", code="disclosure.not_found")


def _text(value: Any) -> str:
    return "" if value is None else str(value).replace("\r\n", "\n").strip()


def _check(field: str, label: str, value: str, low: int, high: int, errors: list[dict[str, str]]) -> None:
    if not value:
        errors.append(problem(field, "required", f"请填写{label}"))
    elif not low <= len(value) <= high:
        errors.append(problem(field, "length", f"{label}应为{low}至{high}字"))
    if UNREADABLE.search(value):
        errors.append(problem(field, "unreadable", f"{label}含有无法识别的字符，请删除后重新输入"))


def _audit(action: str, user: Any, notice: Notice, detail: dict[str, Any], role: str = "") -> None:
    record(
        f"disclosure.{action}",
        actor=user,
        organisation=notice.organisation,
        role=role,
        subject=notice,
        scope_path=notice.scope_path,
        detail=detail,
    )


def _staff(user: Any) -> Actor:
    actor = actor_for(user)
    if not (actor.is_staff_actor or actor.is_superuser):
        raise not_found()
    return actor


def _lock(actor: Actor, public_id: Any) -> Notice:
    key = public_id_of(public_id)
    if key is None:
        raise not_found()
    visible = scoped(Notice.objects.all(), actor).filter(public_id=key)
    notice = (
        Notice.objects.select_for_update(of=("self",))
        .filter(pk__in=visible.values("pk"))
        .select_related("organisation")
        .first()
    )
    if notice is None:
        raise not_found()
    return notice


def _fields(category: Any, title: Any, body: Any) -> tuple[str, str, str]:
    errors: list[dict[str, str]] = []
    category, title, body = _text(category), _text(title), _text(body)
    if category not in Category.values:
        errors.append(problem("category", "category", "请选择栏目"))
    _check("title", "标题", title, TITLE_MIN, TITLE_MAX, errors)
    _check("body", "正文", body, BODY_MIN, BODY_MAX, errors)
    if "\n" in title:
        errors.append(problem("title", "title_lines", "标题不能换行"))
    if errors:
        raise invalid(errors)
    return category, title, body


# --- commands -----------------------------------------------------------------------------------


@transaction.atomic
def save_draft(
    user: Any,
    *,
    notice_id: Any = None,
    organisation: Any = None,
    category: Any = "",
    title: Any = "",
    body: Any = "",
) -> Notice:
    """A new draft (``notice_id`` empty) for one of the author's organisations, or the author's
    own draft or returned notice edited."""
    actor = _staff(user)
    if notice_id:
        notice = _lock(actor, notice_id)
        if notice.author_id != user.pk:
            raise Forbidden("只有起草人可以修改该信息", code="disclosure.not_author")
        if notice.status not in EDITABLE:
            raise ServiceError("disclosure.not_editable", "该信息已送审或已发布，不能修改", status=409)
        notice.category, notice.title, notice.body = _fields(category, title, body)
        notice.updated_at = timezone.now()
        notice.save(update_fields=["category", "title", "body", "updated_at"])
        _audit("notice.edit", user, notice, {"title": notice.title, "status": notice.status})
        return notice
    allowed = {org.pk: org for org in author_organisations(actor)}
    org_id = _text(organisation)
    target = allowed.get(int(org_id)) if org_id.isdigit() and len(org_id) < 12 else None
    if target is None:
        errors = [problem("organisation", "organisation", "请选择您所在的机构")]
        if not allowed:
            raise Forbidden("您没有起草政务公开信息的岗位", code="disclosure.not_staff")
        raise invalid(errors)
    category, title, body = _fields(category, title, body)
    notice = Notice.objects.create(
        organisation=target,
        scope_path=target.path,
        category=category,
        title=title,
        body=body,
        author=user,
    )
    _audit("notice.draft", user, notice, {"title": title, "category": category})
    return notice


@transaction.atomic
def submit(user: Any, notice_id: Any) -> Notice:
    """The author sends the draft to 保密审查."""
    actor = _staff(user)
    notice = _lock(actor, notice_id)
    if notice.author_id != user.pk:
        raise Forbidden("只有起草人可以送审", code="disclosure.not_author")
    if notice.status not in EDITABLE:
        raise ServiceError("disclosure.not_editable", "该信息已送审或已发布", status=409)
    now = timezone.now()
    notice.status, notice.submitted_at, notice.updated_at = NoticeStatus.SUBMITTED, now, now
    notice.save(update_fields=["status", "submitted_at", "updated_at"])
    _audit("notice.submit", user, notice, {"title": notice.title})
    return notice


@transaction.atomic
def review(user: Any, notice_id: Any, *, decision: Any, confirmed: Any = False, opinion: Any = "") -> Notice:
    """保密审查 by a reviewer who is not the author: publish (the checklist confirmed) or return."""
    actor = _staff(user)
    notice = _lock(actor, notice_id)
    role = review_role(actor, notice.scope_path)
    if not role:
        raise Forbidden(
            "保密审查须由本机构或上级机构的监督人员或审批决定人员进行", code="disclosure.not_reviewer"
        )
    if notice.author_id == user.pk:
        raise Forbidden("起草人不能审查自己起草的信息，请由其他人员审查", code="disclosure.own_notice")
    if notice.status != NoticeStatus.SUBMITTED:
        raise ServiceError("disclosure.not_submitted", "该信息不在待保密审查状态", status=409)
    decision, opinion = _text(decision), _text(opinion)
    confirmed = confirmed is True or _text(confirmed) in ("1", "true", "on", "yes")
    errors: list[dict[str, str]] = []
    if decision not in Decision.values:
        errors.append(problem("decision", "decision", "请选择审查结果"))
    _check("opinion", "审查意见", opinion, OPINION_MIN, OPINION_MAX, errors)
    if decision == Decision.PUBLISH and not confirmed:
        errors.append(problem("confirmed", "not_confirmed", f"未确认“{CHECKLIST}”的，不能发布；请退回修改"))
    if errors:
        raise invalid(errors)
    now = timezone.now()
    NoticeReview.objects.create(
        notice=notice,
        reviewer=user,
        reviewer_role=role,
        checklist_confirmed=confirmed,
        checklist_text=CHECKLIST,
        opinion=opinion,
        decision=decision,
        reviewed_at=now,
    )
    if decision == Decision.PUBLISH:
        notice.status, notice.published_at, notice.published_by = NoticeStatus.PUBLISHED, now, user
        action = "notice.publish"
    else:
        notice.status = NoticeStatus.RETURNED
        action = "notice.return"
    notice.updated_at = now
    notice.save(update_fields=["status", "published_at", "published_by", "updated_at"])
    _audit(
        action,
        user,
        notice,
        {"title": notice.title, "checklist": CHECKLIST, "confirmed": confirmed, "opinion": opinion},
        role=role if role != "superuser" else "",
    )
    return notice


@transaction.atomic
def withdraw(user: Any, notice_id: Any, *, reason: Any = "") -> Notice:
    """A published notice taken off the public pages, the feed and the open data: kept, audited."""
    actor = _staff(user)
    notice = _lock(actor, notice_id)
    role = review_role(actor, notice.scope_path)
    if not role:
        raise Forbidden(
            "撤回须由本机构或上级机构的监督人员或审批决定人员进行", code="disclosure.not_reviewer"
        )
    if notice.status != NoticeStatus.PUBLISHED:
        raise ServiceError("disclosure.not_published", "只有已发布的信息可以撤回", status=409)
    reason = _text(reason)
    errors: list[dict[str, str]] = []
    _check("reason", "撤回理由", reason, REASON_MIN, REASON_MAX, errors)
    if errors:
        raise invalid(errors)
    now = timezone.now()
    notice.status, notice.withdrawn_at, notice.withdrawn_by = NoticeStatus.WITHDRAWN, now, user
    notice.withdraw_reason, notice.updated_at = reason, now
    notice.save(update_fields=["status", "withdrawn_at", "withdrawn_by", "withdraw_reason", "updated_at"])
    _audit(
        "notice.withdraw",
        user,
        notice,
        {"title": notice.title, "reason": reason},
        role=role if role != "superuser" else "",
    )
    return notice
