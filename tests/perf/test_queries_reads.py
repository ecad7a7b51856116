"""Query-count guards of the small reads the benchmark measures (issue 16; docs/performance.md,
"2026-12-05 evening: me/W5/W6a profiles"): ``GET /api/v1/me/`` with a bearer token (``me``), the
public progress query ``GET /api/v1/track/{number}/?code=`` (W5) and the answer of licence
verification ``GET /api/v1/licences/verify/{identifier}/`` (W6a) against the ORM's (its query-count
guard and its bytes: ``test_queries_verify.py``).

Each test fails when its view gains a query. The budgets are what the views make today, counted
inside the test's transaction (the shared limits count with one statement there: the capped upsert
that reads the previous window's weight). Raise a budget only with the profile that says why.
"""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from sifa.accounts.services.auth import issue_api_token
from sifa.core import limits
from tests import probe_world

ME_STAFF_QUERIES = 2
"""The token with its account, memberships and natural person, in one fixed statement (1), and
the token's last-used stamp at most once a minute (1). Before 2026-12-06: 4 (token with account,
stamp, memberships, person)."""
ME_CITIZEN_QUERIES = 2
"""As for staff: the mandates given and received are read by the token's statement too, scoped in
it (the caller's own). Before 2026-12-08: 3 (the mandates in a statement of their own); before
2026-12-06 (day): 5 (the scope's memberships, and the mandates given and received apart); before
2026-12-06: 7."""
TRACK_QUERIES = 1
"""A found case: the throttle's look at the client's failures (both windows' counts) and, in one
``UNION ALL``, the case with its item, version item and organisations, its open clocks and its
public timeline, in one read-only statement (``limits.peek_then_read``; fixed SQL,
``sifa.applications.progress``), on SQLite and PostgreSQL alike; nothing is written. Before
2026-12-06: 5, then 4, then 2 (1 on PostgreSQL) while every request was counted (ADR 0012)."""
TRACK_FAILURE_QUERIES = 2
"""An unknown number or a wrong code: the same statement, then the failure's count (one capped
upsert, ``limits.hit``)."""


@pytest.fixture(scope="module")
def world(probe_world_module) -> probe_world.World:
    return probe_world_module


def _bearer(world: probe_world.World, name: str) -> APIClient:
    token, _ = issue_api_token(world.users[name])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.mark.django_db
def _verification_from_the_orm(identifier: str) -> dict:
    """``GET /api/v1/licences/verify/{identifier}/`` as the ORM built it before the fixed statement
    (``checked_at`` left out)."""
    import json

    from sifa.licences.payload import SignatureCheck, b64, stored_check
    from sifa.licences.verification import _algorithm, find_licence, licence_facts

    licence = find_licence(identifier)
    check = stored_check(licence)
    if check.authentic and json.loads(licence.payload).get("certificate_identifier") != licence.identifier:
        check = SignatureCheck(False, "licence.payload_mismatch", "签名数据不属于该电子证照标识")
    return {
        "authentic": check.authentic,
        "reason_code": check.code,
        "reason": check.reason,
        **licence_facts(licence),
        "payload": b64(licence.payload.encode("utf-8")),
        "signature": b64(licence.signature),
        "key_id": licence.key_id,
        "algorithm": _algorithm(licence.key_id),
    }


@pytest.mark.django_db
def test_verification_from_fixed_sql_is_the_orm_answer_for_every_licence(world):
    """``verify_identifier`` (one fixed statement) gives, value for value, type for type and byte
    for byte once rendered, the answer the ORM gave, for every licence of the test world (valid,
    superseded, revoked…); a malformed or unknown identifier is refused with the ORM path's code."""
    from rest_framework.renderers import JSONRenderer

    from sifa.licences.models import Licence
    from sifa.licences.verification import find_licence, verify_identifier

    identifiers = list(Licence.objects.values_list("identifier", flat=True))
    assert identifiers
    for identifier in identifiers:
        answer = verify_identifier(identifier)
        answer.pop("checked_at")
        expected = _verification_from_the_orm(identifier)
        assert answer == expected
        assert [type(value) for value in answer.values()] == [type(value) for value in expected.values()]
        assert JSONRenderer().render(answer) == JSONRenderer().render(expected)
    first = identifiers[0]
    for wrong in ("", "no-such-licence", first[:-1] + ("0" if first[-1] != "0" else "1"), first.lower()):
        codes = []
        for read in (verify_identifier, find_licence):
            try:
                read(wrong)
                codes.append(None)
            except Exception as error:  # 400 IdentifierError, 404 NotFound: compared
                codes.append((type(error).__name__, getattr(error, "code", None)))
        assert codes[0] == codes[1], (wrong, codes)


