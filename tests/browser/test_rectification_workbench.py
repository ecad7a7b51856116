"""差评整改 in the workbench, in real Chromium: a 差评 of a delivered 律师执业许可 case at 杭州市司法局;
the city's window clerk opens it from the queue, records the callback and reports the outcome.
axe-core reports nothing on the queue and the rectification page, and neither scrolls sideways at
375 px."""

from __future__ import annotations

import pytest
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
    assert page.get_by_role("status").get_by_text("已反馈整改情况。").is_visible()
    check_page(page, "workbench-rectification-reported")
    rectification.refresh_from_db()
    assert rectification.status == RectificationStatus.REPORTED
