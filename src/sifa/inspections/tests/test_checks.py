"""Must show (issue 12, point 4): a seeded random check over a month's closed cases draws the
same sample twice with the same seed; findings are recorded per case and close the check."""

from __future__ import annotations

import datetime as dt

import pytest

from sifa.applications.models import ApplicationStatus
from sifa.audit.models import AuditEvent
from sifa.catalogue.models import ImplementationEntry
from sifa.demo.cases import LAWYER_FULL_TIME
from sifa.indicators.tests.rebuilds import assert_the_rebuilds_agree
from sifa.inspections import selectors, services
from sifa.inspections.models import CheckStatus, RandomCheck
from sifa.inspections.tests.conftest import client
from sifa.testing import PersonFactory
from sifa.testing.cases import make_case
from sifa.testing.clock import at

pytestmark = pytest.mark.django_db
URL = "/api/v1/inspections/random-checks/"
SCORES = {"legal_basis": 25, "materials": 20, "time_limit": 25, "documents": 20, "file": 10}


@pytest.fixture
def closed(world):
    """Twelve cases of 杭州市司法局 closed in November 2026, one in October, one mock, one open."""
    entry = ImplementationEntry.objects.select_related("version", "accepting_organisation").get(
        item__basic_code=LAWYER_FULL_TIME, organisation=world["orgs"]["hz"]
    )
    applicant = PersonFactory().user
    made = [
        make_case(
            entry, applicant, status=ApplicationStatus.DELIVERED, closed_at=at(dt.date(2026, 11, 2 + i))
        )
        for i in range(12)
    ]
    make_case(entry, applicant, status=ApplicationStatus.DELIVERED, closed_at=at(dt.date(2026, 10, 30)))
    make_case(
        entry,
        applicant,
        status=ApplicationStatus.DELIVERED,
        closed_at=at(dt.date(2026, 11, 20)),
        is_mock=True,
    )
    make_case(entry, applicant, status=ApplicationStatus.IN_REVIEW)
    return sorted(a.number for a in made)


def test_the_same_seed_over_the_same_month_draws_the_same_sample_twice(world, closed):
    inspector = client(world["users"]["demo-inspector"])
    body = {"organisation": world["orgs"]["hz"].pk, "period": "2026-11", "size": 5, "seed": "tongbao-2026-11"}
    first = inspector.post(URL, body, format="json")
    second = inspector.post(URL, body, format="json")
    assert first.status_code == second.status_code == 201, first.content
    one, two = first.json(), second.json()
    assert one["id"] != two["id"]  # two recorded draws …
    assert one["numbers"] == two["numbers"]  # … with the same sample
    assert len(one["numbers"]) == 5 and set(one["numbers"]) <= set(closed)
    assert one["candidate_count"] == 12  # October, the mock and the open case are not candidates
    assert one["numbers"] == services.sample(closed, 5, "tongbao-2026-11")
    other = inspector.post(URL, {**body, "seed": "another"}, format="json").json()
    assert other["numbers"] != one["numbers"]

    event = AuditEvent.objects.filter(action="inspections.check.draw").order_by("-seq").first()
    assert event.detail["seed"] == "another" and event.detail["candidates"] == 12


def test_without_a_seed_one_is_drawn_and_recorded(world, closed):
    inspector = client(world["users"]["demo-inspector"])
    drawn = inspector.post(
        URL, {"organisation": world["orgs"]["hz"].pk, "period": "2026-11", "size": 3}, format="json"
    )
    assert drawn.status_code == 201
    body = drawn.json()
    assert body["seed"] and body["seed_given"] is False
    assert body["numbers"] == services.sample(closed, 3, body["seed"])


