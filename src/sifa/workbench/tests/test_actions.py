"""Every action is a form, a confirmation page, then the service; errors come back in a summary."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import time_machine

from sifa.accounts.tests import factories as account_factories
from sifa.applications.models import ApplicationStatus, CorrectionNotice, PreReviewFinding
from sifa.deadlines.models import ClockPurpose, ClockState
from sifa.organisations.models import Role
from sifa.testing.cases import issue_pending_documents
from sifa.workbench.tests import world as W
from sifa.workflow.services import run_command, start_case


def act(client, case, key, data):
    """Both steps: the form post (→ confirmation page), then the confirmed post."""
    url = f"/workbench/cases/{case.number}/actions/{key}/"
    first = client.post(url, data)
    assert first.status_code == 200, first.content.decode()
    assert "确认" in first.content.decode()
    return client.post(url, {**data, "confirmed": "1"})


def test_accept_needs_a_confirmation_then_accepts(login, people, case):
    client = login(people["hz_clerk"])
    url = f"/workbench/cases/{case.number}/actions/accept/"
    confirm = client.post(url, {"row_version": case.row_version})
    assert "确认受理" in confirm.content.decode()
    case.refresh_from_db()
    assert case.status == ApplicationStatus.PENDING_ACCEPTANCE  # nothing happens before confirming
    done = client.post(url, {"row_version": case.row_version, "confirmed": "1"}, follow=True)
    case.refresh_from_db()
    assert case.status == ApplicationStatus.ACCEPTED
    html = done.content.decode()
    assert "已受理" in html and "法定办结时限" in html  # message and the clocks now running


def test_review_without_opinion_shows_an_error_summary_linked_to_the_field(login, people, case):
    run_command(people["hz_clerk"], case.number, "accept", {})
    client = login(people["hz_reviewer"])
    response = client.post(
        f"/workbench/cases/{case.number}/actions/review/", {"outcome": "approve", "opinion": ""}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert 'href="#id_opinion"' in html and "请填写审查意见说明" in html
    assert 'aria-describedby="id_opinion-error"' in html


def test_service_errors_are_shown_with_their_message(login, people, case):
    client = login(people["hz_clerk"])
    stale = case.row_version
    colleague = W.staff("hz-clerk-2", (case.accepting_organisation, Role.WINDOW_CLERK))
    run_command(colleague, case.number, "accept", {})  # a colleague at the same window was quicker
    response = client.post(
        f"/workbench/cases/{case.number}/actions/accept/", {"row_version": stale, "confirmed": "1"}
    )
    # The accept task is gone: the page says so instead of failing.
    assert response.status_code == 302
    run_command(people["hz_reviewer"], case.number, "review", {"outcome": "approve", "opinion": "同意"})
    case.refresh_from_db()
    decider = login(people["zj_decider"])
    response = decider.post(
        f"/workbench/cases/{case.number}/actions/decide/",
        {"decision": "approve", "row_version": case.row_version - 1, "confirmed": "1"},
    )
    assert response.status_code == 409
    assert "该办件已被他人处理，请刷新后重试" in response.content.decode()


def test_accept_review_decide_deliver_through_the_pages(login, people, case):
    # The 律师执业证's holder is a verified natural person: else the licence cannot be issued and
    # 送达 waits for it (transitions.delivery_hold).
    case.applicant = account_factories.person(region_code="330106", name="李四").user
    case.save(update_fields=["applicant"])
    assert act(login(people["hz_clerk"]), case, "accept", {}).status_code == 302
    act(login(people["hz_reviewer"]), case, "review", {"outcome": "approve", "opinion": "符合条件，报省厅"})
    case.refresh_from_db()
    assert case.current_organisation.name == "浙江省司法厅"
    act(login(people["zj_decider"]), case, "decide", {"decision": "approve", "opinion": "准予"})
    case.refresh_from_db()
    assert case.status == ApplicationStatus.APPROVED
    # 送达 waits while the decision letter is being issued (待出具), then the worker issues it.
    page = login(people["zj_clerk"]).get(f"/workbench/cases/{case.number}/").content.decode()
    assert "准予行政许可决定书正在出具，出具完成后方可送达" in page
    assert f"/workbench/cases/{case.number}/actions/deliver/" not in page
    issue_pending_documents(case.number)
    act(login(people["zj_clerk"]), case, "deliver", {"method": "mail", "tracking_number": "SF1234567890"})
    case.refresh_from_db()
    assert case.status == ApplicationStatus.DELIVERED
    html = login(people["zj_clerk"]).get(f"/workbench/cases/{case.number}/").content.decode()
    assert "邮寄单号：SF1234567890" in html and "内部" in html and "符合条件，报省厅" in html


def test_refuse_needs_reasons(login, people, case):
    client = login(people["hz_clerk"])
    missing = client.post(f"/workbench/cases/{case.number}/actions/refuse/", {"reasons": ""})
    assert missing.status_code == 400 and "请填写不予受理的理由" in missing.content.decode()
    act(client, case, "refuse", {"reasons": "不属于本机关职权范围"})
    case.refresh_from_db()
    assert case.status == ApplicationStatus.NOT_ACCEPTED


def _material_ids(case) -> dict[str, int]:
    return {m.name: m.pk for m in case.version.materials.all()}


def test_request_correction_names_the_material_or_field_of_every_item(login, people, case):
    PreReviewFinding.objects.create(application=case, source="auto", code="x", message="缺少身份证复印件")
    client = login(people["hz_clerk"])
    url = f"/workbench/cases/{case.number}/actions/request_correction/"
    page = client.get(url).content.decode()
    materials = _material_ids(case)
    photo, name = next(iter(materials.items()))
    # One input per material and per form field, each labelled with what it concerns.
    assert f"材料：{photo}（需补正时填写）" in page and "申请表：" in page
    assert f'name="material_{name}"' in page
    confirm = client.post(url, {f"material_{name}": "照片不清晰", "field_0": "姓名与证件不一致"})
    assert confirm.status_code == 200 and f"材料：{photo}" in confirm.content.decode()
    act(client, case, "request_correction", {f"material_{name}": "照片不清晰", "field_0": "姓名与证件不一致"})
    case.refresh_from_db()
    assert case.status == ApplicationStatus.CORRECTION_REQUIRED
    notice = CorrectionNotice.objects.get(application=case)
    assert [(i["field"], i["message"]) for i in notice.items] == [
        ("", "缺少身份证复印件"),
        (f"materials.{name}", "照片不清晰"),
        ("applicant_name", "姓名与证件不一致"),
    ]


def test_a_correction_notice_cannot_be_sent_without_an_item(login, people, case):
    client = login(people["hz_clerk"])
    url = f"/workbench/cases/{case.number}/actions/request_correction/"
    empty = client.post(url, {})
    html = empty.content.decode()
    assert empty.status_code == 400 and "请至少在一项材料或申请表字段后填写需补正的内容" in html
    assert "确认" not in html.split("<h1", 1)[1].split("</h1>", 1)[0]  # still the form, not the confirmation
    assert not CorrectionNotice.objects.filter(application=case).exists()


def test_pre_review_finding_and_notice_before_acceptance(login, people, w):

    submitted = W.make_case(
        W.entry_for(W.LAWYER, w["hz"]), people["citizen"], status=ApplicationStatus.SUBMITTED
    )
    client = login(people["hz_clerk"])
    act(client, submitted, "add_finding", {"field": "id_number", "message": "身份证号码与证件不一致"})
    assert PreReviewFinding.objects.filter(application=submitted, source="staff").count() == 1
    act(client, submitted, "correction_notice", {"items": ""})
    submitted.refresh_from_db()
    assert submitted.status == ApplicationStatus.CORRECTION_REQUIRED


def test_suspend_and_resume_and_no_extension_where_the_lawyers_law_sets_the_limit(login, people, case):
    run_command(people["hz_clerk"], case.number, "accept", {})
    client = login(people["hz_reviewer"])
    bad = client.post(f"/workbench/cases/{case.number}/actions/suspend/", {"kind": "picnic", "reason": "x"})
    assert bad.status_code == 400 and "请选择有效的中止事由" in bad.content.decode()
    act(client, case, "suspend", {"kind": "appraisal", "reason": "委托司法鉴定"})
    case.refresh_from_db()
    assert case.status == ApplicationStatus.SUSPENDED
    later = dt.datetime(2025, 9, 5, 10, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(later, tick=False):
        client = login(people["hz_reviewer"])  # the idle session of four days ago has expired
        act(client, case, "resume", {})
        case.refresh_from_db()
        assert case.status == ApplicationStatus.ACCEPTED
    html = client.get(f"/workbench/cases/{case.number}/").content.decode()
    assert "鉴定：2025-09-01 至 2025-09-05" in html
    # 律师法 §6 sets the limits itself: no §42 extension is offered (nor accepted).
    assert "延长办理期限" not in html
    refused = client.post(
        f"/workbench/cases/{case.number}/actions/extend/", {"approved_by": "王局长", "reason": "情况复杂"}
    )
    assert refused.status_code == 302 and refused["Location"] == f"/workbench/cases/{case.number}/"
    assert not ClockState.objects.get(subject_id=str(case.pk), purpose=ClockPurpose.LEGAL).extensions


def test_the_deciding_province_extends_its_own_stage_once(login, people, w):
    appraiser = W.make_case(W.entry_for("司法鉴定人执业登记", w["hz"]), people["citizen"])
    start_case(appraiser)
    run_command(people["hz_clerk"], appraiser.number, "accept", {})
    city_page = login(people["hz_reviewer"]).get(f"/workbench/cases/{appraiser.number}/").content.decode()
    assert "延长办理期限" not in city_page  # the city's review (行政许可法 §43) is not extended
    run_command(
        people["hz_reviewer"], appraiser.number, "review", {"outcome": "approve", "opinion": "报省厅"}
    )
    client = login(people["zj_decider"])
    assert "延长办理期限" in client.get(f"/workbench/cases/{appraiser.number}/").content.decode()
    act(client, appraiser, "extend", {"approved_by": "王厅长", "reason": "情况复杂"})
    legal = ClockState.objects.get(subject_id=str(appraiser.pk), purpose=ClockPurpose.LEGAL)
    assert legal.extensions[0]["approved_by"] == "王厅长"
    html = client.get(f"/workbench/cases/{appraiser.number}/").content.decode()
    assert "批准人：王厅长" in html
    assert "延长办理期限" not in html  # only once (行政许可法 §42)
