"""Issue 15's must-show, in real Chromium: a citizen signs in from the home page's 登录 link, finds
the office for 律师执业许可 through the place chooser (浙江省 → 杭州市 → 西湖区 chosen from the
selects, no 行政区划代码 typed), opens its guide, 在线申请 → 开始新的申请 shows the first step
prefilled from the account; back home she signs out with the header's 退出, and /me/ then asks her
to sign in again. axe-core finds nothing, the contrast of every state holds, ids are unique and
nothing scrolls sideways at 375 px on the pages checked (``check_page``).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from test_citizen_journey import PASSWORD, PHONE_NUMBER, world  # noqa: F401 (the fixture)
from test_place_chooser_journey import HTMX_IDLE, PATH

pytestmark = pytest.mark.browser


def test_sign_in_apply_by_place_and_sign_out(world, live_server, browser_page, check_page):  # noqa: F811
    page, base = browser_page, live_server.url
    header = page.get_by_role("navigation", name="主导航")

    # 1. From the home page's 登录 link, signed in: 我的空间.
    page.goto(f"{base}/")
    header.get_by_role("link", name="登录").click()
    expect(page.get_by_role("heading", name="登录", level=1)).to_be_visible()
    page.get_by_label("手机号码", exact=True).fill(PHONE_NUMBER)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(f"{base}/me/")
    expect(header.get_by_role("button", name="退出")).to_be_visible()

    # 2. 办事目录 → 律师执业许可 → 专职律师执业, then the place from the selects, no code typed.
    header.get_by_role("link", name="办事目录").click()
    page.wait_for_url(re.compile(r".*/catalogue/$"))
    page.get_by_role("searchbox", name="事项名称或关键词").fill("律师执业许可")
    page.get_by_role("button", name="查找", exact=True).click()
    page.get_by_role("link", name="律师执业许可", exact=True).click()
    expect(page.get_by_role("heading", name="您要办理的是哪一种？", level=2)).to_be_visible()
    page.get_by_role("link", name="专职律师执业", exact=True).click()
    expect(page.get_by_role("heading", name="选择您所在的地区")).to_be_visible()
    for label, name in PATH:
        select = page.get_by_label(label, exact=True)
        expect(select).to_be_visible()  # htmx brought it after the level above was chosen
        page.wait_for_function(HTMX_IDLE)  # htmx hears a change only on settled selects
        select.select_option(label=name)
    expect(page.get_by_label("乡镇（街道）（可不选）")).to_be_visible()
    check_page(page, "place-apply-chosen", shots=False)
    page.get_by_role("button", name="确定").click()

    # 3. The nearest office, its guide, 在线申请.
    office = "为浙江省杭州市西湖区办理的机构（共 1 个，离您最近的在前）"
    results = page.get_by_role("list", name=office)
    expect(results.get_by_role("link")).to_have_text(["杭州市司法局"])
    results.get_by_role("link", name="杭州市司法局").click()
    expect(page.get_by_role("heading", name="律师执业许可（专职律师执业）", level=1)).to_be_visible()
    check_page(page, "place-apply-guide", shots=False)
    page.get_by_role("link", name="在线申请").first.click()
    page.wait_for_url(re.compile(rf".*/apply/{world['entry'].implementation_code}/$"))
    page.get_by_role("button", name="开始新的申请").click()

    # 4. The first step, prefilled from the account.
    name = page.get_by_label("申请人姓名", exact=True)
    expect(name).to_be_visible()
    expect(name).not_to_have_value("")
    check_page(page, "place-apply-first-step", shots=False)

    # 5. Home, 退出: the session is over and 我的空间 asks to sign in again.
    page.goto(f"{base}/")
    header.get_by_role("button", name="退出").click()
    page.wait_for_url(re.compile(r".*/accounts/login/$"))
    expect(page.get_by_text("您已安全退出")).to_be_visible()
    page.goto(f"{base}/me/")
    page.wait_for_url(re.compile(r".*/accounts/login/\?next=/me/$"))
    expect(page.get_by_role("heading", name="登录", level=1)).to_be_visible()
