"""`sifa load-demo` and `sifa demo-accounts`."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from sifa.accounts.management.commands._demo import MISSING_TREE
from sifa.accounts.models import Mandate, User
from sifa.accounts.tests import factories
from sifa.core.identifiers import parse_id_number, validate_uscc
from sifa.organisations.models import Membership

pytestmark = pytest.mark.django_db


def _accounts(capsys):
    call_command("demo-accounts", "--json")
    return json.loads(capsys.readouterr().out)


def test_load_demo_is_idempotent_and_lists_logins(tree, capsys):
    call_command("load-demo")
    call_command("load-demo")
    capsys.readouterr()
    rows = _accounts(capsys)
    assert User.objects.filter(is_demo=True).count() == len(rows) == 22
    assert Mandate.objects.count() == 1
    by_name = {r["username"]: r for r in rows}
    assert set(by_name["demo-ministry"]["roles"]) == {"window_clerk", "reviewer", "decision_maker"}
    assert set(by_name["demo-province-clerk"]["roles"]) == {"window_clerk", "reviewer"}
    assert set(by_name["demo-county"]["roles"]) == {
        "window_clerk",
        "reviewer",
        "decision_maker",
        "consultant",
    }
    assert by_name["demo-hotline"]["roles"] == ["consultant"]
    assert by_name["demo-hotline"]["organisation_code"] == "330000"
    assert set(by_name["demo-township"]["roles"]) == {"window_clerk", "consultant", "reviewer"}
    assert by_name["demo-legal-aid"]["organisation_name"] == "杭州市西湖区法律援助中心"
    assert by_name["demo-county"]["organisation_code"] == "330106"
    assert by_name["demo-township"]["organisation_code"] == "330106001000"
    assert by_name["demo-county2"]["organisation_name"] == "杭州市上城区司法局"
    # The national calendar is entered at the ministry (工作日历管理员).
    assert by_name["demo-calendar"]["roles"] == ["calendar_admin"]
    assert by_name["demo-calendar"]["organisation_name"] == "中华人民共和国司法部"
    # The shipped items' search synonyms are kept at the ministry, which owns those items.
    assert by_name["demo-catalogue"]["roles"] == ["catalogue_admin"]
    assert by_name["demo-catalogue"]["organisation_name"] == "中华人民共和国司法部"
    # The exchange's dead letters and 重新发送 of 杭州's subtree (数据交换管理员).
    assert by_name["demo-exchange"]["roles"] == ["exchange_operator"]
    assert by_name["demo-exchange"]["organisation_name"] == "杭州市司法局"
    admins = [r for r in rows if set(r["roles"]) & {"system_admin", "security_admin", "audit_admin"}]
    assert len(admins) == 3 and all(len(r["roles"]) == 1 for r in admins)
    assert all(r["totp_secret"] for r in rows if r["kind"] == "staff")
    assert all(r["totp_secret"] is None for r in rows if r["kind"] != "staff")
    # The text listing: the ministry has no region code, and says so with “-”, not “None”.
    call_command("demo-accounts")
    ministry = next(
        line for line in capsys.readouterr().out.splitlines() if line.startswith("demo-ministry\t")
    )
    assert "None" not in ministry and "\t- 中华人民共和国司法部\t" in ministry
    user = User.objects.get(kind="person", is_demo=True, mandates_given__isnull=False)
    parse_id_number(user.person.reveal_id_number())
    assert validate_uscc(User.objects.get(kind="company").company.uscc).startswith("31")
    assert not Membership.objects.filter(user__kind="person").exists()


def test_demo_staff_can_log_in_with_the_printed_secret(tree, capsys):
    call_command("load-demo")
    capsys.readouterr()
    row = next(r for r in _accounts(capsys) if r["username"] == "demo-county")
    user = User.objects.get(username="demo-county")
    response = APIClient().post(
        "/api/v1/auth/token/",
        {"username": row["username"], "password": row["password"], "totp": factories.totp_code(user)},
        format="json",
    )
    assert response.status_code == 201, response.json()


def test_demo_refuses_without_the_organisation_tree(db):
    with pytest.raises(CommandError) as excinfo:
        call_command("load-demo")
    assert str(excinfo.value) == MISSING_TREE
    assert "sifa import-regions && sifa build-organisations" in MISSING_TREE


def test_demo_refuses_in_production(tree, settings):
    settings.DEBUG = False
    settings.TESTING = False
    with pytest.raises(CommandError) as excinfo:
        call_command("load-demo")
    assert "生产环境禁止" in str(excinfo.value)
    assert not User.objects.filter(is_demo=True).exists()
