"""通知辩护 end to end (法律援助法 §25, §36) and the court's lawyer-status query, through the inbox API.

The world: 司法部 → 浙江省司法厅 → 杭州市司法局 → 西湖区司法局 → 西湖区法律援助中心 (and a 司法所), the
shipped catalogue (its 通知辩护指派律师 entry at the centre), the official calendar, the demo partners,
staff of the centre, and lawyers with licences issued by the province.

* a notice addressed to the 西湖区司法局 becomes a case at its legal-aid centre, with an ``assign``
  work item due three 自然日 after receipt; the answer names the case, the centre and the date;
* the same notice again — the same message or a new message for the same case and person — is one case;
* a notice to a bureau without a centre is a signed refusal and leaves nothing behind;
* assigning a lawyer by 执业证号 closes the case and queues the signed reply in the outbox, which
  the relay delivers to a court simulator process that verifies it and acknowledges it;
* the overdue assignment is red in the worklist;
* ``lawyer.status`` answers live from the licences (valid, suspended, revoked, not found), and only
  the court may ask;
* the notice's ground: a §26 ground (可能被判处无期徒刑、死刑) needs a lawyer in practice for three
  years or more and the centre's confirmation; a §28 notice (强制医疗) comes from a court only and
  assigns a 诉讼代理人.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from sifa.accounts.models import NaturalPerson
from sifa.applications.models import Application, ApplicationStatus, SubmissionChannel
from sifa.audit.models import PersonalDataAccess
from sifa.catalogue.processes import NOTICE_ONLY_CODE
from sifa.deadlines import db_calendar
from sifa.deadlines.services import seed_calendar
from sifa.exchange.models import OutboxItem, OutboxStatus, PartnerKey
from sifa.exchange.selectors import case_messages
from sifa.exchange.services import envelopes, partners
from sifa.exchange.transport import use_transport
from sifa.licences.models import LicenceType
from sifa.licences.services import issue_licence
from sifa.licences.services.status import revoke, suspend
from sifa.organisations.models import Role
from sifa.organisations.scope import actor_for
from sifa.testing import PersonFactory, id_number, load_catalogue, rolled_back, staff, tree
from sifa.workflow.models import WorkItem, WorkItemStatus

from .conftest import CASE, SUSPECT_ID, client, notice, notice_body, signer_of
from .test_http_transport import SimProcess

pytestmark = pytest.mark.django_db

INBOX = "/api/v1/exchange/inbox/"
FIRM = "浙江西湖律师事务所"


@pytest.fixture(scope="module")
def _world(django_db_setup, django_db_blocker, tmp_path_factory, _ring) -> Iterator[dict[str, Any]]:
    key_dir = tmp_path_factory.mktemp("partner-keys")
    with pytest.MonkeyPatch.context() as patch, rolled_back(django_db_blocker):
        patch.setattr("sifa.licences.payload.default_keyring", lambda: _ring)
        orgs = tree("ministry", "zj", "hz", "xh", "xh_aid", "xh_town", "bj")
        load_catalogue()
        seed_calendar(2025, 2026)
        loaded = partners.load_demo_partners(key_dir)
        for key in PartnerKey.objects.all():  # backdated, so that messages stamped minutes ago verify
            partners.add_key(
                key.partner,
                key.public_key_pem,
                key_id=key.key_id,
                valid_from=key.valid_from - dt.timedelta(days=1),
            )
        decider = staff("zj-decider", orgs["zj"], Role.DECISION_MAKER)
        lawyer_type = LicenceType.objects.get(key="lawyer_licence")
        lawyers = {}
        for key, (name, first17) in {
            "li": ("李律师", "33010619800101101"),
            "zhao": ("赵律师", "33010619810202202"),
            "qian": ("钱律师", "33010619820303303"),
        }.items():
            holder = PersonFactory(name=name, id_number=id_number(first17)).user
            lawyers[key] = issue_licence(
                lawyer_type,
                holder,
                orgs["zj"],
                actor=decider,
                particulars={"practice_organisation": FIRM},
                with_pdf=False,
            )
        holder = PersonFactory(name="孙律师", id_number=id_number("33010619750404404")).user
        lawyers["sun"] = issue_licence(  # in practice since 2021: 三年以上 (§26)
            lawyer_type,
            holder,
            orgs["zj"],
            actor=decider,
            valid_from=dt.date(2021, 3, 1),
            issue_date=dt.date(2021, 3, 1),
            particulars={"practice_organisation": FIRM},
            with_pdf=False,
        )
        people = {
            "aid": staff(
                "aid-lawyer-desk", orgs["xh_aid"], Role.REVIEWER, Role.WINDOW_CLERK, two_factor=True
            ),
            "hz": staff("hz-window", orgs["hz"], Role.WINDOW_CLERK),
            "decider": decider,
        }
        yield {
            "orgs": orgs,
            "partners": loaded,
            "people": people,
            "key_dir": key_dir,
            "ring": _ring,
            "lawyers": lawyers,
        }


@pytest.fixture
def licence_ring(_world) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sifa.licences.payload.default_keyring", lambda: _world["ring"])
        yield


@pytest.fixture(autouse=True)
def _calendar() -> Iterator[None]:
    db_calendar.forget()
    yield
    db_calendar.forget()


def post(envelope) -> dict[str, Any]:
    response = client().post(INBOX, envelope.as_wire(), format="json")
    assert response.status_code == 200, response.content
    return response.json()["body"]


def to_xh(world, partner="court", **body):
    return notice(world, partner, receiver=world["orgs"]["xh"].uscc, body=notice_body(**body))


def case_of(answer: dict[str, Any]) -> Application:
    return Application.objects.get(number=answer["case_number"])


def due_three_days_after(received: dt.date) -> dt.date:
    """§36 三日内, counted like every 自然日 limit (docs/deadlines.md): the day of receipt does not
    count (民法典 §201), and a last day that is a rest day moves to the next working day (§203)."""
    from sifa.deadlines.calendar import add_calendar_days

    return add_calendar_days(db_calendar.DatabaseCalendar(), received, 3)


# --- 通知辩护 -------------------------------------------------------------------------------------


def test_a_notice_to_the_bureau_becomes_a_case_at_its_legal_aid_centre(world):
    answer = post(to_xh(world))
    case = case_of(answer)
    centre = world["orgs"]["xh_aid"]
    received = timezone.localdate(case.received_at)
    assert answer == {
        "status": "accepted",
        "case_number": case.number,
        "centre": centre.name,
        "due_on": due_three_days_after(received).isoformat(),
    }
    assert case.accepting_organisation == centre and case.scope_path == centre.path
    assert case.status == ApplicationStatus.ACCEPTED and case.channel == SubmissionChannel.EXCHANGE
    assert case.version.item.name == "通知辩护指派律师"
    assert case.form_data["court_case_number"] == CASE
    (item,) = WorkItem.objects.filter(application=case, status=WorkItemStatus.OPEN)
    assert (item.task_name, item.kind, item.role, item.organisation) == (
        "assign_lawyer",
        "assign",
        "reviewer",
        centre,
    )
    assert item.due_on == due_three_days_after(received) and item.warning_level in ("green", "yellow")
    # The suspect's 公民身份号码 is sealed like every other one, never in the case's form data.
    person = NaturalPerson.objects.get(pk=case.applicant_person_id)
    assert person.name == "王某某" and "*" in person.id_number_masked
    assert notice_body()["suspect"]["id_number"] not in json.dumps(case.form_data)
    # The person's data tracker: the court's notice about them.
    (row,) = PersonalDataAccess.objects.filter(
        subject_ref=str(person.pk), object_type="accounts.NaturalPerson"
    )
    assert (row.kind, row.receiver, row.case_number) == ("partner_query", "杭州市中级人民法院", CASE)
    assert row.legal_basis == "《法律援助法》第二十五条、第三十六条" and row.visibility == "public"
    assert row.message_id and row.message_id in json.dumps(case.form_data)
    # The centre's staff see it in their worklist.
    rows = client(world["people"]["aid"]).get("/api/v1/workitems/").json()
    listed = rows["results"] if isinstance(rows, dict) else rows
    assert any(case.number in json.dumps(row, ensure_ascii=False) for row in listed)


def test_a_registered_suspect_follows_the_court_case_number_to_the_legal_aid_case(world):
    """In 我的数据使用记录 the court's notice names its 案号 and leads to the case it opened here."""
    person = PersonFactory(name="王某某", id_number=SUSPECT_ID)
    case = case_of(post(to_xh(world)))
    assert case.applicant_id == person.user_id
    browser = Client()
    browser.force_login(person.user)
    page = browser.get(reverse("citizen-access-log")).content.decode()
    link = f'<a href="{reverse("citizen-application", args=[case.number])}">{case.number}</a>'
    assert f"案号：{CASE}<br>办件：{link}" in page
    assert browser.get(reverse("citizen-application", args=[case.number])).status_code == 200


