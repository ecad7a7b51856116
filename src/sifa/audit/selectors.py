"""Reading the audit trail and the access log, always through the caller's data scope."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from sifa.audit.models import AuditEvent, PersonalDataAccess, Visibility
from sifa.core.masking import mask_name
from sifa.organisations.scope import Actor, Role, scoped


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


def my_access_log(user, *, now: dt.datetime | None = None) -> QuerySet[PersonalDataAccess]:
    """Who used the caller's personal data, newest first (the subject's own view): public rows,
    and delayed rows once their date has come; never restricted rows (security.md §1.2)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return PersonalDataAccess.objects.none()
    now = now or timezone.now()
    visible = Q(visibility=Visibility.PUBLIC) | Q(visibility=Visibility.DELAYED, visible_from__lte=now)
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
