"""The citizen journey in real Chromium: search → guide → apply with uploads → a clerk's one-time
correction notice (through the service) → correct in place → track without login → the staff accept,
review, decide and deliver (through the workflow commands) → 我的空间 shows the decision and the
律师执业证 → download its sealed PDF → open the address in its QR code → 证照真实有效. Then the same
apply-and-track with JavaScript off, and 关怀模式. axe-core must find nothing on every page, no page
may scroll sideways at 375 px, and the key pages are photographed (see the
harness in conftest.py for where to).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import screenshot
from playwright.sync_api import expect

from sifa.applications import services
from sifa.applications.models import Application, ApplicationStatus
from sifa.licences import pdf as licence_pdf
from sifa.licences.models import Licence
from sifa.organisations.models import Role
from sifa.workflow.services import run_command

pytestmark = pytest.mark.browser

PHONE_NUMBER = "13800000001"
PASSWORD = "Sifa-Secret-2024!"


def the_citizen():
    """张三, registered with the phone number and password the journeys log in with."""
    from sifa.testing import PersonFactory

    number = _id_number("33010619900101123")
    return PersonFactory(id_number=number, phone=PHONE_NUMBER, password=PASSWORD, region_code="330106").user


ITEM = "律师执业许可（专职律师执业）"


@pytest.fixture
def world(transactional_db, settings, tmp_path):
    """Organisation tree, the shipped catalogue (indexed for search), the calendar, a citizen and a
    window clerk at 杭州市司法局 — committed, because the live server reads them from another thread."""
    from sifa.catalogue import search
    from sifa.catalogue.models import ImplementationEntry
    from sifa.catalogue.services import reindex_all
    from sifa.catalogue.tests.conftest import CATALOGUE_TREE
    from sifa.deadlines.services import seed_calendar
    from sifa.testing import staff
    from sifa.testing.tree import catalogue_tree

    settings.MEDIA_ROOT = tmp_path / "media"
    orgs = catalogue_tree(*CATALOGUE_TREE)
    seed_calendar(2025, 2026)
    if not search.is_indexed():
        reindex_all()
    citizen = the_citizen()
    clerk = staff("hz-clerk", orgs["hz"], Role.WINDOW_CLERK, display_name="王小明")
    entry = ImplementationEntry.objects.get(item__name=ITEM, organisation=orgs["hz"])
    return {"orgs": orgs, "citizen": citizen, "clerk": clerk, "entry": entry}


def _id_number(first17: str) -> str:
    from sifa.core.identifiers import id_number_check_digit

    return first17 + id_number_check_digit(first17)


def _pdf(tmp_path: Path, name: str) -> Path:
    from sifa.applications.tests.upload_corpus import make_pdf

    path = tmp_path / name
    path.write_bytes(make_pdf())
    return path


def log_in(page, base: str, next_url: str) -> None:
    page.goto(f"{base}/accounts/login/?next={next_url}")
    page.get_by_label("手机号码", exact=True).fill(PHONE_NUMBER)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}{next_url}")


LAWYER_FORM = {
    "申请人姓名": "张三",
    "公民身份号码": None,  # filled in by fill_lawyer_form (computed check digit)
    "联系电话": PHONE_NUMBER,
    "通讯地址（选填）": "杭州市西湖区北山街道",
    "拟执业律师事务所": "浙江某某律师事务所",
    "法律职业资格证书编号": "A20201234567",
}


def fill_lawyer_form(page, check_page=None) -> None:
    """Fill whatever fields each step shows, step after step, until the materials page."""
    values = {**LAWYER_FORM, "公民身份号码": _id_number("33010619900101123")}
    for _step in range(5):
        if page.get_by_role("heading", name="提交材料").count():
            return
        for label, value in values.items():
            field = page.get_by_label(label, exact=True)
            if field.count():
                field.fill(value)
        if check_page:
            check_page(page, "citizen-apply-form")
            check_page = None
        page.get_by_role("button", name="保存并继续").click()
    raise AssertionError("the form never reached the materials page")


def upload_everything(page, tmp_path: Path) -> None:
    """Upload a file for every material still asked for, one form at a time."""
    for index in range(10):
        inputs = page.locator("li.sifa-material:has(.sifa-status--todo) input[type=file]")
        if inputs.count() == 0:
            return
        field = inputs.first
        field.set_input_files(str(_pdf(tmp_path, f"材料{index}.pdf")))
        field.locator("xpath=ancestor::form").get_by_role("button", name=re.compile("^上传")).click()
        page.get_by_text(f"材料{index}.pdf").first.wait_for()
    raise AssertionError("materials never completed")


def submit_and_read_code(page) -> tuple[str, str]:
    page.get_by_role("button", name="确认提交").click()
    page.get_by_role("heading", name="申请已提交").wait_for()
    number = page.locator(".sifa-panel__number").inner_text().strip()
    code = page.locator("code.sifa-code").inner_text().strip()
    return number, code


def track(page, base: str, number: str, code: str) -> None:
    page.goto(f"{base}/track/")
    page.get_by_label("办件编号").fill(number)
    page.get_by_label("查询码").fill(code)
    page.get_by_role("button", name="查询").click()
    page.get_by_role("heading", name=ITEM).wait_for()


def finish_case(world, number: str) -> None:
    """Accept and review at the city, decide and deliver at the province, as their staff would
    (the commands the workbench and the API call)."""
    from sifa.testing import staff

    orgs = world["orgs"]
    reviewer = staff("hz-reviewer", orgs["hz"], Role.REVIEWER)
    decider = staff("zj-decider", orgs["zj"], Role.DECISION_MAKER)
    province_clerk = staff("zj-clerk", orgs["zj"], Role.WINDOW_CLERK)
    run_command(world["clerk"], number, "accept", {})
    run_command(reviewer, number, "review", {"outcome": "approve", "opinion": "符合律师法第五条规定的条件"})
    run_command(decider, number, "decide", {"decision": "approve", "opinion": "准予律师执业"})
    delivered = run_command(province_clerk, number, "deliver", {"method": "electronic"})
    assert delivered.status == ApplicationStatus.DELIVERED


def in_plain_thread(function, *args) -> None:
    """Run ``function`` in a thread without an event loop: Playwright's sync API keeps one running
    in the test's thread, and sealing PDFs (pyHanko) starts its own with ``asyncio.run``."""
    from django.db import connection

    def work() -> None:
        try:
            function(*args)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(work).result()