def test_a_notice_addressed_to_the_centre_itself_stays_there(world):
    answer = post(notice(world, "procuratorate", receiver=world["orgs"]["xh_aid"].uscc))
    assert answer["status"] == "accepted"
    assert case_of(answer).accepting_organisation == world["orgs"]["xh_aid"]


def test_the_same_notice_again_is_one_case(world):
    envelope = to_xh(world)
    first = post(envelope)
    assert post(envelope) == first  # the same message: the first answer, byte for byte
    again = post(to_xh(world))  # the court sends the notice again under a new message id
    assert again["case_number"] == first["case_number"]
    assert Application.objects.filter(form_data__court_case_number=CASE).count() == 1
    other = post(to_xh(world, case_number="(2026)浙0106刑初999号"))
    assert other["case_number"] != first["case_number"]


def test_a_bureau_without_a_legal_aid_centre_gets_a_signed_refusal(world):
    before = Application.objects.count()
    answer = post(notice(world, "court"))  # to 杭州市司法局: no centre of its own in this tree
    assert answer["status"] == "refused" and answer["code"] == "legal_aid.no_centre"
    assert "杭州市司法局" in answer["message"]
    assert Application.objects.count() == before


def test_a_bad_suspect_number_is_a_signed_refusal(world):
    bad = notice_body()["suspect"]["id_number"][:17] + "Y"
    answer = post(to_xh(world, suspect={"name": "王某某", "id_number": bad}))
    assert answer["status"] == "refused" and answer["code"] == "legal_aid.person_invalid"


