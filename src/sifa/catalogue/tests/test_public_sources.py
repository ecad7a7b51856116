"""What the catalogue shows the public cites public sources only, and an installation loaded before a
``source`` correction gets the corrected 内容来源 on the next load, without a new version.

``source`` (内容来源) is public: the API's item, the list, the open data and the export show it. Five
items once ended it with a reference to a Sifa design document (“（standards.md §6，V-2nd）”), and
seventeen with an editors' note on where the articles were checked (“法律条文核对自 LawRefBook/Laws
（2f4c5c2）”)."""

from __future__ import annotations

import re

import pytest
from rest_framework.test import APIClient

from sifa.audit.models import AuditEvent
from sifa.catalogue.data.items import ITEMS
from sifa.catalogue.identifiers import basic_code
from sifa.catalogue.models import CatalogueItem, ItemVersion, VersionStatus
from sifa.catalogue.opendata import export_catalogue
from sifa.catalogue.services import load_items
from sifa.catalogue.services.loader import LOADED_BEFORE_SOURCE_CORRECTION, _digest, content_digest

pytestmark = pytest.mark.django_db

# A design document, a file of the code base, an editor's verification mark: never in public text.
INTERNAL = re.compile(
    r"standards|V-2nd|\b[\w/-]+\.(md|py|txt|rst|yaml|yml)\b|docs/|shared/|\[U\]"
    r"|LawRefBook|核对自|（[0-9a-f]{7,40}）"  # where the articles were checked: a repository, a commit
)
# The spec keys that are not text anyone reads as prose: the code tuple and the process file name.
NOT_PROSE = ("code", "parent", "bpmn", "implement")

