"""Contrast that holds in every state (issue 15 point 7): the home page, the catalogue, a guide, the
apply form, the tracking page with a result, and a workbench case page as staff, each in normal and
in 关怀模式 (cookie ``sifa_care=1``), measured by ``contrast.contrast_check`` — every button,
link-button, link and form control at rest, focused, hovered, pressed and visited: text 4.5:1
(large 3:1), focus indicators and field borders 3:1 (WCAG 2.2 AA). axe checks the resting page
only. The lowest ratios are printed as ``R15/contrast …`` lines (run with ``-rP`` or ``-s``)."""

from __future__ import annotations

import pytest
from contrast import contrast_report
from test_citizen_journey import ITEM, the_citizen
from test_citizen_journey import log_in as citizen_log_in
from test_staff_journey import log_in as staff_log_in

from sifa.applications import query_codes
from sifa.organisations.models import Role
from sifa.workbench.tests import world as W
from sifa.workflow.services import start_case

pytestmark = pytest.mark.browser

QUERY_CODE = "R15CODE8"


@pytest.mark.django_db(transaction=True)
def test_contrast_in_every_state_normal_and_care_mode(browser, live_server, check_page):
    orgs = W.build_world()
    entry = W.entry_for(ITEM, orgs["hz"])
    citizen = the_citizen()
    # One clerk per mode: a TOTP code is accepted once, and both logins may fall in one 30 s step.
    clerks = {
        mode: W.staff(f"hz-clerk-{mode}", (orgs["hz"], Role.WINDOW_CLERK)) for mode in ("normal", "care")
    }
    case = W.make_case(
        entry,
        citizen,
        form_data={"applicant_name": "张三", "law_firm": "浙江某某律师事务所"},
        query_code_digest=query_codes.query_code_digest(QUERY_CODE),
    )
    start_case(case)
    base = live_server.url
    failures: list[str] = []

    def measure(page, name: str) -> None:
        check_page(page, name, shots=False)  # axe at rest, 375 px, unique ids
        report = contrast_report(page, name)
        for line in report.lines():
            print(line)
        assert report.measured > 20, f"{name}: only {report.measured} pairs measured"
        failures.extend(
            f"{name} {f.state} {f.what} {f.ratio:.2f} < {f.need} ({f.colours}, {f.element})"
            for f in report.failures
        )

    for mode in ("normal", "care"):
        context = browser.new_context(
            bypass_csp=True, locale="zh-CN", viewport={"width": 1280, "height": 900}
        )
        if mode == "care":
            context.add_cookies([{"name": "sifa_care", "value": "1", "url": base}])
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            page.goto(f"{base}/")
            assert ("sifa-care" in page.evaluate("() => document.body.className")) == (mode == "care")
            measure(page, f"{mode}/home")
            page.goto(f"{base}/catalogue/?q=律师")
            measure(page, f"{mode}/catalogue")
            page.goto(f"{base}/guides/{entry.implementation_code}/")
            measure(page, f"{mode}/guide")
            page.goto(f"{base}/track/")
            page.get_by_label("办件编号").fill(case.number)
            page.get_by_label("查询码").fill(QUERY_CODE)
            page.get_by_role("button", name="查询").click()
            page.get_by_role("heading", name=ITEM).wait_for()
            measure(page, f"{mode}/track")
            citizen_log_in(page, base, f"/apply/{entry.implementation_code}/")
            page.get_by_role("button", name="开始新的申请").click()
            page.get_by_label("申请人姓名", exact=True).wait_for()
            measure(page, f"{mode}/apply-form")
            page.context.clear_cookies()
            if mode == "care":
                context.add_cookies([{"name": "sifa_care", "value": "1", "url": base}])
            staff_log_in(page, base, clerks[mode], f"/workbench/cases/{case.number}/")
            page.wait_for_url(f"{base}/workbench/cases/{case.number}/")
            measure(page, f"{mode}/workbench-case")
        finally:
            context.close()
    assert not failures, f"{len(failures)} contrast failures:\n" + "\n".join(failures[:60])
