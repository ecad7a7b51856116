"""The public complaint pages without a browser: the form's errors, the tracking code shown once,
following with it, and a wrong code."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from sifa.complaints.models import Complaint

pytestmark = pytest.mark.django_db

TEXT = "窗口工作人员让我来回跑了三次，每次要求的材料都不一样，请核查。"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


def form(**overrides):
    return {
        "kind": "complaint",
        "subject_kind": "service",
        "organisation": "北山街道司法所",
        "text": TEXT,
        "anonymous": "on",
        "token": "t-1",
        **overrides,
    }


def test_the_form_lists_every_problem(cat, people):
    response = Client().post("/complaints/new/", form(text="", organisation="没有这个机构"))
    assert response.status_code == 400
    assert "未找到该机构" in response.content.decode()
    response = Client().post("/complaints/new/", form(text="短"))
    assert response.status_code == 400 and "10至3000字" in response.content.decode()
    assert not Complaint.objects.exists()


def test_anonymous_complaint_code_shown_once_and_tracked(cat, people):
    browser = Client()
    assert browser.get("/complaints/new/").status_code == 200
    response = browser.post("/complaints/new/", form())
    assert response.status_code == 302 and response["Location"] == "/complaints/new/done/"
    complaint = Complaint.objects.get()
    page = browser.get("/complaints/new/done/").content.decode()
    assert complaint.number in page and "data-tracking-code" in page
    code = page.split("data-tracking-code>")[1].split("<")[0]
    assert "data-tracking-code" not in browser.get("/complaints/new/done/").content.decode()
    # A double submit (same token) files one complaint.
    browser.post("/complaints/new/", form())
    assert Complaint.objects.count() == 1

    found = Client().post("/complaints/track/", {"number": complaint.number, "code": code})
    assert found.status_code == 200 and "待受理" in found.content.decode() and TEXT in found.content.decode()
    wrong = Client().post("/complaints/track/", {"number": complaint.number, "code": "WRONG234"})
    assert wrong.status_code == 404
    empty = Client().post("/complaints/track/", {})
    assert empty.status_code == 400


def test_done_without_a_complaint_goes_back_to_the_form(cat, people):
    assert Client().get("/complaints/new/done/")["Location"] == "/complaints/new/"
