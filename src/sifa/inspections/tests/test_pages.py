"""The inspectors' workbench pages: only inspectors see them (404 for other staff), the menu links
them for inspectors only; drawing a check and recording a finding work without JavaScript; the
handling side sees a mock application only once it has ended."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from sifa.applications.models import ApplicationStatus
from sifa.catalogue.models import ImplementationEntry
from sifa.demo.cases import LAWYER_FULL_TIME
from sifa.inspections.models import RandomCheck, SampledCase
from sifa.testing import PersonFactory, verified_login
from sifa.testing.cases import make_case
from sifa.testing.clock import at

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client()
    verified_login(client, user)
    return client


def test_only_inspectors_see_the_pages_and_the_menu_link(world):
    inspector = browser(world["users"]["demo-inspector"])
    index = inspector.get("/workbench/inspections/")
    assert index.status_code == 200 and "随机抽查办结件" in index.content.decode()
    assert "/api/v1/" not in index.content.decode()  # the page speaks to people, not to programs
    assert 'href="/workbench/inspections/"' in inspector.get("/workbench/").content.decode()
    clerk = browser(world["users"]["demo-city"])
    assert clerk.get("/workbench/inspections/").status_code == 404
    assert clerk.get("/workbench/inspections/checks/new/").status_code == 404
    assert 'href="/workbench/inspections/"' not in clerk.get("/workbench/").content.decode()


def test_drawing_and_recording_a_finding_without_javascript(world):
    entry = ImplementationEntry.objects.select_related("version", "accepting_organisation").get(
        item__basic_code=LAWYER_FULL_TIME, organisation=world["orgs"]["hz"]
    )
    applicant = PersonFactory().user
    for i in range(3):
        make_case(
            entry, applicant, status=ApplicationStatus.DELIVERED, closed_at=at(dt.date(2026, 10, 5 + i))
        )
    inspector = browser(world["users"]["demo-inspector"])
    form = inspector.get("/workbench/inspections/checks/new/")
    import re

    options = re.findall(r'<option value="(\d*)"[^>]*>([^<]*)</option>', form.content.decode())
    assert (str(world["orgs"]["hz"].pk), "杭州市司法局") in options, (world["orgs"]["hz"].pk, options[:20])
    bad = inspector.post(
        "/workbench/inspections/checks/new/",
        {"organisation": world["orgs"]["hz"].pk, "period": "2026-13", "size": 2},
    )
    assert bad.status_code == 400 and "办结月份应为 年-月" in bad.content.decode()
    drawn = inspector.post(
        "/workbench/inspections/checks/new/",
        {"organisation": world["orgs"]["hz"].pk, "period": "2026-10", "size": 2, "seed": "abc"},
    )
    assert drawn.status_code == 302, drawn.content.decode()
    check = RandomCheck.objects.get()
    assert drawn["Location"] == f"/workbench/inspections/checks/{check.public_id}/"
    page = inspector.get(drawn["Location"]).content.decode()
    number = SampledCase.objects.filter(random_check=check).order_by("position").first().application.number
    url = f"/workbench/inspections/checks/{check.public_id}/cases/{number}/"
    assert url in page and "abc" in page
    # The inspector is named as a person on the page, not by the login name.
    shown = re.search(r'<td data-label="检查人">([^<]*)</td>', page)[1]
    assert shown == world["users"]["demo-inspector"].display_name and "demo-" not in shown
    scores = {
        "score_legal_basis": 25,
        "score_materials": 20,
        "score_time_limit": 25,
        "score_documents": 20,
        "score_file": 10,
    }
    missing = inspector.post(url, {**scores, "result": "issues"})
    assert missing.status_code == 400 and "请选择问题程度" in missing.content.decode()
    done = inspector.post(url, {**scores, "result": "pass"})
    assert done.status_code == 302
    assert SampledCase.objects.get(random_check=check, application__number=number).result == "pass"
    shown = inspector.get(url).content.decode()
    assert "合格" in shown and "保存检查结论" not in shown
    # Another inspector of the subtree reads it, without a form; other staff get 404.
    other = browser(world["users"]["demo-city-inspector"]).get(url)
    assert other.status_code == 200 and "保存检查结论" not in other.content.decode()
    assert browser(world["users"]["demo-city"]).get(url).status_code == 404


def test_the_results_page_lists_nothing_while_a_mock_is_open(world):
    supervisor = browser(world["users"]["demo-province"])
    page = supervisor.get("/workbench/inspections/results/")
    assert page.status_code == 200 and "没有已办结的模拟办件" in page.content.decode()
