"""Issue 14 point 4: security events become incidents within a minute; the security administrator
acknowledges, handles and closes them in the workbench; nobody else sees them."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from sifa.accounts.tests import factories
from sifa.audit import triggers
from sifa.audit.models import AuditEvent
from sifa.audit.services import record
from sifa.core import limits
from sifa.notifications.models import Notification
from sifa.organisations.models import Role
from sifa.security.models import EventKind, Incident, IncidentStatus, SecurityEvent, Severity
from sifa.security.services import detect
from sifa.testing import rolled_back, verified_login

TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with rolled_back(django_db_blocker):
        tree = factories.build_tree()
        yield {
            "tree": tree,
            "secadmin": factories.staff(tree.province, Role.SECURITY_ADMIN, username="sec-zj"),
            "other_secadmin": factories.staff(tree.other_county, Role.SECURITY_ADMIN, username="sec-sc"),
            "sysadmin": factories.staff(tree.province, Role.SYSTEM_ADMIN, username="sys-zj"),
            "auditor": factories.staff(tree.province, Role.AUDIT_ADMIN, username="audit-zj"),
            "clerk": factories.staff(tree.county, Role.WINDOW_CLERK, username="clerk-xh"),
        }


@pytest.fixture
def w(world, db, settings, tmp_path):
    settings.VAR_DIR = tmp_path  # the chain's anchors: the test's own folder
    settings.ACCOUNT_BACKOFF_AFTER = 100  # no waits: every attempt reaches the password check
    limits.clear()
    yield world
    limits.clear()


def _fail_logins(client, username: str, count: int, address: str = "198.51.100.7") -> None:
    for _ in range(count):
        answer = client.post(
            TOKEN_URL, {"username": username, "password": "Wrong-pass-99"}, format="json", REMOTE_ADDR=address
        )
        assert answer.status_code in (400, 401, 429), answer.content


def _tamper(sql: str, params: list) -> None:
    """Play the attacker with database access: drop the guard triggers, change a row, put them back."""
    triggers.uninstall(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    finally:
        triggers.install(connection)


def test_twenty_failed_logins_raise_one_incident_the_security_admin_handles_in_the_workbench(w, client):
    from rest_framework.test import APIClient

    _fail_logins(APIClient(), w["clerk"].username, 20)
    result = detect()
    [incident] = result.opened
    assert (incident.rule, incident.severity, incident.status) == ("login.account", Severity.HIGH, "new")
    assert incident.key == f"account:{w['clerk'].public_id}"
    assert incident.title == "同一账户短时间内登录失败 20 次"
    assert incident.event_count >= 20
    assert incident.scope_path == w["clerk"].scope_path
    assert SecurityEvent.objects.filter(kind=EventKind.LOCKOUT, incident=incident).exists()
    # The security administrators of the jurisdiction are told (in-app); the one of 上城区 is not.
    told = set(
        Notification.objects.filter(event="security.incident").values_list("recipient__username", flat=True)
    )
    assert told == {"sec-zj"}

    # A second run, and further failures: no second incident; the new events join the open one.
    assert detect().opened == []
    _fail_logins(APIClient(), w["clerk"].username, 3)
    again = detect()
    assert again.opened == [] and again.attached == 3
    assert Incident.objects.filter(rule="login.account").count() == 1

    verified_login(client, w["secadmin"])
    assert 'href="/workbench/security/"' in client.get("/workbench/").content.decode()  # the menu
    listing = client.get("/workbench/security/")
    assert listing.status_code == 200
    assert "同一账户短时间内登录失败" in listing.content.decode()
    url = f"/workbench/security/{incident.public_id}/"
    assert "新建" in client.get(url).content.decode()

    # Measures before acknowledging: refused with a clear message, nothing changes.
    early = client.post(url + "actions/handle/", {"measures": "封禁来源地址"})
    assert early.status_code == 409 and "请先确认" in early.content.decode()

    assert client.post(url + "actions/acknowledge/").status_code == 302
    missing = client.post(url + "actions/close/", {"outcome": "  "})
    assert missing.status_code == 400 and "请填写处置结果" in missing.content.decode()
    assert (
        client.post(url + "actions/handle/", {"measures": "已封禁来源地址，已通知本人修改密码"}).status_code
        == 302
    )
    assert (
        client.post(url + "actions/close/", {"outcome": "确认为猜测口令，未造成账户被盗"}).status_code == 302
    )

    incident.refresh_from_db()
    assert incident.status == IncidentStatus.CLOSED and incident.owner == w["secadmin"]
    page = client.get(url).content.decode()
    for text in ("发现", "确认", "处置措施", "已封禁来源地址", "关闭", "确认为猜测口令"):
        assert text in page
    actions = list(
        AuditEvent.objects.filter(action__startswith="security.incident").values_list(
            "action", "actor_username"
        )
    )
    assert actions == [
        ("security.incident_opened", ""),
        ("security.incident_acknowledged", "sec-zj"),
        ("security.incident_handled", "sec-zj"),
        ("security.incident_closed", "sec-zj"),
    ]
    # Closed: acting again is refused; later failures raise a new incident.
    assert client.post(url + "actions/acknowledge/").status_code == 409
    _fail_logins(APIClient(), w["clerk"].username, 20, address="198.51.100.8")
    assert len(detect().opened) == 1
    assert Incident.objects.filter(rule="login.account", status="new").count() == 1


def test_failures_spread_over_accounts_from_one_address_raise_an_address_incident(w):
    from rest_framework.test import APIClient

    api = APIClient()
    for i in range(20):
        _fail_logins(api, f"no-such-user-{i}", 1, address="203.0.113.9")
    [incident] = detect().opened
    assert (incident.rule, incident.key, incident.scope_path) == ("login.address", "address:203.0.113.9", "")


def test_a_changed_audit_row_raises_a_critical_incident_at_the_next_run(w):
    for i in range(3):
        record("test.step", detail={"step": i})
    assert detect().chain_ok
    seq = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True)[1]
    _tamper("UPDATE audit_auditevent SET result = 'denied' WHERE seq = %s", [seq])
    result = detect()
    assert not result.chain_ok
    [incident] = result.opened
    assert (incident.rule, incident.severity, incident.scope_path) == (
        "audit.chain_broken",
        Severity.CRITICAL,
        "",
    )
    assert f"第 {seq} 条" in incident.title
    # Every security administrator is told of a platform-wide incident.
    told = set(
        Notification.objects.filter(event="security.incident").values_list("recipient__username", flat=True)
    )
    assert told == {"sec-zj", "sec-sc"}
    # The break stays until repaired, but it is one incident, not one a minute.
    assert detect().opened == []
    assert Incident.objects.filter(rule="audit.chain_broken").count() == 1


def test_the_scheduler_runs_the_detector(w):
    from rest_framework.test import APIClient

    _fail_logins(APIClient(), w["clerk"].username, 20)
    call_command("security", "detect", stdout=open("/dev/null", "w"))
    assert Incident.objects.filter(rule="login.account").count() == 1


def test_granting_a_separated_admin_role_raises_a_medium_incident(w):
    from sifa.accounts.services import grant_role

    user = factories.staff(w["tree"].county, Role.REVIEWER)
    grant_role(user, w["tree"].county, Role.AUDIT_ADMIN)
    grant_role(user, w["tree"].county, Role.WINDOW_CLERK)
    [incident] = detect().opened
    assert (incident.rule, incident.severity) == ("privilege.separated_admin", Severity.MEDIUM)
    kinds = set(SecurityEvent.objects.values_list("kind", flat=True))
    assert {EventKind.ADMIN_ROLE, EventKind.PRIVILEGE_CHANGE} <= kinds
    assert not Notification.objects.filter(event="security.incident").exists()  # 中: not notified


@pytest.mark.parametrize("who", ["sysadmin", "auditor", "clerk", "other_secadmin"])
def test_others_do_not_see_the_incidents(w, client, who):
    from rest_framework.test import APIClient

    _fail_logins(APIClient(), w["clerk"].username, 20)
    [incident] = detect().opened
    verified_login(client, w[who])
    url = f"/workbench/security/{incident.public_id}/"
    if who == "other_secadmin":
        # A security administrator of 上城区: the page, but not 西湖区's incident.
        assert incident.title not in client.get("/workbench/security/").content.decode()
    else:
        assert client.get("/workbench/security/").status_code == 404
        assert 'href="/workbench/security/"' not in client.get("/workbench/").content.decode()
    assert client.get(url).status_code == 404
    assert client.post(url + "actions/acknowledge/").status_code == 404
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.NEW


def test_bad_exchange_signatures_from_one_sender_raise_an_incident(w):
    from django.utils import timezone

    from sifa.exchange.models import Rejection

    for code in (
        "exchange.bad_signature",
        "exchange.unknown_key",
        "exchange.bad_signature",
        "exchange.malformed",
    ):
        Rejection.objects.create(
            received_at=timezone.now(),
            code=code,
            reason="-",
            sender="11330000MB0000001X",
            remote_addr="192.0.2.4",
        )
    [incident] = detect().opened
    assert (incident.rule, incident.severity, incident.event_count) == (
        "exchange.bad_signature",
        Severity.HIGH,
        3,
    )
    refused = SecurityEvent.objects.get(kind=EventKind.EXCHANGE_REFUSED)
    assert refused.incident is None and refused.details["code"] == "exchange.malformed"
