"""The test world of the workbench, shared by the Django client tests and the browser journeys:
浙江省司法厅 → 杭州市司法局 (→ 西湖区司法局) and 宁波市司法局; the shipped catalogue; the official
calendar; staff with TOTP devices; a citizen; cases pending acceptance (all from ``sifa.testing``)."""

from __future__ import annotations

from sifa.accounts.models import User
from sifa.organisations.models import Organisation
from sifa.testing import (
    PASSWORD,
    CitizenFactory,
    StaffFactory,
    catalogue_tree,
    totp_code,
    verified_login,
)
from sifa.testing.cases import entry_for, make_case

__all__ = ["LAWYER", "PASSWORD", "build_world", "citizen", "entry_for", "make_case", "staff", "totp_code"]
__all__ += ["verified_login"]

LAWYER = "律师执业许可（专职律师执业）"
WORKBENCH_TREE = ("ministry", "zj", "hz", "xh", "nb")


def build_world() -> dict[str, Organisation]:
    """The organisation tree, the catalogue with its implementation entries, the calendar."""
    from sifa.deadlines.services import seed_calendar

    orgs = catalogue_tree(*WORKBENCH_TREE)  # built once per process (sifa.testing.snapshot)
    seed_calendar(2025, 2026)
    return orgs


def staff(username: str, *memberships: tuple[Organisation, str]) -> User:
    """A staff account created as an administrator does, with a confirmed TOTP device."""
    return StaffFactory(username=username, memberships=memberships, two_factor=True, registered=True)


def citizen(username: str = "citizen") -> User:
    return CitizenFactory(username=username)
