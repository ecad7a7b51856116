"""Issue 16: the public catalogue's list (W1), page (W1h) and guide (W2) — a query guard for each
(an added query, an N+1 in a template filter, fails here by name), the list's hand-built body
field for field against its serializer, and the shared public page cache: served to anonymous
visitors, dead on publish, never used for signed-in ones (docs/performance.md, "Public page cache")."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from sifa.catalogue import services
from sifa.catalogue.api import ItemSerializer, item_list_body
from sifa.catalogue.models import CatalogueItem, ImplementationEntry
from sifa.catalogue.selectors import item_rows, items
from sifa.core import pagecache
from sifa.core.tests.test_limits import redis_url  # noqa: F401  (fixture)
from sifa.testing import staff

LAWYER = "000100001000"
LAWYER_FULL_TIME = "000100001001"
LIST = "/api/v1/catalogue/items/"
PAGE = "/catalogue/"

# The uncached path, query by query (a view that gains one fails here):
W1_QUERIES = 1  # the count and the page of ready entries of the list's read model (ItemListing), together
W1_FILTERED_QUERIES = 2  # with a filter: COUNT(*) and the page, through the filters' ORM lookups
W1H_QUERIES = 1  # the HTML page: a page of items with their live versions and the count (one join, a window)
W2_QUERIES = 1  # the stored guide (GuidePage) with the entry, version, item and organisations it was
# rendered from joined to check it is current (docs/catalogue.md, "Guide read model")
W2_ANSWERS_QUERIES = 7  # with 情形 answers, the full build: entry (+ item, version, organisations),
# version (+ item, form, process), materials, situations, fees, stages, the law library's version


def _guide_url() -> str:
    entry = ImplementationEntry.objects.filter(
        item__basic_code=LAWYER_FULL_TIME, organisation__name="杭州市司法局"
    ).first()
    return f"/guides/{entry.implementation_code}/"


@pytest.fixture
def uncached(settings):
    settings.PUBLIC_CACHE_SECONDS = 0


@pytest.fixture(params=["database", "redis"])
def cached(request, settings):
    """The cache on, in the database (the embedded default) or in a throw-away Redis."""
    settings.PUBLIC_CACHE_SECONDS = 300
    settings.CACHE_URL = request.getfixturevalue("redis_url") if request.param == "redis" else ""
    assert pagecache.store().name == request.param
    yield
    if request.param == "redis":
        pagecache.clear()  # Redis is outside the test's transaction


def test_w1_catalogue_list_queries(cat, uncached, django_assert_max_num_queries):
    with django_assert_max_num_queries(W1_QUERIES):
        response = Client().get(LIST)
    assert response.status_code == 200 and response.json()["count"] > 15


def test_w1_filtered_list_queries(cat, uncached, django_assert_max_num_queries):
    with django_assert_max_num_queries(W1_FILTERED_QUERIES):
        assert Client().get(LIST, {"type": "01", "level": "3", "page": "1"}).status_code == 200


def test_w1h_catalogue_page_queries(cat, uncached, django_assert_max_num_queries):
    with django_assert_max_num_queries(W1H_QUERIES):
        response = Client().get(PAGE)
    assert response.status_code == 200 and "找到" in response.content.decode()


def test_w2_guide_page_queries(cat, uncached, django_assert_max_num_queries):
    url = _guide_url()
    Client().get(url)  # the first visit renders the guide and stores it
    with django_assert_max_num_queries(W2_QUERIES):
        response = Client().get(url)
    assert response.status_code == 200 and "申请材料目录" in response.content.decode()


def test_w2_guide_page_with_answers_queries(cat, uncached, django_assert_max_num_queries):
    url = _guide_url()
    Client().get(url, {"x": "1"})  # the process's first guide reads the law library's names
    with django_assert_max_num_queries(W2_ANSWERS_QUERIES):
        response = Client().get(url, {"x": "1"})
    assert response.status_code == 200 and "申请材料目录" in response.content.decode()


def test_the_list_body_is_the_serializers_field_for_field(cat):
    qs = items()
    assert item_list_body(list(item_rows(qs))) == ItemSerializer(qs, many=True).data


# --- the public page cache ------------------------------------------------------------------------


def _csrf_free(body: bytes) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[A-Za-z0-9]+"', b"csrf", body)


def _headers(response) -> dict[str, str]:
    return {k: v for k, v in response.items() if k not in ("X-Sifa-Cache", "Content-Length")}


@pytest.mark.parametrize("path", [LIST, f"{LIST}?type=01", PAGE, f"{PAGE}?q=律师", "guide"])
def test_an_anonymous_answer_is_served_from_the_cache(cat, cached, path, django_assert_num_queries):
    path = _guide_url() if path == "guide" else path
    client = Client()
    first = client.get(path)
    assert first.status_code == 200 and first["X-Sifa-Cache"] == "miss"
    with django_assert_num_queries(1 if pagecache.store().name == "database" else 0):
        second = Client().get(path)  # the lookup: generation and entry in one statement (or script)
    assert second["X-Sifa-Cache"] == "hit"
    assert _csrf_free(second.content) == _csrf_free(first.content)
    assert _headers(second) == _headers(first)


def test_a_cached_page_carries_the_visitors_own_csrf_token(cat, cached):
    Client().get(PAGE)
    visitor = Client(enforce_csrf_checks=True)
    hit = visitor.get(PAGE)
    assert hit["X-Sifa-Cache"] == "hit"
    token = re.search(rb'name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"', hit.content).group(1)
    assert b"\x00" not in hit.content and "csrftoken" in hit.cookies
    # The 关怀模式 switch posts with the token of the cached page: accepted, not a 403.
    switched = visitor.post(
        reverse("citizen-care-mode"), {"csrfmiddlewaretoken": token.decode(), "care": "on", "next": PAGE}
    )
    assert switched.status_code in (302, 303), switched.status_code


def test_the_cache_keys_on_the_query_string_and_the_care_mode(cat, cached):
    client = Client()
    assert client.get(f"{PAGE}?q=律师")["X-Sifa-Cache"] == "miss"
    assert client.get(f"{PAGE}?q=公证")["X-Sifa-Cache"] == "miss"
    client.cookies["sifa_care"] = "1"
    cared = client.get(f"{PAGE}?q=律师")
    assert cared["X-Sifa-Cache"] == "miss" and b"sifa-care" in cared.content


def test_publishing_invalidates_the_cached_answers(cat, cached):
    client = Client()
    guide = _guide_url()
    for path in (LIST, guide):
        client.get(path)
        assert client.get(path)["X-Sifa-Cache"] == "hit"
    item = CatalogueItem.objects.get(basic_code=LAWYER_FULL_TIME)
    draft = services.new_draft(item, system=True)  # a new draft is listed in the item's versions
    listed = client.get(LIST, {"page_size": "200"})
    assert listed["X-Sifa-Cache"] == "miss"
    versions = next(i["versions"] for i in listed.json()["results"] if i["basic_code"] == LAWYER_FULL_TIME)
    assert [v["number"] for v in versions] == [1, 2]
    services.publish_version(draft, system=True)
    page = client.get(guide)
    assert page["X-Sifa-Cache"] == "miss" and "第2版" in page.content.decode()


def test_signed_in_visitors_never_get_or_make_a_cached_page(cat, cached):
    anonymous = Client()
    anonymous.get(PAGE)
    assert anonymous.get(PAGE)["X-Sifa-Cache"] == "hit"
    user = staff("cache-reader", cat["orgs"]["hz"], "window_clerk")
    signed_in = Client()
    signed_in.force_login(user)
    page = signed_in.get(PAGE)
    assert "X-Sifa-Cache" not in page and "退出" in page.content.decode()
    # and nothing of theirs was stored: the anonymous visitor still sees 登录
    again = anonymous.get(PAGE)
    assert again["X-Sifa-Cache"] == "hit" and "退出" not in again.content.decode()
    assert "登录" in again.content.decode()


def test_api_clients_with_a_token_are_not_served_from_the_cache(cat, cached):
    Client().get(LIST)
    response = Client(HTTP_AUTHORIZATION="Bearer not-a-token").get(LIST)
    assert "X-Sifa-Cache" not in response


def test_a_bypassing_front_wsgi_wrapper_gets_the_uncached_path(cat, cached):
    client = Client()
    client.get(LIST)
    assert "X-Sifa-Cache" not in client.get(LIST, **{pagecache.BYPASS: "off"})


def test_one_visitors_chosen_place_never_reaches_another(cat, cached):
    """/catalogue/ links to the place an anonymous visitor chose (您上次选择的地区, kept in the
    session): the place is part of the key, so a page cached for one visitor is not served to
    another, and a visitor with no place gets the page without one."""
    chooser = Client()
    chooser.get(f"/catalogue/{LAWYER_FULL_TIME}/", {"where": "杭州西湖区"})
    first = chooser.get(PAGE)
    assert first["X-Sifa-Cache"] == "miss" and "/catalogue/?region=330106" in first.content.decode()
    assert chooser.get(PAGE)["X-Sifa-Cache"] == "hit"
    stranger = Client().get(PAGE)
    assert "330106" not in stranger.content.decode()
    stranger_with_session = Client()
    stranger_with_session.get(f"/catalogue/{LAWYER_FULL_TIME}/", {"where": "北京市"})
    other = stranger_with_session.get(PAGE)
    assert other["X-Sifa-Cache"] == "miss" and "330106" not in other.content.decode()


# --- hits before URL resolution (sifa.core.pagecache.PublicPageCacheMiddleware) -------------------


def _masked_tokens(body: bytes) -> list[bytes]:
    return re.findall(rb'name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"', body)


def _visit(cookies, path: str, method: str = "get", **extra):
    """One request of a visitor whose browser holds ``cookies`` (a fresh client each time, so every
    answer is for the same visitor state)."""
    client = Client()
    for name, morsel in cookies.items():
        client.cookies[name] = morsel.value
    return getattr(client, method)(path, **extra)


def _answer(response, sent) -> tuple:
    """Everything a browser gets, with the per-render CSRF mask unmasked to its secret (the masked
    token differs on every render, cached or not) and a fresh visitor's new CSRF secret named."""
    from django.middleware.csrf import _unmask_cipher_token

    body = response.content
    secrets = {_unmask_cipher_token(token.decode()) for token in _masked_tokens(body)}
    cookie = response.cookies.get("csrftoken")
    if secrets:
        expected = cookie.value if cookie is not None else sent["csrftoken"].value
        assert secrets == {expected}, "the page's token is the visitor's own"
    body = _csrf_free(body)
    fresh_secret = "csrftoken" not in sent
    cookies = {
        name: (
            "<new>" if name == "csrftoken" and fresh_secret else morsel.value,
            {k: v for k, v in morsel.items() if k != "expires" and v},
        )
        for name, morsel in response.cookies.items()
    }
    headers = [(k, v) for k, v in response.items() if k != "X-Sifa-Cache"]
    return response.status_code, headers, cookies, body