@pytest.mark.parametrize(
    ("name", "budget"), [("staff-city", ME_STAFF_QUERIES), ("citizen", ME_CITIZEN_QUERIES)]
)
def test_me_reads_in_a_fixed_number_of_queries(world, django_assert_max_num_queries, name, budget):
    client = _bearer(world, name)
    with django_assert_max_num_queries(budget):
        response = client.get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["username"] == world.users[name].username


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "budget"), [("staff-city", ME_STAFF_QUERIES), ("citizen", ME_CITIZEN_QUERIES)]
)
def test_me_after_the_first_request_does_not_stamp_the_token_again(
    world, django_assert_num_queries, name, budget
):
    """Once the token is stamped, one statement: the token with the account (and a citizen's
    mandates, given and received)."""
    client = _bearer(world, name)
    assert client.get("/api/v1/me/").status_code == 200
    with django_assert_num_queries(budget - 1):
        body = client.get("/api/v1/me/").json()
    assert ("mandates" in body) == (name == "citizen")
    if name == "citizen":
        assert body["mandates"]["given"] or body["mandates"]["received"]


@pytest.mark.django_db
def test_me_of_a_token_known_as_staffs_reads_no_mandates_and_a_wrong_guess_costs_a_statement(world):
    """A token this process read for a staff account is read again without the mandates' subquery
    (its plan's start-up costs PostgreSQL every execution); a token wrongly taken for a staff
    account's still gets its mandates, read by a statement of their own: the same answer."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sifa.accounts import authentication
    from sifa.accounts.models import Mandate
    from sifa.core.crypto import sm3_hex

    mandate = Mandate.objects.filter(principal__kind="person").select_related("principal").first()
    key, _ = issue_api_token(mandate.principal)
    citizen = APIClient()
    citizen.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    staff = _bearer(world, "staff-city")
    for client in (citizen, staff):
        client.get("/api/v1/me/")  # stamped; the staff token's kind remembered
    answers = []
    for client in (staff, citizen):
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/me/")
        answers.append(response.content)
        assert len(queries.captured_queries) == 1
        assert ("accounts_mandate" in queries.captured_queries[0]["sql"]) == (client is citizen)
    authentication._STAFF_TOKENS[sm3_hex(key.encode())] = None  # a wrong guess
    with CaptureQueriesContext(connection) as queries:
        response = citizen.get("/api/v1/me/")
    assert response.content == answers[1] and response.json()["mandates"]["given"]
    assert len(queries.captured_queries) == 2
    assert sm3_hex(key.encode()) not in authentication._STAFF_TOKENS
    with CaptureQueriesContext(connection) as queries:
        assert citizen.get("/api/v1/me/").content == answers[1]
    assert len(queries.captured_queries) == 1


@pytest.mark.django_db
def test_progress_query_reads_in_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    limits.clear()
    number, code = world.values["pending"], world.values["query_code"]
    with django_assert_max_num_queries(TRACK_QUERIES):
        response = APIClient().get(f"/api/v1/track/{number}/", {"code": code})
    assert response.status_code == 200
    body = response.json()
    assert body["number"] == number and body["timeline"]


@pytest.mark.django_db
def test_wrong_code_and_unknown_number_cost_the_read_and_the_count(world, django_assert_max_num_queries):
    limits.clear()
    for number in (world.values["pending"], "SF-NO-SUCH-NUMBER"):
        with django_assert_max_num_queries(TRACK_FAILURE_QUERIES):
            response = APIClient().get(f"/api/v1/track/{number}/", {"code": "AAAAAAAA"})
        assert response.status_code == 404
    limits.clear()


def _me_from_the_orm(user) -> dict:
    """The staff part of ``GET /api/v1/me/`` as the ORM built it before the fixed statements."""
    from sifa.accounts.models import NaturalPerson
    from sifa.organisations.models import Membership

    memberships = [
        {
            "organisation": {
                "id": m.organisation.pk,
                "name": m.organisation.name,
                "level": m.organisation.level,
                "path": m.organisation.path,
                "region_code": m.organisation.region_id,
            },
            "role": m.role,
            "role_display": m.get_role_display(),
        }
        for m in Membership.objects.filter(user=user)
        .select_related("organisation")
        .order_by("organisation__path", "role")
    ]
    person = NaturalPerson.objects.select_related("region").filter(user=user).first()
    return {
        "public_id": str(user.public_id),
        "username": user.username,
        "kind": user.kind,
        "display_name": user.display_name,
        "phone_masked": user.phone_masked,
        "person": None
        if person is None
        else {"id": str(person.id), "name": person.name, "id_number_masked": person.id_number_masked},
        "region": None if person is None else {"code": person.region.code, "name": person.region.name},
        "memberships": memberships,
    }


@pytest.mark.django_db
def test_me_answers_what_the_orm_reads_gave(world):
    """The fixed statements of ``me`` (and of the token lookup) answer the same as the ORM reads."""
    from sifa.accounts.models import LegalPerson

    company = LegalPerson.objects.select_related("user").get(pk=world.values["company"]).user
    for name, user in [*world.users.items(), ("company", company)]:
        token, _ = issue_api_token(user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        body = client.get("/api/v1/me/").json()
        expected = _me_from_the_orm(user)
        if name == "company":
            del expected["region"]  # a company's region is its registered one (CompanySerializer)
            assert body["company"] is not None
        assert {key: body[key] for key in expected} == expected, name


def _with_new_code(app) -> str:
    from sifa.applications.models import Application
    from sifa.applications.query_codes import new_query_code, query_code_digest

    code = new_query_code()
    Application.objects.filter(pk=app.pk).update(query_code_digest=query_code_digest(code))
    return code


@pytest.mark.django_db
def test_progress_answer_from_fixed_sql_is_the_serializers_answer_for_every_case(world):
    """``progress.progress`` (the API's fixed SQL) and ``serializers.tracking(selectors.track())``
    (the page 办件查询) give the same answer for every submitted case, in every status."""
    from sifa.applications import progress, selectors, serializers
    from sifa.applications.models import Application
    from sifa.core import limits

    cases = list(Application.objects.filter(number__isnull=False).exclude(number=""))
    assert cases
    for app in cases:
        code = _with_new_code(app)
        answer = progress.progress(app.number, code)
        assert answer == serializers.tracking(selectors.track(app.number, code))
        # The API's bytes, written without DRF's encoder, are what DRF's renderer writes.
        assert progress.progress_json(app.number, code) == JSONRenderer().render(answer)
        # … and the API's own read under the limit's look (its rows materialised once on SQLite,
        # where the kinds share columns: no value may change its type there).
        decision, body = progress.checked_progress(app.number, code, "reads-test", limits.Rate(30, 60))
        assert decision.allowed and body == answer
        decision, body = progress.checked_progress(
            app.number, code, "reads-test", limits.Rate(30, 60), encoded=True
        )
        assert body == JSONRenderer().render(answer)
        assert progress.progress(app.number, code.lower()) is not None
        assert progress.progress(app.number, "AAAAAAAA") is None
        assert progress.progress_json(app.number, "AAAAAAAA") is None
    assert progress.progress("NO-SUCH-NUMBER", "AAAAAAAA") is None
    assert progress.progress("", "") is None
    assert progress.progress_json("", "") is None


@pytest.mark.django_db
def test_progress_under_the_limits_look_keeps_the_clocks_numbers(world):
    """On SQLite the statement's kinds share columns and the limit's look materialises its rows:
    an open clock's days left and its ``paused``/``provisional`` flags stay numbers there (a column
    with the case's text affinity would make them text, and ``'0'`` a paused clock)."""
    import datetime as dt

    from sifa.applications import progress
    from sifa.applications.models import Application
    from sifa.core import limits
    from sifa.deadlines.models import ClockState

    clocked = ClockState.objects.filter(subject_type="application", purpose="legal").values("subject_id")
    app = (
        Application.objects.filter(number__isnull=False)
        .exclude(number="")
        .exclude(pk__in=[row["subject_id"] for row in clocked])
        .order_by("pk")
        .first()
    )
    code = _with_new_code(app)
    ClockState.objects.create(
        subject_type="application",
        subject_id=str(app.pk),
        purpose="legal",
        scope_path="0001",
        started_on=dt.date(2026, 12, 1),
        limit_value=20,
        limit_unit="working_days",
        due_on=dt.date(2026, 12, 29),
        working_days_left=7,
    )
    plain = progress.progress(app.number, code)
    assert plain["deadline"]["working_days_left"] == 7 and plain["deadline"]["paused"] is False
    decision, looked = progress.checked_progress(app.number, code, "reads-clock", limits.Rate(30, 60))
    assert decision.allowed and looked == plain
    _, body = progress.checked_progress(app.number, code, "reads-clock", limits.Rate(30, 60), encoded=True)
    assert body == JSONRenderer().render(plain)
    assert b'"working_days_left":7,"paused":false' in body


def test_sqlite_stamp_text_is_written_as_parsing_it_would():
    """``progress._stamp`` writes SQLite's text of a stored time without parsing it: the same text
    as parsing it (``_datetime``) and writing it (``_iso``), with and without microseconds, with
    zero microseconds written out, early and late years; other text is parsed as before."""
    import datetime as dt

    from sifa.applications import progress

    moments = [
        dt.datetime(2026, 12, 6, 10, 4, 20, 486196),
        dt.datetime(2026, 12, 6, 10, 4, 20),
        dt.datetime(2027, 1, 1, 0, 0, 0, 1),
        dt.datetime(5, 2, 28, 23, 59, 59, 999999),
        dt.datetime(9999, 12, 31, 23, 59, 59),
    ]
    texts = [str(moment) for moment in moments] + [
        "2026-12-06 10:04:20.000000",  # not Django's text: parsed
        "2026-12-06 10:04:20.5",
        "2026-12-06T10:04:20",
        "2026-12-06 10:04:20+08:00",
    ]
    for text in texts:
        assert progress._stamp(text) == progress._iso(progress._datetime(text)), text
    aware = dt.datetime(2026, 12, 6, 10, 4, 20, tzinfo=dt.UTC)
    assert progress._stamp(aware) == "2026-12-06T10:04:20Z"


@pytest.mark.django_db
def test_progress_code_in_a_plain_query_string_is_request_gets(world):
    """``track`` takes a ``code=`` of letters and digits from the query string itself; encoded,
    repeated or accompanied codes go through ``request.GET`` (or DRF) with the same answers."""
    limits.clear()
    number, code = world.values["pending"], world.values["query_code"]
    url = f"/api/v1/track/{number}/"
    plain = APIClient().get(f"{url}?code={code}")
    assert plain.status_code == 200
    encoded = "".join(f"%{ord(c):02X}" for c in code)
    for query in (f"code={encoded}", f"code=AAAAAAAA&code={code}", f"code={code}&"):
        again = APIClient().get(f"{url}?{query}")
        assert again.status_code == 200, query
        assert again.content == plain.content and sorted(again.items()) == sorted(plain.items())
    assert APIClient().get(f"{url}?code={code.lower()}").content == plain.content
    assert APIClient().get(f"{url}?code=").status_code == 404
    limits.clear()


def test_progress_json_writes_dates_and_line_separators_as_drfs_renderer():
    """The answer's JSON (``progress._json``) against DRF's renderer for the values a case can
    hold: times with and without microseconds, dates, no deadline, and U+2028/U+2029 in text."""
    import datetime as dt

    from sifa.applications import progress

    for submitted_at in (
        dt.datetime(2026, 12, 6, 10, 4, 20, 486196, tzinfo=dt.UTC),
        dt.datetime(2027, 1, 1, tzinfo=dt.UTC),
    ):
        for deadline in (
            None,
            {
                "kind": "法定",
                "due_on": dt.date(2027, 1, 18),
                "expected_on": None,
                "working_days_left": 3,
                "paused": True,
            },
        ):
            answer = {
                "number": "SF1",
                "item": '律师\u2028执业\u2029许可 "引号" \\',
                "submitted_at": submitted_at,
                "deadline": deadline,
                "timeline": [{"occurred_at": submitted_at, "title": "受理", "organisation": ""}],
            }
            expected = JSONRenderer().render(answer)
            stamped = {
                **answer,
                "submitted_at": progress._stamp(submitted_at),
                "timeline": [{**answer["timeline"][0], "occurred_at": progress._stamp(submitted_at)}],
            }
            assert progress._json(stamped) == expected
    # SQLite's text of a stored time is written as the aware time it stands for.
    assert progress._stamp("2026-12-06 10:04:20.486196") == "2026-12-06T10:04:20.486196Z"
    assert progress._stamp("2027-01-01 00:00:00") == "2027-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("number", "code", "status"),
    [
        ("pending", "right", 200),
        ("pending", "AAAAAAAA", 404),
        ("pending", "", 404),
        ("pending", "right-lower", 200),
        ("SF-NO-SUCH-NUMBER", "AAAAAAAA", 404),
        ("X" * 80, "right", 404),
        ("pending", "'; DROP TABLE x; --", 404),
    ],
    ids=["right", "wrong", "empty", "lower-case", "unknown-number", "too-long-number", "bad-code"],
)
@pytest.mark.django_db
def test_progress_answer_bytes_and_headers_are_drfs(world, number, code, status):
    """The plain GET answered by ``track`` (a plain Django view) gives the bytes and headers DRF
    gives (an ``Accept`` it does not take goes through DRF), for a right code and every refusal."""
    limits.clear()
    number = world.values["pending"] if number == "pending" else number
    right = world.values["query_code"]
    query = {"code": {"right": right, "right-lower": right.lower()}.get(code, code)}
    url = f"/api/v1/track/{number}/"
    answers = [
        APIClient().get(url, query, **extra)
        for extra in ({}, {"HTTP_ACCEPT": "*/*"}, {"HTTP_ACCEPT": "application/json"})
    ]
    through_drf = APIClient().get(url, query, HTTP_ACCEPT="application/json, */*;q=0.8")
    for answer in answers:
        assert answer.status_code == through_drf.status_code == status
        assert answer.content == through_drf.content
        assert sorted(answer.items()) == sorted(through_drf.items())


