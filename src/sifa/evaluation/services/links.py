"""Rating links (评价邀请): rating a window visit or a hotline call without an account.

* **Window visit** (窗口来访): after serving someone at the counter, the window clerk issues a link
  for the visit (a 来访编号 ``CK`` + region + date + sequence is given to it). The person rates on
  the counter's 评价器 (channel ``window_tablet``: the clerk opens the link on the counter device)
  or gets it by SMS (channel ``sms``; the number is used to send it and is not kept here). The
  rater stays anonymous: nobody can call them back.
* **Hotline call** (12348 来电): every call the hotline records is a ticket
  (:mod:`sifa.consultation`); once answered, the operator sends the caller the link by SMS to the
  number recorded on the ticket. The ticket's rating stays the one command
  (:func:`sifa.consultation.services.rate`, ``by_link``), so the rating here comes through its
  ``ticket_rated`` signal, named when the caller left a number.

The link carries a token of 28 characters (so the SMS fits one segment): 96 random bits and an
HMAC of them (``SECRET_KEY``, a salt of its own); only a keyed digest of the token (HMAC-SM3) is
kept. A forged or altered token is rejected before any lookup; an expired one (``LINK_VALID``) or one already used is refused with a
clear Chinese message. Issuing a new link for the same service withdraws the earlier ones; the
service is rated once (a second try is 409).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from base64 import urlsafe_b64encode
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from sifa.applications.services.numbers import next_in_sequence, region_code_of
from sifa.consultation import services as consultation
from sifa.consultation.models import Channel as TicketChannel
from sifa.consultation.models import Ticket, TicketStatus
from sifa.consultation.services.tickets import normalise_phone
from sifa.core.crypto import field_cipher
from sifa.core.errors import Conflict, Forbidden, NotFound, ServiceError
from sifa.evaluation.models import Channel, Rating, RatingLink, SubjectKind, level_of
from sifa.evaluation.services.common import audit, check_text, invalid, problem, text
from sifa.evaluation.services.ratings import (
    COMMENT_MAX,
    LINK_SUBJECTS,
    RATING_CHANNEL,
    record,
    token_required,
)
from sifa.notifications.services import notify_phone
from sifa.organisations.models import Organisation, Role
from sifa.organisations.scope import actor_for

SALT = "sifa.evaluation.rating-link"
RANDOM_BYTES = 12
"""96 random bits: a link cannot be guessed (16 characters)."""
MAC_BYTES = 9
"""72 bits of HMAC-SHA256 over the random part (12 characters): a forged token is refused unseen."""
DIGEST_PURPOSE = "evaluation.rating_link"
LINK_VALID = {Channel.WINDOW_TABLET: dt.timedelta(hours=2), Channel.SMS: dt.timedelta(days=7)}
"""How long a link may be used: on the counter device while the person is at the window (2 hours),
by SMS a week (Sifa's policy, not a national rule)."""
VISIT_ROLES = (Role.WINDOW_CLERK,)
CALL_ROLES = (Role.CONSULTANT, Role.SUPERVISOR)
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
VISIT_STAGE = "窗口受理"
CALL_STAGE = "12348热线答复"


@dataclass(frozen=True)
class Issued:
    link: RatingLink
    token: str

    @property
    def path(self) -> str:
        return path_of(self.token)


def path_of(token: str) -> str:
    return f"/rate/{token}/"


def _mac(body: str) -> str:
    return urlsafe_b64encode(salted_hmac(SALT, body, algorithm="sha256").digest()[:MAC_BYTES]).decode()


def new_token() -> str:
    """A random body and its HMAC (``SECRET_KEY``, salted): short enough for one SMS segment."""
    body = urlsafe_b64encode(secrets.token_bytes(RANDOM_BYTES)).decode()
    return body + _mac(body)


def signed(token: str) -> bool:
    """Whether the token carries a valid signature (checked before any lookup)."""
    body_length = len(urlsafe_b64encode(bytes(RANDOM_BYTES)))
    if len(token) != body_length + len(urlsafe_b64encode(bytes(MAC_BYTES))):
        return False
    return constant_time_compare(_mac(token[:body_length]), token[body_length:])


def _digest(token: str) -> str:
    return field_cipher().blind_index(token, DIGEST_PURPOSE)


def _invalid_link() -> NotFound:
    return NotFound(
        "评价链接无效，请核对短信中的链接，或向窗口工作人员索取新的评价链接", code="evaluation.link_invalid"
    )


def _expired() -> ServiceError:
    return ServiceError(
        "evaluation.link_expired", "评价链接已过期，如需评价，请向窗口或12348热线索取新的评价链接", status=410
    )


def _used() -> Conflict:
    return Conflict("evaluation.already_rated", "该服务已评价，每项服务只能评价一次，感谢您的评价")


def _new(
    *,
    subject_kind: str,
    number: str,
    organisation: Organisation,
    channel: str,
    staff_member: Any,
    stage: str,
    item_code: str = "",
) -> Issued:
    now = timezone.now()
    RatingLink.objects.filter(
        subject_kind=subject_kind, number=number, used_at__isnull=True, withdrawn_at__isnull=True
    ).update(withdrawn_at=now)
    token = new_token()
    link = RatingLink.objects.create(
        subject_kind=subject_kind,
        number=number,
        organisation=organisation,
        scope_path=organisation.path,
        item_code=item_code,
        stage=stage,
        staff_member=staff_member,
        channel=channel,
        token_digest=_digest(token),
        expires_at=now + LINK_VALID[Channel(channel)],
        created_at=now,
    )
    return Issued(link, token)


def _full_url(path: str) -> str:
    return f"{settings.PUBLIC_URL}{path}"


def _check_phone(phone: str) -> None:
    if not PHONE_RE.match(phone):
        raise invalid([problem("phone", "bad_phone", "请填写11位手机号码，用于发送评价短信")])


@transaction.atomic
def invite_visit(user: Any, *, channel: str, phone: str = "", organisation: Any = None) -> Issued:
    """The window clerk's link for the visit they have just served: on the counter device
    (``window_tablet``) or by SMS to ``phone``. A new 来访编号 is given to the visit."""
    actor = actor_for(user)
    grants = [m for m in actor.memberships if m[2] in {str(r) for r in VISIT_ROLES}]
    if not grants:
        raise Forbidden("只有窗口工作人员可以邀请来访群众评价", "evaluation.not_allowed")
    if organisation is not None:
        grants = [m for m in grants if str(m[0]) == str(getattr(organisation, "pk", organisation))]
        if not grants:
            raise Forbidden("您不是该机构的窗口工作人员", "evaluation.not_allowed")
    channel, phone = text(channel), normalise_phone(phone)
    if channel not in (Channel.WINDOW_TABLET, Channel.SMS):
        raise invalid([problem("channel", "bad_channel", "请选择在评价器上评价或发送评价短信")])
    if channel == Channel.SMS:
        _check_phone(phone)
    window = Organisation.objects.select_related("region").get(pk=grants[0][0])
    today = timezone.localdate()
    prefix = f"CK{region_code_of(window)}{today:%Y%m%d}"
    number = f"{prefix}{next_in_sequence(prefix):06d}"
    issued = _new(
        subject_kind=SubjectKind.VISIT,
        number=number,
        organisation=window,
        channel=channel,
        staff_member=user,
        stage=VISIT_STAGE,
    )
    if channel == Channel.SMS:
        notify_phone(
            phone,
            "evaluation.rate_link",
            {"organisation": window.name, "url": _full_url(issued.path)},
            scope_path=window.path,
            related=("evaluation.ratinglink", str(issued.link.pk)),
        )
    _audit_issue(user, issued)
    return issued


@transaction.atomic
def invite_call(user: Any, number: str) -> Issued:
    """The operator's SMS link after a 12348 call (a hotline ticket, answered, not yet rated, with
    the caller's number), sent to the number on the ticket."""
    actor = actor_for(user)
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .filter(number=text(number).upper(), channel=TicketChannel.HOTLINE)
        .select_related("organisation")
        .first()
    )
    may = ticket is not None and any(ticket.scope_path.startswith(p) for p in actor.paths_for(CALL_ROLES))
    if not may:
        raise NotFound("未找到该热线来电工单", code="evaluation.not_found")
    if ticket.status == TicketStatus.OPEN:
        raise Conflict("evaluation.not_finished", "来电答复后才能邀请评价")
    if ticket.status == TicketStatus.CLOSED:
        raise _used()
    phone = ticket.reveal_phone()
    if not PHONE_RE.match(phone):
        raise Conflict("evaluation.no_mobile", "该来电没有登记手机号码，无法发送评价短信")
    issued = _new(
        subject_kind=SubjectKind.CALL,
        number=ticket.number,
        organisation=ticket.organisation,
        channel=Channel.SMS,
        staff_member=ticket.answered_by,
        stage=CALL_STAGE,
    )
    notify_phone(
        phone,
        "evaluation.rate_link",
        {"organisation": "12348公共法律服务热线", "url": _full_url(issued.path)},
        scope_path=ticket.scope_path,
        related=("evaluation.ratinglink", str(issued.link.pk)),
    )
    _audit_issue(user, issued)
    return issued