def _visitors(cat) -> dict[str, object]:
    """Cookie jars of the visitors whose answers differ: none yet, a CSRF cookie already, 关怀模式,
    a chosen place (in the session), and English."""
    fresh = Client()
    with_csrf = Client()
    with_csrf.get(reverse("citizen-care-mode"))  # any page that hands out a token
    with_csrf.get(PAGE, **{pagecache.BYPASS: "off"})
    cared = Client()
    cared.cookies["sifa_care"] = "1"
    placed = Client()
    placed.get(f"/catalogue/{LAWYER_FULL_TIME}/", {"where": "杭州西湖区"})
    assert "sessionid" in placed.cookies and "csrftoken" in with_csrf.cookies
    return {"fresh": fresh.cookies, "csrf": with_csrf.cookies, "care": cared.cookies, "place": placed.cookies}


@pytest.mark.parametrize("path", [PAGE, f"{PAGE}?q=律师", LIST, "guide"])
def test_a_hit_is_the_misss_answer_for_the_same_visitor(cat, cached, path):
    """For each kind of visitor: the uncached answer, the miss that stores it and the hit are the
    same status, headers (Vary, Cache-Control, Content-Language, the security headers, in order),
    cookies (the CSRF cookie, with its attributes) and body — but for X-Sifa-Cache."""
    path = _guide_url() if path == "guide" else path
    for who, cookies in _visitors(cat).items():
        extra = {"HTTP_ACCEPT_LANGUAGE": "en"} if who == "fresh" else {}
        pagecache.clear()  # visitors whose keys agree (the list has no place) would share the entry
        uncached_answer = _visit(cookies, path, **{pagecache.BYPASS: "off"}, **extra)
        miss = _visit(cookies, path, **extra)
        hit = _visit(cookies, path, **extra)
        assert "X-Sifa-Cache" not in uncached_answer, who
        assert (miss["X-Sifa-Cache"], hit["X-Sifa-Cache"]) == ("miss", "hit"), (who, path)
        expected = _answer(uncached_answer, cookies)
        assert _answer(miss, cookies) == expected, who
        assert _answer(hit, cookies) == expected, who
        if path.startswith(PAGE):
            assert hit["Vary"] and "Cookie" in hit["Vary"], who  # the CSRF token (and session) vary it
            assert "csrftoken" in hit.cookies, who


