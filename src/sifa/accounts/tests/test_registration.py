"""Registration of citizens and companies: the happy path and every refusal, via the API."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sifa.accounts import consents
from sifa.accounts.models import NaturalPerson, User
from sifa.accounts.services import register_person
from sifa.accounts.tests import factories
from sifa.audit.models import AuditEvent
from sifa.core.errors import ServiceError

pytestmark = pytest.mark.django_db

PERSON_URL = "/api/v1/accounts/register/person/"
COMPANY_URL = "/api/v1/accounts/register/company/"


def person_payload(**overrides):
    data = {
        "name": "张三",
        "id_number": factories.id_number("330106"),
        "phone": factories.phone(),
        "password": factories.PASSWORD,
        "region_code": "330106001000",
        "id_number_consent": consents.current(consents.REGISTER_ID_NUMBER).version,
    }
    data.update(overrides)
    return data


def field_codes(response):
    body = response.json()
    return {e["field"]: e["code"] for e in body.get("errors", [])} or {"": body["code"]}


def test_person_registers_and_is_scoped_to_the_township_office(tree, api):
    payload = person_payload()
    response = api.post(PERSON_URL, payload, format="json")
    assert response.status_code == 201, response.json()
    user = User.objects.get(public_id=response.json()["public_id"])
    assert user.kind == "person"
    assert user.scope_path == tree.township.path
    person = NaturalPerson.objects.get(user=user)
    assert person.reveal_id_number() == payload["id_number"]
    assert user.reveal_phone() == payload["phone"]
    assert person.id_number_masked == payload["id_number"][:3] + "*" * 11 + payload["id_number"][-4:]
    assert user.phone_masked == payload["phone"][:3] + "****" + payload["phone"][-4:]
    assert payload["id_number"] not in response.content.decode()
    assert AuditEvent.objects.filter(action="account.register_person", object_id=str(person.id)).exists()


def test_county_region_scopes_to_the_county_bureau(tree):
    person = factories.person(region_code="330102")
    assert person.scope_path == tree.other_county.path


def test_region_without_own_office_falls_back_to_nearest_ancestor_bureau(tree):
    from sifa.organisations.models import Region, RegionLevel

    Region.objects.create(
        code="330106002000", name="西溪街道", level=RegionLevel.TOWNSHIP, parent_id="330106", vintage="t"
    )
    person = factories.person(region_code="330106002000")
    assert person.scope_path == tree.county.path


@pytest.mark.parametrize(
    ("id_number", "code"),
    [
        ("33010619850315123", "id_number.length"),
        ("33010619850315123Y", "id_number.format"),
        ("330106198503151230", "id_number.check_digit"),
    ],
)
def test_bad_id_numbers_are_refused_with_a_clear_message(tree, api, id_number, code):
    response = api.post(PERSON_URL, person_payload(id_number=id_number), format="json")
    assert response.status_code == 400
    assert field_codes(response)["" if "errors" not in response.json() else "id_number"] == code
    assert "公民身份号码" in response.json()["message"]


def test_impossible_birth_date_is_refused(tree, api):
    first17 = "33010619850230" + "123"
    number = first17 + factories.id_number_check_digit(first17)
    response = api.post(PERSON_URL, person_payload(id_number=number), format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "id_number.birth_date"
    assert response.json()["message"] == "公民身份号码中的出生日期不存在"


def test_future_birth_date_is_refused(tree, api):
    future = dt.date.today() + dt.timedelta(days=30)
    response = api.post(
        PERSON_URL, person_payload(id_number=factories.id_number("330106", future)), format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "id_number.birth_date_future"
    assert response.json()["message"] == "公民身份号码中的出生日期晚于今天"


@pytest.mark.parametrize("address_code", ["110103", "110104", "310103", "330103"])
def test_an_id_number_from_a_district_that_no_longer_exists_registers(tree, api, address_code):
    # 居民身份证法 §3: the number is fixed for life, so 崇文区 (merged into 东城区 in 2010) stays valid.
    number = factories.id_number(address_code)
    response = api.post(PERSON_URL, person_payload(id_number=number), format="json")
    assert response.status_code == 201, response.json()
    person = NaturalPerson.objects.get(user__public_id=response.json()["public_id"])
    assert person.reveal_id_number() == number
    assert person.region.code == "330106001000"  # where they live now, from the current region list


def test_unknown_address_code_in_id_number_is_refused(tree, api):
    response = api.post(PERSON_URL, person_payload(id_number=factories.id_number("339999")), format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "id_number.region"
    assert "行政区划代码" in response.json()["message"]


@pytest.mark.parametrize(
    ("region_code", "code"),
    [("999999", "region.unknown"), ("330100", "region.level"), ("", "field.required")],
)
def test_region_must_be_a_known_county_or_township(tree, api, region_code, code):
    response = api.post(PERSON_URL, person_payload(region_code=region_code), format="json")
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert response.json()["errors"][0]["field"] == "region_code"


@pytest.mark.parametrize("phone", ["12800000000", "1380000000", "138000000001", "abc"])
def test_bad_phone_is_refused(tree, api, phone):
    response = api.post(PERSON_URL, person_payload(phone=phone), format="json")
    assert response.status_code == 400
    assert response.json() == {
        "code": "phone.invalid",
        "message": "手机号码应为11位中国大陆手机号（以13–19开头）",
        "errors": [
            {
                "field": "phone",
                "code": "phone.invalid",
                "message": "手机号码应为11位中国大陆手机号（以13–19开头）",
            }
        ],
    }


@pytest.mark.parametrize(
    ("password", "code", "fragment"),
    [
        ("short1!", "password.password_too_short", "密码长度太短，至少需要8个字符"),
        ("12345678901", "password.password_entirely_numeric", "不能全部是数字"),
        ("password123", "password.password_too_common", "过于常见"),
    ],
)
def test_weak_passwords_are_refused_in_chinese(tree, api, password, code, fragment):
    response = api.post(
        PERSON_URL, person_payload(password=password), format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    codes = [e["code"] for e in response.json()["errors"]]
    assert code in codes
    assert any(fragment in e["message"] for e in response.json()["errors"]), response.json()


def test_every_problem_is_reported_at_once(tree, api):
    response = api.post(
        PERSON_URL,
        {"name": "", "id_number": "123", "phone": "1", "password": "1", "region_code": "1"},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert {e["field"] for e in body["errors"]} == {
        "name",
        "id_number",
        "phone",
        "password",
        "region_code",
        "id_number_consent",
    }


def test_duplicate_id_number_and_phone_are_conflicts(tree, api):
    first = person_payload()
    assert api.post(PERSON_URL, first, format="json").status_code == 201
    again = api.post(PERSON_URL, person_payload(id_number=first["id_number"]), format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "account.duplicate_id_number"
    assert again.json()["message"] == "该公民身份号码已注册，请直接登录或找回密码"
    same_phone = api.post(PERSON_URL, person_payload(phone=first["phone"]), format="json")
    assert same_phone.status_code == 409
    assert same_phone.json()["code"] == "account.duplicate_phone"
    assert "手机号码已注册" in same_phone.json()["message"]


def test_lower_case_x_check_digit_is_the_same_person(tree):
    number = next(n for n in (factories.id_number("330106", seq=s) for s in range(1, 200)) if n.endswith("X"))
    factories.person(id_number=number)
    with pytest.raises(ServiceError) as excinfo:
        factories.person(id_number=number.lower())
    assert excinfo.value.code == "account.duplicate_id_number"


def test_company_registers_with_a_valid_uscc(tree, api):
    code = factories.uscc()
    response = api.post(
        COMPANY_URL,
        {
            "name": "浙江示例律师事务所",
            "uscc": code,
            "legal_representative": "李四",
            "phone": factories.phone(),
            "password": factories.PASSWORD,
            "region_code": "330106",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["kind"] == "company"


@pytest.mark.parametrize(
    ("uscc", "code"),
    [
        ("91330106MA2", "uscc.length"),
        ("91330106MA27XXXXXI", "uscc.format"),
        ("913301060000000010", "uscc.check_char"),
    ],
)
def test_bad_uscc_is_refused(tree, api, uscc, code):
    response = api.post(
        COMPANY_URL,
        {
            "name": "某公司",
            "uscc": uscc,
            "legal_representative": "李四",
            "phone": factories.phone(),
            "password": factories.PASSWORD,
            "region_code": "330106",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] in {code, "uscc.orgcode_check"}
    assert "统一社会信用代码" in response.json()["message"]


def test_duplicate_uscc_is_a_conflict(tree, api):
    company = factories.company()
    response = api.post(
        COMPANY_URL,
        {
            "name": "另一家",
            "uscc": company.uscc,
            "legal_representative": "赵六",
            "phone": factories.phone(),
            "password": factories.PASSWORD,
            "region_code": "330106",
        },
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "account.duplicate_uscc"


def test_registration_is_rate_limited(tree, api):
    statuses = [api.post(PERSON_URL, {}, format="json").status_code for _ in range(11)]
    assert statuses[-1] == 429
    assert api.post(PERSON_URL, {}, format="json").json()["code"] == "rate_limited"


@given(st.text(max_size=25))
def test_arbitrary_id_number_input_never_crashes(text):
    try:
        register_person(name="张三", id_number=text, phone="1", password="", region_code="")
    except ServiceError as exc:
        assert exc.status == 400
        assert all(e["message"] for e in exc.errors)
