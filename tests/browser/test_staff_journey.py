"""The staff journey in real Chromium: log in with password + TOTP → worklist → accept → review →
decide. axe-core must report no violation on the worklist and the case page, and neither may
scroll sideways at 375 px. Screenshots: see conftest.py.

Uses the harness of tests/browser/conftest.py (``browser_page``, ``check_page``). The world is
built with the services and the ORM (organisation tree, shipped catalogue, calendar, staff with
TOTP devices, a 律师执业许可 application pending acceptance at 杭州市司法局).
"""

from __future__ import annotations

import pytest
from conftest import screenshot
from playwright.sync_api import expect

from sifa.applications.models import ApplicationStatus
from sifa.organisations.models import Role
from sifa.workbench.tests import world as W
from sifa.workflow.services import start_case

pytestmark = pytest.mark.browser


def log_in(page, base: str, user, next_url: str) -> None:
    page.goto(f"{base}/accounts/login/?next={next_url}")
    page.get_by_label("用户名", exact=True).fill(user.username)
    page.get_by_label("密码").fill(W.PASSWORD)
    page.get_by_label("动态验证码").fill(W.totp_code(user))
    page.get_by_role("button", name="登录").click()


def log_out(page) -> None:
    page.get_by_role("button", name="退出登录").click()


def confirm(page, action: str) -> None:
    page.get_by_role("button", name=f"下一步：确认{action}").click()
    page.get_by_role("button", name=f"确认{action}", exact=True).click()


@pytest.mark.django_db(transaction=True)
def test_staff_journey_accept_review_decide(browser_page, check_page, live_server):
    orgs = W.build_world()
    clerk = W.staff("hz-clerk", (orgs["hz"], Role.WINDOW_CLERK))
    reviewer = W.staff("hz-reviewer", (orgs["hz"], Role.REVIEWER))
    decider = W.staff("zj-decider", (orgs["zj"], Role.DECISION_MAKER))
    case = W.make_case(
        W.entry_for(W.LAWYER, orgs["hz"]),
        W.citizen(),
        form_data={"applicant_name": "李四", "law_firm": "浙江某某律师事务所"},
    )
    start_case(case)
    page, base = browser_page, live_server.url
    case_url = f"/workbench/cases/{case.number}/"

    # 1. The window clerk logs in with password + TOTP and lands on the worklist.
    log_in(page, base, clerk, "/workbench/")
    page.wait_for_url(f"{base}/workbench/")
    expect(page.get_by_role("heading", name="待办工作", level=1)).to_be_visible()
    check_page(page, "workbench-worklist")

    # 2. Accept, through the confirmation page.
    page.get_by_role("link", name=case.number).click()
    page.wait_for_url(f"{base}{case_url}")
    expect(page.get_by_text("浙江某某律师事务所")).to_be_visible()
    check_page(page, "workbench-case")
    confirm(page, "受理")
    expect(page.get_by_role("status").get_by_text("已受理")).to_be_visible()
    log_out(page)

    # 3. The city reviewer approves and the case moves to the province.
    log_in(page, base, reviewer, case_url)
    page.wait_for_url(f"{base}{case_url}")
    page.get_by_label("通过").check()
    page.get_by_label("审查意见说明").fill("符合律师法第五条规定的条件，报省厅决定")
    page.get_by_role("button", name="下一步：确认审查").click()
    screenshot(page, "workbench-confirm")
    page.get_by_role("button", name="确认审查", exact=True).click()
    expect(page.get_by_text("移送浙江省司法厅办理").first).to_be_visible()
    log_out(page)

    # 4. The provincial decision maker decides.
    log_in(page, base, decider, "/workbench/")
    page.get_by_role("link", name=case.number).click()
    page.get_by_label("准予").check()
    page.get_by_label("审批意见").fill("准予律师执业")
    confirm(page, "作出决定")
    expect(page.get_by_text("作出准予行政许可决定").first).to_be_visible()
    screenshot(page, "workbench-decided")

    case.refresh_from_db()
    assert case.status == ApplicationStatus.APPROVED
