"""The catalogue page and the stored guide with ``portal/base.html`` from its skeleton
(``sifa.core.layout.render_page``) are byte for byte the pages the template engine renders: for
关怀模式 by cookie or not, paths and query strings that need escaping, the refused filter form (400),
the CSRF cookie new or kept, and a signed-in visitor (rendered the usual way).

The skeleton's CSRF token is drawn by ``pagecache.visitor_token`` (one ``os.urandom`` call), the
template engine's by Django's ``get_token``: both are random, so the comparison checks that each
token is the visitor's (it unmasks to the secret of the cookie sent, or of the one the visitor
had) and then compares the pages with the token and the new secret put aside."""

from __future__ import annotations

import itertools
import re

import pytest
from django.middleware import csrf
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client

from sifa.catalogue.models import ImplementationEntry
from sifa.core import layout

LAWYER_FULL_TIME = "000100001001"


@pytest.fixture(autouse=True)
def uncached(settings):
    settings.PUBLIC_CACHE_SECONDS = 0


@pytest.fixture
def same_tokens(monkeypatch):
    """CSRF secrets and masks from a counter, restarted per request: both renderings get the same."""
    state = {"n": itertools.count()}

    def fake(length, allowed_chars=csrf.CSRF_ALLOWED_CHARS):
        n = next(state["n"])
        return "".join(allowed_chars[(n * 7 + i * 13) % len(allowed_chars)] for i in range(length))

    monkeypatch.setattr(csrf, "get_random_string", fake)
    return state


def _guide_url() -> str:
    entry = ImplementationEntry.objects.get(
        item__basic_code=LAWYER_FULL_TIME, organisation__name="杭州市司法局"
    )
    return f"/guides/{entry.implementation_code}/"


def _both(login, cookies: dict, url: str, same_tokens, monkeypatch) -> tuple:
    answers = []
    for skeleton in (True, False):
        client = Client()  # each its own: the first answer's CSRF cookie would change the second's
        if login is not None:
            client.force_login(login)
        for name, value in cookies.items():
            client.cookies[name] = value
        with monkeypatch.context() as patch:
            if not skeleton:
                patch.setattr(layout, "_page", lambda name: None)
            same_tokens["n"] = itertools.count()
            response = client.get(url)
        body = response.content
        sent = response.cookies.get("csrftoken")
        secret = sent.value if sent is not None else cookies.get("csrftoken")
        assert "csrftoken" not in cookies or secret == cookies["csrftoken"], url  # kept, not replaced
        for token in _TOKEN.findall(body):
            assert secret and _unmask_cipher_token(token.decode()) == secret, url
        answers.append(
            (
                response.status_code,
                sorted(response.items()),
                re.sub(r"expires=[^;]*; |sessionid=[^;]*|csrftoken=\w+", "", response.cookies.output()),
                _TOKEN.sub(b'name="csrfmiddlewaretoken" value="-"', body),
            )
        )
    return answers[0], answers[1]


_TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="(\w+)"')


@pytest.mark.parametrize("cookies", [{}, {"sifa_care": "1"}, {"sifa_care": "0"}, {"csrftoken": "a" * 32}])
def test_the_pages_are_the_template_engines(cat, cookies, same_tokens, monkeypatch):
    guide = _guide_url()
    urls = [
        "/catalogue/",
        "/catalogue/?page=2",
        "/catalogue/?type=xk&level=bad",  # refused: 400 with the form's errors
        "/catalogue/?q=%E5%BE%8B%E5%B8%88",
        "/catalogue/?q=<b>&x=\"1\"&y='2'#x",
        guide,
        guide.lower(),
    ]
    for url in urls:
        skeleton, engine = _both(None, cookies, url, same_tokens, monkeypatch)
        assert skeleton == engine, url
    skeleton, _ = _both(None, cookies, guide, same_tokens, monkeypatch)
    assert ("sifa-body sifa-care" in skeleton[3].decode()) == (cookies.get("sifa_care") == "1")


def test_a_signed_in_visitor_gets_the_template_engines_page(cat, same_tokens, monkeypatch, django_user_model):
    visitor = django_user_model.objects.create_user(username="layout-visitor", password="x" * 12)
    skeleton, engine = _both(visitor, {}, "/catalogue/", same_tokens, monkeypatch)
    assert skeleton == engine and "退出" in skeleton[3].decode()


def test_the_skeleton_refuses_what_it_does_not_stand_in_for():
    with pytest.raises(layout.LayoutError):
        layout._Request(care=False).META  # noqa: B018
    with pytest.raises(layout.LayoutError):
        layout._StrictContext({})["user"]