def test_head_is_never_cached_and_answers_as_before(cat, cached):
    Client().get(PAGE)
    head = Client().head(PAGE)
    plain = Client().head(PAGE, **{pagecache.BYPASS: "off"})
    assert "X-Sifa-Cache" not in head and head.status_code == 200 and head.content == b""
    assert _answer(head, {}) == _answer(plain, {})


def test_a_hit_never_reaches_the_resolver_or_the_view(cat, cached, monkeypatch):
    from django.core.handlers.base import BaseHandler

    for path in (PAGE, LIST, _guide_url()):
        Client().get(path)  # stored, and the path's view remembered by this process

    def no_resolving(self, request):
        raise AssertionError(f"resolved {request.path_info}")

    monkeypatch.setattr(BaseHandler, "resolve_request", no_resolving)
    for path in (PAGE, LIST, _guide_url()):
        assert Client().get(path)["X-Sifa-Cache"] == "hit"


def test_paths_of_views_not_marked_fall_through(cat, cached):
    assert "X-Sifa-Cache" not in Client().get("/")
    missing = Client().get("/guides/no-such-guide/")
    assert missing.status_code == 404 and "X-Sifa-Cache" not in missing
    assert Client().get("/guides/no-such-guide/").status_code == 404  # never stored


def test_the_fast_visitor_token_is_djangos_token_for_the_visitors_secret(rf):
    from django.middleware.csrf import CSRF_ALLOWED_CHARS, _does_token_match, _get_new_csrf_string

    request = rf.get(PAGE)
    secret = _get_new_csrf_string()
    request.META["CSRF_COOKIE"] = secret
    tokens = {pagecache.visitor_token(request) for _ in range(200)}
    assert len(tokens) == 200  # a fresh mask each time
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True  # the cookie goes out, as with get_token
    for token in tokens:
        assert len(token) == 64 and set(token) <= set(CSRF_ALLOWED_CHARS)
        assert _does_token_match(token, secret)
    secrets_made = set()
    for _ in range(200):  # no CSRF cookie yet: a new secret, as Django's _add_new_csrf_cookie makes it
        fresh = rf.get(PAGE)
        token = pagecache.visitor_token(fresh)
        made = fresh.META["CSRF_COOKIE"]
        assert len(made) == 32 and set(made) <= set(CSRF_ALLOWED_CHARS)
        assert fresh.META["CSRF_COOKIE_NEEDS_UPDATE"] is True  # the new secret goes out as the cookie
        assert len(token) == 64 and set(token) <= set(CSRF_ALLOWED_CHARS)
        assert _does_token_match(token, made) and token[:32] != made
        secrets_made.add(made)
    assert len(secrets_made) == 200  # each visitor its own secret
    odd = rf.get(PAGE)  # a secret of another length is left to Django's get_token
    odd.META["CSRF_COOKIE"] = "x" * 10
    pagecache.visitor_token(odd)
    assert odd.META["CSRF_COOKIE_NEEDS_UPDATE"] is True


