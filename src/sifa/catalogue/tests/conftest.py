"""A small organisation tree (浙江 330000 → 杭州 330100 → 西湖区 330106 → 街道, and 北京 110000 →
东城区 110101 → 街道) with valid USCCs, and the loaded catalogue on top of it."""

from __future__ import annotations

import pytest
from django.db import transaction

from sifa.core.identifiers import make_uscc
from sifa.organisations.models import Organisation, OrganisationKind, Region

_counter = iter(range(1, 10_000))


def _region(code: str, name: str, level: int, parent: Region | None) -> Region:
    return Region.objects.create(code=code, name=name, level=level, parent=parent, vintage="test")


def _org(
    name: str, kind: str, level: int, region: Region | None, parent: Organisation | None
) -> Organisation:
    registration = (region.code if region else "100000")[:6]
    uscc = make_uscc("1", "1", registration, f"J{next(_counter):07d}")
    org = Organisation.objects.create(
        name=name,
        kind=kind,
        level=level,
        region=region,
        parent=parent,
        path=f"/tmp{next(_counter)}/",
        uscc=uscc,
    )
    org.path = (parent.path if parent else "/") + f"{org.pk}/"
    org.save(update_fields=["path"])
    return org


def build_tree() -> dict[str, Organisation]:
    zj = _region("330000", "浙江省", 1, None)
    hz = _region("330100", "杭州市", 2, zj)
    xh = _region("330106", "西湖区", 3, hz)
    town = _region("330106001000", "北山街道", 4, xh)
    bj = _region("110000", "北京市", 1, None)
    dc = _region("110101", "东城区", 3, bj)
    dc_town = _region("110101001000", "东华门街道", 4, dc)
    K = OrganisationKind
    o: dict[str, Organisation] = {}
    o["ministry"] = _org("中华人民共和国司法部", K.MINISTRY, 1, None, None)
    o["zj"] = _org("浙江省司法厅", K.BUREAU, 2, zj, o["ministry"])
    o["hz"] = _org("杭州市司法局", K.BUREAU, 3, hz, o["zj"])
    o["xh"] = _org("杭州市西湖区司法局", K.BUREAU, 4, xh, o["hz"])
    o["xh_aid"] = _org("杭州市西湖区法律援助中心", K.LEGAL_AID_CENTRE, 4, xh, o["xh"])
    o["xh_centre"] = _org("杭州市西湖区公共法律服务中心", K.LEGAL_SERVICE_CENTRE, 4, xh, o["xh"])
    o["xh_town"] = _org("北山街道司法所", K.JUDICIAL_OFFICE, 5, town, o["xh"])
    o["bj"] = _org("北京市司法局", K.BUREAU, 2, bj, o["ministry"])
    o["dc"] = _org("北京市东城区司法局", K.BUREAU, 4, dc, o["bj"])
    o["dc_aid"] = _org("北京市东城区法律援助中心", K.LEGAL_AID_CENTRE, 4, dc, o["dc"])
    o["dc_town"] = _org("东华门街道司法所", K.JUDICIAL_OFFICE, 5, dc_town, o["dc"])
    return o


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    """Tree + catalogue built once per module inside an outer transaction that is rolled back at the
    end; each test's own ``db`` transaction nests inside it, so tests stay isolated."""
    from sifa.catalogue.services import generate_entries, load_items
    from sifa.licences.services import load_licence_types

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            orgs = build_tree()
            result = load_items()
            generate_entries(result)
            load_licence_types()  # as `sifa run` does: an approval issues its licence
            yield {"orgs": orgs, "result": result}
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def cat(loaded, db):
    return loaded