def test_nobody_can_apply_for_the_notice_item(world):
    from sifa.applications.services import start_draft
    from sifa.catalogue.models import ImplementationEntry
    from sifa.core.errors import Conflict

    entry = ImplementationEntry.objects.get(
        accepting_organisation=world["orgs"]["xh_aid"], version__process__bpmn_file="legal_aid_notice.bpmn"
    )
    citizen = PersonFactory().user
    with pytest.raises(Conflict) as refused:
        start_draft(entry, actor=citizen)
    assert refused.value.code == NOTICE_ONLY_CODE
    # The guide says who starts it, and offers no 在线申请 button.
    page = client().get(f"/guides/{entry.implementation_code}/").content.decode()
    assert "不接受申请" in page and "在线申请</a>" not in page


# --- 指派 → the signed reply ---------------------------------------------------------------------


def assign(world, case: Application, **body):
    return client(world["people"]["aid"]).post(
        f"/api/v1/cases/{case.number}/commands/assign/", body, format="json"
    )


@pytest.fixture
def endpoints(world, tmp_path) -> Iterator[None]:
    entries = [f"{p.uscc}=http://127.0.0.1:9/{kind}/exchange/" for kind, p in world["partners"].items()]
    with override_settings(EXCHANGE_ENDPOINTS=entries):
        yield


def test_assigning_a_lawyer_closes_the_case_and_queues_the_signed_reply(world, endpoints):
    case = case_of(post(to_xh(world)))
    lawyer = world["lawyers"]["li"]
    response = assign(world, case, licence_number=lawyer.number)
    assert response.status_code == 200, response.content
    case.refresh_from_db()
    assert case.status == ApplicationStatus.DELIVERED and case.closed_at is not None
    (item,) = OutboxItem.objects.filter(case_number=case.number)
    assert item.partner == world["partners"]["court"] and item.service_code == "legal-aid.assignment"
    assert item.organisation == world["orgs"]["xh_aid"] and item.status == OutboxStatus.PENDING
    header = json.loads(item.log_entry.header)
    assert header["issue"] == CASE  # correlated by the court's case number
    envelope = envelopes.stored_envelope(item.log_entry)
    body = json.loads(envelope.body_bytes)
    assert body["lawyer"] == {"name": "李律师", "licence_number": lawyer.number, "law_firm": FIRM}
    assert body["legal_aid_case_number"] == case.number and body["case_number"] == CASE
    # The case view lists it: 待对方确认.
    (shown,) = case_messages(actor_for(world["people"]["aid"]), case.number)
    assert shown["label"] == "待对方确认" and shown["service"] == "legal-aid.assignment"
    assert case.timeline.filter(event="notifier_informed").exists()
    # Both data trackers: the person defended and the lawyer, each a disclosure to the court.
    rows = PersonalDataAccess.objects.filter(message_id=str(item.message_id)).order_by("object_type")
    assert [(r.object_type, r.kind, r.receiver) for r in rows] == [
        ("accounts.NaturalPerson", "disclosure", "杭州市中级人民法院"),
        ("licences.Licence", "disclosure", "杭州市中级人民法院"),
    ]
    assert rows[1].subject == lawyer.holder and rows[1].reader == world["people"]["aid"]


