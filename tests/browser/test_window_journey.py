"""窗口受理 in real Chromium: a township window clerk (北山街道司法所) logs in with password + TOTP,
registers a walk-in applicant for a city item (律师执业许可 at 杭州市司法局, 一窗受理) — the identity
page by keyboard alone — fills the form, uploads the scans, submits (a double click files one
application) and prints the receipt (回执): the print button, the print stylesheet and a PDF of the
printed page. The applicant tracks it at /track/ with the receipt's number and query code. Then the
same walk-in without JavaScript. axe-core finds nothing and nothing scrolls sideways at 375 px.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from playwright.sync_api import expect
from test_citizen_journey import _id_number, _pdf, upload_everything
from test_staff_journey import log_in

from sifa.applications.models import Application, SubmissionChannel
from sifa.organisations.models import Role
from sifa.testing import tree
from sifa.workbench.tests import world as W

pytestmark = pytest.mark.browser

ITEM = "律师执业许可（专职律师执业）"
WALK_IN = {"name": "王五", "id_number": _id_number("33010619700202001"), "phone": "13900001111"}
STEP_TWO = {"拟执业律师事务所": "浙江某某律师事务所", "法律职业资格证书编号": "A20201234567"}


@pytest.fixture
def window(transactional_db, settings, tmp_path):
    """The workbench world with a 司法所 under 西湖区 and a window clerk there (TOTP device)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    orgs = W.build_world()
    orgs["town"] = tree("xh_town", on=orgs)["xh_town"]
    clerk = W.staff("bs-window", (orgs["town"], Role.WINDOW_CLERK))
    return {"orgs": orgs, "clerk": clerk}


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until ``selector`` has the focus, and check the focus can be seen (WCAG 2.4.7)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => !!document.activeElement && document.activeElement.matches(s)", selector):
            visible = page.evaluate(
                """() => { const s = getComputedStyle(document.activeElement);
                   return s.outlineStyle !== 'none' || s.boxShadow !== 'none'; }"""
            )
            assert visible, f"{selector} has the focus but shows no focus indicator"
            return
    raise AssertionError(f"Tab never reached {selector}")


def identity_by_keyboard(page) -> None:
    """The identity page without a mouse: the only receiving organisation and 自然人 are chosen."""
    tab_to(page, "#id_name")
    page.keyboard.type(WALK_IN["name"])
    tab_to(page, "#id_id_number")
    page.keyboard.type(WALK_IN["id_number"])
    tab_to(page, "#id_phone")
    page.keyboard.type(WALK_IN["phone"])
    tab_to(page, "#id_id_number_consent")  # the applicant has read the §29 text and agrees
    page.keyboard.press("Space")
    tab_to(page, "#action-form button[type=submit]")
    page.keyboard.press("Enter")


def fill_step_two(page) -> None:
    """Step 1 was filled from the identity page; step 2 asks for the law firm and qualification."""
    page.get_by_role("button", name="保存并继续").click()
    for label, value in STEP_TWO.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="保存并继续").click()
    page.get_by_role("heading", name="提交材料").wait_for()


