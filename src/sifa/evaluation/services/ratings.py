"""Ratings (好差评): a person rates a service they received, once.

Who may rate what (docs/evaluation.md, "Who rates"):

* **application** (办件): its applicant, once it is delivered (已送达) or refused (不予受理, 不予许可);
* **consultation**, **visit**, **call** (咨询工单 from the web, the service hall, the 12348 hotline):
  the signed-in asker once it is answered. A visit or a call without such a ticket (the clerk or
  the operator recorded it, nobody signed in asked) is rated with its rating link's token
  (:func:`sifa.evaluation.services.links.rate_with_token`); without one it is 400
  ``evaluation.token_required``. The ticket's own rating is the one command
  (:func:`sifa.consultation.services.rate`); its ``ticket_rated`` signal makes the rating here
  (:func:`record_ticket_rating`), also when a hotline operator records a caller's rating or an
  anonymous asker rates with the tracking code.

A 差评 (不满意 / 非常不满意) opens a rectification in the same transaction
(:mod:`sifa.evaluation.services.rectifications`).
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from sifa.applications.models import Application, ApplicationStatus
from sifa.consultation import services as consultation
from sifa.consultation.models import Channel as TicketChannel
from sifa.consultation.models import Ticket
from sifa.core.errors import Conflict, NotFound, ServiceError
from sifa.evaluation.models import Channel, Level, Rating, SubjectKind, level_of
from sifa.evaluation.services.common import audit, check_text, invalid, problem, text
from sifa.evaluation.services.rectifications import open_rectification

RATEABLE_STATUSES = (ApplicationStatus.DELIVERED, ApplicationStatus.NOT_ACCEPTED, ApplicationStatus.DENIED)
"""An application is rated once delivered or refused (不予受理; 不予许可 before its delivery)."""

COMMENT_MAX = 500

LINK_SUBJECTS = (SubjectKind.VISIT, SubjectKind.CALL)
"""What a rating link (评价邀请) is issued for: rated with the link's token, no account needed."""

TICKET_KIND = {TicketChannel.HALL: SubjectKind.VISIT, TicketChannel.HOTLINE: SubjectKind.CALL}
"""A ticket from the hall is a window visit, from the hotline a call; the rest are consultations."""

TICKET_CHANNEL = {
    TicketChannel.WEB: Channel.WEB,
    TicketChannel.HOTLINE: Channel.HOTLINE,
    TicketChannel.HALL: Channel.WINDOW_TERMINAL,
    TicketChannel.WECHAT: Channel.APP,
    TicketChannel.WEIBO: Channel.APP,
}
"""The rating channel of a consultation rated on one of its own channels."""

RATING_CHANNEL = {
    Channel.WEB: TicketChannel.WEB,
    Channel.APP: TicketChannel.WECHAT,
    Channel.QR: TicketChannel.WEB,
    Channel.WINDOW_TABLET: TicketChannel.WEB,
    Channel.WINDOW_TERMINAL: TicketChannel.WEB,
    Channel.SMS: TicketChannel.WEB,
    Channel.HOTLINE: TicketChannel.WEB,
}
"""What a person's own rating of a consultation tells the ticket (the asker's channels only; the
rating here keeps the exact channel)."""


def _not_found() -> NotFound:
    return NotFound("未找到可评价的办件或咨询", code="evaluation.not_found")


def token_required() -> ServiceError:
    return invalid(
        [
            problem(
                "token",
                "token_required",
                "评价窗口来访或热线来电，请填写评价链接中的评价码（token：短信或评价器链接中 /rate/ 之后的部分）",
            )
        ]
    )


def _already() -> Conflict:
    return Conflict("evaluation.already_rated", "您已评价过该服务，每项服务只能评价一次")


def ticket_kind(ticket: Ticket) -> str:
    return TICKET_KIND.get(ticket.channel, SubjectKind.CONSULTATION)


def rate(
    user: Any, *, subject: str, number: str, level: str, channel: str = Channel.WEB, comment: str = ""
) -> Rating:
    """Rate one service as its applicant or asker. Bad input is 400 (every problem listed), a case
    that is not the caller's 404, a second rating 409 ``evaluation.already_rated``."""
    if not getattr(user, "is_authenticated", False):
        raise _not_found()
    subject, number, channel, comment = text(subject), text(number).upper(), text(channel), text(comment)
    errors: list[dict[str, str]] = []
    if subject not in SubjectKind.values:
        errors.append(
            problem("subject", "bad_subject", "评价对象应为 application、consultation、visit 或 call")
        )
    key = level_of(level)
    if key is None:
        errors.append(problem("level", "bad_level", "满意度应为非常满意、满意、基本满意、不满意或非常不满意"))
    if channel not in Channel.values:
        errors.append(problem("channel", "bad_channel", f"评价渠道应为 {'、'.join(Channel.values)}"))
    check_text("comment", "文字评价", comment, errors, low=0, high=COMMENT_MAX, code="comment_length")
    if not number or len(number) > 50 or not number.isalnum():
        errors.append(problem("number", "bad_number", "请填写办件编号或工单编号"))
    if errors:
        raise invalid(errors)
    if subject == SubjectKind.APPLICATION:
        return _rate_application(user, number, key, channel, comment)
    return _rate_ticket(user, subject, number, key, channel, comment)


