"""The two public look-ups in real Chromium, without logging in: 法律法规库 (search → the permanent
article page) and 机构人员查询 (search → the practitioner's page). axe-core must report nothing and
no page may scroll sideways at 375 px; both search boxes are the same full-width input, on a
desktop and on a phone.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from test_citizen_journey import the_citizen

from sifa.core import limits
from sifa.laws.services import import_sample
from sifa.licences.models import LicenceType
from sifa.licences.services import issue_licence, load_licence_types

pytestmark = pytest.mark.browser


SEARCH_BOXES = {"/laws/": "关键词", "/directory/": "名称"}


def test_law_search_then_the_article_page(transactional_db, live_server, browser_page, check_page):
    import_sample()
    limits.clear()  # the laws rate limit counts per address; start from nothing
    page, base = browser_page, live_server.url
    page.goto(f"{base}/laws/")
    expect(page.get_by_role("heading", name="法律法规库", level=1)).to_be_visible()
    check_page(page, "laws-index")

    page.get_by_role("searchbox", name="关键词").fill("律师执业 申请")
    page.get_by_role("button", name="查找条文").click()
    page.get_by_role("heading", name="相关条文").wait_for()
    results = page.get_by_role("list", name="相关条文")
    expect(results.locator("mark").first).to_be_visible()  # the query words are marked
    check_page(page, "laws-search")

    results.get_by_role("link", name="《律师法》第六条").click()
    page.wait_for_url(f"{base}/laws/律师法-2017-09-01/6/")
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text().endswith("第六条") and "中华人民共和国律师法" in heading.inner_text()
    expect(page.get_by_text("申请律师执业").first).to_be_visible()
    check_page(page, "laws-article")


def test_directory_search_then_the_practitioner_page(
    transactional_db, live_server, browser_page, check_page, settings, tmp_path
):
    from sifa.catalogue.tests.conftest import build_tree

    settings.MEDIA_ROOT = tmp_path / "media"
    orgs = build_tree()
    load_licence_types()
    citizen = the_citizen()
    licence = issue_licence(
        LicenceType.objects.get(key="lawyer_licence"), citizen, orgs["zj"], actor=None, with_pdf=False
    )
    limits.clear()
    page, base = browser_page, live_server.url
    page.goto(f"{base}/directory/")
    expect(page.get_by_role("heading", name="机构人员查询", level=1)).to_be_visible()
    check_page(page, "directory-index")

    page.get_by_role("searchbox", name="名称").fill(citizen.display_name)
    page.get_by_label("类别").select_option(label="律师")
    page.get_by_role("button", name="查询", exact=True).click()
    page.get_by_role("heading", name="找到 1 条").wait_for()
    check_page(page, "directory-search")

    page.get_by_role("link", name=citizen.display_name).click()
    page.wait_for_url(f"{base}/directory/lawyer/{licence.number}/")
    expect(page.get_by_role("heading", name=citizen.display_name, level=1)).to_be_visible()
    expect(page.get_by_text("有效").first).to_be_visible()
    check_page(page, "directory-practitioner")


def test_the_two_search_boxes_are_the_same(transactional_db, live_server, browser_page):
    page, base = browser_page, live_server.url
    widths = {}
    for size in ({"width": 1280, "height": 900}, {"width": 375, "height": 800}):
        page.set_viewport_size(size)
        for path, label in SEARCH_BOXES.items():
            page.goto(f"{base}{path}")
            box = page.get_by_role("searchbox", name=label)
            assert "sifa-input" in box.get_attribute("class").split()
            widths[size["width"], path] = box.evaluate("el => el.getBoundingClientRect().width")
        assert widths[size["width"], "/laws/"] == widths[size["width"], "/directory/"], widths
    assert widths[375, "/laws/"] <= 375 - 2 * 15
