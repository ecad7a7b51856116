"""Correction in place, tracking without login, 我的空间 and 关怀模式, through the pages."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sifa.applications import services
from sifa.applications.models import ApplicationStatus
from sifa.audit.services import record_access, record_disclosure
from sifa.catalogue.tests.conftest import build_tree, cat, loaded  # noqa: F401  (fixtures)
from sifa.organisations.models import Role
from sifa.testing import staff

from .test_citizen_support import (
    OTHER_ID,
    PDF,
    VALID_ID,
    lawyer_entry,
    lawyer_form,
    person,
    submitted_application,
)


@pytest.fixture
def case(cat, client, django_user_model):  # noqa: F811
    citizen = person("张三", VALID_ID, "13800000001")
    clerk = staff("hz-clerk", cat["orgs"]["hz"], Role.WINDOW_CLERK, display_name="王小明")
    app, code = submitted_application(lawyer_entry(cat["orgs"]), citizen)
    client.force_login(citizen)
    return {
        "citizen": citizen,
        "clerk": clerk,
        "app": app,
        "code": code,
        "client": client,
        "orgs": cat["orgs"],
    }


def _html(response) -> str:
    return response.content.decode()


def _notice(case):
    material = case["app"].materials.filter(provenance="upload").first().material
    return services.issue_correction_notice(
        case["app"],
        items=[
            {"field": "address", "message": "通讯地址应写明门牌号"},
            {"field": f"materials.{material.pk}", "message": f"{material.name}不清晰，请重新上传"},
        ],
        actor=case["clerk"],
    ), material


def test_correction_page_shows_every_item_and_fixes_everything_in_place(
    case, django_capture_on_commit_callbacks
):
    notice, material = _notice(case)
    client, app = case["client"], case["app"]
    me = _html(client.get("/me/"))
    assert f'href="/me/applications/{app.number}/correction/"' in me and "提交补正材料" in me
    page = _html(client.get(f"/me/applications/{app.number}/correction/"))
    assert notice.document_number in page and "通讯地址应写明门牌号" in page and "不清晰，请重新上传" in page
    assert 'id="f-address-issue"' in page and f'id="m-{material.pk}-issue"' in page
    # The flagged material and field first; the rest behind 修改其他内容, closed.
    flagged, others = page.split("<summary>修改其他内容</summary>")
    assert (
        "需要补正的内容" in flagged
        and 'id="f-address"' in flagged
        and f'id="m-{material.pk}-file"' in flagged
    )
    assert 'id="f-phone"' in others and 'id="f-address"' not in others and "m-" in others
    assert '<details class="sifa-details">' in page
    # A field error is reported on the field (opening 修改其他内容), and nothing is resubmitted.
    form = {**lawyer_form(address="杭州市西湖区北山街道1号"), "phone": "12"}
    response = client.post(f"/me/applications/{app.number}/correction/", form)
    assert response.status_code == 400 and '<a href="#f-phone">联系电话的格式不正确</a>' in _html(response)
    assert '<details class="sifa-details" open>' in _html(response)
    app.refresh_from_db()
    assert app.status == ApplicationStatus.CORRECTION_REQUIRED
    # Fixed field + replaced file in one submit.
    form = {
        **lawyer_form(address="杭州市西湖区北山街道1号"),
        f"file-{material.pk}": SimpleUploadedFile("清晰.pdf", PDF, "application/pdf"),
    }
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(f"/me/applications/{app.number}/correction/", form)
    assert response["Location"] == f"/me/applications/{app.number}/"
    app.refresh_from_db()
    assert app.status == ApplicationStatus.SUBMITTED
    assert app.form_data["address"] == "杭州市西湖区北山街道1号"
    assert app.materials.get(material=material, superseded=False).display_name == "清晰.pdf"
    detail = _html(client.get(response["Location"]))
    assert "补正材料已提交" in detail and "已提交补正材料" in detail


def test_correction_page_without_a_notice_sends_back_to_the_application(case):
    response = case["client"].get(f"/me/applications/{case['app'].number}/correction/")
    assert response["Location"] == f"/me/applications/{case['app'].number}/"


def test_tracking_without_login_shows_the_timeline_and_hides_wrong_codes(case, client):
    client.logout()
    app = case["app"]
    assert "输入办件编号和查询码" in _html(client.get("/track/"))
    page = _html(client.post("/track/", {"number": app.number, "code": case["code"]}))
    assert "申请已提交" in page and "杭州市司法局" in page and "张三" not in page
    wrong = client.post("/track/", {"number": app.number, "code": "AAAAAAAA"})
    unknown = client.post("/track/", {"number": "SF000000000000000000", "code": case["code"]})
    assert wrong.status_code == unknown.status_code == 404
    assert "办件编号或查询码不正确" in _html(wrong)
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"|value="SF[0-9]+"')
    assert strip.sub("", _html(wrong)) == strip.sub("", _html(unknown))
    empty = client.post("/track/", {})
    assert empty.status_code == 400 and '<a href="#f-number">请输入办件编号</a>' in _html(empty)


def test_tracking_shows_plain_status_and_the_expected_completion_date(case, client):
    from sifa.deadlines import db_calendar
    from sifa.deadlines.calendar import TimeLimit, TimeUnit
    from sifa.deadlines.models import ClockPurpose, ClockState
    from sifa.deadlines.services import seed_calendar, start_clock, suspend_clock
    from sifa.testing.clock import travel

    client.logout()
    app = case["app"]
    page = _html(client.post("/track/", {"number": app.number, "code": case["code"]}))
    assert "<strong>待受理</strong>" in page and "已提交（待预审）" not in page
    assert "<dt>当前环节</dt><dd>预审</dd>" in page
    seed_calendar(2025, 2026)
    db_calendar.forget()
    day = dt.date(2025, 9, 1)
    with travel(day):
        clock = start_clock(
            subject_type="application",  # as the workflow starts a case's clocks
            subject_id=str(app.pk),
            purpose=ClockPurpose.LEGAL,
            limit=TimeLimit(20, TimeUnit.WORKING_DAYS),
            started_on=day,
            scope_path=app.scope_path,
        )
        page = _html(client.post("/track/", {"number": app.number, "code": case["code"]}))
        due = f"{clock.due_on.year}年{clock.due_on.month}月{clock.due_on.day}日前"
        assert "<dt>预计办结日期</dt>" in page and due in page
        assert f"按{ClockPurpose.LEGAL.label}计算" in page and "办理暂停中" not in page
        # 暂定 here only if the calendar years it counts are unpublished (the clock says which).
        assert ("（暂定）" in page) == ClockState.objects.get(pk=clock.pk).provisional
        suspend_clock(clock.pk, kind="appraisal", on=day, reason="委托鉴定")
        page = _html(client.post("/track/", {"number": app.number, "code": case["code"]}))
        # Paused: the date if it resumed tomorrow, marked 暂定, and why.
        assert "<dt>预计办结日期</dt>" in page and "（暂定）" in page and "办理暂停中" in page
        expected = re.search(r"<strong>(\d{4})年(\d{1,2})月(\d{1,2})日前</strong>", page)
        assert expected and dt.date(*map(int, expected.groups())) >= clock.due_on
    db_calendar.forget()


def _track_failures() -> int:
    from django.test import RequestFactory

    from sifa.core import limits
    from sifa.portal.citizen.views_track import TrackThrottle

    throttle = TrackThrottle()
    key = throttle.get_cache_key(RequestFactory().post("/track/"), None)
    return limits.peek(key, limits.Rate(throttle.num_requests, throttle.duration)).count


def test_tracking_is_rate_limited_per_address(case, client, settings):
    """Only failed lookups count (ADR 0012): below the limit a right code is found and not
    counted; after 30 failures a minute every lookup is refused, a right code too."""
    from sifa.core import limits

    limits.clear()
    number, code = case["app"].number, case["code"]
    for i in range(30):
        wrong = {"number": "SF1", "code": "X"} if i % 2 else {"number": number, "code": "WRONG123"}
        assert client.post("/track/", wrong).status_code == 404
        if i < 29:
            assert client.post("/track/", {"number": number, "code": code}).status_code == 200
        assert _track_failures() == i + 1
    response = client.post("/track/", {"number": number, "code": code})
    assert response.status_code == 429 and "查询过于频繁" in _html(response)
    assert _track_failures() == 30  # a refusal is not counted
    limits.clear()


def test_found_lookups_on_the_tracking_page_are_never_limited_and_write_nothing(case):
    from django.db import connection
    from django.test import Client

    from sifa.core import limits

    limits.clear()
    number, code = case["app"].number, case["code"]
    seen: list[str] = []

    def note(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(note):
        statuses = [Client().post("/track/", {"number": number, "code": code}).status_code for _ in range(40)]
        invalid = [Client().post("/track/", {"number": number}).status_code for _ in range(5)]
    assert statuses == [200] * 40 and invalid == [400] * 5  # a form without a code is no lookup
    assert _track_failures() == 0
    assert [sql for sql in seen if not sql.lstrip().upper().startswith("SELECT")] == []
    limits.clear()


def test_my_space_lists_applications_messages_materials_and_who_read_my_data(case):
    client, app = case["client"], case["app"]
    me = _html(client.get("/me/"))
    assert app.number in me and "等待预审" in me and "您有 1 条未读消息" in me
    detail = _html(client.get(f"/me/applications/{app.number}/"))
    assert "申请已提交" in detail and "撤回申请" in detail and "/file/" in detail
    messages = _html(client.get("/me/messages/"))
    assert "申请已提交" in messages and "未读" in messages
    public_id = re.search(r"/me/messages/([0-9a-f-]{36})/read/", messages).group(1)
    assert client.post(f"/me/messages/{public_id}/read/").status_code == 302
    assert "未读</span>" not in _html(client.get("/me/messages/"))
    materials = _html(client.get("/me/materials/"))
    assert "证明.pdf" in materials and app.number in materials
    file_url = re.search(r'href="(/me/applications/[^"]+/file/)"', materials).group(1)
    download = client.get(file_url)
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    record_access(
        reader=case["clerk"],
        subject=case["citizen"],
        subject_ref=str(case["citizen"].public_id),
        object_type="accounts.NaturalPerson",
        purpose="受理审查",
        scope_path=case["orgs"]["hz"].path,
    )
    log = _html(client.get("/me/access-log/"))
    assert "王**" in log and "王小明" not in log and "杭州市司法局" in log and "受理审查" in log
    assert "电子证照" in _html(client.get("/me/licences/"))


def test_notification_links_lead_to_the_application(case):
    response = case["client"].get(f"/applications/{case['app'].number}/")
    assert response["Location"] == f"/me/applications/{case['app'].number}/"


def test_withdraw_needs_a_confirmation(case):
    client, app = case["client"], case["app"]
    assert "确定撤回申请吗" in _html(client.get(f"/me/applications/{app.number}/withdraw/"))
    assert client.post(f"/me/applications/{app.number}/withdraw/").status_code == 302
    app.refresh_from_db()
    assert app.status == ApplicationStatus.WITHDRAWN


def test_another_citizen_gets_404_on_every_page_of_my_application(case, client):
    other = person("李四", OTHER_ID, "13800000002")
    client.force_login(other)
    app = case["app"]
    material = app.materials.filter(provenance="upload").first()
    for url in ("", "correction/", "withdraw/", f"materials/{material.pk}/file/"):
        assert client.get(f"/me/applications/{app.number}/{url}").status_code == 404, url
    assert client.post(f"/me/applications/{app.number}/withdraw/").status_code == 404
    assert app.number not in _html(client.get("/me/")) and "证明.pdf" not in _html(
        client.get("/me/materials/")
    )


def test_a_check_made_on_the_draft_leads_to_the_case_it_became(case):
    """The police checks of a draft carry its reference (草稿 d1bf3d3d); once submitted, 我的数据使用
    记录 names the 办件编号 and links to it, not a draft the citizen cannot find any more. Another
    person's reference, or a partner's own case number, stays as it was, without a link."""
    app, citizen, hz = case["app"], case["citizen"], case["orgs"]["hz"]
    other, _ = submitted_application(lawyer_entry(case["orgs"]), person("李四", OTHER_ID, "13800000009"))
    for reference in (
        f"草稿 {str(app.pk)[:8]}",
        f"草稿 {str(other.pk)[:8]}",
        app.number,
        "（2026）浙01刑初1号",
    ):
        record_disclosure(
            subject=citizen,
            subject_ref=str(citizen.public_id),
            object_type="accounts.NaturalPerson",
            receiver="杭州市公安局",
            purpose="居民身份核验",
            legal_basis="个人信息保护法第十三条",
            organisation=hz,
            scope_path=hz.path,
            case_number=reference,
            message_id="9b4f1685-77b7-475c-b99c-1b5e65d7691d",
        )
    log = _html(case["client"].get("/me/access-log/"))
    link = f'办件：<a href="/me/applications/{app.number}/">{app.number}</a>'
    assert f"{link}（提交前核验）" in log and f"{link}<br>" in log
    assert f"办件：草稿 {str(other.pk)[:8]}<br>" in log and other.number not in log
    assert "办件：（2026）浙01刑初1号<br>" in log


def test_care_mode_is_a_cookie_set_by_a_plain_form(client, db):
    page = _html(client.get("/track/"))
    assert 'action="/care-mode/"' in page and 'sifa-care"' not in page and " sifa-care" not in page
    response = client.post("/care-mode/", {"care": "on", "next": "/track/"})
    assert response["Location"] == "/track/"
    assert response.cookies["sifa_care"].value == "1" and response.cookies["sifa_care"]["max-age"] > 3600 * 24
    assert 'class="sifa-body sifa-care' in _html(client.get("/track/"))
    assert "退出关怀模式" in _html(client.get("/track/"))
    client.post("/care-mode/", {"care": "off", "next": "https://evil.example/"})
    assert 'class="sifa-body sifa-care' not in _html(client.get("/track/"))
    assert client.post("/care-mode/", {"care": "on", "next": "https://evil.example/"})["Location"] == "/"


def test_pages_carry_no_inline_script_or_style(case):
    for url in (
        "/me/",
        f"/me/applications/{case['app'].number}/",
        "/track/",
        "/me/messages/",
        "/me/access-log/",
    ):
        page = _html(case["client"].get(url))
        assert "style=" not in page and "<style" not in page
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == [], url
