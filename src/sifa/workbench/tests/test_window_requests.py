"""What a walk-in without an account asks of the window besides filing: to withdraw the application
before acceptance (撤回申请), and a copy of who used their data (数据使用记录查阅, 个人信息保护法第四十五条),
which the police-check consent promises them. Django test client, no JavaScript."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from sifa.accounts.models import NaturalPerson
from sifa.accounts.services import walk_in_person
from sifa.applications.models import Application, ApplicationStatus
from sifa.applications.services.reads import record_staff_read
from sifa.applications.tests.conftest import id_number
from sifa.audit.models import AccessKind, AuditEvent, PersonalDataAccess, Visibility
from sifa.audit.selectors import my_access_log
from sifa.audit.services import record_disclosure
from sifa.core.errors import Conflict
from sifa.organisations.models import Role
from sifa.organisations.scope import actor_for
from sifa.workbench.tests import world as W
from sifa.workbench.tests.test_window import WALK_IN_ID, _html, _start, _walk_through

pytestmark = [pytest.mark.django_db, pytest.mark.slow(seconds=60)]

URL = "/workbench/window/data-use/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PUBLIC_URL = "https://sifa.example.cn"


@pytest.fixture
def clerk(w, login):
    """A window clerk at 西湖区司法局, below the city (杭州市司法局) that accepts 律师执业许可."""
    user = W.staff("xh-window", (w["xh"], Role.WINDOW_CLERK))
    return user, login(user)


def _submitted(client, w, user) -> Application:
    assert _start(client, w).status_code == 302
    app = Application.objects.get(submitted_by=user)
    _walk_through(client, app)
    assert client.post(f"/workbench/window/{app.pk}/check/").status_code == 302
    app.refresh_from_db()
    return app


# --- 撤回申请 ------------------------------------------------------------------------------------


def test_the_window_withdraws_a_walk_in_before_acceptance_with_a_reason_and_a_confirmation(w, clerk):
    user, client = clerk
    app = _submitted(client, w, user)
    url = f"/workbench/window/{app.pk}/withdraw/"
    receipt = _html(client.get(f"/workbench/window/{app.pk}/receipt/"))
    assert url in receipt and url in _html(client.get("/workbench/window/"))
    page = _html(client.get(url))
    assert "撤回理由" in page and 'for="id_reason"' in page and "下一步：确认撤回" in page
    # No reason: the error on the page, nothing written.
    empty = client.post(url, {"reason": "   "})
    assert empty.status_code == 400 and "请填写撤回理由" in _html(empty)
    assert 'href="#id_reason"' in _html(empty)
    # The reason: a confirmation page repeating it; still nothing written.
    confirm = client.post(url, {"reason": "申请人 决定暂不申请"})
    assert confirm.status_code == 200
    page = _html(confirm)
    assert "确认撤回申请" in page and "申请人 决定暂不申请" in page and 'name="confirmed" value="1"' in page
    app.refresh_from_db()
    assert app.status == ApplicationStatus.SUBMITTED
    # 返回修改: the form again, filled in.
    edit = _html(client.post(url, {"reason": "申请人 决定暂不申请", "edit": "1"}))
    assert "下一步：确认撤回" in edit and "申请人 决定暂不申请" in edit
    done = client.post(url, {"reason": "申请人 决定暂不申请", "confirmed": "1"})
    assert done.status_code == 302 and done["Location"] == f"/workbench/window/{app.pk}/receipt/"
    app.refresh_from_db()
    assert app.status == ApplicationStatus.WITHDRAWN and app.closed_at is not None
    event = AuditEvent.objects.get(action="application.withdraw", object_id=app.number)
    assert event.actor == user and event.detail == {"reason": "申请人 决定暂不申请"}
    assert app.timeline.filter(event="withdrawn", detail="撤回理由：申请人 决定暂不申请").exists()
    # The receipt says so and offers no further command; the withdraw page sends it back there.
    receipt = _html(client.get(f"/workbench/window/{app.pk}/receipt/"))
    assert "已撤回" in receipt and url not in receipt and "录入补正材料" not in receipt
    assert url not in _html(client.get("/workbench/window/"))
    again = client.post(url, {"reason": "再次", "confirmed": "1"})
    assert again.status_code == 302 and again["Location"].endswith("/receipt/")
    assert AuditEvent.objects.filter(action="application.withdraw").count() == 1


def test_a_withdrawal_in_pending_acceptance_takes_the_acceptance_task_off_the_worklist(w, clerk):
    """The case starts for its acceptance once pre-review ends (``start_case``: the acceptance work
    item on the window's worklist); withdrawn before acceptance, it is ended as the case command
    撤回申请 ends one after: no open task, the process completed."""
    from sifa.workflow.models import ProcessInstance, WorkItem, WorkItemStatus
    from sifa.workflow.services import start_case

    user, client = clerk
    app = _submitted(client, w, user)
    start_case(app)
    assert WorkItem.objects.filter(application=app, status=WorkItemStatus.OPEN).exists()
    url = f"/workbench/window/{app.pk}/withdraw/"
    assert client.post(url, {"reason": "申请人另行申请", "confirmed": "1"}).status_code == 302
    app.refresh_from_db()
    assert app.status == ApplicationStatus.WITHDRAWN
    assert not WorkItem.objects.filter(application=app, status=WorkItemStatus.OPEN).exists()
    assert ProcessInstance.objects.get(application=app).completed
    assert "已撤回" in _html(client.get(f"/workbench/window/{app.pk}/receipt/"))  # the message shown
    assert app.number not in _html(client.get("/workbench/"))


def test_an_accepted_walk_in_is_not_withdrawn_at_the_window(w, clerk):
    from sifa.applications import services

    user, client = clerk
    app = _submitted(client, w, user)
    Application.objects.filter(pk=app.pk).update(status=ApplicationStatus.ACCEPTED)
    url = f"/workbench/window/{app.pk}/withdraw/"
    assert client.get(url)["Location"].endswith("/receipt/")
    assert client.post(url, {"reason": "不办了", "confirmed": "1"})["Location"].endswith("/receipt/")
    assert url not in _html(client.get(f"/workbench/window/{app.pk}/receipt/"))
    app.refresh_from_db()
    assert app.status == ApplicationStatus.ACCEPTED
    with pytest.raises(Conflict) as refused:
        services.withdraw(app, user, reason="不办了")
    assert refused.value.code == "application.withdraw_after_acceptance"
    assert not AuditEvent.objects.filter(action="application.withdraw").exists()


def test_another_window_cannot_withdraw_the_walk_in(w, clerk, login):
    user, client = clerk
    app = _submitted(client, w, user)
    ningbo = login(W.staff("nb-window", (w["nb"], Role.WINDOW_CLERK)))
    url = f"/workbench/window/{app.pk}/withdraw/"
    assert ningbo.get(url).status_code == 404
    assert ningbo.post(url, {"reason": "x", "confirmed": "1"}).status_code == 404
    app.refresh_from_db()
    assert app.status == ApplicationStatus.SUBMITTED


# --- 数据使用记录查阅 ----------------------------------------------------------------------------


def _police_check(person, organisation, *, visibility=Visibility.PUBLIC, subject=None, message="MSG-1"):
    """A row as ``partner_data._track`` writes it for a police check of a walk-in."""
    return record_disclosure(
        subject=subject,
        subject_ref=str(person.pk),
        object_type="accounts.NaturalPerson",
        receiver="杭州市公安局",
        purpose="身份核验（核对姓名与公民身份号码），申请“律师执业许可”",
        legal_basis="律师法第五条；申请人同意（个人信息保护法第十三条第一款第一项、第十四条）",
        organisation=organisation,
        scope_path=organisation.path,
        case_number="CASE-1",
        message_id=message,
        kind=AccessKind.DISCLOSURE,
        visibility=visibility,
    )


def _ask(client, name="王五", number=WALK_IN_ID, **more):
    return client.post(
        URL, {"kind": "person", "name": name, "id_number": number, "reason": "本人到窗口申请", **more}
    )


def test_the_window_prints_a_walk_ins_data_use_record_and_the_copy_is_logged(w, clerk):
    user, client = clerk
    app = _submitted(client, w, user)
    person = app.applicant_person
    assert person.user is None  # a walk-in without an account
    _police_check(person, w["hz"])
    _police_check(person, w["hz"], visibility=Visibility.RESTRICTED, message="MSG-SECRET")
    start = _html(client.get("/workbench/window/"))
    assert URL in start
    form = _html(client.get(URL))
    assert 'for="id_name"' in form and "申请事由" in form and "个人信息保护法第四十五条" in form
    page = _html(_ask(client))
    for text in (
        "个人信息使用记录",
        "杭州市公安局",
        "MSG-1",
        "CASE-1",
        "律师法第五条",
        person.id_number_masked,
    ):
        assert text in page, text
    assert "MSG-SECRET" not in page  # restricted rows are not the subject's to see
    assert WALK_IN_ID not in page.split("<article")[1].split("</article>")[0]  # masked on paper
    # A staff read of the case (subject_ref: its number, subject: none) is the walk-in's row too.
    reviewer = W.staff("hz-reviewer-reads", (w["hz"], Role.REVIEWER))
    record_staff_read(reviewer, actor_for(reviewer), app, what="查看预审意见")
    page = _html(_ask(client))
    assert f"办理“{app.version.item.name}”申请：查看预审意见" in page
    read = PersonalDataAccess.objects.filter(reader=user, subject_ref=str(person.pk)).first()
    assert PersonalDataAccess.objects.filter(reader=user, subject_ref=str(person.pk)).count() == 2
    assert read.purpose == "本人到窗口申请：查阅数据使用记录（个人信息保护法第四十五条）"
    assert read.object_type == "accounts.NaturalPerson" and read.reader_organisation == w["xh"]
    # The PDF copy: a real PDF, logged again as a printed copy.
    pdf = _ask(client, format="pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and pdf["Content-Disposition"].startswith("attachment")
    assert PersonalDataAccess.objects.filter(
        reader=user, subject_ref=str(person.pk), purpose__contains="打印数据使用记录副本"
    ).exists()


def test_another_countys_clerk_and_a_forged_identity_see_nothing(w, clerk, login):
    user, client = clerk
    app = _submitted(client, w, user)
    person = app.applicant_person
    _police_check(person, w["hz"])
    before = PersonalDataAccess.objects.count()
    # A wrong name for a real number, and an unknown (valid) number: the same answer, nothing logged.
    for answer in (_ask(client, name="王六"), _ask(client, number=id_number("33010619800101002"))):
        assert answer.status_code == 404
        assert "在您的管辖范围内没有与该姓名（名称）和证件号码相符的数据使用记录" in _html(answer)
    # A wrong check digit: the field's error, never a 500.
    bad = WALK_IN_ID[:-1] + ("0" if WALK_IN_ID[-1] != "0" else "1")
    answer = _ask(client, number=bad)
    assert answer.status_code == 400 and 'href="#id_id_number"' in _html(answer)
    for body in ({}, {"kind": "robot"}, {"kind": "company", "name": "某公司", "uscc": "123", "reason": "x"}):
        assert client.post(URL, body).status_code == 400
    assert PersonalDataAccess.objects.count() == before
    # 宁波's window: the same person, nothing in its jurisdiction, the same answer as nobody.
    ningbo = login(W.staff("nb-window", (w["nb"], Role.WINDOW_CLERK)))
    answer = _ask(ningbo)
    assert answer.status_code == 404 and "杭州市公安局" not in _html(answer)
    assert PersonalDataAccess.objects.count() == before
    # A reviewer (no window, no supervision) has no such page at all.
    reviewer = login(W.staff("hz-reviewer-only", (w["hz"], Role.REVIEWER)))
    assert reviewer.get(URL).status_code == 404 and _ask(reviewer).status_code == 404


def test_a_supervisor_of_the_organisation_prints_it_too(w, clerk, login):
    user, client = clerk
    person = _submitted(client, w, user).applicant_person
    _police_check(person, w["hz"])
    supervisor = login(W.staff("hz-supervisor", (w["hz"], Role.SUPERVISOR)))
    assert URL in _html(supervisor.get("/workbench/"))  # in the menu
    page = _html(_ask(supervisor))
    assert "杭州市公安局" in page and "返回窗口受理" not in page


def test_a_citizen_with_an_account_still_sees_the_rows_and_the_lookup_in_their_own_log(w, clerk, login):
    user, client = clerk
    number = id_number("33010619850505003")
    # A person on record with an account (the test's shortcut: the record joined to a login).
    recorded = walk_in_person(name="赵六", id_number=number, organisation=w["hz"])
    NaturalPerson.objects.filter(pk=recorded.pk).update(user=W.citizen("zhao-liu"))
    person = NaturalPerson.objects.select_related("user").get(pk=recorded.pk)
    _police_check(person, w["hz"], subject=person.user)
    page = _html(_ask(client, name="赵六", number=number))
    assert "杭州市公安局" in page
    mine = list(my_access_log(person.user))
    assert {row.receiver for row in mine} >= {"杭州市公安局"}
    assert any("查阅数据使用记录" in row.purpose and row.reader_id == user.pk for row in mine)
    api = APIClient()
    api.force_authenticate(person.user)
    answer = api.get("/api/v1/me/access-log/")
    assert answer.status_code == 200
    purposes = [row["purpose"] for row in answer.json()["results"]]
    assert any("查阅数据使用记录" in p for p in purposes)
