"""委托代办 in real Chromium: 王丽 mandates a law firm in her space (every problem at once first,
then the confirmation), the firm logs in, chooses 代委托人申请 and fills the application for her,
王丽 sees it in 我的空间 and revokes the mandate, and the firm can no longer continue or start one.
The mandate pages in 关怀模式, by keyboard alone and at 375 px; axe-core finds nothing.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from test_citizen_journey import PASSWORD, _id_number, fill_lawyer_form
from test_window_journey import tab_to

from sifa.accounts.models import Mandate
from sifa.applications.models import Application

pytestmark = pytest.mark.browser

CLIENT_PHONE, FIRM_PHONE = "13800000004", "13800000003"
FIRM = "浙江明理律师事务所"
ITEM = "律师执业许可（专职律师执业）"


@pytest.fixture
def world(transactional_db, settings, tmp_path):
    """The catalogue test tree with the shipped catalogue, 王丽 and the law firm (both registered)."""
    from sifa.accounts.services import register_company, register_person
    from sifa.accounts.tests.factories import uscc
    from sifa.catalogue.models import ImplementationEntry
    from sifa.catalogue.services import generate_entries, load_items
    from sifa.catalogue.tests.conftest import build_tree

    settings.MEDIA_ROOT = tmp_path / "media"
    orgs = build_tree()
    generate_entries(load_items())
    client = register_person(
        name="王丽",
        id_number=_id_number("33010619960411268"),
        phone=CLIENT_PHONE,
        password=PASSWORD,
        region_code="330106",
    ).user
    firm = register_company(
        name=FIRM,
        uscc=uscc("330106"),
        legal_representative="周律",
        phone=FIRM_PHONE,
        password=PASSWORD,
        region_code="330106",
    )
    entry = ImplementationEntry.objects.get(item__name=ITEM, organisation=orgs["hz"])
    return {"client": client, "firm": firm, "entry": entry}


def log_in_as(page, base: str, phone: str, next_url: str) -> None:
    page.goto(f"{base}/accounts/login/?next={next_url}")
    page.get_by_label("手机号码", exact=True).fill(phone)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}{next_url}")


def test_a_law_firm_applies_for_its_client_until_she_revokes(world, live_server, browser, check_page):
    base = live_server.url
    client = browser.new_context(bypass_csp=True, locale="zh-CN", viewport={"width": 1280, "height": 900})
    firm = browser.new_context(bypass_csp=True, locale="zh-CN", viewport={"width": 1280, "height": 900})
    page, firm_page = client.new_page(), firm.new_page()

    # 1. 王丽 opens 委托代办 in her space; an empty form lists every problem, linked to its field.
    log_in_as(page, base, CLIENT_PHONE, "/me/")
    page.get_by_role("link", name="委托代办").click()
    page.get_by_role("heading", name="委托代办", level=1).wait_for()
    check_page(page, "citizen-mandates")
    page.get_by_role("link", name="新增委托").click()
    check_page(page, "citizen-mandate-new")
    page.get_by_label("截止日期", exact=True).fill("")
    page.get_by_role("button", name="下一步：核对委托").click()
    page.locator("#error-summary").wait_for()
    assert page.evaluate("() => document.activeElement.id") == "error-summary"
    for message in ("请填写受托人的姓名或单位名称", "请至少选择一个委托事项"):
        expect(page.get_by_role("link", name=message), message).to_be_visible()
    check_page(page, "citizen-mandate-errors", shots=False)
    page.get_by_role("link", name="请至少选择一个委托事项").click()
    assert page.evaluate("() => document.activeElement.id") == "f-items"

    # 2. On a fresh form, by keyboard alone: the firm by name and USCC, 律师执业许可 only, for the
    #    suggested year.
    page.goto(f"{base}/me/mandates/new/")
    until = timezone.localdate() + dt.timedelta(days=365)
    tab_to(page, "#f-agent_kind")
    page.keyboard.press("ArrowDown")
    assert page.get_by_label("法人或其他组织（如律师事务所）").is_checked()
    tab_to(page, "#f-agent_name")
    page.keyboard.type(FIRM)
    tab_to(page, "#f-agent_uscc")
    page.keyboard.type(world["firm"].uscc)
    tab_to(page, "#f-item-000100001000")
    page.keyboard.press("Space")
    tab_to(page, "form button[type=submit]")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="确认委托").wait_for()
    expect(page.get_by_text(FIRM, exact=True)).to_be_visible()
    check_page(page, "citizen-mandate-confirm")
    page.get_by_role("button", name="确认委托").click()
    page.get_by_text("委托已生效").wait_for()
    mandate = Mandate.objects.get(principal=world["client"])
    assert mandate.agent == world["firm"].user and mandate.scope == ["000100001000"]
    assert mandate.valid_until == until

    # 3. The firm applies for her: 代委托人申请 on the start page, then the portal's form.
    start = f"/apply/{world['entry'].implementation_code}/"
    log_in_as(firm_page, base, FIRM_PHONE, start)
    firm_page.get_by_label(re.compile("^代委托人申请：王丽")).check()
    check_page(firm_page, "citizen-apply-start-agent")
    firm_page.get_by_role("button", name="开始新的申请").click()
    fill_lawyer_form(firm_page)
    app = Application.objects.get(agent=world["firm"].user)
    assert app.applicant == world["client"] and app.mandate == mandate
    firm_page.goto(f"{base}/me/")
    expect(firm_page.get_by_text("代王丽申请（代办）")).to_be_visible()

    # 4. 王丽 sees it in her space, marked as handled by the firm, and revokes the mandate.
    page.goto(f"{base}/me/")
    expect(page.get_by_text(f"由{FIRM}代办")).to_be_visible()
    check_page(page, "citizen-me-agent", shots=False)
    page.goto(f"{base}/me/mandates/")
    page.get_by_role("link", name=re.compile(f"^撤销.*{FIRM}")).click()
    check_page(page, "citizen-mandate-revoke", shots=False)
    page.get_by_role("button", name="确认撤销").click()
    page.get_by_text("已撤销该委托").wait_for()
    expect(page.get_by_text("已撤销", exact=True)).to_be_visible()

    # 5. The firm can no longer: continuing the draft and starting again both get a clear page.
    firm_page.goto(f"{base}/apply/drafts/{app.pk}/materials/")
    expect(firm_page.get_by_text("委托人已撤销委托")).to_be_visible()
    check_page(firm_page, "citizen-mandate-ended", shots=False)
    firm_page.goto(f"{base}{start}")
    assert firm_page.get_by_text("代委托人申请").count() == 0
    firm_page.goto(f"{base}/me/applications/{app.pk}/")
    expect(firm_page.get_by_role("heading", name="委托已结束")).to_be_visible()
    client.close()
    firm.close()


def test_mandate_pages_in_care_mode(world, live_server, browser_page, check_page):
    page, base = browser_page, live_server.url
    log_in_as(page, base, CLIENT_PHONE, "/me/mandates/")
    page.get_by_role("button", name=re.compile("^关怀模式")).click()
    page.wait_for_url(f"{base}/me/mandates/")
    assert "sifa-care" in page.evaluate("() => document.body.className")
    check_page(page, "citizen-care-mandates")
    page.goto(f"{base}/me/mandates/new/")
    assert "sifa-care" in page.evaluate("() => document.body.className")
    check_page(page, "citizen-care-mandate-new", shots=False)
