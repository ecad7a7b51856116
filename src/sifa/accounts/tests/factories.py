"""The account tests' names for the shared test world (``sifa.testing``): the tree as a dataclass,
citizens, companies and staff registered with real logins."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from sifa.accounts.models import LegalPerson, NaturalPerson, User
from sifa.core.identifiers import id_number_check_digit, make_uscc
from sifa.organisations.models import Organisation
from sifa.testing import PASSWORD, CompanyFactory, PersonFactory, StaffFactory, tree
from sifa.testing import totp_code as totp_code

__all__ = ["PASSWORD", "Tree", "build_tree", "company", "id_number", "person", "phone", "staff", "uscc"]

_sequence = itertools.count(1)


@dataclass
class Tree:
    province: Organisation
    city: Organisation
    county: Organisation
    township: Organisation
    other_county: Organisation
    ministry: Organisation | None = None


def build_tree() -> Tree:
    """司法部 → 浙江省 → 杭州市 → 西湖区 → 北山街道 (and 西湖区法律援助中心), and 上城区 beside 西湖区
    (codes as in GB/T 2260)."""
    o = tree("ministry", "zj", "hz", "xh", "xh_town", "sc", "xh_aid")
    return Tree(o["zj"], o["hz"], o["xh"], o["xh_town"], o["sc"], o["ministry"])


def id_number(region: str = "330106", birth: dt.date = dt.date(1985, 3, 15), seq: int | None = None) -> str:
    first17 = f"{region}{birth:%Y%m%d}{(seq if seq is not None else next(_sequence)) % 1000:03d}"
    return first17 + id_number_check_digit(first17)


def phone() -> str:
    return f"138{next(_sequence):08d}"


def uscc(region: str = "330106") -> str:
    return make_uscc("3", "1", region, f"{next(_sequence):08d}")


def person(region_code: str = "330106001000", **overrides) -> NaturalPerson:
    return PersonFactory(region_code=region_code, **overrides)


def company(region_code: str = "330106", **overrides) -> LegalPerson:
    return CompanyFactory(region_code=region_code, **overrides)


def staff(organisation: Organisation, *roles: str, username: str | None = None, totp: bool = True) -> User:
    fields = {"username": username} if username else {}
    return StaffFactory(
        memberships=[(organisation, role) for role in roles],
        display_name="王五",
        totp=totp,
        registered=True,
        **fields,
    )
