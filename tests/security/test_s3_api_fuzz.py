"""S3 and S6: schemathesis over Sifa's own OpenAPI document, as anonymous, a citizen and a staff member.

The document is the one ``/api/v1/schema/`` serves (drf-spectacular); the requests go in-process
through the Django WSGI application (``schemathesis.openapi.from_wsgi``) over the probe world
(``tests/probe_world.py``: the demo accounts, cases, licences…), inside the module's transaction.
Each identity presents what a client presents: nothing, the citizen's bearer token, the bearer token
of a staff member who logged in with password and TOTP.

For every operation and identity schemathesis' three phases run (``examples``, ``coverage``,
``fuzzing``) with a fixed seed and derandomized generation, so CI sends the same requests each run:

* examples and a few fuzzing cases for every identity;
* the coverage phase (every boundary and every kind of wrong value of every parameter and body
  field) by the identity the operation's gate lets through — anonymous for public operations, the
  citizen where a citizen is not refused, the staff member otherwise — because behind a closed gate
  every such case is the same 401/403. In CI one coverage case in ``COVERAGE_SAMPLE`` is sent (chosen
  by a hash of the case, so the same ones each run); ``SIFA_S3_FULL=1`` sends all of them.

Every request runs in a savepoint that is rolled back (each case sees the same world; a fuzzed
``/auth/token/revoke/`` does not log the identity out). Every answer must pass three checks: not a
server error (5xx), a status code the operation documents, a body matching the documented schema
(``response_schema_conformance``). And S6: no answer carries a valid GB 11643 公民身份号码 in clear
unless the request itself carried it (an echo of what the client sent is not a leak) or it is the
caller's own (the citizen's number in the citizen's own application form).

The mutation tests plant a view that raises, a view answering outside its schema, one answering
an undocumented status and one answering a clear ID number, and show each is reported.

Not run: the ``stateful`` phase (the document declares no OpenAPI links, so schemathesis would have
to infer every chain, and the budget of a CI run goes to the three phases above). The staff member
is a 市局 window clerk: operations only the audit, security or calendar administrators may use get
their coverage cases answered 403.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
import unittest
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.urls import resolve
from rest_framework.response import Response
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core import NOT_SET
from schemathesis.core.failures import FailureGroup, ServerError
from schemathesis.generation.hypothesis.builder import HypothesisTestConfig, HypothesisTestMode, create_test
from schemathesis.generation.overrides import Override
from schemathesis.openapi.checks import UndefinedStatusCode
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from sifa.accounts.models import NaturalPerson
from sifa.core import limits
from sifa.core.identifiers import IdentifierError, parse_id_number
from sifa.deadlines import db_calendar
from tests import probe_world

pytestmark = [pytest.mark.django_db, pytest.mark.slow(seconds=90)]

SCHEMA_PATH = "/api/v1/schema/"
SEED = 20261205
FUZZ_EXAMPLES = 2
"""Fuzzing cases per operation and identity (on top of the examples and the coverage cases)."""
COVERAGE_SAMPLE = 1 if os.environ.get("SIFA_S3_FULL") else 5
IDENTITIES = ("anonymous", "citizen", "staff")
LOGINS = {"citizen": "citizen", "staff": "staff-city"}  # the probe world's names
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
_ID_CANDIDATE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


# --- the world ----------------------------------------------------------------------------------


@contextlib.contextmanager
def wsgi_in_transaction() -> Iterator[None]:
    """Django closes "old" connections when a request starts and ends; inside the module's
    transaction that would break it. Django's test client disconnects the same handler around each
    of its requests (and connects it again after), so this is done around each request too."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


