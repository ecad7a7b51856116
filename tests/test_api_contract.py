"""The API accepts what its OpenAPI document says, and refuses the rest with the one error shape.

Every write operation of ``/api/v1/schema/`` (POST, PUT, PATCH, DELETE) is called by a user
allowed to make it, on real objects of the demo world:

* its body is declared with ``core.api.bodies.accepts`` — one serializer both documented and
  used for validation — and every request object of the schema says ``additionalProperties: false``;
* bodies generated from the schema (only the required fields, and every field) are never
  refused by that serializer for their shape (``field.*``/``body.*``); the answer is 2xx or a 4xx
  with a stable code (a business rule: wrong state, unknown entry…), never a 5xx;
* schema-violating bodies — not an object, an unknown field, each required field missing, each
  field of the wrong type, a string one character over ``maxLength``, an integer over
  ``maximum`` — answer 400 with the one error shape; strings and integers without a documented
  limit, however long or large, never answer 5xx;
* an operation without a body refuses one (400 ``body.unexpected``).

Each call runs in a savepoint that is rolled back, so every call sees the same world.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.urls import resolve
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.exceptions import ValidationError
from rest_framework.test import APIClient

from sifa.accounts.models import ConsentRecord, Mandate, User
from sifa.applications import services as applications
from sifa.applications.services.draft_materials import applicable_materials
from sifa.catalogue import services as catalogue
from sifa.catalogue.models import CatalogueItem, ImplementationEntry
from sifa.catalogue.tests.conftest import CATALOGUE_TREE
from sifa.complaints import services as complaints
from sifa.consultation import services as consultation
from sifa.core import limits
from sifa.core.api.bodies import RequestBody
from sifa.core.api.errors import field_errors
from sifa.core.errors import ServiceError
from sifa.deadlines import db_calendar
from sifa.deadlines.services import seed_calendar
from sifa.demo.cases import LAWYER_FULL_TIME, demo_pdf, load_cases
from sifa.demo.inspections import load_mock
from sifa.demo.mandates import load_mandates
from sifa.evaluation import services as evaluation
from sifa.inspections import services as inspections
from sifa.licences import services as licence_services
from sifa.licences.models import Licence
from sifa.mediation.models import MediationCommittee, Mediator
from sifa.notifications.models import Delivery, Notification
from sifa.testing import catalogue_tree, rolled_back, tree
from sifa.testing.clock import travel

WRITE_METHODS = ("post", "put", "patch", "delete")
BIG_INTEGER = 10**20
LONG_TEXT = "长" * 20_000
UNKNOWN_FIELD = "no_such_field"
LAWYER_CHANGE = "000100002000"
"""律师执业变更许可（变更执业机构）: the demo lawyer's next application (a change of firm, 律师法 §10)."""


# --- the world --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[dict[str, Any]]:
    """The demo world (accounts, delivered cases, licences, mandates) plus a draft application,
    a catalogue draft, a licence authorisation and a mediation roster; rolled back at the end."""
    with rolled_back(django_db_blocker):
        orgs = catalogue_tree(*CATALOGUE_TREE)  # with the licence types, as `sifa run` loads them
        tree("sc", on=orgs)  # the demo's second county
        seed_calendar(2026, 2026)
        db_calendar.forget()
        limits.clear()
        call_command("load-demo")
        cases = load_cases()
        load_mandates()
        try:
            yield _objects(orgs, cases)
        finally:
            db_calendar.forget()
            limits.clear()


