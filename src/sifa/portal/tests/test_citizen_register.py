"""注册: a person or a company registers through the page, sees every problem at once, and is
logged in afterwards."""

from __future__ import annotations

import pytest

from sifa.accounts import consents
from sifa.accounts.models import LegalPerson, NaturalPerson
from sifa.catalogue.tests.conftest import build_tree
from sifa.core import limits
from sifa.core.identifiers import make_uscc

from .test_citizen_support import OTHER_ID, PASSWORD, VALID_ID, person

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _tree():
    build_tree()
    limits.clear()  # registrations are limited per client address
    yield
    limits.clear()


def _html(response) -> str:
    return response.content.decode()


PERSON = {
    "name": "王五",
    "id_number": VALID_ID,
    "phone": "13900001111",
    "password": PASSWORD,
    "region_code": "330106",
    "id_number_consent": "1",
    "id_number_consent_version": consents.current(consents.REGISTER_ID_NUMBER).version,
}


def test_a_person_registers_and_is_logged_in(client):
    form = _html(client.get("/register/"))
    assert 'autocomplete="new-password"' in form and 'href="/register/company/"' in form
    response = client.post("/register/", {**PERSON, "next": "/me/"}, follow=True)
    assert response.redirect_chain[-1][0] == "/me/"
    page = _html(response)
    assert "注册成功，已为您登录" in page and "王五" in page
    assert NaturalPerson.objects.filter(name="王五").exists()


def test_every_problem_is_listed_at_once_and_linked_to_its_field(client):
    response = client.post(
        "/register/",
        {
            "name": "",
            "id_number": "330106199001011230",
            "phone": "123",
            "password": "12345678",
            "region_code": "9",
        },
    )
    page = _html(response)
    assert response.status_code == 400 and 'id="error-summary"' in page
    for field in ("name", "id_number", "phone", "password", "region_code", "id_number_consent"):
        assert f'<a href="#f-{field}">' in page, field
        assert f'id="f-{field}-error"' in page, field
    assert "请填写姓名" in page and "手机号码应为11位" in page and "密码不能全部是数字" in page
    assert 'name="password" type="password" value=""' in page  # the password is not echoed back
    assert not NaturalPerson.objects.exists()


def test_a_phone_already_registered_is_shown_on_the_phone_field(client):
    person("张三", OTHER_ID, "13900001111")
    response = client.post("/register/", PERSON)
    assert response.status_code == 409
    assert '<a href="#f-phone">该手机号码已注册，请直接登录或找回密码</a>' in _html(response)
    assert not NaturalPerson.objects.filter(name="王五").exists()


def test_a_company_registers_with_its_uscc(client):
    uscc = make_uscc("9", "1", "330106", "MA2ABCDE")
    response = client.post(
        "/register/company/",
        {
            "name": "浙江示例律师事务所",
            "uscc": uscc,
            "legal_representative": "赵六",
            "phone": "13900002222",
            "password": PASSWORD,
            "region_code": "330106",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/me/"
    assert LegalPerson.objects.get(uscc=uscc).legal_representative == "赵六"
    bad = _html(client.post("/register/company/", {"uscc": "123"}))
    assert '<a href="#f-uscc">' in bad and '<a href="#f-legal_representative">' in bad


def test_an_outside_next_address_is_ignored(client):
    response = client.post("/register/", {**PERSON, "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/me/"
