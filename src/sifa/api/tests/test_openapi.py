"""The OpenAPI schema partners generate clients from: complete, valid, warning-free.

Every operation names its body and its answers; every error answer is the one ``Error`` component
(the shape ``sifa.core.api.errors`` produces); public operations say so; the Swagger UI page is served
from our own static files with no inline script, so the CSP (script-src 'self') holds.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

ERROR_REF = "#/components/schemas/Error"
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def generated() -> tuple[dict[str, Any], list[str]]:
    """The schema and every warning or error drf-spectacular raised while building it."""
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        schema = SchemaGenerator().get_schema(request=None, public=True)
    problems = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    GENERATOR_STATS.reset()
    return schema, problems


@pytest.fixture(scope="module")
def schema(generated) -> dict[str, Any]:
    return generated[0]


def _operations(schema: dict[str, Any]):
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                yield method, path, item[method]


def _body_ref(response: dict[str, Any]) -> str | None:
    content = response.get("content", {}).get("application/json", {})
    return content.get("schema", {}).get("$ref")


def _is_public(operation: dict[str, Any]) -> bool:
    security = operation.get("security")
    return not security or {} in security


def test_schema_builds_without_a_single_warning(generated):
    _schema, problems = generated
    assert problems == []


def test_schema_is_valid_openapi(schema):
    validate_schema(schema)


def test_the_operations_partners_start_with_are_documented(schema):
    paths = schema["paths"]
    token = paths["/api/v1/auth/token/"]["post"]
    assert token["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "TokenRequestRequest"
    )
    assert _body_ref(token["responses"]["201"]).endswith("/Token")
    assert "security" not in token  # no login needed to log in

    create = paths["/api/v1/applications/"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "ApplicationStartRequest"
    )
    assert _body_ref(create["responses"]["201"]).endswith("/Submitted")
    assert {"in": "header", "name": "Idempotency-Key"}.items() <= next(
        p for p in create["parameters"] if p["name"] == "Idempotency-Key"
    ).items()

    track = paths["/api/v1/track/{number}/"]["get"]
    assert _body_ref(track["responses"]["200"]).endswith("/Tracking")
    assert {p["name"]: p["in"] for p in track["parameters"]} == {"number": "path", "code": "query"}
    assert "429" in track["responses"] and "security" not in track

    command = paths["/api/v1/cases/{number}/commands/{command}/"]["post"]
    assert "requestBody" in command
    command_parameter = next(p for p in command["parameters"] if p["name"] == "command")
    assert "decide" in command_parameter["schema"]["enum"]
    assert {"400", "404", "409"} <= set(command["responses"])

    verify = paths["/api/v1/licences/verify/{identifier}/"]["get"]
    assert _body_ref(verify["responses"]["200"]).endswith("/Verification")
    assert "security" not in verify

    keys = paths["/api/v1/keys/"]["get"]
    assert keys["responses"]["200"]["content"]["application/json"]["schema"]["items"]["$ref"].endswith(
        "/PublicKey"
    )


def test_there_is_one_error_component_with_the_handler_shape(schema):
    error = schema["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"code", "message", "errors", "retry_after"}
    assert error["required"] == ["code", "message"]
    field_error = schema["components"]["schemas"]["FieldError"]
    assert set(field_error["properties"]) == {"field", "code", "message"}
    assert not [
        name
        for name in schema["components"]["schemas"]
        if "Error" in name
        and name
        not in {
            "Error",
            "FieldError",
        }
    ]


def test_every_operation_documents_its_answers(schema):
    missing = []
    for method, path, operation in _operations(schema):
        responses = operation["responses"]
        success = [code for code in responses if code.startswith("2")]
        if not success:
            missing.append(f"{method} {path}: no 2xx answer")
        for code in success:
            if code != "204" and not responses[code].get("content"):
                missing.append(f"{method} {path}: {code} has no body")
        for code, response in responses.items():
            if code[0] in "45" and _body_ref(response) != ERROR_REF:
                missing.append(f"{method} {path}: {code} is not the Error component")
        if not _is_public(operation) and not {"401", "403"} <= set(responses):
            missing.append(f"{method} {path}: behind a login but no 401/403")
        if "{" in path and "404" not in responses:
            missing.append(f"{method} {path}: has a path parameter but no 404")
        if method in ("post", "put", "patch") and "requestBody" in operation and "400" not in responses:
            missing.append(f"{method} {path}: takes a body but documents no 400")
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path" and parameter.get("schema", {}).get("type") != "string":
                missing.append(f"{method} {path}: path parameter {parameter['name']} is untyped")
    assert missing == []


def test_security_schemes_are_bearer_and_session(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    assert schemes["cookieAuth"]["in"] == "cookie"
    me = schema["paths"]["/api/v1/me/"]["get"]
    assert me["security"] == [{"bearerAuth": []}, {"cookieAuth": []}]


@pytest.mark.django_db
def test_swagger_ui_is_served_from_our_own_files_without_inline_script(client):
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S)
    assert scripts, "the page loads Swagger UI through script tags"
    assert all("src=" in attributes and not body.strip() for attributes, body in scripts)
    assert not re.search(r"""(src|href)=["']https?://""", html), "no CDN: every asset is ours"
    policy = page["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy

    for src in re.findall(r"""<script\b[^>]*\bsrc=["']([^"']+)""", html):
        src = src.replace("&amp;", "&")
        if src.startswith(settings.STATIC_URL):  # collected static files, served by the web server
            assert finders.find(src.removeprefix(settings.STATIC_URL)), src
        else:  # the page's own start-up script, a view of ours
            script = client.get(src)
            assert script.status_code == 200 and b"SwaggerUIBundle" in script.content, src


@pytest.mark.django_db
def test_schema_endpoint_serves_the_same_document(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert "/api/v1/track/{number}/" in response.json()["paths"]


def test_every_operation_documents_the_answers_any_request_can_get(schema):
    """The door's 400 (NUL, lone surrogates, too deep JSON) on every operation; a bad token's 401
    wherever a token is accepted, public operations included; 413/415 wherever a body is taken
    (``core.api.schema.default_error_responses``)."""
    missing = []
    for method, path, operation in _operations(schema):
        responses = operation["responses"]
        expected = {"400"}
        if operation.get("security") and any(requirement for requirement in operation["security"]):
            expected.add("401")
        if "requestBody" in operation:
            expected |= {"413", "415"}
        if not expected <= set(responses):
            missing.append(f"{method} {path}: {sorted(expected - set(responses))}")
    assert missing == []
    track = schema["paths"]["/api/v1/track/{number}/"]["get"]
    assert "request.nul_character" in track["responses"]["400"]["description"]
