"""公民身份号码 in forms: an address code valid at any time is accepted (居民身份证法 §3), a code that
never was a GB/T 2260 code is a clear finding or a 400 — at the window and in the online form."""

from __future__ import annotations

from sifa.accounts import consents

from .conftest import PDF, _client, _staff, id_number, lawyer_form

CONSENT = consents.current(consents.REGISTER_ID_NUMBER).version  # §29, read at the window

API = "/api/v1/applications"
HISTORICAL = id_number("11010319800101001")  # 崇文区, merged into 东城区 in 2010
NEVER_VALID = id_number("99010119800101001")


def _walk_in(world, django_user_model, number: str):
    clerk = _staff(django_user_model, "town-clerk", world["orgs"]["xh_town"])
    body = {
        "entry": world["entry"].implementation_code,
        "form_data": lawyer_form(id_number=number),
        "applicant": {"name": "王五", "id_number": number, "id_number_consent": CONSENT},
    }
    return _client(clerk).post(f"{API}/drafts/", body, format="json")


def test_the_window_registers_a_walk_in_applicant_with_a_historical_address_code(world, django_user_model):
    response = _walk_in(world, django_user_model, HISTORICAL)
    assert response.status_code == 201, response.json()


def test_the_window_refuses_an_address_code_that_never_existed(world, django_user_model):
    response = _walk_in(world, django_user_model, NEVER_VALID)
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["field"], error["code"]) == ("applicant.id_number", "id_number.region")
    assert "行政区划代码" in error["message"]


def _submit(world, number: str, on_commit) -> list[dict]:
    api = world["api"]
    draft = api.post(
        f"{API}/drafts/",
        {"entry": world["entry"].implementation_code, "form_data": lawyer_form(id_number=number)},
        format="json",
    ).json()
    for material in draft["materials"]:
        if material["requested"] and material["necessity"] == "required":
            upload = {"material": str(material["material"]), "file": _pdf()}
            assert api.post(f"{API}/{draft['id']}/materials/", upload, format="multipart").status_code == 201
    with on_commit(execute=True):  # the automatic pre-review runs after the commit
        submitted = api.post(f"{API}/{draft['id']}/submit/", HTTP_IDEMPOTENCY_KEY=f"k-{number}")
    assert submitted.status_code == 201, submitted.json()
    return world["clerk_api"].get(f"{API}/{submitted.json()['number']}/").json()["findings"]


def _pdf():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("证明.pdf", PDF, "application/pdf")


def test_pre_review_accepts_a_historical_address_code_in_the_form(world, django_capture_on_commit_callbacks):
    findings = _submit(world, HISTORICAL, django_capture_on_commit_callbacks)
    assert not [f for f in findings if f["code"].startswith("id_number")], findings


def test_pre_review_finds_an_address_code_that_never_existed(world, django_capture_on_commit_callbacks):
    findings = _submit(world, NEVER_VALID, django_capture_on_commit_callbacks)
    codes = {f["code"]: f["message"] for f in findings}
    assert "id_number.region" in codes
    assert codes["id_number.region"].startswith("公民身份号码：")
