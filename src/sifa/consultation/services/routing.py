"""Who answers a consultation: the organisation for a place and a category (pure reads).

The rule (docs/consultation.md, "Routing"):

* questions of law in daily life (婚姻家庭, 劳动, 合同, 房产, 人身损害, 刑事, 行政, 人民调解, 其他)
  go to the **司法所** of the asker's township (街道、乡镇) — the county bureau's office in the
  township, through which it guides 人民调解 (人民调解法 §5); from a place without a township, or a township
  without an office in Sifa, to the county bureau;
* **法律援助** goes to the county's 法律援助中心 (法律援助法 §12: 县级以上人民政府司法行政部门设立法律援助机构),
  or the county bureau where the county has none;
* questions about **律师、公证、司法鉴定** and other legal services go to the county bureau, which
  supervises the practitioners of its area;
* a county-level place without a bureau in Sifa walks up to the city, then the province.

A hotline operator may route by hand to an organisation in their jurisdiction instead.

A ticket is routed by hand at the desk or transferred (转办) only to an organisation that can take
it: one with an active consultant of its own (:func:`staffed`), who answers it there; elsewhere it
would land in no one's hands (docs/consultation.md, "Transfer").
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from sifa.consultation.models import Category
from sifa.core.errors import ServiceError
from sifa.organisations.models import Membership, Organisation, OrganisationKind, Region, RegionLevel, Role

TOWNSHIP_CATEGORIES = frozenset(Category.values) - {Category.LEGAL_AID, Category.PRACTICE}
ANSWERING_KINDS = (
    OrganisationKind.JUDICIAL_OFFICE,
    OrganisationKind.LEGAL_AID_CENTRE,
    OrganisationKind.LEGAL_SERVICE_CENTRE,
    OrganisationKind.BUREAU,
    OrganisationKind.MINISTRY,
)
"""Organisations that answer consultations (every kind Sifa has)."""
TAKING_ROLES = (Role.CONSULTANT,)
"""The role that answers a ticket (``tickets.ANSWER_ROLES``): an organisation takes a transferred
ticket only if an active member holds it there."""


def staffed(rows: QuerySet[Organisation]) -> QuerySet[Organisation]:
    """``rows`` narrowed to the organisations with an active consultant of their own (one query,
    the test inside it)."""
    members = Membership.objects.filter(
        organisation=OuterRef("pk"), role__in=TAKING_ROLES, user__is_active=True
    )
    return rows.filter(Exists(members))


def takes_tickets(organisation: Organisation) -> bool:
    return staffed(Organisation.objects.filter(pk=organisation.pk)).exists()


def no_taker(organisation: Organisation) -> str:
    """Why a ticket is not transferred to ``organisation`` (``consultation.no_consultant``)."""
    return f"{organisation.name}暂无承办咨询的工作人员，转办后将无人答复，请选择其他机构"


def no_taker_at_desk(organisation: Organisation) -> str:
    """Why a call is not routed by hand to ``organisation`` (``consultation.no_consultant``)."""
    return f"{organisation.name}暂无承办咨询的工作人员，分派后将无人答复，请选择其他机构或自动分派"


def _active(**lookup: object) -> Organisation | None:
    return Organisation.objects.filter(is_active=True, **lookup).order_by("level", "path").first()


def county_of(region: Region) -> Region:
    """The county-level unit of a township; any other place is its own."""
    if region.level == RegionLevel.TOWNSHIP and region.parent_id:
        return region.parent
    return region


def bureau_for(region: Region) -> Organisation:
    """The 司法局/司法厅 of ``region``, or of the nearest unit above it that has one."""
    place: Region | None = county_of(region)
    while place is not None:
        bureau = _active(region=place, kind=OrganisationKind.BUREAU)
        if bureau is not None:
            return bureau
        place = place.parent
    ministry = _active(kind=OrganisationKind.MINISTRY)
    if ministry is None:
        raise ServiceError("consultation.no_organisation", "平台尚未建立机构，暂时无法受理咨询", status=503)
    return ministry


def route(region: Region, category: str) -> Organisation:
    """The organisation that answers a ``category`` question from ``region``."""
    if category in TOWNSHIP_CATEGORIES and region.level == RegionLevel.TOWNSHIP:
        office = _active(region=region, kind=OrganisationKind.JUDICIAL_OFFICE)
        if office is not None:
            return office
    if category == Category.LEGAL_AID:
        centre = _active(region=county_of(region), kind=OrganisationKind.LEGAL_AID_CENTRE)
        if centre is not None:
            return centre
    return bureau_for(region)


def escalation_target(organisation: Organisation) -> Organisation | None:
    """The level above that supervises an overdue ticket: a 司法所's or a centre's county bureau,
    a bureau's bureau above. None at the top."""
    parent = organisation.parent
    while parent is not None and parent.kind not in (OrganisationKind.BUREAU, OrganisationKind.MINISTRY):
        parent = parent.parent
    return parent