def test_a_lawyer_not_in_practice_cannot_be_assigned(world, endpoints, licence_ring):
    case = case_of(post(to_xh(world, case_number="(2026)浙0106刑初321号")))
    qian = world["lawyers"]["qian"]
    suspend(qian, actor=world["people"]["decider"], reason="停止执业三个月")
    response = assign(world, case, licence_number=qian.number)
    assert response.status_code == 400 and "workflow.lawyer_not_practising" in response.content.decode()
    response = assign(world, case, licence_number="13301202699999999")
    assert response.status_code == 400 and "workflow.lawyer_not_found" in response.content.decode()
    response = assign(world, case)
    assert response.status_code == 400 and "workflow.licence_number_required" in response.content.decode()
    assert not OutboxItem.objects.filter(case_number=case.number).exists()
    case.refresh_from_db()
    assert case.status == ApplicationStatus.ACCEPTED


def test_an_overdue_assignment_is_red_in_the_worklist(world):
    case = case_of(post(to_xh(world, case_number="(2026)浙0106刑初555号")))
    item = WorkItem.objects.get(application=case, status=WorkItemStatus.OPEN)
    late = item.due_on + dt.timedelta(days=1)
    call_command("refresh-workitems", "--date", late.isoformat(), stdout=StringIO())
    item.refresh_from_db()
    assert item.warning_level == "red"
    from django.test import Client

    from sifa.testing.login import verified_login

    web = Client()
    verified_login(web, world["people"]["aid"])
    page = web.get("/workbench/").content.decode()
    at = page.index(case.number)
    row = page[page.rindex("<tr", 0, at) : at]
    assert "wb-badge--red" in row and "超期" in row


# --- the reply through the relay to a court simulator ------------------------------------------------


@pytest.fixture(scope="module")
def court(_world, tmp_path_factory) -> Iterator[SimProcess]:
    folder = tmp_path_factory.mktemp("court-sim")
    keys: Path = folder / "sifa-keys.json"
    _world["ring"].signer()
    keys.write_text(json.dumps(_world["ring"].public_keys()), encoding="utf-8")
    sim = SimProcess("court", folder, _world["key_dir"], keys)
    sim.start()
    yield sim
    if sim.process is not None and sim.process.poll() is None:
        sim.stop()


def test_the_reply_is_relayed_to_the_court_which_verifies_and_acknowledges_it(world, court):
    use_transport(None)  # the real HttpTransport
    with override_settings(EXCHANGE_ENDPOINTS=[f"{world['partners']['court'].uscc}={court.endpoint}"]):
        case = case_of(post(to_xh(world, case_number="(2026)浙0106刑初777号")))
        assert assign(world, case, licence_number=world["lawyers"]["zhao"].number).status_code == 200
        out = StringIO()
        call_command("exchange", "relay", stdout=out)
    assert "已确认 1 条" in out.getvalue()
    (item,) = OutboxItem.objects.filter(case_number=case.number)
    assert item.status == OutboxStatus.CONFIRMED
    answer = json.loads(envelopes.stored_envelope(item.answer).body_bytes)
    assert answer["status"] == "received" and "赵律师" in answer["message"]
    assert court.copies(str(item.message_id)) == 1
    (shown,) = case_messages(actor_for(world["people"]["aid"]), case.number)
    assert shown["label"] == "已发送"
    # …and the staff case page shows it (the existing include).
    from django.test import Client

    from sifa.testing.login import verified_login

    web = Client()
    verified_login(web, world["people"]["aid"])
    page = web.get(f"/workbench/cases/{case.number}/").content.decode()
    section = page[page.index('id="exchange-title"') :]
    assert "legal-aid.assignment" in section and "杭州市中级人民法院" in section
    assert "已发送" in section


# --- lawyer.status ---------------------------------------------------------------------------------


