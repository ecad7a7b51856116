"""Reads of 投诉举报, always scoped in SQL (``sifa.organisations.scope.scoped``). Nothing here writes.

* supervisors: :func:`queue` and :func:`for_staff` (every read of the complainant's data is in the
  access log);
* the signed-in complainant: :func:`mine` and :func:`for_complainant`;
* anyone holding the tracking code: :func:`by_tracking_code`.

Out of scope is 404. :func:`view` opens the sealed fields for a caller a selector let through, and
never shows who complained to the staff member complained about.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from sifa.applications import query_codes
from sifa.audit.services import record_access
from sifa.complaints.models import OPEN_STATUSES, Complaint, EventKind, Status
from sifa.complaints.services.complaints import HANDLER_ROLES, not_found
from sifa.organisations.scope import Actor, actor_for, scoped

NUMBER_MAX = 30
HIDDEN = "（对被投诉人保密）"
COMPLAINANT_EVENTS = (
    EventKind.SUBMITTED,
    EventKind.ROUTED,
    EventKind.ACCEPTED,
    EventKind.SUPERVISED,
    EventKind.DUE_MOVED,
    EventKind.REPLIED,
    EventKind.SMS_SENT,
    EventKind.CLOSED,
)
"""What the complainant sees of the history (reports to the level above and overdue notes are
internal supervision)."""

QUEUES = {
    "open": "办理中",
    "overdue": "已逾期",
    "supervised": "督办中",
    "replied": "已答复",
    "closed": "已办结",
    "all": "全部",
}


def _status_q(key: str) -> Q:
    today = timezone.localdate()
    if key == "overdue":
        return Q(status__in=OPEN_STATUSES, due_date__lt=today) | Q(
            supervisions__requires_report=True,
            supervisions__reported_at__isnull=True,
            supervisions__deadline__lt=today,
        )
    if key == "supervised":
        return Q(supervisions__isnull=False) & ~Q(status=Status.CLOSED)
    if key == "replied":
        return Q(status=Status.REPLIED)
    if key == "closed":
        return Q(status=Status.CLOSED)
    if key == "all":
        return Q()
    return Q(status__in=OPEN_STATUSES)


def _clean_number(number: Any) -> str:
    number = str(number or "").strip().upper()
    if not number or len(number) > NUMBER_MAX or not number.isalnum():
        raise not_found()
    return number


def queue(actor: Actor, *, status: str = "open") -> QuerySet[Complaint]:
    """Complaints handled in the actor's jurisdiction where they are a supervisor, oldest due first
    (the level above sees its subtree's, so ``overdue`` is its list of overdue ones)."""
    if not actor.is_staff_actor and not actor.is_superuser:
        return Complaint.objects.none()
    rows = scoped(Complaint.objects.all(), actor, roles=HANDLER_ROLES).filter(_status_q(status)).distinct()
    return rows.select_related("organisation", "handler").order_by("due_date", "created_at", "id")


def for_staff(user: Any, number: Any, *, purpose: str = "办理投诉举报") -> Complaint:
    actor = actor_for(user)
    if not actor.is_staff_actor and not actor.is_superuser:
        raise not_found()
    complaint = (
        scoped(Complaint.objects.all(), actor, roles=HANDLER_ROLES)
        .filter(number=_clean_number(number))
        .select_related("organisation", "handler", "complainant", "staff_member", "application")
        .first()
    )
    if complaint is None:
        raise not_found()
    if complaint.staff_member_id != user.pk:
        record_access(
            reader=user,
            subject=complaint.complainant,
            subject_ref=complaint.number,
            object_type="complaints.Complaint",
            purpose=purpose,
            scope_path=complaint.scope_path,
            actor=actor,
            roles=HANDLER_ROLES,
        )
    return complaint


def mine(user: Any) -> QuerySet[Complaint]:
    if not getattr(user, "is_authenticated", False):
        return Complaint.objects.none()
    return (
        Complaint.objects.filter(complainant_id=user.pk)
        .select_related("organisation", "handler")
        .order_by("-created_at", "-id")
    )


def for_complainant(user: Any, number: Any) -> Complaint:
    if not getattr(user, "is_authenticated", False):
        raise not_found()
    complaint = (
        Complaint.objects.filter(complainant_id=user.pk, number=_clean_number(number))
        .select_related("organisation", "handler", "application")
        .first()
    )
    if complaint is None:
        raise not_found()
    return complaint


def by_tracking_code(number: Any, code: Any) -> Complaint:
    """A complaint without an account behind it, by number and tracking code (404 on any mismatch)."""
    number = _clean_number(number)
    code = str(code or "").strip()
    if not code or len(code) > 20:
        raise not_found()
    complaint = (
        Complaint.objects.filter(number=number, complainant__isnull=True)
        .select_related("organisation", "handler", "application")
        .first()
    )
    if complaint is None or not query_codes.query_code_matches(code, complaint.tracking_code_digest):
        raise not_found()
    return complaint


def history(complaint: Complaint, *, staff: bool) -> list[dict[str, Any]]:
    rows = complaint.events.select_related("organisation").order_by("at", "id")
    if not staff:
        rows = rows.filter(kind__in=COMPLAINANT_EVENTS)
    return [
        {
            "kind": e.kind,
            "label": e.get_kind_display(),
            "at": e.at,
            "organisation": e.organisation.name if e.organisation else "",
            "note": e.note,
        }
        for e in rows
    ]


def summary(complaint: Complaint, viewer: Any = None) -> dict[str, Any]:
    hidden = viewer is not None and complaint.staff_member_id == getattr(viewer, "pk", None)
    return {
        "number": complaint.number,
        "kind": complaint.kind,
        "kind_label": complaint.get_kind_display(),
        "subject_kind": complaint.subject_kind,
        "subject_label": complaint.get_subject_kind_display(),
        "organisation": complaint.organisation.name,
        "handler": complaint.handler.name,
        "status": complaint.status,
        "status_label": complaint.get_status_display(),
        "due_date": complaint.due_date,
        "overdue": complaint.is_overdue,
        "anonymous": complaint.anonymous,
        "name_masked": HIDDEN if hidden else complaint.name_masked,
        "phone_masked": HIDDEN if hidden else complaint.phone_masked,
        "received_at": complaint.created_at,
    }


def view(complaint: Complaint, *, viewer: Any = None, staff: bool = False) -> dict[str, Any]:
    """What the complainant (``staff=False``) or a supervisor in scope sees. To the staff member
    complained about, the complainant's name, number and account are never shown."""
    data: dict[str, Any] = {
        **summary(complaint),
        "case_number": complaint.application.number if complaint.application_id else "",
        "due_provisional": complaint.due_provisional,
        "text": complaint.reveal_text(),
        "reply": complaint.reveal_reply() if complaint.reply_enc else "",
        "replied_at": complaint.replied_at,
        "closed_at": complaint.closed_at,
        "history": history(complaint, staff=staff),
    }
    moves = [step["note"] for step in data["history"] if step["kind"] == EventKind.DUE_MOVED]
    data["due_change"] = moves[-1] if moves else ""
    """The last 答复期限调整 (a change of the working calendar), shown beside the date."""
    if staff:
        hidden = viewer is not None and complaint.staff_member_id == viewer.pk
        data.update(
            {
                "name": HIDDEN if hidden else complaint.reveal_name(),
                "phone": HIDDEN if hidden else complaint.reveal_phone(),
                "name_masked": HIDDEN if hidden else complaint.name_masked,
                "phone_masked": HIDDEN if hidden else complaint.phone_masked,
                "complainant_signed_in": None if hidden else complaint.complainant_id is not None,
                "staff_member": complaint.staff_member.display_name if complaint.staff_member_id else "",
                "overdue_marked_at": complaint.overdue_at,
                "supervisions": [
                    {
                        "organisation": s.organisation.name,
                        "instruction": s.instruction,
                        "deadline": s.deadline,
                        "requires_report": s.requires_report,
                        "report": s.report,
                        "reported_at": s.reported_at,
                        "overdue": s.is_overdue,
                    }
                    for s in complaint.supervisions.select_related("organisation").order_by(
                        "created_at", "id"
                    )
                ],
            }
        )
    return data


def can_work_queue(actor: Actor) -> bool:
    return actor.is_superuser or actor.has_role(*HANDLER_ROLES)


__all__ = [
    "QUEUES",
    "by_tracking_code",
    "can_work_queue",
    "for_complainant",
    "for_staff",
    "history",
    "mine",
    "queue",
    "summary",
    "view",
]


# --- the place chooser of the public form (省 → 市 → 县 → 机构) -----------------------------------

PLACE_LEVELS = ("province", "city", "county")


def places(chosen: dict[str, str]) -> dict[str, Any]:
    """The successive lists of the form's place chooser: provinces, the chosen province's cities,
    the chosen city's counties and the organisations at the deepest place chosen (at a county,
    also those of its townships: the 司法所). A choice that is not a child of the one before is
    dropped, and so is everything after it."""
    from sifa.organisations.models import Organisation, Region, RegionLevel

    lists: dict[str, Any] = {"provinces": [], "cities": [], "counties": [], "organisations": [], "chosen": {}}
    lists["provinces"] = list(Region.objects.filter(level=RegionLevel.PROVINCE).order_by("code"))
    parent, deepest = None, None
    for level, key in zip(
        (RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY), PLACE_LEVELS, strict=True
    ):
        code = str(chosen.get(key) or "").strip()[:12]
        query = Region.objects.filter(code=code, level=level)
        if parent is not None:
            query = query.filter(parent=parent)
        region = query.first() if code else None
        if region is None:
            break
        lists["chosen"][key] = region.code
        parent = deepest = region
        following = {"province": "cities", "city": "counties"}.get(key)
        if following:
            lists[following] = list(Region.objects.filter(parent=region).order_by("code"))
    if deepest is not None:
        regions = Q(region=deepest)
        if deepest.level == RegionLevel.COUNTY:
            regions |= Q(region__parent=deepest)
        lists["organisations"] = list(
            Organisation.objects.filter(regions, is_active=True).order_by("level", "path")[:300]
        )
    lists["status"] = places_status(deepest, lists)
    return lists


PLACE_LIST_NAMES = {1: ("cities", "市（州）"), 2: ("counties", "县（市、区）")}
"""The list a chosen province (RegionLevel 1) or city (2) opens, and how it is called."""


def places_status(deepest: Any, lists: dict[str, Any]) -> str:
    """What the chooser now lists, in one sentence for its polite live region ("已列出 杭州市 的 13 个
    县（市、区）和 2 个机构"): a screen reader hears the lists change without the focus moving."""
    if deepest is None:
        return "请先选择省（区、市）"
    parts = []
    following = PLACE_LIST_NAMES.get(deepest.level)
    if following and lists[following[0]]:
        parts.append(f"{len(lists[following[0]])} 个{following[1]}")
    if lists["organisations"]:
        parts.append(f"{len(lists['organisations'])} 个机构")
    if not parts:
        return f"{deepest.name} 暂无可选择的机构"
    return f"已列出 {deepest.name} 的 {' 和 '.join(parts)}"


def my_cases(user: Any, limit: int = 50) -> list[Any]:
    """The signed-in person's own applications (not drafts), newest first, to complain about one."""
    from sifa.applications.models import Application, ApplicationStatus

    if not getattr(user, "is_authenticated", False):
        return []
    rows = (
        Application.objects.filter(applicant_id=user.pk)
        .exclude(status=ApplicationStatus.DRAFT)
        .filter(number__isnull=False)
        .select_related("entry__item", "accepting_organisation")
        .order_by("-submitted_at", "-id")
    )
    return list(rows[:limit])
