"""The loader brings an item's own fields — 事项名称, 设定依据, 行使层级, 服务对象, 服务主题 — up to date in
place when the shipped spec differs (``services.update_item``, audited), without a new version; a
changed version content is still a new version, also on a database loaded before.

Regressions: 律师执业注销's 设定依据 (律师法第九条 taken out, 2026-12-04) never reached a database that
had the item already; 司法鉴定人执业登记's 法定时限说明 said “省级实践” where 行政许可法 sets the limit."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from sifa.audit.models import AuditEvent
from sifa.catalogue.data.common import LAWYERS_LAW, LICENSING_LAW, ref
from sifa.catalogue.data.items import ITEMS
from sifa.catalogue.identifiers import basic_code
from sifa.catalogue.models import CatalogueItem, ImplementationEntry, ItemVersion, VersionStatus
from sifa.catalogue.services import load_items, update_item
from sifa.catalogue.services.loader import _digest
from sifa.core.errors import ServiceError

pytestmark = pytest.mark.django_db

CANCEL = "律师执业注销"
# What 律师执业注销 had before its 设定依据 was corrected (a database that had the item kept these).
CANCEL_OLD_BASIS = ref(LAWYERS_LAW, "第九条") + ref(LICENSING_LAW, "第七十条")
CANCEL_OLD_SOURCE = (
    "行政许可法第七十条（应当依法办理注销手续的情形）；律师法第九条只规定撤销准予执业决定后的注销，"
    "不是申请注销的依据；法律条文核对自 LawRefBook/Laws（2f4c5c2）"
)
APPRAISER = "司法鉴定人执业登记"


@pytest.fixture(autouse=True)
def uncached(settings):
    settings.PUBLIC_CACHE_SECONDS = 0


def _spec(name: str) -> dict:
    return next(spec for spec in ITEMS if spec["name"] == name)


def _item(name: str) -> CatalogueItem:
    return CatalogueItem.objects.get(basic_code=basic_code(*_spec(name)["code"]))


def _live(item: CatalogueItem) -> ItemVersion:
    return ItemVersion.objects.get(item=item, status=VersionStatus.PUBLISHED)


def _guide(item: CatalogueItem) -> str:
    entry = ImplementationEntry.objects.get(item=item, organisation__name="杭州市司法局")
    response = Client().get(f"/guides/{entry.implementation_code}/")
    assert response.status_code == 200
    return response.content.decode()


def _last_update(item: CatalogueItem) -> AuditEvent:
    return AuditEvent.objects.filter(action="catalogue.item.update", object_id=item.basic_code).latest("seq")


def test_an_item_loaded_from_an_older_spec_gets_its_own_fields_in_place_on_the_next_load(cat):
    spec = _spec(CANCEL)
    older = {**spec, "name": "律师执业证注销", "legal_basis": CANCEL_OLD_BASIS, "objects": ["1", "6"]}
    item = _item(CANCEL)
    live = _live(item)

    touched = ImplementationEntry.objects.filter(item=item).values_list("updated_at", flat=True).first()
    first = load_items([older])
    assert first.published == [] and first.items_updated == [item.basic_code]
    item.refresh_from_db()
    assert (item.name, item.legal_basis, item.service_objects) == (
        "律师执业证注销",
        CANCEL_OLD_BASIS,
        ["1", "6"],
    )
    assert "《中华人民共和国律师法》第九条" in _guide(item)
    # The entries follow (changed_since, the guide PDF's cache key).
    assert ImplementationEntry.objects.filter(item=item, updated_at__lte=touched).exists() is False

    result = load_items()

    assert result.published == [] and result.items_updated == [item.basic_code]
    assert result.sources_updated == []
    item.refresh_from_db()
    assert (item.name, item.legal_basis, item.service_objects) == (CANCEL, spec["legal_basis"], ["1"])
    assert _live(item).pk == live.pk and item.versions.count() == live.number
    event = _last_update(item)
    assert event.detail["fields"] == ["legal_basis", "name", "service_objects"]
    assert event.detail["name"] == {"from": "律师执业证注销", "to": CANCEL}
    assert event.detail["legal_basis"] == {"from": CANCEL_OLD_BASIS, "to": spec["legal_basis"]}
    page = _guide(item)  # the stored guide row is older than the item: rendered again
    assert "律师法》第九条" not in page and "《中华人民共和国行政许可法》第七十条" in page
    shown = APIClient().get(f"/api/v1/catalogue/items/{item.basic_code}/").json()
    assert shown["name"] == CANCEL and shown["legal_basis"] == spec["legal_basis"]
    assert "律师法" not in item.search_text and "注销" in item.search_text

    again = load_items()
    assert again.published == again.items_updated == again.sources_updated == []


def test_an_installation_loaded_before_gets_the_corrected_legal_basis_without_a_new_version(cat):
    """The item kept the 设定依据 it was created with; its live version was loaded from the corrected
    spec while ``source`` (then with the editors' note) was still in the digest."""
    spec = _spec(CANCEL)
    item = _item(CANCEL)
    CatalogueItem.objects.filter(pk=item.pk).update(legal_basis=CANCEL_OLD_BASIS, source=CANCEL_OLD_SOURCE)
    # Bookkeeping of an older load; QuerySet.update is the only way a test can stage it.
    ItemVersion.objects.filter(item=item, status=VersionStatus.PUBLISHED).update(
        source_digest=_digest({**spec, "source": CANCEL_OLD_SOURCE})
    )
    live = _live(item)

    result = load_items()

    assert result.published == []
    assert result.items_updated == [item.basic_code] and item.basic_code in result.sources_updated
    item.refresh_from_db()
    assert item.legal_basis == spec["legal_basis"] and item.source == spec["source"]
    assert _live(item).pk == live.pk
    assert _last_update(item).detail["fields"] == ["legal_basis", "source"]
    assert "律师法》第九条" not in _guide(item)
    assert load_items().items_updated == []


def test_a_version_loaded_while_only_source_was_out_of_the_digest_stays_unchanged(cat):
    spec = _spec(CANCEL)
    item = _item(CANCEL)
    without_source = _digest({key: value for key, value in spec.items() if key != "source"})
    ItemVersion.objects.filter(item=item, status=VersionStatus.PUBLISHED).update(source_digest=without_source)
    result = load_items([spec])
    assert result.published == [] and result.items_updated == []


def test_item_fields_are_checked_like_a_new_item(cat):
    item = _item(CANCEL)
    with pytest.raises(ServiceError) as bad:
        update_item(item, {"service_objects": ["9"], "legal_basis": [{"article": "第一条"}]}, system=True)
    assert sorted(e["field"] for e in bad.value.errors) == ["legal_basis", "service_objects"]
    with pytest.raises(ServiceError) as unknown:
        update_item(item, {"basic_code": "000100099000"}, system=True)
    assert unknown.value.errors[0]["code"] == "field.unknown"
    item.refresh_from_db()
    assert item.service_objects == ["1"]


def test_the_appraiser_time_limit_says_what_the_law_says_and_reaches_a_loaded_database(cat):
    """司法鉴定人执业登记 loaded with its older content (“省级实践：…”) gets a new version on the next
    load: the 决定 sets no time limit, so 行政许可法 §42, §43 and §82 do."""
    spec = _spec(APPRAISER)
    older = {
        **spec,
        "source": "全国人大常委会《关于司法鉴定管理问题的决定》第三条、第四条；司法鉴定人登记管理办法"
        "（司法部令第96号）；时限参照省级司法行政部门公布的办事指南",
        "version": {**spec["version"], "legal_limit_note": "省级实践：市级二十日初审，省级二十日审查"},
        "stages": [{**row, "legal_basis": ""} for row in spec["stages"]],
    }
    item = _item(APPRAISER)
    assert load_items([older]).published == [item.basic_code]
    before = _live(item)
    assert "省级实践" in _guide(item)

    result = load_items()

    assert result.published == [item.basic_code] and result.sources_updated == [item.basic_code]
    live = _live(item)
    assert live.number == before.number + 1
    assert "省级实践" not in live.legal_limit_note and "行政许可法" in live.legal_limit_note
    page = _guide(item)
    assert "省级实践" not in page and "依照行政许可法" in page
    assert re.search(r"行政许可法第四十三条", page)
    assert load_items().published == []