def status_query(world, number: str, partner: str = "court"):
    return envelopes.seal(
        {
            "kind": "request",
            "issue": "(2026)浙0106刑初123号",
            "purpose": "法院核实律师执业证是否有效",
            "service": {"code": "lawyer.status", "version": "1"},
            "sender": world["partners"][partner].uscc,
            "receiver": world["orgs"]["zj"].uscc,
            "user_id": {"official": "审判员李某", "organisation": world["partners"][partner].name},
        },
        {"licence_number": number},
        signer=signer_of(world, partner),
    )


def test_lawyer_status_is_answered_live_from_the_licences(world, licence_ring):
    li = world["lawyers"]["li"]
    answer = post(status_query(world, li.number))
    assert answer["status"] == "valid"
    assert (answer["licence_number"], answer["holder_name"], answer["law_firm"]) == (
        li.number,
        "李律师",
        FIRM,
    )
    assert "valid_until" not in answer  # 长期
    assert set(answer) == {
        "status",
        "licence_number",
        "holder_name",
        "law_firm",
        "checked_at",
    }  # no ID number
    suspend(
        li,
        actor=world["people"]["decider"],
        reason="停止执业",
        until=timezone.localdate() + dt.timedelta(days=90),
    )
    answer = post(status_query(world, li.number))  # a new message: read again, live
    assert answer["status"] == "suspended" and answer["suspended_until"]
    revoke(world["lawyers"]["zhao"], actor=world["people"]["decider"], reason="吊销")
    assert post(status_query(world, world["lawyers"]["zhao"].number))["status"] == "revoked"
    rows = PersonalDataAccess.objects.filter(subject_ref=li.identifier, kind="partner_query")
    assert rows.count() == 2 and {r.receiver for r in rows} == {"杭州市中级人民法院"}
    assert rows.first().subject == li.holder
    missing = post(status_query(world, "13301202600000000"))
    assert missing["status"] == "not_found" and set(missing) == {"status", "licence_number", "checked_at"}


def test_only_the_court_may_ask_for_a_lawyer_status(world):
    response = client().post(INBOX, status_query(world, "1", partner="police").as_wire(), format="json")
    assert response.status_code == 403 and response.json()["code"] == "exchange.caller_not_allowed"


def test_the_simulator_client_sends_a_notice_and_verifies_the_answer(world, tmp_path, monkeypatch):
    """``sifa partner-sim --as court send legal-aid-notify``: the client seals with the court's key,
    posts to the inbox (here through Django's test client) and verifies Sifa's signed answer."""
    from sifa.exchange.simulator import client as sim_client
    from sifa.exchange.simulator.protocol import SifaKeys
    from sifa.exchange.simulator.server import Simulator
    from sifa.exchange.simulator.store import Store

    keys = tmp_path / "sifa-keys.json"
    keys.write_text(json.dumps(world["ring"].public_keys()), encoding="utf-8")
    sim = Simulator(
        kind="court",
        signer=signer_of(world, "court"),
        store=Store(tmp_path / "court.sqlite3"),
        keys=SifaKeys(str(keys)),
        latency=(0, 0),
        skew_seconds=300,
    )

    class Connection:
        def __init__(self, host, port, timeout=None):
            pass

        def request(self, method, path, body, headers):
            self.answer = client().post(path, body, content_type="application/json")

        def getresponse(self):
            answer = self.answer
            return type("R", (), {"status": answer.status_code, "read": lambda _self: answer.content})()

        def close(self):
            pass

    monkeypatch.setattr(sim_client.http.client, "HTTPConnection", Connection)
    body = notice_body(case_number="(2026)浙0106刑初888号")
    result = sim_client.send(
        sim, "http://sifa.test/api/v1/exchange/inbox/", "legal-aid-notify", body,
        receiver=world["orgs"]["xh"].uscc, issue=body["case_number"],
    )  # fmt: skip
    assert result["status"] == 200 and result["verified"] is True
    assert result["answer"]["status"] == "accepted"
    assert case_of(result["answer"]).accepting_organisation == world["orgs"]["xh_aid"]


@pytest.fixture(autouse=True)
def _no_time_travel_leak() -> Iterator[None]:
    yield
    use_transport(None)