def _objects(orgs: dict[str, Any], cases: dict[str, Any]) -> dict[str, Any]:
    users = {u.username: u for u in User.objects.filter(is_demo=True)}
    citizen = User.objects.get(phone_index=_phone_index("13800000001"))
    client = User.objects.get(phone_index=_phone_index("13800000004"))
    admin = User.objects.create_superuser("contract-admin", password="x-Contract-2026!", kind="staff")
    # 陈明 holds the 律师执业证 load_cases issued: his next application is a change of firm (a second
    # 律师执业许可 is refused, 律师法 §10), which takes that licence from his wallet.
    entry = ImplementationEntry.objects.get(item__basic_code=LAWYER_CHANGE, organisation=orgs["hz"])
    draft = applications.start_draft(entry, actor=citizen)
    licence = Licence.objects.filter(holder=citizen).first()
    grant = licence_services.grant(
        licence,
        holder=citizen,
        purpose="律师事务所核验执业证",
        valid_until=dt.date(2027, 6, 30),
        organisation_id=orgs["hz"].pk,
    )
    item = CatalogueItem.objects.get(basic_code=LAWYER_FULL_TIME)
    version = catalogue.new_draft(item, system=True)
    committee = MediationCommittee.objects.create(
        organisation=orgs["xh_town"], name="北山街道人民调解委员会", kind="township"
    )
    mediator = Mediator.objects.create(committee=committee, name="王秀英", position="member")
    case = next(iter(cases.values()))
    ticket = consultation.create_ticket(
        citizen,
        channel="web",
        category="mediation",
        region=orgs["xh_town"].region.code,
        title="邻里纠纷如何申请调解",
        question="楼上邻居漏水导致我家受损，协商不成，如何申请人民调解？",
    ).ticket
    rating = evaluation.rate(
        case.applicant, subject="application", number=case.number, level="不满意", comment="等待时间过长"
    )
    complaint = complaints.submit(
        None,
        kind="complaint",
        subject_kind="service",
        organisation=orgs["xh_town"].pk,
        text="窗口工作人员让我来回跑了三次，每次要求的材料都不一样。",
        anonymous=True,
    ).complaint
    # The demo inspector's mock application, delivered and scored, and a random check of this
    # month's closed cases drawn on the first day of next month (a month must be over).
    mock = load_mock()
    today = timezone.localdate()
    with travel((today.replace(day=28) + dt.timedelta(days=4)).replace(day=1)):
        check = inspections.draw(
            users["demo-inspector"],
            organisation=orgs["hz"].pk,
            period=today.strftime("%Y-%m"),
            size=2,
            seed="c",
        ).check
    return {
        "users": {
            "anonymous": None,
            "citizen": citizen,
            "client": client,
            "staff": users["demo-city"],
            "keeper": users["demo-township"],
            "supervisor": users["demo-province"],
            "inspector": users["demo-inspector"],
            "admin": admin,
        },
        "entry": entry.implementation_code,
        "material": next(
            m.pk
            for m in applicable_materials(draft.version, draft.situation_answers)
            if not m.satisfiable_by_licence_type  # the licence changed comes from the wallet only
        ),
        "paths": {
            "ref": str(draft.pk),
            "case": case.number,
            "mock": str(mock.public_id),
            "check": str(check.public_id),
            "check_case": check.cases.order_by("position").first().application.number,
            "basic_code": LAWYER_FULL_TIME,
            "version": str(version.number),
            "licence": licence.identifier,
            "authorisation": str(grant.id),
            "mandate": str(Mandate.objects.filter(principal=client).first().pk),
            "consent": str(ConsentRecord.objects.filter(user=citizen).order_by("id").first().pk),
            "message": str(Notification.objects.filter(recipient=citizen).first().public_id),
            "delivery": str(Delivery.objects.first().public_id),
            "committee": str(committee.pk),
            "mediator": str(mediator.pk),
            "office": str(orgs["xh_town"].pk),
            "organisation": str(orgs["zj"].pk),
            "ticket": ticket.number,
            "rectification": str(rating.rectification.pk),
            "complaint": complaint.number,
        },
    }


def _phone_index(phone: str) -> str:
    from sifa.accounts.services.common import phone_index

    return phone_index(phone)


