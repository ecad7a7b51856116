"""The 受理通知书's time-limit paragraph follows each item's own statute, stages and decider."""

from __future__ import annotations

import pytest

from sifa.catalogue.models import ItemVersion, Stage, VersionStatus
from sifa.catalogue.timelimits import acceptance_limit_wording, citation, duration

pytestmark = pytest.mark.django_db


def version(name: str) -> ItemVersion:
    return ItemVersion.objects.get(item__name=name, status=VersionStatus.PUBLISHED)


def test_lawyer_licence_is_thirty_working_days_city_twenty_then_province_ten(cat):
    wording = acceptance_limit_wording(
        version("律师执业许可（专职律师执业）"), accepting_level=3, decider_name="浙江省司法厅"
    )
    assert wording.total == "三十个工作日"
    assert wording.sentence == (
        "本申请的法定办理期限为三十个工作日（《中华人民共和国律师法》第六条第三款）："
        "本机关自受理之日起二十个工作日内审查，并将审查意见和全部申请材料报送省级司法行政部门；"
        "省级司法行政部门自收到报送材料之日起十个工作日内审核决定。作出决定的机关：浙江省司法厅。"
    )
    assert "第四十二条" not in wording.sentence and "四十个工作日" not in wording.sentence


def test_foreign_law_firm_office_is_nine_months_never_nine_moons_counted_from_receipt(cat):
    """条例 §9: 自收到申请文件材料之日起 — the notice says so (the version's ``limit_start``)."""
    wording = acceptance_limit_wording(
        version("外国律师事务所驻华代表机构设立许可"), accepting_level=2, decider_name="中华人民共和国司法部"
    )
    assert wording.total == "九个月"
    assert wording.sentence == (
        "本申请的法定办理期限为九个月（《外国律师事务所驻华代表机构管理条例》第九条）："
        "本机关自收到申请之日起三个月内审查，并将审查意见和全部申请材料报送司法部；"
        "司法部自收到报送材料之日起六个月内审核决定。作出决定的机关：中华人民共和国司法部。"
    )
    assert "九月" not in wording.sentence.replace("九个月", "")


def test_a_one_stage_item_decided_by_the_accepting_organ_reads_simply(cat):
    wording = acceptance_limit_wording(
        version("法律援助异议处理"), accepting_level=4, decider_name="西湖区司法局"
    )
    assert (
        wording.sentence
        == "本机关将自收到申请之日起五个自然日内办结（《中华人民共和国法律援助法》第四十九条）。"
    )


def test_a_notary_case_received_by_the_county_names_each_level(cat):
    """公证法 §21: 所在地 (here the county) → 省 → 司法部, 20 working days each (行政许可法 §43, §42)."""
    wording = acceptance_limit_wording(
        version("公证员执业许可（任职）"), accepting_level=4, decider_name="中华人民共和国司法部"
    )
    assert wording.total == "六十个工作日"
    assert (
        "：本机关自受理之日起二十个工作日内审查，并将审查意见和全部申请材料报送省级司法行政部门；"
        "省级司法行政部门自收到报送材料之日起二十个工作日内审核，并将审查意见和全部申请材料报送司法部；"
        "司法部自收到报送材料之日起二十个工作日内任命。作出决定的机关：中华人民共和国司法部。"
    ) in wording.sentence
    assert "有关机关" not in wording.sentence and "所在地" not in wording.sentence


def test_a_limitless_higher_stage_is_named_and_not_counted(cat):
    """A stage the law gives no limit (here the ministry's appointment, edited so) follows the counted ones."""
    item = version("公证员执业许可（任职）")
    Stage.objects.filter(process__version=item, order=3).update(limit_value=None, limit_unit="")
    ItemVersion.objects.filter(pk=item.pk).update(legal_limit_value=40)
    item.refresh_from_db()
    wording = acceptance_limit_wording(item, accepting_level=4, decider_name="")
    assert wording.total == "四十个工作日"
    assert "其后由司法部任命，法律、法规未规定该环节的期限，所需时间不计入上述期限" in wording.sentence
    assert "报送司法部" in wording.sentence


def test_new_data_gets_the_right_words_without_code(cat):
    """A version edited to the 行政许可法 default: one stage here, 20 working days, §42 is cited."""
    item = version("律师事务所设立许可")
    stages = list(Stage.objects.filter(process__version=item).order_by("order"))
    Stage.objects.filter(pk__in=[s.pk for s in stages[1:]]).delete()
    Stage.objects.filter(pk=stages[0].pk).update(organisation_level="3", limit_value=20, legal_basis="")
    ItemVersion.objects.filter(pk=item.pk).update(legal_limit_value=20)
    item.refresh_from_db()
    wording = acceptance_limit_wording(item, accepting_level=3)
    assert (
        wording.sentence
        == "本机关将自受理之日起二十个工作日内作出行政许可决定（《中华人民共和国行政许可法》第四十二条）。"
    )


def test_no_limit_and_stages_that_do_not_add_up_are_stated_honestly(cat):
    mediation = acceptance_limit_wording(version("人民调解申请"), accepting_level=5)
    assert mediation.sentence == "本事项法律、法规未规定办理期限，本机关将及时办理。"
    item = version("司法鉴定人执业登记")  # 市级 20 + 省级 20 = 40, as the version says
    ItemVersion.objects.filter(pk=item.pk).update(legal_limit_value=45)
    item.refresh_from_db()
    wording = acceptance_limit_wording(item, accepting_level=3, decider_name="浙江省司法厅")
    assert (
        wording.sentence
        == "本申请的法定办理期限为四十五个工作日，自受理之日起计算。作出决定的机关：浙江省司法厅。"
    )


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [(30, "working_day", "三十个工作日"), (9, "month", "九个月"), (3, "month", "三个月"),
     (5, "calendar_day", "五个自然日"), (10, "working_day", "十个工作日"), (120, "calendar_day", "120个自然日"),
     (None, "working_day", "")],
)  # fmt: skip
def test_durations(value, unit, text):
    assert duration(value, unit) == text


def test_citations_resolve_short_law_names():
    laws = ["外国律师事务所驻华代表机构管理条例", "中华人民共和国律师法"]
    assert citation("条例第九条", laws) == "《外国律师事务所驻华代表机构管理条例》第九条"
    assert (
        citation("律师法第六条第三款：自受理之日起二十日内予以审查", laws)
        == "《中华人民共和国律师法》第六条第三款"
    )
    assert citation("行政许可法第四十四条", laws) == "《中华人民共和国行政许可法》第四十四条"
    assert citation("省级实践", laws) == ""


def _texts(value, path=""):
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield from _texts(inner, f"{path}.{key}")
    elif isinstance(value, (list, tuple)):
        for index, inner in enumerate(value):
            yield from _texts(inner, f"{path}[{index}]")


def test_no_shipped_guide_text_points_at_a_design_document():
    """What a guide, a receipt and a 受理通知书 print comes from the item's version and materials:
    the 司法鉴定机构登记 time limit read “…；省级实践同（standards.md §6）” on the window's receipt.
    Only ``source`` (内容来源, the editors' note) may name the documents the content came from."""
    from sifa.catalogue.data.items import ITEMS

    leaks = [
        (item["name"], path, text)
        for item in ITEMS
        for path, text in _texts({k: v for k, v in item.items() if k != "source"})
        if ".md" in text or "V-2nd" in text
    ]
    assert leaks == []
