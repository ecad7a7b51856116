"""法律援助申请 and 法律援助异议处理, from the citizen's application to the result, through the API.

* Granted: 法律援助法 §43 — the centre decides within 7 days of *receiving* the application (not of
  accepting it) and assigns within 3 days of the decision; the result is the e-licence 法律援助决定书.
* Denied, then objected to: the denial is a sealed 不予法律援助决定书 with the reasons and the way to
  object; the citizen objects to the county bureau that set up the centre, which reviews within
  5 days of receipt (§49) — the 5th day, a Saturday, moves to Monday (民法典 §203) — and orders the
  centre to correct its decision in a sealed 法律援助异议审查决定书 copied to the centre.

Every due date is the statute's count on the 2026 calendar.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import pytest

from sifa.applications.models import Application, ApplicationStatus
from sifa.applications.tests.conftest import (
    VALID_ID,
    _media,  # noqa: F401  (autouse: uploads in the test's own folder)
)
from sifa.documents.selectors import read_pdf
from sifa.licences.models import Licence
from sifa.organisations.models import Role
from sifa.workflow.models import CaseDocumentKind
from tests.service_journeys import apply, command, entry, issue_documents, only_open, staff, travel

pytestmark = [pytest.mark.django_db]
AID = "法律援助申请"
OBJECTION = "法律援助异议处理"


def _aid_form() -> dict:
    return {
        "applicant_name": "张三",
        "id_number": VALID_ID,
        "phone": "13800000001",
        "case_kind": "civil",
        "facts": "用人单位拖欠本人八个月工资共计四万元，多次催要未果，需要申请劳动仲裁。",
    }


@pytest.fixture
def centre(world, django_user_model):
    orgs = world["orgs"]
    return {
        "clerk": staff(django_user_model, "aid-clerk", orgs["xh_aid"], Role.WINDOW_CLERK),
        "decider": staff(django_user_model, "aid-decider", orgs["xh_aid"], Role.DECISION_MAKER),
        "reviewer": staff(django_user_model, "aid-reviewer", orgs["xh_aid"], Role.REVIEWER),
    }


def _apply_for_aid(world, capture, day: dt.date) -> str:
    with travel(day):
        return apply(
            world["api"],
            capture,
            entry(AID, world["orgs"]["xh_aid"]),
            _aid_form(),
            {"means_exempt": "no", "by_agent": "no"},
        )


def test_legal_aid_granted_review_counts_from_receipt_and_assignment_from_the_decision(
    world,
    calendar,
    centre,
    django_capture_on_commit_callbacks,
):
    number = _apply_for_aid(world, django_capture_on_commit_callbacks, dt.date(2026, 11, 2))  # Monday
    application = Application.objects.get(number=number)
    assert application.status == ApplicationStatus.PENDING_ACCEPTANCE
    accept = only_open(number)
    assert (accept.task_name, accept.due_on) == ("accept", dt.date(2026, 11, 9))  # received 11-02 + 7

    with travel(dt.date(2026, 11, 4)):  # accepted two days after receipt
        command(centre["clerk"], number, "accept")
    decide = only_open(number)
    assert (decide.task_name, decide.due_on) == ("decide", dt.date(2026, 11, 9))  # not 11-04 + 7
    with travel(dt.date(2026, 11, 6)):
        body = command(centre["decider"], number, "decide", decision="approve", opinion="符合法律援助条件")
    # Legal aid is not a 行政许可: the applicant reads 准予办理, never 准予许可.
    assert (body["status"], body["status_label"]) == (ApplicationStatus.APPROVED, "准予办理")
    assign = only_open(number)
    assert (assign.task_name, assign.due_on) == ("assign", dt.date(2026, 11, 9))  # 自作出决定之日起三日内
    legal = next(c for c in body["clocks"] if c["purpose"] == "legal")
    assert legal["started_on"] == "2026-11-02" and legal["due_on"] == "2026-11-09"
    with travel(dt.date(2026, 11, 6)):
        body = command(centre["reviewer"], number, "assign", assignee="浙江某某律师事务所 王律师")
    assert body["status"] == ApplicationStatus.DELIVERED

    issue_documents()
    licence = Licence.objects.get(application=application)
    assert licence.name == "法律援助决定书" and licence.holder == world["citizen"]


def _text(document) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils (pdftotext) is not installed")
    result = subprocess.run(["pdftotext", "-", "-"], input=read_pdf(document), capture_output=True)
    return result.stdout.decode().replace("\n", "")


def test_a_denied_applicant_objects_and_the_bureau_orders_the_centre_to_correct(
    world,
    calendar,
    centre,
    django_user_model,
    django_capture_on_commit_callbacks,
):
    orgs = world["orgs"]
    number = _apply_for_aid(world, django_capture_on_commit_callbacks, dt.date(2026, 11, 2))
    with travel(dt.date(2026, 11, 3)):
        command(centre["clerk"], number, "accept")
    with travel(dt.date(2026, 11, 5)):
        denied = command(
            centre["decider"], number, "decide", decision="deny", reasons="申请人月收入高于本地经济困难标准"
        )
        assert denied["status_label"] == "不予办理"
        deliver = only_open(number)
        assert deliver.task_name == "deliver"
        command(centre["clerk"], number, "deliver", method="electronic")
    [denial] = [row.document for row in issue_documents() if row.kind == CaseDocumentKind.LEGAL_AID_DENIAL]
    mine = world["api"].get("/api/v1/me/documents/").json()
    listed = mine["results"] if isinstance(mine, dict) else mine
    assert denial.number in [d["number"] for d in listed]
    assert "杭州市西湖区司法局" in _text(denial) and "第四十九条" in _text(denial)

    # The objection: to the bureau that set up the centre (西湖区司法局), §49.
    bureau_clerk = staff(django_user_model, "xh-clerk", orgs["xh"], Role.WINDOW_CLERK)
    bureau_head = staff(django_user_model, "xh-head", orgs["xh"], Role.DECISION_MAKER)
    form = {
        "applicant_name": "张三",
        "id_number": VALID_ID,
        "phone": "13800000001",
        "decision_kind": "deny",
        "decision_number": denial.number,
        "reason": "本人申请支付劳动报酬，属于免予核查经济困难状况的人员（法律援助法第四十二条第三项）。",
    }
    with travel(dt.date(2026, 11, 9)):  # Monday
        objection = apply(
            world["api"], django_capture_on_commit_callbacks, entry(OBJECTION, orgs["xh"]), form
        )
    accept = only_open(objection)
    assert accept.organisation == orgs["xh"]
    # 自收到异议之日起五日内: 11-14 is a Saturday → Monday 11-16 (民法典 §203).
    assert accept.due_on == dt.date(2026, 11, 16)
    with travel(dt.date(2026, 11, 10)):
        command(bureau_clerk, objection, "accept")
    rule = only_open(objection)
    assert (rule.task_name, rule.role, rule.due_on) == ("rule", Role.DECISION_MAKER, dt.date(2026, 11, 16))
    with travel(dt.date(2026, 11, 12)):
        refused = command(bureau_clerk, objection, "rule", expect=403, ruling="correct", reasons="x")
        assert refused["code"] == "workflow.role_required"
        missing = command(bureau_head, objection, "rule", expect=400, ruling="correct")
        assert missing["errors"][0]["field"] == "reasons"
        body = command(
            bureau_head,
            objection,
            "rule",
            ruling="correct",
            reasons="申请人请求支付劳动报酬，依法免予核查经济困难状况，中心以收入标准不予援助不当",
        )
        assert body["status"] == ApplicationStatus.APPROVED
        assert "责令法律援助机构改正" in body["timeline"][-1]["title"]
        body = command(bureau_clerk, objection, "deliver", method="electronic")
    assert body["status"] == ApplicationStatus.DELIVERED

    [decision] = [
        row.document for row in issue_documents() if row.kind == CaseDocumentKind.OBJECTION_DECISION
    ]
    assert "援异" in decision.number and "〔2026〕" in decision.number  # 发文字号 of its kind
    text = _text(decision)
    assert "责令杭州市西湖区法律援助中心改正" in text and denial.number in text and "抄送" in text