def qr_address(pdf: bytes, tmp_path: Path) -> str | None:
    """The text of the QR code on the PDF's first page (poppler's pdftoppm + zbarimg), or None
    when those tools are missing."""
    if not (shutil.which("pdftoppm") and shutil.which("zbarimg")):
        return None
    (tmp_path / "licence.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "200", "-f", "1", "-l", "1", "-png", "licence.pdf", "page"],
        cwd=tmp_path,
        check=True,
    )
    [image] = tmp_path.glob("page*.png")
    found = subprocess.run(["zbarimg", "--quiet", "--raw", str(image)], capture_output=True, text=True)
    return found.stdout.strip()


def test_citizen_journey(world, live_server, browser_page, browser, check_page, axe, tmp_path, settings):
    page, base = browser_page, live_server.url

    # 1. Search from the home page and open the guide of the Hangzhou entry.
    page.goto(f"{base}/")
    check_page(page, "citizen-home")
    page.get_by_label("搜索办事事项").fill("律师执业")
    page.get_by_role("button", name="搜索").click()
    page.get_by_role("link", name=ITEM).first.wait_for()
    check_page(page, "citizen-search")
    page.get_by_role("link", name=ITEM).first.click()
    page.get_by_role("link", name="杭州市司法局").first.click()
    page.get_by_role("heading", name=re.compile("办事指南|律师执业")).first.wait_for()
    check_page(page, "citizen-guide")
    apply_url = f"/apply/{world['entry'].implementation_code}/"
    apply_link = page.locator(f'a[href="{apply_url}"]')
    if apply_link.count():
        apply_link.first.click()

    # 2. Log in and apply: a step with errors first, then the whole form, uploads, check, submit.
    log_in(page, base, apply_url)
    check_page(page, "citizen-apply-start")
    page.get_by_role("button", name="开始新的申请").click()
    # The form comes prefilled from the account; the name is cleared here to meet the error summary.
    name = page.get_by_label("申请人姓名", exact=True)
    expect(name).not_to_have_value("")
    name.fill("")
    page.get_by_role("button", name="保存并继续").click()
    page.locator("#error-summary").wait_for()
    assert page.evaluate("() => document.activeElement.id") == "error-summary"
    check_page(page, "citizen-apply-errors")
    page.get_by_role("link", name="请填写申请人姓名").click()
    assert page.evaluate("() => document.activeElement.id") == "f-applicant_name"
    fill_lawyer_form(page, check_page)
    page.get_by_role("heading", name="提交材料").wait_for()
    expect(page.get_by_text("无需提交：公安部门共享数据").first).to_be_visible()
    check_page(page, "citizen-apply-materials")
    upload_everything(page, tmp_path)
    page.get_by_role("link", name="继续：核对并提交").click()
    check_page(page, "citizen-apply-check")
    number, code = submit_and_read_code(page)
    assert re.fullmatch(r"SF\d{20}", number) and re.fullmatch(r"[2-9A-Z]{8}", code)
    check_page(page, "citizen-apply-done")

    # 3. The window clerk issues the one-time notice (through the service, not the workbench; in a
    #    plain thread, because its sealed 补正告知书 is issued on commit).
    app = Application.objects.get(number=number)
    material = app.materials.filter(provenance="upload").select_related("material").first().material
    in_plain_thread(
        lambda: services.issue_correction_notice(
            app,
            items=[
                {"field": "address", "message": "通讯地址应写明门牌号"},
                {"field": f"materials.{material.pk}", "message": f"{material.name}不清晰，请重新上传"},
            ],
            actor=world["clerk"],
        )
    )

    # 4. 我的空间 shows the next action; correct the field and replace the file in place.
    page.goto(f"{base}/me/")
    check_page(page, "citizen-me")
    page.get_by_role("link", name=re.compile("提交补正材料")).first.click()
    page.get_by_role("heading", name="补正材料").wait_for()
    expect(page.get_by_text("通讯地址应写明门牌号").first).to_be_visible()
    check_page(page, "citizen-correction")
    page.get_by_label("通讯地址（选填）").fill("杭州市西湖区北山街道1号")
    page.locator(f"#m-{material.pk}-file").set_input_files(str(_pdf(tmp_path, "清晰.pdf")))
    page.get_by_role("button", name="提交补正").click()
    page.get_by_text("补正材料已提交").wait_for()
    check_page(page, "citizen-application")
    app.refresh_from_db()
    assert app.form_data["address"] == "杭州市西湖区北山街道1号"
    assert app.status in (ApplicationStatus.SUBMITTED, ApplicationStatus.PENDING_ACCEPTANCE)
    for url, name in (("/me/messages/", "citizen-messages"), ("/me/access-log/", "citizen-access-log")):
        page.goto(f"{base}{url}")
        check_page(page, name)

    # 5. Anyone holding the number and the query code can follow it, without logging in.
    anonymous = browser.new_context(bypass_csp=True, locale="zh-CN").new_page()
    track(anonymous, base, number, code.lower())
    expect(anonymous.get_by_text("已提交补正材料").first).to_be_visible()
    check_page(anonymous, "citizen-track")
    anonymous.get_by_label("办件编号").fill(number)
    anonymous.get_by_label("查询码").fill("AAAAAAAA")
    anonymous.get_by_role("button", name="查询").click()
    anonymous.get_by_text("办件编号或查询码不正确").first.wait_for()
    check_page(anonymous, "citizen-track-error", shots=False)
    anonymous.context.close()

    # 6. The staff finish the case; each committed command issues its documents, and the
    #    approval the 律师执业证, whose QR code points at this site (SIFA_PUBLIC_URL).
    settings.PUBLIC_URL = base
    app.refresh_from_db()
    assert app.status == ApplicationStatus.PENDING_ACCEPTANCE
    in_plain_thread(finish_case, world, number)
    licence = Licence.objects.get(application__number=number)

    # 7. 我的空间 shows the decision and the licence; the licence page offers its sealed PDF.
    page.goto(f"{base}/me/")
    expect(page.get_by_role("link", name="律师执业证")).to_be_visible()
    expect(page.get_by_text("准予行政许可决定书").first).to_be_visible()
    check_page(page, "citizen-me-decided")
    page.get_by_role("link", name=ITEM).first.click()
    expect(page.get_by_text("作出准予行政许可决定").first).to_be_visible()
    page.goto(f"{base}/me/licences/")
    expect(page.get_by_text(licence.number).first).to_be_visible()
    check_page(page, "citizen-licences")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("^下载证照文件")).first.click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF") and download.value.suggested_filename.endswith(".pdf")

    # 8. The address in the QR code opens the public verification page: authentic and valid.
    verify = qr_address(pdf, tmp_path)
    if verify is None:  # no QR tools here: the address the QR code is built from
        verify = licence_pdf.verify_url(licence.identifier)
    assert verify == f"{base}/verify/{licence.identifier}"
    anonymous = browser.new_context(bypass_csp=True, locale="zh-CN").new_page()
    anonymous.goto(verify)
    expect(anonymous.get_by_role("heading", name="证照真实有效")).to_be_visible()
    expect(anonymous.get_by_text(licence.number).first).to_be_visible()
    assert axe(anonymous) == []
    screenshot(anonymous, "verify")
    anonymous.context.close()  # the 375 px check of this page is in test_licence_journey.py


