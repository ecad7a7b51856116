"""Unmatched URLs answer in Chinese (a page) or in the API error shape (JSON)."""

import pytest

pytestmark = pytest.mark.django_db


def test_unknown_page_is_a_chinese_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_unknown_api_path_is_a_json_404(client):
    response = client.get("/api/v1/no-such-endpoint/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.fixture
def development(settings):
    """Development mode, as `make run` and every demo run."""
    settings.DEBUG = True
    return settings


def test_unknown_page_is_the_chinese_404_in_development_mode_too(client, development):
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404 and "页面不存在" in html
    assert "Page not found" not in html and "Using the URLconf" not in html
    assert 'href="/"' in html  # the way back
    assert "开发模式：调试信息" in html and "/no-such-page/" in html  # what the developer needs


def test_a_view_raising_404_or_400_is_chinese_in_development_mode(rf, development):
    from django.core.exceptions import SuspiciousOperation
    from django.http import Http404

    from sifa.core.middleware import DevelopmentErrorPagesMiddleware

    middleware = DevelopmentErrorPagesMiddleware(lambda request: None)
    request = rf.get("/catalogue/x/")
    missing = middleware.process_exception(request, Http404("没有这个事项"))
    assert missing.status_code == 404 and "页面不存在" in missing.content.decode()
    assert "没有这个事项" in missing.content.decode()
    bad = middleware.process_exception(request, SuspiciousOperation("bad"))
    assert bad.status_code == 400 and "请求有误" in bad.content.decode()
    assert middleware.process_exception(request, ValueError("a bug")) is None  # the traceback page


def test_unknown_api_path_is_json_in_development_mode_too(client, development):
    response = client.get("/api/v1/no-such-endpoint/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


@pytest.mark.parametrize("debug", [False, True])
def test_csrf_failure_is_chinese_with_a_way_back(settings, debug):
    from django.test import Client

    settings.DEBUG = debug
    response = Client(enforce_csrf_checks=True).post("/accounts/login/?next=/me/", {"username": "x"})
    html = response.content.decode()
    assert response.status_code == 403 and "页面已过期" in html and "csrf.failed" in html
    assert 'href="/accounts/login/?next=/me/"' in html  # the form again, with a fresh token
    assert "Forbidden" not in html and "CSRF verification failed" not in html


def test_workbench_errors_lead_back_to_the_workbench(client):
    html = client.get("/workbench/no-such-page/").content.decode()
    assert 'href="/workbench/"' in html and "返回工作台" in html
