"""我的空间 → 委托代办 and applying for a principal, without JavaScript: a citizen mandates a law
firm for chosen items and dates (every bad input on the form at once, nothing written), the firm
applies for her, both see the application, and after revocation the firm can no longer act."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from sifa.accounts.models import Mandate
from sifa.accounts.services import register_company
from sifa.accounts.tests.factories import uscc
from sifa.applications.models import Application, SubmissionChannel
from sifa.catalogue.tests.conftest import build_tree, cat, loaded  # noqa: F401  (fixtures)
from sifa.core import limits

from .test_citizen_support import PASSWORD, VALID_ID, lawyer_entry, lawyer_form, person

LAWYER_MAIN = "000100001000"


@pytest.fixture(autouse=True)
def _clean_cache():
    limits.clear()  # the agent-lookup limit counts in the shared limits store
    yield
    limits.clear()


@pytest.fixture
def site(cat):  # noqa: F811
    citizen = person("张三", VALID_ID, "13800000001")
    firm = register_company(
        name="浙江明理律师事务所",
        uscc=uscc("330106"),
        legal_representative="周律",
        phone="13900000003",
        password=PASSWORD,
        region_code="330106",
    )
    citizen_client, firm_client = Client(), Client()
    citizen_client.force_login(citizen)
    firm_client.force_login(firm.user)
    return {
        "citizen": citizen,
        "firm": firm,
        "client": citizen_client,
        "firm_client": firm_client,
        "entry": lawyer_entry(cat["orgs"]),
    }


def _html(response) -> str:
    return response.content.decode()


def _form(site, **changes) -> dict:
    today = timezone.localdate()
    form = {
        "agent_kind": "company",
        "agent_name": site["firm"].name,
        "agent_uscc": site["firm"].uscc,
        "agent_id_number": "",
        "scope_all": "chosen",
        "items": [LAWYER_MAIN],
        "valid_from": str(today),
        "valid_until": str(today + dt.timedelta(days=90)),
        "document_reference": "委托书 2026-017",
    }
    form.update(changes)
    return form


def _grant(site, **changes) -> Mandate:
    body = _form(site, **changes)
    confirm = site["client"].post("/me/mandates/new/", body)
    assert confirm.status_code == 200 and "确认委托" in _html(confirm), _html(confirm)
    done = site["client"].post("/me/mandates/new/", {**body, "confirm": "1"})
    assert done.status_code == 302 and done["Location"] == "/me/mandates/"
    return Mandate.objects.get(principal=site["citizen"], status="active")


def test_the_mandates_page_is_in_my_space(site):
    page = _html(site["client"].get("/me/mandates/"))
    assert "委托代办" in page and "新增委托" in page and "您还没有委托他人代办" in page
    assert 'href="/me/mandates/"' in _html(site["client"].get("/me/"))
    assert "<script>" not in page and "style=" not in page


def test_every_problem_of_the_form_at_once_and_nothing_written(site):
    response = site["client"].post(
        "/me/mandates/new/",
        {
            "agent_kind": "person",
            "agent_name": "",
            "scope_all": "chosen",
            "valid_from": "",
            "valid_until": "x",
        },
    )
    assert response.status_code == 400
    page = _html(response)
    for message, anchor in (
        ("请填写受托人的姓名或单位名称", "#f-agent_name"),
        ("请填写受托人的公民身份号码", "#f-agent_id_number"),
        ("请至少选择一个委托事项", "#f-items"),
        ("请按“年-月-日”填写生效日期", "#f-valid_from"),
        ("请按“年-月-日”填写截止日期", "#f-valid_until"),
    ):
        assert f'<a href="{anchor}">{message}' in page, message
    assert page.count('class="sifa-error-message"') >= 5
    assert not Mandate.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"agent_name": "浙江某某律师事务所"}, "agent_name", "未找到名称与证件号码相符的注册账户"),
        ({"agent_uscc": "91330106MA2ABCDE1X"}, "agent_uscc", "统一社会信用代码"),
        (
            {"agent_kind": "person", "agent_name": "李四", "agent_id_number": VALID_ID[:-1] + "0"},
            "agent_id_number",
            "校验位",
        ),
        (
            {"agent_kind": "person", "agent_name": "张三", "agent_id_number": VALID_ID},
            "agent_name",
            "不能委托本人",
        ),
        ({"items": ["000999999999"]}, "items", "所选事项不存在"),
        ({"valid_until": "2020-01-01"}, "valid_until", "截止日期不能早于今天"),
        ({"valid_from": "2030-01-01", "valid_until": "2029-01-01"}, "valid_until", "不能早于生效日期"),
        ({"valid_until": "2040-01-01"}, "valid_until", "不得超过五年"),
    ],
)
def test_bad_input_lands_on_its_field_and_writes_nothing(site, changes, field, message):
    response = site["client"].post("/me/mandates/new/", _form(site, **changes))
    assert response.status_code == 400
    page = _html(response)
    assert re.search(
        rf'id="f-{field}-error"><span class="sifa-visually-hidden">错误：</span>[^<]*{message}', page
    ), page
    assert not Mandate.objects.exists()


def test_a_citizen_mandates_a_law_firm_and_both_see_it(site):
    confirm = _html(site["client"].post("/me/mandates/new/", _form(site)))
    assert "<dd>浙江明理律师事务所</dd>" in confirm and "法人或其他组织（如律师事务所）" in confirm
    assert "律师执业许可" in confirm and "委托书 2026-017" in confirm
    mandate = _grant(site)
    assert (mandate.agent, mandate.scope) == (site["firm"].user, [LAWYER_MAIN])
    given = _html(site["client"].get("/me/mandates/"))
    assert "浙江明理律师事务所（法人）" in given and "律师执业许可" in given and ">有效<" in given
    received = _html(site["firm_client"].get("/me/mandates/"))
    assert "张三" in received and "不再接受" in received

    # The same firm, items and dates again: refused on the confirmation step, nothing new.
    again = site["client"].post("/me/mandates/new/", {**_form(site), "confirm": "1"})
    assert again.status_code == 409 and "有效期不能重叠" in _html(again)
    assert Mandate.objects.count() == 1


def test_agent_lookups_are_limited(site):
    for _ in range(20):
        site["client"].post("/me/mandates/new/", _form(site, agent_name="查无此所"))
    limited = site["client"].post("/me/mandates/new/", _form(site))
    assert limited.status_code == 429 and "次数过多" in _html(limited)


def test_the_firm_applies_for_its_client_and_loses_the_right_on_revocation(site):
    mandate = _grant(site)
    firm, start = site["firm_client"], f"/apply/{site['entry'].implementation_code}/"
    page = _html(firm.get(start))
    assert "为谁申请" in page and "代委托人申请：张三" in page and "为本人申请" in page
    assert firm.post(start, {"for": str(site["citizen"].public_id)}).status_code == 302
    app = Application.objects.get(agent=site["firm"].user)
    assert (app.applicant, app.channel, app.mandate) == (site["citizen"], SubmissionChannel.AGENT, mandate)
    form_url = f"/apply/drafts/{app.pk}/form/1/"
    assert firm.post(form_url, lawyer_form()).status_code == 302

    # The principal sees it in her space, marked as handled by the firm; the firm sees 代办.
    assert "由浙江明理律师事务所代办" in _html(site["client"].get("/me/"))
    assert "代张三申请（代办）" in _html(firm.get("/me/"))
    assert "由浙江明理律师事务所代办" in _html(site["client"].get(f"/me/applications/{app.pk}/"))

    # 张三 revokes through her space, after a confirmation page.
    revoke = f"/me/mandates/{mandate.pk}/revoke/"
    assert "确定撤销这项委托吗" in _html(site["client"].get(revoke))
    assert site["client"].post(revoke).status_code == 302
    assert ">已撤销<" in _html(site["client"].get("/me/mandates/"))
    assert site["client"].post(revoke).status_code == 409

    # The firm can no longer continue, submit or start: clear pages, nothing written.
    for response in (
        firm.get(form_url),
        firm.post(form_url, lawyer_form(address="改过的地址")),
        firm.post(f"/apply/drafts/{app.pk}/check/"),
        firm.get(f"/me/applications/{app.pk}/withdraw/"),
    ):
        assert response.status_code == 403
        assert "委托人已撤销委托" in _html(response) and "application.mandate_ended" in _html(response)
    detail = _html(firm.get(f"/me/applications/{app.pk}/"))
    assert "委托已结束" in detail and "撤回申请" not in detail
    assert "代委托人申请" not in _html(firm.get(start))
    refused = firm.post(start, {"for": str(site["citizen"].public_id)})
    assert refused.status_code == 403 and "application.no_mandate" in _html(refused)
    app.refresh_from_db()
    assert app.status == "draft" and app.form_data.get("address") != "改过的地址"
    assert Application.objects.count() == 1
    # The principal still can.
    assert site["client"].get(form_url).status_code == 200


def test_another_citizen_cannot_see_or_revoke_a_mandate(site):
    mandate = _grant(site)
    stranger = Client()
    stranger.force_login(_stranger())
    assert stranger.get(f"/me/mandates/{mandate.pk}/revoke/").status_code == 404
    assert stranger.post(f"/me/mandates/{mandate.pk}/revoke/").status_code == 404
    assert stranger.get("/me/mandates/not-a-uuid/revoke/").status_code == 404
    assert Mandate.objects.get(pk=mandate.pk).status == "active"


def _stranger():
    from sifa.applications.tests.conftest import OTHER_ID

    return person("李四", OTHER_ID, "13800000002")


def test_mandate_pages_follow_care_mode(site):
    site["client"].cookies["sifa_care"] = "1"
    for url in ("/me/mandates/", "/me/mandates/new/"):
        assert 'class="sifa-body sifa-care' in _html(site["client"].get(url))
