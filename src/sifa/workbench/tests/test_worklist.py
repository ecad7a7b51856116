"""The worklist: my jurisdiction only, red → yellow → green then due date, filters, pagination."""

from __future__ import annotations

import datetime as dt

from sifa.deadlines.clocks import WarningLevel
from sifa.workbench.tests import world as W
from sifa.workflow.models import WorkItem
from sifa.workflow.services import start_case


def _cases(w, people, levels):
    cases = []
    for _n, (level, due) in enumerate(levels):
        application = W.make_case(W.entry_for(W.LAWYER, w["hz"]), people["citizen"])
        start_case(application)
        WorkItem.objects.filter(application=application).update(warning_level=level, due_on=due)
        cases.append(application)
    return cases


def test_worklist_orders_by_warning_then_due_date_with_text_badges(login, w, people):
    green, red_late, yellow, red_early = _cases(
        w,
        people,
        [
            (WarningLevel.GREEN, dt.date(2025, 9, 2)),
            (WarningLevel.RED, dt.date(2025, 8, 30)),
            (WarningLevel.YELLOW, dt.date(2025, 9, 3)),
            (WarningLevel.RED, dt.date(2025, 8, 20)),
        ],
    )
    html = login(people["hz_clerk"]).get("/workbench/").content.decode()
    positions = [html.index(c.number) for c in (red_early, red_late, yellow, green)]
    assert positions == sorted(positions)
    assert "超期</span>" in html and "临期</span>" in html and "正常</span>" in html


def test_worklist_filters_and_ignores_bad_values_with_a_message(login, w, people):
    red, green = _cases(w, people, [(WarningLevel.RED, None), (WarningLevel.GREEN, None)])
    client = login(people["hz_clerk"])
    html = client.get("/workbench/?warning_level=red").content.decode()
    assert red.number in html and green.number not in html
    html = client.get("/workbench/?stage=review").content.decode()
    assert red.number not in html and "没有符合条件的待办事项" in html
    response = client.get("/workbench/?warning_level=purple")
    assert response.status_code == 200
    assert "预警等级的选项无效" in response.content.decode()
    assert red.number in response.content.decode()


def test_worklist_shows_only_my_jurisdiction(login, w, people, case):
    assert case.number not in login(people["nb_reviewer"]).get("/workbench/").content.decode()
    # The province supervises the city's work: it is in the provincial decision maker's subtree.
    assert case.number in login(people["zj_decider"]).get("/workbench/").content.decode()


def test_worklist_paginates(login, w, people):
    _cases(w, people, [(WarningLevel.GREEN, None)] * 21)
    client = login(people["hz_clerk"])
    first = client.get("/workbench/").content.decode()
    assert "第 1 页，共 2 页" in first and 'rel="next"' in first
    assert "第 2 页，共 2 页" in client.get("/workbench/?page=2").content.decode()
    assert client.get("/workbench/?page=abc").status_code == 200


def test_overdue_list_shows_overdue_work_of_my_organisations(login, w, people):
    late, fine = _cases(
        w, people, [(WarningLevel.RED, dt.date(2025, 8, 1)), (WarningLevel.GREEN, dt.date(2025, 10, 1))]
    )
    html = login(people["zj_decider"]).get("/workbench/overdue/").content.decode()
    assert late.number in html and fine.number not in html
    assert late.number not in login(people["nb_reviewer"]).get("/workbench/overdue/").content.decode()