# Which probe-world object each path parameter names, by path prefix (first match wins), for the
# coverage phase: its boundary and wrong values then reach the body and query validation of a real
# object instead of stopping at a 404. Per identity where the citizen's and the clerk's differ.
REAL_PATHS: list[tuple[str, dict[str, str], dict[str, str]]] = [
    # (path prefix, values by parameter for the citizen/anonymous, the same for staff)
    ("/api/v1/applications/drafts/", {"ref": "draft"}, {"ref": "walk_in"}),
    (
        "/api/v1/applications/",
        {"ref": "draft", "material_id": "draft_material"},
        {"ref": "pending_id", "material_id": "pending_material"},
    ),
    ("/api/v1/cases/", {"number": "case"}, {"number": "pending"}),
    (
        "/api/v1/catalogue/items/{basic_code}/drafts/",
        {"basic_code": "basic_code", "number": "catalogue_draft"},
        {},
    ),
    ("/api/v1/catalogue/", {"basic_code": "basic_code", "implementation_code": "implementation_code"}, {}),
    ("/api/v1/companies/", {"id": "company"}, {}),
    ("/api/v1/complaints/track/", {"number": "complaint"}, {}),
    ("/api/v1/complaints/", {"number": "my_complaint"}, {"number": "complaint"}),
    ("/api/v1/consultations/", {"number": "consultation"}, {}),
    ("/api/v1/directory/", {"kind": "directory_kind", "entry_id": "directory_id"}, {}),
    ("/api/v1/documents/", {"public_id": "document"}, {}),
    ("/api/v1/faq/", {"faq_id": "faq"}, {}),
    ("/api/v1/indicators/", {"organisation": "organisation"}, {}),
    ("/api/v1/inspections/mock-applications/", {"id": "mock"}, {}),
    ("/api/v1/inspections/random-checks/", {"id": "check", "number": "check_case"}, {}),
    ("/api/v1/laws/", {"statute_id": "statute"}, {}),
    ("/api/v1/licences/", {"identifier": "licence"}, {}),
    ("/api/v1/mandates/", {"id": "mandate"}, {}),
    ("/api/v1/me/licences/", {"identifier": "licence", "authorisation_id": "authorisation"}, {}),
    ("/api/v1/me/messages/", {"public_id": "message"}, {}),
    ("/api/v1/mediation/", {"committee_id": "committee", "mediator_id": "mediator", "org_id": "office"}, {}),
    ("/api/v1/notifications/", {"public_id": "delivery"}, {}),
    ("/api/v1/organisations/", {"id": "organisation"}, {}),
    ("/api/v1/persons/", {"id": "person"}, {}),
    ("/api/v1/rectifications/", {"id": "rectification"}, {}),
    ("/api/v1/regions/", {"code": "region"}, {}),
    ("/api/v1/staff/licences/", {"identifier": "licence"}, {}),
    ("/api/v1/track/", {"number": "pending"}, {}),
    ("/api/v1/calendar/", {"year": "year"}, {}),
]


def real_path_values(path: str, identity: str, values: dict[str, str]) -> dict[str, str]:
    for prefix, keys, staff_keys in REAL_PATHS:
        if path.startswith(prefix):
            chosen = {**keys, **staff_keys} if identity == "staff" else keys
            return {name: values[key] for name, key in chosen.items() if "{" + name + "}" in path}
    return {}


@dataclass
class Fuzz:
    schema: Any
    headers: dict[str, dict[str, str]]
    values: dict[str, str] = field(default_factory=dict)
    own_ids: dict[str, set[str]] = field(default_factory=dict)
    """Each identity's own 公民身份号码: the citizen reads it in their own application form."""
    gates: dict[str, str] = field(default_factory=dict)
    """Which identity runs each operation's coverage phase, by operation label."""


@pytest.fixture(scope="module")
def fuzz(probe, django_db_blocker) -> Iterator[Fuzz]:
    with django_db_blocker.unblock():
        try:
            with probe.use() as world:
                yield _fuzz(world)
        finally:
            db_calendar.forget()
            limits.clear()


def _fuzz(world: probe_world.World) -> Fuzz:
    """Log the identities in and load the schema, in the module's transaction (on the world)."""
    headers: dict[str, dict[str, str]] = {"anonymous": {}}
    for identity, name in LOGINS.items():
        client = probe_world.token_login(world, name)
        headers[identity] = {"Authorization": client._credentials["HTTP_AUTHORIZATION"]}
    with wsgi_in_transaction():
        schema = schemathesis.openapi.from_wsgi(SCHEMA_PATH, get_wsgi_application(), config=_config())
    own = NaturalPerson.objects.get(user=world.users["citizen"]).reveal_id_number()
    fuzz = Fuzz(schema=schema, headers=headers, values=world.values, own_ids={"citizen": {own}})
    fuzz.gates = _gates(fuzz)
    return fuzz


def _config() -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "suppress-health-check": ["all"],
            "generation": {"max-examples": FUZZ_EXAMPLES, "deterministic": True, "database": "none"},
        }
    )


def _operations(schema: Any) -> Iterator[Any]:
    for result in schema.get_all_operations():
        yield result.ok()


