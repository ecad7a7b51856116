"""Every licensing item a citizen or company can apply for, from the application to its result.

Each journey goes through the public API as the applicant does (draft, materials, submit; the
automatic pre-review starts the process), then through every stage of the item's process with the
staff of the organisation each task is assigned to, in 2026 on the official working-day calendar.
Each work item's due date must be the statute's count from the day its stage began (律师法 §6, §18;
行政许可法 §42–§44; 管理办法 §12; 条例 §9 in months, counted from receipt), and the legal clock
must be the item's own limit. The end: the licence issued (by the right organisation), re-issued as
a new version (变更) or cancelled (注销), and the sealed decision letter with the right title.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import chinese_calendar
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sifa import testing
from sifa.applications.models import Application, ApplicationStatus
from sifa.applications.tests.conftest import PDF, id_number
from sifa.catalogue.models import ImplementationEntry
from sifa.core.identifiers import make_uscc
from sifa.deadlines import db_calendar
from sifa.deadlines.calendar import corresponding_day
from sifa.deadlines.models import ClockPurpose, ClockState
from sifa.documents.sealing import verify_sealed_pdf
from sifa.documents.selectors import read_pdf
from sifa.licences.models import Licence, LicenceStatus
from sifa.licences.services import issue_licence
from sifa.licences.types import type_for
from sifa.organisations.models import Role
from sifa.testing import CompanyFactory, PersonFactory, api_client, load_catalogue, rolled_back
from sifa.testing.clock import SHANGHAI, travel, working_days_after  # noqa: F401
from sifa.workflow.models import CaseDocument, CaseDocumentKind, WorkItem, WorkItemStatus

pytestmark = [pytest.mark.django_db, pytest.mark.slow(seconds=30)]
API = "/api/v1/applications"
SUBMITTED_ON = dt.date(2026, 2, 27)
ACCEPTED_ON = dt.date(2026, 3, 2)
PERSON_ID = id_number("33010619880808123")


def months_after(start: dt.date, n: int) -> dt.date:
    """民法典 §202/§203: the corresponding day, moved to the next working day."""
    day = corresponding_day(start, n)
    while not chinese_calendar.is_workday(day):
        day += dt.timedelta(days=1)
    return day


WD, MONTHS = "working_days", "months"


def due(start: dt.date, limit: tuple[str, int] | None) -> dt.date | None:
    if limit is None:
        return None
    unit, value = limit
    return working_days_after(start, value) if unit == WD else months_after(start, value)


@dataclass(frozen=True)
class Step:
    task: str
    at: str  # the organisation (key of the world) the task is assigned to
    limit: tuple[str, int] | None  # the stage's statutory limit, counted from the day it began
    not_counted: bool = False  # 行政许可法 §45: the legal clock stands still during this stage


@dataclass(frozen=True)
class Journey:
    item: str
    entry_at: str
    applicant: str  # "person" or "company"
    form: dict
    route: tuple[Step, ...]
    legal: tuple[str, int]
    result: str  # "issue" / "reissue" / "cancel"
    licence: str = ""  # the licence type name in the result
    issuer: str = ""  # who issues (or issued) it
    answers: dict = field(default_factory=dict)
    holds: str = ""  # licence type key the applicant holds before applying (变更/注销)
    from_receipt: bool = False  # the limit counts from receipt of the application (条例 §9)


PERSON_FORM = {
    "applicant_name": "王五",
    "id_number": PERSON_ID,
    "phone": "13900000021",
    "address": "杭州市西湖区北山街道2号",
}
COMPANY_FORM = {
    "organisation_name": "浙江明法律师事务所",
    "contact_name": "赵六",
    "phone": "13900000022",
    "address": "杭州市西湖区文三路2号",
}
LAWYER_FORM = {**PERSON_FORM, "law_firm": "浙江明法律师事务所", "qualification_number": "A20191234567"}
CITY_TO_PROVINCE = (
    Step("accept", "hz", None),
    Step("city_review", "hz", (WD, 20)),
    Step("province_decide", "zj", (WD, 10)),
    Step("deliver", "zj", (WD, 10)),
)
CHANGE_ROUTE = (
    Step("accept", "hz", None),
    Step("lower_review", "hz", (WD, 20)),
    Step("decide", "zj", (WD, 20)),
    Step("deliver", "zj", (WD, 10)),
)
CANCEL_ROUTE = (*CHANGE_ROUTE[:3], Step("deliver", "zj", None))

JOURNEYS = [
    Journey(
        "律师执业许可（专职律师执业）", "hz", "person", LAWYER_FORM, CITY_TO_PROVINCE, (WD, 30),
        "issue", "律师执业证", "zj",
    ),
    Journey(
        "律师执业许可（兼职律师执业）", "hz", "person", LAWYER_FORM, CITY_TO_PROVINCE, (WD, 30),
        "issue", "律师执业证", "zj",
    ),
    Journey(
        "律师执业变更许可（变更执业机构）", "hz", "person", {**PERSON_FORM, "law_firm": "浙江新律师事务所"},
        CHANGE_ROUTE, (WD, 40), "reissue", "律师执业证", "zj", holds="lawyer_licence",
    ),
    Journey(
        "律师执业注销", "hz", "person", {**PERSON_FORM, "cancel_reason": "不再从事律师职业"},
        CANCEL_ROUTE, (WD, 40), "cancel", "律师执业证", "zj", holds="lawyer_licence",
    ),
    Journey(
        "律师事务所设立许可", "hz", "company", COMPANY_FORM,
        (
            Step("accept", "hz", None),
            Step("city_review", "hz", (WD, 20)),
            Step("association_check", "hz", (WD, 20)),
            Step("province_decide", "zj", (WD, 10)),
            Step("deliver", "zj", (WD, 10)),
        ),
        (WD, 30), "issue", "律师事务所执业许可证", "zj", answers={"firm_form": "partnership"},
    ),
    Journey(
        "律师事务所分所设立许可", "hz", "company", COMPANY_FORM,
        (
            Step("accept", "hz", None),
            Step("city_review", "hz", (WD, 20)),
            Step("association_check", "hz", (WD, 20)),
            Step("province_decide", "zj", (WD, 10)),
            Step("deliver", "zj", (WD, 10)),
        ),
        (WD, 30), "issue", "律师事务所分所执业许可证", "zj",
    ),
    Journey(
        "律师事务所变更许可", "hz", "company",
        {**COMPANY_FORM, "change_description": "变更名称和负责人", "new_name": "浙江明正律师事务所",
         "new_principal": "钱七"},
        CHANGE_ROUTE, (WD, 40), "reissue", "律师事务所执业许可证", "zj", holds="law_firm_licence",
    ),
    Journey(
        "律师事务所注销", "hz", "company", {**COMPANY_FORM, "termination_reason": "合伙人决定解散"},
        CANCEL_ROUTE, (WD, 40), "cancel", "律师事务所执业许可证", "zj", holds="law_firm_licence",
    ),
    Journey(
        "特许律师执业许可", "ministry", "person", {**PERSON_FORM, "law_firm": "浙江明法律师事务所"},
        (
            Step("accept", "ministry", None),
            Step("assessment", "ministry", None, not_counted=True),
            Step("decide", "ministry", (WD, 20)),
            Step("deliver", "ministry", (WD, 10)),
        ),
        (WD, 20), "issue", "律师执业证", "ministry",
    ),
    Journey(
        "公证员执业许可（任职）", "xh", "person", PERSON_FORM,
        (
            Step("accept", "xh", None),
            Step("local_review", "xh", (WD, 20)),
            Step("province_review", "zj", (WD, 20)),
            Step("ministry_decide", "ministry", (WD, 20)),
            Step("deliver", "zj", (WD, 10)),
        ),
        (WD, 60), "issue", "公证员执业证", "zj",
    ),
    Journey(
        "公证机构设立审批", "xh", "company", COMPANY_FORM,
        (
            Step("accept", "xh", None),
            Step("lower_review", "xh", (WD, 20)),
            Step("decide", "zj", (WD, 20)),
            Step("deliver", "zj", (WD, 10)),
        ),
        (WD, 40), "issue", "公证机构执业证书", "zj",
    ),
    Journey(
        "司法鉴定机构登记", "hz", "company", COMPANY_FORM, CHANGE_ROUTE, (WD, 40),
        "issue", "司法鉴定许可证", "zj",
    ),
    Journey(
        "司法鉴定人执业登记", "hz", "person", PERSON_FORM,
        (
            Step("accept", "hz", None),
            Step("city_review", "hz", (WD, 20)),
            Step("province_decide", "zj", (WD, 20)),
            Step("deliver", "zj", None),
        ),
        (WD, 40), "issue", "司法鉴定人执业证", "zj",
    ),
    Journey(
        "基层法律服务工作者执业核准", "xh", "person", PERSON_FORM,
        (
            Step("accept", "xh", None),
            Step("lower_review", "xh", (WD, 20)),
            Step("decide", "hz", (WD, 20)),
            Step("deliver", "hz", (WD, 10)),
        ),
        (WD, 40), "issue", "基层法律服务工作者执业证", "hz",
    ),
    Journey(
        "法律职业资格认定", "hz", "person", PERSON_FORM,
        (
            Step("accept", "hz", None),
            Step("city_review", "hz", (WD, 20)),
            Step("province_check", "zj", (WD, 20)),
            Step("ministry_decide", "ministry", (WD, 20)),
            Step("deliver", "hz", (WD, 10)),
        ),
        (WD, 60), "issue", "法律职业资格证书", "ministry", answers={"relaxed_area": "no"},
    ),
    Journey(
        "外国律师事务所驻华代表机构设立许可", "zj", "company", COMPANY_FORM,
        (
            Step("accept", "zj", None),
            Step("province_review", "zj", (MONTHS, 3)),
            Step("ministry_decide", "ministry", (MONTHS, 6)),
            Step("deliver", "ministry", (WD, 10)),
        ),
        (MONTHS, 9), "issue", "外国律师事务所驻华代表机构执业执照", "ministry", from_receipt=True,
    ),
]  # fmt: skip


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The workflow test tree (司法部 → 浙江 → 杭州 → 西湖区 …) with the catalogue, the 2026 calendar,
    a window clerk, a reviewer and a decision maker at every bureau, a citizen and a law firm."""
    from sifa.deadlines.services import seed_calendar
    from sifa.workflow.tests.conftest import build_world

    with rolled_back(django_db_blocker):
        orgs = build_world()
        load_catalogue()
        seed_calendar(2026, 2026)
        staff = {}
        for key in ("ministry", "zj", "hz", "xh"):
            for role in (Role.WINDOW_CLERK, Role.REVIEWER, Role.DECISION_MAKER):
                staff[(orgs[key].pk, role)] = testing.staff(f"{key}-{role}", orgs[key], role, scope_path="")
        person = PersonFactory(name="王五", id_number=PERSON_ID, phone="13900000021", region_code="330106")
        company = CompanyFactory(
            name="浙江明法律师事务所", uscc=make_uscc("3", "1", "330106", "MA2JRN81"),
            legal_representative="赵六", phone="13900000022",
        )  # fmt: skip
        yield {"orgs": orgs, "staff": staff, "person": person.user, "company": company.user}


