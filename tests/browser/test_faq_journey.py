"""常见问题 in real Chromium: typing in the search box brings suggestions from the knowledge base
(htmx, after a pause), the answer page links its articles and items and 在线咨询; with JavaScript
off the same box is a plain search. axe-core finds nothing, nothing scrolls sideways at 375 px."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture
def world(transactional_db):
    """The tree, the law library's sample, the catalogue items and the starter entries, committed
    (the live server reads them from another thread)."""
    from sifa.catalogue.services import load_items
    from sifa.catalogue.tests.conftest import build_tree
    from sifa.consultation.services import load_starter_faq
    from sifa.laws.services import import_sample

    build_tree()
    import_sample()
    load_items()
    load_starter_faq()


def test_suggestions_while_typing_and_the_answer(world, live_server, browser_page, check_page) -> None:
    page = browser_page
    page.goto(f"{live_server.url}/faq/")
    check_page(page, "faq-index")
    page.locator("#id_q").press_sequentially("律师证", delay=50)
    suggestion = page.locator("#id_q-faq-suggestions a").first
    suggestion.wait_for()
    assert "遗失" in suggestion.inner_text()
    check_page(page, "faq-suggestions", shots=True)
    suggestion.click()
    page.wait_for_url("**/faq/*/")
    assert page.locator("h1").inner_text().startswith("律师执业证书")
    assert page.get_by_role("link", name="律师法第六条").count() >= 1
    assert page.get_by_role("link", name="在线咨询").first.get_attribute("href") == "/consultations/new/"
    check_page(page, "faq-answer")


def test_without_javascript_the_box_is_a_plain_search(world, live_server, nojs_page, check_page) -> None:
    page = nojs_page
    page.goto(f"{live_server.url}/faq/")
    page.locator("#id_q").fill("法律援助")
    page.get_by_role("button", name="查找").click()
    page.wait_for_url("**/faq/?q=*")
    assert page.locator("#results").inner_text().startswith("找到")
    assert page.locator(".sifa-results mark").count() >= 1
    check_page(page, "faq-results-nojs", audit=False)
