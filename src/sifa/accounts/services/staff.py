"""Staff accounts, role grants and TOTP devices; 三员分立 (等保 2.0 访问控制 d)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from sifa.accounts.models import AccountKind, User
from sifa.accounts.services.common import FieldErrors, check_name, check_password
from sifa.audit import services as audit
from sifa.core.errors import Conflict, Forbidden, NotFound
from sifa.organisations.models import SEPARATED_ADMIN_ROLES, Membership, Organisation, Role

USERNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{2,63}$")
SEPARATED = {str(r) for r in SEPARATED_ADMIN_ROLES}


def _separation_error() -> Conflict:
    return Conflict(
        "role.separation_of_duties",
        "三员分立：系统管理员、安全管理员、审计管理员不得由同一人兼任",
    )


def separated_role_held(user: User, role: str) -> str | None:
    """The separated-admin role ``user`` already holds that conflicts with ``role``, if any."""
    if str(role) not in SEPARATED:
        return None
    return (
        Membership.objects.filter(user=user, role__in=SEPARATED)
        .exclude(role=role)
        .values_list("role", flat=True)
        .first()
    )


def _check_granter(by: User | None, organisation: Organisation) -> None:
    """Only a system administrator over the organisation (or the CLI, ``by=None``) manages roles."""
    if by is None or by.is_superuser:
        return
    allowed = Membership.objects.filter(user=by, role=Role.SYSTEM_ADMIN, organisation__is_active=True)
    if not any(
        organisation.path.startswith(path) for path in allowed.values_list("organisation__path", flat=True)
    ):
        raise Forbidden("只有系统管理员可以分配岗位角色")


def _add_membership(user: User, organisation: Organisation, role: str) -> Membership:
    if separated_role_held(user, role):
        raise _separation_error()
    try:
        with transaction.atomic():
            return Membership.objects.create(user=user, organisation=organisation, role=role)
    except IntegrityError:
        # A concurrent grant won the race; the partial unique index (one separated admin role
        # per user) or the plain unique constraint refused this row. Say which.
        if str(role) in SEPARATED and Membership.objects.filter(user=user, role__in=SEPARATED).exists():
            if not Membership.objects.filter(user=user, organisation=organisation, role=role).exists():
                raise _separation_error() from None
        raise Conflict("role.duplicate", "该用户在此机构已有该角色") from None


def create_staff(
    *,
    username: str,
    display_name: str,
    password: str,
    memberships: Iterable[tuple[Organisation, str]] = (),
    by: User | None = None,
    is_demo: bool = False,
) -> User:
    """Create a staff account with its roles. The primary (first) organisation sets its scope path."""
    memberships = list(memberships)
    errors = FieldErrors()
    username = (username or "").strip()
    if not USERNAME_RE.match(username):
        errors.add("username", "username.invalid", "用户名须以字母开头，3至64位字母、数字或 _ . -")
    display_name = check_name(display_name, "display_name", "姓名", errors, 200)
    user = User(username=username, kind=AccountKind.STAFF, display_name=display_name)
    check_password(password, user, errors)
    roles = [str(role) for _org, role in memberships]
    valid_roles = set(Role.values)
    for role in roles:
        if role not in valid_roles:
            errors.add("memberships", "role.unknown", f"未知的角色：{role}")
    if len(SEPARATED.intersection(roles)) > 1:
        errors.add("memberships", "role.separation_of_duties", _separation_error().message)
    errors.raise_if_any()
    if User.objects.filter(username=username).exists():
        raise Conflict("account.duplicate_username", "该用户名已被使用")
    for organisation, _role in memberships:
        _check_granter(by, organisation)
    with transaction.atomic():
        user.scope_path = memberships[0][0].path if memberships else ""
        user.is_demo = is_demo
        user.set_password(password)
        user.save(force_insert=True)
        for organisation, role in memberships:
            _add_membership(user, organisation, role)
        audit.record(
            "account.create_staff",
            actor=by,
            subject=user,
            scope_path=user.scope_path,
            detail={"roles": roles},
        )
    return user


def grant_role(user: User, organisation: Organisation, role: str, *, by: User | None = None) -> Membership:
    if str(role) not in set(Role.values):
        raise Conflict("role.unknown", f"未知的角色：{role}")
    if user.kind != AccountKind.STAFF:
        raise Conflict("role.not_staff", "只能为工作人员账户分配岗位角色")
    _check_granter(by, organisation)
    with transaction.atomic():
        membership = _add_membership(user, organisation, role)
        if not user.scope_path:
            User.objects.filter(pk=user.pk).update(scope_path=organisation.path)
            user.scope_path = organisation.path
        _audit_role("account.grant_role", user, organisation, role, by)
    return membership


def _audit_role(action: str, user: User, organisation: Organisation, role: str, by: User | None) -> None:
    audit.record(
        action,
        actor=by,
        organisation=organisation,
        subject=user,
        scope_path=organisation.path,
        detail={"role": str(role)},
    )


def revoke_role(user: User, organisation: Organisation, role: str, *, by: User | None = None) -> None:
    _check_granter(by, organisation)
    with transaction.atomic():
        deleted, _ = Membership.objects.filter(user=user, organisation=organisation, role=role).delete()
        if not deleted:
            raise NotFound("该用户在此机构没有该角色", code="role.not_found")
        _audit_role("account.revoke_role", user, organisation, role, by)


def add_totp_device(user: User, *, key_hex: str | None = None, name: str = "身份验证器") -> TOTPDevice:
    """A confirmed TOTP device (RFC 6238, 30 s, 6 digits). ``key_hex`` fixes the secret (demo data)."""
    with transaction.atomic():
        device = TOTPDevice(user=user, name=name, confirmed=True)
        if key_hex:
            device.key = key_hex
        device.save()
        audit.record(
            "account.add_totp_device",
            subject=user,
            scope_path=user.scope_path,
        )
    return device
