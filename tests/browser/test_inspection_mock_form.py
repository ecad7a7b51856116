"""提交模拟办件 in real Chromium, keyboard only: the province's inspector picks 杭州市司法局, then
律师执业许可（专职）, types the test identity and the form, chooses the materials' files and
submits with the keyboard; a missing material is named in the error summary first. axe-core reports
nothing on any step, and none scrolls sideways at 375 px."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from test_staff_journey import log_in

from sifa.applications.services.draft_materials import applicable_materials
from sifa.catalogue.models import ImplementationEntry
from sifa.inspections.models import MockApplication
from sifa.organisations.models import Role
from sifa.testing import id_number
from sifa.workbench.tests import world as W

pytestmark = pytest.mark.browser
LAWYER_FULL_TIME = "000100001001"


@pytest.mark.django_db(transaction=True)
def test_an_inspector_files_a_mock_application_from_the_workbench(browser_page, check_page, live_server):
    from sifa.demo.cases import demo_pdf

    orgs = W.build_world()
    inspector = W.staff("zj-inspector", (orgs["zj"], Role.INSPECTOR))
    entry = ImplementationEntry.objects.select_related("version").get(
        item__basic_code=LAWYER_FULL_TIME, organisation=orgs["hz"]
    )
    materials = applicable_materials(entry.version, {})

    base, page = live_server.url, browser_page
    log_in(page, base, inspector, "/workbench/inspections/")
    page.wait_for_url(f"{base}/workbench/inspections/")
    page.get_by_role("link", name="提交模拟办件").first.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/workbench/inspections/mocks/new/")
    check_page(page, "workbench-inspection-mock-new")
    page.get_by_label("被督查机构").select_option(label="杭州市司法局")
    page.get_by_label("被督查机构").press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/mocks/new/\?organisation=\d+$"))
    check_page(page, "workbench-inspection-mock-new-item")
    page.get_by_label("办理事项").select_option(value=LAWYER_FULL_TIME)
    page.get_by_label("办理事项").press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"item={LAWYER_FULL_TIME}$"))
    check_page(page, "workbench-inspection-mock-new-form")

    page.get_by_label("测试身份姓名").fill("李测试")
    page.get_by_label("测试身份公民身份号码").fill(id_number("33010619900307123"))
    page.get_by_label("测试身份手机号码").fill("13911112222")
    for name, value in (
        ("address", "杭州市西湖区北山街道2号"),
        ("law_firm", "浙江演示律师事务所"),
        ("qualification_number", "A20191234568"),
    ):
        page.locator(f'[name="{name}"]').fill(value)
    page.get_by_role("button", name="以测试身份提交申请").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("link", name=re.compile(materials[0].name)).first).to_be_visible()
    check_page(page, "workbench-inspection-mock-new-error")
    assert not MockApplication.objects.exists()

    for m in materials:
        page.set_input_files(
            f"#m-{m.pk}",
            files=[{"name": "材料.pdf", "mimeType": "application/pdf", "buffer": demo_pdf(f"m{m.pk}")}],
        )
    page.get_by_role("button", name="以测试身份提交申请").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/workbench/inspections/mocks/[0-9a-f-]{36}/$"))
    mock = MockApplication.objects.select_related("application").get()
    assert (
        page.get_by_role("status")
        .get_by_text(f"已以测试身份提交模拟办件 {mock.application.number}")
        .is_visible()
    )
    check_page(page, "workbench-inspection-mock-filed")
