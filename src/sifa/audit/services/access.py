"""The personal-data access log (我的数据使用记录): who among staff read whose personal data, and
why; which partner organ received it or asked about it.

Each visible row is shown to the data subject (``/api/v1/me/access-log/``; 个人信息保护法 §6
目的限定). A read is logged by the code that shows the data, in its request, through
:func:`record_access`; a disclosure to a partner or a partner's query by the use case that sends
or answers the exchange message, through :func:`record_disclosure`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import connections, transaction
from django.utils import timezone

from sifa.audit.hashing import GENESIS_HASH, access_hash
from sifa.audit.models import AccessKind, PersonalDataAccess, Visibility
from sifa.audit.services.events import fit
from sifa.audit.subjects import check_type
from sifa.organisations.scope import Actor, actor_for, attributed_membership


def record_access(
    *,
    reader: Any,
    subject: Any,
    subject_ref: str,
    object_type: str,
    purpose: str,
    scope_path: str,
    actor: Actor | None = None,
    roles: Iterable[str] | None = None,
    from_below: Iterable[str] = (),
    windows: Iterable[int] | None = None,
) -> PersonalDataAccess:
    """Log a staff read of someone's personal data (the subject can list these).

    ``subject`` is the subject's account (None for a walk-in person without one); ``purpose``
    is shown to the subject, so write it for them (e.g. "受理律师执业许可申请"). The organisation
    and role the read is credited to are decided here, by the one rule
    :func:`~sifa.organisations.scope.attributed_membership` over the reader's memberships
    (``actor``, built from ``reader`` when not given; ``roles``, ``from_below`` and ``windows`` as
    there): the membership nearest above the data, or the window through which the reader sees
    it, never an unrelated organisation. ``object_type`` is the
    kind of data read, named by the audit rule (``accounts.NaturalPerson``; registered in
    :data:`sifa.audit.subjects.OBJECT_TYPES`).
    """
    check_type(object_type)
    if not purpose or not str(purpose).strip():
        raise ValueError("a personal-data read needs a purpose (个人信息保护法 §6 目的限定)")
    grant = attributed_membership(
        actor if actor is not None else actor_for(reader),
        scope_path,
        roles=roles,
        from_below=from_below,
        windows=windows,
    )
    return PersonalDataAccess.objects.create(
        subject=subject,
        subject_ref=fit(PersonalDataAccess, "subject_ref", subject_ref),
        reader=reader,
        reader_organisation_id=grant.organisation_id if grant else None,
        reader_role=fit(PersonalDataAccess, "reader_role", grant.role if grant else ""),
        purpose=fit(PersonalDataAccess, "purpose", str(purpose).strip()),
        object_type=fit(PersonalDataAccess, "object_type", object_type),
        accessed_at=timezone.now(),
        scope_path=scope_path,
    )


def record_disclosure(
    *,
    subject: Any,
    subject_ref: str,
    object_type: str,
    receiver: str,
    purpose: str,
    legal_basis: str,
    organisation: Any,
    scope_path: str,
    case_number: str = "",
    message_id: str = "",
    official: Any = None,
    kind: str = AccessKind.DISCLOSURE,
    visibility: str = Visibility.PUBLIC,
    visible_from: dt.datetime | None = None,
) -> PersonalDataAccess:
    """Log a disclosure of someone's personal data to a partner organ, or a partner's query about
    them (``kind=AccessKind.PARTNER_QUERY``), as a row of the subject's data tracker
    (我的数据使用记录; security.md §1.2). Call it in the transaction that sends or answers the
    message.

    ``subject`` is the subject's account (None for a person without one: the row is kept for the
    organs, nobody can list it yet); ``subject_ref`` their public id (never an ID number);
    ``receiver`` the partner organ's name (杭州市公安局); ``organisation`` the Sifa organisation
    that disclosed or was asked (its ``Organisation`` or None); ``official`` the staff member who
    caused it, None for an automatic query (the applicant's own draft); ``case_number`` the
    application number, the draft reference or the partner's case number; ``message_id`` the
    exchange message that carried the data. ``visibility``: ``public`` (the subject sees it),
    ``restricted`` (only the organs involved), or ``delayed`` with ``visible_from`` (the subject
    sees it from then on, e.g. after a criminal case's investigation stage).
    """
    check_type(object_type)
    for name, value in (("purpose", purpose), ("receiver", receiver), ("legal_basis", legal_basis)):
        if not value or not str(value).strip():
            raise ValueError(f"a disclosure needs its {name} (个人信息保护法 §6, §17)")
    if kind not in (AccessKind.DISCLOSURE, AccessKind.PARTNER_QUERY):
        raise ValueError("record_disclosure records a disclosure or a partner query")
    if visibility not in Visibility.values:
        raise ValueError(f"unknown visibility {visibility!r}")
    if (visibility == Visibility.DELAYED) != (visible_from is not None):
        raise ValueError("a delayed row needs visible_from, and only a delayed row has one")
    role = ""
    if official is not None and organisation is not None:
        grant = attributed_membership(actor_for(official), scope_path)
        role = grant.role if grant else ""
    return PersonalDataAccess.objects.create(
        subject=subject,
        subject_ref=fit(PersonalDataAccess, "subject_ref", subject_ref),
        reader=official,
        reader_organisation_id=getattr(organisation, "pk", None),
        reader_role=fit(PersonalDataAccess, "reader_role", role),
        purpose=fit(PersonalDataAccess, "purpose", str(purpose).strip()),
        object_type=fit(PersonalDataAccess, "object_type", object_type),
        accessed_at=timezone.now(),
        scope_path=scope_path,
        kind=kind,
        receiver=fit(PersonalDataAccess, "receiver", str(receiver).strip()),
        legal_basis=fit(PersonalDataAccess, "legal_basis", str(legal_basis).strip()),
        case_number=fit(PersonalDataAccess, "case_number", case_number or ""),
        message_id=fit(PersonalDataAccess, "message_id", str(message_id or "")),
        visibility=visibility,
        visible_from=visible_from,
    )


_PG_ACCESS_LOCK_KEY = 0x5F1FC  # pg_advisory_xact_lock key reserved for access-log chaining


def chain_pending(
    limit: int | None = None, *, model: Any = PersonalDataAccess, using: str = "default"
) -> int:
    """Chain every committed access-log row still waiting (at most ``limit``), in one transaction.

    Rows are written unchained (one insert per read of personal data, no chain lock in the
    request); this gives them ``seq``, ``prev_hash`` and ``hash`` in ``id`` order — the
    scheduler every minute (``sifa chain-access-log``), and ``sifa audit verify-access`` /
    ``anchor-access`` first. The triggers let the chain columns go from empty to set once only.
    ``model``: a migration's historical ``PersonalDataAccess``.
    """
    connection = connections[using]
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_ACCESS_LOCK_KEY])
        # SQLite: every atomic block begins IMMEDIATE and holds the one write lock already.
        manager = model.objects.using(using)
        head = manager.filter(seq__isnull=False).order_by("-seq").values_list("seq", "hash").first()
        seq, prev = head if head else (0, GENESIS_HASH)
        waiting = manager.filter(seq__isnull=True).order_by("id")
        rows = list(waiting[:limit] if limit else waiting)
        updates = []
        for row in rows:
            seq += 1
            prev_hash, prev = prev, access_hash(prev, row, seq)
            updates.append((seq, prev_hash, prev, row.pk))
        if updates:
            # One parameterised statement for the batch (executemany), as the exchange log does.
            table = connection.ops.quote_name(model._meta.db_table)
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"UPDATE {table} SET seq = %s, prev_hash = %s, hash = %s WHERE id = %s",  # noqa: S608
                    updates,
                )
    return len(rows)
