"""The organisation tree the tests share: real region codes (GB/T 2260 and 12-digit township codes)
and the organisations of five levels above them, each built only when a test asks for it.

``tree("zj", "hz", "xh")`` builds those nodes (and their ancestors first) and returns them by key;
the keys are the short names the tests use (``zj`` 浙江省司法厅, ``hz`` 杭州市司法局 …). The order
asked for is the creation order, so primary keys, and with them the paths, sort as asked.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction

from sifa.organisations.models import Organisation, OrganisationKind, Region
from sifa.testing.factories import OrganisationFactory, RegionFactory

#: code → (name, level, parent code)
REGIONS: dict[str, tuple[str, int, str | None]] = {
    "330000": ("浙江省", 1, None),
    "330100": ("杭州市", 2, "330000"),
    "330102": ("上城区", 3, "330100"),
    "330106": ("西湖区", 3, "330100"),
    "330108": ("滨江区", 3, "330100"),
    "330106001000": ("北山街道", 4, "330106"),
    "330200": ("宁波市", 2, "330000"),
    "330203": ("海曙区", 3, "330200"),
    "320000": ("江苏省", 1, None),
    "110000": ("北京市", 1, None),
    "110101": ("东城区", 3, "110000"),
    "110101001000": ("东华门街道", 4, "110101"),
}

_K = OrganisationKind
#: key → (name, kind, level, region code, parent key)
NODES: dict[str, tuple[str, str, int, str | None, str | None]] = {
    "ministry": ("中华人民共和国司法部", _K.MINISTRY, 1, None, None),
    "zj": ("浙江省司法厅", _K.BUREAU, 2, "330000", "ministry"),
    "hz": ("杭州市司法局", _K.BUREAU, 3, "330100", "zj"),
    "xh": ("杭州市西湖区司法局", _K.BUREAU, 4, "330106", "hz"),
    "xh_aid": ("杭州市西湖区法律援助中心", _K.LEGAL_AID_CENTRE, 4, "330106", "xh"),
    "xh_centre": ("杭州市西湖区公共法律服务中心", _K.LEGAL_SERVICE_CENTRE, 4, "330106", "xh"),
    "xh_town": ("北山街道司法所", _K.JUDICIAL_OFFICE, 5, "330106001000", "xh"),
    "sc": ("杭州市上城区司法局", _K.BUREAU, 4, "330102", "hz"),
    "bjq": ("杭州市滨江区司法局", _K.BUREAU, 4, "330108", "hz"),
    "nb": ("宁波市司法局", _K.BUREAU, 3, "330200", "zj"),
    "hs": ("宁波市海曙区司法局", _K.BUREAU, 4, "330203", "nb"),
    "js": ("江苏省司法厅", _K.BUREAU, 2, "320000", "ministry"),
    "bj": ("北京市司法局", _K.BUREAU, 2, "110000", "ministry"),
    "dc": ("北京市东城区司法局", _K.BUREAU, 4, "110101", "bj"),
    "dc_aid": ("北京市东城区法律援助中心", _K.LEGAL_AID_CENTRE, 4, "110101", "dc"),
    "dc_town": ("东华门街道司法所", _K.JUDICIAL_OFFICE, 5, "110101001000", "dc"),
}


def region(code: str) -> Region:
    name, level, parent = REGIONS[code]
    return RegionFactory(code=code, name=name, level=level, parent=region(parent) if parent else None)


def tree(*keys: str, on: dict[str, Organisation] | None = None, **fields: dict) -> dict[str, Organisation]:
    """Build the organisations named by ``keys`` (ancestors first, each once) and return them by
    key. ``on`` is a tree built before, to grow (``tree("xh_town", on=orgs)`` adds the 司法所 under
    the 西湖区 already there); ``fields`` sets a node's own values, e.g. ``zj={"uscc": "…"}``."""
    built: dict[str, Organisation] = dict(on or {})

    def build(key: str) -> Organisation:
        if key not in built:
            name, kind, level, code, parent = NODES[key]
            values = {"name": name, "kind": kind, "level": level, **fields.get(key, {})}
            if "region" not in values:
                values["region"] = region(code) if code else None
            if "parent" not in values:
                values["parent"] = build(parent) if parent else None
            built[key] = OrganisationFactory(**values)
        return built[key]

    for key in keys:
        build(key)
    return built


@contextmanager
def rolled_back(django_db_blocker) -> Iterator[None]:
    """A world built once per module inside a transaction rolled back at the end; each test's own
    ``db`` transaction nests inside it (a savepoint), so tests stay isolated from each other.
    Like a test case's own, it is marked as the test's (``_from_testcase``): code that behaves
    otherwise inside a caller's transaction (the dashboard's answer cache) sees none."""
    block = transaction.atomic()
    block._from_testcase = True
    with django_db_blocker.unblock(), block:
        try:
            yield
        finally:
            transaction.set_rollback(True)


def catalogue_tree(*keys: str) -> dict[str, Organisation]:
    """``tree(*keys)`` with :func:`load_catalogue` on it, on a database with neither, returned as
    ``tree`` returns it. Built once per test process; later calls on a database in the same state
    (a transactional test after the flush of the one before, the next module's transaction) get
    the same rows written back (:mod:`sifa.testing.snapshot`: about 4 s of CPU saved a call)."""
    return catalogue_tree_loaded(*keys)[0]


def catalogue_tree_loaded(*keys: str) -> tuple[dict[str, Organisation], Any]:
    """:func:`catalogue_tree` and what :func:`load_catalogue` returned."""
    from sifa.testing import snapshot

    def build() -> tuple[dict[str, Organisation], Any]:
        orgs = tree(*keys)
        return orgs, load_catalogue()

    return snapshot.once("catalogue-tree:" + ",".join(keys), build)


def load_catalogue():
    """The shipped catalogue with its implementation entries on the tree, and the licence types, as
    ``sifa run`` loads them (an approval issues its licence). Returns the catalogue load result."""
    from sifa.catalogue.services import generate_entries, load_items
    from sifa.licences.services import load_licence_types

    result = load_items()
    generate_entries(result)
    load_licence_types()
    return result
