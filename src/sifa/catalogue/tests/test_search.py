"""Chinese search and the public catalogue pages (run on SQLite and on PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from sifa.catalogue import search, services
from sifa.catalogue.models import CatalogueItem
from sifa.core import segmentation

API = "/api/v1/catalogue/items/"


def _names(client, q: str) -> set[str]:
    body = APIClient().get(API, {"q": q, "page_size": 100}).json()
    return {row["name"] for row in body["results"]}


def test_segmentation_yields_the_two_character_words_inside_legal_terms():
    words = segmentation.segment("律师事务所设立许可 公证员执业许可 法律援助申请").split()
    for word in ("律师事务所", "律师", "公证员", "公证", "法律援助", "法律", "援助", "许可"):
        assert word in words
    assert segmentation.query_words("律师执业许可") == ["律师执业", "许可"]


def test_two_character_words_are_found_through_the_full_text_index(cat, client):
    assert search.is_indexed()
    lawyers = _names(client, "律师")
    assert {"律师执业许可", "律师事务所设立许可", "特许律师执业许可"} <= lawyers
    assert not any("公证" in name or "调解" in name for name in lawyers)
    notaries = _names(client, "公证")
    assert {"公证员执业许可（任职）", "公证机构设立审批"} <= notaries
    assert "律师事务所设立许可" not in notaries and "人民调解申请" not in notaries
    # Found by the index, not by substring: the words are in the middle of the names.
    assert search.matching_ids("公证") and len(search.matching_ids("律师")) >= 10
    # 通知辩护指派律师 is published too (notice-only: its guide says who starts it).
    assert _names(client, "法律援助") == {"法律援助申请", "法律援助异议处理", "通知辩护指派律师"}
    assert "律师执业许可（兼职律师执业）" in _names(client, "兼职 律师")


def test_the_database_index_is_the_vendors_own(cat):
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT count(*) FROM catalogue_item_fts")
            assert cursor.fetchone()[0] == CatalogueItem.objects.count()
        else:
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'catalogue_item_search_gin'")
            assert "gin" in cursor.fetchone()[0].lower()


def test_publishing_a_version_updates_the_index(cat, client):
    item = CatalogueItem.objects.get(basic_code="002000002000")  # 人民调解申请
    assert "人民调解申请" not in _names(client, "知识产权")
    draft = services.new_draft(item, system=True)
    services.update_draft(draft, {"scope": "知识产权纠纷等民间纠纷的当事人"}, system=True)
    services.publish_version(draft, system=True)
    assert "人民调解申请" in _names(client, "知识产权")


def test_substring_fallback_when_nothing_is_indexed(cat, client):
    CatalogueItem.objects.update(search_text="")
    assert search.matching_ids("律师") is None
    assert "律师执业许可" in _names(client, "律师执业")


def test_single_characters_and_odd_input_never_fail(cat, client):
    api = APIClient()
    for q in ('"', "律*", "'; DROP TABLE x;--", "AND OR NOT", "法", "(律师"):
        assert api.get(API, {"q": q}).status_code == 200
    assert api.get(API, {"q": "律" * 101}).status_code == 400


# --- the catalogue pages ----------------------------------------------------------------------


def test_catalogue_page_searches_and_filters(cat, client):
    html = client.get("/catalogue/", {"q": "公证"}).content.decode()
    assert "公证员执业许可（任职）" in html and "律师执业许可" not in html
    company = client.get("/catalogue/", {"topic": "company"}).content.decode()
    assert "律师事务所设立许可" in company and "法律援助申请" not in company
    service = client.get("/catalogue/", {"type": "20"}).content.decode()
    assert "法律援助申请" in service and "律师事务所设立许可" not in service
    everything = client.get("/catalogue/").content.decode()
    assert "找到 22 个事项" in everything and "style=" not in everything


def test_services_for_my_county_include_higher_levels(cat, client):
    html = client.get("/catalogue/", {"region": "330106001000"}).content.decode()
    for organisation in (
        "北山街道司法所",
        "杭州市西湖区法律援助中心",
        "杭州市司法局",
        "中华人民共和国司法部",
    ):
        assert organisation in html
    assert "东华门街道司法所" not in html and "/guides/" in html
    narrowed = client.get("/catalogue/", {"region": "330106", "q": "律师"}).content.decode()
    assert "杭州市司法局" in narrowed and "北山街道司法所" not in narrowed


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"type": "99"}, "请从列表中选择有效的选项"),
        ({"topic": "aliens"}, "请从列表中选择有效的选项"),
        ({"level": "0"}, "请从列表中选择有效的选项"),
        ({"region": "33010"}, "行政区划代码应为6位或12位数字"),
        ({"region": "999999"}, "未找到该行政区划代码"),
        ({"page": "x"}, "页码应为正整数"),
        ({"page": "0"}, "页码应为正整数"),
        ({"q": "律" * 101}, "关键词不能超过100个字"),
    ],
)
def test_bad_catalogue_parameters_are_form_errors(cat, client, params, message):
    response = client.get("/catalogue/", params)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_item_page_lists_implementers_with_links_to_guides(cat, client):
    html = client.get("/catalogue/000100001001/").content.decode()
    assert "律师法" in html and "杭州市司法局" in html and "北京市东城区司法局" in html
    assert "/guides/" in html
    only_zj = client.get("/catalogue/000100001001/", {"region": "330106"}).content.decode()
    assert "杭州市司法局" in only_zj and "北京市东城区司法局" not in only_zj
    main_item = client.get("/catalogue/000100001000/").content.decode()
    assert (
        'href="/catalogue/000100001001/#implementers">专职律师执业</a>' in main_item
    )  # a 主项 links to its 子项
    unknown = client.get("/catalogue/000100001001/", {"region": "x"})  # a name no place has
    assert unknown.status_code == 200 and "没有找到名为“x”的地区" in unknown.content.decode()
    assert client.get("/catalogue/000100001001/", {"page": "x"}).status_code == 400
    assert client.post("/catalogue/").status_code == 405


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=40))
def test_any_query_text_is_searched_without_error(cat, query):
    ids = search.matching_ids(query)
    assert ids is None or all(isinstance(pk, int) for pk in ids)
    words = segmentation.query_words(query)
    assert len(words) <= segmentation.MAX_QUERY_WORDS and all(w.strip() for w in words)
