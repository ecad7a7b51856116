"""Tracking a complaint by number and tracking code counts only failed lookups (ADR 0012), on the
API and the page alike, in one count per client address: found lookups are never limited and write
nothing; failures (unknown number or wrong code) are counted up to the limit; at the limit a right
code is refused too."""

from __future__ import annotations

import pytest
from django.test import Client

from sifa.complaints.api import TrackingThrottle
from sifa.complaints.tests.conftest import body, client
from sifa.core import limits
from sifa.testing.limits import failures, statements

pytestmark = pytest.mark.django_db
URL = "/api/v1/complaints/"


@pytest.fixture
def filed(cat, people):
    answer = client().post(URL, body(cat["orgs"], anonymous=True), format="json").json()
    limits.clear()  # filing has its own budget; start the lookups' count at 0
    return answer["number"], answer["tracking_code"]


def _failures() -> int:
    return failures(TrackingThrottle)


_statements = statements


def test_found_lookups_are_never_limited_and_write_nothing(filed):
    number, code = filed
    seen, wrapper = _statements()
    with wrapper:
        api = [client().get(f"{URL}track/{number}/", {"code": code}).status_code for _ in range(40)]
        page = [
            Client().post("/complaints/track/", {"number": number, "code": code}).status_code
            for _ in range(40)
        ]
    assert api == [200] * 40 and page == [200] * 40
    assert _failures() == 0
    assert [sql for sql in seen if not sql.lstrip().upper().startswith("SELECT")] == []


def test_failures_are_counted_across_api_and_page_then_a_right_code_is_refused(filed):
    number, code = filed
    allowed = TrackingThrottle().num_requests
    answers = []
    for i in range(allowed):
        if i % 3 == 0:
            answers.append(client().get(f"{URL}track/{number}/", {"code": f"GUESS{i:03d}"}).status_code)
        elif i % 3 == 1:
            answers.append(
                Client().post("/complaints/track/", {"number": number, "code": f"G{i}"}).status_code
            )
        else:
            answers.append(client().get(f"{URL}track/TS{i:020d}/", {"code": code}).status_code)
        if i < allowed - 1:  # below the limit a right code is found, and not counted
            assert client().get(f"{URL}track/{number}/", {"code": code}).status_code == 200
            assert _failures() == i + 1
    assert answers == [404] * allowed and _failures() == allowed
    refused = client().get(f"{URL}track/{number}/", {"code": code})
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    assert int(refused["Retry-After"]) >= 1
    page = Client().post("/complaints/track/", {"number": number, "code": code})
    assert page.status_code == 429 and "查询过于频繁，请一分钟后再试" in page.content.decode()
    assert _failures() == allowed  # a refusal is not counted


def test_a_form_without_number_or_code_is_not_a_lookup(filed):
    number, _code = filed
    statuses = [Client().post("/complaints/track/", {"number": number}).status_code for _ in range(35)]
    assert statuses == [400] * 35 and _failures() == 0


def test_a_signed_in_accounts_failures_count_per_account_not_per_address(filed, people):
    number, code = filed
    allowed = TrackingThrottle().num_requests
    signed_in = client(people["citizen"])
    statuses = [
        signed_in.get(f"{URL}track/{number}/", {"code": "WRONG"}).status_code for _ in range(allowed + 5)
    ]
    assert statuses == [404] * allowed + [429] * 5
    assert _failures() == 0  # the address's own count is untouched
    assert signed_in.get(f"{URL}track/{number}/", {"code": code}).status_code == 429  # a right code too
    assert client().get(f"{URL}track/{number}/", {"code": code}).status_code == 200
