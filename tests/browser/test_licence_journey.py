"""我的空间 → 电子证照 beyond the download, in real Chromium: the licence page, 用证授权 (an error
summary that takes focus, the confirmation, the grant, revocation), 文书, and registration.
axe-core must find nothing and no page may scroll sideways at 375 px. The download and the QR
verification are the last leg of ``test_citizen_journey``.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from test_citizen_journey import PASSWORD, _id_number, log_in, the_citizen

from sifa.licences.models import Licence, LicenceType
from sifa.licences.services import issue_licence, load_licence_types

pytestmark = pytest.mark.browser


@pytest.fixture
def holder(transactional_db, settings, tmp_path):
    """The organisation tree, a citizen and her 律师执业证 (without its PDF: sealing is the
    citizen journey's), committed for the live server."""
    from sifa.catalogue.tests.conftest import build_tree

    settings.MEDIA_ROOT = tmp_path / "media"
    orgs = build_tree()
    load_licence_types()
    citizen = the_citizen()
    licence = issue_licence(
        LicenceType.objects.get(key="lawyer_licence"), citizen, orgs["zj"], actor=None, with_pdf=False
    )
    return {"orgs": orgs, "citizen": citizen, "licence": licence}


def test_authorise_use_and_revoke(holder, live_server, browser_page, check_page):
    page, base, licence = browser_page, live_server.url, holder["licence"]
    detail = f"/me/licences/{licence.identifier}/"
    log_in(page, base, detail)
    expect(page.get_by_role("heading", name="律师执业证", level=1)).to_be_visible()
    check_page(page, "citizen-licence")

    # Nothing filled in: every problem in one summary, which takes focus and links to the fields.
    page.get_by_role("link", name="新增用证授权").click()
    page.get_by_role("button", name="下一步：核对授权").click()
    page.locator("#error-summary").wait_for()
    assert page.evaluate("() => document.activeElement.id") == "error-summary"
    check_page(page, "citizen-licence-authorise-errors")
    page.get_by_role("link", name="请填写用证事由").click()
    assert page.evaluate("() => document.activeElement.id") == "f-purpose"

    page.get_by_label("司法行政机关").check()
    page.get_by_label("被授权的机关").select_option(label="浙江省司法厅")
    page.get_by_label("用证事由").fill("律师事务所年度考核，核验律师执业证")
    until = timezone.localdate() + dt.timedelta(days=30)
    page.get_by_label("授权截止日期").fill(until.isoformat())
    page.get_by_role("button", name="下一步：核对授权").click()
    page.get_by_role("heading", name="确认用证授权").wait_for()
    check_page(page, "citizen-licence-authorise-confirm")
    page.get_by_role("button", name="确认授权").click()
    page.get_by_text("用证授权已生效").wait_for()
    expect(page.get_by_role("cell", name="浙江省司法厅", exact=True)).to_be_visible()
    [grant] = Licence.objects.get(pk=licence.pk).authorisations.all()
    assert grant.grantee_organisation == holder["orgs"]["zj"] and grant.valid_until == until

    page.get_by_role("link", name="对浙江省司法厅的授权").click()
    check_page(page, "citizen-licence-revoke", shots=False)
    page.get_by_role("button", name="确认撤销").click()
    page.get_by_text("已撤销该用证授权").wait_for()
    grant.refresh_from_db()
    assert grant.revoked_at is not None

    page.goto(f"{base}/me/documents/")
    check_page(page, "citizen-documents", shots=False)


def test_register_with_every_problem_at_once_then_logged_in(
    transactional_db, live_server, browser_page, check_page
):
    from sifa.catalogue.tests.conftest import build_tree

    build_tree()
    page, base = browser_page, live_server.url
    page.goto(f"{base}/register/")
    check_page(page, "citizen-register")
    page.get_by_label("手机号码").fill("123")
    page.get_by_role("button", name="注册并登录").click()
    page.locator("#error-summary").wait_for()
    for message in ("请填写姓名", "请填写手机号码", "请设置密码", "请选择所在地区"):
        if message == "请填写手机号码":
            message = "手机号码应为11位中国大陆手机号（以13–19开头）"
        expect(page.get_by_role("link", name=message), message).to_be_visible()
    check_page(page, "citizen-register-errors")

    page.get_by_label("姓名").fill("王五")
    page.get_by_label("公民身份号码", exact=True).fill(_id_number("33010619851212345"))
    page.get_by_label("手机号码").fill("13900001234")
    page.get_by_label("设置密码").fill(PASSWORD)
    page.get_by_label("所在地区代码").fill("330106")
    page.get_by_label("我已阅读并单独同意处理我的公民身份号码").check()
    page.get_by_role("button", name="注册并登录").click()
    page.wait_for_url(f"{base}/me/")
    expect(page.get_by_text("注册成功，已为您登录")).to_be_visible()
    expect(page.get_by_text("王五").first).to_be_visible()


def test_verification_page_fits_a_phone(holder, live_server, browser_page, check_page):
    page = browser_page
    page.goto(f"{live_server.url}/verify/{holder['licence'].identifier}")
    expect(page.get_by_role("heading", name="证照真实有效")).to_be_visible()
    check_page(page, "verify")
