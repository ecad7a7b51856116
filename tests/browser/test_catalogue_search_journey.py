"""办事目录 in real Chromium: a citizen searches with the word people use (律师证) and the item it
means (律师执业许可) is listed first, with its one-line description. axe-core must report nothing
and the page may not scroll sideways at 375 px.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_searching_lawyer_licence_lists_the_practising_licence_first(
    transactional_db, live_server, browser_page, check_page
):
    from playwright.sync_api import expect

    from sifa.catalogue.tests.conftest import CATALOGUE_TREE
    from sifa.testing.tree import catalogue_tree

    catalogue_tree(*CATALOGUE_TREE)
    page, base = browser_page, live_server.url
    page.goto(f"{base}/catalogue/")
    expect(page.get_by_role("heading", name="政务服务事项目录", level=1)).to_be_visible()

    page.get_by_role("searchbox", name="事项名称或关键词").fill("律师证")
    page.get_by_role("button", name="查找", exact=True).click()
    results = page.get_by_role("list", name="个事项")
    expect(results).to_be_visible()
    first = results.get_by_role("listitem").first
    expect(first.get_by_role("heading", level=3)).to_have_text("律师执业许可")
    expect(first.get_by_text("办结后取得律师执业证书")).to_be_visible()
    check_page(page, "catalogue-search-synonym")

    first.get_by_role("link", name="律师执业许可").click()
    expect(page.get_by_role("heading", name="律师执业许可", level=1)).to_be_visible()
