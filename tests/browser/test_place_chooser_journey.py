"""Find my office by place, in real Chromium, without typing a 行政区划代码: a citizen looking for
where to apply for 律师执业许可 in 杭州市西湖区 searches the catalogue, is asked 专职 or 兼职 first,
then chooses 浙江省 → 杭州市 → 西湖区 — with JavaScript (htmx fills the next select at once) and
without it (确定 after each level) — and reaches the guide of 杭州市司法局. The services of a
place are listed nearest first. axe-core must report nothing and no page may scroll sideways at
375 px (``check_page``; the no-JS pages are audited by loading the same address with JavaScript).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

HTMX_IDLE = (
    "() => window.htmx !== undefined"
    " && !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
)
PATH = (("省（自治区、直辖市）", "浙江省"), ("市（州、盟）", "杭州市"), ("县（市、区）", "西湖区"))
NEAREST_FIRST = {"本地": 0, "辖区内": 1, "上级：杭州市": 2, "上级：浙江省": 3, "全国": 4}


@pytest.fixture
def catalogue(transactional_db, live_server):
    """The small tree (浙江 → 杭州 → 西湖区 → 北山街道, and 北京) with the shipped catalogue on it,
    committed for the live server."""
    from sifa.catalogue.tests.conftest import CATALOGUE_TREE
    from sifa.testing.tree import catalogue_tree

    catalogue_tree(*CATALOGUE_TREE)
    return live_server.url


def _audit(page, audit_page, check_page, name: str) -> None:
    """axe on the page as it is; a no-JS page is audited at the same address with JavaScript."""
    if audit_page is None:
        check_page(page, name, shots=False)
        return
    audit_page.goto(page.url)
    check_page(audit_page, name, shots=False)


def _to_the_lawyer_licence(page, base: str, check, name: str) -> None:
    page.goto(f"{base}/catalogue/")
    page.get_by_role("searchbox", name="事项名称或关键词").fill("律师执业许可")
    page.get_by_role("button", name="查找", exact=True).click()
    page.get_by_role("link", name="律师执业许可", exact=True).click()
    expect(page.get_by_role("heading", name="您要办理的是哪一种？", level=2)).to_be_visible()
    expect(page.get_by_text("适用于：高等院校、科研机构中从事法学教育")).to_be_visible()
    check(f"{name}-which-kind")
    page.get_by_role("link", name="专职律师执业", exact=True).click()
    expect(page.get_by_role("heading", name="选择您所在的地区")).to_be_visible()


def _the_office(page, check, name: str) -> None:
    expect(
        page.get_by_role("heading", name="为浙江省杭州市西湖区办理的机构（共 1 个，离您最近的在前）")
    ).to_be_visible()
    results = page.get_by_role("list", name="为浙江省杭州市西湖区办理的机构（共 1 个，离您最近的在前）")
    expect(results.get_by_role("link")).to_have_text(["杭州市司法局"])  # 北京 is not listed first, or at all
    expect(results.get_by_text("上级：杭州市")).to_be_visible()
    check(f"{name}-office")
    results.get_by_role("link", name="杭州市司法局").click()
    expect(page.get_by_role("heading", name="律师执业许可（专职律师执业）", level=1)).to_be_visible()
    expect(page.get_by_text("杭州市司法局").first).to_be_visible()
    expect(page.get_by_role("link", name="在线申请")).to_be_visible()  # on to apply at this office


def test_with_javascript_the_selects_cascade(catalogue, browser_page, check_page):
    page, base = browser_page, catalogue

    def check(name: str) -> None:
        _audit(page, None, check_page, name)

    _to_the_lawyer_licence(page, base, check, "place-js")
    for label, name in PATH:
        select = page.get_by_label(label, exact=True)
        expect(select).to_be_visible(timeout=15_000)  # htmx brought it after the level above was chosen
        # htmx listens on the selects it swapped in only once they have settled; a change made in
        # between (a script is faster than a person) would go unheard.
        page.wait_for_function(HTMX_IDLE)
        select.select_option(label=name)
    expect(page.get_by_label("乡镇（街道）（可不选）")).to_be_visible()
    expect(page.get_by_label("乡镇（街道）（可不选）")).to_be_focused()  # focus moves on to the next level
    check("place-js-chosen")
    page.get_by_role("button", name="确定").click()
    _the_office(page, check, "place-js")

    # The place is remembered: the places page starts from it, with 更换地区.
    page.goto(f"{base}/catalogue/places/")
    expect(page.get_by_role("status")).to_contain_text("浙江省杭州市西湖区（您上次选择的地区）")
    expect(page.get_by_label("县（市、区）", exact=True)).to_have_value("330106")
    page.get_by_role("link", name="更换地区").click()
    page.wait_for_url(re.compile(r".*#place-province$"))
    check("place-js-remembered")


def test_without_javascript_one_level_after_the_other(catalogue, nojs_page, browser_page, check_page):
    page, base = nojs_page, catalogue

    def check(name: str) -> None:
        _audit(page, browser_page, check_page, name)

    _to_the_lawyer_licence(page, base, check, "place-nojs")
    for label, name in PATH:
        page.get_by_label(label, exact=True).select_option(label=name)
        page.get_by_role("button", name="确定").click()
        expect(page.get_by_role("status")).to_contain_text(name)  # the level is applied, the next offered
    _the_office(page, check, "place-nojs")


def test_by_name_and_nearest_first(catalogue, browser_page, check_page):
    """The place typed as people say it, then a place's services: its own first, the national last."""
    page, base = browser_page, catalogue
    page.goto(f"{base}/catalogue/places/")
    expect(page.get_by_role("heading", name="按地区查找办事事项", level=1)).to_be_visible()
    check_page(page, "place-page", shots=False)
    page.get_by_role("searchbox", name="或输入地区名称").fill("火星区")
    page.get_by_role("button", name="查找地区").click()
    expect(page.get_by_role("alert")).to_contain_text("没有找到名为“火星区”的地区")
    check_page(page, "place-not-found", shots=False)
    page.get_by_role("searchbox", name="或输入地区名称").fill("杭州西湖区")
    page.get_by_role("button", name="查找地区").click()
    expect(page.get_by_role("status")).to_contain_text("办事地点：浙江省杭州市西湖区")
    page.get_by_role("link", name="查看浙江省杭州市西湖区可办理的事项").click()
    heading = page.get_by_role("heading", name="浙江省杭州市西湖区可办理的事项", exact=False)
    expect(heading).to_be_visible()
    check_page(page, "place-services", shots=False)
    tags = page.locator("#results ~ ul .sifa-tag").all_inner_texts()
    ranks = [NEAREST_FIRST[tag] for tag in tags]
    assert ranks and ranks == sorted(ranks) and ranks[0] == 0, tags
