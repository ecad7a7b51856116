"""Consultation tickets (咨询工单): create from any channel, answer, transfer, rate, convert.

Every command is one transaction with its audit event. Personal data (the asker's name and
number, the question, the answer) is sealed with the row's UUID before it is written; queues
show the title (checked to hold no ID or phone number), the masked number and the masked name.

Who may do what (docs/consultation.md, "Who does what"):

* **web, WeChat, Weibo**: anyone — a signed-in citizen or company (the asker), or anonymously
  with a tracking code (查询码) shown once and, when a number is given, sent by SMS;
* **hotline, hall**: staff who record it for a caller or visitor — a consultant (12348 operator)
  or a window clerk — in their jurisdiction; the operator may route by hand (as transfer: staffed);
* **answer**: a consultant whose jurisdiction holds the ticket (the answering organisation, or the
  one above it after escalation);
* **transfer**: a consultant or supervisor whose jurisdiction holds the ticket, to another
  organisation in the same province;
* **rate**: the asker once answered (signed in, or with the tracking code), or the operator who
  records a caller's rating on the phone;
* **convert**: the signed-in asker turns it into a legal-aid or mediation draft, prefilled.
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
from sifa.applications.services import start_draft
from sifa.applications.services.idempotency import MAX_KEY_LENGTH, first_request, request_digest
from sifa.applications.services.numbers import next_in_sequence, region_code_of
from sifa.catalogue.models import ImplementationEntry
from sifa.consultation.models import (
    Category,
    Channel,
    Citation,
    EventKind,
    Satisfaction,
    Ticket,
    TicketEvent,
    TicketStatus,
    sealed_aad,
)
from sifa.consultation.services import routing
from sifa.consultation.services.citations import Cited, as_list, resolve
from sifa.consultation.services.common import audit, invalid, problem
from sifa.consultation.signals import ticket_rated
from sifa.core.crypto import field_cipher
from sifa.core.errors import Conflict, Forbidden, NotFound, ServiceError
from sifa.core.masking import mask_name, mask_phone
from sifa.core.requesttext import name_problem
from sifa.deadlines.calendar import add_working_days, depends_on_provisional
from sifa.deadlines.db_calendar import DatabaseCalendar
from sifa.notifications.models import Channel as NotifyChannel
from sifa.notifications.services import notify, notify_phone
from sifa.organisations.models import Organisation, OrganisationKind, Region, Role
from sifa.organisations.scope import Actor, actor_for

STAFF_CHANNELS = (Channel.HOTLINE, Channel.HALL)
"""Channels on which staff record the consultation for someone else."""

RECORD_ROLES = {Channel.HOTLINE: (Role.CONSULTANT,), Channel.HALL: (Role.CONSULTANT, Role.WINDOW_CLERK)}
ANSWER_ROLES = routing.TAKING_ROLES
TRANSFER_ROLES = (Role.CONSULTANT, Role.SUPERVISOR)
QUEUE_ROLES = (Role.CONSULTANT, Role.SUPERVISOR)

TITLE_MIN, TITLE_MAX = 4, 60
QUESTION_MIN, QUESTION_MAX = 10, 5000
ANSWER_MIN, ANSWER_MAX = 10, 5000
MAX_LATE_DAYS = 30
"""A call or visit may be recorded up to 30 days after it happened; its time limit counts from the
day of the call, not the day it was typed in."""
MAX_OPEN_PER_ASKER = 10
"""A signed-in asker's or a number's unanswered tickets: more is a flood, refused with 429."""

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
ID_LIKE = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)|(?<!\d)1[3-9]\d{9}(?!\d)")
UNREADABLE = re.compile(r"[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\u202a-\u202e\u2066-\u2069]")
"""Lone surrogates, control characters and bidirectional overrides: never stored."""

CONVERTIBLE = {
    "legal_aid": ("法律援助申请", OrganisationKind.LEGAL_AID_CENTRE),
    "mediation": ("人民调解申请", OrganisationKind.JUDICIAL_OFFICE),
}


def answer_days() -> int:
    return int(settings.CONSULTATION_ANSWER_DAYS)


@dataclass(frozen=True)
class Created:
    ticket: Ticket
    tracking_code: str
    """Shown once to an anonymous asker (and on a retry with the same Idempotency-Key); empty for
    a signed-in asker, who follows the ticket in my space."""
    replayed: bool = False


# --- checks -------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _readable(field: str, label: str, value: str, errors: list[dict[str, str]]) -> None:
    if UNREADABLE.search(value):
        errors.append(problem(field, "unreadable", f"{label}含有无法识别的字符，请删除后重新输入"))


def normalise_phone(value: Any) -> str:
    return re.sub(r"[\s]", "", _text(value)).removeprefix("+86")


def _check_phone(phone: str, errors: list[dict[str, str]], *, mobile: bool) -> None:
    if not phone:
        return
    if PHONE_RE.match(phone):
        return
    if not mobile and LANDLINE_RE.match(phone):
        return
    errors.append(
        problem(
            "phone",
            "bad_phone",
            "联系电话应为11位手机号码"
            if mobile
            else "联系电话应为11位手机号码或带区号的固定电话（如0571-12345678）",
        )
    )


def _region(code: str, errors: list[dict[str, str]]) -> Region | None:
    if not code:
        errors.append(problem("region", "region_required", "请选择咨询事项发生地或您所在的地区"))
        return None
    if not (code.isdigit() and len(code) in (6, 12)):
        errors.append(problem("region", "bad_region", "地区代码应为6位或12位数字，请从列表中选择地区"))
        return None
    region = Region.objects.filter(code=code).select_related("parent").first()
    if region is None:
        errors.append(problem("region", "unknown_region", "未找到该地区，请从列表中选择地区"))
    return region


def _when(value: Any, field: str, label: str, errors: list[dict[str, str]]) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        moment = value
    else:
        try:
            moment = dt.datetime.fromisoformat(str(value))
        except ValueError:
            errors.append(problem(field, "bad_time", f"{label}格式不正确"))
            return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if moment > timezone.now() + dt.timedelta(minutes=5):
        errors.append(problem(field, "future_time", f"{label}不能晚于现在"))
    return moment


def _seal(ticket: Ticket, field: str, value: str) -> bytes:
    return field_cipher().seal(value, sealed_aad("Ticket", ticket.public_id, field))


def _staff_may(actor: Actor, roles: tuple[str, ...], path: str) -> bool:
    return actor.is_superuser or any(path.startswith(p) for p in actor.paths_for(roles))


def _province_path(organisation: Organisation) -> str:
    """``/1/12/`` of ``/1/12/345/678/``: the province's subtree (the ministry's own path at the top)."""
    parts = [p for p in organisation.path.split("/") if p]
    return "/" + "/".join(parts[:2]) + "/"


def _event(ticket: Ticket, kind: str, actor: Any = None, *, organisation: Any = None, note: str = "") -> None:
    TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        organisation=organisation,
        note=note[:300],
        at=timezone.now(),
    )


def _lock(ticket: Ticket | str) -> Ticket:
    number = ticket.number if isinstance(ticket, Ticket) else str(ticket)
    locked = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("organisation", "region", "asker")
        .filter(number=number)
        .first()
    )
    if locked is None:
        raise NotFound("未找到该咨询工单", code="consultation.not_found")
    return locked


def _due(start: dt.date) -> tuple[dt.date, bool]:
    calendar = DatabaseCalendar()
    due = add_working_days(calendar, start, answer_days())
    return due, depends_on_provisional(calendar, start, due)


def due_text(ticket: Ticket) -> str:
    text = f"{ticket.due_date.year}年{ticket.due_date.month}月{ticket.due_date.day}日"
    return text + ("（暂定）" if ticket.due_provisional else "")


# --- create -------------------------------------------------------------------------------------


def _idempotency_owner(user: Any) -> str:
    return f"user:{user.pk}" if getattr(user, "is_authenticated", False) else "anonymous"


def _replay(owner: str, key: str, digest: str) -> Created | None:
    existing = first_request(Ticket, owner=owner, key=key, digest=digest)
    if existing is None:
        return None
    return Created(existing, existing.reveal_tracking_code(), replayed=True)


def create_ticket(
    user: Any,
    *,
    channel: str,
    category: str,
    region: str,
    title: str,
    question: str,
    name: str = "",
    phone: str = "",
    wants_sms: bool = False,
    organisation: int | str | None = None,
    call_started_at: Any = None,
    call_ended_at: Any = None,
    recording_ref: str = "",
    idempotency_key: str = "",
) -> Created:
    """Receive one consultation. ``user`` is the asker (citizen, company), the recording staff
    member (hotline, hall) or anonymous (``None`` or Django's AnonymousUser).

    With an ``idempotency_key`` a retry with the same content gets the first answer again (the same
    number and tracking code); the same key with other content is 422.
    """
    signed_in = bool(getattr(user, "is_authenticated", False))
    actor = actor_for(user) if signed_in else None
    key = _text(idempotency_key)
    if len(key) > MAX_KEY_LENGTH:
        raise ServiceError("idempotency.bad_key", "幂等键应为1至200个字符")
    payload = {
        "channel": channel,
        "category": category,
        "region": region,
        "title": title,
        "question": question,
        "name": name,
        "phone": phone,
        "wants_sms": bool(wants_sms),
        "organisation": organisation,
        "call_started_at": str(call_started_at or ""),
        "call_ended_at": str(call_ended_at or ""),
        "recording_ref": recording_ref,
    }
    digest = request_digest(payload)
    owner = _idempotency_owner(user)
    if key:
        replay = _replay(owner, key, digest)
        if replay is not None:
            return replay
    try:
        with transaction.atomic():
            return _create(
                user,
                actor,
                signed_in=signed_in,
                owner=owner,
                key=key,
                digest=digest,
                **payload,
            )
    except IntegrityError:
        # A concurrent retry with the same key committed first: answer as it did.
        replay = _replay(owner, key, digest) if key else None
        if replay is None:
            raise
        return replay


def _create(
    user: Any,
    actor: Actor | None,
    *,
    signed_in: bool,
    owner: str,
    key: str,
    digest: str,
    channel: str,
    category: str,
    region: str,
    title: str,
    question: str,
    name: str,
    phone: str,
    wants_sms: bool,
    organisation: Any,
    call_started_at: Any,
    call_ended_at: Any,
    recording_ref: str,
) -> Created:
    errors: list[dict[str, str]] = []
    channel, category = _text(channel), _text(category)
    title, question, name = _text(title), _text(question), _text(name)
    recording_ref = _text(recording_ref)
    phone = normalise_phone(phone)
    if channel not in Channel.values:
        errors.append(problem("channel", "bad_channel", "渠道应为 web、hotline、hall、wechat 或 weibo"))
    staff_channel = channel in STAFF_CHANNELS
    is_staff = bool(actor and actor.is_staff_actor)
    if staff_channel and not signed_in:
        raise Forbidden("热线和窗口咨询由工作人员登记，请登录工作台", "consultation.staff_only")
    if staff_channel and not (actor.is_superuser or actor.has_role(*RECORD_ROLES[channel])):
        raise Forbidden(
            "只有法律咨询人员（12348热线）或窗口受理人员（服务大厅）可以登记该渠道的咨询",
            "consultation.not_recorder",
        )
    if channel in Channel.values and not staff_channel and is_staff:
        raise Forbidden(
            "工作人员请通过热线或服务大厅渠道为来电、来访群众登记咨询", "consultation.staff_channel"
        )
    if category not in Category.values:
        errors.append(problem("category", "bad_category", "请选择咨询类别"))
    place = _region(_text(region), errors)
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        errors.append(problem("title", "title_length", f"请用{TITLE_MIN}至{TITLE_MAX}个字概括您的问题"))
    elif ID_LIKE.search(title):
        errors.append(
            problem("title", "title_personal", "标题会显示在工单列表中，请勿填写身份证号码或手机号码")
        )
    _readable("title", "标题", title, errors)
    if not QUESTION_MIN <= len(question) <= QUESTION_MAX:
        errors.append(
            problem("question", "question_length", f"请详细描述您的问题（{QUESTION_MIN}至{QUESTION_MAX}字）")
        )
    _readable("question", "咨询内容", question, errors)
    if len(name) > 30:
        errors.append(problem("name", "name_length", "称呼不能超过30个字"))
    _readable("name", "称呼", name, errors)
    if not UNREADABLE.search(name) and (found := name_problem("name", "称呼", name)):
        errors.append(found)  # zero-width and the other invisible characters a name may not hold
    _check_phone(phone, errors, mobile=not staff_channel)
    if channel == Channel.HOTLINE and not phone:
        errors.append(problem("phone", "phone_required", "请填写来电号码"))
    if wants_sms and not phone and not (signed_in and not is_staff and getattr(user, "phone_enc", None)):
        errors.append(problem("wants_sms", "sms_needs_phone", "需要短信告知答复的，请填写手机号码"))
    if wants_sms and phone and not PHONE_RE.match(phone):
        errors.append(
            problem("wants_sms", "sms_needs_mobile", "短信只能发送到手机号码，固定电话请致电12348查询答复")
        )
    if len(recording_ref) > 100:
        errors.append(problem("recording_ref", "recording_ref_length", "录音编号不能超过100个字符"))
    started = _when(call_started_at, "call_started_at", "通话开始时间", errors)
    ended = _when(call_ended_at, "call_ended_at", "通话结束时间", errors)
    if started and (timezone.localdate() - timezone.localdate(started)).days > MAX_LATE_DAYS:
        errors.append(
            problem("call_started_at", "call_too_old", f"只能补登{MAX_LATE_DAYS}天内的来电（来访）")
        )
    if started and ended and ended < started:
        errors.append(problem("call_ended_at", "call_order", "通话结束时间不能早于开始时间"))
    if not staff_channel and (started or ended or recording_ref):
        errors.append(problem("recording_ref", "hotline_only", "通话时间和录音编号只用于12348热线登记"))
    target = None
    if organisation not in (None, ""):
        if not staff_channel:
            errors.append(problem("organisation", "route_by_staff", "承办机构由平台按地区和类别分派"))
        else:
            target = Organisation.objects.filter(pk=_int(organisation), is_active=True).first()
            if target is None or not _staff_may(actor, RECORD_ROLES[channel], target.path):
                errors.append(problem("organisation", "bad_organisation", "请在您管辖范围内选择承办机构"))
            elif not routing.takes_tickets(target):  # as for 转办: no one would answer it there
                errors.append(problem("organisation", "no_consultant", routing.no_taker_at_desk(target)))
    if errors:
        raise invalid(errors)

    asker = (
        user
        if signed_in and not is_staff and user.kind in (AccountKind.PERSON, AccountKind.COMPANY)
        else None
    )
    if (
        asker is not None
        and Ticket.objects.filter(asker=asker, status=TicketStatus.OPEN).count() >= MAX_OPEN_PER_ASKER
    ):
        raise ServiceError(
            "consultation.too_many_open",
            f"您已有{MAX_OPEN_PER_ASKER}件咨询等待答复，请等待答复后再提出新的咨询",
            status=429,
        )
    target = target or routing.route(place, category)
    today = timezone.localdate()
    received = timezone.localdate(started) if started else today
    due, provisional = _due(received)
    prefix = f"ZX{region_code_of(target)}{today:%Y%m%d}"
    ticket = Ticket(
        number=f"{prefix}{next_in_sequence(prefix):06d}",
        channel=channel,
        category=category,
        region=place,
        organisation=target,
        scope_path=target.path,
        asker=asker,
        wants_sms=bool(wants_sms),
        title=title,
        answer_days=answer_days(),
        due_date=due,
        due_provisional=provisional,
        recorded_by=user if staff_channel else None,
        call_started_at=started,
        call_ended_at=ended,
        recording_ref=recording_ref,
        created_at=started or timezone.now(),
        idempotency_owner=owner if key else "",
        idempotency_key=key,
        request_digest=digest if key else "",
    )
    ticket.question_enc = _seal(ticket, "question", question)
    if name:
        ticket.name_enc, ticket.name_masked = _seal(ticket, "name", name), mask_name(name)
    if phone:
        ticket.phone_enc, ticket.phone_masked = _seal(ticket, "phone", phone), mask_phone(phone)
    code = ""
    if asker is None:
        code = query_codes.new_query_code()
        ticket.tracking_code_digest = query_codes.query_code_digest(code)
        ticket.tracking_code_enc = _seal(ticket, "tracking_code", code)
    ticket.save(force_insert=True)
    _event(ticket, EventKind.CREATED, user, note=f"通过{Channel(channel).label}提出")
    _event(ticket, EventKind.ROUTED, user, organisation=target, note=f"分派至{target.name}")
    audit(
        "ticket.create",
        user if signed_in else None,
        organisation=target,
        subject=ticket,
        scope_path=target.path,
        detail={"channel": channel, "category": category, "region": place.code, "routed_to": target.name},
    )
    context = {"number": ticket.number, "organisation": target.name, "due": due_text(ticket), "code": code}
    if asker is not None:
        channels = [NotifyChannel.IN_APP, *([NotifyChannel.SMS] if wants_sms else [])]
        notify(
            asker, "consultation.received", context, channels=channels, related=ticket, link=link_of(ticket)
        )
    elif phone and wants_sms:
        notify_phone(phone, "consultation.received", context, scope_path=target.path, related=ticket)
    return Created(ticket, code)


def _int(value: Any) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return 0


def link_of(ticket: Ticket) -> str:
    return f"/consultations/{ticket.number}/"


# --- answer, transfer ---------------------------------------------------------------------------


def resolve_citations(citations: Any, answer: str = "") -> list[Cited]:
    """The articles an answer cites (see :mod:`~sifa.consultation.services.citations`); a 400 naming
    every citation the library does not hold."""
    if citations is not None and not isinstance(citations, str | list | tuple):
        raise invalid([problem("citations", "bad_citations", "引用条文应为文字列表，如“律师法第六条”")])
    errors: list[dict[str, str]] = []
    cited = resolve(as_list(citations), errors, also_in=answer)
    if errors:
        raise invalid(errors)
    return cited


@transaction.atomic
def answer(user: Any, ticket: Ticket | str, *, text: str, citations: Any = None) -> Ticket:
    """Answer an open ticket; the asker is told in the inbox and, if they asked, by SMS."""
    ticket = _lock(ticket)
    actor = actor_for(user)
    if not _staff_may(actor, ANSWER_ROLES, ticket.scope_path):
        if _staff_may(actor, QUEUE_ROLES, ticket.scope_path):
            raise Forbidden("只有承办机构或其上级的法律咨询人员可以答复", "consultation.not_consultant")
        raise NotFound("未找到该咨询工单", code="consultation.not_found")
    if ticket.status != TicketStatus.OPEN:
        raise Conflict("consultation.already_answered", "该咨询已答复，不能重复答复")
    text = _text(text)
    errors: list[dict[str, str]] = []
    if not ANSWER_MIN <= len(text) <= ANSWER_MAX:
        errors.append(problem("answer", "answer_length", f"答复应为{ANSWER_MIN}至{ANSWER_MAX}字"))
    _readable("answer", "答复", text, errors)
    if errors:
        raise invalid(errors)
    cited = resolve_citations(citations, text)
    now = timezone.now()
    ticket.answer_enc = _seal(ticket, "answer", text)
    ticket.answered_at, ticket.answered_by, ticket.status, ticket.updated_at = (
        now,
        user,
        TicketStatus.ANSWERED,
        now,
    )
    ticket.save(update_fields=["answer_enc", "answered_at", "answered_by", "status", "updated_at"])
    Citation.objects.bulk_create(
        Citation(
            ticket=ticket, statute_slug=c.statute_slug, article_key=c.article_key, label=c.label, position=i
        )
        for i, c in enumerate(cited)
    )
    organisation = _acting_organisation(actor, ticket, ANSWER_ROLES)
    _event(ticket, EventKind.ANSWERED, user, organisation=organisation, note=f"{organisation.name}答复")
    audit(
        "ticket.answer",
        user,
        organisation=organisation,
        subject=ticket,
        scope_path=ticket.scope_path,
        detail={"citations": [f"{c.statute_slug}/{c.article_key}" for c in cited]},
    )
    context = {"number": ticket.number, "organisation": organisation.name, "answer": text}
    if ticket.asker_id is not None:
        channels = [NotifyChannel.IN_APP, *([NotifyChannel.SMS] if ticket.wants_sms else [])]
        notify(
            ticket.asker,
            "consultation.answered",
            context,
            channels=channels,
            related=ticket,
            link=link_of(ticket),
        )
        if ticket.wants_sms and ticket.asker.phone_enc:
            _event(ticket, EventKind.SMS_SENT, note=f"短信告知答复（{ticket.asker.phone_masked}）")
    elif ticket.phone_enc and ticket.wants_sms:
        notify_phone(
            ticket.reveal_phone(),
            "consultation.answered",
            context,
            scope_path=ticket.scope_path,
            related=ticket,
        )
        _event(ticket, EventKind.SMS_SENT, note=f"短信告知答复（{ticket.phone_masked}）")
    return ticket


def _acting_organisation(actor: Actor, ticket: Ticket, roles: tuple[str, ...]) -> Organisation:
    """The organisation a staff member acts for on this ticket: their nearest one above it."""
    wanted = {str(r) for r in roles}
    grants = [m for m in actor.memberships if m[2] in wanted and ticket.scope_path.startswith(m[1])]
    if not grants:
        return ticket.organisation
    org_id = max(grants, key=lambda m: len(m[1]))[0]
    return Organisation.objects.get(pk=org_id)


@transaction.atomic
def transfer(user: Any, ticket: Ticket | str, *, organisation: Any, reason: str) -> Ticket:
    """Hand an open ticket to another organisation of the same province that can take it
    (``routing.takes_tickets``; else ``consultation.no_consultant``) (转办), with the reason.

    The time limit keeps counting from the day it was received: the asker is not made to wait
    longer because it moved.
    """
    ticket = _lock(ticket)
    actor = actor_for(user)
    if not _staff_may(actor, TRANSFER_ROLES, ticket.scope_path):
        raise NotFound("未找到该咨询工单", code="consultation.not_found")
    if ticket.status != TicketStatus.OPEN:
        raise Conflict("consultation.not_open", "已答复的咨询不能转办")
    reason = _text(reason)
    errors: list[dict[str, str]] = []
    target = Organisation.objects.filter(pk=_int(organisation), is_active=True).first()
    if target is None or target.kind not in routing.ANSWERING_KINDS:
        errors.append(problem("organisation", "bad_organisation", "请选择转办的机构"))
    elif target.pk == ticket.organisation_id:
        errors.append(problem("organisation", "same_organisation", "该咨询已由该机构承办，请选择其他机构"))
    elif not (
        target.path.startswith(_province_path(ticket.organisation))
        or _staff_may(actor, TRANSFER_ROLES, target.path)
    ):
        errors.append(problem("organisation", "other_province", "只能转办至本省（区、市）的机构"))
    elif not routing.takes_tickets(target):  # no one would answer it there
        errors.append(problem("organisation", "no_consultant", routing.no_taker(target)))
    if not 2 <= len(reason) <= 200:
        errors.append(problem("reason", "reason_required", "请填写转办理由（2至200字）"))
    _readable("reason", "转办理由", reason, errors)
    if errors:
        raise invalid(errors)
    source = ticket.organisation
    ticket.organisation, ticket.scope_path, ticket.updated_at = target, target.path, timezone.now()
    ticket.save(update_fields=["organisation", "scope_path", "updated_at"])
    note = f"由{source.name}转办至{target.name}：{reason}"
    _event(ticket, EventKind.TRANSFERRED, user, organisation=target, note=note)
    audit(
        "ticket.transfer",
        user,
        organisation=source,
        subject=ticket,
        scope_path=source.path,
        detail={"from": source.name, "to": target.name, "reason": reason},
    )
    return ticket


# --- rate, convert ------------------------------------------------------------------------------


@transaction.atomic
def rate(
    user: Any,
    ticket: Ticket | str,
    *,
    satisfaction: str,
    comment: str = "",
    channel: str = Channel.WEB,
    tracking_code: str = "",
    by_link: bool = False,
) -> Ticket:
    """Rate an answered ticket once: the signed-in asker, an anonymous asker with the tracking
    code, a consultant recording a caller's rating on the phone (channel hotline), or the caller
    following the rating link sent by SMS after the call (``by_link``: the evaluation app has
    verified the signed, single-use link for this ticket, which stands for the tracking code)."""
    ticket = _lock(ticket)
    signed_in = bool(getattr(user, "is_authenticated", False))
    actor = actor_for(user) if signed_in else None
    if by_link or (signed_in and ticket.asker_id == user.pk):
        pass
    elif actor is not None and actor.is_staff_actor and _staff_may(actor, QUEUE_ROLES, ticket.scope_path):
        if channel not in STAFF_CHANNELS:
            raise invalid(
                [problem("channel", "staff_rating_channel", "工作人员只能登记来电或来访群众的评价")]
            )
    elif (
        ticket.asker_id is None
        and tracking_code
        and query_codes.query_code_matches(tracking_code, ticket.tracking_code_digest)
    ):
        pass
    else:
        raise NotFound("未找到该咨询工单", code="consultation.not_found")
    if ticket.status == TicketStatus.OPEN:
        raise Conflict("consultation.not_answered", "咨询答复后才能评价")
    if ticket.status == TicketStatus.CLOSED:
        raise Conflict("consultation.already_rated", "该咨询已评价，每次咨询只能评价一次")
    comment = _text(comment)
    errors: list[dict[str, str]] = []
    if satisfaction not in Satisfaction.values:
        errors.append(problem("satisfaction", "bad_satisfaction", "请选择满意程度"))
    if channel not in Channel.values:
        errors.append(problem("channel", "bad_channel", "渠道应为 web、hotline、hall、wechat 或 weibo"))
    if len(comment) > 500:
        errors.append(problem("comment", "comment_length", "评价意见不能超过500字"))
    _readable("comment", "评价意见", comment, errors)
    if errors:
        raise invalid(errors)
    now = timezone.now()
    ticket.satisfaction, ticket.rating_comment, ticket.rating_channel = satisfaction, comment, channel
    ticket.rated_at, ticket.status, ticket.updated_at = now, TicketStatus.CLOSED, now
    ticket.save(
        update_fields=["satisfaction", "rating_comment", "rating_channel", "rated_at", "status", "updated_at"]
    )
    _event(ticket, EventKind.RATED, user if signed_in else None, note=Satisfaction(satisfaction).label)
    audit(
        "ticket.rate",
        user if signed_in else None,
        organisation=ticket.organisation,
        subject=ticket,
        scope_path=ticket.scope_path,
        detail={"satisfaction": satisfaction, "channel": channel},
    )
    ticket_rated.send(
        sender=Ticket,
        ticket=ticket,
        satisfaction=satisfaction,
        channel=channel,
        comment=comment,
        user=user if signed_in else None,
    )
    return ticket


def _entry_for(kind: str, ticket: Ticket) -> ImplementationEntry:
    item_name, org_kind = CONVERTIBLE[kind]
    region = ticket.region
    places = [region.code]
    if org_kind == OrganisationKind.LEGAL_AID_CENTRE:
        places = [routing.county_of(region).code]
    entry = (
        ImplementationEntry.objects.filter(
            item__name=item_name,
            organisation__kind=org_kind,
            organisation__region_id__in=places,
            organisation__is_active=True,
        )
        .select_related("version", "item", "accepting_organisation")
        .order_by("organisation__path")
        .first()
    )
    if entry is None:
        where = (
            "所在乡镇（街道）司法所"
            if org_kind == OrganisationKind.JUDICIAL_OFFICE
            else "所在县（区）法律援助中心"
        )
        raise Conflict(
            "consultation.no_entry",
            f"{where}尚未在平台开通“{item_name}”，请在服务事项中选择办理机构后申请",
        )
    return entry


def conversion_options(ticket: Ticket) -> dict[str, str]:
    """Each kind a consultation can become, with "" when the asker's place has an organisation
    offering it, else why not (the message :func:`convert` would refuse with): a page offers only
    what works."""
    options: dict[str, str] = {}
    for kind in CONVERTIBLE:
        try:
            _entry_for(kind, ticket)
        except ServiceError as exc:
            options[kind] = exc.message
        else:
            options[kind] = ""
    return options


def _prefill(kind: str, user: User, ticket: Ticket) -> dict[str, Any]:
    question = ticket.reveal_question()[:2000]
    data: dict[str, Any] = {}
    if user.display_name:
        data["applicant_name"] = user.display_name[:50]
    phone = user.reveal_phone() if user.phone_enc else ""
    if phone:
        data["phone"] = phone
    if kind == "legal_aid":
        data["facts"] = question
        data["case_kind"] = {Category.CRIMINAL: "criminal", Category.ADMINISTRATIVE: "administrative"}.get(
            ticket.category, "civil"
        )
    else:
        data["dispute"] = question
    return data


@transaction.atomic
def convert(user: Any, ticket: Ticket | str, *, kind: str) -> Application:
    """Turn the asker's consultation into a legal-aid or mediation draft, prefilled from it, at the
    organisation of the asker's place. A second call returns the same draft."""
    ticket = _lock(ticket)
    if not getattr(user, "is_authenticated", False) or ticket.asker_id != user.pk:
        raise NotFound("未找到该咨询工单", code="consultation.not_found")
    if kind not in CONVERTIBLE:
        raise invalid(
            [problem("kind", "bad_kind", "只能转为法律援助申请（legal_aid）或人民调解申请（mediation）")]
        )
    if ticket.application_id is not None:
        existing = ticket.application
        if existing is not None and existing.entry.item.name == CONVERTIBLE[kind][0]:
            return existing
        raise Conflict("consultation.already_converted", "该咨询已转为申请，请在“我的办件”中继续办理")
    entry = _entry_for(kind, ticket)
    application = start_draft(entry, actor=user, form_data=_prefill(kind, user, ticket))
    ticket.application, ticket.updated_at = application, timezone.now()
    ticket.save(update_fields=["application", "updated_at"])
    _event(
        ticket,
        EventKind.CONVERTED,
        user,
        organisation=entry.accepting_organisation,
        note=f"转为{entry.item.name}",
    )
    audit(
        "ticket.convert",
        user,
        organisation=entry.accepting_organisation,
        subject=ticket,
        scope_path=ticket.scope_path,
        detail={"kind": kind, "application": str(application.pk), "entry": entry.implementation_code},
    )
    return application
