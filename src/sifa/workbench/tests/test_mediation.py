"""The township does real work in the workbench: the 司法所 keeps its 人民调解员名册 and handles a
人民调解申请 with forms that work without JavaScript — assign mediators, record each session,
conclude — each with a confirmation step and an error summary linked to the fields."""

from __future__ import annotations

import pytest

from sifa.applications.models import ApplicationStatus
from sifa.catalogue.services import generate_entries
from sifa.mediation.models import MediationCommittee, Mediator
from sifa.organisations.models import Role
from sifa.testing import tree
from sifa.workbench.tests import world as W
from sifa.workflow.models import CaseDocument
from sifa.workflow.services import run_command, start_case


@pytest.fixture
def town(w):
    office = tree("xh_town", on=w)["xh_town"]
    generate_entries()
    return office


@pytest.fixture
def roster(town):
    committee = MediationCommittee.objects.create(
        organisation=town, name="北山街道人民调解委员会", kind="township"
    )
    return {
        name: Mediator.objects.create(committee=committee, name=name, position="member")
        for name in ("王秀英", "张建国")
    }


@pytest.fixture
def mediation_case(town, people):
    case = W.make_case(
        W.entry_for("人民调解申请", town),
        people["citizen"],
        form_data={
            "applicant_name": "李四",
            "other_party": "王五",
            "dispute": "邻居装修噪音扰民，多次沟通未果。",
            "preferred_mediators": "王秀英",
        },
    )
    start_case(case)
    return case


def act(client, case, key, data):
    url = f"/workbench/cases/{case.number}/actions/{key}/"
    first = client.post(url, data)
    assert first.status_code == 200, first.content.decode()
    return client.post(url, {**data, "confirmed": "1"}, follow=True)


def test_the_judicial_office_mediates_through_the_case_page(login, town, roster, mediation_case):
    clerk = W.staff("town-clerk", (town, Role.WINDOW_CLERK))
    handler = W.staff("town-handler", (town, Role.REVIEWER))
    run_command(clerk, mediation_case.number, "accept", {})
    client = login(handler)
    page = client.get(f"/workbench/cases/{mediation_case.number}/").content.decode()
    for title in ("指定人民调解员", "记录调解", "结束调解"):
        assert f'<summary class="wb-action__summary">{title}</summary>' in page
    assert "中止计时" not in page  # §45 is for licensing items
    assert "申请人选择的调解员：王秀英" in page

    # Leaving out the applicant's choice without a reason: an error summary linked to the field.
    wang, zhang = roster["王秀英"], roster["张建国"]
    url = f"/workbench/cases/{mediation_case.number}/actions/assign_mediators/"
    refused = client.post(url, {"mediators": [str(zhang.pk)], "confirmed": "1"})
    html = refused.content.decode()
    assert refused.status_code == 400
    assert 'href="#id_preference_note"' in html and "申请人选择了王秀英" in html
    done = act(client, mediation_case, "assign_mediators", {"mediators": [str(wang.pk), str(zhang.pk)]})
    assert "已指定人民调解员" in done.content.decode()
    confirm = client.post(
        f"/workbench/cases/{mediation_case.number}/actions/record_session/",
        {"held_on": "2025-09-01", "place": "司法所调解室", "mediators": [str(wang.pk)],
         "parties_present": "李四、王五", "summary": "双方同意晚八点后停止施工"},
    )  # fmt: skip
    assert confirm.status_code == 200 and f'name="mediators" value="{wang.pk}"' in confirm.content.decode()
    done = act(
        client, mediation_case, "record_session",
        {"held_on": "2025-09-01", "place": "司法所调解室", "mediators": [str(wang.pk)],
         "parties_present": "李四、王五", "summary": "双方同意晚八点后停止施工"},
    )  # fmt: skip
    assert "第1次调解" in done.content.decode()

    missing = client.post(
        f"/workbench/cases/{mediation_case.number}/actions/conclude_mediation/",
        {"result": "agreement", "confirmed": "1"},
    )
    assert missing.status_code == 400 and 'href="#id_facts"' in missing.content.decode()
    done = act(
        client, mediation_case, "conclude_mediation",
        {"result": "agreement", "facts": "王五装修噪音扰民。", "terms": "王五每日20时后停止施工\n王五向李四致歉",
         "effective_on": "2025-09-01"},
    )  # fmt: skip
    html = done.content.decode()
    assert "调解已结束" in html and "达成调解协议" in html and "王五每日20时后停止施工" in html
    mediation_case.refresh_from_db()
    assert mediation_case.status == ApplicationStatus.DELIVERED
    assert CaseDocument.objects.filter(application=mediation_case, kind="mediation_agreement").exists()


def test_staff_keep_the_roster_with_plain_forms(login, town, roster, people):
    handler = W.staff("town-handler", (town, Role.REVIEWER))
    client = login(handler)
    assert client.get("/workbench/mediation/")["Location"] == f"/workbench/mediation/{town.pk}/"
    url = f"/workbench/mediation/{town.pk}/"
    page = client.get(url).content.decode()
    assert "北山街道人民调解委员会" in page and "王秀英" in page and "人民调解员名册" in page
    empty = client.post(url, {"action": "mediator", "mediator-committee": "", "mediator-name": ""})
    assert empty.status_code == 400 and "请填写人民调解员姓名" in empty.content.decode()
    committee = MediationCommittee.objects.get(organisation=town)
    added = client.post(
        url,
        {"action": "mediator", "mediator-committee": str(committee.pk), "mediator-name": "赵敏",
         "mediator-position": "appointed", "mediator-specialties": "物业纠纷"},
        follow=True,
    )  # fmt: skip
    assert "已将人民调解员赵敏登记入名册" in added.content.decode()
    wang = roster["王秀英"]
    client.post(url, {"action": "deactivate", "mediator": str(wang.pk)})
    wang.refresh_from_db()
    assert not wang.is_active
    created = client.post(
        url,
        {"action": "committee", "committee-name": "曙光社区人民调解委员会", "committee-kind": "residents"},
    )
    assert created.status_code == 302 and MediationCommittee.objects.filter(organisation=town).count() == 2

    # Staff of another city see no such page (404), and are not offered it.
    outsider = login(people["nb_reviewer"])
    assert outsider.get(url).status_code == 404


def test_the_bureau_rules_on_a_legal_aid_objection_with_a_form(login, w, people):
    """法律援助法 §49 in the workbench: the decision maker of the bureau decides 维持 or 责令改正."""
    objection = W.make_case(
        W.entry_for("法律援助异议处理", w["xh"]),
        people["citizen"],
        form_data={
            "applicant_name": "李四",
            "decision_kind": "deny",
            "reason": "本人属于免予核查经济困难状况的人员",
        },
    )
    run_command(people["xh_clerk"], objection.number, "accept", {})
    head = login(W.staff("xh-head", (w["xh"], Role.DECISION_MAKER)))
    page = head.get(f"/workbench/cases/{objection.number}/").content.decode()
    assert '<summary class="wb-action__summary">作出异议审查决定</summary>' in page
    missing = head.post(f"/workbench/cases/{objection.number}/actions/rule/", {"ruling": "uphold"})
    assert missing.status_code == 400 and 'href="#id_reasons"' in missing.content.decode()
    done = act(
        head, objection, "rule", {"ruling": "uphold", "reasons": "中心认定申请人收入超过标准，事实清楚"}
    )
    assert "已作出异议审查决定" in done.content.decode() and "维持原决定" in done.content.decode()
    assert CaseDocument.objects.filter(application=objection, kind="objection_decision").exists()