def test_a_hit_puts_the_visitors_token_wherever_the_page_had_one(rf):
    """The stored page keeps where each token went (not the token); a hit puts the visitor's own
    freshly masked token there, in every form, and the headers come back as they were set."""
    from django.http import HttpResponse
    from django.middleware.csrf import _does_token_match, _get_new_csrf_string

    form = '<form><input type="hidden" name="csrfmiddlewaretoken" value="{}"></form>'
    rendered = "<p>甲</p>" + form.format("A" * 64) + "<p>乙</p>" + form.format("B" * 64) + "<p>丙</p>"
    response = HttpResponse(rendered)
    response["Vary"] = "Accept-Language, Cookie"
    response["Content-Security-Policy"] = "default-src 'self'"
    request = rf.get(PAGE)
    payload = pagecache._payload(request, response)
    assert b"A" * 64 not in payload and b"B" * 64 not in payload
    visitor = rf.get(PAGE)
    visitor.META["CSRF_COOKIE"] = secret = _get_new_csrf_string()
    for _ in range(2):  # the second hit reads the head parsed by the first
        hit = pagecache._response(visitor, payload)
        tokens = _masked_tokens(hit.content)
        assert len(tokens) == 2 and all(_does_token_match(t.decode(), secret) for t in tokens)
        assert re.sub(rb'value="[A-Za-z0-9]+"', b"", hit.content) == re.sub(
            rb'value="[A-Za-z0-9]+"', b"", response.content
        )
        assert list(hit.items()) == list(response.items())