# What the items' 内容来源 read before the corrections (an installation loaded then has these): four
# items' reference to a design document (司法鉴定人执业登记, the fifth, has new content since), and the
# editors' note of sixteen others (特许律师执业许可 had both).
OLD_SOURCES = {
    "特许律师执业许可": "律师法第八条（经国务院司法行政部门考核合格，准予执业）；行政许可法第四十二条、第四十五条；"
    "法律条文核对自 LawRefBook/Laws（2f4c5c2）；司法部审批项目编码09001（standards.md §6）",
    "司法鉴定机构登记": "全国人大常委会《关于司法鉴定管理问题的决定》第三条（省级司法行政部门负责登记）；"
    "司法部令第95号；时限为省级实践（standards.md §6，V-2nd）",
    "基层法律服务工作者执业核准": "国务院令第412号目录第75项；基层法律服务工作者管理办法第十条、第十二条"
    "（standards.md §6，V-2nd）",
    "法律职业资格认定": "法律职业资格管理办法（司法部令第146号）第四条：市级受理审查、省级核查、司法部审核认定"
    "（standards.md §6，V-2nd）；司法部审批项目编码09002",
    "律师执业许可": "律师法第五条至第七条；法律条文核对自 LawRefBook/Laws（2f4c5c2）。分为专职、兼职两个子项",
    "律师执业许可（专职律师执业）": "律师法第五条至第七条；法律条文核对自 LawRefBook/Laws（2f4c5c2）",
    "律师执业许可（兼职律师执业）": "律师法第六条第二款、第十二条（高等院校、科研机构中从事法学教育、研究工作的人员）；法律条文核对自 LawRefBook/Laws（2f4c5c2）",
    "律师执业变更许可（变更执业机构）": "律师法第十条：律师变更执业机构的，应当申请换发律师执业证书；行政许可法第四十九条（变更）、第四十二条至第四十四条（期限）；法律条文核对自 LawRefBook/Laws（2f4c5c2）",
    "律师执业注销": "行政许可法第七十条（应当依法办理注销手续的情形）；律师法第九条只规定撤销准予执业决定后的注销，不是申请注销的依据；法律条文核对自 LawRefBook/Laws（2f4c5c2）",
    "律师事务所设立许可": "律师法第十四条至第十八条；法律条文核对自 LawRefBook/Laws（2f4c5c2）",
    "律师事务所分所设立许可": "律师法第十九条（依照第十八条程序办理，由分所所在地省级审核）；法律条文核对自 LawRefBook/Laws（2f4c5c2）",
    "律师事务所变更许可": "律师法第二十一条：变更名称、负责人、章程、合伙协议的，应当报原审核部门批准；行政许可法第四十九条；法律条文核对自 LawRefBook/Laws（2f4c5c2）",
    "律师事务所注销": "律师法第二十二条：律师事务所终止的，由颁发执业证书的部门注销该律师事务所的执业证书；行政许可法第七十条第（三）项；法律条文核对自 LawRefBook/Laws（2f4c5c2）",
    "公证员执业许可（任职）": "公证法第十八条至第二十一条（所在地的司法行政部门报省级审核同意后，报请司法部任命，由省级颁发执业证书）；行政许可法第四十二条至第四十四条（期限）；法律条文核对自 LawRefBook/Laws（2f4c5c2）",
    "公证机构设立审批": "公证法第八条、第九条（由所在地的司法行政部门报省级司法行政部门批准）；行政许可法第四十二条至第四十四条（期限）；法律条文核对自 LawRefBook/Laws（2f4c5c2）",
    "外国律师事务所驻华代表机构设立许可": "外国律师事务所驻华代表机构管理条例第六条至第九条；法律条文核对自 LawRefBook/Laws（2f4c5c2）；司法部审批项目编码09003",
    "法律援助申请": "法律援助法第三十八条至第四十三条；法律条文核对自 LawRefBook/Laws（2f4c5c2）。“七日”“三日”未规定为工作日，按自然日公布",
    "通知辩护指派律师": "法律援助法第二十五条、第二十八条、第三十六条；法律条文核对自 LawRefBook/Laws（2f4c5c2）。由人民法院、人民检察院、公安机关经数据交换通知法律援助机构启动，不接受申请；“三日”未规定为工作日，按自然日公布，自收到通知的次日起算",
    "法律援助异议处理": "法律援助法第四十九条：向设立该法律援助机构的司法行政部门提出，五日内审查；法律条文核对自 LawRefBook/Laws（2f4c5c2）",
    "人民调解申请": "人民调解法第十七条、第十九条、第二十三条、第二十六条、第二十八条、第二十九条、第三十三条；法律条文核对自 LawRefBook/Laws（2f4c5c2）。司法所登记受理，由其名册上的人民调解委员会指定人民调解员调解",
}


def _texts(value, path=""):
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield from _texts(inner, f"{path}.{key}")
    elif isinstance(value, (list, tuple)):
        for index, inner in enumerate(value):
            yield from _texts(inner, f"{path}[{index}]")


def _spec(name: str) -> dict:
    return next(spec for spec in ITEMS if spec["name"] == name)


def test_no_shipped_item_names_an_internal_file_in_its_public_text():
    """Every text of a shipped item — 内容来源, 设定依据, the guide's elements, materials, 情形 and
    their bases, stages, fees, the form's titles — cites laws, rules and codes a citizen can look
    up, never a Sifa file or an editor's note."""
    leaks = [
        (spec["name"], path, text)
        for spec in ITEMS
        for path, text in _texts({k: v for k, v in spec.items() if k not in NOT_PROSE})
        if INTERNAL.search(text)
    ]
    assert leaks == []
    assert all(INTERNAL.search(text) for text in OLD_SOURCES.values())  # the pattern catches what leaked
    assert not INTERNAL.search("司法部审批项目编码09001；12348；GB/T 39046")


def test_the_loaded_catalogue_shows_no_internal_file_in_the_api_or_the_open_data(cat):
    items = APIClient().get("/api/v1/catalogue/items/?page_size=100").json()["results"]
    assert len(items) == len(ITEMS)
    assert [item["basic_code"] for item in items if INTERNAL.search(item["source"])] == []
    exported = export_catalogue()
    assert [item["basic_code"] for item in exported["items"] if INTERNAL.search(item["source"])] == []


