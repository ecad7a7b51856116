"""The API documentation page (/api/v1/docs/, Swagger UI) in real Chromium: the page's language,
one main landmark (Swagger UI's main#operations), an h1 and headings in order, every part in a
landmark, Swagger's colours darkened to AA, no nested links in its toggles — axe reports nothing."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_api_docs_page_has_language_landmark_and_heading(
    transactional_db, live_server, browser_page, check_page
):
    page = browser_page
    page.goto(f"{live_server.url}/api/v1/docs/")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    # Ours, named; Swagger UI renders the API's title as a second h1 once the description loads
    # (how soon depends on the machine), so the locator names the page's own.
    expect(page.get_by_role("heading", level=1, name="接口文档（v1）")).to_be_visible()
    # Swagger UI has rendered the operations inside the one main landmark.
    expect(page.get_by_role("main").locator(".opblock").first).to_be_visible()
    expect(page.get_by_role("main")).to_have_count(1)
    expect(page.get_by_role("heading", level=2, name="接口列表")).to_be_visible()
    check_page(page, "api-docs", shots=False)