def test_the_redis_lookup_reads_large_pages_and_refuses_other_replies(settings, redis_url):  # noqa: F811
    """The lookup's reply is read from the socket here: a page larger than the thread's buffer
    comes back whole, an entry stored under an older generation is a miss, and a reply that is
    not the lookup's (an error, more than one reply) is refused."""
    from sifa.core.pagecache.stores import _Reply, _values, generation_key

    settings.CACHE_URL = redis_url
    store = pagecache.store()
    try:
        large = bytes(range(256)) * 1200  # 300 kB, newlines and CRLFs inside
        store.save("test-ns", "big", 0, large, 60_000)
        assert store.lookup("test-ns", "big", 0) == (0, large)
        assert store.lookup("test-ns", "none", 0) == (0, None)
        store.save("test-ns", "old", 0, b"made before the publish", 60_000)
        store.bump("test-ns")
        assert store.lookup("test-ns", "old", 0) == (1, None)
        store.client.set(store.prefix + generation_key("test-ns"), b"not a number")
        with pytest.raises(ValueError):
            store.lookup("test-ns", "old", 0)
        store.client.set(store.prefix + generation_key("test-ns"), b"1")
        assert store.lookup("test-ns", "big", 0) == (1, None)
        store.save("test-ns", "big", 1, large, 60_000)
        assert store.lookup("test-ns", "big", 0) == (1, large)
    finally:
        store.clear()
    reply = bytearray(b"*2\r\n$1\r\n7\r\n$-1\r\n")
    assert [_values(reply, end) for end in (3, 9, len(reply) - 1)] == [None, None, None]
    assert _values(reply, len(reply)) == [b"7", None]
    with pytest.raises(_Reply):
        _values(bytearray(b"-ERR unknown command\r\n"), 22)
    with pytest.raises(_Reply):
        _values(reply + b"+OK\r\n", len(reply) + 5)