def test_the_case_page_offers_assign_by_licence_number(world):
    """The workbench's 指派 on a 通知辩护 asks for the lawyer's 执业证号, not a free-text name."""
    from django.test import Client

    from sifa.testing.login import verified_login

    case = case_of(post(to_xh(world, case_number="(2026)浙0106刑初444号")))
    web = Client()
    verified_login(web, world["people"]["aid"])
    page = web.get(f"/workbench/cases/{case.number}/").content.decode()
    assert "通知辩护指派律师" in page and "指派律师的执业证号" in page
    assert 'name="licence_number"' in page and 'name="assignee"' not in page
    # Whom the lawyer is for, and the notice's particulars in Chinese — no internal field names.
    assert "犯罪嫌疑人、被告人" in page and "王某某" in page
    assert "通知日期" in page and "通知消息编号" in page and "通知机关统一社会信用代码" in page
    for key in ("notifier_uscc", "notified_at", "notice_message_id", ">ground<"):
        assert key not in page, key
    # §36's three days are 自然日: what is left is told in days, not working days.
    due = due_three_days_after(timezone.localdate(case.received_at))
    left = (due - timezone.localdate()).days
    assert "剩余工作日" not in page
    assert f'<td data-label="剩余时间">{left}天</td>' in page


# --- the notice's ground: §26 and §28 ------------------------------------------------------------


def test_a_life_or_death_notice_needs_a_lawyer_with_three_years_of_practice(world, endpoints):
    """法律援助法 §26: 对可能被判处无期徒刑、死刑的人 … 应当指派具有三年以上相关执业经历的律师。"""
    answer = post(
        to_xh(world, case_number="(2026)浙0106刑初626号", ground="life_or_death", charge="故意杀人罪")
    )
    case = case_of(answer)
    assert case.form_data["ground"] == "life_or_death"
    assert case.form_data["ground_text"] == "可能被判处无期徒刑、死刑的人（法律援助法第二十五条第一款第四项）"
    young = world["lawyers"]["li"]  # licensed this year
    response = assign(world, case, licence_number=young.number, experience_confirmed=True)
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["code"] == "workflow.lawyer_experience" and "执业不满三年" in error["message"]
    sun = world["lawyers"]["sun"]
    response = assign(world, case, licence_number=sun.number)  # years enough, relevance not confirmed
    assert response.status_code == 400
    assert [e["code"] for e in response.json()["errors"]] == ["workflow.experience_confirmed_required"]
    assert not OutboxItem.objects.filter(case_number=case.number).exists()
    response = assign(world, case, licence_number=sun.number, experience_confirmed=True)
    assert response.status_code == 200, response.content
    assert case.timeline.filter(title="已指派律师担任辩护人").exists()


def test_an_ordinary_notice_needs_no_experience_check(world, endpoints):
    case = case_of(post(to_xh(world, case_number="(2026)浙0106刑初627号", ground="minor")))
    response = assign(world, case, licence_number=world["lawyers"]["zhao"].number)
    assert response.status_code == 200, response.content


def test_a_compulsory_medical_notice_comes_from_a_court_and_assigns_an_agent(world, endpoints):
    """法律援助法 §28: 强制医疗案件 … 人民法院应当通知法律援助机构指派律师为其提供法律援助。"""
    body = {"case_number": "(2026)浙0106刑医1号", "ground": "compulsory_medical"}
    refused = post(to_xh(world, partner="procuratorate", **body))
    assert refused["status"] == "refused" and refused["code"] == "legal_aid.ground_not_for_organ"
    assert "人民法院" in refused["message"]
    case = case_of(post(to_xh(world, **body)))
    notice_row = PersonalDataAccess.objects.get(case_number=body["case_number"], kind="partner_query")
    assert notice_row.legal_basis == "《法律援助法》第二十八条、第三十六条"
    response = assign(world, case, licence_number=world["lawyers"]["zhao"].number)
    assert response.status_code == 200, response.content
    assert case.timeline.filter(title="已指派律师担任诉讼代理人").exists()
    (item,) = OutboxItem.objects.filter(case_number=case.number)
    assert "诉讼代理人" in json.loads(item.log_entry.header)["purpose"]


def test_the_case_page_asks_to_confirm_the_experience_on_a_section_26_notice(world):
    from django.test import Client

    from sifa.testing.login import verified_login

    case = case_of(post(to_xh(world, case_number="(2026)浙0106刑初628号", ground="death_review")))
    web = Client()
    verified_login(web, world["people"]["aid"])
    page = web.get(f"/workbench/cases/{case.number}/").content.decode()
    assert 'name="experience_confirmed"' in page and "三年以上相关执业经历" in page
    assert "申请法律援助的死刑复核案件被告人" in page  # the ground, on the case's particulars
