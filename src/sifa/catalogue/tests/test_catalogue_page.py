"""The public catalogue page (``/catalogue/``) built from plain rows: every result shows what the
models say (name, link, 一句话说明, type, basic code, level), a change in the catalogue shows on the
next request (the precompiled query reads the database every time), and the header built once per
process still follows who is signed in (issue 16, docs/performance.md)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from sifa.catalogue import services
from sifa.catalogue.models import CatalogueItem
from sifa.catalogue.selectors import items
from sifa.testing import staff

PAGE = "/catalogue/"


@pytest.fixture(autouse=True)
def uncached(settings):
    settings.PUBLIC_CACHE_SECONDS = 0


def _results(html: str) -> str:
    return html.split('<ul class="sifa-results" aria-labelledby="results">', 1)[1].split("</ul>", 1)[0]


def _expected_row(item: CatalogueItem) -> str:
    summary = f'<p class="sifa-result-summary">{escape(item.summary)}</p>' if item.summary else ""
    return (
        f'<li>\n    <h3><a href="{reverse("catalogue-item", args=[item.basic_code])}">{escape(item.name)}</a></h3>'
        f'\n    {summary}\n    <p class="sifa-meta"><span class="sifa-tag">{item.get_item_type_display()}</span>'
        f"基本编码 <code>{item.basic_code}</code> · {item.get_level_display()}</p>\n  </li>"
    )


@pytest.mark.parametrize("query", [{}, {"type": "01"}, {"topic": "personal"}, {"q": "律师"}, {"page": "2"}])
def test_each_result_shows_what_the_models_say(cat, query):
    html = Client().get(PAGE, query).content.decode()
    filters = {"q": query.get("q", ""), "item_type": query.get("type", ""), "topic": query.get("topic", "")}
    expected = list(items(**filters))
    number = int(query.get("page", "1"))
    shown = expected[(number - 1) * 20 : number * 20]
    assert shown, "the sample catalogue has results for every query here"
    results = _results(html)
    assert results.count("<li>") == len(shown)
    for item in shown:
        assert _expected_row(item) in results
    assert f"找到 {len(expected)} 个事项" in html


def test_no_results_says_so(cat):
    html = Client().get(PAGE, {"q": "没有这种事项"}).content.decode()
    assert "<li>没有找到符合条件的事项。" in _results(html) and "找到 0 个事项" in html


def test_a_change_in_the_catalogue_shows_on_the_next_request(cat):
    client = Client()
    item = CatalogueItem.objects.get(basic_code="000100001001")
    assert item.name in client.get(PAGE).content.decode()
    published = item.versions.get(status="published")
    services.withdraw_version(published, system=True)
    html = client.get(PAGE).content.decode()
    assert f"<code>{item.basic_code}</code>" not in html
    draft = services.new_draft(item, system=True)
    services.update_draft(draft, {"scope": "新的适用范围"}, system=True)
    services.publish_version(draft, system=True)
    html = client.get(PAGE).content.decode()
    assert f"<code>{item.basic_code}</code>" in html and "适用于新的适用范围" in html


def test_the_header_follows_who_is_signed_in(cat):
    anonymous, signed_in = Client(), Client()
    signed_in.force_login(staff("page-reader", cat["orgs"]["hz"], "window_clerk"))
    for _ in range(2):  # the second time from the header built once per process
        page = anonymous.get(PAGE).content.decode()
        assert ">登录</a>" in page and "退出" not in page
        assert re.search(r'href="/catalogue/" aria-current="page">办事目录', page)
        mine = signed_in.get(PAGE).content.decode()
        assert "退出" in mine and ">登录</a>" not in mine and "账户与安全" in mine
        home = anonymous.get("/").content.decode()
        assert re.search(r'aria-current="page">首页', home) and 'aria-current="page">办事目录' not in home


@pytest.mark.parametrize("count", [0, 1, 20, 21, 45, 1234])
@pytest.mark.parametrize("query", ["", "type=xk", "q=%E5%BE%8B%E5%B8%88&x=<a>&y=\"'"])
def test_the_count_and_pagination_are_the_templates(count, query, settings):
    """``views._items_numbers`` gives what ``{{ items.paginator.count }}`` and ``_pagination.html``
    render, on every page of the list; with a thousand separator the template renders them."""
    from django.core.paginator import Paginator
    from django.http import QueryDict
    from django.template.loader import render_to_string

    from sifa.catalogue import views

    paginator = Paginator(list(range(count)), views.PAGE_SIZE)
    query_dict = QueryDict(query)
    for number in paginator.page_range:
        page = paginator.page(number)
        expected = render_to_string("catalogue/_pagination.html", {"page": page, "query": query_dict})
        assert views._items_numbers(page, query_dict) == (str(count), expected)
    settings.USE_THOUSAND_SEPARATOR = True
    assert views._items_numbers(paginator.page(1), query_dict) == (None, None)


def test_the_results_html_is_reused_only_for_the_same_rows(monkeypatch):
    from sifa.catalogue import views

    monkeypatch.setattr(views, "_RESULTS_HTML", {})
    monkeypatch.setattr(views, "RESULTS_HTML_KEPT", 2)
    row = {
        "basic_code": "000100001001",
        "name": "律师执业<许可>",
        "item_type": "xk",
        "level": "national",
        "versions__scope": "a",
        "versions__result_name": "b",
    }
    first = views._result_rows([row])
    assert views._result_rows([dict(row)]) is first
    assert views._result_rows([{**row, "name": "律师执业许可"}]) == views._render_result_rows(
        [{**row, "name": "律师执业许可"}]
    )
    assert "律师执业&lt;许可&gt;" in first and first == views._render_result_rows([row])
    views._result_rows([{**row, "basic_code": "000100001002"}])
    assert len(views._RESULTS_HTML) <= 2
