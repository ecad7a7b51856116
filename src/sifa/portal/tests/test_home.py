"""The base layout and the home page: landmarks, skip link, labelled search, no inline code."""

from __future__ import annotations

import itertools
import re


def test_home_page_has_the_accessible_base_layout(client):
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-Hans">' in html and 'name="viewport"' in html
    assert '<a class="sifa-skip-link" href="#main">跳到主要内容</a>' in html
    for landmark in ("<header", '<nav class="sifa-nav" aria-label="主导航">', '<main id="main"', "<footer"):
        assert landmark in html
    assert 'class="sifa-body"' in html  # the 关怀模式 hook adds sifa-care here
    assert 'aria-current="page">首页' in html
    # Every input has a label, the search goes to the catalogue, and nothing inline breaks the CSP.
    for input_id in re.findall(r'<input[^>]* id="([^"]+)"', html):
        assert f'for="{input_id}"' in html
    assert 'action="/catalogue/"' in html and "/catalogue/?topic=personal" in html
    assert "style=" not in html and "<style" not in html and "<script" not in html
    headings = [int(level) for level in re.findall(r"<h([1-6])", html)]
    assert headings[0] == 1 and all(b - a <= 1 for a, b in itertools.pairwise(headings))


def test_the_stylesheet_is_served_and_has_focus_styles(client):
    from django.contrib.staticfiles import finders

    css = open(finders.find("sifa/site.css"), encoding="utf-8").read()
    assert ":focus" in css and ".sifa-care" in css and "@media (max-width: 640px)" in css


def test_home_page_refuses_writes(client):
    assert client.post("/").status_code == 405
