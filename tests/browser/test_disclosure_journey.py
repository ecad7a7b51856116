"""政务公开 in real Chromium: the platform's and 杭州市司法局's public pages (no login, without
JavaScript, 375 px, 关怀模式), and the notices CMS — a window clerk of 杭州市司法局 drafts a notice and
sends it to 保密审查, the city's supervisor confirms the checklist and publishes it, and it appears
on the public page. axe-core reports nothing on any page, and none scrolls sideways at 375 px."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from test_staff_journey import log_in, log_out

from sifa.disclosure.models import Notice, NoticeStatus
from sifa.disclosure.tests.conftest import published
from sifa.organisations.models import Role
from sifa.testing import tree
from sifa.workbench.tests import world as W

pytestmark = pytest.mark.browser

TITLE = "关于律师执业许可网上申请材料要求的说明"
BODY = "## 一、申请方式\n\n申请人通过本平台在线提交申请。\n\n## 二、材料要求\n\n- 身份证明\n- **法律职业资格证书**\n- 实习考核合格材料"


@pytest.mark.django_db(transaction=True)
def test_the_public_pages_without_javascript_and_in_care_mode(
    browser_page, nojs_page, check_page, live_server
):
    orgs = tree("ministry", "zj", "hz", "nb")
    clerk = W.staff("hz-clerk", (orgs["hz"], Role.WINDOW_CLERK))
    supervisor = W.staff("hz-supervisor", (orgs["hz"], Role.SUPERVISOR))
    notice = published(clerk, supervisor, orgs["hz"], body=BODY, title=TITLE)
    base = live_server.url
    # Without JavaScript: the period chooser is a plain GET form.
    nojs_page.goto(f"{base}/disclosure/{orgs['hz'].pk}/")
    nojs_page.get_by_label("统计月份").select_option(index=2)
    nojs_page.get_by_role("button", name="查看").click()
    nojs_page.wait_for_url(re.compile(r".*\?period=\d{4}-\d{2}$"))
    check_page(nojs_page, "disclosure-organisation-nojs", audit=False, shots=False)
    page = browser_page
    for url, name in (
        ("/disclosure/", "disclosure-index"),
        (f"/disclosure/{orgs['hz'].pk}/", "disclosure-organisation"),
        (f"/disclosure/notices/{notice.public_id}/", "disclosure-notice"),
        ("/disclosure/opendata/", "disclosure-opendata"),
    ):
        page.goto(base + url)
        check_page(page, name)
    page.goto(f"{base}/disclosure/")
    page.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", name="二、材料要求")).to_be_visible()
    page.context.add_cookies([{"name": "sifa_care", "value": "1", "url": base}])
    page.goto(f"{base}/disclosure/{orgs['hz'].pk}/")
    assert "sifa-care" in page.evaluate("() => document.body.className")
    check_page(page, "disclosure-organisation-care")


@pytest.mark.django_db(transaction=True)
def test_draft_confidentiality_review_and_publish(browser_page, check_page, live_server):
    orgs = tree("ministry", "zj", "hz")
    clerk = W.staff("hz-clerk", (orgs["hz"], Role.WINDOW_CLERK))
    supervisor = W.staff("hz-supervisor", (orgs["hz"], Role.SUPERVISOR))
    base, page = live_server.url, browser_page
    log_in(page, base, clerk, "/workbench/disclosure/")
    page.wait_for_url(f"{base}/workbench/disclosure/")
    check_page(page, "workbench-disclosure")
    page.get_by_role("link", name="起草公开信息").click()
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_role("alert").get_by_text("请填写标题")).to_be_visible()
    check_page(page, "workbench-disclosure-errors")
    page.get_by_label("通知公告").check()
    page.get_by_label("标题").fill(TITLE)
    page.get_by_label("正文").fill(BODY)
    page.get_by_role("button", name="保存草稿").click()
    page.wait_for_url(re.compile(r".*/workbench/disclosure/[0-9a-f-]{36}/$"))
    notice = Notice.objects.get(title=TITLE)
    url = f"{base}/workbench/disclosure/{notice.public_id}/"
    check_page(page, "workbench-disclosure-draft")
    page.get_by_role("button", name="送保密审查").click()
    page.wait_for_url(url)
    expect(page.get_by_role("status").get_by_text("已送保密审查。")).to_be_visible()
    log_out(page)

    log_in(page, base, supervisor, f"/workbench/disclosure/{notice.public_id}/")
    page.wait_for_url(url)
    check_page(page, "workbench-disclosure-review")
    page.get_by_label("审查通过并发布").check()
    page.get_by_label("审查意见").fill("经审查，同意公开")
    page.get_by_role("button", name="提交审查结果").click()  # the checklist is not confirmed yet
    expect(page.get_by_role("alert").get_by_text("不能发布")).to_be_visible()
    check_page(page, "workbench-disclosure-review-errors", shots=False)
    page.get_by_label("经审查，不涉及国家秘密、工作秘密、商业秘密和个人隐私").check()
    page.get_by_role("button", name="提交审查结果").click()
    page.wait_for_url(url)
    expect(page.get_by_role("status").get_by_text("已完成保密审查。")).to_be_visible()
    check_page(page, "workbench-disclosure-published")
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.PUBLISHED
    page.get_by_role("link", name="查看公开页面").click()
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
