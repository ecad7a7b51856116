"""The citizen's consultation pages with plain form posts (no JavaScript): ask anonymously or signed
in, the confirmation with the tracking code shown once, the error summary, finding the place by
name, following up (my consultations, tracking code), rating, and turning it into mediation."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from sifa.applications.models import Application
from sifa.consultation import services
from sifa.consultation.models import Ticket, TicketStatus
from sifa.core import limits

pytestmark = pytest.mark.django_db

NEW = "/consultations/new/"
TOWNSHIP = "330106001000"  # 杭州市西湖区北山街道
QUESTION = "楼上邻居装修导致我家天花板漏水，协商不成，想请社区调解，需要什么手续？是否收费？"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    limits.clear()
    yield
    limits.clear()


def browser(user=None) -> Client:
    page = Client()
    if user is not None:
        page.force_login(user)
    return page


def token_of(html: str) -> str:
    return re.search(r'name="token" value="([0-9a-f]{32})"', html)[1]


def ask(page: Client, **overrides) -> object:
    form = page.get(NEW)
    body = {
        "token": token_of(form.content.decode()),
        "category": "mediation",
        "region": TOWNSHIP,
        "title": "邻居装修漏水如何调解",
        "question": QUESTION,
        "action": "ask",
        **overrides,
    }
    return page.post(NEW, body)


def answer(people, number: str) -> None:
    services.answer(
        people["town"], number, text="可以申请人民调解，调解不收费。", citations=["人民调解法第十七条"]
    )


def test_an_anonymous_asker_gets_the_tracking_code_once_and_follows_with_it(cat, people):
    page = browser()
    landing = page.get("/consultations/")
    assert landing.status_code == 200
    html = landing.content.decode()
    assert "12348" in html and "个工作日内答复" in html and 'href="/consultations/new/"' in html
    assert 'id="mine"' not in html  # 我的咨询: only for a signed-in citizen

    sent = ask(page, name="陈先生", phone="13812345678", wants_sms="on")
    assert sent.status_code == 302 and sent["Location"] == "/consultations/new/done/"
    ticket = Ticket.objects.get()
    assert ticket.asker is None and ticket.channel == "web" and ticket.wants_sms
    assert ticket.organisation.name == "北山街道司法所"
    done = page.get(sent["Location"]).content.decode()
    code = re.search(r'class="sifa-code">([0-9A-Z]{8})<', done)[1]
    assert ticket.number in done and "北山街道司法所" in done and "只显示这一次" in done
    again = page.get("/consultations/new/done/").content.decode()
    assert code not in again and ticket.number in again  # once: a reload no longer shows it
    assert code not in sent["Location"]

    wrong = page.post("/consultations/track/", {"number": ticket.number, "code": "ABCDEFGH"})
    assert wrong.status_code == 404 and "工单编号或查询码不正确" in wrong.content.decode()
    assert 'href="#f-number"' in wrong.content.decode()
    empty = page.post("/consultations/track/", {"number": "", "code": ""})
    assert empty.status_code == 400 and 'href="#f-code"' in empty.content.decode()
    seen = page.post("/consultations/track/", {"number": ticket.number, "code": code.lower()})
    assert seen.status_code == 200
    html = seen.content.decode()
    assert "邻居装修漏水如何调解" in html and "尚未答复" in html and "需要账户" in html
    assert "/consultations/" + ticket.number + "/convert/" not in html  # no conversion without an account

    answer(people, ticket.number)
    html = page.post("/consultations/track/", {"number": ticket.number, "code": code}).content.decode()
    assert "可以申请人民调解" in html and 'href="/laws/' in html and "评价答复" in html
    missing = page.post("/consultations/track/", {"number": ticket.number, "code": code, "action": "rate"})
    assert missing.status_code == 400 and "请选择满意程度" in missing.content.decode()
    rated = page.post(
        "/consultations/track/",
        {"number": ticket.number, "code": code, "action": "rate", "satisfaction": "satisfied"},
    )
    assert rated.status_code == 200 and "感谢您的评价" in rated.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED and ticket.satisfaction == "satisfied"
    # The page of a signed-in asker's consultation asks an anonymous visitor to log in.
    login = page.get(f"/consultations/{ticket.number}/")
    assert login.status_code == 302 and login["Location"].startswith("/accounts/login/")


def test_errors_are_listed_in_a_summary_linking_to_each_field(cat, people):
    page = browser()
    form = page.get(NEW).content.decode()
    token = token_of(form)
    refused = page.post(NEW, {"token": token, "title": "漏水", "wants_sms": "on", "action": "ask"})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "<title>错误：" in html and 'class="sifa-error-summary"' in html
    for field, message in (
        ("category", "请选择咨询类别"),
        ("region", "请选择咨询事项发生地或您所在的地区"),
        ("title", "请用4至60个字概括您的问题"),
        ("question", "请详细描述您的问题"),
        ("wants_sms", "需要短信告知答复的，请填写手机号码"),
    ):
        assert f'href="#f-{field}"' in html and message in html and f'id="f-{field}"' in html
    assert token_of(html) == token  # the same form, so a resend after fixing is still one ticket
    assert 'value="漏水"' in html  # what was typed is kept
    assert not Ticket.objects.exists()
    personal = ask(page, title="请回电13812345678")
    assert personal.status_code == 400 and "请勿填写身份证号码或手机号码" in personal.content.decode()


def test_a_double_submit_files_one_consultation(cat, people):
    page = browser(people["citizen"])
    token = token_of(page.get(NEW).content.decode())
    body = {"token": token, "category": "labour", "region": TOWNSHIP, "title": "公司拖欠工资怎么办"}
    body |= {"question": "公司已经拖欠三个月工资，老板一直推脱，我应该怎么维权？", "action": "ask"}
    first, second = page.post(NEW, body), page.post(NEW, body)
    assert first.status_code == second.status_code == 302
    assert Ticket.objects.count() == 1


def test_the_place_is_found_by_name_keeping_what_was_typed(cat, people):
    page = browser()
    form = page.get(NEW).content.decode()
    assert "请先查找地区" in form  # anonymous: no place of their own to start from
    token = token_of(form)
    found = page.post(NEW, {"token": token, "title": "邻居装修漏水", "where": "北山", "action": "find"})
    assert found.status_code == 200
    html = found.content.decode()
    assert f'<option value="{TOWNSHIP}" selected>' in html and "西湖区北山街道" in html
    assert 'value="邻居装修漏水"' in html and token_of(html) == token and not Ticket.objects.exists()
    nothing = page.post(NEW, {"token": token, "where": "不存在的地方", "action": "find"}).content.decode()
    assert "没有找到名称包含“不存在的地方”" in nothing


def test_a_signed_in_citizen_follows_rates_and_converts_to_mediation(cat, people):
    citizen = people["citizen"]
    page = browser(citizen)
    form = page.get(NEW).content.decode()
    assert f'<option value="{TOWNSHIP}" selected>' in form  # their own place, preselected
    assert "330106" in form and "匿名" not in form
    sent = ask(page)
    assert sent.status_code == 302
    done = page.get(sent["Location"]).content.decode()
    ticket = Ticket.objects.get()
    assert ticket.asker == citizen and "sifa-code" not in done and "查看我的咨询" in done

    mine = page.get("/consultations/").content.decode()
    assert f'href="/consultations/{ticket.number}/"' in mine and "我的咨询" in mine
    space = page.get("/me/").content.decode()
    assert "我的咨询" in space and ticket.number in space
    assert 'aria-current="page">法律咨询' in mine  # the header's entry

    detail = page.get(f"/consultations/{ticket.number}/")
    assert detail.status_code == 200 and "尚未答复" in detail.content.decode()
    assert "评价答复" not in detail.content.decode()
    other = browser(people["other_citizen"])
    assert other.get(f"/consultations/{ticket.number}/").status_code == 404
    assert (
        other.post(f"/consultations/{ticket.number}/rating/", {"satisfaction": "satisfied"}).status_code
        == 404
    )
    assert other.post(f"/consultations/{ticket.number}/convert/", {"kind": "mediation"}).status_code == 404
    assert page.get("/consultations/ZX0000/").status_code == 404

    answer(people, ticket.number)
    html = page.get(f"/consultations/{ticket.number}/").content.decode()
    assert "可以申请人民调解" in html and "人民调解法第十七条" in html and "评价答复" in html
    link = re.search(r'<a href="(/laws/[^"]+)">人民调解法第十七条</a>', html)[1]
    assert page.get(link).status_code == 200
    too_long = page.post(
        f"/consultations/{ticket.number}/rating/", {"satisfaction": "satisfied", "comment": "长" * 501}
    )
    assert too_long.status_code == 400 and 'href="#f-comment"' in too_long.content.decode()
    rated = page.post(
        f"/consultations/{ticket.number}/rating/", {"satisfaction": "very_satisfied", "comment": "很清楚"}
    )
    assert rated.status_code == 302
    html = page.get(rated["Location"]).content.decode()
    assert "感谢您的评价" in html and "非常满意" in html and "评价答复" not in html
    twice = page.post(f"/consultations/{ticket.number}/rating/", {"satisfaction": "satisfied"})
    assert twice.status_code == 409 and "只能评价一次" in twice.content.decode()

    bad = page.post(f"/consultations/{ticket.number}/convert/", {"kind": "divorce"})
    assert bad.status_code == 400 and 'href="#f-convert"' in bad.content.decode()
    converted = page.post(f"/consultations/{ticket.number}/convert/", {"kind": "mediation"})
    draft = Application.objects.get()
    assert converted.status_code == 302
    assert converted["Location"] == f"/apply/drafts/{draft.pk}/form/1/"
    assert draft.entry.item.name == "人民调解申请" and draft.form_data["dispute"] == QUESTION
    html = page.get(f"/consultations/{ticket.number}/").content.decode()
    assert f'href="/apply/drafts/{draft.pk}/form/1/"' in html and "继续填写人民调解申请" in html
    assert "转为法律援助申请</button>" not in html


def test_staff_are_sent_to_the_hotline_channel(cat, people):
    refused = ask(browser(people["town"]))
    assert refused.status_code == 403 and "工作人员请通过热线或服务大厅渠道" in refused.content.decode()


def test_only_conversions_that_work_are_offered(cat, people):
    page = browser(people["citizen"])
    ask(page, region="330106")  # the whole county: no 司法所 of its own offers 人民调解申请
    ticket = Ticket.objects.get()
    html = page.get(f"/consultations/{ticket.number}/").content.decode()
    assert "转为法律援助申请</button>" in html  # the county's 法律援助中心
    assert "转为人民调解申请</button>" not in html
    assert "所在乡镇（街道）司法所尚未在平台开通“人民调解申请”" in html and 'href="/catalogue/"' in html
