"""The test world: 浙江省司法厅 → 杭州市司法局 (→ 西湖区司法局 → 北山街道司法所, 西湖区法律援助中心) and
宁波市司法局 (→ 海曙区司法局); the shipped catalogue loaded on top; the 2025 official calendar; staff
with roles; a citizen. Built once per module inside a transaction that is rolled back afterwards."""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo

import chinese_calendar
import pytest
import time_machine
from django.db import transaction
from rest_framework.test import APIClient

from sifa.accounts.models import User
from sifa.applications.models import Application, ApplicationStatus
from sifa.catalogue.models import ImplementationEntry
from sifa.core.identifiers import make_uscc
from sifa.deadlines import db_calendar
from sifa.organisations.models import Membership, Organisation, OrganisationKind, Region, Role

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
_counter = itertools.count(1)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def travel(day: dt.date):
    return time_machine.travel(at(day), tick=False)


def working_days_after(start: dt.date, n: int) -> dt.date:
    """Brute force over chinese-calendar (the official calendar): the n-th working day after start."""
    day = start
    while n:
        day += dt.timedelta(days=1)
        n -= chinese_calendar.is_workday(day)
    return day


def _region(code: str, name: str, level: int, parent: Region | None) -> Region:
    return Region.objects.create(code=code, name=name, level=level, parent=parent, vintage="test")


def _org(
    name: str, kind: str, level: int, region: Region | None, parent: Organisation | None
) -> Organisation:
    registration = (region.code if region else "100000")[:6]
    org = Organisation.objects.create(
        name=name,
        kind=kind,
        level=level,
        region=region,
        parent=parent,
        path=f"/tmp{next(_counter)}/",
        uscc=make_uscc("1", "1", registration, f"W{next(_counter):07d}"),
    )
    org.path = (parent.path if parent else "/") + f"{org.pk}/"
    org.save(update_fields=["path"])
    return org


def build_world() -> dict[str, Organisation]:
    zj = _region("330000", "浙江省", 1, None)
    hz = _region("330100", "杭州市", 2, zj)
    xh = _region("330106", "西湖区", 3, hz)
    town = _region("330106001000", "北山街道", 4, xh)
    nb = _region("330200", "宁波市", 2, zj)
    hs = _region("330203", "海曙区", 3, nb)
    K = OrganisationKind
    o: dict[str, Organisation] = {}
    o["ministry"] = _org("中华人民共和国司法部", K.MINISTRY, 1, None, None)
    o["zj"] = _org("浙江省司法厅", K.BUREAU, 2, zj, o["ministry"])
    o["hz"] = _org("杭州市司法局", K.BUREAU, 3, hz, o["zj"])
    o["xh"] = _org("杭州市西湖区司法局", K.BUREAU, 4, xh, o["hz"])
    o["xh_aid"] = _org("杭州市西湖区法律援助中心", K.LEGAL_AID_CENTRE, 4, xh, o["xh"])
    o["xh_town"] = _org("北山街道司法所", K.JUDICIAL_OFFICE, 5, town, o["xh"])
    o["nb"] = _org("宁波市司法局", K.BUREAU, 3, nb, o["zj"])
    o["hs"] = _org("宁波市海曙区司法局", K.BUREAU, 4, hs, o["nb"])
    return o


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    from sifa.catalogue.services import generate_entries, load_items
    from sifa.deadlines.services import seed_calendar
    from sifa.licences.services import load_licence_types

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            orgs = build_world()
            generate_entries(load_items())
            load_licence_types()  # as `sifa run` does: an approval issues its licence
            seed_calendar(2025, 2026)
            yield orgs
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def w(world, db):
    db_calendar.forget()
    yield world
    db_calendar.forget()


def staff(username: str, organisation: Organisation, *roles: str) -> User:
    user = User.objects.create_user(username=username, kind="staff", display_name=username)
    for role in roles:
        Membership.objects.create(user=user, organisation=organisation, role=role)
    return user


@pytest.fixture
def people(w) -> dict[str, User]:
    return {
        "hz_clerk": staff("hz-clerk", w["hz"], Role.WINDOW_CLERK),
        "hz_reviewer": staff("hz-reviewer", w["hz"], Role.REVIEWER),
        "zj_decider": staff("zj-decider", w["zj"], Role.DECISION_MAKER),
        "zj_clerk": staff("zj-clerk", w["zj"], Role.WINDOW_CLERK),
        "nb_reviewer": staff("nb-reviewer", w["nb"], Role.REVIEWER),
        "town_clerk": staff("town-clerk", w["xh_town"], Role.WINDOW_CLERK),
        "aid_clerk": staff("aid-clerk", w["xh_aid"], Role.WINDOW_CLERK, Role.DECISION_MAKER, Role.REVIEWER),
        "citizen": User.objects.create_user(username="citizen", kind="person", display_name="李四"),
    }


def entry_for(item_name: str, organisation: Organisation) -> ImplementationEntry:
    return ImplementationEntry.objects.select_related("version").get(
        item__name=item_name, organisation=organisation
    )


def make_case(
    entry: ImplementationEntry,
    citizen: User,
    *,
    received: dt.date = dt.date(2025, 9, 1),
    status: str = ApplicationStatus.PENDING_ACCEPTANCE,
    version=None,
) -> Application:
    return Application.objects.create(
        number=f"W2025{next(_counter):010d}",
        entry=entry,
        version=version or entry.version,
        applicant=citizen,
        status=status,
        accepting_organisation=entry.accepting_organisation,
        scope_path=entry.accepting_organisation.path,
        submitted_at=at(received, 9),
        received_at=at(received, 9),
    )


def client_for(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def command(user: User, number: str, name: str, **body):
    return client_for(user).post(f"/api/v1/cases/{number}/commands/{name}/", body, format="json")
