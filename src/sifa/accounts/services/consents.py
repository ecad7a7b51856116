"""Consents (个人信息保护法 §14, §15, §29): recorded when given, withdrawn as easily, never deleted.

Every command here is audited (``consent.given`` / ``consent.withdrawn``: the code, the version
and the channel — never the person's data).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from sifa.accounts import consents
from sifa.accounts.models import ConsentChannel, ConsentRecord, NaturalPerson, User
from sifa.accounts.services.common import FieldErrors
from sifa.audit import services as audit
from sifa.core.errors import Conflict, NotFound


def check_shown_version(code: str, shown: str, errors: FieldErrors, field: str) -> str:
    """Add a field error when the consent was not given, or was given to a text that is no longer
    the current one (the page is shown again with today's text). Returns the version accepted."""
    text = consents.current(code)
    if not shown:
        errors.add(field, "consent.required", f"请阅读并勾选“{text.title}”（{text.legal_basis}）")
    elif shown != text.version:
        errors.add(field, "consent.stale_version", "同意书内容已更新，请重新阅读后再勾选同意")
    return text.version


def standing(person: NaturalPerson, code: str) -> bool:
    """Whether the person has a consent of ``code`` on record that is not withdrawn — given at a
    window (``person``) or online from their account (``user``), to any version of the text."""
    held = ConsentRecord.objects.filter(code=code, object_ref="", withdrawn_at=None)
    if person.user_id is not None:
        return held.filter(Q(person=person) | Q(user_id=person.user_id)).exists()
    return held.filter(person=person).exists()


def _record(record: ConsentRecord, action: str, actor: User) -> None:
    audit.record(
        action,
        actor=actor,
        subject=record,
        scope_path=record.scope_path,
        detail={
            "code": record.code,
            "version": record.version,
            "channel": record.withdrawal_channel if record.withdrawn_at else record.channel,
            "object_ref": record.object_ref,
        },
    )


def give(
    user: User, code: str, *, version: str, channel: str = ConsentChannel.WEB, object_ref: str = ""
) -> ConsentRecord:
    """Record a consent to ``version`` of ``code`` (which must be a version in the registry)."""
    text = consents.text_of(code, version)
    if text is None:
        raise Conflict("consent.unknown_version", "没有这一版本的同意书，请刷新页面后重新同意")
    if channel not in ConsentChannel.values:
        raise ValueError(f"unknown consent channel {channel!r}")
    with transaction.atomic():
        record = ConsentRecord.objects.create(
            user=user,
            code=code,
            version=version,
            object_ref=object_ref,
            given_at=timezone.now(),
            channel=channel,
            scope_path=user.scope_path,
        )
        _record(record, "consent.given", user)
    return record


def give_at_counter(person: NaturalPerson, code: str, *, version: str, recorded_by: User) -> ConsentRecord:
    """A walk-in applicant gives the consent in person at the window (一窗受理), having read the
    same text (``version``, checked by :func:`check_shown_version`) that online registration shows;
    the clerk records it: channel ``counter``, ``recorded_by`` the clerk, ``person`` the applicant
    (and ``user`` their account, if they have one). Run inside the caller's command (the walk-in's
    ``start_draft``). A consent to the same version already standing for the person is not
    recorded twice (returned as it is). Audited ``consent.given`` with the clerk as actor."""
    text = consents.text_of(code, version)
    if text is None:
        raise Conflict("consent.unknown_version", "没有这一版本的同意书，请刷新页面后重新同意")
    with transaction.atomic():
        standing = ConsentRecord.objects.filter(
            person=person, code=code, version=version, object_ref="", withdrawn_at=None
        ).first()
        if standing is not None:
            return standing
        record = ConsentRecord.objects.create(
            user=person.user,
            person=person,
            recorded_by=recorded_by,
            code=code,
            version=version,
            given_at=timezone.now(),
            channel=ConsentChannel.COUNTER,
            scope_path=person.scope_path,
        )
        _record(record, "consent.given", recorded_by)
    return record


def give_again(user: User, code: str, *, version: str, channel: str = ConsentChannel.WEB) -> ConsentRecord:
    """The person gives an account-wide consent (again, after withdrawing) from their consents page
    or the API: only to today's text, and never a per-application consent (that is given on the
    application's own page, where what it is for is shown)."""
    text = consents.text_of(code, version)
    if text is None or code not in consents.codes():
        raise Conflict("consent.unknown_version", "没有这一版本的同意书，请刷新页面后重新同意")
    if text.per_application:
        raise Conflict("consent.give_on_application", "该同意针对一件申请，请在该申请的材料页勾选")
    if version != consents.current(code).version:
        raise Conflict("consent.stale_version", "同意书内容已更新，请重新阅读后再勾选同意")
    return give(user, code, version=version, channel=channel)


def withdraw(user: User, record_id: int | str, *, channel: str = ConsentChannel.WEB) -> ConsentRecord:
    """Withdraw one of ``user``'s own consents (§15). Someone else's record, or one that does not
    exist, is the same 404; a per-application consent is withdrawn on that application's page."""
    try:
        pk = int(record_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    with transaction.atomic():
        record = ConsentRecord.objects.select_for_update().filter(pk=pk, user=user).first()
        if record is None:
            raise NotFound()
        text = consents.text_of(record.code, record.version)
        if text is not None and text.per_application:
            raise Conflict(
                "consent.withdraw_on_application", "该同意针对一件申请，请在该申请的材料页取消勾选撤回"
            )
        if text is not None and not text.withdrawable:
            raise Conflict("consent.not_withdrawable", "该事项不以同意为处理依据，无需撤回")
        if record.withdrawn_at is not None:
            return record
        _withdraw(record, user, channel)
    return record


def _withdraw(record: ConsentRecord, actor: User, channel: str) -> None:
    record.withdrawn_at = timezone.now()
    record.withdrawal_channel = channel
    record.save(update_fields=["withdrawn_at", "withdrawal_channel"])
    _record(record, "consent.withdrawn", actor)


def withdraw_for(user: User, code: str, *, object_ref: str = "", channel: str = ConsentChannel.WEB) -> int:
    """Withdraw every standing consent ``code`` of ``user`` (for ``object_ref``); the number
    withdrawn. The application service calls this when a per-application consent is withdrawn."""
    with transaction.atomic():
        rows = list(
            ConsentRecord.objects.select_for_update().filter(
                user=user, code=code, object_ref=object_ref, withdrawn_at=None
            )
        )
        for record in rows:
            _withdraw(record, user, channel)
    return len(rows)
