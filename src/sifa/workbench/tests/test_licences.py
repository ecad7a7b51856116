"""The licence pages of the workbench: list and detail for decision makers in their jurisdiction, and
each action form: form → confirmation page (nothing changed yet) → confirmed → the licence changed."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from sifa.accounts.services import register_person
from sifa.core.identifiers import id_number_check_digit, make_uscc
from sifa.core.signing import KeyRing
from sifa.licences import services
from sifa.licences.models import Licence, LicenceType
from sifa.licences.pdf import StoredPdf
from sifa.organisations.models import Organisation, OrganisationKind, Region, Role
from sifa.workbench.tests import world as W

_counter = itertools.count(1)
ISSUED = dt.date.today() - dt.timedelta(days=30)
CITIZEN_ID = "33010619880808123" + id_number_check_digit("33010619880808123")


@pytest.fixture(autouse=True)
def ring(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    keys = KeyRing(tmp_path / "signing", generate=True)
    monkeypatch.setattr("sifa.licences.payload.default_keyring", lambda: keys)
    # The PDF pipeline has its own tests; these are about the pages.
    monkeypatch.setattr("sifa.licences.pdf.render_and_seal", lambda licence: StoredPdf("", "", b"", ""))


def _org(
    name: str, kind: str, level: int, region: Region | None, parent: Organisation | None
) -> Organisation:
    org = Organisation.objects.create(
        name=name, kind=kind, level=level, region=region, parent=parent, path=f"/lic{next(_counter)}/",
        uscc=make_uscc("1", "1", region.code if region else "100000", f"L{next(_counter):07d}"),
    )  # fmt: skip
    org.path = (parent.path if parent else "/") + f"{org.pk}/"
    org.save(update_fields=["path"])
    return org


@pytest.fixture
def tree(db) -> dict[str, Organisation]:
    zj = Region.objects.create(code="330000", name="浙江省", level=1, vintage="test")
    bj = Region.objects.create(code="110000", name="北京市", level=1, vintage="test")
    hz = Region.objects.create(code="330100", name="杭州市", level=2, parent=zj, vintage="test")
    Region.objects.create(code="330106", name="西湖区", level=3, parent=hz, vintage="test")
    o = {"ministry": _org("中华人民共和国司法部", OrganisationKind.MINISTRY, 1, None, None)}
    o["zj"] = _org("浙江省司法厅", OrganisationKind.BUREAU, 2, zj, o["ministry"])
    o["bj"] = _org("北京市司法局", OrganisationKind.BUREAU, 2, bj, o["ministry"])
    services.load_licence_types()
    return o


@pytest.fixture
def who(tree) -> dict:
    citizen = register_person(
        name="张三", id_number=CITIZEN_ID, phone="13900000001", password=W.PASSWORD, region_code="330106"
    ).user
    return {
        "citizen": citizen,
        "decider": W.staff("lic-decider", (tree["zj"], Role.DECISION_MAKER)),
        "clerk": W.staff("lic-clerk", (tree["zj"], Role.WINDOW_CLERK)),
        "bj_decider": W.staff("lic-bj", (tree["bj"], Role.DECISION_MAKER)),
    }


@pytest.fixture
def licence(tree, who) -> Licence:
    return services.issue_licence(
        LicenceType.objects.get(key="lawyer_licence"), who["citizen"], tree["zj"], actor=None, with_pdf=False,
        issue_date=ISSUED, valid_from=ISSUED, particulars={"practice_organisation": "浙江示例律师事务所"},
    )  # fmt: skip


@pytest.fixture
def login(client):
    def as_(user):
        W.verified_login(client, user)
        return client

    return as_


def test_the_list_shows_my_jurisdiction_with_masked_holders_and_filters(login, who, licence):
    client = login(who["decider"])
    html = client.get("/workbench/licences/").content.decode()
    assert licence.number in html and "张*" in html and "张三" not in html
    assert CITIZEN_ID not in html
    assert licence.number in client.get("/workbench/licences/", {"holder_code": CITIZEN_ID}).content.decode()
    assert licence.number not in client.get("/workbench/licences/", {"status": "revoked"}).content.decode()
    bad = client.get("/workbench/licences/", {"holder_code": "123"})
    assert bad.status_code == 400 and "持证主体代码应为有效的18位公民身份号码" in bad.content.decode()
    assert licence.number not in login(who["bj_decider"]).get("/workbench/licences/").content.decode()


def test_only_deciders_in_jurisdiction_see_a_licence(login, who, licence):
    page = login(who["decider"]).get(f"/workbench/licences/{licence.identifier}/")
    assert (
        page.status_code == 200
        and "张三" in page.content.decode()
        and "下一步：确认吊销" in page.content.decode()
    )
    assert login(who["clerk"]).get("/workbench/licences/").status_code == 404
    assert login(who["bj_decider"]).get(f"/workbench/licences/{licence.identifier}/").status_code == 404
    assert login(who["decider"]).get("/workbench/licences/1.2.156.bad/").status_code == 404


ACTIONS = [
    ("revoke", {"reason": "因违法执业吊销"}, "revoked"),
    ("cancel", {"reason": "本人申请注销"}, "cancelled"),
    (
        "suspend",
        {"reason": "停止执业三个月", "until": str(timezone.localdate() + dt.timedelta(days=90))},
        "suspended",
    ),
    ("reinstate", {"reason": "停止执业期满"}, "valid"),
    ("reissue", {"reason": "变更执业机构后换发", "practice_organisation": "浙江新律师事务所"}, "reissue"),
    ("replace", {"reason": "证书遗失补办"}, "replacement"),
    ("change", {"reason": "持证人更名", "holder_name": "张三丰"}, "change"),
]


@pytest.mark.parametrize(("action", "answers", "outcome"), ACTIONS, ids=[a[0] for a in ACTIONS])
def test_each_action_form_confirms_before_it_changes_the_licence(
    login, who, licence, action, answers, outcome
):
    if action == "reinstate":
        services.suspend(licence, actor=None, reason="停止执业")
    client = login(who["decider"])
    url = f"/workbench/licences/{licence.identifier}/actions/{action}/"
    form = client.get(url)
    assert form.status_code == 200 and 'for="id_reason"' in form.content.decode()
    confirm = client.post(url, answers)
    assert confirm.status_code == 200 and "确认" + services.ACTION_LABELS[action] in confirm.content.decode()
    assert answers["reason"] in confirm.content.decode()
    before = Licence.objects.get(pk=licence.pk).status
    done = client.post(url, {**answers, "confirmed": "1"})
    assert done.status_code == 302
    if action in services.STATUS_ACTIONS:
        assert before != outcome and Licence.objects.get(pk=licence.pk).status == outcome
        assert done["Location"].endswith(f"/workbench/licences/{licence.identifier}/")
    else:
        new = Licence.objects.get(previous=licence)
        assert new.version == 2 and new.issue_kind == outcome
        assert Licence.objects.get(pk=licence.pk).status == "superseded"
        assert done["Location"].endswith(f"/workbench/licences/{new.identifier}/")
    assert "已" + services.ACTION_LABELS[action] in client.get(done["Location"]).content.decode()


def test_a_missing_reason_and_a_refused_date_come_back_in_the_error_summary(login, who, licence):
    client = login(who["decider"])
    url = f"/workbench/licences/{licence.identifier}/actions/revoke/"
    empty = client.post(url, {"reason": ""})
    assert empty.status_code == 400 and 'href="#id_reason"' in empty.content.decode()
    future = str(timezone.localdate() + dt.timedelta(days=3))
    refused = client.post(url, {"reason": "吊销", "effective_date": future, "confirmed": "1"})
    assert refused.status_code == 400 and "生效日期不能晚于今天" in refused.content.decode()
    assert 'href="#id_effective_date"' in refused.content.decode()
    assert Licence.objects.get(pk=licence.pk).status == "valid"


def test_an_action_the_status_no_longer_allows_goes_back_to_the_licence(login, who, licence):
    services.revoke(licence, actor=None, reason="吊销")
    client = login(who["decider"])
    response = client.post(
        f"/workbench/licences/{licence.identifier}/actions/suspend/", {"reason": "x", "confirmed": "1"}
    )
    assert response.status_code == 302
    assert "该操作当前不可办理" in client.get(response["Location"]).content.decode()
