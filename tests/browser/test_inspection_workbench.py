"""随机抽查 in the workbench, in real Chromium: the province's inspector draws a seeded check of
杭州市司法局's cases closed last month and records a finding with the checklist, keyboard-usable
forms only. axe-core reports nothing on the pages, and none scrolls sideways at 375 px."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect
from test_staff_journey import log_in

from sifa.applications.models import ApplicationStatus
from sifa.catalogue.models import ImplementationEntry
from sifa.inspections.models import RandomCheck, SampledCase
from sifa.organisations.models import Role
from sifa.testing.cases import make_case
from sifa.testing.clock import at
from sifa.workbench.tests import world as W

pytestmark = pytest.mark.browser
LAWYER_FULL_TIME = "000100001001"


@pytest.mark.django_db(transaction=True)
def test_an_inspector_draws_a_check_and_records_a_finding(browser_page, check_page, live_server):
    orgs = W.build_world()
    inspector = W.staff("zj-inspector", (orgs["zj"], Role.INSPECTOR))
    entry = ImplementationEntry.objects.select_related("version", "accepting_organisation").get(
        item__basic_code=LAWYER_FULL_TIME, organisation=orgs["hz"]
    )
    first_of_month = dt.date.today().replace(day=1)
    last_month = first_of_month - dt.timedelta(days=20)
    applicant = W.citizen()
    for i in range(4):
        make_case(
            entry,
            applicant,
            status=ApplicationStatus.DELIVERED,
            closed_at=at(last_month + dt.timedelta(days=i)),
        )
    period = last_month.strftime("%Y-%m")

    base, page = live_server.url, browser_page
    log_in(page, base, inspector, "/workbench/inspections/")
    page.wait_for_url(f"{base}/workbench/inspections/")
    check_page(page, "workbench-inspections")
    page.get_by_role("link", name="随机抽查办结件").click()
    page.wait_for_url(f"{base}/workbench/inspections/checks/new/")
    page.get_by_label("被抽查机构").select_option(label="杭州市司法局")
    page.get_by_label("办结月份").fill("2026-13")
    page.get_by_label("抽取数量").fill("2")
    page.get_by_role("button", name="抽取").click()
    check_page(page, "workbench-inspection-draw-error")
    expect(page.get_by_text("办结月份应为 年-月").first).to_be_visible()
    page.get_by_label("办结月份").fill(period)
    page.get_by_label("随机种子（可不填）").fill("tongbao")
    page.get_by_role("button", name="抽取").click()
    page.wait_for_url(re.compile(r"/workbench/inspections/checks/[0-9a-f-]{36}/$"))
    check = RandomCheck.objects.get()
    assert page.url == f"{base}/workbench/inspections/checks/{check.public_id}/"
    expect(page.get_by_role("status").get_by_text("已抽取2件（候选4件）")).to_be_visible()
    check_page(page, "workbench-inspection-check")

    number = SampledCase.objects.filter(random_check=check).order_by("position").first().application.number
    page.locator(f'a[href$="/cases/{number}/"]').click()
    page.wait_for_url(f"{base}/workbench/inspections/checks/{check.public_id}/cases/{number}/")
    check_page(page, "workbench-inspection-finding")
    for label, points in (
        ("依据适用", 25),
        ("材料审查", 20),
        ("办理时限", 20),
        ("文书规范", 20),
        ("卷宗归档", 10),
    ):
        page.get_by_label(f"{label}（满分").fill(str(points))
    page.get_by_label("存在问题").check()
    page.get_by_label("较重").check()
    page.get_by_label("检查发现").fill("不予许可决定书未载明救济途径")
    page.get_by_label("检查发现").press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/workbench/inspections/checks/{check.public_id}/")
    expect(page.get_by_role("status").get_by_text(f"已记录办件 {number} 的检查结论。")).to_be_visible()
    row = SampledCase.objects.get(random_check=check, application__number=number)
    assert row.result == "issues" and row.severity == "major" and row.score_total == 95