# Who makes each write operation, and on which objects. A new write endpoint must be added here:
# the first test fails until it is.
OPERATIONS: dict[tuple[str, str], tuple[str, str]] = {
    ("post", "/api/v1/accounts/register/company/"): ("anonymous", "/api/v1/accounts/register/company/"),
    ("post", "/api/v1/accounts/register/person/"): ("anonymous", "/api/v1/accounts/register/person/"),
    ("post", "/api/v1/auth/sms-code/"): ("anonymous", "/api/v1/auth/sms-code/"),
    ("post", "/api/v1/auth/token/"): ("anonymous", "/api/v1/auth/token/"),
    ("post", "/api/v1/auth/token/revoke/"): ("citizen", "/api/v1/auth/token/revoke/"),
    ("post", "/api/v1/applications/"): ("citizen", "/api/v1/applications/"),
    ("post", "/api/v1/applications/drafts/"): ("citizen", "/api/v1/applications/drafts/"),
    ("patch", "/api/v1/applications/drafts/{ref}/"): ("citizen", "/api/v1/applications/drafts/{ref}/"),
    ("post", "/api/v1/applications/{ref}/submit/"): ("citizen", "/api/v1/applications/{ref}/submit/"),
    ("post", "/api/v1/applications/{ref}/withdraw/"): ("citizen", "/api/v1/applications/{ref}/withdraw/"),
    ("post", "/api/v1/applications/{ref}/materials/"): ("citizen", "/api/v1/applications/{ref}/materials/"),
    ("post", "/api/v1/applications/{ref}/correction/"): ("citizen", "/api/v1/applications/{ref}/correction/"),
    ("post", "/api/v1/applications/{ref}/findings/"): ("staff", "/api/v1/applications/{ref}/findings/"),
    ("post", "/api/v1/applications/{ref}/correction-notice/"): (
        "staff",
        "/api/v1/applications/{ref}/correction-notice/",
    ),
    ("post", "/api/v1/cases/{number}/commands/{command}/"): (
        "staff",
        "/api/v1/cases/{case}/commands/accept/",
    ),
    ("post", "/api/v1/catalogue/items/{basic_code}/drafts/"): (
        "admin",
        "/api/v1/catalogue/items/{basic_code}/drafts/",
    ),
    ("patch", "/api/v1/catalogue/items/{basic_code}/drafts/{number}/"): (
        "admin",
        "/api/v1/catalogue/items/{basic_code}/drafts/{version}/",
    ),
    ("post", "/api/v1/catalogue/items/{basic_code}/drafts/{number}/publish/"): (
        "admin",
        "/api/v1/catalogue/items/{basic_code}/drafts/{version}/publish/",
    ),
    ("post", "/api/v1/catalogue/items/{basic_code}/versions/{number}/withdraw/"): (
        "admin",
        "/api/v1/catalogue/items/{basic_code}/versions/{version}/withdraw/",
    ),
    ("post", "/api/v1/licences/verify/"): ("anonymous", "/api/v1/licences/verify/"),
    ("post", "/api/v1/me/licences/{identifier}/authorisations/"): (
        "citizen",
        "/api/v1/me/licences/{licence}/authorisations/",
    ),
    ("post", "/api/v1/me/licences/{identifier}/authorisations/{authorisation_id}/revoke/"): (
        "citizen",
        "/api/v1/me/licences/{licence}/authorisations/{authorisation}/revoke/",
    ),
    ("post", "/api/v1/mandates/"): ("client", "/api/v1/mandates/"),
    ("post", "/api/v1/mandates/{id}/revoke/"): ("client", "/api/v1/mandates/{mandate}/revoke/"),
    ("post", "/api/v1/me/consents/"): ("citizen", "/api/v1/me/consents/"),
    ("post", "/api/v1/me/consents/{id}/withdraw/"): ("citizen", "/api/v1/me/consents/{consent}/withdraw/"),
    ("post", "/api/v1/me/messages/{public_id}/read/"): ("citizen", "/api/v1/me/messages/{message}/read/"),
    ("post", "/api/v1/notifications/deliveries/{public_id}/resend/"): (
        "admin",
        "/api/v1/notifications/deliveries/{delivery}/resend/",
    ),
    ("post", "/api/v1/mediation/offices/{org_id}/committees/"): (
        "keeper",
        "/api/v1/mediation/offices/{office}/committees/",
    ),
    ("post", "/api/v1/mediation/committees/{committee_id}/mediators/"): (
        "keeper",
        "/api/v1/mediation/committees/{committee}/mediators/",
    ),
    ("post", "/api/v1/mediation/mediators/{mediator_id}/active/"): (
        "keeper",
        "/api/v1/mediation/mediators/{mediator}/active/",
    ),
    ("post", "/api/v1/consultations/"): ("citizen", "/api/v1/consultations/"),
    ("post", "/api/v1/ratings/"): ("citizen", "/api/v1/ratings/"),
    ("post", "/api/v1/ratings/links/"): ("staff", "/api/v1/ratings/links/"),
    ("post", "/api/v1/ratings/cards/"): ("staff", "/api/v1/ratings/cards/"),
    ("post", "/api/v1/rectifications/{id}/commands/{command}/"): (
        "staff",
        "/api/v1/rectifications/{rectification}/commands/callback/",
    ),
    ("post", "/api/v1/consultations/{number}/answer/"): ("keeper", "/api/v1/consultations/{ticket}/answer/"),
    ("post", "/api/v1/consultations/{number}/transfer/"): (
        "keeper",
        "/api/v1/consultations/{ticket}/transfer/",
    ),
    ("post", "/api/v1/consultations/{number}/rating/"): ("citizen", "/api/v1/consultations/{ticket}/rating/"),
    ("post", "/api/v1/consultations/{number}/convert/"): (
        "citizen",
        "/api/v1/consultations/{ticket}/convert/",
    ),
    ("post", "/api/v1/complaints/"): ("anonymous", "/api/v1/complaints/"),
    ("post", "/api/v1/exchange/inbox/"): ("anonymous", "/api/v1/exchange/inbox/"),
    ("post", "/api/v1/exchange/messages/{message_id}/resend/"): (
        "admin",
        "/api/v1/exchange/messages/00000000-0000-4000-8000-000000000000/resend/",
    ),
    ("post", "/api/v1/complaints/{number}/commands/{command}/"): (
        "supervisor",
        "/api/v1/complaints/{complaint}/commands/accept/",
    ),
    ("post", "/api/v1/inspections/mock-applications/"): (
        "inspector",
        "/api/v1/inspections/mock-applications/",
    ),
    ("post", "/api/v1/inspections/mock-applications/{id}/score/"): (
        "inspector",
        "/api/v1/inspections/mock-applications/{mock}/score/",
    ),
    ("post", "/api/v1/inspections/random-checks/"): ("inspector", "/api/v1/inspections/random-checks/"),
    ("post", "/api/v1/inspections/random-checks/{id}/cases/{number}/finding/"): (
        "inspector",
        "/api/v1/inspections/random-checks/{check}/cases/{check_case}/finding/",
    ),
    ("post", "/api/v1/organisations/{id}/document-code/"): (
        "admin",
        "/api/v1/organisations/{organisation}/document-code/",
    ),
    ("post", "/api/v1/indicators/report/{organisation}/{period}/commands/issue/"): (
        "supervisor",
        "/api/v1/indicators/report/{organisation}/2026-01/commands/issue/",
    ),
    ("post", "/api/v1/indicators/report/{organisation}/{period}/commands/withdraw/"): (
        "supervisor",
        "/api/v1/indicators/report/{organisation}/2026-01/commands/withdraw/",
    ),
    ("post", "/api/v1/staff/licences/{identifier}/{action}/"): (
        "admin",
        "/api/v1/staff/licences/{licence}/revoke/",
    ),
    ("post", "/api/v1/window/data-use/"): ("staff", "/api/v1/window/data-use/"),
}