def issue_link(
    user: Any, *, subject: str, number: str = "", channel: str = "", phone: str = "", organisation: Any = None
) -> Issued:
    """One entry for both invitations (the staff API): ``visit`` → :func:`invite_visit` (a new
    来访编号; ``window_tablet`` by default, or ``sms`` to ``phone``), ``call`` → :func:`invite_call`
    (the hotline ticket ``number``, by SMS). Applications and consultations are rated by their own
    applicant or asker, never by a link: 400."""
    subject, number, channel = text(subject), text(number), text(channel)
    if subject == SubjectKind.VISIT:
        if number:
            raise invalid([problem("number", "bad_number", "窗口来访的来访编号由系统生成，不用填写")])
        return invite_visit(
            user, channel=channel or Channel.WINDOW_TABLET, phone=phone, organisation=organisation
        )
    if subject == SubjectKind.CALL:
        errors = []
        if not number or len(number) > 50:
            errors.append(problem("number", "bad_number", "请填写热线来电的工单编号"))
        if channel not in ("", Channel.SMS):
            errors.append(problem("channel", "bad_channel", "热线来电的评价链接只能通过短信发送"))
        if organisation not in (None, ""):
            errors.append(
                problem("organisation", "bad_organisation", "热线来电的责任机构即工单的办理机构，不用填写")
            )
        if errors:
            raise invalid(errors)
        return invite_call(user, number)
    raise invalid(
        [
            problem(
                "subject",
                "bad_subject",
                "只能为窗口来访（visit）或热线来电（call）发送评价邀请；办件和法律咨询由申请人或咨询人本人评价",
            )
        ]
    )


