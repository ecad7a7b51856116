"""法律援助法 §43: the legal-aid centre decides within 7 days of *receiving* the application — not of
accepting it — then assigns within 3 days of the decision. The catalogue version says so
(``limit_start`` = receipt); nothing depends on the item's name."""

from __future__ import annotations

import datetime as dt

from sifa.catalogue.models import ItemVersion, LimitStart
from sifa.deadlines.models import ClockPurpose
from sifa.testing.cases import material_item
from sifa.workflow import caseclocks
from sifa.workflow.models import WorkItem, WorkItemStatus
from sifa.workflow.services import start_case
from sifa.workflow.tests.conftest import command, entry_for, make_case, travel

RECEIVED = dt.date(2026, 11, 2)  # Monday
ACCEPTED = dt.date(2026, 11, 4)  # Wednesday, two days later
DECIDED = dt.date(2026, 11, 6)  # Friday


def _open(case) -> WorkItem:
    return WorkItem.objects.get(application=case, status=WorkItemStatus.OPEN)


def test_the_legal_aid_version_counts_from_receipt(w):
    version = entry_for("法律援助申请", w["xh_aid"]).version
    assert version.limit_start == LimitStart.RECEIPT
    lawyer = entry_for("律师执业许可（专职律师执业）", w["hz"]).version
    assert lawyer.limit_start == LimitStart.ACCEPTANCE


def test_review_due_seven_days_after_receipt_and_assignment_three_days_after_the_decision(w, people):
    case = make_case(entry_for("法律援助申请", w["xh_aid"]), people["citizen"], received=RECEIVED)
    clerk = people["aid_clerk"]
    with travel(RECEIVED):
        start_case(case)  # what the end of pre-review does on the day of receipt
    # Before anyone accepts, the acceptance work item already carries the statutory date.
    assert _open(case).due_on == dt.date(2026, 11, 9)
    with travel(ACCEPTED):
        command(clerk, case.number, "accept")
    decide = _open(case)
    assert decide.task_name == "decide"
    assert decide.due_on == dt.date(2026, 11, 9)  # 11-02 + 7, not 11-04 + 7 = 11-11
    assert caseclocks.legal_clock(case).started_on == RECEIVED
    with travel(DECIDED):
        command(clerk, case.number, "decide", decision="approve")
    assign = _open(case)
    assert assign.due_on == dt.date(2026, 11, 9)  # 自作出决定之日起三日内: 11-06 + 3


def test_a_seventh_day_on_a_rest_day_moves_to_the_next_working_day(w, people):
    """Received Friday 2026-09-25: the 7th day is 10-02, inside the 国庆 break → 10-08 (民法典 §203)."""
    case = make_case(entry_for("法律援助申请", w["xh_aid"]), people["citizen"], received=dt.date(2026, 9, 25))
    with travel(dt.date(2026, 9, 28)):
        command(people["aid_clerk"], case.number, "accept")
    assert _open(case).due_on == dt.date(2026, 10, 8)


def test_an_item_counting_from_acceptance_is_unchanged(w, people):
    case = make_case(entry_for("律师执业许可（专职律师执业）", w["hz"]), people["citizen"], received=RECEIVED)
    with travel(RECEIVED):
        start_case(case)
    assert not caseclocks.case_clocks(case).exists()  # nothing runs before acceptance
    with travel(ACCEPTED):
        command(people["hz_clerk"], case.number, "accept")
    assert caseclocks.legal_clock(case).started_on == ACCEPTED


def test_a_correction_request_stops_the_receipt_clock(w, people):
    """§43(2): incomplete materials are asked for at once; the 7 days count again from the receipt
    of the corrected application (a new process starts then)."""
    case = make_case(entry_for("法律援助申请", w["xh_aid"]), people["citizen"], received=RECEIVED)
    with travel(RECEIVED):
        start_case(case)
    with travel(RECEIVED + dt.timedelta(days=1)):
        items = [material_item(case, "缺少身份证明")]
        response = command(people["aid_clerk"], case.number, "request_correction", items=items)
    assert response.status_code == 200, response.json()
    assert not caseclocks.running_clocks(case)
    assert caseclocks.case_clocks(case).filter(purpose=ClockPurpose.LEGAL).count() == 1


def test_limit_start_is_part_of_the_published_version(w):
    """A property of the pinned version (catalogue), so a case keeps it whatever a later version says."""
    field = ItemVersion._meta.get_field("limit_start")
    assert field.default == LimitStart.ACCEPTANCE
    assert "limit_start" in ItemVersion.content_attnames()
