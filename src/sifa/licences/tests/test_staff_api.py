"""Staff API of the licence register: list and read in my jurisdiction, and every action through
``POST /api/v1/staff/licences/{identifier}/{action}/`` — the status shows on /verify at once, the
action is audited and the holder is told; scope 404, role 403, state 409, input 400, never 500."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from sifa.audit.models import AuditEvent, PersonalDataAccess
from sifa.core.licence_ids import parse_licence_id
from sifa.licences import services
from sifa.licences.models import Licence, LicenceType
from sifa.licences.pdf import StoredPdf
from sifa.notifications.models import Notification
from sifa.organisations.models import Membership, Role

from .conftest import CITIZEN_ID, client_for, staff

STAFF = "/api/v1/staff/licences"
ISSUED = dt.date.today() - dt.timedelta(days=30)


@pytest.fixture(autouse=True)
def no_pdf(monkeypatch):
    # The PDF pipeline has its own tests (test_pdf); here a new version is about status and ids.
    monkeypatch.setattr("sifa.licences.pdf.render_and_seal", lambda licence: StoredPdf("", "", b"", ""))


def lawyer_licence(people, orgs, holder="citizen", issuer="zj") -> Licence:
    licence_type = LicenceType.objects.get(key="lawyer_licence")
    return services.issue_licence(
        licence_type, people[holder], orgs[issuer], actor=None, with_pdf=False,
        particulars={"practice_organisation": "浙江示例律师事务所"}, issue_date=ISSUED, valid_from=ISSUED,
    )  # fmt: skip


def act(user, licence: Licence, action: str, body: dict | None = None, **kwargs):
    return client_for(user).post(
        f"{STAFF}/{licence.identifier}/{action}/", body or {}, format="json", **kwargs
    )


def verify(identifier: str) -> dict:
    return client_for().get(f"/api/v1/licences/verify/{identifier}/").json()


def audited(action: str, identifier: str) -> bool:
    return AuditEvent.objects.filter(action=action, object_id=identifier).exists()


def told(user, event: str = "licence.status_changed") -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, event=event).order_by("id"))


@pytest.mark.parametrize(
    ("action", "status", "audit", "label"),
    [
        ("revoke", "revoked", "licence.revoked", "已吊销"),
        ("cancel", "cancelled", "licence.cancelled", "已注销"),
        ("suspend", "suspended", "licence.suspended", "停止执业"),
    ],
)
def test_a_status_action_shows_on_verify_at_once_is_audited_and_the_holder_told(
    people, orgs, action, status, audit, label
):
    licence = lawyer_licence(people, orgs)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    response = act(
        people["decider"], licence, action, {"reason": "依法作出处理决定", "effective_date": str(yesterday)}
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (
        body["status"] == status and body["status_label"] == label and body["status_date"] == str(yesterday)
    )
    public = verify(licence.identifier)
    assert public["status"] == status and public["status_reason"] == "依法作出处理决定"
    assert audited(audit, licence.identifier)
    [message] = told(people["citizen"])
    assert label in message.body and "依法作出处理决定" in message.body


def test_reinstate_lifts_a_suspension(people, orgs):
    licence = lawyer_licence(people, orgs)
    until = timezone.localdate() + dt.timedelta(days=180)
    suspended = act(people["decider"], licence, "suspend", {"reason": "停止执业六个月", "until": str(until)})
    assert suspended.json()["suspended_until"] == str(until)
    assert suspended.json()["actions"] == ["revoke", "cancel", "reinstate", "reissue", "replace", "change"]
    response = act(people["decider"], licence, "reinstate", {"reason": "停止执业期满"})
    assert response.status_code == 200 and response.json()["status"] == "valid"
    assert response.json()["suspended_until"] is None
    assert verify(licence.identifier)["status"] == "valid"
    assert audited("licence.valid", licence.identifier)
    suspension, reinstatement = sorted(told(people["citizen"]), key=lambda m: m.id)
    assert "“停止执业”，至" in suspension.body and "“有效”" in reinstatement.body


def test_reissue_makes_version_002_with_a_valid_check_character_and_supersedes_the_old(
    people, orgs, django_capture_on_commit_callbacks
):
    licence = lawyer_licence(people, orgs)
    with django_capture_on_commit_callbacks(execute=True):
        response = act(
            people["decider"], licence, "reissue",
            {"reason": "变更执业机构后换发", "particulars": {"practice_organisation": "浙江新律师事务所"}},
        )  # fmt: skip
    assert response.status_code == 201, response.json()
    new = response.json()
    parsed = parse_licence_id(new["identifier"])  # raises on a wrong check character
    assert parsed.version == 2 and new["identifier"].split(".")[-2] == "002"
    assert parsed.serial == parse_licence_id(licence.identifier).serial and new["number"] == licence.number
    assert new["previous"] == licence.identifier and new["issue_kind"] == "reissue"
    assert new["particulars"] == {"practice_organisation": "浙江新律师事务所"}
    assert [v["version"] for v in new["versions"]] == [1, 2]
    old = verify(licence.identifier)
    assert old["status"] == "superseded" and old["superseded_by"] == new["identifier"]
    assert verify(new["identifier"])["authentic"] is True
    assert audited("licence.reissue", new["identifier"])
    assert told(people["citizen"], "licence.issued")


def test_replace_keeps_content_and_change_records_the_new_name(people, orgs):
    licence = lawyer_licence(people, orgs)
    replaced = act(people["decider"], licence, "replace", {"reason": "纸质证书遗失补办"})
    assert replaced.status_code == 201 and replaced.json()["issue_kind"] == "replacement"
    assert replaced.json()["valid_from"] == str(licence.valid_from)
    current = Licence.objects.get(identifier=replaced.json()["identifier"])
    changed = act(people["decider"], current, "change", {"reason": "持证人更名", "holder_name": "张三丰"})
    assert changed.status_code == 201 and changed.json()["holder"] == "张三丰"
    assert changed.json()["version"] == 3 and audited("licence.change", changed.json()["identifier"])
    assert verify(current.identifier)["status"] == "superseded"


def test_a_change_that_changes_nothing_is_refused(people, orgs):
    licence = lawyer_licence(people, orgs)
    response = act(people["decider"], licence, "change",
                   {"reason": "无", "particulars": {"practice_organisation": "浙江示例律师事务所"}})  # fmt: skip
    assert response.status_code == 400 and response.json()["code"] == "licence.nothing_changed"
    assert Licence.objects.count() == 1


def test_out_of_my_jurisdiction_is_not_found(people, orgs):
    licence = lawyer_licence(people, orgs)
    for user in (people["bj_decider"], people["hz_clerk"]):  # another province; below the issuer
        assert client_for(user).get(f"{STAFF}/{licence.identifier}/").status_code == 404
        response = act(user, licence, "revoke", {"reason": "越权"})
        assert response.status_code == 404 and response.json()["code"] == "licence.not_found"
    assert Licence.objects.get(pk=licence.pk).status == "valid"


def test_a_ministry_decider_may_act_on_any_licence(people, orgs, django_user_model):
    minister = staff(django_user_model, orgs["ministry"])
    response = act(minister, lawyer_licence(people, orgs), "suspend", {"reason": "部里决定"})
    assert response.status_code == 200


def test_in_jurisdiction_without_the_deciding_role_is_forbidden(people, orgs, django_user_model):
    licence = lawyer_licence(people, orgs)
    clerk = staff(django_user_model, orgs["zj"], Role.WINDOW_CLERK)
    assert client_for(clerk).get(f"{STAFF}/{licence.identifier}/").json()["actions"] == []
    response = act(clerk, licence, "revoke", {"reason": "无权"})
    assert response.status_code == 403
    assert response.json()["code"] == "licence.role_required" and "审批决定人员" in response.json()["message"]
    assert Licence.objects.get(pk=licence.pk).status == "valid" and not told(people["citizen"])


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ("revoke", "revoke"),
        ("cancel", "suspend"),
        ("revoke", "reissue"),
        (None, "reinstate"),
        ("reissue", "change"),
    ],
)
def test_an_action_the_status_does_not_allow_is_a_conflict_in_chinese(people, orgs, first, then):
    licence = lawyer_licence(people, orgs)
    if first:
        assert act(people["decider"], licence, first, {"reason": "第一次"}).status_code in (200, 201)
    body = {"reason": "第二次"} if then != "change" else {"reason": "第二次", "holder_name": "张四"}
    response = act(people["decider"], licence, then, body)
    assert response.status_code == 409
    assert response.json()["code"] in ("licence.bad_transition", "licence.not_current")
    assert "该证照当前状态为" in response.json()["message"]


BAD_BODIES = [
    ("revoke", {}, "reason"),
    ("revoke", {"reason": "   "}, None),
    ("revoke", {"reason": "理" * 501}, "reason"),
    ("revoke", {"reason": "x", "effective_date": "2025/01/01"}, "effective_date"),
    ("revoke", {"reason": "x", "effective_date": "2999-01-01"}, "effective_date"),
    ("revoke", {"reason": "x", "effective_date": "1999-01-01"}, "effective_date"),
    ("revoke", {"reason": "x", "until": "2999-01-01"}, "until"),
    ("suspend", {"reason": "x", "until": "2000-01-01"}, "until"),
    ("replace", {"reason": "x", "holder_name": "李"}, "holder_name"),
    ("change", {"reason": "x", "particulars": {"Bad Key": "值"}}, "particulars"),
    ("change", {"reason": "x", "particulars": ["not", "a", "dict"]}, "particulars"),
    (
        "change",
        {"reason": "x", "particulars": {"practice_organisation": ""}},
        "particulars.practice_organisation",
    ),
    ("reissue", {"reason": "x", "valid_until": "2000-01-01"}, None),
    ("change", {"reason": "x", "holder_name": "名" * 201}, "holder_name"),
]


@pytest.mark.parametrize(("action", "body", "field"), BAD_BODIES)
def test_bad_input_is_a_400_with_a_code_and_a_chinese_message(people, orgs, action, body, field):
    licence = lawyer_licence(people, orgs)
    response = act(people["decider"], licence, action, body)
    assert response.status_code == 400, response.json()
    answer = response.json()
    assert answer["code"] and any("\u4e00" <= ch <= "\u9fff" for ch in answer["message"])
    if field:
        assert field in [e["field"] for e in answer.get("errors", [])]
    assert Licence.objects.get(pk=licence.pk).status == "valid" and Licence.objects.count() == 1


def test_malformed_identifiers_unknown_actions_and_odd_bodies_never_answer_500(people, orgs):
    licence = lawyer_licence(people, orgs)
    decider = client_for(people["decider"])
    wrong_check = licence.identifier[:-1] + ("A" if licence.identifier[-1] != "A" else "B")
    assert decider.get(f"{STAFF}/{wrong_check}/").json()["code"] == "licence_id.check_char"
    assert decider.post(f"{STAFF}/not-an-id/revoke/", {"reason": "x"}, format="json").status_code == 400
    response = decider.post(f"{STAFF}/{licence.identifier}/destroy/", {"reason": "x"}, format="json")
    assert response.status_code == 404 and response.json()["code"] == "licence.unknown_action"
    for raw, content_type in (
        ("[1, 2]", "application/json"),
        ("{not json", "application/json"),
        ("x", "text/plain"),
    ):
        answer = decider.post(f"{STAFF}/{licence.identifier}/revoke/", raw, content_type=content_type)
        assert 400 <= answer.status_code < 500, raw
    assert client_for().get(f"{STAFF}/").status_code in (401, 403)


def test_the_list_is_my_jurisdiction_masked_and_filterable(people, orgs, django_user_model):
    mine = lawyer_licence(people, orgs)
    other = lawyer_licence(people, orgs, holder="other")
    firm_type = LicenceType.objects.get(key="law_firm_licence")
    firm = services.issue_licence(firm_type, people["firm"], orgs["zj"], actor=None, with_pdf=False)
    elsewhere = lawyer_licence(people, orgs, issuer="bj")
    services.revoke(other, actor=None, reason="吊销")
    decider = client_for(people["decider"])

    def listed(**params) -> list[str]:
        response = decider.get(f"{STAFF}/", params)
        assert response.status_code == 200, response.json()
        return [row["identifier"] for row in response.json()["results"]]

    assert set(listed()) == {mine.identifier, other.identifier, firm.identifier}
    assert elsewhere.identifier not in listed()
    row = next(r for r in decider.get(f"{STAFF}/").json()["results"] if r["identifier"] == mine.identifier)
    assert row["holder"] == "张*" and CITIZEN_ID not in str(row)
    assert listed(status="revoked") == [other.identifier]
    assert set(listed(status="valid")) == {mine.identifier, firm.identifier}
    assert listed(type="law_firm_licence") == [firm.identifier] == listed(type=firm_type.code)
    assert listed(holder_code=CITIZEN_ID.lower()) == [mine.identifier]
    assert listed(holder_code=firm.reveal_holder_code()) == [firm.identifier]
    assert listed(number=mine.number) == [mine.identifier]
    assert client_for(people["bj_decider"]).get(f"{STAFF}/").json()["count"] == 1


def test_bad_filters_are_listed_at_once_and_citizens_are_refused(people, orgs):
    response = client_for(people["decider"]).get(
        f"{STAFF}/", {"status": "lost", "type": "no_such", "holder_code": "123", "number": "9" * 65}
    )
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"status", "type", "holder_code", "number"}
    refused = client_for(people["citizen"]).get(f"{STAFF}/")
    assert refused.status_code == 403 and refused.json()["code"] == "licence.staff_only"


def test_reading_a_licence_shows_the_holder_and_is_logged_for_them(people, orgs):
    licence = lawyer_licence(people, orgs)
    body = client_for(people["decider"]).get(f"{STAFF}/{licence.identifier}/").json()
    assert body["holder"] == "张三" and body["holder_code"] == licence.holder_code_masked
    assert body["actions"] == ["revoke", "cancel", "suspend", "reissue", "replace", "change"]
    assert PersonalDataAccess.objects.filter(subject=people["citizen"], subject_ref=licence.number).exists()


def test_a_licence_read_is_credited_to_the_nearest_organisation_of_the_reader(
    people, orgs, django_user_model
):
    """Regression: a reader at the province and at the city was credited to the province (the
    first membership above the data), not to the city that issued the licence."""
    licence = lawyer_licence(people, orgs, issuer="hz")
    reader = staff(django_user_model, orgs["zj"], Role.SUPERVISOR)
    Membership.objects.create(user=reader, organisation=orgs["hz"], role=Role.DECISION_MAKER)
    assert client_for(reader).get(f"{STAFF}/{licence.identifier}/").status_code == 200
    access = PersonalDataAccess.objects.get(reader=reader, subject_ref=licence.number)
    assert (access.reader_organisation, access.reader_role) == (orgs["hz"], Role.DECISION_MAKER)


def test_the_openapi_schema_names_the_error_answers():
    from drf_spectacular.generators import SchemaGenerator

    from sifa.licences import staff_api

    schema = SchemaGenerator(patterns=staff_api.urlpatterns).get_schema(request=None, public=True)
    action = schema["paths"]["/staff/licences/{identifier}/{action}/"]["post"]
    assert {"200", "201", "400", "403", "404", "409"} <= set(action["responses"])
    assert action["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/LicenceActionRequest"
    )