def test_window_clerk_files_a_walk_in_application_and_prints_the_receipt(
    window, live_server, browser_page, browser, check_page, tmp_path
):
    page, base = browser_page, live_server.url

    # 1. Log in; the menu leads to 窗口受理, which offers the items this window may receive.
    log_in(page, base, window["clerk"], "/workbench/")
    page.get_by_role("link", name="窗口受理").click()
    page.get_by_role("heading", name="窗口受理（一窗受理）").wait_for()
    check_page(page, "workbench-window")
    page.get_by_label("办理事项").select_option(label=ITEM)
    page.get_by_role("button", name="下一步：申请人信息").click()

    # 2. Identity: first every problem at once, then by keyboard alone.
    page.get_by_role("heading", name="申请人信息").wait_for()
    assert page.get_by_label("杭州市司法局").is_checked()  # the only organisation for this window
    page.get_by_role("button", name="下一步：填写申请表").click()
    page.get_by_role("alert").wait_for()
    for message in ("请填写申请人姓名或单位名称", "请填写公民身份号码", "请填写联系电话", "请申请人阅读"):
        expect(page.get_by_role("link", name=message)).to_be_visible()
    check_page(page, "workbench-window-identity-errors", shots=False)
    identity_by_keyboard(page)

    # 3. The portal's form, prefilled from the identity; then the scans.
    page.get_by_role("heading", name=re.compile("填写申请表")).wait_for()
    expect(page.get_by_text("申请人：王五")).to_be_visible()
    assert page.get_by_label("申请人姓名", exact=True).input_value() == "王五"
    check_page(page, "workbench-window-form")
    fill_step_two(page)
    check_page(page, "workbench-window-materials")
    upload_everything(page, tmp_path)
    page.get_by_role("link", name="继续：领取地点").click()
    # 领取地点: the receiving window (the clerk's 司法所) by default; the clerk keeps it.
    page.get_by_role("heading", name="在哪里领取办理结果").wait_for()
    assert page.get_by_label(window["orgs"]["town"].name).is_checked()
    check_page(page, "workbench-window-pickup", shots=False)
    page.get_by_role("button", name="保存并继续").click()
    page.get_by_role("heading", name="核对申请").wait_for()
    check_page(page, "workbench-window-check")

    # 4. Submit — a double click files one application — and land on the receipt.
    page.get_by_role("button", name="确认提交并打印回执").dblclick()
    page.get_by_role("heading", name="申请材料收件回执").wait_for()
    [app] = Application.objects.all()
    assert app.channel == SubmissionChannel.WINDOW and app.applicant_person.name == "王五"
    number = page.locator(".wb-receipt__number").inner_text().strip()
    code = page.locator(".wb-receipt__code").inner_text().strip()
    assert number == app.number and re.fullmatch(r"[2-9A-Z]{8}", code)
    for text in ("杭州市司法局", "北山街道司法所", "法定办结时限", "不是受理凭证", "/track/"):
        expect(page.get_by_text(text).first, text).to_be_visible()
    check_page(page, "workbench-window-receipt")

    # 5. Print: the button (JavaScript) prints; the print stylesheet keeps only the receipt.
    page.evaluate("() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; }")
    tab_to(page, "[data-wb-print]")
    page.keyboard.press("Enter")
    assert page.evaluate("() => window.__printed") == 1
    page.emulate_media(media="print")
    assert page.locator("header.sifa-header").is_hidden()
    assert page.get_by_role("button", name="打印回执").is_hidden()
    expect(page.locator(".wb-receipt")).to_be_visible()
    pdf = page.pdf(format="A4")  # printed with the print stylesheet
    page.emulate_media(media="screen")
    assert pdf.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        (tmp_path / "receipt.pdf").write_bytes(pdf)
        text = subprocess.run(
            ["pdftotext", str(tmp_path / "receipt.pdf"), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert number in text and code in text and "司法行政工作台" not in text

    # 6. The applicant follows it at /track/ with the receipt's number and code, without an account.
    anonymous = browser.new_context(bypass_csp=True, locale="zh-CN").new_page()
    anonymous.goto(f"{base}/track/")
    anonymous.get_by_label("办件编号").fill(number)
    anonymous.get_by_label("查询码").fill(code)
    anonymous.get_by_role("button", name="查询").click()
    anonymous.get_by_role("heading", name=ITEM).wait_for()
    anonymous.context.close()


def test_walk_in_without_javascript(window, live_server, nojs_page, check_page, tmp_path):
    page, base = nojs_page, live_server.url
    log_in(page, base, window["clerk"], "/workbench/window/")
    page.get_by_label("办理事项").select_option(label=ITEM)
    page.get_by_role("button", name="下一步：申请人信息").click()
    page.get_by_label("申请人姓名或单位名称").fill(WALK_IN["name"])
    page.get_by_label("公民身份号码").fill(WALK_IN["id_number"])
    page.get_by_label("联系电话").fill(WALK_IN["phone"])
    page.get_by_label("申请人已当面阅读并单独同意处理其身份证件号码").check()
    page.get_by_role("button", name="下一步：填写申请表").click()
    fill_step_two(page)
    for index in range(10):  # no upload script here: every form is an ordinary multipart POST
        inputs = page.locator("li.sifa-material:has(.sifa-status--todo) input[type=file]")
        if inputs.count() == 0:
            break
        inputs.first.set_input_files(str(_pdf(tmp_path, f"扫描{index}.pdf")))
        inputs.first.locator("xpath=ancestor::form").get_by_role("button", name=re.compile("^上传")).click()
    page.get_by_role("link", name="继续：领取地点").click()
    page.get_by_role("button", name="保存并继续").click()  # the receiving window, as chosen by default
    page.get_by_role("button", name="确认提交并打印回执").click()
    page.get_by_role("heading", name="申请材料收件回执").wait_for()
    expect(page.get_by_text("使用浏览器的“打印”功能")).to_be_visible()
    assert page.get_by_role("button", name="打印回执").is_hidden()  # it needs JavaScript
    assert re.fullmatch(r"[2-9A-Z]{8}", page.locator(".wb-receipt__code").inner_text().strip())
    check_page(page, "workbench-window-receipt-nojs", shots=False, audit=False)
