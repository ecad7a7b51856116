"""Issue 14 point 4, the rest of monitoring: 404 bursts, refused uploads and exports as events; the
audit chain verified each minute without walking all of it; incidents by SMS and e-mail too;
/readyz reports the detector; the weekly report; lifting login limits from the workbench."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.utils import timezone

from sifa.accounts.services.common import set_phone
from sifa.accounts.tests import factories
from sifa.audit import triggers
from sifa.audit.models import AuditEvent
from sifa.audit.services import record
from sifa.core import limits
from sifa.notifications.models import Delivery, Notification
from sifa.organisations.models import Role
from sifa.security.models import EventKind, Incident, SecurityEvent, Severity, WeeklyReport
from sifa.security.services import detect, weekly_reports
from sifa.security.services.reports import last_complete_week, week_of
from sifa.testing import api_client, rolled_back, totp_code, verified_login

TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with rolled_back(django_db_blocker):
        tree = factories.build_tree()
        secadmin = factories.staff(tree.province, Role.SECURITY_ADMIN, username="sec-zj")
        secadmin.email = "sec-zj@sft.zj.gov.cn"
        set_phone(secadmin, "13900000001")
        secadmin.save()
        yield {
            "tree": tree,
            "secadmin": secadmin,
            "other_secadmin": factories.staff(tree.other_county, Role.SECURITY_ADMIN, username="sec-sc"),
            "clerk": factories.staff(tree.county, Role.WINDOW_CLERK, username="clerk-xh"),
            "sc_clerk": factories.staff(tree.other_county, Role.WINDOW_CLERK, username="clerk-sc"),
        }


@pytest.fixture
def w(world, db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.ACCOUNT_BACKOFF_AFTER = 100
    limits.clear()
    yield world
    limits.clear()


def _tamper(seq: int) -> None:
    triggers.uninstall(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE audit_auditevent SET result = 'denied' WHERE seq = %s", [seq])
    finally:
        triggers.install(connection)


def test_a_burst_of_distinct_404s_raises_an_incident_repeats_of_one_id_do_not(w, settings):
    api = api_client(w["clerk"])
    for _ in range(25):  # the same unknown id again and again: a mistyped link, not enumeration
        assert api.get("/api/v1/applications/T2026000000000001/").status_code == 404
    api_client().get("/api/v1/applications/T2026000000000002/")  # anonymous: nothing recorded
    assert detect().opened == []
    assert SecurityEvent.objects.filter(kind=EventKind.NOT_FOUND).count() == 25
    for i in range(settings.SECURITY_NOT_FOUND_IDS):
        assert api.get(f"/api/v1/applications/T2026{i:012d}/").status_code == 404
    [incident] = detect().opened
    assert (incident.rule, incident.severity) == ("access.not_found_burst", Severity.HIGH)
    assert incident.key == f"account:{w['clerk'].public_id}"
    assert incident.scope_path == w["clerk"].scope_path
    event = SecurityEvent.objects.filter(kind=EventKind.NOT_FOUND).first()
    assert event.subject.startswith("conf.Route:") and event.details["method"] == "GET"


def test_personal_data_exports_are_events_and_a_big_one_an_incident(w, settings):
    settings.SECURITY_EXPORT_ROWS = 100
    record("exchange.archive_export", actor=w["clerk"], detail={"rows": 10})
    assert detect().opened == []
    small = SecurityEvent.objects.get(kind=EventKind.DATA_EXPORT)
    assert (small.severity, small.details["rows"], small.incident) == (Severity.LOW, 10, None)
    record("exchange.archive_export", actor=w["clerk"], detail={"rows": 101})
    [incident] = detect().opened
    assert (incident.rule, incident.severity) == ("export.large", Severity.MEDIUM)
    assert not Notification.objects.filter(event="security.incident").exists()  # 中: not notified


def test_the_chain_is_verified_incrementally_and_swept_round_in_slices(w, settings):
    settings.SECURITY_CHAIN_SWEEP_ROWS = 5
    for i in range(30):
        record("test.step", detail={"step": i})
    assert detect().chain_ok  # the first run: every row
    head = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    old = head - 25
    _tamper(old)
    # New rows are verified each run, old ones by the sweep: found within head ÷ 5 runs.
    runs = 0
    while not Incident.objects.filter(rule="audit.chain_broken").exists():
        runs += 1
        assert runs <= head // 5 + 2, "the sweep never reached the changed row"
        detect()
    incident = Incident.objects.get(rule="audit.chain_broken")
    assert f"第 {old} 条" in incident.title and incident.severity == Severity.CRITICAL


def test_a_high_incident_reaches_the_security_admin_by_sms_and_email(w):
    from rest_framework.test import APIClient

    for _ in range(20):
        APIClient().post(TOKEN_URL, {"username": "clerk-xh", "password": "Wrong-pass-99"}, format="json")
    [incident] = detect().opened
    notification = Notification.objects.get(event="security.incident", recipient=w["secadmin"])
    channels = set(Delivery.objects.filter(notification=notification).values_list("channel", flat=True))
    assert channels == {"in_app", "sms", "email"}
    assert "安全事件" in notification.sms_text and incident.title in notification.title


def test_readyz_reports_the_detectors_last_run(w, client, settings):
    before = client.get("/readyz").json()["security_detector"]
    assert (before["status"], before["last_run_at"]) == ("degraded", None)
    record("test.step")
    detect()
    body = client.get("/readyz")
    assert body.status_code == 200
    report = body.json()["security_detector"]
    assert report["status"] == "ok" and report["runs"] == 1 and report["lag_seconds"] <= 5
    assert report["chain_verified_seq"] == report["audit_seq"] == report["audit_head_seq"]
    settings.SECURITY_DETECTOR_STALE_MINUTES = -1  # as if the scheduler stopped long ago
    stale = client.get("/readyz").json()["security_detector"]
    assert stale["status"] == "degraded" and "未运行" in stale["message"]


def test_the_week_is_monday_to_sunday_in_shanghai():
    sunday_late = dt.datetime(2026, 12, 6, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert week_of(dt.date(2026, 12, 6)) == (dt.date(2026, 11, 30), dt.date(2026, 12, 6))
    assert last_complete_week(sunday_late) == dt.date(2026, 11, 23)
    monday_early = dt.datetime(2026, 12, 6, 16, 30, tzinfo=dt.UTC)  # Monday 00:30 in Shanghai
    assert last_complete_week(monday_early) == dt.date(2026, 11, 30)


def test_the_weekly_report_per_jurisdiction_readable_and_printable_in_the_workbench(w, client):
    from rest_framework.test import APIClient

    for _ in range(20):
        APIClient().post(TOKEN_URL, {"username": "clerk-xh", "password": "Wrong-pass-99"}, format="json")
    [incident] = detect().opened
    verified_login(client, w["secadmin"])
    client.post(f"/workbench/security/{incident.public_id}/actions/acknowledge/")
    monday = week_of(timezone.localdate())[0]
    written = weekly_reports(monday=monday)
    assert {r.organisation for r in written} == {w["tree"].province, w["tree"].other_county}
    assert weekly_reports(monday=monday) == []  # once per week and jurisdiction
    mine = WeeklyReport.objects.get(organisation=w["tree"].province)
    f = mine.figures
    assert f["incidents_opened"] == 1 and f["acknowledged"] == 1 and f["chain_status"] == "核验通过"
    assert f["events_by_kind"]["登录失败"] == 20
    assert f["top_accounts"][0] == [str(w["clerk"].public_id), f["top_accounts"][0][1]]
    theirs = WeeklyReport.objects.get(organisation=w["tree"].other_county)
    assert theirs.figures["incidents_opened"] == 0  # 西湖区's incident is not 上城区's
    assert Notification.objects.filter(event="security.weekly_report", recipient=w["secadmin"]).count() == 1
    assert AuditEvent.objects.filter(action="security.weekly_report").count() == 2

    listing = client.get("/workbench/security/reports/").content.decode()
    # 浙江's administrator reads the reports of its whole subtree; 上城区's only its own.
    assert f"/workbench/security/reports/{mine.public_id}/" in listing
    assert f"/workbench/security/reports/{theirs.public_id}/" in listing
    page = client.get(f"/workbench/security/reports/{mine.public_id}/").content.decode()
    for text in ("安全周报", "登录失败", "打印周报", "核验通过", str(w["clerk"].public_id)):
        assert text in page
    verified_login(client, w["other_secadmin"])
    listing = client.get("/workbench/security/reports/").content.decode()
    assert f"/workbench/security/reports/{mine.public_id}/" not in listing
    assert client.get(f"/workbench/security/reports/{mine.public_id}/").status_code == 404
    assert client.get(f"/workbench/security/reports/{theirs.public_id}/").status_code == 200
    verified_login(client, w["clerk"])
    assert client.get("/workbench/security/reports/").status_code == 404
    assert client.get(f"/workbench/security/reports/{mine.public_id}/").status_code == 404


def test_the_security_admin_lifts_login_limits_in_the_workbench(w, client):
    from rest_framework.test import APIClient

    api = APIClient()
    for _ in range(6):
        api.post(TOKEN_URL, {"username": "clerk-xh", "password": "Wrong-pass-99"}, format="json")
    locked = api.post(TOKEN_URL, {"username": "clerk-xh", "password": factories.PASSWORD}, format="json")
    assert locked.status_code in (403, 429), locked.content

    verified_login(client, w["secadmin"])
    url = "/workbench/security/login-limits/"
    assert "解除登录限制" in client.get(url).content.decode()
    neither = client.post(url, {"username": "", "address": ""})
    assert neither.status_code == 400 and "二者填一项" in neither.content.decode()
    bad = client.post(url, {"address": "not-an-address"})
    assert bad.status_code == 400 and "有效的 IPv4" in bad.content.decode()
    assert client.post(url, {"username": "no-such-user"}).status_code == 404
    done = client.post(url, {"username": "clerk-xh"}, follow=True)
    assert "已解除账户 clerk-xh 的登录限制" in done.content.decode()
    again = api.post(
        TOKEN_URL,
        {"username": "clerk-xh", "password": factories.PASSWORD, "totp": totp_code(w["clerk"])},
        format="json",
    )
    assert again.status_code == 201, again.content
    lifted = AuditEvent.objects.get(action="auth.limits_lifted")
    assert (lifted.actor_username, lifted.object_id) == ("sec-zj", str(w["clerk"].public_id))
    assert client.post(url, {"address": "198.51.100.7"}).status_code == 302
    assert AuditEvent.objects.get(action="auth.address_limits_lifted").detail["address"] == "198.51.100.7"

    verified_login(client, w["other_secadmin"])  # 上城区: 西湖区's clerk is not in its jurisdiction
    assert client.post(url, {"username": "clerk-xh"}).status_code == 404
    verified_login(client, w["clerk"])
    assert client.get(url).status_code == 404
    assert client.post(url, {"username": "clerk-xh"}).status_code == 404


def test_an_unknown_report_is_404(w, client):
    verified_login(client, w["secadmin"])
    assert client.get(f"/workbench/security/reports/{uuid.uuid4()}/").status_code == 404
