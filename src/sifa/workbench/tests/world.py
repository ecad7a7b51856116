"""The test world of the workbench, shared by the Django client tests and the browser journey:
浙江省司法厅 → 杭州市司法局 (→ 西湖区司法局) and 宁波市司法局; the shipped catalogue; the official
calendar; staff with TOTP devices; a citizen; cases pending acceptance."""

from __future__ import annotations

import itertools

from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from sifa.accounts.models import User
from sifa.accounts.services import add_totp_device, create_staff
from sifa.applications.models import Application, ApplicationStatus
from sifa.catalogue.models import ImplementationEntry
from sifa.core.identifiers import make_uscc
from sifa.organisations.models import Organisation, OrganisationKind, Region

PASSWORD = "Sifa-workbench-2026!"
LAWYER = "律师执业许可（专职律师执业）"
_counter = itertools.count(1)


def _region(code: str, name: str, level: int, parent: Region | None) -> Region:
    return Region.objects.get_or_create(
        code=code, defaults={"name": name, "level": level, "parent": parent, "vintage": "test"}
    )[0]


def _org(
    name: str, kind: str, level: int, region: Region | None, parent: Organisation | None
) -> Organisation:
    org = Organisation.objects.create(
        name=name,
        kind=kind,
        level=level,
        region=region,
        parent=parent,
        path=f"/wb{next(_counter)}/",
        uscc=make_uscc("1", "1", (region.code if region else "100000")[:6], f"B{next(_counter):07d}"),
    )
    org.path = (parent.path if parent else "/") + f"{org.pk}/"
    org.save(update_fields=["path"])
    return org


def build_world() -> dict[str, Organisation]:
    """The organisation tree, the catalogue with its implementation entries, the calendar."""
    from sifa.catalogue.services import generate_entries, load_items
    from sifa.deadlines.services import seed_calendar
    from sifa.licences.services import load_licence_types

    zj = _region("330000", "浙江省", 1, None)
    hz = _region("330100", "杭州市", 2, zj)
    xh = _region("330106", "西湖区", 3, hz)
    nb = _region("330200", "宁波市", 2, zj)
    K = OrganisationKind
    o: dict[str, Organisation] = {}
    o["ministry"] = _org("中华人民共和国司法部", K.MINISTRY, 1, None, None)
    o["zj"] = _org("浙江省司法厅", K.BUREAU, 2, zj, o["ministry"])
    o["hz"] = _org("杭州市司法局", K.BUREAU, 3, hz, o["zj"])
    o["xh"] = _org("杭州市西湖区司法局", K.BUREAU, 4, xh, o["hz"])
    o["nb"] = _org("宁波市司法局", K.BUREAU, 3, nb, o["zj"])
    generate_entries(load_items())
    load_licence_types()  # as `sifa run` does: an approval issues its licence
    seed_calendar(2025, 2026)
    return o


def staff(username: str, *memberships: tuple[Organisation, str]) -> User:
    """A staff account (through the accounts service) with a confirmed TOTP device."""
    user = create_staff(username=username, display_name=username, password=PASSWORD, memberships=memberships)
    add_totp_device(user)
    return user


def totp_code(user: User) -> str:
    device = TOTPDevice.objects.get(user=user)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = timezone.now().timestamp()
    return f"{totp.token():0{device.digits}d}"


def verified_login(client, user: User) -> None:
    """What a password + TOTP login leaves in the session (see accounts.views.login_view)."""
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()


def citizen(username: str = "citizen") -> User:
    return User.objects.create_user(username=username, kind="person", display_name="李四")


def entry_for(item_name: str, organisation: Organisation) -> ImplementationEntry:
    return ImplementationEntry.objects.select_related("version").get(
        item__name=item_name, organisation=organisation
    )


def make_case(entry: ImplementationEntry, applicant: User, **fields) -> Application:
    """A case that passed pre-review and waits for acceptance (what ``submit`` + pre-review leave)."""
    now = timezone.now()
    values = {
        "number": f"WB{timezone.localdate():%Y%m%d}{next(_counter):08d}",
        "entry": entry,
        "version": entry.version,
        "applicant": applicant,
        "status": ApplicationStatus.PENDING_ACCEPTANCE,
        "accepting_organisation": entry.accepting_organisation,
        "scope_path": entry.accepting_organisation.path,
        "submitted_at": now,
        "received_at": now,
        **fields,
    }
    return Application.objects.create(**values)
