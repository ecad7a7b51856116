"""A small tree (司法部 → 浙江省司法厅 → 杭州市司法局 → 西湖区司法局, and 北京市司法局) with USCCs,
citizens and a law firm registered through the accounts services, a deciding official, and a key
ring of its own in a temporary directory (rotation here never touches anyone else's keys)."""

from __future__ import annotations

import itertools

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from sifa.accounts.services import register_company, register_person
from sifa.core.identifiers import id_number_check_digit, make_uscc
from sifa.core.signing import KeyRing
from sifa.licences.services import load_licence_types
from sifa.organisations.models import Membership, Organisation, OrganisationKind, Region, Role

PASSWORD = "Sifa-Secret-2026!"
_counter = itertools.count(1)


def id_number(first17: str) -> str:
    return first17 + id_number_check_digit(first17)


CITIZEN_ID = id_number("33010619880808123")
OTHER_ID = id_number("33010619900202456")


@pytest.fixture(autouse=True)
def ring(settings, tmp_path, monkeypatch) -> KeyRing:
    settings.MEDIA_ROOT = tmp_path / "media"
    keys = KeyRing(tmp_path / "signing", generate=True)
    monkeypatch.setattr("sifa.licences.payload.default_keyring", lambda: keys)
    cache.clear()  # the verification throttle counts in the cache
    yield keys
    cache.clear()


def _org(
    name: str, kind: str, level: int, region: Region | None, parent: Organisation | None
) -> Organisation:
    registration = region.code[:6] if region else "100000"
    org = Organisation.objects.create(
        name=name,
        kind=kind,
        level=level,
        region=region,
        parent=parent,
        path=f"/tmp{next(_counter)}/",
        uscc=make_uscc("1", "1", registration, f"J{next(_counter):07d}"),
    )
    org.path = (parent.path if parent else "/") + f"{org.pk}/"
    org.save(update_fields=["path"])
    return org


@pytest.fixture
def orgs(db) -> dict[str, Organisation]:
    def region(code, name, level, parent=None):
        return Region.objects.create(code=code, name=name, level=level, parent=parent, vintage="test")

    zj = region("330000", "浙江省", 1)
    hz = region("330100", "杭州市", 2, zj)
    xh = region("330106", "西湖区", 3, hz)
    bj = region("110000", "北京市", 1)
    bureau = OrganisationKind.BUREAU
    o = {"ministry": _org("中华人民共和国司法部", OrganisationKind.MINISTRY, 1, None, None)}
    o["zj"] = _org("浙江省司法厅", bureau, 2, zj, o["ministry"])
    o["hz"] = _org("杭州市司法局", bureau, 3, hz, o["zj"])
    o["xh"] = _org("杭州市西湖区司法局", bureau, 4, xh, o["hz"])
    o["bj"] = _org("北京市司法局", bureau, 2, bj, o["ministry"])
    load_licence_types()
    return o


def staff(django_user_model, organisation: Organisation, role: str = Role.DECISION_MAKER):
    user = django_user_model.objects.create_user(f"staff{next(_counter)}", PASSWORD, kind="staff")
    Membership.objects.create(user=user, organisation=organisation, role=role)
    return user


@pytest.fixture
def people(orgs, django_user_model) -> dict:
    citizen = register_person(
        name="张三", id_number=CITIZEN_ID, phone="13900000001", password=PASSWORD, region_code="330106"
    ).user
    other = register_person(
        name="李四", id_number=OTHER_ID, phone="13900000002", password=PASSWORD, region_code="330106"
    ).user
    firm = register_company(
        name="浙江示例律师事务所",
        uscc=make_uscc("3", "1", "330106", f"{next(_counter):08d}"),
        legal_representative="王五",
        phone="13900000003",
        password=PASSWORD,
        region_code="330106",
    ).user
    return {
        "citizen": citizen,
        "other": other,
        "firm": firm,
        "decider": staff(django_user_model, orgs["zj"]),
        "bj_decider": staff(django_user_model, orgs["bj"]),
        "hz_clerk": staff(django_user_model, orgs["hz"], Role.WINDOW_CLERK),
        "xh_clerk": staff(django_user_model, orgs["xh"], Role.WINDOW_CLERK),
    }


def client_for(user=None) -> APIClient:
    api = APIClient()
    if user is not None:
        api.force_authenticate(user)
    return api
