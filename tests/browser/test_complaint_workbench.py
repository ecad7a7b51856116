"""投诉举报 in the workbench, in real Chromium: the county's supervisor opens the queue, accepts an
anonymous complaint and replies with the keyboard-usable forms. axe-core reports nothing on the
queue and the complaint page, and neither scrolls sideways at 375 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from rest_framework.test import APIClient
from test_staff_journey import log_in

from sifa.complaints.models import Complaint, Status
from sifa.organisations.models import Role
from sifa.testing import tree
from sifa.workbench.tests import world as W

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_a_supervisor_accepts_and_replies_to_a_complaint(browser_page, check_page, live_server):
    orgs = tree("ministry", "zj", "hz", "xh", "xh_town")
    county = W.staff("xh-supervisor", (orgs["xh"], Role.SUPERVISOR))
    response = APIClient().post(
        "/api/v1/complaints/",
        {
            "kind": "complaint",
            "subject_kind": "service",
            "organisation": orgs["xh_town"].pk,
            "text": "窗口工作人员让我来回跑了三次，每次要求的材料都不一样，请核查。",
            "anonymous": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    number = response.json()["number"]
    base, page = live_server.url, browser_page
    log_in(page, base, county, "/workbench/complaints/")
    page.wait_for_url(f"{base}/workbench/complaints/")
    check_page(page, "workbench-complaints")
    page.get_by_role("link", name=number).click()
    page.wait_for_url(f"{base}/workbench/complaints/{number}/")
    check_page(page, "workbench-complaint")
    page.get_by_role("button", name="受理").click()
    page.wait_for_url(f"{base}/workbench/complaints/{number}/")
    page.get_by_label("答复内容").fill("经核查，窗口已统一材料清单，并对相关工作人员进行批评教育。")
    page.get_by_role("button", name="提交答复").click()
    page.wait_for_url(f"{base}/workbench/complaints/{number}/")
    expect(page.get_by_role("status").get_by_text("已答复投诉举报人。")).to_be_visible()
    check_page(page, "workbench-complaint-replied")
    assert Complaint.objects.get(number=number).status == Status.REPLIED