@transaction.atomic
def _rate_application(user: Any, number: str, level: str, channel: str, comment: str) -> Rating:
    application = (
        Application.objects.select_for_update(of=("self",))
        .filter(number=number, applicant_id=user.pk)
        .select_related("entry__item", "accepting_organisation")
        .first()
    )
    if application is None:
        raise _not_found()
    if application.is_mock:
        # A 模拟办件 is the inspection's own test: its handling is scored by the inspector
        # (sifa.inspections), never counted in 好差评. Only the test applicant can get here.
        raise Conflict("evaluation.mock_application", "模拟办件不参与好差评，其办理情况由督查人员评分")
    if application.status not in RATEABLE_STATUSES:
        raise Conflict("evaluation.not_finished", "办件办结（送达）或不予受理后才能评价")
    if Rating.objects.filter(subject_kind=SubjectKind.APPLICATION, number=number, rater=user).exists():
        raise _already()
    return record(
        subject_kind=SubjectKind.APPLICATION,
        number=number,
        organisation=application.accepting_organisation,
        item_code=application.entry.item.basic_code,
        stage=application.get_status_display(),
        level=level,
        channel=channel,
        comment=comment,
        rater=user,
        rater_named=True,
        actor=user,
    )


def _rate_ticket(user: Any, subject: str, number: str, level: str, channel: str, comment: str) -> Rating:
    ticket = Ticket.objects.filter(number=number, asker_id=user.pk).first()
    if ticket is None and subject in LINK_SUBJECTS:
        raise token_required()  # a visit or a call nobody signed in asked: rated by its link
    if ticket is None or ticket_kind(ticket) != subject:
        raise _not_found()
    if Rating.objects.filter(subject_kind=subject, number=number, rater=user).exists():
        raise _already()
    with transaction.atomic():
        # The ticket's rating is the one command; its signal writes the rating (record_ticket_rating).
        consultation.rate(user, number, satisfaction=level, comment=comment, channel=RATING_CHANNEL[channel])
        rating = Rating.objects.select_for_update().get(subject_kind=subject, number=number, rater=user)
        if rating.channel != channel:
            rating.channel = channel
            rating.save(update_fields=["channel"])
    return rating


def record_ticket_rating(
    sender: Any,
    *,
    ticket: Ticket,
    satisfaction: str,
    channel: str,
    comment: str = "",
    user: Any = None,
    **_: Any,
) -> Rating:
    """The receiver of ``consultation.signals.ticket_rated``: the ticket's rating, here too (inside
    the consultation's transaction). The rater is the asker (None for an anonymous one, who is
    still named when they left a phone number: they can be called back)."""
    kind = ticket_kind(ticket)
    existing = Rating.objects.filter(
        subject_kind=kind, number=ticket.number, rater_id=ticket.asker_id
    ).first()
    if existing is not None:
        return existing
    return record(
        subject_kind=kind,
        number=ticket.number,
        organisation=ticket.organisation,
        item_code="",
        stage="答复",
        staff_member=ticket.answered_by,
        level=satisfaction,
        channel=TICKET_CHANNEL.get(channel, Channel.WEB),
        comment=comment,
        rater=ticket.asker,
        rater_named=ticket.asker_id is not None or bool(ticket.phone_enc),
        actor=user,
    )


def record(
    *,
    subject_kind: str,
    number: str,
    organisation: Any,
    level: str,
    channel: str,
    rater: Any,
    rater_named: bool,
    actor: Any,
    item_code: str = "",
    stage: str = "",
    staff_member: Any = None,
    comment: str = "",
    back_entry: dict[str, Any] | None = None,
) -> Rating:
    """Write one rating (and its rectification when it is a 差评), audited; the caller checked who
    rates what. A concurrent second rating of the same subject by the same rater is 409.

    ``back_entry`` (离线补录, :mod:`sifa.evaluation.services.back_entry`): ``rated_at`` (the card's
    time, which the rating keeps and the rectification's deadline counts from), ``source``,
    ``card_number`` and ``collected_on``; the audit event is written now and says so."""
    now = timezone.now()
    entry = back_entry or {}
    try:
        with transaction.atomic():
            rating = Rating.objects.create(
                subject_kind=subject_kind,
                number=number,
                organisation=organisation,
                scope_path=organisation.path,
                item_code=item_code,
                stage=stage[:60],
                staff_member=staff_member,
                level=level,
                channel=channel,
                comment=comment[:COMMENT_MAX],
                rater=rater,
                rater_named=rater_named,
                created_at=entry.get("rated_at") or now,
                entry_source=entry.get("source", ""),
                card_number=entry.get("card_number", ""),
                entered_by=actor if entry else None,
                entered_at=now if entry else None,
            )
    except IntegrityError as clash:
        raise _already() from clash
    detail: dict[str, Any] = {"subject": subject_kind, "number": number, "level": level, "channel": channel}
    if entry:
        detail["back_entry"] = {
            "collected_on": entry["collected_on"].isoformat(),
            "source": entry["source"],
            "card_number": entry["card_number"],
        }
    audit(
        "rating.create",
        actor,
        organisation=organisation,
        subject=rating,
        scope_path=rating.scope_path,
        detail=detail,
    )
    if rating.is_bad:
        open_rectification(rating)
    return rating


__all__ = [
    "COMMENT_MAX",
    "RATEABLE_STATUSES",
    "Level",
    "rate",
    "record",
    "record_ticket_rating",
    "ticket_kind",
]