def test_findings_close_the_check_and_feed_the_summary(world, closed):
    user = world["users"]["demo-inspector"]
    inspector = client(user)
    drawn = inspector.post(
        URL,
        {"organisation": world["orgs"]["hz"].pk, "period": "2026-11", "size": 2, "seed": "s1"},
        format="json",
    ).json()
    first, second = drawn["numbers"]
    url = f"{URL}{drawn['id']}/cases/"
    missing = inspector.post(f"{url}{first}/finding/", {"result": "issues", "scores": SCORES}, format="json")
    assert missing.status_code == 400
    assert {e["code"] for e in missing.json()["errors"]} == {
        "inspections.bad_severity",
        "inspections.findings_required",
    }
    ok = inspector.post(f"{url}{first}/finding/", {"result": "pass", "scores": SCORES}, format="json")
    assert ok.status_code == 200 and ok.json()["status"] == CheckStatus.OPEN
    issue = inspector.post(
        f"{url}{second}/finding/",
        {
            "result": "issues",
            "severity": "major",
            "findings": "送达回证缺失",
            "scores": {**SCORES, "file": 2},
        },
        format="json",
    )
    assert issue.status_code == 200 and issue.json()["status"] == CheckStatus.CLOSED
    twice = inspector.post(f"{url}{second}/finding/", {"result": "pass", "scores": SCORES}, format="json")
    assert twice.status_code == 409

    summary = selectors.findings_summary(world["orgs"]["zj"].path, "2026-11")
    assert summary == {
        "sampled": 2,
        "checked": 2,
        "with_findings": 1,
        "by_severity": {"minor": 0, "major": 1, "serious": 0},
    }
    assert selectors.findings_summary(world["orgs"]["hz"].path, "2026-10")["sampled"] == 0

    # The findings feed the 绩效考核 figures of the month checked, at every level above the case,
    # and a rebuild from the facts gives the same.
    from sifa.indicators import selectors as indicators
    from sifa.indicators.services import maintenance

    for org in ("hz", "zj"):
        figures = indicators.public_figures(world["orgs"][org].pk, "2026-11")
        assert (figures.checks_done, figures.checks_with_issues) == (2, 1)
        assert figures.rate("check_issue_rate") == 0.5
    assert indicators.public_figures(world["orgs"]["hz"].pk, "2026-10").checks_done == 0
    maintenance.rebuild()
    assert indicators.public_figures(world["orgs"]["zj"].pk, "2026-11").checks_with_issues == 1
    assert_the_rebuilds_agree()


def test_only_inspectors_in_scope_draw_and_see_checks(world, closed):
    body = {"organisation": world["orgs"]["hz"].pk, "period": "2026-11", "size": 2, "seed": "x"}
    refused = client(world["users"]["demo-city"]).post(URL, body, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "inspections.not_inspector"
    province = client(world["users"]["demo-inspector"]).post(URL, body, format="json").json()
    city = client(world["users"]["demo-city-inspector"])
    assert city.get(f"{URL}{province['id']}/").status_code == 200  # 杭州's own subtree
    # The city inspector cannot record a finding on a case assigned to the province's inspector.
    taken = city.post(
        f"{URL}{province['id']}/cases/{province['numbers'][0]}/finding/",
        {"result": "pass", "scores": SCORES},
        format="json",
    )
    assert taken.status_code == 403 and taken.json()["code"] == "inspections.not_assigned"
    above = client(world["users"]["demo-city-inspector"]).post(
        URL, {**body, "organisation": world["orgs"]["zj"].pk}, format="json"
    )
    assert above.status_code == 404


def test_bad_draws_are_refused_in_chinese(world, closed):
    inspector = client(world["users"]["demo-inspector"])
    hz = world["orgs"]["hz"].pk
    bad_period = inspector.post(URL, {"organisation": hz, "period": "2026-13", "size": 2}, format="json")
    assert bad_period.status_code == 400 and bad_period.json()["code"] == "inspections.bad_period"
    running = inspector.post(URL, {"organisation": hz, "period": "2099-01", "size": 2}, format="json")
    assert running.status_code == 409 and running.json()["code"] == "inspections.period_not_over"
    too_big = inspector.post(URL, {"organisation": hz, "period": "2026-11", "size": 500}, format="json")
    assert too_big.status_code == 400
    key = {"HTTP_IDEMPOTENCY_KEY": "draw-1"}
    a = inspector.post(URL, {"organisation": hz, "period": "2026-11", "size": 2}, format="json", **key)
    b = inspector.post(URL, {"organisation": hz, "period": "2026-11", "size": 2}, format="json", **key)
    assert a.status_code == 201 and b.status_code == 200 and a.json()["id"] == b.json()["id"]
    assert RandomCheck.objects.count() == 1