def _gates(fuzz: Fuzz) -> dict[str, str]:
    """Public operations are covered as anonymous; the rest as the citizen unless one plain
    request shows the citizen refused (401/403), then as the staff member."""
    gates = {}
    for operation in _operations(fuzz.schema):
        security = operation.definition.raw.get("security")
        if not security or {} in security:
            gates[operation.label] = "anonymous"
            continue
        case = operation.Case(path_parameters=dict.fromkeys(re.findall(r"\{(\w+)\}", operation.path), "1"))
        status = _send(case, fuzz.headers["citizen"]).status_code
        gates[operation.label] = "staff" if status in (401, 403) else "citizen"
    return gates


def _send(case: Any, headers: dict[str, str]) -> Any:
    """One request in a savepoint rolled back at once: every case sees the same world."""
    with wsgi_in_transaction(), transaction.atomic():
        limits.clear()  # the shared rate limits count in the database: each case starts afresh
        try:
            return case.call(headers=headers)
        finally:
            transaction.set_rollback(True)


# --- the run ------------------------------------------------------------------------------------


@dataclass
class Tally:
    operations: int = 0
    cases: int = 0
    server_errors: list[str] = field(default_factory=list)
    schema_violations: list[str] = field(default_factory=list)
    undocumented: list[str] = field(default_factory=list)
    unmasked_ids: list[str] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)

    def line(self, identity: str, seconds: float) -> str:
        return (
            f"S3 API fuzz as {identity}: {self.operations} operations, {self.cases} cases, "
            f"{len(self.server_errors)} 5xx, {len(self.schema_violations)} schema violations, "
            f"{len(self.undocumented)} undocumented status codes, {len(self.unmasked_ids)} unmasked ID numbers "
            f"({seconds:.0f} s)"
        )

    def problems(self) -> list[str]:
        return [*self.server_errors, *self.schema_violations, *self.undocumented, *self.unmasked_ids]


def run(fuzz: Fuzz, identity: str, only: Callable[[Any], bool] = lambda operation: True) -> Tally:
    tally = Tally()
    headers = fuzz.headers[identity]
    for operation in _operations(fuzz.schema):
        if not only(operation):
            continue
        tally.operations += 1
        covers = fuzz.gates.get(operation.label, identity) == identity
        # Examples and coverage on the identity's real objects; fuzzing with any path values.
        real = Override(path_parameters=real_path_values(operation.path, identity, fuzz.values))
        passes = [([HypothesisTestMode.EXAMPLES], real), ([HypothesisTestMode.FUZZING], Override())]
        if covers:
            passes.append(([HypothesisTestMode.COVERAGE], real))

        def check(case: Any) -> None:
            phase = case.meta.phase.name.value if case.meta is not None else ""
            # runs within this iteration (the test is called below), so `real` is this operation's
            if phase == "coverage" and zlib.crc32(_sample_key(case, real).encode()) % COVERAGE_SAMPLE:  # noqa: B023
                return
            tally.cases += 1
            response = _send(case, headers)
            tally.statuses[response.status_code] += 1
            label = f"{case.method} {case.formatted_path} → {response.status_code}"
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except FailureGroup as group:
                for failure in group.exceptions:
                    if isinstance(failure, ServerError):
                        bucket = tally.server_errors
                    elif isinstance(failure, UndefinedStatusCode):
                        bucket = tally.undocumented
                    else:
                        bucket = tally.schema_violations
                    bucket.append(
                        f"{label}: {failure.title}: {(failure.message or '')[:300]} [{_sent(case)}]"[:900]
                    )
            tally.unmasked_ids.extend(
                f"{label}: {number}"
                for number in unmasked_ids(case, response)
                if number not in fuzz.own_ids.get(identity, ())
            )

        for modes, override in passes:
            test = create_test(
                operation=operation,
                test_func=check,
                config=HypothesisTestConfig(
                    project=fuzz.schema.config,
                    modes=modes,
                    settings=fuzz.schema.config.get_hypothesis_settings(operation=operation, phase="fuzzing"),
                    seed=SEED,
                    override=override,
                ),
            )
            try:
                test()
            except unittest.SkipTest:  # an examples pass where the document gives none
                continue
    return tally


def _sample_key(case: Any, real: Override) -> str:
    """What picks a coverage case for the CI sample: the case without the world's real path values
    (database ids differ from run to run), so each run sends the same cases."""
    path = {
        name: "*" if name in real.path_parameters else value for name, value in case.path_parameters.items()
    }
    body = None if case.body is NOT_SET else case.body
    return json.dumps(
        [path, case.query, body if _jsonable(body) else repr(body)], sort_keys=True, default=repr
    )


