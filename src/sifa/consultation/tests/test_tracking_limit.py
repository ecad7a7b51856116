"""Reading a consultation by number and tracking code counts only failed lookups (ADR 0012), on
the API (``GET consultations/{number}/?code=``) and the page (``/consultations/track/``) alike, in
one count per client address: found lookups are never limited and write nothing; failures (unknown
number, wrong or missing code) are counted up to the limit; at the limit a right code is refused
too. A rating with the tracking code is a write and still counts every request, in the same count."""

from __future__ import annotations

import pytest
from django.test import Client

from sifa.consultation.api.tickets import TrackingThrottle
from sifa.consultation.tests.conftest import client
from sifa.consultation.tests.test_bad_input import web
from sifa.core import limits
from sifa.testing.limits import failures, statements

pytestmark = pytest.mark.django_db
URL = "/api/v1/consultations/"
PAGE = "/consultations/track/"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    limits.clear()
    yield
    limits.clear()


@pytest.fixture
def asked(cat, people):
    answer = client().post(URL, web(), format="json").json()
    limits.clear()  # asking has its own budget; start the lookups' count at 0
    return answer["number"], answer["tracking_code"]


def _failures() -> int:
    return failures(TrackingThrottle)


_statements = statements


def test_found_lookups_are_never_limited_and_write_nothing(asked):
    number, code = asked
    seen, wrapper = _statements()
    with wrapper:
        api = [client().get(f"{URL}{number}/", {"code": code}).status_code for _ in range(40)]
        page = [Client().post(PAGE, {"number": number, "code": code}).status_code for _ in range(40)]
    assert api == [200] * 40 and page == [200] * 40
    assert _failures() == 0
    assert [sql for sql in seen if not sql.lstrip().upper().startswith("SELECT")] == []


def test_failures_are_counted_across_api_and_page_then_a_right_code_is_refused(asked):
    number, code = asked
    allowed = TrackingThrottle().num_requests
    answers = []
    for i in range(allowed):
        if i % 4 == 0:
            answers.append(client().get(f"{URL}{number}/", {"code": f"WRONG{i:03d}"}).status_code)
        elif i % 4 == 1:
            answers.append(Client().post(PAGE, {"number": number, "code": f"W{i}"}).status_code)
        elif i % 4 == 2:
            answers.append(client().get(f"{URL}ZX{i:020d}/", {"code": code}).status_code)
        else:
            answers.append(client().get(f"{URL}{number}/").status_code)  # no code
        if i < allowed - 1:  # below the limit a right code is found, and not counted
            assert client().get(f"{URL}{number}/", {"code": code}).status_code == 200
            assert Client().post(PAGE, {"number": number, "code": code}).status_code == 200
            assert _failures() == i + 1
    assert answers == [404] * allowed and _failures() == allowed
    refused = client().get(f"{URL}{number}/", {"code": code})
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    assert int(refused["Retry-After"]) >= 1
    page = Client().post(PAGE, {"number": number, "code": code})
    assert page.status_code == 429 and "查询过于频繁，请一分钟后再试" in page.content.decode()
    assert _failures() == allowed  # a refusal is not counted


def test_a_form_without_number_or_code_is_not_a_lookup(asked):
    number, _code = asked
    statuses = [Client().post(PAGE, {"number": number}).status_code for _ in range(35)]
    assert statuses == [400] * 35 and _failures() == 0


def test_a_rating_with_the_code_counts_every_request_in_the_same_count(asked):
    number, code = asked
    rating = {"satisfaction": "satisfied", "tracking_code": code}
    api = [client().post(f"{URL}{number}/rating/", rating, format="json").status_code for _ in range(3)]
    page = [
        Client().post(PAGE, {"number": number, "code": code, "action": "rate"}).status_code for _ in range(2)
    ]
    assert api == [409] * 3 and page == [409] * 2  # not answered yet: refused, and counted
    assert _failures() == 5
    assert client().get(f"{URL}{number}/", {"code": code}).status_code == 200
    assert _failures() == 5


def test_a_signed_in_accounts_failures_count_per_account_not_per_address(asked, people):
    number, code = asked
    allowed = TrackingThrottle().num_requests
    signed_in = client(people["citizen"])
    statuses = [signed_in.get(f"{URL}{number}/", {"code": "WRONG"}).status_code for _ in range(allowed + 5)]
    assert statuses == [404] * allowed + [429] * 5
    assert _failures() == 0  # the address's own count is untouched
    assert client().get(f"{URL}{number}/", {"code": code}).status_code == 200
