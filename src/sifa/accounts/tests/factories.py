"""Small builders for account tests: a region/organisation tree, citizens, companies, staff."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from sifa.accounts import services
from sifa.accounts.models import LegalPerson, NaturalPerson, User
from sifa.core.identifiers import id_number_check_digit, make_uscc
from sifa.organisations.models import Organisation, OrganisationKind, OrganisationLevel, Region, RegionLevel

PASSWORD = "Sifa-test-2026!"
_sequence = itertools.count(1)


@dataclass
class Tree:
    province: Organisation
    city: Organisation
    county: Organisation
    township: Organisation
    other_county: Organisation
    ministry: Organisation | None = None


def _org(
    name: str, kind: str, level: int, region: Region | None, parent: Organisation | None
) -> Organisation:
    org = Organisation.objects.create(
        name=name, kind=kind, level=level, region=region, parent=parent, path=f"/tmp{next(_sequence)}/"
    )
    org.path = f"{parent.path if parent else '/'}{org.pk}/"
    org.save(update_fields=["path"])
    return org


def build_tree() -> Tree:
    """司法部 → 浙江省 → 杭州市 → 西湖区 → 北山街道 (and 西湖区法律援助中心), and 上城区 beside 西湖区
    (codes as in GB/T 2260)."""
    vintage = "test fixture"
    zj = Region.objects.create(code="330000", name="浙江省", level=RegionLevel.PROVINCE, vintage=vintage)
    hz = Region.objects.create(
        code="330100", name="杭州市", level=RegionLevel.CITY, parent=zj, vintage=vintage
    )
    xh = Region.objects.create(
        code="330106", name="西湖区", level=RegionLevel.COUNTY, parent=hz, vintage=vintage
    )
    bs = Region.objects.create(
        code="330106001000", name="北山街道", level=RegionLevel.TOWNSHIP, parent=xh, vintage=vintage
    )
    sc = Region.objects.create(
        code="330102", name="上城区", level=RegionLevel.COUNTY, parent=hz, vintage=vintage
    )
    bureau = OrganisationKind.BUREAU
    ministry = _org("中华人民共和国司法部", OrganisationKind.MINISTRY, OrganisationLevel.MINISTRY, None, None)
    province = _org("浙江省司法厅", bureau, OrganisationLevel.PROVINCE, zj, ministry)
    city = _org("杭州市司法局", bureau, OrganisationLevel.CITY, hz, province)
    county = _org("杭州市西湖区司法局", bureau, OrganisationLevel.COUNTY, xh, city)
    township = _org(
        "北山街道司法所", OrganisationKind.JUDICIAL_OFFICE, OrganisationLevel.TOWNSHIP, bs, county
    )
    other = _org("杭州市上城区司法局", bureau, OrganisationLevel.COUNTY, sc, city)
    _org("杭州市西湖区法律援助中心", OrganisationKind.LEGAL_AID_CENTRE, OrganisationLevel.COUNTY, xh, county)
    return Tree(province, city, county, township, other, ministry)


def id_number(region: str = "330106", birth: dt.date = dt.date(1985, 3, 15), seq: int | None = None) -> str:
    first17 = f"{region}{birth:%Y%m%d}{(seq if seq is not None else next(_sequence)) % 1000:03d}"
    return first17 + id_number_check_digit(first17)


def phone() -> str:
    return f"138{next(_sequence):08d}"


def uscc(region: str = "330106") -> str:
    return make_uscc("3", "1", region, f"{next(_sequence):08d}")


def person(region_code: str = "330106001000", **overrides) -> NaturalPerson:
    data = {
        "name": "张三",
        "id_number": id_number(region_code[:6]),
        "phone": phone(),
        "password": PASSWORD,
        "region_code": region_code,
    }
    data.update(overrides)
    return services.register_person(**data)


def company(region_code: str = "330106", **overrides) -> LegalPerson:
    data = {
        "name": "浙江示例律师事务所",
        "uscc": uscc(region_code[:6]),
        "legal_representative": "李四",
        "phone": phone(),
        "password": PASSWORD,
        "region_code": region_code,
    }
    data.update(overrides)
    return services.register_company(**data)


def staff(organisation: Organisation, *roles: str, username: str | None = None, totp: bool = True) -> User:
    user = services.create_staff(
        username=username or f"staff{next(_sequence)}",
        display_name="王五",
        password=PASSWORD,
        memberships=[(organisation, role) for role in roles],
    )
    if totp:
        services.add_totp_device(user)
    return user


def totp_code(user: User) -> str:
    device = TOTPDevice.objects.get(user=user)
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():06d}"
