"""Complaints and reports (投诉举报): submit, accept, supervise (督办), report, reply, close.

Every command is one transaction with its audit event. The complainant's name and number, the
text and the reply are sealed with the row's UUID before they are written.

Who does what (docs/complaints.md, "Who does what"):

* **submit**: anyone — a signed-in citizen or company (named, or anonymous by choice), or without
  an account (named with a phone number, or anonymous); whoever has no account in the complaint
  follows it by number and tracking code (查询码), shown once;
* **accept, reply, close, report**: a supervisor (监督人员) whose jurisdiction holds the handling
  organisation (its own supervisors, or a level above);
* **supervise (督办)**: a supervisor of an organisation *above* the handling one;
* never the staff member complained about, whatever their role: they do not act on it, and never
  see who complained (``selectors.view``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from sifa.accounts.models import AccountKind, User
from sifa.applications import query_codes
from sifa.applications.models import Application
from sifa.applications.services.idempotency import MAX_KEY_LENGTH, first_request, request_digest
from sifa.applications.services.numbers import next_in_sequence, region_code_of
from sifa.audit.services import record
from sifa.complaints.models import (
    OPEN_STATUSES,
    Complaint,
    ComplaintEvent,
    EventKind,
    Kind,
    Status,
    SubjectKind,
    Supervision,
    sealed_aad,
)
from sifa.core.crypto import field_cipher
from sifa.core.errors import Conflict, Forbidden, NotFound, ServiceError
from sifa.core.masking import mask_name, mask_phone
from sifa.core.requesttext import name_problem
from sifa.deadlines.calendar import add_working_days, depends_on_provisional
from sifa.deadlines.db_calendar import DatabaseCalendar
from sifa.notifications.models import Channel as NotifyChannel
from sifa.notifications.services import notify, notify_phone
from sifa.organisations.models import Membership, Organisation, OrganisationKind, Role
from sifa.organisations.scope import Actor, actor_for

HANDLER_ROLES = (Role.SUPERVISOR,)
TEXT_MIN, TEXT_MAX = 10, 3000
REPLY_MIN, REPLY_MAX = 10, 3000
INSTRUCTION_MIN, INSTRUCTION_MAX = 4, 500
MAX_SUPERVISION_DAYS = 90
MAX_OPEN_PER_COMPLAINANT = 5
"""A signed-in complainant's complaints not yet replied to: more is a flood, refused with 429."""

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
UNREADABLE = re.compile(r"[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\u202a-\u202e\u2066-\u2069]")
BUREAU_KINDS = (OrganisationKind.BUREAU, OrganisationKind.MINISTRY)


def reply_days() -> int:
    return int(settings.COMPLAINT_REPLY_DAYS)


@dataclass(frozen=True)
class Submitted:
    complaint: Complaint
    tracking_code: str
    """Shown once when the complaint has no account behind it (and on a retry with the same
    Idempotency-Key); empty for a signed-in, named complainant."""
    replayed: bool = False


# --- shared -------------------------------------------------------------------------------------


def problem(field: str, code: str, message: str) -> dict[str, str]:
    return {"field": field, "code": f"complaints.{code}", "message": message}


def invalid(errors: list[dict[str, str]]) -> ServiceError:
    if len(errors) == 1:
        return ServiceError(errors[0]["code"], errors[0]["message"], errors=errors, status=400)
    return ServiceError(
        "validation_error", "；".join(e["message"] for e in errors), errors=errors, status=400
    )


def _audit(action: str, user: Any, *, organisation: Any, complaint: Complaint, detail: dict) -> None:
    record(
        f"complaints.{action}",
        actor=user if getattr(user, "is_authenticated", False) else None,
        organisation=organisation,
        subject=complaint,
        scope_path=complaint.scope_path,
        detail=detail,
    )


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _readable(field: str, label: str, value: str, errors: list[dict[str, str]]) -> None:
    if UNREADABLE.search(value):
        errors.append(problem(field, "unreadable", f"{label}含有无法识别的字符，请删除后重新输入"))