def _as_loaded_before(name: str) -> tuple[CatalogueItem, ItemVersion]:
    """The item as the loader before the correction left it: its old 内容来源, and the live
    version's digest taken over the whole spec with that text."""
    spec = _spec(name)
    item = CatalogueItem.objects.get(basic_code=basic_code(*spec["code"]))
    legacy = _digest({**spec, "source": OLD_SOURCES[name]})
    CatalogueItem.objects.filter(pk=item.pk).update(source=OLD_SOURCES[name])
    # Bookkeeping of an older load; QuerySet.update is the only way a test can stage it.
    ItemVersion.objects.filter(item=item, status=VersionStatus.PUBLISHED).update(source_digest=legacy)
    return item, ItemVersion.objects.get(item=item, status=VersionStatus.PUBLISHED)


@pytest.mark.parametrize("name", sorted(OLD_SOURCES))
def test_the_legacy_digest_of_each_corrected_item_is_the_one_its_old_text_gave(name):
    spec = _spec(name)
    assert (
        _digest({**spec, "source": OLD_SOURCES[name]})
        == LOADED_BEFORE_SOURCE_CORRECTION[content_digest(spec)]
    )


def test_an_installation_loaded_before_gets_the_new_source_on_the_next_load_without_a_new_version(cat):
    items = {name: _as_loaded_before(name) for name in OLD_SOURCES}
    api = APIClient()
    code = items["司法鉴定机构登记"][0].basic_code
    assert "standards.md" in api.get(f"/api/v1/catalogue/items/{code}/").json()["source"]

    result = load_items()

    assert result.published == []
    assert sorted(result.sources_updated) == sorted(item.basic_code for item, _ in items.values())
    for name, (item, live) in items.items():
        item.refresh_from_db()
        assert item.source == _spec(name)["source"]
        assert ItemVersion.objects.get(item=item, status=VersionStatus.PUBLISHED).pk == live.pk
        event = AuditEvent.objects.filter(action="catalogue.item.update", object_id=item.basic_code).latest(
            "seq"
        )
        assert event.detail["fields"] == ["source"]
        assert event.detail["source"] == {"from": OLD_SOURCES[name], "to": item.source}
    shown = api.get(f"/api/v1/catalogue/items/{code}/").json()["source"]
    assert shown == _spec("司法鉴定机构登记")["source"] and "standards" not in shown
    listed = api.get("/api/v1/catalogue/items/?page_size=100").json()["results"]
    assert [row["source"] for row in listed if row["basic_code"] == code] == [shown]

    again = load_items()  # the live digest is still the old one: the table keeps matching it
    assert again.published == [] and again.sources_updated == []


def test_a_changed_content_is_still_a_new_version_after_a_source_correction(cat):
    item, live = _as_loaded_before("司法鉴定机构登记")
    spec = _spec("司法鉴定机构登记")
    changed = {**spec, "version": {**spec["version"], "scope": spec["version"]["scope"] + "（含分支机构）"}}
    result = load_items([changed])
    assert result.published == [item.basic_code] and result.sources_updated == [item.basic_code]
    new = ItemVersion.objects.get(item=item, status=VersionStatus.PUBLISHED)
    assert new.number == live.number + 1 and new.source_digest == content_digest(changed)


def test_a_version_loaded_with_the_whole_spec_digest_stays_unchanged(cat):
    """Versions loaded before ``source`` left the digest, whose 内容来源 has not changed, are
    recognised by the digest of the whole spec: no item is published again after the upgrade."""
    spec = _spec("律师执业注销")
    item = CatalogueItem.objects.get(basic_code=basic_code(*spec["code"]))
    ItemVersion.objects.filter(item=item, status=VersionStatus.PUBLISHED).update(source_digest=_digest(spec))
    result = load_items([spec])
    assert result.published == [] and result.sources_updated == []


def test_the_table_holds_an_entry_for_each_corrected_item_as_shipped_and_nothing_else():
    assert sorted(LOADED_BEFORE_SOURCE_CORRECTION) == sorted(content_digest(_spec(n)) for n in OLD_SOURCES)
