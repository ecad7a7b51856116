"""The township at work in real Chromium: the 司法所's handler assigns mediators, records a
session and concludes with an agreement from the case page; then keeps the roster. axe-core must
report nothing on the case page and the roster page, and neither may scroll sideways at 375 px.
"""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from test_staff_journey import log_in

from sifa.applications.models import ApplicationStatus
from sifa.catalogue.services import generate_entries
from sifa.mediation.models import MediationCommittee, Mediator
from sifa.organisations.models import Role
from sifa.testing import tree
from sifa.workbench.tests import world as W
from sifa.workflow.services import run_command, start_case

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_the_judicial_office_mediates_and_keeps_its_roster(browser_page, check_page, live_server):
    orgs = W.build_world()
    town = tree("xh_town", on=orgs)["xh_town"]
    generate_entries()
    committee = MediationCommittee.objects.create(
        organisation=town, name="北山街道人民调解委员会", kind="township"
    )
    for name in ("王秀英", "张建国"):
        Mediator.objects.create(committee=committee, name=name, position="member", specialties="邻里纠纷")
    clerk = W.staff("town-clerk", (town, Role.WINDOW_CLERK))
    handler = W.staff("town-handler", (town, Role.REVIEWER))
    case = W.make_case(
        W.entry_for("人民调解申请", town),
        W.citizen(),
        form_data={"applicant_name": "李四", "other_party": "王五", "dispute": "邻居装修噪音扰民。", "preferred_mediators": "王秀英"},
    )  # fmt: skip
    start_case(case)
    run_command(clerk, case.number, "accept", {})
    page, base = browser_page, live_server.url
    case_url = f"/workbench/cases/{case.number}/"

    log_in(page, base, handler, case_url)
    page.wait_for_url(f"{base}{case_url}")
    check_page(page, "workbench-mediation-case")
    page.get_by_label("王秀英（北山街道人民调解委员会，委员；擅长：邻里纠纷）").first.check()
    page.get_by_role("button", name="下一步：确认指定人民调解员").click()
    page.get_by_role("button", name="确认指定人民调解员", exact=True).click()
    expect(page.get_by_role("status").get_by_text("已指定人民调解员")).to_be_visible()

    page.get_by_text("记录调解", exact=True).click()  # open its <details>
    form = page.locator("form", has=page.get_by_role("button", name="下一步：确认记录调解"))
    form.get_by_label("调解日期").fill(timezone.localdate().isoformat())
    form.get_by_label("调解地点").fill("北山街道司法所调解室")
    form.get_by_label("王秀英（北山街道人民调解委员会，委员；擅长：邻里纠纷）").check()
    form.get_by_label("到场当事人及其他参加人员").fill("李四、王五")
    form.get_by_label("调解情况").fill("双方同意每日20时后停止施工")
    form.get_by_role("button", name="下一步：确认记录调解").click()
    page.get_by_role("button", name="确认记录调解", exact=True).click()
    expect(page.get_by_role("status").get_by_text("调解记录已保存")).to_be_visible()
    expect(page.get_by_role("cell", name="北山街道司法所调解室")).to_be_visible()

    page.get_by_text("结束调解", exact=True).click()
    form = page.locator("form", has=page.get_by_role("button", name="下一步：确认结束调解"))
    form.get_by_label("达成调解协议").check()
    form.get_by_label("纠纷的主要事实、争议事项以及各方当事人的责任（达成协议时必填）").fill(
        "王五装修噪音扰民。"
    )
    form.get_by_label("协议内容（达成协议时必填）").fill("王五每日20时后停止施工\n王五向李四致歉")
    form.get_by_label("协议生效日期（达成协议时必填）").fill(timezone.localdate().isoformat())
    form.get_by_role("button", name="下一步：确认结束调解").click()
    page.get_by_role("button", name="确认结束调解", exact=True).click()
    expect(page.get_by_role("status").get_by_text("调解已结束")).to_be_visible()
    case.refresh_from_db()
    assert case.status == ApplicationStatus.DELIVERED

    page.get_by_role("link", name="人民调解员名册").click()
    page.wait_for_url(f"{base}/workbench/mediation/{town.pk}/")
    check_page(page, "workbench-mediation-roster")
    page.get_by_label("姓名").fill("赵敏")
    page.get_by_label("职务").select_option("appointed")
    page.get_by_role("button", name="登记人民调解员").click()
    expect(page.get_by_role("status").get_by_text("已将人民调解员赵敏登记入名册")).to_be_visible()
    page.get_by_role("button", name=re.compile("移出名册.*张建国")).click()
    expect(page.get_by_role("status").get_by_text("人民调解员张建国已移出名册")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("恢复在册.*张建国"))).to_be_visible()
