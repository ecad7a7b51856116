"""Issue 14's input findings, refused at the door: lone surrogates, NUL, deep JSON, and every error
under ``/api/`` in the API's JSON shape (never Django's HTML 400/403 page)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from django.test import Client
from rest_framework.test import APIClient

from sifa.core.requesttext import text_problem
from sifa.testing import CitizenFactory

pytestmark = pytest.mark.django_db

ROUTES = [
    "/api/v1/auth/token/",
    "/api/v1/applications/drafts/",
    "/api/v1/consultations/",
    "/api/v1/complaints/",
]
"""Write routes of different apps, anonymous and signed in: the door is the same for all."""


def _post_raw(client: Client, path: str, body: bytes | str, content_type: str = "application/json"):
    return client.generic("POST", path, body, content_type=content_type)


def _assert_api_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert body["code"] == code, body
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"]), body
    return body


def deep(levels: int, inner: str = "1") -> str:
    return "[" * levels + inner + "]" * levels


# --- deep JSON (RecursionError without login) ------------------------------------------------


@pytest.mark.parametrize("path", ROUTES)
def test_json_nested_a_thousand_deep_is_refused_without_parsing(path):
    response = _post_raw(APIClient(), path, json.dumps({"username": "x"})[:-1] + ', "a": ' + deep(1000) + "}")
    body = _assert_api_error(response, 400, "request.too_deep")
    assert "32" in body["message"]


def test_objects_count_as_deep_as_arrays():
    body = '{"a":' * 100 + "1" + "}" * 100
    _assert_api_error(_post_raw(APIClient(), "/api/v1/auth/token/", body), 400, "request.too_deep")


def test_the_depth_limit_is_the_setting(settings):
    ok = '{"username": "a", "password": "b", "x": ' + deep(31) + "}"  # the object is level 1
    response = _post_raw(APIClient(), "/api/v1/auth/token/", ok)
    assert response.json()["code"] != "request.too_deep"
    settings.JSON_MAX_DEPTH = 8
    _assert_api_error(_post_raw(APIClient(), "/api/v1/auth/token/", ok), 400, "request.too_deep")


def test_brackets_inside_strings_do_not_count():
    body = json.dumps({"username": "[" * 5000 + '\\"{', "password": "x"})
    response = _post_raw(APIClient(), "/api/v1/auth/token/", body)
    assert response.json()["code"] != "request.too_deep"
    assert response.status_code in (400, 401)


# --- lone surrogates and NUL ----------------------------------------------------------------


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize(
    ("text", "code"),
    [
        ('"\\ud800x"', "request.invalid_text"),
        ('"x\\udfff"', "request.invalid_text"),
        ('"\\udc00\\ud800"', "request.invalid_text"),  # reversed pair: two lone halves
        ('"a\\u0000b"', "request.nul_character"),
    ],
)
def test_bad_unicode_anywhere_in_a_json_body_is_refused(path, text, code):
    body = '{"form_data": {"applicant_name": ' + text + '}, "nested": [{"k": ' + text + "}]}"
    _assert_api_error(_post_raw(APIClient(), path, body), 400, code)
    key_only = "{" + text + ": 1}"  # in a key, too
    _assert_api_error(_post_raw(APIClient(), path, key_only), 400, code)


def test_a_proper_surrogate_pair_and_escaped_backslashes_are_text():
    body = json.dumps({"username": "😀 \\ud800 \\\\u0000", "password": "x"}, ensure_ascii=True)
    assert "\\ud83d\\ude00" in body
    response = _post_raw(APIClient(), "/api/v1/auth/token/", body)
    assert response.json()["code"] not in ("request.invalid_text", "request.nul_character")


def test_surrogates_cannot_come_in_through_query_strings_or_forms():
    """Encoded surrogates (``%ED%A0%80``) are not UTF-8: Django decodes them to U+FFFD, so only JSON
    escapes can carry one, and those are refused above."""
    response = APIClient().get("/api/v1/catalogue/items/?q=%ED%A0%80x")
    query = response.wsgi_request.GET["q"]
    assert response.status_code == 200 and query.startswith("\ufffd") and not text_problem(query)
    response = _post_raw(
        APIClient(),
        "/api/v1/auth/token/",
        b"username=%ED%A0%80&password=x",
        "application/x-www-form-urlencoded",
    )
    assert response.status_code in (400, 401) and response.json()["code"].startswith("auth.")


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "multipart/form-data"])
@pytest.mark.parametrize(
    ("form_data", "code"),
    [(deep(1000), "request.too_deep"), ('{"applicant_name": "\\ud800x"}', "request.invalid_text")],
)
def test_json_sent_in_a_form_field_is_held_to_the_same_rules(content_type, form_data, code):
    """An API's JSON field (a draft's ``form_data``) may come as a form field; DRF then parses it
    with ``json.loads`` — a RecursionError or a lone surrogate, as in a JSON body."""
    client = APIClient()
    client.force_authenticate(CitizenFactory())
    fields = {"entry": "x", "form_data": form_data}
    if content_type == "multipart/form-data":
        response = client.post("/api/v1/applications/drafts/", fields, format="multipart")
    else:
        response = _post_raw(client, "/api/v1/applications/drafts/", urlencode(fields), content_type)
    _assert_api_error(response, 400, code)


def test_nul_in_a_query_string_of_a_page_gets_the_chinese_400_page():
    response = Client().get("/complaints/track/", {"code": "A\x00B"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "空字符" in response.content.decode()


def test_nul_in_a_posted_form_of_a_page_gets_the_chinese_400_page():
    response = Client().post("/accounts/login/", {"username": "a\x00", "password": "x"})
    assert response.status_code == 400
    assert "request.nul_character" in response.content.decode()


# --- Django's own 400s and 403s on API routes ---------------------------------------------------


@pytest.mark.parametrize("path", ROUTES)
def test_an_oversized_body_is_a_json_413(path, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"username": "x" * 2000, "password": "y"})
    _assert_api_error(_post_raw(APIClient(), path, body), 413, "request.too_large")
    form = "username=" + "x" * 2000
    response = _post_raw(APIClient(), path, form, "application/x-www-form-urlencoded")
    _assert_api_error(response, 413, "request.too_large")


@pytest.mark.parametrize("path", ROUTES)
def test_too_many_form_fields_is_json(path, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    form = "&".join(f"f{i}=1" for i in range(20))
    client = APIClient()
    client.force_authenticate(CitizenFactory())  # so that every route reads its body
    response = _post_raw(client, path, form, "application/x-www-form-urlencoded")
    _assert_api_error(response, 400, "request.too_many_fields")


@pytest.mark.parametrize("path", ROUTES)
def test_a_broken_multipart_body_is_json(path):
    response = _post_raw(APIClient(), path, b"--x\r\nnonsense", "multipart/form-data")  # no boundary
    body = response.json()
    assert response.status_code == 400 and body["code"] in ("request.bad_multipart", "parse_error"), body


def test_a_foreign_host_is_json_on_the_api_and_a_page_elsewhere():
    response = APIClient().get("/api/v1/catalogue/items/", HTTP_HOST="evil.example")
    _assert_api_error(response, 400, "request.bad_host")
    page = Client().get("/", HTTP_HOST="evil.example")
    assert page.status_code == 400 and "request.bad_host" in page.content.decode()


def test_a_session_post_without_csrf_token_is_a_json_403():
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(CitizenFactory())
    response = client.post("/api/v1/applications/drafts/", {"entry": "x"}, format="json")
    _assert_api_error(response, 403, "csrf.failed")


def test_a_page_post_without_csrf_token_gets_the_chinese_403_page():
    response = Client(enforce_csrf_checks=True).post("/accounts/login/", {"username": "a", "password": "b"})
    assert response.status_code == 403
    assert "csrf.failed" in response.content.decode() and "刷新页面" in response.content.decode()


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("DELETE", "/api/v1/auth/token/", 405, "method_not_allowed"),
        ("GET", "/api/v1/no-such-thing/", 404, "not_found"),
        ("POST", "/api/v1/catalogue/items/", 405, "method_not_allowed"),
    ],
)
def test_other_api_errors_keep_the_shape(method, path, status, code):
    _assert_api_error(APIClient().generic(method, path), status, code)


def test_the_net_reshapes_any_non_json_error_under_the_api(rf):
    from django.http import HttpResponseNotAllowed

    from sifa.core.middleware import ApiErrorShapeMiddleware

    def inner(request):
        answer = HttpResponseNotAllowed(["GET"])
        answer["X-Content-Type-Options"] = "nosniff"
        return answer

    middleware = ApiErrorShapeMiddleware(inner)
    response = middleware(rf.post("/api/v1/anything/"))
    assert json.loads(response.content)["code"] == "method_not_allowed"
    assert response.status_code == 405 and response["Allow"] == "GET"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/json"
    page = middleware(rf.post("/complaints/new/"))
    assert page["Content-Type"].startswith("text/html")