def _seal(complaint: Complaint, field: str, value: str) -> bytes:
    return field_cipher().seal(value, sealed_aad("Complaint", complaint.public_id, field))


def _event(
    complaint: Complaint, kind: str, actor: Any = None, *, organisation: Any = None, note: str = ""
) -> None:
    ComplaintEvent.objects.create(
        complaint=complaint,
        kind=kind,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        organisation=organisation,
        note=note[:300],
        at=timezone.now(),
    )


def not_found() -> NotFound:
    return NotFound("未找到该投诉举报", code="complaints.not_found")


def date_text(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def due_text(complaint: Complaint) -> str:
    return date_text(complaint.due_date) + ("（暂定）" if complaint.due_provisional else "")


def link_of(complaint: Complaint) -> str:
    return f"/complaints/track/?number={complaint.number}"


def my_link(complaint: Complaint) -> str:
    """The signed-in complainant's page of the complaint in 我的空间 (我的投诉)."""
    return f"/me/complaints/{complaint.number}/"


def staff_link(complaint: Complaint) -> str:
    """The workbench page of the complaint, where the supervisors told of it handle it."""
    return f"/workbench/complaints/{complaint.number}/"


def supervisors_of(organisation: Organisation) -> list[User]:
    rows = (
        Membership.objects.filter(organisation=organisation, role=Role.SUPERVISOR, user__is_active=True)
        .select_related("user")
        .order_by("user_id")
    )
    return list({m.user_id: m.user for m in rows}.values())


def handler_for(organisation: Organisation) -> Organisation:
    """Whose supervisors handle a complaint about ``organisation``: its own, else the nearest bureau
    above that has supervisors; with none anywhere, the nearest bureau (or the organisation)."""
    if supervisors_of(organisation):
        return organisation
    fallback = None
    parent = organisation.parent
    while parent is not None:
        if parent.kind in BUREAU_KINDS:
            fallback = fallback or parent
            if supervisors_of(parent):
                return parent
        parent = parent.parent
    return fallback or organisation


def level_above(organisation: Organisation) -> Organisation | None:
    """The bureau above that supervises (督办) the handling organisation; None at the top."""
    parent = organisation.parent
    while parent is not None and parent.kind not in BUREAU_KINDS:
        parent = parent.parent
    return parent


def _may_handle(actor: Actor, complaint: Complaint) -> bool:
    return actor.is_superuser or any(
        complaint.scope_path.startswith(p) for p in actor.paths_for(HANDLER_ROLES)
    )


def _supervising_grant(actor: Actor, complaint: Complaint) -> tuple[int, str] | None:
    """The actor's supervisor membership strictly above the handling organisation (nearest)."""
    grants = [
        (org_id, path)
        for org_id, path, role in actor.memberships
        if role == Role.SUPERVISOR and complaint.scope_path.startswith(path) and path != complaint.scope_path
    ]
    return max(grants, key=lambda g: len(g[1])) if grants else None


def _acting_organisation(actor: Actor, complaint: Complaint) -> Organisation:
    grants = [
        m for m in actor.memberships if m[2] == Role.SUPERVISOR and complaint.scope_path.startswith(m[1])
    ]
    if not grants:
        return complaint.handler
    return Organisation.objects.get(pk=max(grants, key=lambda m: len(m[1]))[0])


def _lock(number: Complaint | str) -> Complaint:
    number = number.number if isinstance(number, Complaint) else str(number)
    locked = (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("organisation", "handler", "complainant", "staff_member")
        .filter(number=number)
        .first()
    )
    if locked is None:
        raise not_found()
    return locked


def _staff_command(user: Any, number: Complaint | str) -> tuple[Complaint, Actor]:
    """The complaint for a supervisor in scope (404 otherwise); never for the one complained about."""
    complaint = _lock(number)
    actor = actor_for(user)
    if not _may_handle(actor, complaint):
        raise not_found()
    if complaint.staff_member_id is not None and complaint.staff_member_id == getattr(user, "pk", None):
        raise Forbidden("您是被投诉人，不能办理针对您的投诉举报（回避）", "complaints.conflict_of_interest")
    return complaint, actor


def _due(start: dt.date, limit: int) -> tuple[dt.date, bool]:
    calendar = DatabaseCalendar()
    due = add_working_days(calendar, start, limit)
    return due, depends_on_provisional(calendar, start, due)


def _int(value: Any) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return 0


# --- submit -------------------------------------------------------------------------------------


def _replay(owner: str, key: str, digest: str) -> Submitted | None:
    existing = first_request(Complaint, owner=owner, key=key, digest=digest)
    if existing is None:
        return None
    return Submitted(existing, existing.reveal_tracking_code(), replayed=True)


def submit(
    user: Any,
    *,
    kind: str,
    subject_kind: str,
    text: str,
    case_number: str = "",
    organisation: Any = None,
    staff_member: str = "",
    name: str = "",
    phone: str = "",
    anonymous: bool = False,
    wants_sms: bool = False,
    idempotency_key: str = "",
) -> Submitted:
    """Receive one complaint or report. ``user`` is the signed-in complainant or anonymous (None
    or AnonymousUser). A retry with the same ``idempotency_key`` and content gets the first answer
    again; the same key with other content is 422."""
    signed_in = bool(getattr(user, "is_authenticated", False))
    key = _text(idempotency_key)
    if len(key) > MAX_KEY_LENGTH:
        raise ServiceError("idempotency.bad_key", "幂等键应为1至200个字符")
    payload = {
        "kind": kind,
        "subject_kind": subject_kind,
        "text": text,
        "case_number": case_number,
        "organisation": organisation,
        "staff_member": staff_member,
        "name": name,
        "phone": phone,
        "anonymous": bool(anonymous),
        "wants_sms": bool(wants_sms),
    }
    digest = request_digest(payload)
    owner = f"user:{user.pk}" if signed_in else "anonymous"
    if key:
        replay = _replay(owner, key, digest)
        if replay is not None:
            return replay
    try:
        with transaction.atomic():
            return _submit(user, signed_in=signed_in, owner=owner, key=key, digest=digest, **payload)
    except IntegrityError:
        replay = _replay(owner, key, digest) if key else None
        if replay is None:
            raise
        return replay


def _subject(
    subject_kind: str, case_number: str, organisation: Any, staff_member: str, errors: list[dict[str, str]]
) -> tuple[Organisation | None, Application | None, User | None]:
    application = None
    target = None
    if case_number:
        application = (
            Application.objects.filter(number=case_number.upper())
            .exclude(number="")
            .select_related("accepting_organisation", "current_organisation")
            .first()
            if len(case_number) <= 30
            else None
        )
        if application is None:
            errors.append(problem("case_number", "unknown_case", "未找到该办件编号，请核对后重新填写"))
        else:
            target = application.current_organisation or application.accepting_organisation
    elif subject_kind == SubjectKind.CASE:
        errors.append(problem("case_number", "case_required", "投诉办件的，请填写办件编号"))
    if organisation not in (None, "") and application is None:
        target = Organisation.objects.filter(pk=_int(organisation), is_active=True).first()
        if target is None:
            errors.append(problem("organisation", "unknown_organisation", "未找到该机构，请从列表中选择"))
    elif target is None and subject_kind in (SubjectKind.SERVICE, SubjectKind.CONDUCT) and not case_number:
        errors.append(problem("organisation", "organisation_required", "请选择被投诉的机构"))
    member = None
    if staff_member:
        if target is not None:
            member = (
                User.objects.filter(
                    username=staff_member[:150],
                    kind=AccountKind.STAFF,
                    memberships__organisation=target,
                    is_active=True,
                )
                .distinct()
                .first()
            )
        if member is None and target is not None:
            errors.append(
                problem("staff_member", "unknown_staff", "该机构没有这个工号的工作人员，请核对后重新填写")
            )
    elif subject_kind == SubjectKind.CONDUCT and not errors:
        pass  # conduct without a 工号: the complainant may not know it; the text describes the person
    return target, application, member


def _submit(
    user: Any,
    *,
    signed_in: bool,
    owner: str,
    key: str,
    digest: str,
    kind: str,
    subject_kind: str,
    text: str,
    case_number: str,
    organisation: Any,
    staff_member: str,
    name: str,
    phone: str,
    anonymous: bool,
    wants_sms: bool,
) -> Submitted:
    errors: list[dict[str, str]] = []
    kind, subject_kind, text = _text(kind), _text(subject_kind), _text(text)
    case_number, staff_member, name = _text(case_number), _text(staff_member), _text(name)
    phone = re.sub(r"\s", "", _text(phone)).removeprefix("+86")
    actor = actor_for(user) if signed_in else None
    if actor is not None and actor.is_staff_actor:
        raise Forbidden("工作人员账户不能提出投诉举报，请以个人身份提出", "complaints.staff_account")
    if kind not in Kind.values:
        errors.append(problem("kind", "bad_kind", "类型应为投诉（complaint）或举报（report）"))
    if subject_kind not in SubjectKind.values:
        errors.append(
            problem(
                "subject_kind",
                "bad_subject",
                "投诉对象应为办件（case）、服务（service）或工作人员行为（conduct）",
            )
        )
    if not TEXT_MIN <= len(text) <= TEXT_MAX:
        errors.append(
            problem("text", "text_length", f"请写明投诉举报的事实和诉求（{TEXT_MIN}至{TEXT_MAX}字）")
        )
    _readable("text", "投诉内容", text, errors)
    if len(name) > 30:
        errors.append(problem("name", "name_length", "姓名不能超过30个字"))
    _readable("name", "姓名", name, errors)
    if not UNREADABLE.search(name) and (found := name_problem("name", "姓名", name)):
        errors.append(found)  # zero-width and the other invisible characters a name may not hold
    if anonymous and name:
        errors.append(problem("name", "anonymous_named", "匿名投诉举报请不要填写姓名"))
    if phone and not PHONE_RE.match(phone):
        errors.append(problem("phone", "bad_phone", "联系电话应为11位手机号码"))
    if not signed_in and not anonymous and not (name and phone):
        errors.append(
            problem(
                "name", "contact_required", "实名投诉举报请填写姓名和手机号码；也可以选择匿名，凭查询码查询"
            )
        )
    account_phone = signed_in and not anonymous and getattr(user, "phone_enc", None)
    if wants_sms and not phone and not account_phone:
        errors.append(problem("wants_sms", "sms_needs_phone", "需要短信告知办理结果的，请填写手机号码"))
    target, application, member = (None, None, None)
    if subject_kind in SubjectKind.values:
        target, application, member = _subject(subject_kind, case_number, organisation, staff_member, errors)
    if errors:
        raise invalid(errors)
    complainant = user if signed_in and not anonymous else None
    if (
        complainant is not None
        and Complaint.objects.filter(complainant=complainant, status__in=OPEN_STATUSES).count()
        >= MAX_OPEN_PER_COMPLAINANT
    ):
        raise ServiceError(
            "complaints.too_many_open",
            f"您已有{MAX_OPEN_PER_COMPLAINANT}件投诉举报正在办理，请等待答复后再提出",
            status=429,
        )
    handler = handler_for(target)
    today = timezone.localdate()
    limit = reply_days()
    due, provisional = _due(today, limit)
    prefix = f"TS{region_code_of(handler)}{today:%Y%m%d}"
    complaint = Complaint(
        number=f"{prefix}{next_in_sequence(prefix):06d}",
        kind=kind,
        subject_kind=subject_kind,
        application=application,
        organisation=target,
        handler=handler,
        scope_path=handler.path,
        staff_member=member,
        complainant=complainant,
        anonymous=bool(anonymous) or (not signed_in and not name),
        wants_sms=bool(wants_sms),
        reply_days=limit,
        due_date=due,
        due_provisional=provisional,
        idempotency_owner=owner if key else "",
        idempotency_key=key,
        request_digest=digest if key else "",
    )
    complaint.text_enc = _seal(complaint, "text", text)
    if name:
        complaint.name_enc, complaint.name_masked = _seal(complaint, "name", name), mask_name(name)
    if phone:
        complaint.phone_enc, complaint.phone_masked = _seal(complaint, "phone", phone), mask_phone(phone)
    code = ""
    if complainant is None:
        code = query_codes.new_query_code()
        complaint.tracking_code_digest = query_codes.query_code_digest(code)
        complaint.tracking_code_enc = _seal(complaint, "tracking_code", code)
    complaint.save(force_insert=True)
    _event(
        complaint, EventKind.SUBMITTED, note=f"提出{Kind(kind).label}（{SubjectKind(subject_kind).label}）"
    )
    _event(complaint, EventKind.ROUTED, organisation=handler, note=f"转{handler.name}办理")
    _audit(
        "complaint.submit",
        complainant,  # anonymous by choice: the trail does not name the account either
        organisation=handler,
        complaint=complaint,
        detail={
            "kind": kind,
            "subject_kind": subject_kind,
            "organisation": target.name,
            "handler": handler.name,
            "anonymous": complaint.anonymous,
        },
    )
    context = {
        "number": complaint.number,
        "organisation": handler.name,
        "due": due_text(complaint),
        "code": code,
    }
    if complainant is not None:
        channels = [NotifyChannel.IN_APP, *([NotifyChannel.SMS] if wants_sms else [])]
        notify(
            complainant,
            "complaints.received",
            context,
            channels=channels,
            related=complaint,
            link=my_link(complaint),
        )
    elif phone and wants_sms:
        notify_phone(phone, "complaints.received", context, scope_path=handler.path, related=complaint)
    staff_context = {"number": complaint.number, "organisation": target.name, "due": due_text(complaint)}
    for supervisor in supervisors_of(handler):
        if supervisor.pk != complaint.staff_member_id:
            notify(
                supervisor,
                "complaints.submitted",
                staff_context,
                channels=[NotifyChannel.IN_APP],
                related=complaint,
                link=staff_link(complaint),
            )
    return Submitted(complaint, code)


# --- staff commands -----------------------------------------------------------------------------


@transaction.atomic
def accept(user: Any, number: Complaint | str) -> Complaint:
    """受理: a supervisor in scope takes the complaint up."""
    complaint, actor = _staff_command(user, number)
    if complaint.status != Status.SUBMITTED:
        raise Conflict("complaints.not_submitted", "该投诉举报已受理")
    now = timezone.now()
    complaint.status, complaint.accepted_at, complaint.updated_at = Status.ACCEPTED, now, now
    complaint.save(update_fields=["status", "accepted_at", "updated_at"])
    organisation = _acting_organisation(actor, complaint)
    _event(complaint, EventKind.ACCEPTED, user, organisation=organisation, note=f"{organisation.name}受理")
    _audit("complaint.accept", user, organisation=organisation, complaint=complaint, detail={})
    return complaint


@transaction.atomic
def supervise(
    user: Any,
    number: Complaint | str,
    *,
    instruction: str,
    deadline: Any,
    requires_report: bool = True,
) -> Supervision:
    """督办: a supervisor of an organisation above the handling one sets a deadline and may require
    a report. Supervisors of the handling organisation itself cannot supervise themselves."""
    complaint, actor = _staff_command(user, number)
    grant = _supervising_grant(actor, complaint)
    if grant is None and not actor.is_superuser:
        raise Forbidden("只有办理机构的上级机关监督人员可以督办", "complaints.not_above")
    if complaint.status == Status.CLOSED:
        raise Conflict("complaints.closed", "该投诉举报已办结，不能督办")
    instruction = _text(instruction)
    errors: list[dict[str, str]] = []
    if not INSTRUCTION_MIN <= len(instruction) <= INSTRUCTION_MAX:
        errors.append(
            problem(
                "instruction",
                "instruction_length",
                f"请填写督办意见（{INSTRUCTION_MIN}至{INSTRUCTION_MAX}字）",
            )
        )
    _readable("instruction", "督办意见", instruction, errors)
    day = deadline
    if not isinstance(day, dt.date):
        try:
            day = dt.date.fromisoformat(_text(deadline))
        except ValueError:
            day = None
    today = timezone.localdate()
    if day is None:
        errors.append(problem("deadline", "bad_deadline", "督办期限应为日期（YYYY-MM-DD）"))
    elif not today < day <= today + dt.timedelta(days=MAX_SUPERVISION_DAYS):
        errors.append(
            problem("deadline", "bad_deadline", f"督办期限应在今天之后的{MAX_SUPERVISION_DAYS}天内")
        )
    if errors:
        raise invalid(errors)
    organisation = (
        Organisation.objects.get(pk=grant[0])
        if grant
        else (level_above(complaint.handler) or complaint.handler)
    )
    supervision = Supervision.objects.create(
        complaint=complaint,
        organisation=organisation,
        by=user,
        instruction=instruction,
        deadline=day,
        requires_report=bool(requires_report),
    )
    complaint.updated_at = timezone.now()
    complaint.save(update_fields=["updated_at"])
    _event(
        complaint,
        EventKind.SUPERVISED,
        user,
        organisation=organisation,
        note=f"{organisation.name}督办，期限{date_text(day)}"
        + ("，要求报告办理情况" if requires_report else ""),
    )
    _audit(
        "complaint.supervise",
        user,
        organisation=organisation,
        complaint=complaint,
        detail={"deadline": day.isoformat(), "requires_report": bool(requires_report)},
    )
    context = {
        "number": complaint.number,
        "by": organisation.name,
        "deadline": date_text(day),
        "report": bool(requires_report),
        "instruction": instruction,
    }
    for supervisor in supervisors_of(complaint.handler):
        if supervisor.pk != complaint.staff_member_id:
            notify(
                supervisor,
                "complaints.supervised",
                context,
                channels=[NotifyChannel.IN_APP],
                related=complaint,
                link=staff_link(complaint),
            )
    return supervision


@transaction.atomic
def report(user: Any, number: Complaint | str, *, text: str) -> Supervision:
    """情况报告: the handling organisation answers the oldest 督办 that requires a report."""
    complaint, actor = _staff_command(user, number)
    pending = (
        Supervision.objects.select_for_update()
        .filter(complaint=complaint, requires_report=True, reported_at__isnull=True)
        .order_by("created_at", "id")
        .first()
    )
    if pending is None:
        raise Conflict("complaints.no_report_due", "该投诉举报没有待报告的督办")
    if not actor.is_superuser and not any(
        path == complaint.scope_path for _o, path, role in actor.memberships if role == Role.SUPERVISOR
    ):
        raise Forbidden("情况报告由办理机构的监督人员提交", "complaints.not_handler")
    text = _text(text)
    errors: list[dict[str, str]] = []
    if not REPLY_MIN <= len(text) <= REPLY_MAX:
        errors.append(problem("text", "report_length", f"情况报告应为{REPLY_MIN}至{REPLY_MAX}字"))
    _readable("text", "情况报告", text, errors)
    if errors:
        raise invalid(errors)
    now = timezone.now()
    pending.report, pending.reported_at, pending.reported_by = text, now, user
    pending.save(update_fields=["report", "reported_at", "reported_by"])
    _event(
        complaint,
        EventKind.REPORTED,
        user,
        organisation=complaint.handler,
        note=f"{complaint.handler.name}向{pending.organisation.name}报告办理情况",
    )
    _audit(
        "complaint.report",
        user,
        organisation=complaint.handler,
        complaint=complaint,
        detail={"supervision": pending.pk},
    )
    return pending


@transaction.atomic
def reply(user: Any, number: Complaint | str, *, text: str) -> Complaint:
    """答复: the outcome, told to the complainant (inbox, or SMS when they asked for it)."""
    complaint, actor = _staff_command(user, number)
    if complaint.status == Status.SUBMITTED:
        raise Conflict("complaints.not_accepted", "请先受理该投诉举报再答复")
    if complaint.status != Status.ACCEPTED:
        raise Conflict("complaints.already_replied", "该投诉举报已答复")
    text = _text(text)
    errors: list[dict[str, str]] = []
    if not REPLY_MIN <= len(text) <= REPLY_MAX:
        errors.append(problem("text", "reply_length", f"答复应为{REPLY_MIN}至{REPLY_MAX}字"))
    _readable("text", "答复", text, errors)
    if errors:
        raise invalid(errors)
    now = timezone.now()
    complaint.reply_enc = _seal(complaint, "reply", text)
    complaint.status, complaint.replied_at, complaint.updated_at = Status.REPLIED, now, now
    complaint.save(update_fields=["reply_enc", "status", "replied_at", "updated_at"])
    organisation = _acting_organisation(actor, complaint)
    _event(complaint, EventKind.REPLIED, user, organisation=organisation, note=f"{organisation.name}答复")
    _audit("complaint.reply", user, organisation=organisation, complaint=complaint, detail={})
    context = {"number": complaint.number, "organisation": organisation.name, "reply": text}
    if complaint.complainant_id is not None:
        channels = [NotifyChannel.IN_APP, *([NotifyChannel.SMS] if complaint.wants_sms else [])]
        notify(
            complaint.complainant,
            "complaints.replied",
            context,
            channels=channels,
            related=complaint,
            link=my_link(complaint),
        )
        if complaint.wants_sms and complaint.complainant.phone_enc:
            _event(complaint, EventKind.SMS_SENT, note="短信告知办理结果")
    elif complaint.phone_enc and complaint.wants_sms:
        notify_phone(
            complaint.reveal_phone(),
            "complaints.replied",
            context,
            scope_path=complaint.scope_path,
            related=complaint,
        )
        _event(complaint, EventKind.SMS_SENT, note="短信告知办理结果")
    return complaint


@transaction.atomic
def close(user: Any, number: Complaint | str) -> Complaint:
    """办结: after the reply, once every 督办 that asked for a report has it."""
    complaint, actor = _staff_command(user, number)
    if complaint.status == Status.CLOSED:
        raise Conflict("complaints.closed", "该投诉举报已办结")
    if complaint.status != Status.REPLIED:
        raise Conflict("complaints.not_replied", "答复投诉举报人后才能办结")
    if complaint.supervisions.filter(requires_report=True, reported_at__isnull=True).exists():
        raise Conflict("complaints.report_outstanding", "上级督办要求报告办理情况，报告后才能办结")
    now = timezone.now()
    complaint.status, complaint.closed_at, complaint.updated_at = Status.CLOSED, now, now
    complaint.save(update_fields=["status", "closed_at", "updated_at"])
    organisation = _acting_organisation(actor, complaint)
    _event(complaint, EventKind.CLOSED, user, organisation=organisation, note=f"{organisation.name}办结")
    _audit("complaint.close", user, organisation=organisation, complaint=complaint, detail={})
    return complaint
