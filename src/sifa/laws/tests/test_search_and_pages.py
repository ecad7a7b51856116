"""Search ranking on the built-in sample (the Must-show queries), pages (200/404, no JavaScript), API."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from sifa.laws import search
from sifa.laws.search import highlight

API = "/api/v1/laws"


@pytest.fixture
def api(laws) -> APIClient:
    return APIClient()


def test_lawyer_licensing_query_finds_article_six_in_the_first_three(api) -> None:
    response = api.get(f"{API}/search/", {"q": "律师执业 申请"})
    assert response.status_code == 200
    top = [(hit["statute"], hit["article"]) for hit in response.json()["results"][:3]]
    assert ("律师法", "第六条") in top
    hit = next(h for h in response.json()["results"] if h["article"] == "第六条")
    assert "<mark>律师执业</mark>" in hit["text"]
    assert hit["url"].endswith("/laws/%E5%BE%8B%E5%B8%88%E6%B3%95-2017-09-01/6/") or hit["url"].endswith(
        "/laws/律师法-2017-09-01/6/"
    )


def test_notary_query_finds_the_notary_law(api) -> None:
    results = api.get(f"{API}/search/", {"q": "公证"}).json()["results"]
    assert results and results[0]["statute"] == "公证法"


def test_bad_queries_are_clear_4xx(api) -> None:
    for q, code in (
        ("", "laws.query_empty"),
        ("   ", "laws.query_empty"),
        ("律" * 10_000, "laws.query_too_long"),
    ):
        response = api.get(f"{API}/search/", {"q": q})
        assert response.status_code == 400
        assert response.json()["code"] == code
        assert response.json()["message"]
    assert api.get(f"{API}/", {"q": "律" * 10_000}).json()["code"] == "laws.query_too_long"


def test_the_search_is_rate_limited(api) -> None:
    statuses = {api.get(f"{API}/search/", {"q": "公证"}).status_code for _ in range(61)}
    assert 429 in statuses


def test_statute_list_and_detail(api) -> None:
    listing = api.get(f"{API}/", {"category": "行政法规"}).json()
    assert [s["id"] for s in listing["results"]] == ["外国律师事务所驻华代表机构管理条例-2001-12-22"]
    detail = api.get(f"{API}/律师法-2017-09-01/").json()
    assert detail["title"] == "中华人民共和国律师法"
    assert detail["headings"][0]["title"] == "第一章 总则"
    six = next(a for a in detail["articles"] if a["key"] == "6")
    assert six["article"] == "第六条" and six["heading"] == "第二章 律师执业许可"
    missing = api.get(f"{API}/不存在的法-2000-01-01/")
    assert missing.status_code == 404 and missing.json()["code"] == "laws.statute_not_found"


def test_highlight_escapes_everything_else() -> None:
    assert (
        highlight("<b>律师</b>&律师", ["律师"])
        == "&lt;b&gt;<mark>律师</mark>&lt;/b&gt;&amp;<mark>律师</mark>"
    )


def test_pages_without_javascript(laws, client) -> None:
    index = client.get("/laws/")
    assert index.status_code == 200
    body = index.content.decode()
    assert "法律法规库" in body and 'method="get"' in body and "行政法" in body
    found = client.get("/laws/", {"q": "律师执业 申请"}).content.decode()
    assert "第六条" in found and "<mark>律师执业</mark>" in found
    browse = client.get("/laws/", {"category": "行政法"}).content.decode()
    assert "中华人民共和国律师法" in browse
    too_long = client.get("/laws/", {"q": "律" * 10_000})
    assert too_long.status_code == 400 and "不能超过" in too_long.content.decode()
    statute = client.get("/laws/律师法-2017-09-01/").content.decode()
    assert 'id="a6"' in statute and "第二章 律师执业许可" in statute
    article = client.get("/laws/律师法-2017-09-01/6/")
    assert article.status_code == 200 and "申请律师执业" in article.content.decode()


def test_the_article_address_to_cite_is_the_public_one(laws, client, settings) -> None:
    """本条地址 is what the decision letters print: the public address, readable, without the
    request's own host or query string (a reader behind a proxy or on 127.0.0.1 copies it)."""
    settings.PUBLIC_URL = "https://sifa.example.cn"
    body = client.get(
        "/laws/律师法-2017-09-01/6/", {"from": "search"}, HTTP_HOST="127.0.0.1"
    ).content.decode()
    assert "<dt>本条地址</dt><dd><code>https://sifa.example.cn/laws/律师法-2017-09-01/6/</code></dd>" in body


def test_unknown_statutes_and_articles_are_chinese_404(laws, client) -> None:
    for url in ("/laws/没有这部法/", "/laws/律师法-2017-09-01/999/", "/laws/律师法-2017-09-01/六/"):
        response = client.get(url)
        assert response.status_code == 404
        assert "未找到" in response.content.decode()


def test_the_header_links_to_the_library(laws, client) -> None:
    assert 'href="/laws/"' in client.get("/").content.decode()


def test_the_search_page_is_rate_limited_too(laws, client) -> None:
    statuses = [client.get("/laws/", {"q": "公证"}).status_code for _ in range(61)]
    assert statuses[0] == 200 and statuses[-1] == 429
    assert "过于频繁" in client.get("/laws/", {"q": "公证"}).content.decode()


def test_search_leaves_the_segmented_words_in_the_database(laws):
    hits, _words = search.search("公证")
    assert hits and len(hits) <= 20
    assert {"search_text", "title_words"} <= hits[0].article.get_deferred_fields()
    assert hits[0].article.statute.short_title  # what the pages and the API show is loaded