def test_the_redis_lookup_outlives_a_lost_connection_and_a_flushed_script(settings, redis_url):  # noqa: F811
    """Each thread keeps its own connection for the lookup: a connection Redis closed is replaced
    (the lookup is retried once), a script Redis forgot is loaded again, and threads never share
    a reply."""
    import threading

    settings.CACHE_URL = redis_url
    store = pagecache.store()
    try:
        store.save("test-ns", "k1", 0, b"one", 60_000)
        assert store.lookup("test-ns", "k1", 0) == (0, b"one")
        store.client.client_kill_filter(_type="normal", skipme=True)  # closes the lookup's connection
        assert store.lookup("test-ns", "k1", 0) == (0, b"one")
        store.client.script_flush()
        assert store.lookup("test-ns", "k1", 0) == (0, b"one")
        store.bump("test-ns")
        assert store.lookup("test-ns", "k1", 0) == (1, None)
        for n in range(8):
            store.save("test-ns", f"t{n}", 1, f"page {n}".encode() * 500, 60_000)
        wrong: list[object] = []

        def read(n: int) -> None:
            for _ in range(50):
                found = store.lookup("test-ns", f"t{n}", 0)
                if found != (1, f"page {n}".encode() * 500):
                    wrong.append(found)

        threads = [threading.Thread(target=read, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert wrong == []
    finally:
        store.clear()


def test_a_near_redis_lookup_is_answered_from_the_process_for_its_moment_only(
    settings,
    redis_url,  # noqa: F811
    monkeypatch,
):
    """A public page's hit read from Redis is answered again from the process for ``NEAR_MS`` from
    before its read was sent — without a round trip — and never after: a publish in another process
    (the generation increased behind this one's back) is seen once that moment is over, and this
    process's own publish at once. Other lookups (``near`` off) always ask Redis."""
    import time

    from sifa.core.pagecache import stores

    settings.CACHE_URL = redis_url
    store = pagecache.store()
    asked: list[bytes] = []
    ask = store._ask
    monkeypatch.setattr(store, "_ask", lambda command: asked.append(command) or ask(command))
    monkeypatch.setattr(stores, "NEAR_MS", 1000)  # long enough for a loaded machine
    try:
        store.save("test-ns", "page", 0, b"the page", 60_000)
        assert store.lookup("test-ns", "page", 0, near=True) == (0, b"the page")
        assert store.lookup("test-ns", "page", 0, near=True) == (0, b"the page")
        assert len(asked) == 1
        assert store.lookup("test-ns", "page", 0) == (0, b"the page") and len(asked) == 2
        assert store.lookup("test-ns", "none", 0, near=True) == (0, None)
        assert store.lookup("test-ns", "none", 0, near=True) == (0, None) and len(asked) == 4
        store.client.incr(store.prefix + stores.generation_key("test-ns"))  # another process's publish
        started = time.monotonic()
        while store.lookup("test-ns", "page", 0, near=True) == (0, b"the page"):
            assert time.monotonic() - started < 5
        assert store.lookup("test-ns", "page", 0, near=True) == (1, None)
        store.save("test-ns", "page", 1, b"the new page", 60_000)
        assert store.lookup("test-ns", "page", 0, near=True) == (1, b"the new page")
        store.bump("test-ns")  # this process's publish: at once
        assert store.lookup("test-ns", "page", 0, near=True) == (2, None)
    finally:
        store.clear()


def test_a_publish_waits_until_no_process_answers_the_old_generation(
    db,
    settings,
    redis_url,  # noqa: F811
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    """With Redis, the commit's increment of a public namespace is followed by a wait of ``NEAR_MS``
    (a near hit read before it is then over everywhere), registered once per transaction — but
    again after a savepoint that registered it was rolled back; other namespaces do not wait."""
    import time

    from django.db import transaction

    from sifa.core.pagecache import stores

    settings.CACHE_URL = redis_url
    monkeypatch.setattr(stores, "NEAR_MS", 500)  # longer than an increment on a loaded machine
    store = pagecache.store()
    generation = store.prefix + stores.generation_key("catalogue")
    try:
        with django_capture_on_commit_callbacks() as callbacks:
            with pytest.raises(RuntimeError), transaction.atomic():
                pagecache.bump("catalogue")
                raise RuntimeError("rolled back")
            pagecache.bump("catalogue")
            pagecache.bump("catalogue")
            with transaction.atomic():
                pagecache.bump("catalogue")
            pagecache.bump("not-public")
        assert len(callbacks) == 2
        before = int(store.client.get(generation))
        started = time.monotonic()
        callbacks[0]()
        assert time.monotonic() - started >= stores.NEAR_MS / 1000
        assert int(store.client.get(generation)) == before + 1
        started = time.monotonic()
        callbacks[1]()
        assert time.monotonic() - started < stores.NEAR_MS / 1000
    finally:
        store.clear()
