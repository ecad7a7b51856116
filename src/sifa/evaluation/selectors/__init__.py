"""Reads of 好差评, scoped in SQL (``sifa.organisations.scope.scoped``) except the public statistics,
which are counts only.

* :func:`ratings` — staff: the ratings of their jurisdiction; a rater: their own. The staff member a
  rating names is shown to supervisors only (:func:`rating_out`); the rater is never named, only
  whether the rating is named (实名) — 评价人信息保护.
* :func:`rectifications` — staff: the rectifications of their jurisdiction, by tab (:data:`TABS`).
* :func:`my_rating` — a rater: their own rating of one service (with its rectification), for the
  citizen's case page.
* :func:`public_statistics` — anyone: counts per level, satisfaction rate and rectification rate
  of an organisation's subtree (or the whole platform) for a month; ratings set aside are not
  counted.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from sifa.core.errors import ServiceError
from sifa.evaluation.models import (
    BAD_LEVELS,
    GOOD_LEVELS,
    Level,
    Rating,
    Rectification,
    RectificationStatus,
    channel_code,
    gbt39046_code,
    provincial_code,
)
from sifa.organisations.models import Organisation, Role
from sifa.organisations.scope import Actor, scoped

PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})$")
SUPERVISOR_ROLES = (Role.SUPERVISOR,)

TABS = {
    "open": "待整改",
    "overdue": "已逾期",
    "escalated": "逾期升级",
    "appealed": "申诉中",
    "reported": "已反馈",
    "closed": "已办结",
    "set_aside": "差评已撤销",
    "all": "全部",
}


def _bad(code: str, message: str, field: str) -> ServiceError:
    return ServiceError(
        f"evaluation.{code}",
        message,
        errors=[{"field": field, "code": f"evaluation.{code}", "message": message}],
    )


def period_bounds(value: Any) -> tuple[dt.datetime, dt.datetime] | None:
    """``YYYY-MM`` as [first moment, first moment of the next month) in local time; None if empty."""
    value = str(value or "").strip()
    if not value:
        return None
    match = PERIOD_RE.match(value)
    if not match or not 1 <= int(match[2]) <= 12 or not 2000 <= int(match[1]) <= 2999:
        raise _bad("bad_period", "统计期间应为 YYYY-MM 格式的月份，如 2026-12", "period")
    year, month = int(match[1]), int(match[2])
    start = dt.datetime(year, month, 1)
    end = dt.datetime(year + (month == 12), month % 12 + 1, 1)
    return timezone.make_aware(start), timezone.make_aware(end)


def organisation_of(value: Any) -> Organisation | None:
    value = str(value or "").strip()
    if not value:
        return None
    organisation = (
        Organisation.objects.filter(pk=int(value)).first() if value.isdigit() and len(value) < 12 else None
    )
    if organisation is None:
        raise _bad("bad_organisation", "未找到该机构，请填写机构ID", "organisation")
    return organisation


def _filtered(
    rows: QuerySet, organisation: Organisation | None, period: Any, *, path: str, moment: str
) -> QuerySet:
    if organisation is not None:
        rows = rows.filter(**{f"{path}__startswith": organisation.path})
    bounds = period_bounds(period)
    if bounds is not None:
        rows = rows.filter(**{f"{moment}__gte": bounds[0], f"{moment}__lt": bounds[1]})
    return rows


def ratings(actor: Actor, *, organisation: Any = None, period: Any = None) -> QuerySet[Rating]:
    rows = _filtered(
        scoped(Rating.objects.all(), actor),
        organisation_of(organisation),
        period,
        path="scope_path",
        moment="created_at",
    )
    return rows.select_related("organisation", "staff_member").order_by("-created_at", "-id")


def is_supervisor_of(actor: Actor, path: str) -> bool:
    return actor.is_superuser or any(path.startswith(p) for p in actor.paths_for(SUPERVISOR_ROLES))


def rating_out(rating: Rating, actor: Actor) -> dict[str, Any]:
    staff = ""
    if rating.staff_member_id is not None and is_supervisor_of(actor, rating.scope_path):
        staff = rating.staff_member.display_name or rating.staff_member.username
    return {
        "id": rating.pk,
        "subject": rating.subject_kind,
        "subject_label": rating.get_subject_kind_display(),
        "number": rating.number,
        "organisation": rating.organisation.name,
        "item_code": rating.item_code,
        "stage": rating.stage,
        "level": rating.level,
        "level_label": rating.get_level_display(),
        "gbt39046_code": gbt39046_code(rating.level),
        "provincial_code": provincial_code(rating.level),
        "channel": rating.channel,
        "channel_label": rating.get_channel_display(),
        "channel_code": channel_code(rating.channel),
        "comment": rating.comment,
        "rater_named": rating.rater_named,
        "staff_member": staff,
        "set_aside": rating.set_aside,
        "rectification": getattr(getattr(rating, "rectification", None), "pk", None),
        "created_at": rating.created_at,
        "entry_source": rating.entry_source,
        "entered_at": rating.entered_at,
    }


def my_rating(user: Any, *, subject: str, number: str) -> Rating | None:
    """The caller's own rating of one service and its rectification, or None (anonymous: None)."""
    if not getattr(user, "is_authenticated", False) or not number:
        return None
    return (
        Rating.objects.filter(subject_kind=subject, number=number, rater_id=user.pk)
        .select_related("rectification")
        .first()
    )


