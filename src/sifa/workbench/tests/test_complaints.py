"""投诉举报 in the workbench, with the Django client and verified staff logins: the county's
supervisor accepts, replies and closes through the page's forms; the city (the level above) is
shown the 督办 form, supervises with a deadline and a report required, and the county reports
before it may close; the staff member complained about sees neither the complainant's name nor
number, nor any form; Beijing's supervisor gets 404, and so do a window clerk and a citizen."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from sifa.catalogue.tests.conftest import cat, loaded  # noqa: F401  (fixtures)
from sifa.complaints.models import Complaint, Status
from sifa.organisations.models import Role
from sifa.workbench.tests import world as W

pytestmark = pytest.mark.django_db
QUEUE = "/workbench/complaints/"
TEXT = "窗口工作人员让我来回跑了三次，每次要求的材料都不一样，请核查。"


@pytest.fixture
def folk(cat):  # noqa: F811
    orgs = cat["orgs"]
    return {
        "orgs": orgs,
        "county": W.staff("xh-supervisor", (orgs["xh"], Role.SUPERVISOR)),
        "city": W.staff("hz-supervisor", (orgs["hz"], Role.SUPERVISOR)),
        "beijing": W.staff("dc-supervisor", (orgs["dc"], Role.SUPERVISOR)),
        "clerk": W.staff("town-clerk", (orgs["xh_town"], Role.WINDOW_CLERK)),
        "accused": W.staff("xh-window-chief", (orgs["xh"], Role.WINDOW_CLERK), (orgs["xh"], Role.SUPERVISOR)),
        "citizen": W.citizen("complaining-citizen"),
    }


def _submit(folk, **overrides) -> Complaint:
    body = {
        "kind": "complaint",
        "subject_kind": "service",
        "organisation": folk["orgs"]["xh_town"].pk,
        "text": TEXT,
        **overrides,
    }
    response = APIClient().post("/api/v1/complaints/", body, format="json")
    assert response.status_code == 201, response.content
    return Complaint.objects.get(number=response.json()["number"])


def _url(complaint: Complaint) -> str:
    return f"/workbench/complaints/{complaint.number}/"


def test_the_county_accepts_replies_and_closes_through_the_page(login, folk):
    complaint = _submit(folk, anonymous=True)
    client = login(folk["county"])
    assert "投诉举报" in client.get("/workbench/").content.decode()
    queue = client.get(QUEUE).content.decode()
    assert complaint.number in queue and "办理中（1）" in queue
    page = client.get(_url(complaint)).content.decode()
    assert TEXT in page and 'value="accept"' in page and 'value="supervise"' not in page
    early = client.post(_url(complaint), {"action": "close"})
    assert early.status_code == 409 and "答复投诉举报人后才能办结" in early.content.decode()
    assert client.post(_url(complaint), {"action": "accept"}).status_code == 302
    short = client.post(_url(complaint), {"action": "reply", "reply-text": "已处理"})
    assert short.status_code == 400 and "答复应为10至3000字" in short.content.decode()
    reply = "经核查，窗口已统一材料清单，并对相关工作人员进行批评教育。"
    assert client.post(_url(complaint), {"action": "reply", "reply-text": reply}).status_code == 302
    page = client.get(_url(complaint)).content.decode()
    assert "已答复投诉举报人。" in page and reply in page and 'value="close"' in page
    assert client.post(_url(complaint), {"action": "close"}).status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == Status.CLOSED
    assert client.post(_url(complaint), {"action": "dance"}).status_code == 404


def test_the_level_above_supervises_and_the_county_reports_before_closing(login, folk):
    complaint = _submit(folk, anonymous=True)
    city = login(folk["city"])
    page = city.get(_url(complaint)).content.decode()
    assert 'value="supervise"' in page and 'value="accept"' not in page
    deadline = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    done = city.post(
        _url(complaint),
        {
            "action": "supervise",
            "supervise-instruction": "请核实并报告处理结果",
            "supervise-deadline": deadline,
            "supervise-requires_report": "on",
        },
    )
    assert done.status_code == 302, done.content.decode()
    assert "督办中（1）" in city.get(QUEUE).content.decode()

    county = login(folk["county"])
    assert 'value="supervise"' not in county.get(_url(complaint)).content.decode()
    county.post(_url(complaint), {"action": "accept"})
    county.post(_url(complaint), {"action": "reply", "reply-text": "经核查情况属实，已整改并向投诉人说明。"})
    page = county.get(_url(complaint)).content.decode()
    assert 'value="report"' in page and 'value="close"' not in page and "请核实并报告处理结果" in page
    blocked = county.post(_url(complaint), {"action": "close"})
    assert blocked.status_code == 409 and "报告后才能办结" in blocked.content.decode()
    report = "已核实，窗口材料清单已统一，责任人已批评教育。"
    assert county.post(_url(complaint), {"action": "report", "report-text": report}).status_code == 302
    assert county.post(_url(complaint), {"action": "close"}).status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == Status.CLOSED


def test_the_staff_member_complained_about_never_sees_who_complained(login, folk):
    accused = folk["accused"]
    api = APIClient()
    api.force_authenticate(folk["citizen"])
    response = api.post(
        "/api/v1/complaints/",
        {
            "kind": "complaint",
            "subject_kind": "conduct",
            "organisation": folk["orgs"]["xh"].pk,
            "staff_member": accused.username,
            "text": TEXT,
            "name": "陈明",
            "phone": "13812345678",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    complaint = Complaint.objects.get(number=response.json()["number"])
    other = login(folk["county"]).get(_url(complaint)).content.decode()
    assert "陈明" in other and "13812345678" in other

    client = login(accused)
    page = client.get(_url(complaint))
    assert page.status_code == 200
    text = page.content.decode()
    assert "陈明" not in text and "13812345678" not in text and "138****5678" not in text
    assert "您是被投诉人" in text and 'value="accept"' not in text
    listed = client.get(QUEUE).content.decode()
    assert complaint.number in listed and "陈明" not in listed and "5678" not in listed
    refused = client.post(_url(complaint), {"action": "accept"})
    assert refused.status_code == 403 and "回避" in refused.content.decode()
    assert "陈明" not in refused.content.decode()
    complaint.refresh_from_db()
    assert complaint.status == Status.SUBMITTED


def test_other_jurisdictions_clerks_and_citizens_get_404(login, client, folk):
    complaint = _submit(folk, anonymous=True)
    beijing = login(folk["beijing"])
    assert beijing.get(_url(complaint)).status_code == 404
    assert beijing.post(_url(complaint), {"action": "accept"}).status_code == 404
    assert complaint.number not in beijing.get(QUEUE).content.decode()
    clerk = login(folk["clerk"])
    assert clerk.get(QUEUE).status_code == 404 and clerk.get(_url(complaint)).status_code == 404
    assert "投诉举报" not in clerk.get("/workbench/").content.decode()
    client.force_login(folk["citizen"])
    assert client.get(QUEUE).status_code == 404 and client.get(_url(complaint)).status_code == 404