@pytest.mark.django_db
def test_progress_answer_throttled_after_the_rate_of_failures(world, settings):
    """Only failed lookups count (ADR 0012): found answers leave the count alone; once the rate of
    failures is reached, every request is refused, a right code too, with DRF's 429."""
    from sifa.applications.api import TrackingThrottle

    limits.clear()
    number = world.values["pending"]
    allowed = TrackingThrottle().num_requests
    key = TrackingThrottle().get_cache_key(RequestFactory().get("/"), None)
    rate = limits.Rate(allowed, TrackingThrottle().duration)
    answers = [
        APIClient().get(
            f"/api/v1/track/{number}/", {"code": "AAAAAAAA" if i % 2 else world.values["query_code"]}
        )
        for i in range(2 * allowed)
    ]
    assert [a.status_code for a in answers] == [200, 404] * allowed
    assert limits.peek(key, rate).count == allowed
    refused = APIClient().get(f"/api/v1/track/{number}/", {"code": world.values["query_code"]})
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert int(refused["Retry-After"]) >= 1
    assert limits.peek(key, rate).count == allowed  # a refusal is not counted
    # The 429 of the plain view is DRF's: the same bytes and headers (Retry-After aside, which
    # counts down) as through DRF's own dispatch (an Accept header it does not take).
    through_drf = APIClient().get(
        f"/api/v1/track/{number}/",
        {"code": world.values["query_code"]},
        HTTP_ACCEPT="application/json, */*;q=0.8",
    )
    assert through_drf.status_code == 429
    assert refused.content == through_drf.content
    assert sorted((k, v) for k, v in refused.items() if k != "Retry-After") == sorted(
        (k, v) for k, v in through_drf.items() if k != "Retry-After"
    )
    limits.clear()