def _audit_issue(user: Any, issued: Issued) -> None:
    link = issued.link
    audit(
        "link.issue",
        user,
        organisation=link.organisation,
        subject=link,
        scope_path=link.scope_path,
        detail={"subject": link.subject_kind, "number": link.number, "channel": link.channel},
    )


def _find(
    token: str, *, lock: bool = False, subject: str | None = None, number: str | None = None
) -> RatingLink:
    """The usable link of ``token``; with ``subject`` and ``number`` (the API) only if it is that
    service's link — another service's token is as unknown (404), whatever its state."""
    token = text(token)
    if not signed(token):
        raise _invalid_link()
    rows = RatingLink.objects.filter(token_digest=_digest(token)).select_related("organisation")
    if lock:
        rows = rows.select_for_update(of=("self",))
    link = rows.first()
    if link is None or (subject is not None and (link.subject_kind, link.number) != (subject, number)):
        raise _invalid_link()
    if link.used_at is not None:
        raise _used()
    if link.withdrawn_at is not None:
        raise ServiceError(
            "evaluation.link_withdrawn", "该评价链接已作废，请使用最新收到的评价链接", status=410
        )
    if link.expires_at <= timezone.now():
        raise _expired()
    return link


def open_link(token: str) -> RatingLink:
    """The link behind a token, if it may still be used (else the refusal, with its message)."""
    return _find(token)


@transaction.atomic
def rate_by_link(
    token: str, *, level: str, comment: str = "", subject: str | None = None, number: str | None = None
) -> Rating:
    """Rate the visit or call of a link, once; the link is used up in the same transaction. With
    ``subject`` and ``number`` (:func:`rate_with_token`) the token must be that service's link."""
    link = _find(token, lock=True, subject=subject, number=number)
    comment = text(comment)
    errors: list[dict[str, str]] = []
    key = level_of(level)
    if key is None:
        errors.append(problem("level", "bad_level", "请选择您对本次服务的满意程度"))
    check_text("comment", "文字评价", comment, errors, low=0, high=COMMENT_MAX, code="comment_length")
    if errors:
        raise invalid(errors)
    if Rating.objects.filter(subject_kind=link.subject_kind, number=link.number).exists():
        raise _used()
    if link.subject_kind == SubjectKind.CALL:
        consultation.rate(
            None,
            link.number,
            satisfaction=key,
            comment=comment,
            channel=RATING_CHANNEL[link.channel],
            by_link=True,
        )
        rating = Rating.objects.select_for_update().get(subject_kind=link.subject_kind, number=link.number)
        if rating.channel != link.channel:
            rating.channel = link.channel
            rating.save(update_fields=["channel"])
    else:
        rating = record(
            subject_kind=link.subject_kind,
            number=link.number,
            organisation=link.organisation,
            item_code=link.item_code,
            stage=link.stage,
            staff_member=link.staff_member,
            level=key,
            channel=link.channel,
            comment=comment,
            rater=None,
            rater_named=False,
            actor=None,
        )
    link.used_at, link.rating = timezone.now(), rating
    link.save(update_fields=["used_at", "rating"])
    audit(
        "link.use",
        None,
        organisation=link.organisation,
        subject=link,
        scope_path=link.scope_path,
        detail={"rating": rating.pk, "channel": link.channel},
    )
    return rating


def rate_with_token(*, subject: str, number: str, token: str, level: str, comment: str = "") -> Rating:
    """``POST /api/v1/ratings/`` for a window visit or a 12348 call: the token of its rating link
    (the part of the SMS or 评价器 link after ``/rate/``) stands for the rater, who need not be
    signed in. The link page's checks, rating and audit (:func:`rate_by_link`); a token of another
    service is 404 ``evaluation.link_invalid``, no token 400 ``evaluation.token_required``, a token
    with an application or a consultation 400 ``evaluation.token_unexpected``."""
    subject, number, token = text(subject), text(number).upper(), text(token)
    if subject not in LINK_SUBJECTS:
        raise invalid(
            [
                problem(
                    "token",
                    "token_unexpected",
                    "办件和法律咨询由申请人或咨询人本人登录后评价，不使用评价链接的评价码",
                )
            ]
        )
    if not token:
        raise token_required()
    return rate_by_link(token, level=level, comment=comment, subject=subject, number=number)


__all__ = [
    "LINK_VALID",
    "Issued",
    "invite_call",
    "invite_visit",
    "issue_link",
    "open_link",
    "path_of",
    "rate_by_link",
    "rate_with_token",
]