def test_apply_and_track_without_javascript(world, live_server, nojs_page, check_page, tmp_path):
    page, base = nojs_page, live_server.url
    apply_url = f"/apply/{world['entry'].implementation_code}/"
    log_in(page, base, apply_url)
    page.get_by_role("button", name="开始新的申请").click()
    fill_lawyer_form(page)
    page.get_by_role("heading", name="提交材料").wait_for()
    upload_everything(page, tmp_path)
    page.get_by_role("link", name="继续：核对并提交").click()
    number, code = submit_and_read_code(page)
    assert Application.objects.filter(number=number, status__in=["submitted", "pending_acceptance"]).exists()
    track(page, base, number, code)
    expect(page.get_by_text("申请已提交").first).to_be_visible()
    check_page(page, "citizen-track-nojs", shots=False, audit=False)  # audited with JS in the journey


def test_care_mode_is_remembered_and_accessible(world, live_server, browser_page, check_page):
    page, base = browser_page, live_server.url
    page.goto(f"{base}/track/")
    normal = page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
    page.get_by_role("button", name=re.compile("^关怀模式")).click()
    page.wait_for_url(f"{base}/track/")
    assert "sifa-care" in page.evaluate("() => document.body.className")
    larger = page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
    assert larger >= normal * 1.2
    page.goto(f"{base}/")
    assert "sifa-care" in page.evaluate("() => document.body.className")  # remembered per browser
    check_page(page, "citizen-care-home")
    page.goto(f"{base}/track/")
    check_page(page, "citizen-care-track")
    page.get_by_role("button", name="退出关怀模式").click()
    page.wait_for_url(f"{base}/track/")
    assert "sifa-care" not in page.evaluate("() => document.body.className")
