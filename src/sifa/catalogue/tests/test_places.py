"""Finding one's office by place, without a 行政区划代码: the place chooser (省 → 市 → 县 → 乡镇), the
place-name search (杭州西湖区, 西湖区, 北山街道), the account's own place, entries nearest first,
the main item that asks 专职 or 兼职 first, and the API's ``region`` filter by name."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from sifa.organisations import places
from sifa.testing import PersonFactory, RegionFactory

LAWYER = "000100001000"
LAWYER_FULL_TIME = "000100001001"
NOTARY = "000100009000"  # 公证员执业许可（任职）: the county and the city bureau both accept
API = "/api/v1/catalogue"


@pytest.fixture
def nanchang(cat):
    """A second 西湖区 (南昌市), so that the name alone is ambiguous."""
    province = RegionFactory(code="360000", name="江西省", level=1)
    city = RegionFactory(code="360100", name="南昌市", level=2, parent=province)
    return RegionFactory(code="360103", name="西湖区", level=3, parent=city)


def _organisations(html: str) -> list[str]:
    """The organisations in the result list, in page order."""
    listing = html.split('id="place-results"', 1)[1]
    return re.findall(r'<h4 class="sifa-heading-m"><a href="/guides/[^"]+/">([^<]+)</a>', listing)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("杭州西湖区", "330106"),
        ("杭州市西湖区", "330106"),
        ("浙江省杭州市西湖区", "330106"),
        ("浙江 西湖区", "330106"),
        ("西湖区", "330106"),
        ("西湖", "330106"),
        ("北山街道", "330106001000"),
        ("西湖区北山街道", "330106001000"),
        ("北山", "330106001000"),
        ("杭州", "330100"),
    ],
)
def test_a_place_is_found_by_the_name_people_use(cat, typed, code):
    assert [r.code for r in places.find(typed)] == [code]


def test_an_ambiguous_name_finds_every_place_it_can_mean(nanchang):
    assert [places.full_label(r) for r in places.find("西湖区")] == [
        "浙江省杭州市西湖区",
        "江西省南昌市西湖区",
    ]
    assert [r.code for r in places.find("杭州西湖区")] == ["330106"]
    assert [r.code for r in places.find("南昌西湖区")] == ["360103"]
    assert places.find("宁波西湖区") == []  # 宁波 is not above any 西湖区


def test_the_chooser_lists_one_level_after_the_other(cat, client: Client):
    response = client.get("/catalogue/places/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="province"' in html and "浙江省" in html and 'name="city"' not in html
    html = client.get("/catalogue/places/", {"province": "330000"}).content.decode()
    assert 'name="city"' in html and '<option value="330100">杭州市</option>' in html
    html = client.get("/catalogue/places/", {"province": "330000", "city": "330100"}).content.decode()
    assert '<option value="330106">西湖区</option>' in html
    html = client.get(
        "/catalogue/places/", {"province": "330000", "city": "330100", "county": "330106"}
    ).content.decode()
    assert 'name="township"' in html and "北山街道" in html
    assert "办事地点：<strong>浙江省杭州市西湖区</strong>" in html
    assert "/catalogue/?region=330106" in html  # on to the services of the place


def test_a_leftover_lower_select_is_ignored_after_the_province_changes(cat, client: Client):
    html = client.get(
        "/catalogue/places/", {"province": "110000", "city": "330100", "county": "330106"}
    ).content.decode()
    assert "办事地点：<strong>北京市</strong>" in html
    assert '<option value="110101">东城区</option>' in html  # a 直辖市's districts come next


def test_with_htmx_a_change_returns_the_selects_alone(cat, client: Client):
    response = client.get("/catalogue/places/", {"province": "330000"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="place-selects"' in html and "<html" not in html
    assert re.search(r'<select[^>]+name="city"[^>]*autofocus', html)


def test_an_unknown_name_is_a_clear_message_not_a_bad_request(cat, client: Client):
    for url in ("/catalogue/places/", f"/catalogue/{LAWYER_FULL_TIME}/"):
        response = client.get(url, {"where": "火星区"})
        html = response.content.decode()
        assert response.status_code == 200
        assert "没有找到名为“火星区”的地区" in html and "请求有误" not in html


def test_an_ambiguous_name_lists_the_places_with_their_parents(nanchang, client: Client):
    html = client.get(f"/catalogue/{LAWYER_FULL_TIME}/", {"where": "西湖区"}).content.decode()
    assert "“西湖区”可能是以下地区" in html
    assert f"/catalogue/{LAWYER_FULL_TIME}/?region=330106#place" in html
    assert "浙江省杭州市西湖区" in html and "江西省南昌市西湖区" in html


def test_the_main_item_asks_which_kind_first(cat, client: Client):
    html = client.get(f"/catalogue/{LAWYER}/").content.decode()
    question = html.index("您要办理的是哪一种？")
    assert question < html.index("基本编码")  # before the details
    assert f'href="/catalogue/{LAWYER_FULL_TIME}/#implementers">专职律师执业</a>' in html
    assert ">兼职律师执业</a>" in html and "适用于：高等院校、科研机构中从事法学教育" in html
    assert "选择您所在的地区" not in html  # no chooser on a main item: nothing is done there


def test_the_lawyer_licence_office_for_xihu_by_name_or_by_selects(cat, client: Client):
    by_name = client.get(f"/catalogue/{LAWYER_FULL_TIME}/", {"where": "杭州西湖区"}).content.decode()
    by_selects = client.get(
        f"/catalogue/{LAWYER_FULL_TIME}/", {"province": "330000", "city": "330100", "county": "330106"}
    ).content.decode()
    by_code = client.get(f"/catalogue/{LAWYER_FULL_TIME}/", {"region": "330106"}).content.decode()
    for html in (by_name, by_selects, by_code):
        assert "为浙江省杭州市西湖区办理的机构" in html
        assert _organisations(html) == ["杭州市司法局"]  # not 北京 first any more
        assert '<span class="sifa-tag">上级：杭州市</span>' in html


def test_entries_are_listed_nearest_first(cat, client: Client):
    html = client.get(f"/catalogue/{NOTARY}/", {"where": "北山街道"}).content.decode()
    assert _organisations(html) == ["杭州市西湖区司法局", "杭州市司法局"]
    everything = _organisations(Client().get(f"/catalogue/{NOTARY}/").content.decode())
    assert len(everything) > 2  # without a place (a new visitor): every implementing organisation
    index = client.get("/catalogue/", {"region": "杭州西湖区"}).content.decode()
    tags = re.findall(r'<span class="sifa-tag">([^<]+)</span>', index.split('id="results"', 1)[1])
    order = {"本地": 0, "辖区内": 1, "上级：杭州市": 2, "上级：浙江省": 3, "全国": 4}
    ranks = [order[tag] for tag in tags]
    assert ranks == sorted(ranks) and ranks[0] == 0 and ranks[-1] == 4, tags


def test_where_i_live_is_preselected_from_the_account(cat, client: Client):
    person = PersonFactory(region_code="330106001000")
    client.force_login(person.user)
    html = client.get(f"/catalogue/{NOTARY}/").content.decode()
    assert "办事地点：<strong>浙江省杭州市西湖区北山街道</strong>（按您账户登记的地区，可以更改）" in html
    assert '<option value="330106001000" selected>北山街道</option>' in html
    assert _organisations(html) == ["杭州市西湖区司法局", "杭州市司法局"]
    index = client.get("/catalogue/").content.decode()
    assert (
        'href="/catalogue/?region=330106001000#results">查看您所在地区（浙江省杭州市西湖区北山街道）' in index
    )
    places_page = client.get("/catalogue/places/").content.decode()
    assert "/catalogue/?region=330106001000#results" in places_page


def test_the_catalogue_filter_takes_a_place_name(cat, nanchang, client: Client):
    ok = client.get("/catalogue/", {"region": "杭州西湖区"})
    assert ok.status_code == 200 and "浙江省杭州市西湖区可办理的事项" in ok.content.decode()
    unknown = client.get("/catalogue/", {"region": "火星区"})
    assert unknown.status_code == 400 and "没有找到名为“火星区”的地区" in unknown.content.decode()
    ambiguous = client.get("/catalogue/", {"region": "西湖区"}).content.decode()
    assert "可能是多个地区：浙江省杭州市西湖区（330106）、江西省南昌市西湖区（360103）" in ambiguous


@pytest.mark.parametrize(
    ("region", "code"),
    [
        ("火星区", "catalogue.filter.region_unknown"),
        ("西湖区", "catalogue.filter.region_ambiguous"),
        ("33", "catalogue.filter.region"),
    ],
)
def test_the_api_region_filter_refuses_an_unknown_name_with_a_400(nanchang, region, code):
    response = APIClient().get(f"{API}/implementations/", {"region": region})
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == code and re.search(r"[\u4e00-\u9fff]", body["message"])


def test_the_api_region_filter_takes_a_place_name_nearest_first(cat):
    rows = APIClient().get(f"{API}/implementations/", {"region": "杭州西湖区", "item": NOTARY}).json()
    assert [row["organisation"] for row in rows["results"]] == ["杭州市西湖区司法局", "杭州市司法局"]


def test_the_chosen_place_is_remembered_on_the_next_pages(cat, client: Client):
    """An anonymous visitor chooses 西湖区 once (by name, by the selects without JavaScript, or from
    the places page); the next item pages and the places page start from it, with 更换地区 and
    不限地区, which shows every organisation and forgets the place."""
    client.get(f"/catalogue/{LAWYER_FULL_TIME}/", {"where": "杭州西湖区"})
    html = client.get(f"/catalogue/{NOTARY}/").content.decode()
    assert "办事地点：<strong>浙江省杭州市西湖区</strong>（您上次选择的地区）" in html
    assert '<option value="330106" selected>西湖区</option>' in html
    assert '<a href="#place-province">更换地区</a>' in html
    assert f'href="/catalogue/{NOTARY}/?place=any#place">不限地区</a>' in html
    assert _organisations(html) == ["杭州市西湖区司法局", "杭州市司法局"]
    places_page = client.get("/catalogue/places/").content.decode()
    assert "（您上次选择的地区）" in places_page and "/catalogue/?region=330106#results" in places_page
    index = client.get("/catalogue/").content.decode()
    assert 'href="/catalogue/?region=330106#results">查看您选择的地区（浙江省杭州市西湖区）' in index
    # A main item's sub-items need no region in their links: the next page remembers it.
    assert (
        f'href="/catalogue/{LAWYER_FULL_TIME}/#implementers"'
        in client.get(f"/catalogue/{LAWYER}/").content.decode()
    )

    # 更换地区 by the selects (no JavaScript: 确定 after the level): 北京市 is now remembered.
    client.get("/catalogue/places/", {"province": "110000"})
    assert (
        "办事地点：<strong>北京市</strong>（您上次选择的地区）"
        in client.get(f"/catalogue/{NOTARY}/").content.decode()
    )

    # 不限地区: every organisation, and nothing remembered any more.
    anywhere = client.get(f"/catalogue/{NOTARY}/", {"place": "any"}).content.decode()
    assert "办事地点" not in anywhere and len(_organisations(anywhere)) > 2
    assert "办事地点" not in client.get(f"/catalogue/{NOTARY}/").content.decode()


def test_an_htmx_fetch_of_the_selects_remembers_nothing(cat, client: Client):
    client.get("/catalogue/places/", {"province": "330000"}, headers={"HX-Request": "true"})
    assert "办事地点" not in client.get(f"/catalogue/{NOTARY}/").content.decode()
    assert "sifa_place" not in client.session


def test_a_chosen_place_goes_before_the_accounts_and_ends_with_the_session(cat, client: Client):
    person = PersonFactory(region_code="330106001000")
    client.force_login(person.user)
    client.get(f"/catalogue/{NOTARY}/", {"region": "110000"})
    html = client.get(f"/catalogue/{NOTARY}/").content.decode()
    assert "办事地点：<strong>北京市</strong>（您上次选择的地区）" in html
    client.get(f"/catalogue/{NOTARY}/", {"place": "any"})  # 不限地区 forgets it: the account's again
    html = client.get(f"/catalogue/{NOTARY}/").content.decode()
    assert "（按您账户登记的地区，可以更改）" in html
    client.get(f"/catalogue/{NOTARY}/", {"region": "110000"})
    client.post("/accounts/logout/")  # a shared hall computer: the next person starts afresh
    assert "办事地点" not in client.get(f"/catalogue/{NOTARY}/").content.decode()


def test_a_remembered_code_that_no_longer_exists_is_ignored(cat, client: Client):
    session = client.session
    session["sifa_place"] = "999999"
    session.save()
    html = client.get(f"/catalogue/{NOTARY}/").content.decode()
    assert "办事地点" not in html
