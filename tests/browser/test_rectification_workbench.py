"""差评整改 in the workbench, in real Chromium: a 差评 of a delivered 律师执业许可 case at 杭州市司法局;
the city's window clerk opens it from the queue, records the callback and reports the outcome.
axe-core reports nothing on the queue and the rectification page, and neither scrolls sideways at
375 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from test_staff_journey import log_in

from sifa.applications.models import ApplicationStatus
from sifa.evaluation import services
from sifa.evaluation.models import RectificationStatus
from sifa.organisations.models import Role
from sifa.workbench.tests import world as W

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_a_clerk_calls_back_and_reports_a_rectification(browser_page, check_page, live_server):
    orgs = W.build_world()
    clerk = W.staff("hz-clerk", (orgs["hz"], Role.WINDOW_CLERK))
    applicant = W.citizen("rating-applicant")
    case = W.make_case(W.entry_for(W.LAWYER, orgs["hz"]), applicant, status=ApplicationStatus.DELIVERED)
    rating = services.rate(
        applicant, subject="application", number=case.number, level="不满意", comment="等候时间太长"
    )
    rectification = rating.rectification
    url = f"/workbench/rectifications/{rectification.pk}/"
    base, page = live_server.url, browser_page
    log_in(page, base, clerk, "/workbench/rectifications/")
    page.wait_for_url(f"{base}/workbench/rectifications/")
    check_page(page, "workbench-rectifications")
    page.get_by_role("link", name=f"差评整改 {rectification.pk}").click()
    page.wait_for_url(f"{base}{url}")
    check_page(page, "workbench-rectification")
    page.get_by_label("回访记录").fill("已电话联系评价人，了解等候情况")
    page.get_by_role("button", name="登记回访").click()
    page.wait_for_url(f"{base}{url}")
    page.get_by_label("整改情况", exact=True).fill("已增设一个窗口，高峰时段弹性排班")
    page.get_by_role("button", name="反馈整改情况").click()
    page.wait_for_url(f"{base}{url}")
    expect(page.get_by_role("status").get_by_text("已反馈整改情况。")).to_be_visible()
    check_page(page, "workbench-rectification-reported")
    rectification.refresh_from_db()
    assert rectification.status == RectificationStatus.REPORTED


@pytest.mark.django_db(transaction=True)
def test_the_rater_sees_the_outcome_and_an_overdue_one_shows_at_the_province(
    browser_page, check_page, live_server
):
    """Must show, the end: after the callback and the report the rater reads the outcome on the
    case page in 我的空间; a 差评 left unreported past its due date is escalated to 浙江省司法厅,
    whose supervisor finds it under 逾期升级."""
    import datetime as dt

    from test_citizen_journey import log_in as citizen_log_in
    from test_citizen_journey import the_citizen

    from sifa.testing.clock import travel

    orgs = W.build_world()
    clerk = W.staff("hz-clerk", (orgs["hz"], Role.WINDOW_CLERK))
    province = W.staff("zj-supervisor", (orgs["zj"], Role.SUPERVISOR))
    applicant = the_citizen()
    entry = W.entry_for(W.LAWYER, orgs["hz"])
    case = W.make_case(entry, applicant, status=ApplicationStatus.DELIVERED)
    rating = services.rate(
        applicant, subject="application", number=case.number, level="非常不满意", comment="材料要求反复变化"
    )
    services.command(clerk, rating.rectification.pk, "callback", text_value="已电话联系评价人，听取意见")
    services.command(clerk, rating.rectification.pk, "report", text_value="已统一材料清单并公开说明")
    with travel(dt.date(2026, 10, 12)):
        late_case = W.make_case(entry, applicant, status=ApplicationStatus.DELIVERED)
        late = services.rate(applicant, subject="application", number=late_case.number, level="不满意")
    services.escalate_overdue()

    base, page = live_server.url, browser_page
    citizen_log_in(page, base, f"/me/applications/{case.number}/")
    expect(page.get_by_text("已统一材料清单并公开说明")).to_be_visible()
    expect(page.get_by_text("已反馈").first).to_be_visible()
    check_page(page, "rating-outcome")
    page.context.clear_cookies()

    log_in(page, base, province, "/workbench/rectifications/?status=escalated")
    page.wait_for_url(f"{base}/workbench/rectifications/?status=escalated")
    expect(page.get_by_text(late_case.number)).to_be_visible()
    assert page.get_by_text(case.number).count() == 0
    check_page(page, "workbench-rectifications-escalated")
    late.rectification.refresh_from_db()
    assert late.rectification.escalated_to == orgs["zj"]
