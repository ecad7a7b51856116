"""The staff case view from plain rows (``workflow.caseview.case_view``) is exactly what
``CaseSerializer`` gives — the same rendered JSON bytes — for ``GET cases/{number}/`` and for every
command's answer, in every state a case goes through: submitted (no process yet), accepted,
suspended, resumed, extended, with a correction notice, reviewed, decided with its documents (one
failed and pending with its error), delivered, with an issued e-licence and its PDF (the window
tests, run again here), and a mediation with sessions and an agreement
(``tests/test_caseview_mediation.py``).

Every view built in these tests is checked (``checked``): the answer the API sends is compared with
the serializer's for the same case, actor and timeline limit."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.renderers import JSONRenderer
from tests.service_journeys import issue_documents

from sifa.applications.models import ApplicationStatus
from sifa.audit.models import PersonalDataAccess
from sifa.testing.cases import field_item, material_item
from sifa.workflow import api
from sifa.workflow.models import CaseDocument, CaseDocumentStatus
from sifa.workflow.tests.conftest import client_for, command, entry_for, make_case, travel
from sifa.workflow.tests.test_lawyer_path import (  # noqa: F401  (run again here, every view checked)
    case,
    test_a_suspension_of_n_working_days_moves_the_stage_deadline_by_exactly_n,
    test_lawyer_licence_from_acceptance_to_delivery,
    test_section_42_extends_the_deciding_stage_only_once_with_the_approver_recorded,
    test_the_province_may_return_the_case_to_the_city_which_gets_a_fresh_sub_clock,
)
from sifa.workflow.tests.test_window_scope import (  # noqa: F401  (run again here, every view checked)
    resident,
    test_a_pickup_window_prints_the_licence_at_delivery_and_not_before,
    test_the_receiving_window_accepts_and_delivers_and_sees_nothing_in_between,
    windows,
)

LAWYER = "律师执业许可（专职律师执业）"
ACCEPTED_ON = dt.date(2025, 9, 1)


def issue_owed_tolerantly() -> None:
    """Try to issue every owed document now; a failure stays a pending row with its last error."""
    from sifa.workflow.models import CaseDocument, CaseDocumentStatus
    from sifa.workflow.services import issue_owed

    for pk in CaseDocument.objects.filter(status=CaseDocumentStatus.PENDING).values_list("pk", flat=True):
        issue_owed(pk)


def install_check(monkeypatch) -> list[dict]:
    """Make ``api.case_view`` compare every view it builds with ``CaseSerializer``'s, byte for
    byte once rendered; returns the list of the views checked."""
    built = api.case_view
    seen: list[dict] = []

    def case_view(application, actor, *, timeline_limit=None):
        view = built(application, actor, timeline_limit=timeline_limit)
        context = {"actor": actor, "timeline_limit": timeline_limit} if timeline_limit else {"actor": actor}
        expected = api.CaseSerializer(application, context=context).data
        assert list(view) == list(expected)
        assert JSONRenderer().render(view) == JSONRenderer().render(expected)
        seen.append(view)
        return view

    monkeypatch.setattr(api, "case_view", case_view)
    return seen


@pytest.fixture(autouse=True)
def checked(monkeypatch) -> list[dict]:
    return install_check(monkeypatch)


def view(user, number: str) -> dict:
    response = client_for(user).get(f"/api/v1/cases/{number}/")
    assert response.status_code == 200, response.json()
    return response.json()


def test_every_state_of_a_licence_case_gives_the_serializers_bytes(w, people, checked):
    application = make_case(entry_for(LAWYER, w["hz"]), people["citizen"])
    viewers = (people["hz_clerk"], people["hz_reviewer"], people["zj_decider"])
    states = []

    def look() -> None:
        for user in viewers:
            states.append(view(user, application.number)["status"])

    look()  # submitted: no process, no clocks, no work items
    with travel(ACCEPTED_ON):
        items = [
            material_item(application, "身份证明不清晰"),
            field_item(application, "通讯地址应写明门牌号", "address"),
        ]
        response = command(people["hz_clerk"], application.number, "request_correction", items=items)
        assert response.status_code == 200, response.json()
        look()  # with a correction notice owed
    issue_documents()  # now: the seal's key is valid today, not on the travelled-to day
    look()  # with the correction notice issued
    application.refresh_from_db()
    if application.status != ApplicationStatus.PENDING_ACCEPTANCE:
        application.status = ApplicationStatus.PENDING_ACCEPTANCE
        application.save(update_fields=["status"])
    later = ACCEPTED_ON + dt.timedelta(days=7)
    with travel(later):
        assert command(people["hz_clerk"], application.number, "accept").status_code == 200
    issue_documents()
    with travel(later):
        look()  # accepted, with the acceptance notice
        body = {"kind": "expert_review", "reason": "组织专家评审"}
        assert command(people["hz_reviewer"], application.number, "suspend", **body).status_code == 200
        look()  # suspended
    later += dt.timedelta(days=7)
    with travel(later):
        assert command(people["hz_reviewer"], application.number, "resume").status_code == 200
        look()  # resumed, with a suspension on the clocks
        response = command(
            people["hz_reviewer"], application.number, "review", outcome="approve", opinion="报省厅"
        )
        assert response.status_code == 200, response.json()
        look()
        response = command(
            people["zj_decider"], application.number, "decide", decision="approve", opinion="准予"
        )
        assert response.status_code == 200, response.json()
    issue_owed_tolerantly()  # the e-licence fails here (no verified holder): a pending row with its error
    with travel(later):
        look()  # decided: decision letter issued, e-licence failed with its last error
        # Nothing to hand over yet: 送达 waits for the retry (workflow.document_not_issued).
        response = command(people["zj_clerk"], application.number, "deliver", method="pickup")
        assert response.status_code == 409, response.json()
        assert response.json()["code"] == "workflow.document_not_issued"
        CaseDocument.objects.filter(application=application, status=CaseDocumentStatus.FAILED).update(
            status=CaseDocumentStatus.ISSUED
        )  # as a successful retry leaves it
        response = command(people["zj_clerk"], application.number, "deliver", method="pickup")
        assert response.status_code == 200, response.json()
        look()
    assert {"pending_acceptance", "accepted", "suspended", "approved", "delivered"} <= set(states)
    documents = [d for v in checked for d in v["documents"]]
    assert any(d["pdf"] for d in documents)
    assert any(d["status"] != "issued" and d["last_error"] for d in documents)
    assert len(checked) >= 3 * 8 + 6


def test_a_command_answer_carries_the_newest_entries_only(w, people, checked):
    application = make_case(entry_for(LAWYER, w["hz"]), people["citizen"])
    with travel(ACCEPTED_ON):
        assert command(people["hz_clerk"], application.number, "accept").status_code == 200
        body = {"kind": "expert_review", "reason": "组织专家评审"}
        for _ in range(api.ANSWER_TIMELINE // 2 + 1):
            assert command(people["hz_reviewer"], application.number, "suspend", **body).status_code == 200
            answer = command(people["hz_reviewer"], application.number, "resume").json()
    assert len(answer["timeline"]) == api.ANSWER_TIMELINE
    assert len(view(people["hz_reviewer"], application.number)["timeline"]) > api.ANSWER_TIMELINE
    assert checked[-1]["timeline"][-api.ANSWER_TIMELINE :] == answer["timeline"]


def test_every_staff_read_of_a_case_is_still_in_the_applicants_access_log(w, people):
    application = make_case(entry_for(LAWYER, w["hz"]), people["citizen"])
    before = PersonalDataAccess.objects.filter(subject=people["citizen"]).count()
    view(people["hz_reviewer"], application.number)
    view(people["hz_clerk"], application.number)
    assert PersonalDataAccess.objects.filter(subject=people["citizen"]).count() == before + 2
    assert client_for(people["nb_reviewer"]).get(f"/api/v1/cases/{application.number}/").status_code == 404


def test_a_case_commands_answer_shows_the_clocks_it_locked_stopped_ones_included(w, people, checked):
    """A case command's answer (suspend, resume) takes the case's clocks from the command's lock —
    the running ones as it changed them, the stopped ones as they are — with no statement of its
    own: the same bytes as the serializer reading them afresh (``checked``)."""
    from sifa.deadlines.models import ClockPurpose
    from sifa.deadlines.services import stop_clock
    from sifa.workflow import caseclocks

    application = make_case(entry_for(LAWYER, w["hz"]), people["citizen"])
    with travel(ACCEPTED_ON):
        assert command(people["hz_clerk"], application.number, "accept").status_code == 200
        promised = caseclocks.case_clocks(application).get(purpose=ClockPurpose.PROMISED)
        stop_clock(promised.pk, on=ACCEPTED_ON)
    body = {"kind": "expert_review", "reason": "组织专家评审"}
    with travel(ACCEPTED_ON + dt.timedelta(days=2)):
        suspended = command(people["hz_reviewer"], application.number, "suspend", **body).json()
    with travel(ACCEPTED_ON + dt.timedelta(days=9)):
        resumed = command(people["hz_reviewer"], application.number, "resume").json()
    for answer in (suspended, resumed):
        assert any(clock["stopped_on"] for clock in answer["clocks"])
        assert any(not clock["stopped_on"] and clock["suspensions"] for clock in answer["clocks"])
    assert resumed["clocks"] == checked[-1]["clocks"]
