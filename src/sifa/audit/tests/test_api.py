"""The access log a citizen reads, and the trail only audit administrators read."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from sifa.audit import services
from sifa.audit.models import AuditEvent
from sifa.audit.tests.conftest import account, case, raw, triggers_dropped

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def read(reviewer, subject, orgs, purpose: str, subject_ref: str = "P-1"):
    return services.record_access(
        reader=reviewer,
        subject=subject,
        subject_ref=subject_ref,
        object_type="accounts.NaturalPerson",
        purpose=purpose,
        scope_path="/1/2/3/",
    )


# --- /api/v1/me/access-log/ ----------------------------------------------------------------


def test_citizen_sees_who_read_their_data_newest_first_with_the_name_masked(citizen, reviewer, orgs):
    from sifa.accounts.models import User

    other = User.objects.create_user(username="citizen-2", kind="person")
    read(reviewer, citizen, orgs, "受理律师执业许可申请")
    read(reviewer, citizen, orgs, "核验身份")
    read(reviewer, other, orgs, "别人的数据", subject_ref="P-2")

    response = client_for(citizen).get("/api/v1/me/access-log/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [row["purpose"] for row in body["results"]] == ["核验身份", "受理律师执业许可申请"]
    assert body["results"][0] == {
        "time": body["results"][0]["time"],
        "reader_name": "王**",
        "reader_organisation": "杭州市司法局",
        "reader_role": "审查人员",
        "purpose": "核验身份",
        "data_type": "accounts.NaturalPerson",
        "data_type_label": "自然人",
        "kind": "read",
        "kind_label": "工作人员查看",
        "receiver": "",
        "legal_basis": "",
        "case_number": "",
        "message_id": "",
        "visibility": "public",
        "visibility_label": "公开",
    }
    assert "王小明" not in response.content.decode() and "reviewer-hz" not in response.content.decode()


def test_a_reader_without_a_name_is_shown_as_staff(citizen, orgs):
    from sifa.accounts.models import User

    nameless = User.objects.create_user(username="clerk-secret-name", kind="staff")
    read(nameless, citizen, orgs, "核验身份")
    row = client_for(citizen).get("/api/v1/me/access-log/").json()["results"][0]
    assert row["reader_name"] == "工作人员"


def test_a_demo_reader_is_shown_by_its_role_name_not_masked(citizen, orgs):
    """A demo account's name names a role: masked it would read 市*********."""
    from sifa.accounts.models import User

    demo = User.objects.create_user(
        username="demo-city-x", kind="staff", display_name="市局审查人员（演示）", is_demo=True
    )
    read(demo, citizen, orgs, "核验身份")
    row = client_for(citizen).get("/api/v1/me/access-log/").json()["results"][0]
    assert row["reader_name"] == "市局审查人员（演示）"


def test_the_access_log_needs_a_login():
    response = APIClient().get("/api/v1/me/access-log/")
    assert response.status_code in (401, 403)
    assert response.json()["code"] == "auth.required"


# --- /api/v1/audit/events/ -------------------------------------------------------------------


def test_other_staff_are_refused_with_a_stable_code(reviewer):
    response = client_for(reviewer).get("/api/v1/audit/events/")
    assert response.status_code == 403
    assert response.json() == {"code": "permission.denied", "message": "只有审计管理员可以查阅审计记录"}


def test_a_citizen_is_refused_too(citizen):
    assert client_for(citizen).get("/api/v1/audit/events/").status_code == 403


def test_an_audit_admin_reads_only_their_subtree(auditor_zj):
    services.record("case.accept", subject=case("ZJ-1"), scope_path="/1/2/3/")
    services.record("case.accept", subject=case("JS-1"), scope_path="/1/4/")
    services.record("auth.login", subject=account("NOBODY"), scope_path="")

    response = client_for(auditor_zj).get("/api/v1/audit/events/")

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["object_id"] for row in rows] == ["ZJ-1"]
    assert rows[0]["action_label"] == "case.accept" and rows[0]["result_label"] == "成功"


def test_a_root_audit_admin_also_reads_events_without_a_jurisdiction(auditor_root):
    services.record("auth.login", subject=account("NOBODY"), scope_path="")
    services.record("case.accept", subject=case("JS-1"), scope_path="/1/4/")
    rows = client_for(auditor_root).get("/api/v1/audit/events/").json()["results"]
    assert {row["object_id"] for row in rows} >= {"NOBODY", "JS-1"}
    login = next(row for row in rows if row["object_id"] == "NOBODY")
    assert login["action_label"] == "登录"


def test_filters_narrow_the_trail(auditor_root, citizen):
    services.record("auth.login", actor=citizen, subject=account("A"))
    services.record("auth.logout", actor=citizen, subject=account("B"))
    services.record("auth.login", subject=account("C"), scope_path="/1/")
    client = client_for(auditor_root)

    def ids(query: str) -> list[str]:
        response = client.get(f"/api/v1/audit/events/?{query}")
        assert response.status_code == 200, response.json()
        return [row["object_id"] for row in response.json()["results"] if row["action"].startswith("auth.")]

    assert ids("action=auth.login") == ["C", "A"]
    assert ids("actor=citizen-1") == ["B", "A"]
    assert ids("object_id=B") == ["B"]
    assert ids("since=2000-01-01&until=2999-12-31") == ["C", "B", "A"]
    assert ids("until=2000-01-01") == []


@pytest.mark.parametrize("value", ["yesterday", "2026-02-30", "2026-01-31T25:00"])
def test_a_bad_time_filter_gets_a_chinese_message(auditor_root, value):
    response = client_for(auditor_root).get("/api/v1/audit/events/", {"since": value})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "audit.filter.invalid_time" and "时间格式不正确" in body["message"]


def test_reading_the_trail_is_itself_audited(auditor_zj, orgs):
    client_for(auditor_zj).get("/api/v1/audit/events/?action=auth.login")
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.actor_username, event.role) == (
        "audit.events_read",
        "auditor-zj",
        "audit_admin",
    )
    assert event.organisation == orgs["zhejiang"] and event.scope_path == "/1/2/"
    assert event.detail == {"action": "auth.login"}


def test_pages_follow_a_cursor(auditor_root):
    for i in range(5):
        services.record("case.step", subject=case(str(i)), scope_path="/1/")
    client = client_for(auditor_root)
    first = client.get("/api/v1/audit/events/?action=case.step&page_size=3").json()
    second = client.get(first["next"]).json()
    assert [r["object_id"] for r in first["results"] + second["results"]] == ["4", "3", "2", "1", "0"]
    assert client.get("/api/v1/audit/events/?cursor=bogus").json()["code"] == "not_found"


# --- /api/v1/audit/verify/ -------------------------------------------------------------------


def test_verify_reports_the_chain_state(auditor_zj, reviewer):
    for i in range(3):
        services.record("case.step", subject=case(str(i)))
    client = client_for(auditor_zj)
    body = client.get("/api/v1/audit/verify/").json()
    assert body["ok"] is True and body["count"] == 3 and body["message"] == "审计链完整：共 3 条"

    with triggers_dropped():
        raw("UPDATE audit_auditevent SET object_id = 'x' WHERE seq = 2")
    body = client.get("/api/v1/audit/verify/").json()
    assert (body["ok"], body["broken_seq"], body["code"]) == (False, 2, "hash_mismatch")

    assert client_for(reviewer).get("/api/v1/audit/verify/").status_code == 403
