"""The demo data set: who exists, with which roles where, and the fixed secrets to log in with."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from sifa.accounts import consents, services
from sifa.accounts.models import AccountKind, LegalPerson, Mandate, NaturalPerson, User
from sifa.accounts.services.registration import id_number_index
from sifa.core.crypto import sm3
from sifa.core.identifiers import id_number_check_digit, make_uscc
from sifa.organisations.models import Membership, Organisation, OrganisationKind, Region, RegionLevel, Role

DEMO_PASSWORD = "Sifa-demo-2026!"  # noqa: S105 — published on purpose; ensure_allowed() keeps it out of production

CITIZEN = {
    "name": "陈明",
    "birth": "19850315",
    "seq": "123",
    "phone": "13800000001",
    "username": "demo-citizen",
}
AGENT = {"name": "刘芳", "birth": "19900720", "seq": "456", "phone": "13800000002"}
CLIENT = {"name": "王丽", "birth": "19960411", "seq": "268", "phone": "13800000004"}
"""The law firm's client: she mandates 浙江明理律师事务所 to apply for her 律师执业许可 (the
mandate names a catalogue item, so ``sifa load-demo-cases`` grants it once the catalogue is in)."""
COMPANY = {
    "name": "浙江明理律师事务所（演示）",
    "org_body": "MA2DEM81",
    "phone": "13800000003",
    "representative": "周律",
}

# (username, display name, organisation key, roles)
STAFF = [
    # 司法部 accepts and decides 特许律师执业 (律师法 §8), appoints 公证员 (公证法 §21), recognises
    # 法律职业资格 and decides on foreign law firms' offices (条例 §9).
    (
        "demo-ministry",
        "司法部审批人员（演示）",
        "ministry",
        [Role.WINDOW_CLERK, Role.REVIEWER, Role.DECISION_MAKER],
    ),
    (
        "demo-province",
        "省厅审批人员（演示）",
        "province",
        [Role.DECISION_MAKER, Role.CATALOGUE_ADMIN, Role.SUPERVISOR],
    ),
    # The province's own window and review: it receives foreign law firms' applications (条例 §8),
    # reviews 公证员 and 法律职业资格 cases between the city or county and the ministry, and
    # delivers what it issues.
    ("demo-province-clerk", "省厅窗口和审查人员（演示）", "province", [Role.WINDOW_CLERK, Role.REVIEWER]),
    # The city's window accepts and delivers its licensing cases (律师法 §6: apply to the city).
    ("demo-city", "市局审查人员（演示）", "city", [Role.REVIEWER, Role.DECISION_MAKER, Role.WINDOW_CLERK]),
    # 好差评 and 投诉举报: the city's supervisor works the rectifications of its 差评 and handles the
    # complaints routed to it (and those of its county bureaus and 司法所, which have no supervisor of
    # their own); the province's supervisor (demo-province) sees the escalated ones and 督办s.
    ("demo-city-supervisor", "市局监督人员（演示）", "city", [Role.SUPERVISOR]),
    # The county bureau also decides legal-aid objections (法律援助法 §49: the bureau that set up the centre),
    # and its consultant supervises the consultations its 司法所 leave unanswered (逾期升级).
    (
        "demo-county",
        "西湖区窗口人员（演示）",
        "county",
        [Role.WINDOW_CLERK, Role.REVIEWER, Role.DECISION_MAKER, Role.CONSULTANT],
    ),
    # The 司法所 registers mediation applications and handles them (人民调解法; the reviewer role is the 承办人).
    (
        "demo-township",
        "司法所工作人员（演示）",
        "township",
        [Role.WINDOW_CLERK, Role.CONSULTANT, Role.REVIEWER],
    ),
    (
        "demo-legal-aid",
        "法律援助中心工作人员（演示）",
        "legal_aid",
        [Role.WINDOW_CLERK, Role.REVIEWER, Role.DECISION_MAKER],
    ),
    # 上城区 has its own entries (公证员、公证机构、基层法律服务工作者, 法律援助异议处理): its bureau decides
    # the objections to its legal-aid centre's decisions (法律援助法 §49) as 西湖区's does.
    (
        "demo-county2",
        "上城区窗口人员（演示）",
        "other_county",
        [Role.WINDOW_CLERK, Role.REVIEWER, Role.DECISION_MAKER],
    ),
    # The province's 12348 hotline: records calls and routes them (or answers on the call).
    ("demo-hotline", "12348热线接线员（演示）", "province", [Role.CONSULTANT]),
    # The national working-day calendar: enters the State Council's annual holiday notice.
    ("demo-calendar", "司法部工作日历管理员（演示）", "ministry", [Role.CALENDAR_ADMIN]),
    # 群众常用说法 (search synonyms) of the shipped items, which the ministry owns.
    ("demo-catalogue", "司法部事项管理员（演示）", "ministry", [Role.CATALOGUE_ADMIN]),
    # 模拟办件 and 随机抽查 (sifa.inspections): the province's inspector, and the city's for its subtree.
    ("demo-inspector", "省厅督查人员（演示）", "province", [Role.INSPECTOR]),
    ("demo-city-inspector", "杭州市局督查人员（演示）", "city", [Role.INSPECTOR]),
    # 数据交换管理员 of 杭州: the exchange's dead letters in the city's subtree (the 西湖区法律援助中心's
    # 指派律师通知 to the court among them), 重新发送, and the partner registry (docs/exchange.md).
    ("demo-exchange", "数据交换管理员（演示）", "city", [Role.EXCHANGE_OPERATOR]),
    ("demo-sysadmin", "系统管理员（演示）", "province", [Role.SYSTEM_ADMIN]),
    ("demo-secadmin", "安全管理员（演示）", "province", [Role.SECURITY_ADMIN]),
    ("demo-auditadmin", "审计管理员（演示）", "province", [Role.AUDIT_ADMIN]),
]

MISSING_TREE = "尚未导入行政区划和机构树，请先运行 `sifa import-regions && sifa build-organisations`"


def ensure_allowed() -> None:
    """Demo accounts have published passwords: never in a production deployment."""
    if not settings.DEBUG and not settings.TESTING:
        raise CommandError("演示数据只能在开发环境（SIFA_DEBUG=1）中使用，生产环境禁止创建演示账户")


def demo_totp_key(username: str) -> str:
    """A fixed 20-byte TOTP secret per demo user, derived from the username (hex for django-otp)."""
    return sm3(f"sifa-demo-totp:{username}".encode())[:20].hex()


def totp_secret_base32(key_hex: str) -> str:
    return base64.b32encode(bytes.fromhex(key_hex)).decode()


def _id_number(spec: dict[str, str]) -> str:
    first17 = f"330106{spec['birth']}{spec['seq']}"
    return first17 + id_number_check_digit(first17)


def _demo_uscc() -> str:
    # 司法行政 registration (3), 律师事务所 (1), registered in 西湖区.
    return make_uscc("3", "1", "330106", COMPANY["org_body"])


@dataclass(frozen=True)
class DemoTree:
    ministry: Organisation
    province: Organisation
    city: Organisation
    county: Organisation
    township: Organisation
    other_county: Organisation
    legal_aid: Organisation


def _bureau(code: str) -> Organisation | None:
    return (
        Organisation.objects.filter(region_id=code, kind=OrganisationKind.BUREAU, is_active=True)
        .order_by("level", "path")
        .first()
    )


def find_tree() -> DemoTree:
    township_region = (
        Region.objects.filter(parent_id="330106", level=RegionLevel.TOWNSHIP).order_by("code").first()
    )
    township = (
        Organisation.objects.filter(region=township_region, kind=OrganisationKind.JUDICIAL_OFFICE).first()
        if township_region
        else None
    )
    found = {
        "ministry": Organisation.objects.filter(kind=OrganisationKind.MINISTRY, is_active=True).first(),
        "province": _bureau("330000"),
        "city": _bureau("330100"),
        "county": _bureau("330106"),
        "township": township,
        "other_county": _bureau("330102"),
        "legal_aid": Organisation.objects.filter(
            region_id="330106", kind=OrganisationKind.LEGAL_AID_CENTRE, is_active=True
        )
        .order_by("path")
        .first(),
    }
    if any(org is None for org in found.values()):
        raise CommandError(MISSING_TREE)
    return DemoTree(**found)


def _person(spec: dict[str, str]) -> User:
    existing = NaturalPerson.objects.filter(id_number_index=id_number_index(_id_number(spec))).first()
    if existing is not None:
        return existing.user
    township = Region.objects.filter(parent_id="330106", level=RegionLevel.TOWNSHIP).order_by("code").first()
    person = services.register_person(
        name=spec["name"],
        id_number=_id_number(spec),
        phone=spec["phone"],
        password=DEMO_PASSWORD,
        region_code=township.code,
        is_demo=True,
        # The demo citizens registered as anyone does on the portal: with the §29 separate consent.
        id_number_consent=consents.current(consents.REGISTER_ID_NUMBER).version,
    )
    return person.user


@transaction.atomic
def load() -> dict[str, int]:
    """Create whatever part of the demo set is missing (safe to run again)."""
    tree = find_tree()
    created = {"staff": 0, "citizens": 0, "companies": 0, "mandates": 0}
    before = User.objects.filter(is_demo=True, kind=AccountKind.PERSON).count()
    citizen = _person(CITIZEN)
    agent = _person(AGENT)
    _person(CLIENT)
    created["citizens"] = User.objects.filter(is_demo=True, kind=AccountKind.PERSON).count() - before
    if not LegalPerson.objects.filter(uscc=_demo_uscc()).exists():
        services.register_company(
            name=COMPANY["name"],
            uscc=_demo_uscc(),
            legal_representative=COMPANY["representative"],
            phone=COMPANY["phone"],
            password=DEMO_PASSWORD,
            region_code="330106",
            is_demo=True,
        )
        created["companies"] = 1
    if not Mandate.objects.filter(principal=citizen, agent=agent).exists():
        today = timezone.localdate()
        services.create_mandate(
            principal=citizen,
            agent=agent,
            scope=[],
            valid_from=today,
            valid_until=today + dt.timedelta(days=365),
            document_reference="演示委托书 DEMO-0001",
        )
        created["mandates"] = 1
    for username, display_name, org_key, roles in STAFF:
        organisation = getattr(tree, org_key)
        if organisation is None:
            continue
        existing = User.objects.filter(username=username).first()
        if existing is not None:
            # A demo set loaded by an older version gains the roles added since.
            for role in roles:
                if not Membership.objects.filter(
                    user=existing, organisation=organisation, role=role
                ).exists():
                    services.grant_role(existing, organisation, role)
            continue
        user = services.create_staff(
            username=username,
            display_name=display_name,
            password=DEMO_PASSWORD,
            memberships=[(organisation, role) for role in roles],
            is_demo=True,
        )
        services.add_totp_device(user, key_hex=demo_totp_key(username))
        created["staff"] += 1
    return created


def listing(extra: Callable[[User], dict[str, object]] | None = None) -> list[dict[str, object]]:
    """Every demo account with what a tester needs to log in; ``extra(user)`` adds fields (the
    demo app adds the licences each holds)."""
    rows: list[dict[str, object]] = []
    for user in User.objects.filter(is_demo=True).order_by("kind", "username"):
        memberships = list(
            Membership.objects.filter(user=user).select_related("organisation").order_by("role")
        )
        if memberships:
            org = memberships[0].organisation
            code, name = org.region_id, org.name
        else:
            region = getattr(getattr(user, "person", None), "region", None) or getattr(
                getattr(user, "company", None), "region", None
            )
            code, name = (region.code, region.name) if region else (None, None)
        login = user.username if user.kind == AccountKind.STAFF else user.reveal_phone()
        rows.append(
            {
                "username": login,
                "password": DEMO_PASSWORD,
                "kind": user.kind,
                "display_name": user.display_name,
                "roles": [m.role for m in memberships],
                "organisation_code": code,
                "organisation_name": name,
                "totp_secret": totp_secret_base32(demo_totp_key(user.username))
                if user.kind == AccountKind.STAFF
                else None,
                **(extra(user) if extra else {}),
            }
        )
    return rows