def my_rectification_out(rating: Rating) -> dict[str, Any] | None:
    """What the rater is told of the rectification their 差评 opened: status, due date, the
    callback and the reported outcome — never who handles it."""
    rectification = getattr(rating, "rectification", None)
    if rectification is None:
        return None
    return {
        "status": rectification.status,
        "status_label": rectification.get_status_display(),
        "due_date": rectification.due_date,
        "due_provisional": rectification.due_provisional,
        "overdue": rectification.is_overdue,
        "callback_due": rectification.callback_due,
        "callback_at": rectification.callback_at,
        "outcome": rectification.outcome if rectification.reported_at else "",
        "reported_at": rectification.reported_at,
        "created_at": rectification.created_at,
    }


def _tab_q(key: str) -> Q:
    today = timezone.localdate()
    if key == "overdue":
        return Q(status=RectificationStatus.OPEN, due_date__lt=today)
    if key == "escalated":
        return Q(status=RectificationStatus.OPEN, escalated_at__isnull=False)
    if key in ("open", "appealed", "reported", "closed", "set_aside"):
        return Q(status=key)
    return Q()


def rectifications(actor: Actor, *, status: str = "all", organisation: Any = None) -> QuerySet[Rectification]:
    if not (actor.is_staff_actor or actor.is_superuser):
        return Rectification.objects.none()
    rows = scoped(Rectification.objects.all(), actor).filter(_tab_q(status if status in TABS else "all"))
    rows = _filtered(rows, organisation_of(organisation), None, path="scope_path", moment="created_at")
    return rows.select_related("rating", "organisation", "escalated_to", "decided_by").order_by(
        "due_date", "id"
    )


def rectification_out(rectification: Rectification) -> dict[str, Any]:
    rating = rectification.rating
    return {
        "id": rectification.pk,
        "number": rating.number,
        "subject": rating.subject_kind,
        "level": rating.level,
        "level_label": rating.get_level_display(),
        "comment": rating.comment,
        "rater_named": rating.rater_named,
        "organisation": rectification.organisation.name,
        "status": rectification.status,
        "status_label": rectification.get_status_display(),
        "callback_due": rectification.callback_due,
        "callback_at": rectification.callback_at,
        "callback_note": rectification.callback_note,
        "due_date": rectification.due_date,
        "due_provisional": rectification.due_provisional,
        "overdue": rectification.is_overdue,
        "outcome": rectification.outcome,
        "reported_at": rectification.reported_at,
        "appeal_evidence": rectification.appeal_evidence,
        "decision_note": rectification.decision_note,
        "decided_by": rectification.decided_by.name if rectification.decided_by_id else "",
        "escalated_to": rectification.escalated_to.name if rectification.escalated_to_id else "",
        "escalated_at": rectification.escalated_at,
        "created_at": rectification.created_at,
    }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


ITEM_CODE = re.compile(r"^[0-9A-Za-z]{1,20}$")


def item_of(value: Any) -> str:
    """An item's 基本编码 as given (``?item=``), "" for none; 400 ``evaluation.bad_item`` otherwise."""
    value = str(value or "").strip()
    if value and not ITEM_CODE.match(value):
        raise _bad("bad_item", "事项基本编码应为不超过20位的字母或数字", "item")
    return value


def public_statistics(*, organisation: Any = None, period: Any = None, item: Any = None) -> dict[str, Any]:
    """Counts only: no rating, number, comment or person. Set-aside ratings are not counted. With
    ``item`` (a catalogue item's 基本编码) the ratings of that item only, and the answer names it."""
    org = organisation_of(organisation)
    code = item_of(item)
    rows = _filtered(
        Rating.objects.filter(set_aside=False), org, period, path="scope_path", moment="created_at"
    )
    if code:
        rows = rows.filter(item_code=code)
    counts = dict.fromkeys(Level.values, 0)
    for row in rows.values("level").annotate(n=Count("id")).order_by():
        counts[row["level"]] = row["n"]
    total = sum(counts.values())
    good = sum(counts[k] for k in GOOD_LEVELS)
    bad = sum(counts[k] for k in BAD_LEVELS)
    done = Rectification.objects.filter(
        rating__in=rows.filter(level__in=BAD_LEVELS),
        status__in=(RectificationStatus.REPORTED, RectificationStatus.CLOSED),
    ).count()
    return {
        "organisation": org.name if org else "全部",
        **({"item": code} if code else {}),
        "period": str(period or ""),
        "total": total,
        "levels": [{"level": key, "label": label, "count": counts[key]} for key, label in Level.choices],
        "satisfied": good,
        "satisfaction_rate": _rate(good, total),
        "bad": bad,
        "rectified": done,
        "rectification_rate": _rate(done, bad),
    }


def last_link(actor: Actor, subject_kind: str, number: str) -> Any:
    """The latest rating link issued for a visit or call in the caller's jurisdiction (when it was
    sent and whether it was used; never the token, which is not kept)."""
    from sifa.evaluation.models import RatingLink

    rows = scoped(RatingLink.objects.filter(subject_kind=subject_kind, number=number), actor)
    return rows.order_by("-created_at", "-id").first()


def my_visit_links(actor: Actor, limit: int = 5) -> list[Any]:
    """The window clerk's latest visit links (the desk shows whether each was used)."""
    from sifa.evaluation.models import RatingLink, SubjectKind

    if actor.user_id is None:
        return []
    rows = RatingLink.objects.filter(subject_kind=SubjectKind.VISIT, staff_member_id=actor.user_id)
    return list(
        scoped(rows, actor).select_related("organisation", "rating").order_by("-created_at", "-id")[:limit]
    )
