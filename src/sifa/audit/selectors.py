"""Reading the audit trail and the access log, always through the caller's data scope."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.utils import timezone

from sifa.audit.models import AuditEvent, PersonalDataAccess, Visibility
from sifa.core.masking import mask_name
from sifa.organisations.scope import Actor, Role, scoped, subtree_q


def is_audit_admin(actor: Actor) -> bool:
    """三员分立: only audit administrators read the trail (a superuser without the role does not)."""
    return actor.has_role(Role.AUDIT_ADMIN)


def audit_events(
    actor: Actor,
    *,
    action: str = "",
    actor_username: str = "",
    object_id: str = "",
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> QuerySet[AuditEvent]:
    """Events in the subtrees where ``actor`` is an audit administrator, newest first.

    Events with no scope path (e.g. a failed login for an unknown username) belong to no
    jurisdiction; audit administrators of a root organisation (path ``/<id>/``) read those too.
    """
    if not is_audit_admin(actor):
        return AuditEvent.objects.none()
    queryset = scoped(AuditEvent.objects.all(), actor, roles=[Role.AUDIT_ADMIN])
    if any(path.count("/") == 2 for path in actor.paths_for([Role.AUDIT_ADMIN])):
        queryset = queryset | AuditEvent.objects.filter(scope_path="")
    if action:
        queryset = queryset.filter(action=action)
    if actor_username:
        queryset = queryset.filter(actor_username=actor_username)
    if object_id:
        queryset = queryset.filter(object_id=object_id)
    if since is not None:
        queryset = queryset.filter(occurred_at__gte=since)
    if until is not None:
        queryset = queryset.filter(occurred_at__lt=until)
    return queryset.select_related("organisation").order_by("-seq")


def _visible_to_subject(now: dt.datetime) -> Q:
    """The rows a subject is shown: public ones, and delayed ones once their date has come; never
    restricted ones (security.md §1.2)."""
    return Q(visibility=Visibility.PUBLIC) | Q(visibility=Visibility.DELAYED, visible_from__lte=now)


def my_access_log(user, *, now: dt.datetime | None = None) -> QuerySet[PersonalDataAccess]:
    """Who used the caller's personal data, newest first (the subject's own view): public rows,
    and delayed rows once their date has come; never restricted rows (security.md §1.2)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return PersonalDataAccess.objects.none()
    visible = _visible_to_subject(now or timezone.now())
    return (
        PersonalDataAccess.objects.filter(visible, subject_id=user.pk)
        .select_related("reader", "reader_organisation")
        .order_by("-accessed_at", "-id")
    )


STAFF_PLACEHOLDER = "工作人员"
AUTOMATIC_PLACEHOLDER = "系统自动核验"


def reader_name(access: PersonalDataAccess) -> str:
    """Who read, as the subject is shown it: a person's name masked (``张*``); a demo account's
    name whole — it names a role (``市局审查人员（演示）``), which masking would turn into
    ``市*********``; nobody (an automatic check) as such."""
    reader = access.reader
    if reader is None:
        return AUTOMATIC_PLACEHOLDER
    if not reader.display_name:
        return STAFF_PLACEHOLDER
    return reader.display_name if reader.is_demo else mask_name(reader.display_name)


def access_log(actor: Actor) -> QuerySet[PersonalDataAccess]:
    """Access-log rows in ``actor``'s scope (staff: their subtrees; anyone: reads of their own data)."""
    return scoped(PersonalDataAccess.objects.all(), actor).order_by("-accessed_at", "-id")


def _above(path: str) -> list[str]:
    """The strict ancestors of a path: ``/1/12/45/`` → ``/1/``, ``/1/12/``."""
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[:n]) + "/" for n in range(1, len(parts))]


def subject_data_use(
    actor: Actor,
    *,
    refs: Iterable[str],
    subject_id: int | None,
    roles: Iterable[str],
    upward_roles: Iterable[str] = (),
    now: dt.datetime | None = None,
) -> QuerySet[PersonalDataAccess]:
    """One person's or organisation's data-use rows as they would be shown them (public rows and
    due delayed rows, never restricted ones), for staff who hand them a copy at their request
    (个人信息保护法第四十五条): the rows about them — ``refs`` (their person or company id, their
    applications' numbers, …) or their account ``subject_id`` — scoped in SQL to the subtrees
    where ``actor`` holds one of ``roles``; holders of ``upward_roles`` (window clerks, 一窗受理)
    also see the rows of the organisations directly above their windows (a row's ``scope_path``
    equal to an ancestor's path: that organisation's own business, which the window receives
    for), never those of a sibling's subtree. Newest first."""
    if actor.user_id is None:
        return PersonalDataAccess.objects.none()
    about = Q(subject_ref__in=sorted({str(ref) for ref in refs if ref}))
    if subject_id is not None:
        about |= Q(subject_id=subject_id)
    queryset = PersonalDataAccess.objects.filter(_visible_to_subject(now or timezone.now()), about)
    if not actor.is_superuser:
        where = subtree_q("scope_path", actor.paths_for(roles))
        above = sorted({path for root in actor.paths_for(upward_roles) for path in _above(root)})
        if above:
            where |= Q(scope_path__in=above)
        queryset = queryset.filter(where)
    return queryset.select_related("reader", "reader_organisation").order_by("-accessed_at", "-id")
