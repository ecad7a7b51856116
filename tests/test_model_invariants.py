"""Model invariants in ``clean()``: what a form or the admin can reach is refused with a Chinese
message on the field concerned, before the database (or a service) has to.

Each rule has a test that ``full_clean`` raises on the breaking value and that a valid value
passes; the shared test tree and the organisation tree built from the real region file pass them
all, so the rules describe Sifa's data as it is.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from sifa.accounts.models import Mandate
from sifa.catalogue.models import ItemVersion
from sifa.deadlines.models import CalendarDay, DayKind
from sifa.licences.models import Licence, LicenceAuthorisation
from sifa.organisations.models import (
    Membership,
    Organisation,
    OrganisationKind,
    OrganisationLevel,
    Region,
    RegionLevel,
    Role,
)
from sifa.testing import NODES, CitizenFactory, StaffFactory, tree

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 2)


def refused(instance, field: str = "__all__") -> list[str]:
    """The messages ``full_clean`` gives for ``field``."""
    with pytest.raises(ValidationError) as raised:
        instance.full_clean()
    return raised.value.message_dict.get(field, [])


# --- dates that run backwards -------------------------------------------------------------------


def test_a_licence_does_not_expire_before_it_is_valid():
    licence = Licence(valid_from=DAY, valid_until=DAY - dt.timedelta(days=1))
    assert refused(licence, "valid_until") == ["有效期截止日期不能早于有效期起始日期"]
    Licence(valid_from=DAY, valid_until=DAY).clean()
    Licence(valid_from=DAY, valid_until=None).clean()  # 长期有效


def test_a_licence_status_change_takes_effect_no_earlier_than_the_licence():
    licence = Licence(valid_from=DAY, status_date=DAY - dt.timedelta(days=1))
    assert refused(licence, "status_date") == ["状态变更日期不能早于有效期起始日期"]


def test_a_suspension_ends_after_it_begins():
    licence = Licence(valid_from=DAY, status_date=DAY, suspended_until=DAY - dt.timedelta(days=1))
    assert refused(licence, "suspended_until") == ["停止执业截止日期不能早于状态变更日期"]
    Licence(valid_from=DAY, status_date=DAY, suspended_until=DAY).clean()


def test_a_mandate_window_runs_forwards():
    mandate = Mandate(valid_from=DAY, valid_until=DAY - dt.timedelta(days=1))
    assert refused(mandate, "valid_until") == ["截止日期不能早于生效日期"]
    Mandate(valid_from=DAY, valid_until=DAY).clean()


def test_no_one_mandates_themselves():
    citizen = CitizenFactory()
    mandate = Mandate(principal=citizen, agent=citizen, valid_from=DAY, valid_until=DAY)
    assert refused(mandate, "agent") == ["不能委托本人代办"]


def test_an_item_version_ends_after_it_takes_effect():
    moment = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
    version = ItemVersion(valid_from=moment, valid_until=moment)
    assert refused(version, "valid_until") == ["失效时间应晚于生效时间"]
    ItemVersion(valid_from=moment, valid_until=moment + dt.timedelta(days=1)).clean()


# --- one of two -----------------------------------------------------------------------------------


def test_a_licence_authorisation_names_an_organisation_or_a_case_not_both_nor_neither():
    assert "被授权机构与被授权办件须二选一" in refused(LicenceAuthorisation())
    both = LicenceAuthorisation(grantee_organisation_id=1, grantee_application_id=1)
    assert "被授权机构与被授权办件须二选一" in refused(both)
    LicenceAuthorisation(grantee_organisation_id=1).clean()


# --- the calendar -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("is_workday", "kind"),
    [
        (True, DayKind.HOLIDAY),
        (True, DayKind.WEEKEND),
        (False, DayKind.WORKDAY),
        (False, DayKind.MAKEUP_WORKDAY),
    ],
)
def test_a_calendar_day_kind_agrees_with_whether_it_is_worked(is_workday, kind):
    day = CalendarDay(date=DAY, is_workday=is_workday, kind=kind, source="manual")
    [message] = refused(day, "kind")
    assert message.endswith("与“是否工作日”不符")


def test_a_calendar_day_that_agrees_passes():
    CalendarDay(date=DAY, is_workday=True, kind=DayKind.MAKEUP_WORKDAY, source="manual").full_clean()


# --- the organisation tree ---------------------------------------------------------------------------


def test_a_region_code_has_the_length_of_its_level():
    assert refused(Region(code="3301", name="杭州市", level=RegionLevel.CITY, vintage="t"), "code") == [
        "地级区划代码应为6位数字"
    ]
    town = Region(code="330106", name="北山街道", level=RegionLevel.TOWNSHIP, vintage="t")
    assert refused(town, "code") == ["乡级区划代码应为12位数字"]


def test_a_region_lies_under_its_parent():
    zj = tree("zj")["zj"].region
    nanjing = Region(code="320100", name="南京市", level=RegionLevel.CITY, parent=zj, vintage="t")
    assert refused(nanjing, "parent") == ["区划代码320100不在上级区划330000之下"]
    upside_down = Region(code="330000", name="浙江省", level=RegionLevel.PROVINCE, parent=zj, vintage="t")
    assert refused(upside_down, "parent") == ["上级区划的层级应高于本区划"]


def test_a_judicial_office_stands_at_the_township_level():
    xh = tree("xh")["xh"]
    office = Organisation(
        name="某司法所", kind=OrganisationKind.JUDICIAL_OFFICE, level=4, parent=xh, path="/x/"
    )
    assert refused(office, "kind") == ["司法所只能设在乡级"]


def test_only_the_ministry_stands_at_the_ministry_level():
    bureau = Organisation(
        name="某司法厅", kind=OrganisationKind.BUREAU, level=OrganisationLevel.MINISTRY, path="/x/"
    )
    assert refused(bureau, "kind") == ["只有司法部位于部级，部级机构只能是司法部"]


def test_an_organisation_never_stands_above_its_parent():
    xh = tree("xh")["xh"]
    city = Organisation(
        name="某市司法局", kind=OrganisationKind.BUREAU, level=OrganisationLevel.CITY, parent=xh, path="/x/"
    )
    assert refused(city, "parent") == ["机构的层级不能高于其上级机构"]
    orphan = Organisation(
        name="某省司法厅", kind=OrganisationKind.BUREAU, level=OrganisationLevel.PROVINCE, path="/y/"
    )
    assert refused(orphan, "parent") == ["除司法部外，每个机构都须有上级机构"]


# --- roles ---------------------------------------------------------------------------------------------


def test_only_staff_hold_roles():
    hz = tree("hz")["hz"]
    membership = Membership(user=CitizenFactory(), organisation=hz, role=Role.WINDOW_CLERK)
    assert refused(membership, "user") == ["只有工作人员账号可以担任岗位角色"]


def test_the_calendar_is_kept_at_the_ministry():
    orgs = tree("ministry", "zj")
    membership = Membership(user=StaffFactory(), organisation=orgs["zj"], role=Role.CALENDAR_ADMIN)
    assert refused(membership, "role") == ["工作日历管理员只能设在司法部"]
    Membership(user=StaffFactory(), organisation=orgs["ministry"], role=Role.CALENDAR_ADMIN).full_clean()


def test_no_one_holds_two_separated_administrator_roles():
    zj = tree("zj")["zj"]
    admin = StaffFactory(memberships=[(zj, Role.SYSTEM_ADMIN)])
    second = Membership(user=admin, organisation=zj, role=Role.AUDIT_ADMIN)
    message = "三员分立：系统管理员、安全管理员、审计管理员不得由同一人兼任，每人只担任一个此类岗位"
    assert refused(second, "role") == [message]
    elsewhere = Membership(user=admin, organisation=tree("hz", on={"zj": zj})["hz"], role=Role.SYSTEM_ADMIN)
    assert refused(elsewhere, "role") == [message]
    Membership(user=StaffFactory(), organisation=zj, role=Role.AUDIT_ADMIN).full_clean()


# --- the data as it is -------------------------------------------------------------------------------------


def test_the_shared_test_tree_keeps_every_rule():
    orgs = tree(*NODES)
    for organisation in orgs.values():
        organisation.full_clean()
        if organisation.region:
            organisation.region.full_clean()


def test_the_tree_built_from_the_real_region_file_keeps_every_rule(tmp_path):
    from sifa.organisations.services import build_organisations, import_regions
    from sifa.organisations.tests.conftest import write_subset

    import_regions(write_subset(tmp_path / "regions.csv.gz"))
    build_organisations()
    assert Organisation.objects.count() > 10
    for region in Region.objects.select_related("parent"):
        region.full_clean()
    for organisation in Organisation.objects.select_related("parent"):
        organisation.full_clean()