# --- the schema -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def _write_operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, item[method])
        for path, item in schema["paths"].items()
        for method in WRITE_METHODS
        if method in item
    ]


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow ``$ref`` and single-``allOf`` wrappers (drf-spectacular's way of adding a description)."""
    while True:
        if "$ref" in node:
            node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
        elif "allOf" in node and len(node["allOf"]) == 1:
            node = {**node["allOf"][0], **{k: v for k, v in node.items() if k != "allOf"}}
        elif "oneOf" in node:
            node = node["oneOf"][0]
        else:
            return node


def _body_schema(schema: dict[str, Any], operation: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    content = operation.get("requestBody", {}).get("content", {})
    media_type = "application/json" if "application/json" in content else next(iter(content), None)
    if media_type is None:
        return None
    return media_type, _resolve(schema, content[media_type]["schema"])


def _example(schema: dict[str, Any], node: dict[str, Any], *, full: bool) -> Any:
    """A value the schema accepts: the first enum value, a date in 2027, a string within its limits…"""
    node = _resolve(schema, node)
    if node.get("enum"):
        return next((v for v in node["enum"] if v not in ("", None)), node["enum"][0])
    kind, form = node.get("type"), node.get("format")
    if kind == "string":
        if form == "binary":
            return SimpleUploadedFile("材料.pdf", demo_pdf("contract"), content_type="application/pdf")
        special = {
            "date": "2027-01-15",
            "date-time": "2027-01-15T09:00:00+08:00",
            "uuid": "8c5a6e1e-1d2b-4a4e-9c1f-2f7f4b0d9a01",
            "email": "contract@example.cn",
        }
        if form in special:
            return special[form]
        text = "测试内容" * max(1, node.get("minLength", 1))
        return text[: node.get("maxLength", len(text))]
    if kind == "integer":
        return max(1, node.get("minimum", 1))
    if kind == "number":
        return 1
    if kind == "boolean":
        return True
    if kind == "array":
        return [_example(schema, node.get("items", {}), full=full)]
    if kind == "object" or "properties" in node:
        properties = node.get("properties", {})
        wanted = properties if full else {n: properties[n] for n in node.get("required", [])}
        value = {
            name: _example(schema, sub, full=full) for name, sub in wanted.items() if not sub.get("readOnly")
        }
        extra = node.get("additionalProperties")
        if full and not properties and isinstance(extra, dict) and extra.get("type"):
            value["key"] = _example(schema, extra, full=full)
        return value
    return {}  # free-form JSON


def _wrong(schema: dict[str, Any], node: dict[str, Any]) -> Any:
    """A value of the wrong type for ``node`` (``...`` when the schema allows any type)."""
    node = _resolve(schema, node)
    if node.get("enum"):
        return "no-such-choice"
    kind, form = node.get("type"), node.get("format")
    if kind == "string":
        return {"date": "2027-02-30", "date-time": "2027-02-30T25:00", "uuid": "not-a-uuid"}.get(
            form, {"a": 1}
        )
    if kind in ("integer", "number"):
        return "not-a-number"
    if kind == "boolean":
        return "maybe"
    if kind == "array":
        return {"a": 1}
    if kind == "object" or "properties" in node:
        return ["not", "an", "object"]
    return ...


def _violations(
    schema: dict[str, Any], body: dict[str, Any], minimal: dict[str, Any]
) -> list[tuple[str, Any]]:
    """(label, body) pairs the schema refuses."""
    properties, required = body.get("properties", {}), body.get("required", [])
    out: list[tuple[str, Any]] = [
        ("not an object", ["x"]),
        ("unknown field", {**minimal, UNKNOWN_FIELD: "x"}),
    ]
    out += [(f"missing {name}", {k: v for k, v in minimal.items() if k != name}) for name in required]
    for name, node in properties.items():
        if node.get("readOnly"):
            continue
        wrong = _wrong(schema, node)
        if wrong is not ...:
            out.append((f"{name} of the wrong type", {**minimal, name: wrong}))
        node = _resolve(schema, node)
        if node.get("type") == "string" and "maxLength" in node and not node.get("format"):
            out.append((f"{name} too long", {**minimal, name: "长" * (node["maxLength"] + 1)}))
        if node.get("type") == "integer" and "maximum" in node:
            out.append((f"{name} too large", {**minimal, name: node["maximum"] + 1}))
    return out


def _unbounded(
    schema: dict[str, Any], body: dict[str, Any], minimal: dict[str, Any]
) -> list[tuple[str, Any]]:
    """Strings and integers with no documented limit: anything may come, a 5xx may not."""
    out = []
    for name, node in body.get("properties", {}).items():
        node = _resolve(schema, node)
        if node.get("type") == "string" and not (
            node.get("enum") or node.get("format") or "maxLength" in node
        ):
            out.append((f"{name} very long", {**minimal, name: LONG_TEXT}))
        if node.get("type") == "integer" and "maximum" not in node:
            out.append((f"{name} very large", {**minimal, name: BIG_INTEGER}))
    return out


# --- calling -----------------------------------------------------------------------------------


class Calls:
    """Makes one call in a rolled-back savepoint; records what the body's serializer said."""

    def __init__(self, world: dict[str, Any], method: str, path: str, monkeypatch) -> None:
        user_key, template = OPERATIONS[(method, path)]
        self.method = method
        self.url = template.format(**world["paths"])
        self.user = world["users"][user_key]
        self.refusals: list[list[dict[str, str]]] = []
        original = RequestBody.validated

        def spy(body: RequestBody) -> Any:
            try:
                return original(body)
            except ValidationError as error:
                self.refusals.append(field_errors(error.detail))
                raise
            except ServiceError as error:
                self.refusals.append(
                    error.errors or [{"field": "", "code": error.code, "message": error.message}]
                )
                raise

        monkeypatch.setattr(RequestBody, "validated", spy)

    def __call__(self, body: Any, media_type: str = "application/json"):
        limits.clear()  # throttles count per client address; every call here is a first one
        client = APIClient()
        if self.user is not None:
            client.force_authenticate(self.user)
        self.refusals.clear()
        send = getattr(client, self.method)
        with transaction.atomic():
            if body is None:
                response = send(self.url)
            elif media_type == "multipart/form-data":
                response = send(self.url, _multipart(body), format="multipart")
            else:
                response = send(self.url, body, format="json")
            transaction.set_rollback(True)
        return response


def _error_shape(response) -> list[str]:
    """What is wrong with an error answer's body (empty when it is the one ``Error`` shape)."""
    try:
        body = response.json()
    except ValueError:
        return ["not JSON"]
    problems = []
    if not (isinstance(body.get("code"), str) and isinstance(body.get("message"), str) and body["message"]):
        problems.append(f"no code/message: {body}")
    if set(body) - {"code", "message", "errors", "retry_after"}:
        problems.append(
            f"unexpected keys: {sorted(set(body) - {'code', 'message', 'errors', 'retry_after'})}"
        )
    for item in body.get("errors", []):
        if set(item) != {"field", "code", "message"}:
            problems.append(f"bad field error: {item}")
    return problems


def _shape_codes(refusals: list[list[dict[str, str]]]) -> list[dict[str, str]]:
    return [e for errors in refusals for e in errors if e["code"].startswith(("field.", "body."))]


def _multipart(body: dict[str, Any]) -> dict[str, Any]:
    """A form of strings and files; every call gets its own copy of a file (a file is read once)."""
    return {
        k: SimpleUploadedFile(v.name, v.file.getvalue(), content_type=v.content_type)
        if isinstance(v, SimpleUploadedFile)
        else str(v)
        for k, v in body.items()
    }


# --- the tests ----------------------------------------------------------------------------------


def test_every_write_operation_is_called_here(schema):
    documented = {(method, path) for method, path, _op in _write_operations(schema)}
    assert documented == set(OPERATIONS), "add the operation to OPERATIONS (who calls it, on what)"


def test_every_write_operation_declares_its_body_with_accepts(schema):
    missing = []
    for method, path, _operation in _write_operations(schema):
        match = resolve(path.replace("{", "").replace("}", ""))
        cls = match.func.cls
        actions = getattr(match.func, "actions", None) or {}
        handler = getattr(cls, actions.get(method, method))
        if not hasattr(handler, "request_serializer"):
            missing.append(f"{method.upper()} {path}")
    assert missing == [], "declare the body with @accepts(Serializer) or @accepts(None)"


def test_every_request_object_refuses_unknown_fields(schema):
    loose = []
    for name, component in schema["components"]["schemas"].items():
        if name.endswith("Request") and component.get("type") == "object":
            if component.get("additionalProperties") is not False:
                loose.append(name)
    assert loose == []


def _cases() -> list[tuple[str, str]]:
    return sorted(OPERATIONS)


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), _cases(), ids=[f"{m.upper()} {p}" for m, p in _cases()])
def test_the_operation_accepts_its_schema_and_refuses_the_rest(world, schema, monkeypatch, method, path):
    operation = schema["paths"][path][method]
    call = Calls(world, method, path, monkeypatch)
    failures: list[str] = []
    found = _body_schema(schema, operation)
    if found is None:
        empty = call(None)
        if empty.status_code >= 500:
            failures.append(f"no body: {empty.status_code}")
        refused = call({UNKNOWN_FIELD: "x"})
        if refused.status_code != 400 or refused.json().get("code") != "body.unexpected":
            failures.append(f"a body was not refused: {refused.status_code} {refused.content[:200]!r}")
        assert failures == []
        return

    media_type, body = found
    multipart = media_type == "multipart/form-data"
    minimal = _example(schema, body, full=False)
    full = _example(schema, body, full=True)
    if "material" in body.get("properties", {}):
        minimal["material"] = full["material"] = world["material"]
    if "entry" in body.get("properties", {}):
        minimal["entry"] = full["entry"] = world["entry"]

    for label, sent in (("required fields only", minimal), ("every field", full)):
        response = call(sent, media_type)
        if response.status_code >= 500:
            failures.append(f"{label}: {response.status_code}")
        elif response.status_code >= 400:
            failures += [f"{label}: {p}" for p in _error_shape(response)]
            if shape := _shape_codes(call.refusals):
                failures.append(f"{label}: refused for its shape: {shape}")

    for label, sent in _violations(schema, body, minimal):
        if multipart and (
            not isinstance(sent, dict) or any(isinstance(v, dict | list) for v in sent.values())
        ):
            continue  # a form cannot carry an object or a list
        response = call(sent, media_type)
        if response.status_code != 400:
            failures.append(f"{label}: {response.status_code} instead of 400: {response.content[:300]!r}")
        else:
            failures += [f"{label}: {p}" for p in _error_shape(response)]

    for label, sent in _unbounded(schema, body, minimal):
        response = call(sent, media_type)
        if response.status_code >= 500:
            failures.append(f"{label}: {response.status_code}")
        elif response.status_code >= 400:
            failures += [f"{label}: {p}" for p in _error_shape(response)]

    assert failures == []