_client = api_client


@pytest.fixture
def worker(monkeypatch, settings, tmp_path):
    """Owed documents are issued as the worker would, at the real time (after the journey's travel,
    so the signing keys and seal certificates made now are valid for them)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    owed: list[int] = []
    monkeypatch.setattr("sifa.workflow.tasks.enqueue_issue", owed.append)
    db_calendar.forget()
    yield owed
    db_calendar.forget()


def _apply(journey: Journey, applicant, entry: ImplementationEntry, capture) -> str:
    api = _client(applicant)
    response = api.post(
        f"{API}/drafts/",
        {
            "entry": entry.implementation_code,
            "form_data": journey.form,
            "situation_answers": journey.answers,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    draft = response.json()
    for material in draft["materials"]:
        if material["requested"] and material["necessity"] == "required":
            upload = api.post(
                f"{API}/{draft['id']}/materials/",
                {
                    "material": str(material["material"]),
                    "file": SimpleUploadedFile("证明.pdf", PDF, "application/pdf"),
                },
                format="multipart",
            )
            assert upload.status_code == 201, upload.json()
    with capture(execute=True):
        submitted = api.post(f"{API}/{draft['id']}/submit/", HTTP_IDEMPOTENCY_KEY=f"journey-{draft['id']}")
    assert submitted.status_code == 201, submitted.json()
    return submitted.json()["number"]


COMMANDS = {
    "accept": ("accept", {}),
    "review": ("review", {"outcome": "approve", "opinion": "符合条件"}),
    "decide": ("decide", {"decision": "approve", "opinion": "准予"}),
    "deliver": ("deliver", {"method": "electronic"}),
}


def _legal_due(application: Application) -> dt.date | None:
    return ClockState.objects.get(subject_id=str(application.pk), purpose=ClockPurpose.LEGAL).due_on


def _legal_paused(application: Application) -> bool:
    return (
        ClockState.objects.get(subject_id=str(application.pk), purpose=ClockPurpose.LEGAL).to_clock().paused
    )


def _walk(journey: Journey, world, number: str, capture, worker: list[int]) -> None:
    """Every step of the route on its own working day: the task is open at the right organisation
    with the right due date; its staff member completes it through the API."""
    orgs, application = world["orgs"], Application.objects.get(number=number)
    opened: dict[str, dt.date] = {"accept": SUBMITTED_ON}  # the day each task became ready
    # 条例 §9 (自收到申请文件材料之日起): the legal clock and the first stage count from receipt, so the
    # acceptance task already shows the statutory date.
    start = SUBMITTED_ON if journey.from_receipt else ACCEPTED_ON
    if journey.from_receipt:
        opened[journey.route[1].task] = SUBMITTED_ON
    day = ACCEPTED_ON
    legal_start = start
    for step in journey.route:
        item = WorkItem.objects.get(application=application, status=WorkItemStatus.OPEN, task_name=step.task)
        assert item.organisation == orgs[step.at], (step.task, item.organisation.name)
        limit = journey.legal if step.task == "accept" and journey.from_receipt else step.limit
        assert item.due_on == due(opened[step.task], limit), (step.task, item.due_on)
        user = world["staff"][(item.organisation_id, item.role)]
        name, body = COMMANDS[item.kind]
        if name == "deliver":  # 送达 waits for the decision's documents, which the worker has issued
            _issue_owed(worker)
        with travel(day), capture(execute=True):
            response = _client(user).post(
                f"/api/v1/cases/{number}/commands/{name}/", {**body, "task": item.task_name}, format="json"
            )
        assert response.status_code == 200, (step.task, response.json())
        for ready in WorkItem.objects.filter(application=application, status=WorkItemStatus.OPEN):
            opened.setdefault(ready.task_name, day)
        if step.task == "accept" and not journey.route[1].not_counted:
            assert _legal_due(application) == due(start, journey.legal)
        elif step.task == "accept":  # 行政许可法 §45: no due date while the time is not counted
            assert _legal_due(application) is None and _legal_paused(application)
        if step.not_counted:
            legal_start = day  # the clock counts again from the day after the stage ended
        day = working_days_after(day, 3)
    if legal_start != start:
        assert _legal_due(application) == due(legal_start, journey.legal)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DELIVERED


def _issue_owed(worker: list[int]) -> None:
    from sifa.workflow.tasks import issue_case_document

    while worker:
        assert issue_case_document.enqueue(worker.pop(0)).return_value == "issued"


def _holding(journey: Journey, world, applicant) -> Licence | None:
    if not journey.holds:
        return None
    particulars = {"practice_organisation": "浙江旧律师事务所"} if journey.applicant == "person" else {}
    return issue_licence(
        type_for(journey.holds), applicant, world["orgs"]["zj"], actor=None, particulars=particulars,
        with_pdf=False,
    )  # fmt: skip


TITLES = {"issue": "准予行政许可决定书", "reissue": "准予变更行政许可决定书", "cancel": "注销行政许可决定书"}


@pytest.mark.parametrize("journey", JOURNEYS, ids=[j.item for j in JOURNEYS])
def test_apply_and_reach_the_result(journey, world, worker, django_capture_on_commit_callbacks):
    applicant = world[journey.applicant]
    held = _holding(journey, world, applicant)
    entry = ImplementationEntry.objects.get(
        item__name=journey.item, organisation=world["orgs"][journey.entry_at]
    )
    with travel(SUBMITTED_ON):
        number = _apply(journey, applicant, entry, django_capture_on_commit_callbacks)
    application = Application.objects.get(number=number)
    assert application.status == ApplicationStatus.PENDING_ACCEPTANCE  # the process started by itself
    _walk(journey, world, number, django_capture_on_commit_callbacks, worker)
    assert not worker  # 送达 waited for every owed document (transitions.delivery_hold)
    decision = CaseDocument.objects.get(application=application, kind=CaseDocumentKind.APPROVAL_DECISION)
    letter = decision.document
    assert letter.title == TITLES[journey.result]
    assert verify_sealed_pdf(read_pdf(letter), bytes(letter.sm2_signature), letter.sm2_key_id).valid
    assert CaseDocument.objects.filter(
        application=application, kind=CaseDocumentKind.ACCEPTANCE_NOTICE
    ).exists()
    licence = decision.licence
    assert licence is not None and licence.name == journey.licence
    assert licence.issuer == world["orgs"][journey.issuer]
    if journey.result == "issue":
        assert licence.application == application and licence.version == 1 and licence.holder == applicant
        assert licence.status == LicenceStatus.VALID
    elif journey.result == "reissue":
        held.refresh_from_db()
        assert held.status == LicenceStatus.SUPERSEDED and licence.previous == held
        assert licence.version == 2 and licence.number == held.number
        if journey.applicant == "person":
            assert licence.particulars["practice_organisation"] == "浙江新律师事务所"
        else:
            assert licence.holder_name == "浙江明正律师事务所" and licence.particulars["principal"] == "钱七"
    else:
        assert licence == held
        held.refresh_from_db()
        assert held.status == LicenceStatus.CANCELLED
