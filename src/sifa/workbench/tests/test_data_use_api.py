"""``POST /api/v1/window/data-use/``: 数据使用记录查阅 for a window system — the workbench page's
copy (``test_window_requests.py``), the same jurisdiction, the same single 404, the same access-log
row; the identifier only ever in the body."""

from __future__ import annotations

import logging

import pytest

from sifa.accounts.models import NaturalPerson
from sifa.accounts.services import walk_in_person
from sifa.applications.tests.conftest import id_number
from sifa.audit.models import AccessKind, PersonalDataAccess, Visibility
from sifa.audit.selectors import my_access_log
from sifa.organisations.models import Role
from sifa.testing import api_client, bearer_client
from sifa.workbench.tests import world as W
from sifa.workbench.tests.test_window_requests import _police_check

pytestmark = pytest.mark.django_db

URL = "/api/v1/window/data-use/"
NUMBER = id_number("33010619750303004")


@pytest.fixture
def walk_in(w):
    """A walk-in without an account, checked with the police by 杭州市司法局, plus a restricted row."""
    person = walk_in_person(name="钱七", id_number=NUMBER, organisation=w["hz"])
    _police_check(person, w["hz"])
    _police_check(person, w["hz"], visibility=Visibility.RESTRICTED, message="MSG-SECRET")
    return person


@pytest.fixture
def clerk(w):
    """A window clerk at 西湖区司法局, directly below 杭州市司法局 (一窗受理)."""
    return W.staff("xh-window-api", (w["xh"], Role.WINDOW_CLERK))


def _ask(client, name="钱七", number=NUMBER, **more):
    body = {"kind": "person", "name": name, "id_number": number, "reason": "本人到窗口申请", **more}
    return client.post(URL, body, format="json")


def test_the_window_gets_the_copy_and_the_lookup_is_logged_for_the_person(w, walk_in, clerk):
    answer = _ask(api_client(clerk))
    assert answer.status_code == 200, answer.content
    assert answer["Cache-Control"] == "private, no-store"
    body = answer.json()
    assert body["party"] == {"kind": "person", "name": "钱七", "identifier_masked": walk_in.id_number_masked}
    assert body["reason"] == "本人到窗口申请" and body["more"] is False and body["max_rows"] == 500
    assert [row["receiver"] for row in body["rows"]] == ["杭州市公安局"]  # the restricted row is not theirs
    assert body["rows"][0]["message_id"] == "MSG-1" and body["rows"][0]["legal_basis"].startswith(
        "律师法第五条"
    )
    assert NUMBER not in answer.content.decode()
    read = PersonalDataAccess.objects.get(reader=clerk, subject_ref=str(walk_in.pk))
    assert read.object_type == "accounts.NaturalPerson" and read.reader_organisation == w["xh"]
    assert read.purpose == "本人到窗口申请：查阅数据使用记录（个人信息保护法第四十五条）"
    # Asked again, the copy lists the first lookup too: the person sees who looked.
    again = _ask(api_client(clerk)).json()["rows"]
    assert again[0]["purpose"] == read.purpose and again[0]["reader_organisation"] == w["xh"].name


def test_a_supervisor_gets_it_too_and_a_person_with_an_account_sees_the_lookup(w, clerk):
    person = walk_in_person(name="孙八", id_number=id_number("33010619800808005"), organisation=w["hz"])
    NaturalPerson.objects.filter(pk=person.pk).update(user=W.citizen("sun-ba"))
    person = NaturalPerson.objects.select_related("user").get(pk=person.pk)
    _police_check(person, w["hz"], subject=person.user)
    supervisor = W.staff("hz-supervisor-api", (w["hz"], Role.SUPERVISOR))
    answer = _ask(api_client(supervisor), name="孙八", number=id_number("33010619800808005"))
    assert answer.status_code == 200 and answer.json()["rows"][0]["receiver"] == "杭州市公安局"
    mine = list(my_access_log(person.user))
    assert any("查阅数据使用记录" in row.purpose and row.reader_id == supervisor.pk for row in mine)


def test_another_jurisdiction_a_wrong_name_and_nobody_get_one_404_and_nothing_is_logged(w, walk_in, clerk):
    before = PersonalDataAccess.objects.count()
    ningbo = W.staff("nb-window-api", (w["nb"], Role.WINDOW_CLERK))
    for client, name, number in (
        (api_client(ningbo), "钱七", NUMBER),  # on record, but nothing in 宁波's jurisdiction
        (api_client(clerk), "钱八", NUMBER),  # a real number with another name
        (api_client(clerk), "钱七", id_number("33010619900909006")),  # a valid number nobody has
    ):
        answer = _ask(client, name=name, number=number)
        assert answer.status_code == 404
        assert answer.json() == {
            "code": "data_use.not_found",
            "message": "在您的管辖范围内没有与该姓名（名称）和证件号码相符的数据使用记录，请核对后重试",
        }
    assert PersonalDataAccess.objects.count() == before


def test_a_forged_number_is_a_clear_chinese_error_with_a_stable_code_and_never_logged(
    w, walk_in, clerk, caplog
):
    client = api_client(clerk)
    forged = NUMBER[:-1] + ("0" if NUMBER[-1] != "0" else "1")
    with caplog.at_level(logging.DEBUG):
        answer = _ask(client, number=forged)
        assert answer.status_code == 400
        assert answer.json()["code"] == "id_number.check_digit"
        assert answer.json()["errors"] == [
            {
                "field": "id_number",
                "code": "id_number.check_digit",
                "message": "公民身份号码校验位错误，请核对后重新输入",
            }
        ]
        bad_date = _ask(client, number=id_number("33010619990231007"))
        assert bad_date.status_code == 400 and bad_date.json()["code"] == "id_number.birth_date"
        missing = _ask(client, number="")
        assert missing.status_code == 400 and missing.json()["errors"] == [
            {"field": "id_number", "code": "data_use.identifier_required", "message": "请填写公民身份号码"}
        ]
        company = client.post(URL, {"kind": "company", "name": "某所", "reason": "本人"}, format="json")
        assert company.json()["errors"][0]["field"] == "uscc"
        no_reason = _ask(client, reason="   ")
        assert no_reason.status_code == 400 and no_reason.json()["errors"][0]["field"] == "reason"
        _ask(client, name="钱八")  # a 404
    assert forged not in caplog.text and NUMBER not in caplog.text
    assert not PersonalDataAccess.objects.filter(reader=clerk).exists()


def test_a_citizen_token_and_staff_without_the_role_are_refused_and_the_number_is_never_read(w, walk_in):
    citizen = W.citizen("token-citizen")
    for client in (bearer_client(citizen), api_client(W.staff("hz-reviewer-api", (w["hz"], Role.REVIEWER)))):
        answer = _ask(client, number="forged")  # refused before the body is read: 403, not 400
        assert answer.status_code == 403
        assert answer.json()["code"] == "data_use.role_required"
        assert "受理窗口" in answer.json()["message"]
    assert api_client().post(URL, {}, format="json").status_code == 401
    assert api_client(W.staff("xh-window-get", (w["xh"], Role.WINDOW_CLERK))).get(URL).status_code == 405
    assert not PersonalDataAccess.objects.filter(subject_ref=str(walk_in.pk), kind=AccessKind.READ).exists()
