"""好差评 of a window visit and a 12348 call from the workbench: the clerk's 请群众评价 page gives a
single-use link for the counter's 评价器 or sends it by SMS; the ticket page of an answered hotline
call sends the caller the link by SMS. The person rates without logging in."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from sifa.catalogue.tests.conftest import _laws_sample, cat, laws, loaded  # noqa: F401  (fixtures)
from sifa.consultation import services as consultation
from sifa.evaluation.models import Rating, SubjectKind
from sifa.evaluation.tests.conftest import _fresh, orgs  # noqa: F401  (fixtures)
from sifa.notifications.models import Notification
from sifa.organisations.models import Role
from sifa.workbench.tests import world as W

pytestmark = pytest.mark.django_db
PAGE = "/workbench/window/rating/"


def test_the_clerk_has_a_visit_rated_on_the_counter_device(login, orgs):  # noqa: F811
    clerk = W.staff("hz-window", (orgs["hz"], Role.WINDOW_CLERK))
    client = login(clerk)
    assert "请群众评价本次服务" in client.get("/workbench/window/").content.decode()
    assert client.get(PAGE).status_code == 200
    answer = client.post(PAGE, {"channel": "window_tablet"})
    body = answer.content.decode()
    assert answer.status_code == 200 and "评价链接已生成" in body
    path = re.search(r'href="(/rate/[^"]+/)"', body).group(1)
    assert path not in client.get(PAGE).content.decode()  # shown once
    counter = Client()
    assert "评价本次服务" in counter.get(path).content.decode()
    assert counter.post(path, {"level": "satisfied"}).status_code == 200
    rating = Rating.objects.get(subject_kind=SubjectKind.VISIT)
    assert rating.staff_member == clerk and rating.channel == "window_tablet"
    assert "已评价：满意" in client.get(PAGE).content.decode()


def test_a_bad_phone_number_is_in_the_error_summary_and_sms_is_sent(login, orgs):  # noqa: F811
    client = login(W.staff("hz-window", (orgs["hz"], Role.WINDOW_CLERK)))
    refused = client.post(PAGE, {"channel": "sms", "phone": "123"})
    assert refused.status_code == 400 and "请填写11位手机号码" in refused.content.decode()
    sent = client.post(PAGE, {"channel": "sms", "phone": "13812345678"})
    assert sent.status_code == 200 and "评价短信已发送" in sent.content.decode()
    assert Notification.objects.filter(event="evaluation.rate_link").count() == 1


def test_staff_without_a_window_may_not_issue_links(login, orgs):  # noqa: F811
    client = login(W.staff("hz-sup", (orgs["hz"], Role.SUPERVISOR)))
    assert client.post(PAGE, {"channel": "window_tablet"}).status_code == 403


def test_the_operator_sends_an_sms_link_after_an_answered_call(login, orgs):  # noqa: F811
    operator = W.staff("hotline-op", (orgs["zj"], Role.CONSULTANT))
    created = consultation.create_ticket(
        operator,
        channel="hotline",
        category="mediation",
        region="330106001000",
        title="邻居漏水纠纷如何调解",
        question="楼上邻居漏水导致我家受损，协商不成，如何申请人民调解？",
        phone="13812345678",
        name="陈先生",
    )
    number = created.ticket.number
    client = login(operator)
    page = f"/workbench/consultations/{number}/"
    assert 'value="rate_link"' not in client.get(page).content.decode()  # not answered yet
    consultation.answer(operator, number, text="可以向北山街道人民调解委员会申请调解，不收费。")
    assert 'value="rate_link"' in client.get(page).content.decode()
    sent = client.post(page, {"action": "rate_link"})
    assert sent.status_code == 302
    assert "已于" in client.get(page).content.decode()
    sms = Notification.objects.get(event="evaluation.rate_link")
    path = re.search(r"(/rate/[^/]+/)", sms.sms_text).group(1)
    assert Client().post(path, {"level": "very_satisfied"}).status_code == 200
    assert Rating.objects.get(number=number).channel == "sms"
    assert 'value="rate_link"' not in client.get(page).content.decode()  # rated: closed
