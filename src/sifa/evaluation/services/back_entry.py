"""离线补录: a window clerk enters a window-visit rating collected earlier, while the system could
not take it — a paper 评价卡 filled in at the hall, or a record the counter's 评价器 kept offline.

The rating is the visit's, as of the card's date: ``Rating.created_at`` is that date (at noon,
Asia/Shanghai — a card carries a date, not a time; today's card never later than now), so the
statistics count it in its month and a 差评's rectification has its deadlines counted from it on
the working-day calendar. Nothing is back-dated in the trail: the rating records who entered it
and when (``entered_by``, ``entered_at``), and its audit event is written now with the card's
date, source and number in its detail.

Bounds: the card's date is not in the future and at most :data:`BACK_ENTRY_DAYS` days old. A card
(its number, per organisation and source) is entered once: a second entry is 409
``evaluation.already_entered``. Only window clerks (``Role.WINDOW_CLERK``) of the organisation
enter its cards (403 otherwise), like the links they issue (:func:`invite_visit`).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db import transaction
from django.utils import timezone

from sifa.applications.services.numbers import next_in_sequence, region_code_of
from sifa.core.errors import Conflict, Forbidden
from sifa.evaluation.models import ENTRY_CHANNEL, EntrySource, Rating, SubjectKind, level_of
from sifa.evaluation.services.common import check_text, invalid, problem, text
from sifa.evaluation.services.links import VISIT_ROLES, VISIT_STAGE
from sifa.evaluation.services.ratings import COMMENT_MAX, record
from sifa.organisations.models import Organisation
from sifa.organisations.scope import actor_for

BACK_ENTRY_DAYS = 60
"""How old a card may be when it is entered (Sifa's policy: two months covers a hall's offline
spell and the monthly collection of its card box; older cards are not entered)."""
CARD_NUMBER_RE = re.compile(r"^[0-9A-Za-z-]{1,40}$")


def _date(value: Any, errors: list[dict[str, str]]) -> dt.date | None:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(text(value))
    except ValueError:
        errors.append(problem("collected_on", "bad_date", "请填写评价卡上的日期，如 2026-11-20"))
        return None


def earliest(today: dt.date | None = None) -> dt.date:
    """The oldest card date that may still be entered today."""
    return (today or timezone.localdate()) - dt.timedelta(days=BACK_ENTRY_DAYS)


def _window(user: Any, organisation: Any) -> Organisation:
    grants = [m for m in actor_for(user).memberships if m[2] in {str(r) for r in VISIT_ROLES}]
    if not grants:
        raise Forbidden("只有窗口工作人员可以补录评价", "evaluation.not_allowed")
    if organisation not in (None, ""):
        grants = [m for m in grants if str(m[0]) == str(getattr(organisation, "pk", organisation))]
        if not grants:
            raise Forbidden("您不是该机构的窗口工作人员，不能补录其评价", "evaluation.not_allowed")
    return Organisation.objects.select_related("region").get(pk=grants[0][0])


@transaction.atomic
def enter_card(
    user: Any,
    *,
    collected_on: Any,
    source: str,
    card_number: str,
    level: str,
    comment: str = "",
    organisation: Any = None,
) -> Rating:
    """Enter a window-visit rating collected on ``collected_on`` (a paper card or an offline 评价器
    record, ``source``). 400 names every problem; 403 outside the clerk's windows; 409 for a card
    entered before."""
    window = _window(user, organisation)
    source, card_number, comment = text(source), text(card_number).upper(), text(comment)
    errors: list[dict[str, str]] = []
    if source not in EntrySource.values:
        errors.append(problem("source", "bad_source", "请选择补录来源：评价器离线记录或纸质评价卡"))
    if not CARD_NUMBER_RE.match(card_number):
        errors.append(
            problem("card_number", "bad_card_number", "请填写评价卡编号（1至40位字母、数字或连字符）")
        )
    key = level_of(level)
    if key is None:
        errors.append(problem("level", "bad_level", "请选择评价卡上的满意程度"))
    check_text("comment", "文字评价", comment, errors, low=0, high=COMMENT_MAX, code="comment_length")
    day = _date(collected_on, errors)
    today = timezone.localdate()
    if day is not None and day > today:
        errors.append(problem("collected_on", "future_date", "评价卡上的日期不能晚于今天"))
    elif day is not None and day < earliest(today):
        errors.append(
            problem(
                "collected_on",
                "too_old",
                f"只能补录{BACK_ENTRY_DAYS}天内收集的评价（{earliest(today):%Y年%-m月%-d日}及以后）",
            )
        )
    if errors:
        raise invalid(errors)
    if Rating.objects.filter(organisation=window, entry_source=source, card_number=card_number).exists():
        raise Conflict("evaluation.already_entered", f"编号为 {card_number} 的评价卡已经补录，不能重复补录")
    local = timezone.get_current_timezone()
    rated_at = min(dt.datetime.combine(day, dt.time(12), tzinfo=local), timezone.now())
    prefix = f"CK{region_code_of(window)}{day:%Y%m%d}"
    return record(
        subject_kind=SubjectKind.VISIT,
        number=f"{prefix}{next_in_sequence(prefix):06d}",
        organisation=window,
        stage=VISIT_STAGE,
        level=key,
        channel=ENTRY_CHANNEL[EntrySource(source)],
        comment=comment,
        rater=None,
        rater_named=False,
        actor=user,
        back_entry={
            "rated_at": rated_at,
            "collected_on": day,
            "source": source,
            "card_number": card_number,
        },
    )


__all__ = ["BACK_ENTRY_DAYS", "earliest", "enter_card"]