def _sent(case: Any) -> str:
    """What the request carried (path parameters, query, body), as stable text."""
    body = None if case.body is NOT_SET else case.body
    return json.dumps(
        [case.path_parameters, case.query, body if _jsonable(body) else repr(body)],
        ensure_ascii=False,
        sort_keys=True,
        default=repr,
    )


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def unmasked_ids(case: Any, response: Any) -> list[str]:
    """S6: valid GB 11643 numbers in clear in a text answer that the request did not carry itself."""
    content_type = (response.headers.get("content-type") or [""])[0]  # lowercase keys, list values
    if not content_type.startswith(("application/json", "text/", "application/vnd.oai")):
        return []
    text = response.content.decode("utf-8", "replace")
    sent = _sent(case).upper()
    found = []
    for match in _ID_CANDIDATE.finditer(text):
        number = match.group().upper()
        if number in sent:
            continue
        try:
            parse_id_number(number)
        except IdentifierError:
            continue
        found.append(number)
    return found


def report(capsys: pytest.CaptureFixture[str], *lines: str) -> None:
    """The figures, one line each, printed with the run's summary by the root ``conftest.py``."""
    for line in lines:
        print(line)


# --- the bar ------------------------------------------------------------------------------------


@pytest.mark.parametrize("identity", IDENTITIES)
def test_every_operation_answers_within_its_schema(fuzz, identity, capsys):
    start = time.monotonic()
    tally = run(fuzz, identity)
    report(capsys, tally.line(identity, time.monotonic() - start))
    report(capsys, *(f"  {problem}" for problem in sorted(set(tally.problems()))[:100]))
    assert tally.operations == len(fuzz.gates)
    assert tally.cases > tally.operations
    assert tally.problems() == []


def test_the_coverage_phase_is_run_for_every_operation_by_someone_it_lets_in(fuzz):
    assert set(fuzz.gates.values()) == set(IDENTITIES)
    assert fuzz.gates["POST /api/v1/auth/token/"] == "anonymous"
    assert fuzz.gates["GET /api/v1/me/"] == "citizen"
    assert fuzz.gates["GET /api/v1/audit/events/"] == "staff"


# --- mutation switches: each planted fault is reported ---------------------------------------------


def _keys_view() -> type:
    return resolve("/api/v1/keys/").func.cls


def _only_keys(operation: Any) -> bool:
    return operation.label == "GET /api/v1/keys/"


def test_a_view_that_raises_is_reported_as_a_server_error(fuzz, monkeypatch, capsys):
    def broken(self, request, *args, **kwargs):
        raise RuntimeError("planted fault")

    monkeypatch.setattr(_keys_view(), "get", broken)
    tally = run(fuzz, "anonymous", only=_only_keys)
    report(capsys, f"S3 mutation (a view raises): {len(tally.server_errors)} 5xx reported")
    assert tally.server_errors


def test_an_answer_outside_the_schema_is_reported(fuzz, monkeypatch, capsys):
    def wrong(self, request, *args, **kwargs):
        return Response([{"key_id": 7}])

    monkeypatch.setattr(_keys_view(), "get", wrong)
    tally = run(fuzz, "anonymous", only=_only_keys)
    report(
        capsys,
        f"S3 mutation (an answer outside the schema): {len(tally.schema_violations)} violations reported",
    )
    assert tally.schema_violations and not tally.server_errors


def test_an_undocumented_status_is_reported(fuzz, monkeypatch, capsys):
    def teapot(self, request, *args, **kwargs):
        return Response({"code": "teapot", "message": "planted"}, status=418)

    monkeypatch.setattr(_keys_view(), "get", teapot)
    tally = run(fuzz, "anonymous", only=_only_keys)
    report(capsys, f"S3 mutation (an undocumented status): {len(tally.undocumented)} reported")
    assert tally.undocumented


def test_an_id_number_in_clear_is_reported(fuzz, monkeypatch, capsys):
    from sifa.testing import id_number

    number = id_number("33010619850716001")
    original = _keys_view().get

    def leaky(self, request, *args, **kwargs):
        response = original(self, request, *args, **kwargs)
        response.data = [{**row, "key_id": f"holder {number}"} for row in response.data] or [
            {"key_id": number}
        ]
        return response

    monkeypatch.setattr(_keys_view(), "get", leaky)
    tally = run(fuzz, "anonymous", only=_only_keys)
    report(capsys, f"S6 mutation (an ID number in clear): {len(tally.unmasked_ids)} reported")
    assert tally.unmasked_ids and number in tally.unmasked_ids[0]