@pytest.mark.django_db
def test_found_answers_write_nothing(world, django_capture_on_commit_callbacks):
    """100 found answers by one client are all 200 and leave its count at 0, through the plain
    view and through DRF (a browser's ``Accept``, ``?format=json``, HEAD) alike; no statement of
    theirs writes."""
    from django.db import connection

    from sifa.applications.api import TrackingThrottle

    limits.clear()
    number, code = world.values["pending"], world.values["query_code"]
    key = TrackingThrottle().get_cache_key(RequestFactory().get("/"), None)
    rate = limits.Rate(TrackingThrottle().num_requests, TrackingThrottle().duration)
    statements: list[str] = []

    def seen(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    url = f"/api/v1/track/{number}/"
    with connection.execute_wrapper(seen):
        statuses = [APIClient().get(url, {"code": code}).status_code for _ in range(97)]
        statuses.append(APIClient().get(url, {"code": code}, HTTP_ACCEPT="text/html").status_code)
        statuses.append(APIClient().get(url, {"code": code, "format": "json"}).status_code)
        statuses.append(APIClient().head(url, {"code": code}).status_code)
    assert statuses == [200] * 100
    assert limits.peek(key, rate).count == 0
    writes = [sql for sql in statements if not sql.lstrip().upper().startswith("SELECT")]
    assert writes == []


@pytest.mark.django_db
def test_me_bytes_and_headers_with_the_quick_negotiation_are_drfs(world, monkeypatch):
    """``me`` (and a few other API reads) answer the same bytes, status and headers with the API's
    quick negotiation as with DRF's own, for every kind of caller: staff, citizen, company, no
    token, a bad token, a revoked token, a session. (The browsable HTML answer is left out: DRF
    renders a fresh CSRF token into it on every request; both classes hand it to DRF.)"""
    from rest_framework.negotiation import DefaultContentNegotiation
    from rest_framework.views import APIView

    from sifa.accounts.models import LegalPerson
    from sifa.accounts.services.auth import revoke_api_token
    from sifa.core.api.negotiation import QuickNegotiation

    assert APIView.content_negotiation_class is QuickNegotiation
    company = LegalPerson.objects.select_related("user").get(pk=world.values["company"]).user
    callers: dict[str, APIClient] = {}
    for name, user in [
        ("staff", world.users["staff-city"]),
        ("citizen", world.users["citizen"]),
        ("company", company),
    ]:
        callers[name] = _bearer_for(user)
    callers["none"] = APIClient()
    callers["bad"] = APIClient()
    callers["bad"].credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    key, token = issue_api_token(world.users["citizen"])
    revoke_api_token(token, by=world.users["citizen"])
    callers["revoked"] = APIClient()
    callers["revoked"].credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    callers["session"] = APIClient()
    callers["session"].force_login(world.users["citizen"])
    accepts = [
        {},
        {"HTTP_ACCEPT": "*/*"},
        {"HTTP_ACCEPT": "application/json"},
        {"HTTP_ACCEPT": "application/json, */*;q=0.8"},
    ]
    paths = ["/api/v1/me/", "/api/v1/me/messages/", "/api/v1/me/access-log/"]
    compared = 0
    for name, client in callers.items():
        for path in paths:
            for extra in accepts:
                answers = []
                for negotiation in (QuickNegotiation, DefaultContentNegotiation):
                    monkeypatch.setattr(APIView, "content_negotiation_class", negotiation)
                    limits.clear()
                    answers.append(client.get(path, **extra))
                quick, drf = answers
                assert quick.status_code == drf.status_code, (name, path, extra)
                assert quick.content == drf.content, (name, path, extra)
                assert sorted(quick.items()) == sorted(drf.items()), (name, path, extra)
                compared += 1
    monkeypatch.setattr(APIView, "content_negotiation_class", QuickNegotiation)
    assert compared == len(callers) * len(paths) * len(accepts)


def _bearer_for(user) -> APIClient:
    token, _ = issue_api_token(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.mark.django_db
def test_me_mandates_are_what_the_two_former_reads_gave(world):
    """The citizen's and the company's ``me`` read the mandates given and received with one scoped
    statement (and the scope of an account without memberships from the token's statement): the
    same lists, in the same order and bytes, as the former ``actor_for`` and two filtered reads."""
    from rest_framework.renderers import JSONRenderer

    from sifa.accounts import selectors, serializers
    from sifa.accounts.models import AccountKind, LegalPerson, Mandate, User
    from sifa.organisations.scope import actor_for

    company = LegalPerson.objects.select_related("user").get(pk=world.values["company"]).user
    parties = set(Mandate.objects.values_list("principal_id", flat=True)) | set(
        Mandate.objects.values_list("agent_id", flat=True)
    )
    callers = [
        *(u for u in world.users.values() if u.kind != AccountKind.STAFF),
        company,
        *User.objects.filter(pk__in=parties).exclude(kind=AccountKind.STAFF),
    ]
    with_mandates = 0
    for user in callers:
        mine = selectors.mandates(actor_for(user))
        expected = {
            "given": serializers.MandateSerializer(mine.filter(principal=user), many=True).data,
            "received": serializers.MandateSerializer(mine.filter(agent=user), many=True).data,
        }
        body = _bearer_for(user).get("/api/v1/me/").json()
        assert JSONRenderer().render(body["mandates"]) == JSONRenderer().render(expected), user.username
        with_mandates += bool(expected["given"] or expected["received"])
    assert with_mandates >= 2


@pytest.mark.django_db
def test_fixed_rows_build_the_instances_model_from_db_builds(world):
    """``FixedRows.build`` makes, without ``Model.__init__``, the instance ``Model.from_db`` makes
    (same attributes in the same order, same values and types, same state) for every model it
    builds; with a ``post_init`` receiver it goes through ``from_db`` (the receiver runs)."""
    from django.db import connection
    from django.db.models import signals

    from sifa.accounts.authentication import token_with_user
    from sifa.accounts.models import ApiToken, Mandate, NaturalPerson, User
    from sifa.catalogue.models import (
        CatalogueItem,
        FormSchema,
        ImplementationEntry,
        ItemVersion,
        Material,
        ProcessDefinition,
        Situation,
    )
    from sifa.core.db import FixedRows
    from sifa.organisations.models import Organisation
    from sifa.workflow.models import WorkItem

    key, _ = issue_api_token(world.users["citizen"])
    token = token_with_user(key)
    expected = ApiToken.objects.select_related("user").get(pk=token.pk)
    for built, orm in ((token, expected), (token.user, expected.user)):
        assert {k: v for k, v in vars(built).items() if k != "_state"} == {
            k: v for k, v in vars(orm).items() if k != "_state"
        }
        assert (built._state.adding, built._state.db) == (orm._state.adding, orm._state.db)
        assert built._state.fields_cache.keys() == orm._state.fields_cache.keys()
    assert token.user_id == token.user.pk and token.user == expected.user
    quote = connection.ops.quote_name
    models = [ApiToken, User, NaturalPerson, Mandate, Organisation, WorkItem, CatalogueItem]
    models += [ImplementationEntry, ItemVersion, FormSchema, ProcessDefinition, Material, Situation]
    built_rows = 0
    for model in models:
        rows = FixedRows(model)
        assert rows._plain is not None, model
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {rows.columns('x')} FROM {quote(model._meta.db_table)} x")  # noqa: S608
            found = cursor.fetchall()[:50]
        for row in found:
            built = rows.build(row, connection)
            expected = model.from_db(connection.alias, rows.attnames, rows.convert(row, connection))
            assert type(built) is model
            assert list(vars(built)) == list(vars(expected))
            for name in rows.attnames:
                value, wanted = getattr(built, name), getattr(expected, name)
                assert (value, type(value)) == (wanted, type(wanted)), (model, name)
            assert vars(built._state) == vars(expected._state)
            assert (built._state.adding, built._state.db) == (False, connection.alias)
            assert built == expected
            built_rows += 1
        assert found or model in (Material, Situation), model
    assert built_rows > 100

    calls = []

    def receiver(sender, instance, **kwargs):
        calls.append(instance)

    users = FixedRows(User)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {users.columns('u')} FROM {quote(User._meta.db_table)} u")  # noqa: S608
        row = cursor.fetchone()
    signals.post_init.connect(receiver, sender=User)
    try:
        user = users.build(row, connection)
    finally:
        signals.post_init.disconnect(receiver, sender=User)
    assert calls == [user]
    assert users.build(row, connection) == user and len(calls) == 1


@pytest.mark.django_db
def test_own_mandates_read_with_the_account_are_the_scoped_querysets(world):
    """The mandates a caller gave and received, read by the account's own statement (the token's
    for ``me``): the instances the scoped queryset of ``actor_for(caller)`` gives, in its order
    (newest first, then by id: two mandates made at the same instant, one on a whole second), with
    the fields the answer reads and the principal and agent loaded; none for staff; one statement."""
    import datetime as dt

    from django.db import connection
    from django.db.models import Q
    from django.test.utils import CaptureQueriesContext

    from sifa.accounts import selectors
    from sifa.accounts.models import AccountKind, Mandate, User
    from sifa.organisations.scope import actor_for

    def fields(instance, names) -> dict:
        return {name: (getattr(instance, name), type(getattr(instance, name))) for name in names}

    mandate_fields = [f.attname for f in selectors._MANDATE_COLUMNS.fields]
    party_fields = [f.attname for f in selectors._PARTY_COLUMNS.fields]
    first = Mandate.objects.order_by("pk").first()
    second = Mandate.objects.create(  # the same parties: both in one caller's list
        principal_id=first.principal_id,
        agent_id=first.agent_id,
        scope=first.scope,
        valid_from=first.valid_from,
        valid_until=first.valid_until,
        document_reference="同一时刻",
        status=first.status,
        scope_path=first.scope_path,
    )
    rows = [first, second]
    instant = dt.datetime(2026, 3, 1, 8, 30, tzinfo=dt.UTC)  # a whole second, both the same
    Mandate.objects.filter(pk__in=[m.pk for m in rows]).update(created_at=instant)
    parties = set(Mandate.objects.values_list("principal_id", flat=True)) | set(
        Mandate.objects.values_list("agent_id", flat=True)
    )
    compared = with_two = 0
    for user in User.objects.filter(Q(pk__in=parties) | Q(pk__in=[u.pk for u in world.users.values()])):
        with CaptureQueriesContext(connection) as queries:
            mine = selectors.own_account(user)[3]
        assert len(queries.captured_queries) == 1
        expected = list(selectors.mandates(actor_for(user)).filter(Q(principal=user) | Q(agent=user)))
        if user.kind == AccountKind.STAFF:
            assert mine is None, user.username
            continue
        mine = mine or []
        assert [m.pk for m in mine] == [m.pk for m in expected], user.username
        for built, orm in zip(mine, expected, strict=True):
            assert fields(built, mandate_fields) == fields(orm, mandate_fields)
            assert (built._state.adding, built._state.db) == (orm._state.adding, orm._state.db)
            assert fields(built.principal, party_fields) == fields(orm.principal, party_fields)
            assert fields(built.agent, party_fields) == fields(orm.agent, party_fields)
        given, received = selectors.own_mandates(user, mine)
        assert [m.pk for m in given] == [m.pk for m in expected if m.principal_id == user.pk]
        assert [m.pk for m in received] == [m.pk for m in expected if m.agent_id == user.pk]
        compared += bool(expected)
        with_two += sum(m.created_at == instant for m in mine) == 2
    assert compared >= 2 and with_two >= 1


def _progress_rows(code: str, *, status: str, item: str, detail, organisation, clock, entries: int) -> list:
    """The statement's rows (SQLite's layout) of one case — the case, an open clock, its entries —
    each array written by SQLite's own ``json_array`` (as the statement does), so the values come
    back through SQLite's JSON and the answer's reading of it."""
    import sqlite3

    from sifa.applications.query_codes import query_code_digest

    sqlite = sqlite3.connect(":memory:")

    def array(*values) -> str:
        marks = ", ".join("?" * len(values))
        return sqlite.execute(f"SELECT json_array({marks})", values).fetchone()[0]

    case = array(
        "a" * 32,
        "SF2026-000001",
        status,
        "2026-12-06 10:04:20.486196",
        query_code_digest(code),
        item,
        "licensing",
        "市司法局",
        organisation,
    )
    shown = array(*clock, -1) if clock is not None else array(*[None] * 7)
    timeline = []
    for i in range(entries):
        stamp = f"2026-12-0{1 + i % 9} 0{i % 10}:00:00" + (".000001" if i % 2 else "")
        timeline.append(array(stamp, f"event.{i}", f"第{i}步", detail, organisation, entries - i))
    sqlite.close()
    return [(case, shown, f"[{','.join(timeline)}]")]


def test_progress_bytes_written_from_the_columns_are_drfs():
    """The API's answer written from the statement's columns into fixed templates
    (``progress._encoded``) is, byte for byte, DRF's renderer's JSON of the same answer built as a
    dictionary (``progress._answer`` with real times), for values no case of the test world holds:
    quotes, backslashes, control characters, U+2028/U+2029, characters outside the BMP, no detail,
    no organisation, a deadline or none, an empty timeline, every status."""
    from sifa.applications import progress
    from sifa.applications.models import ApplicationStatus

    layout = progress._layout("sqlite")
    code = "ABCD2345"
    clocks = [
        None,
        (7, "legal", "2027-01-18", 3, 0, 0),
        (7, "promised", "2027-01-18", -2, 0, 1),
        (8, "notice_window", "2027-01-18", None, 0, 1),
    ]
    texts = ['律师\u2028执业\u2029许可 "引号" \\ \x00\x1f\x7f 😀 é', "", "plain"]
    cases = 0
    for status in ApplicationStatus.values:
        for clock in clocks:
            for text in texts:
                for organisation in (None, "县司法局", text):
                    for entries in (0, 1, 3):
                        rows = _progress_rows(
                            code,
                            status=status,
                            item=text,
                            detail=text,
                            organisation=organisation,
                            clock=clock,
                            entries=entries,
                        )
                        plain = progress._answer(rows, code, progress._datetime, layout)
                        assert progress._answer(rows, code, progress._stamp, layout) == JSONRenderer().render(
                            plain
                        )
                        cases += 1
    assert cases == 12 * 4 * 3 * 3 * 3
    assert (
        progress._answer(
            _progress_rows(
                "ABCD2346", status="accepted", item="x", detail="", organisation=None, clock=None, entries=1
            ),
            code,
            progress._stamp,
            layout,
        )
        is None
    )


def test_progress_bytes_of_one_answer():
    """The bytes of one answer, written out: a change to them is a change of the public API."""
    from sifa.applications import progress

    rows = _progress_rows(
        "ABCD2345",
        status="in_review",
        item='律师执业许可 "A"\u2028',
        detail="",
        organisation=None,
        clock=(7, "legal", "2027-01-18", 3, 0, 0),
        entries=2,
    )
    body = progress._answer(rows, "abcd2345", progress._stamp, progress._layout("sqlite"))
    assert (
        body
        == (
            '{"number":"SF2026-000001","item":"律师执业许可 \\"A\\"\\u2028","status":"in_review",'
            '"status_label":"审查中","stage":"审查","organisation":"市司法局",'
            '"submitted_at":"2026-12-06T10:04:20.486196Z","deadline":{"kind":"法定办结时限",'
            '"due_on":"2027-01-18","expected_on":"2027-01-18","working_days_left":3,"paused":false,'
            '"provisional":false,"expected_provisional":false},"timeline":['
            '{"occurred_at":"2026-12-01T00:00:00Z","event":"event.0","title":"第0步","detail":"",'
            '"organisation":""},{"occurred_at":"2026-12-02T01:00:00.000001Z","event":"event.1",'
            '"title":"第1步","detail":"","organisation":""}]}'
        ).encode()
    )
