"""政务公开 in the workbench: draft → 送保密审查 → 保密审查 by another person → published → 撤回, the
menu, and 404 outside the subtree."""

from __future__ import annotations

import pytest

from sifa.disclosure.models import Notice, NoticeStatus
from sifa.disclosure.tests.conftest import BODY, TITLE, draft
from sifa.organisations.models import Role
from sifa.testing import tree, verified_login
from sifa.workbench.tests import world as W

pytestmark = pytest.mark.django_db


@pytest.fixture
def d_orgs(db):
    return tree("ministry", "zj", "hz", "nb")


@pytest.fixture
def d_people(d_orgs):
    return {
        "clerk": W.staff("d-hz-clerk", (d_orgs["hz"], Role.WINDOW_CLERK)),
        "supervisor": W.staff("d-hz-supervisor", (d_orgs["hz"], Role.SUPERVISOR)),
        "nb": W.staff("d-nb-supervisor", (d_orgs["nb"], Role.SUPERVISOR)),
        "sysadmin": W.staff("d-zj-sysadmin", (d_orgs["zj"], Role.SYSTEM_ADMIN)),
    }


def _as(client, user):
    verified_login(client, user)
    return client


def test_draft_review_publish_and_withdraw_through_the_pages(client, d_orgs, d_people):
    c = _as(client, d_people["clerk"])
    assert "政务公开" in c.get("/workbench/").content.decode()
    form = c.get("/workbench/disclosure/new/")
    assert form.status_code == 200 and "起草公开信息" in form.content.decode()
    empty = c.post("/workbench/disclosure/new/", {"organisation": d_orgs["hz"].pk})
    assert empty.status_code == 400 and "请填写标题" in empty.content.decode()
    saved = c.post(
        "/workbench/disclosure/new/",
        {"organisation": d_orgs["hz"].pk, "category": "notice", "title": TITLE, "body": BODY},
    )
    assert saved.status_code == 302, saved.content.decode()
    notice = Notice.objects.get(title=TITLE)
    url = f"/workbench/disclosure/{notice.public_id}/"
    assert saved["Location"] == url
    page = c.get(url).content.decode()
    assert "送保密审查" in page and "保密审查记录" in page and "修改草稿" in page
    assert c.get(f"{url}edit/").status_code == 200
    c.post(url, {"action": "submit"})
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.SUBMITTED
    assert "提交审查结果" not in c.get(url).content.decode()  # the author is not offered the review
    refused = c.post(url, {"action": "review", "review-decision": "publish", "review-opinion": "同意"})
    assert refused.status_code == 403 and "保密审查须由本机构或上级机构" in refused.content.decode()

    r = _as(client, d_people["supervisor"])
    page = r.get(url).content.decode()
    assert "不涉及国家秘密、工作秘密、商业秘密和个人隐私" in page
    unconfirmed = r.post(url, {"action": "review", "review-decision": "publish", "review-opinion": "同意"})
    assert unconfirmed.status_code == 400 and "不能发布" in unconfirmed.content.decode()
    done = r.post(
        url,
        {
            "action": "review",
            "review-decision": "publish",
            "review-confirmed": "1",
            "review-opinion": "同意公开",
        },
    )
    assert done.status_code == 302
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.PUBLISHED
    assert client.get(f"/disclosure/notices/{notice.public_id}/").status_code == 200
    r.post(url, {"action": "withdraw", "withdraw-reason": "办公时间再次调整"})
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.WITHDRAWN
    assert "已撤回" in r.get("/workbench/disclosure/?tab=withdrawn").content.decode()


def test_other_subtrees_and_administrators_get_404(client, d_orgs, d_people):
    notice = draft(d_people["clerk"], d_orgs["hz"])
    c = _as(client, d_people["nb"])
    assert c.get(f"/workbench/disclosure/{notice.public_id}/").status_code == 404
    assert c.get(f"/workbench/disclosure/{notice.public_id}/edit/").status_code == 404
    assert notice.title not in c.get("/workbench/disclosure/").content.decode()
    assert c.get("/workbench/disclosure/not-a-uuid/").status_code == 404
    admin = _as(client, d_people["sysadmin"])
    assert admin.get("/workbench/disclosure/").status_code == 404
    assert "政务公开" not in admin.get("/workbench/").content.decode()
