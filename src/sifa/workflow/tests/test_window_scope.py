"""一窗受理, least privilege (issue 14 point 1): a window below the accepting organisation sees only
the cases it received (``receiving_window``) or that the applicant chose it for (``pickup_window``),
and only at the steps it performs — acceptance and delivery for the window that received the case,
delivery for the pickup window. Everything else is 404 ``workflow.case_not_found``, on the API, the
workbench pages and the material downloads; every read through a window is in the applicant's
access log (我的数据使用记录) credited to that window's organisation.

The world: 杭州市司法局 accepts 律师执业许可, 浙江省司法厅 decides it; windows at 上城区司法局 (the
county that receives walk-ins for the city), at 北山街道司法所 (under 西湖区) and at 宁波市司法局.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.forms.models import model_to_dict
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from sifa.accounts import consents
from sifa.accounts.models import User
from sifa.accounts.services.walkin import walk_in_person
from sifa.accounts.tests import factories as account_factories
from sifa.applications import services as applications
from sifa.applications.models import Application, ApplicationStatus, SubmissionChannel
from sifa.audit.models import PersonalDataAccess
from sifa.core.errors import NotFound
from sifa.documents.models import Document, DocumentKind
from sifa.organisations.models import Role
from sifa.organisations.scope import actor_for
from sifa.testing import CitizenFactory, tree
from sifa.testing.cases import make_case
from sifa.testing.login import verified_login
from sifa.workflow.selectors import case_for_command, case_for_staff, visible_cases
from sifa.workflow.tests.conftest import client_for, command, entry_for, staff, travel

CONSENT = consents.current(consents.REGISTER_ID_NUMBER).version  # §29, read at the window

LAWYER = "律师执业许可（专职律师执业）"
DAY = dt.date(2025, 9, 1)


@pytest.fixture
def windows(w):
    """上城区's window (and a colleague there), the 司法所's window, 宁波's window; the city's staff."""
    sc = tree("sc", on=w)["sc"]
    return {
        "sc": sc,
        "sc_clerk": staff("sc-clerk", sc, Role.WINDOW_CLERK, totp=True),
        "sc_colleague": staff("sc-clerk-2", sc, Role.WINDOW_CLERK, totp=True),
        "town_clerk": staff("bs-clerk", w["xh_town"], Role.WINDOW_CLERK, totp=True),
        "nb_clerk": staff("nb-clerk", w["nb"], Role.WINDOW_CLERK),
        "hz_clerk": staff("hz-clerk", w["hz"], Role.WINDOW_CLERK, totp=True),
        "hz_reviewer": staff("hz-reviewer", w["hz"], Role.REVIEWER),
        "zj_decider": staff("zj-decider", w["zj"], Role.DECISION_MAKER),
    }


@pytest.fixture
def resident(w):
    """A 西湖区 resident who applies online."""
    return account_factories.person(region_code="330106", name="陈西湖").user


def _case(w, applicant, **fields) -> Application:
    return make_case(entry_for(LAWYER, w["hz"]), applicant, received=DAY, **fields)


def _page(user, url: str) -> int:
    client = Client()
    verified_login(client, user)
    return client.get(url).status_code


def _html(user, url: str) -> str:
    client = Client()
    verified_login(client, user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _api(user, number: str):
    return client_for(user).get(f"/api/v1/cases/{number}/")


def visible_cases_for(user):
    return visible_cases(actor_for(user))


def _sees(user, case) -> bool:
    """Through the API (and the answer is the documented 404 when not)."""
    response = _api(user, case.number)
    if response.status_code == 404:
        assert response.json()["code"] == "workflow.case_not_found"
        return False
    assert response.status_code == 200, response.content
    return True


def test_a_county_window_gets_404_on_the_citys_online_case_of_another_countys_resident(w, windows, resident):
    """The Must-show line: a 上城区 window clerk reads nothing of a 西湖区 resident's online
    application to 杭州市 — API, workbench page, action page, material download, command."""
    case = _case(w, resident)
    clerk = windows["sc_clerk"]
    assert not visible_cases_for(clerk).filter(pk=case.pk).exists()
    assert _api(clerk, case.number).status_code == 404
    assert _api(clerk, case.number).json()["code"] == "workflow.case_not_found"
    for url in (
        f"/workbench/cases/{case.number}/",
        f"/workbench/cases/{case.number}/actions/accept/",
        f"/workbench/cases/{case.number}/materials/00000000-0000-0000-0000-000000000000/",
    ):
        assert _page(clerk, url) == 404, url
    refused = command(clerk, case.number, "accept")
    assert refused.status_code == 404 and refused.json()["code"] == "workflow.case_not_found"
    # Nor the 司法所 under 西湖区, nor 宁波: the window below or beside has no step in it.
    assert not _sees(windows["town_clerk"], case) and not _sees(windows["nb_clerk"], case)
    # The city's own window still does, and accepts it.
    assert _sees(windows["hz_clerk"], case)
    assert not PersonalDataAccess.objects.filter(reader=clerk).exists()


def test_a_walk_in_records_the_window_that_received_it_and_only_that_window_handles_it(w, windows):
    """The county window files a walk-in for the city: the application remembers the window; a
    colleague at the same window carries on, another window (on the same line) gets 404."""
    entry = entry_for(LAWYER, w["hz"])
    walk_in = {
        "kind": "person",
        "name": "王五",
        "id_number": account_factories.id_number("330102"),
        "id_number_consent": CONSENT,
    }
    draft = applications.start_draft(entry, actor=windows["sc_clerk"], walk_in=walk_in)
    assert (draft.channel, draft.receiving_window) == (SubmissionChannel.WINDOW, windows["sc"])
    assert _page(windows["sc_colleague"], f"/workbench/window/{draft.pk}/check/") == 200
    for other in ("town_clerk", "hz_clerk"):  # below the city beside 上城区; the city itself
        assert _page(windows[other], f"/workbench/window/{draft.pk}/check/") == 404, other
    # A forged or unknown id is the same 404.
    assert _page(windows["sc_clerk"], "/workbench/window/not-a-uuid/check/") == 404


def test_the_receiving_window_accepts_and_delivers_and_sees_nothing_in_between(w, windows, resident):
    case = _case(w, resident, channel=SubmissionChannel.WINDOW, receiving_window=windows["sc"])
    clerk = windows["sc_clerk"]
    with travel(DAY):
        body = _api(clerk, case.number).json()
        assert "accept" in [c["command"] for c in body["allowed_commands"]]
        assert _page(clerk, f"/workbench/cases/{case.number}/") == 200
        accepted = command(clerk, case.number, "accept")
        assert accepted.status_code == 200, accepted.json()
        assert accepted.json()["status"] == ApplicationStatus.ACCEPTED
        assert _sees(clerk, case)  # 已受理: the acceptance is still the window's step
        reviewed = command(windows["hz_reviewer"], case.number, "review", outcome="approve", opinion="报省厅")
        assert reviewed.status_code == 200, reviewed.json()
    # Review and decision are the city's and the province's: the window does not see them.
    assert not _sees(clerk, case)
    assert _page(clerk, f"/workbench/cases/{case.number}/") == 404
    with travel(dt.date(2025, 9, 10)):
        decided = command(windows["zj_decider"], case.number, "decide", decision="approve", opinion="准予")
        assert decided.json()["status"] == ApplicationStatus.APPROVED
        # Delivery (颁发、送达) is the window's again: it sees the case and hands the licence over.
        body = _api(clerk, case.number).json()
        assert "deliver" in [c["command"] for c in body["allowed_commands"]]
        assert not _sees(windows["town_clerk"], case)  # another window below the province: 404
        delivered = command(clerk, case.number, "deliver", method="pickup")
        assert delivered.status_code == 200, delivered.json()
        assert delivered.json()["status"] == ApplicationStatus.DELIVERED
    assert _sees(clerk, case)
    # Every read through the window is in the applicant's access log, credited to 上城区司法局.
    reads = PersonalDataAccess.objects.filter(reader=clerk, subject=resident)
    assert reads.count() >= 4
    assert {(r.reader_organisation_id, r.reader_role) for r in reads} == {
        (windows["sc"].pk, Role.WINDOW_CLERK)
    }
    log = client_for(resident).get("/api/v1/me/access-log/").json()
    rows = log["results"] if isinstance(log, dict) else log
    assert "杭州市上城区司法局" in {row["reader_organisation"] for row in rows}


def test_a_pickup_window_sees_the_case_for_its_delivery_step_only(w, windows, resident):
    """The applicant chose 上城区's window to collect the licence: that window sees nothing while
    the case is accepted, reviewed and decided, then sees it to deliver it."""
    case = _case(w, resident, pickup_window=windows["sc"])
    clerk = windows["sc_clerk"]
    with travel(DAY):
        assert not _sees(clerk, case)
        assert command(clerk, case.number, "accept").status_code == 404
        assert command(windows["hz_clerk"], case.number, "accept").status_code == 200
        assert not _sees(clerk, case)
        command(windows["hz_reviewer"], case.number, "review", outcome="approve", opinion="报省厅")
    with travel(dt.date(2025, 9, 10)):
        command(windows["zj_decider"], case.number, "decide", decision="approve", opinion="准予")
        body = _api(clerk, case.number).json()
        assert [c["command"] for c in body["allowed_commands"]] == ["deliver"]
        # The window start page lists it to be handed over; the 司法所's does not.
        assert case.number in _html(clerk, "/workbench/window/")
        assert case.number not in _html(windows["town_clerk"], "/workbench/window/")
        assert not _sees(windows["town_clerk"], case)
        assert command(windows["town_clerk"], case.number, "deliver", method="pickup").status_code == 404
        delivered = command(clerk, case.number, "deliver", method="pickup")
        assert delivered.json()["status"] == ApplicationStatus.DELIVERED
    access = PersonalDataAccess.objects.filter(reader=clerk).latest("id")
    assert (access.reader_organisation_id, access.reader_role) == (windows["sc"].pk, Role.WINDOW_CLERK)


def test_the_applicant_chooses_a_pickup_window_at_or_below_the_accepting_organisation(w, windows, resident):
    entry = entry_for(LAWYER, w["hz"])
    api = client_for(resident)
    created = api.post(
        "/api/v1/applications/drafts/",
        {"entry": entry.implementation_code, "pickup_window": str(windows["sc"].pk)},
    )
    assert created.status_code == 201, created.json()
    assert created.json()["pickup_window"] == {"id": windows["sc"].pk, "name": "杭州市上城区司法局"}
    draft = Application.objects.get(pk=created.json()["id"])
    assert draft.pickup_window == windows["sc"]
    for elsewhere in (w["nb"], w["zj"]):  # beside it, above it
        refused = api.patch(
            f"/api/v1/applications/drafts/{draft.pk}/", {"pickup_window": str(elsewhere.pk)}, format="json"
        )
        assert refused.status_code == 400
        assert refused.json()["errors"][0]["code"] == "application.pickup_window"
    cleared = api.patch(f"/api/v1/applications/drafts/{draft.pk}/", {"pickup_window": ""}, format="json")
    assert cleared.status_code == 200 and cleared.json()["pickup_window"] is None


def test_forged_numbers_and_other_jurisdictions_are_404(w, windows, resident):
    received = _case(w, resident, channel=SubmissionChannel.WINDOW, receiving_window=windows["sc"])
    nb_case = make_case(entry_for(LAWYER, w["nb"]), resident, received=DAY)
    clerk = windows["sc_clerk"]
    assert _sees(clerk, received)
    assert not _sees(clerk, nb_case)
    for number in ("NO-SUCH", received.number + "0", received.number.lower(), "' OR 1=1 --"):
        assert _api(clerk, number).status_code == 404, number
    # A pickup window off the case's line (the service refuses it; here written into the row)
    # opens nothing: a window sees through ``pickup_window`` only below the accepting organisation.
    forged = _case(w, resident, pickup_window=w["nb"], status=ApplicationStatus.APPROVED)
    assert not _sees(windows["nb_clerk"], forged) and not _sees(clerk, forged)


def test_a_walk_in_filed_before_the_window_was_recorded_gets_the_filing_clerks_window(w, windows, resident):
    """The migration that adds ``receiving_window`` fills it for the walk-ins already filed: the
    filing clerk's window on the accepting organisation's line (the rule of ``start_draft``)."""
    import importlib

    from django.apps import apps

    old = _case(w, resident, channel=SubmissionChannel.WINDOW, submitted_by=windows["sc_clerk"])
    online = _case(w, resident, submitted_by=resident)
    assert old.receiving_window is None
    migration = importlib.import_module("sifa.applications.migrations.0008_window_of_receipt_and_pickup")
    migration.backfill_receiving_window(apps, None)
    old.refresh_from_db()
    online.refresh_from_db()
    assert (old.receiving_window, online.receiving_window) == (windows["sc"], None)


PDF_BYTES = b"%PDF-1.4\n% a sealed letter\n%%EOF\n"


def _case_document(case: Application, kind: str, sequence: int) -> Document:
    """The case's document as ``workflow.services.casedocs`` stores it: about the application (by
    its number), addressed to the applicant, in the case's scope."""
    key = default_storage.save("documents/window-test.pdf", ContentFile(PDF_BYTES))
    return Document.objects.create(
        kind=kind, title=DocumentKind(kind).label, number=f"杭司许〔2025〕{sequence}号", year=2025,
        sequence=sequence, organisation=case.accepting_organisation, recipient=case.applicant,
        related_type="application", related_id=case.number, storage_key=key, size=len(PDF_BYTES),
        sm3="0" * 64, sm2_signature=b"", sm2_key_id="k", seal_certificate_serial="01",
        scope_path=case.scope_path,
    )  # fmt: skip


def _pdf(user, document: Document) -> int:
    response = client_for(user).get(f"/api/v1/documents/{document.public_id}/pdf/")
    if response.status_code == 404:
        assert response.json()["code"] == "documents.not_found"
    else:
        assert response.content == PDF_BYTES
    return response.status_code


def _set(case: Application, status: str) -> None:
    Application.objects.filter(pk=case.pk).update(status=status)


def test_a_pickup_window_prints_the_decision_letter_at_delivery_and_not_before(w, windows, resident):
    """Issue 14 point 1 follow-up: the window the applicant chose opens the decision letter it
    hands over — at the delivery step only; no other window ever; the read is in the applicant's
    access log credited to the pickup window."""
    case = _case(w, resident, pickup_window=windows["sc"], status=ApplicationStatus.IN_REVIEW)
    notice = _case_document(case, DocumentKind.ACCEPTANCE_NOTICE, 1)
    decision = _case_document(case, DocumentKind.APPROVAL_DECISION, 2)
    clerk, others = windows["sc_clerk"], (windows["town_clerk"], windows["nb_clerk"])
    assert _pdf(clerk, decision) == 404  # 审查中: the case is the city's, not the window's
    assert client_for(clerk).get(f"/api/v1/documents/{decision.public_id}/").status_code == 404
    assert _pdf(windows["hz_reviewer"], decision) == 200  # the accepting organisation, as ever
    _set(case, ApplicationStatus.APPROVED)
    assert _pdf(clerk, decision) == 200
    assert _pdf(windows["sc_colleague"], notice) == 200  # any clerk of that window, any of its documents
    assert client_for(clerk).get(f"/api/v1/documents/{decision.public_id}/").status_code == 200
    assert all(_pdf(other, decision) == 404 for other in others)
    read = PersonalDataAccess.objects.filter(reader=clerk, object_type="documents.Document").get()
    assert (read.subject, read.subject_ref) == (resident, decision.number)
    assert (read.reader_organisation_id, read.reader_role) == (windows["sc"].pk, Role.WINDOW_CLERK)
    assert "准予行政许可决定书" in read.purpose
    _set(case, ApplicationStatus.DELIVERED)
    assert _pdf(clerk, decision) == 200  # 已送达: still the window's step (a reprint)
    # The applicant's own download is not a staff read.
    assert client_for(resident).get(f"/api/v1/documents/{decision.public_id}/pdf/").status_code == 200
    assert not PersonalDataAccess.objects.filter(reader=resident).exists()
    assert all(_pdf(other, decision) == 404 for other in others)


def test_the_receiving_window_prints_the_acceptance_notice_at_acceptance_only(w, windows, resident):
    case = _case(w, resident, channel=SubmissionChannel.WINDOW, receiving_window=windows["sc"])
    _set(case, ApplicationStatus.NOT_ACCEPTED)
    refusal = _case_document(case, DocumentKind.REFUSAL_NOTICE, 3)
    clerk = windows["sc_clerk"]
    assert _pdf(clerk, refusal) == 200
    assert _pdf(windows["town_clerk"], refusal) == 404
    _set(case, ApplicationStatus.IN_REVIEW)  # (not a real path: shows the step decides, not the row)
    assert _pdf(clerk, refusal) == 404
    assert _pdf(windows["sc_clerk"], Document(public_id="00000000-0000-0000-0000-000000000000")) == 404


# --- 领取地点 on the pages: the citizen's apply journey and the walk-in window form ---------------


def _apply_client(user) -> Client:
    client = Client()
    if user.memberships.exists():  # staff: a verified (TOTP) login
        verified_login(client, user)
    else:
        client.force_login(user)
    return client


def test_the_applicant_chooses_a_county_window_on_the_portal_and_it_sees_the_case_only_at_delivery(
    w, windows, resident
):
    """ "在哪里领取办理结果" in the citizen's journey (a radio list, no script): the accepting
    organisation by default, the staffed windows below it offered; the choice is stored on the
    draft, shown on check your answers with a 修改 link — and that window then sees the case at
    its delivery step only."""
    client = _apply_client(resident)
    entry = entry_for(LAWYER, w["hz"])
    assert client.post(f"/apply/{entry.implementation_code}/").status_code == 302
    draft = Application.objects.get(applicant=resident, status=ApplicationStatus.DRAFT)
    materials = client.get(f"/apply/drafts/{draft.pk}/materials/").content.decode()
    assert f'href="/apply/drafts/{draft.pk}/pickup/"' in materials  # the next step of the flow
    page = client.get(f"/apply/drafts/{draft.pk}/pickup/").content.decode()
    assert "在哪里领取办理结果" in page
    options = dict(re.findall(r'name="pickup_window" value="(\d+)"( checked)?', page))
    assert options == {str(w["hz"].pk): " checked", str(windows["sc"].pk): ""}  # 司法所: not on the line
    assert "杭州市司法局（受理机构）" in page and "杭州市上城区司法局" in page
    assert "宁波市司法局" not in page
    refused = client.post(f"/apply/drafts/{draft.pk}/pickup/", {"pickup_window": str(w["nb"].pk)})
    assert refused.status_code == 400 and 'href="#pickup-0"' in refused.content.decode()
    chosen = client.post(f"/apply/drafts/{draft.pk}/pickup/", {"pickup_window": str(windows["sc"].pk)})
    assert chosen.status_code == 302 and chosen["Location"] == f"/apply/drafts/{draft.pk}/check/"
    draft.refresh_from_db()
    assert draft.pickup_window == windows["sc"]
    check = client.get(f"/apply/drafts/{draft.pk}/check/").content.decode()
    row = re.search(
        r"<dt>在哪里领取办理结果</dt><dd>([^<]+)</dd>\s*<dd[^>]*><a href=\"([^\"]+)\">修改", check
    )
    assert row and row.groups() == ("杭州市上城区司法局", f"/apply/drafts/{draft.pk}/pickup/")
    # The case goes its way (submitted as any other; here set along its steps): the window sees it
    # only when it is to be handed over.
    Application.objects.filter(pk=draft.pk).update(
        number="T20250901PICKUP", status=ApplicationStatus.IN_REVIEW, submitted_at=timezone.now()
    )
    case = Application.objects.get(pk=draft.pk)
    assert not _sees(windows["sc_clerk"], case)
    _set(case, ApplicationStatus.APPROVED)
    assert _sees(windows["sc_clerk"], case) and not _sees(windows["town_clerk"], case)
    assert case.number in _html(windows["sc_clerk"], "/workbench/window/")


def test_a_walk_in_is_collected_at_the_receiving_window_unless_the_applicant_says_otherwise(w, windows):
    entry = entry_for(LAWYER, w["hz"])
    walk_in = {
        "kind": "person",
        "name": "王五",
        "id_number": account_factories.id_number("330102"),
        "id_number_consent": CONSENT,
    }
    draft = applications.start_draft(entry, actor=windows["sc_clerk"], walk_in=walk_in)
    clerk = _apply_client(windows["sc_clerk"])
    response = clerk.get(f"/workbench/window/{draft.pk}/pickup/")
    assert response.status_code == 200, (response.status_code, response.get("Location"))
    page = response.content.decode()
    options = re.findall(r'name="pickup_window" value="(\d+)"( checked)?', page)
    assert options[:2] == [(str(w["hz"].pk), ""), (str(windows["sc"].pk), " checked")]
    assert "杭州市上城区司法局（收取申请材料的窗口）" in page
    check = clerk.get(f"/workbench/window/{draft.pk}/check/").content.decode()
    assert re.search(r"<dt>在哪里领取办理结果</dt><dd>杭州市上城区司法局</dd>", check)
    moved = clerk.post(f"/workbench/window/{draft.pk}/pickup/", {"pickup_window": str(w["hz"].pk)})
    assert moved.status_code == 302
    draft.refresh_from_db()
    assert draft.pickup_window == w["hz"]
    # The receipt (回执) the applicant takes home says where to collect the result.
    Application.objects.filter(pk=draft.pk).update(
        number="T20250901WALKIN", status=ApplicationStatus.PENDING_ACCEPTANCE, received_at=timezone.now()
    )
    receipt = clerk.get(f"/workbench/window/{draft.pk}/receipt/").content.decode()
    assert re.search(r"<dt>领取地点</dt><dd>杭州市司法局</dd>", receipt)
    # Another window cannot open the walk-in's page.
    assert _page(windows["town_clerk"], f"/workbench/window/{draft.pk}/pickup/") == 404


def test_the_question_is_asked_only_where_a_result_is_handed_over(w, windows, resident):
    from sifa.workflow.engine.registry import delivers
    from sifa.workflow.selectors import pickup_windows

    assert delivers("lawyer_licence.bpmn") and not delivers("mediation.bpmn")
    mediation = applications.start_draft(entry_for("人民调解申请", w["xh_town"]), actor=resident)
    assert pickup_windows(mediation) == []
    client = _apply_client(resident)
    response = client.get(f"/apply/drafts/{mediation.pk}/pickup/")
    assert response.status_code == 302 and response["Location"] == f"/apply/drafts/{mediation.pk}/check/"
    assert "在哪里领取办理结果" not in client.get(f"/apply/drafts/{mediation.pk}/check/").content.decode()


def test_a_window_chosen_through_the_api_stays_on_the_list(w, windows, resident):
    """The 司法所 is not offered on the page (not on the resident's line, not directly below the
    city), but once chosen through the API it is listed — and checked — rather than lost."""
    from sifa.workflow.selectors import pickup_windows

    draft = applications.start_draft(entry_for(LAWYER, w["hz"]), actor=resident)
    assert w["xh_town"] not in pickup_windows(draft)
    applications.update_draft(draft, actor=resident, pickup_window=str(w["xh_town"].pk))
    draft.refresh_from_db()
    assert pickup_windows(draft)[:2] == [w["hz"], w["xh_town"]]
    page = _apply_client(resident).get(f"/apply/drafts/{draft.pk}/pickup/").content.decode()
    assert f'value="{w["xh_town"].pk}" checked' in page


def _issued_licence(case: Application, holder):
    """The e-licence the case's decision issued, as ``workflow.services.casedocs`` records it (a
    stored PDF stands in for the sealed rendition: rendering is the licences app's test)."""
    from sifa.licences.models import LicenceType
    from sifa.licences.services import issue_licence
    from sifa.workflow.models import CaseDocument, CaseDocumentKind, CaseDocumentStatus

    licence = issue_licence(
        LicenceType.objects.get(key="lawyer_licence"), holder, case.accepting_organisation, actor=None,
        application=case, particulars={"practice_organisation": "浙江示例律师事务所"}, with_pdf=False,
    )  # fmt: skip
    licence.pdf_storage_key = default_storage.save("licences/window-test.pdf", ContentFile(PDF_BYTES))
    licence.pdf_sm3 = "0" * 64
    licence.save(update_fields=["pdf_storage_key", "pdf_sm3"])
    CaseDocument.objects.create(
        application=case, kind=CaseDocumentKind.LICENCE, organisation=case.accepting_organisation,
        issued_on=DAY, status=CaseDocumentStatus.ISSUED, licence=licence,
    )  # fmt: skip
    return licence


def _licence_pdf(user, case: Application) -> int:
    """The workbench route (for staff who sign in there with a second factor) and the API answer
    alike (the API's 404 names the documented code)."""
    api = client_for(user).get(f"/api/v1/cases/{case.number}/licence/pdf/")
    page = api
    if TOTPDevice.objects.filter(user=user).exists():
        client = Client()
        verified_login(client, user)
        page = client.get(f"/workbench/cases/{case.number}/licence.pdf")
    assert page.status_code == api.status_code
    if api.status_code == 404:
        assert api.json()["code"] == "workflow.licence_not_found"
    else:
        assert page.content == api.content == PDF_BYTES
        assert page["Content-Disposition"].startswith("attachment;")
    return api.status_code


def test_a_pickup_window_prints_the_licence_at_delivery_and_not_before(w, windows, resident):
    """Issue 14: the 上城区 window the applicant chose hands the licence over — it downloads the
    case's licence PDF (workbench route and API) at the delivery step only; another window, another
    county, or the same window before the decision get 404; every download is in the holder's
    access log credited to the pickup window, and the case page links it from the 送达 step."""
    case = _case(w, resident, pickup_window=windows["sc"], status=ApplicationStatus.IN_REVIEW)
    licence = _issued_licence(case, resident)
    clerk, others = windows["sc_clerk"], (windows["town_clerk"], windows["nb_clerk"])
    assert _licence_pdf(clerk, case) == 404  # 审查中: the case is the city's, not the window's
    assert _licence_pdf(windows["hz_reviewer"], case) == 404  # nothing to hand over before the decision
    assert not PersonalDataAccess.objects.filter(object_type="licences.Licence").exists()
    _set(case, ApplicationStatus.APPROVED)
    assert _licence_pdf(clerk, case) == 200
    assert all(_licence_pdf(other, case) == 404 for other in others)
    assert _licence_pdf(resident, case) == 404  # the holder's own copy is in 我的证照, not here
    reads = PersonalDataAccess.objects.filter(reader=clerk, object_type="licences.Licence")
    assert reads.count() == 2  # the page and the API: every download is logged
    read = reads.latest("id")
    assert (read.subject, read.subject_ref) == (resident, licence.identifier)
    assert (read.reader_organisation_id, read.reader_role) == (windows["sc"].pk, Role.WINDOW_CLERK)
    assert licence.number in read.purpose and "送达" in read.purpose
    assert not PersonalDataAccess.objects.filter(reader__in=others, object_type="licences.Licence").exists()
    # The case page links it (the documents list; the 送达 action's form too, when it is open).
    html = _html(clerk, f"/workbench/cases/{case.number}/")
    assert f'<a href="/workbench/cases/{case.number}/licence.pdf">下载证照PDF</a>' in html
    detail = _api(clerk, case.number).json()
    assert [d["licence_pdf"] for d in detail["documents"]] == [f"/api/v1/cases/{case.number}/licence/pdf/"]
    _set(case, ApplicationStatus.DELIVERED)
    assert _licence_pdf(clerk, case) == 200  # 已送达: a reprint
    assert all(_licence_pdf(other, case) == 404 for other in others)
    # An unknown number is the same 404.
    assert _licence_pdf(clerk, type("Case", (), {"number": "T000"})()) == 404


def _same_case_read(actors, case) -> None:
    """``case_for_command`` (the commands' statement compiled once per shape of actor, scope in SQL) finds
    exactly the cases ``case_for_staff`` (the scoped ORM query) finds, for every actor, with the
    same values and the same relations loaded."""
    case.refresh_from_db()
    for name, user in actors.items():
        actor = actor_for(user)
        try:
            expected = case_for_staff(actor, case.number)
        except NotFound:
            with pytest.raises(NotFound):
                case_for_command(actor, case.number)
            continue
        found = case_for_command(actor, case.number)
        assert model_to_dict(found) == model_to_dict(expected), name
        for relation in ("entry", "entry__deciding_organisation", "version", "version__item"):
            a, b = found, expected
            for part in relation.split("__"):
                a, b = getattr(a, part), getattr(b, part)
            assert model_to_dict(a) == model_to_dict(b), (name, relation)
        for relation in ("accepting_organisation", "current_organisation"):
            assert Application._meta.get_field(relation).is_cached(found), (name, relation)
            assert getattr(found, relation) == getattr(expected, relation), (name, relation)


def test_a_command_reads_the_case_in_the_same_scope_as_the_case_view(w, windows, resident):
    """At every step of a walk-in case with a pickup window (the three rules of ``visible_cases``:
    subtree, receiving window, pickup window), for staff above, at and beside it, a superuser and
    an account without memberships."""
    actors = {
        **{k: v for k, v in windows.items() if k != "sc"},
        "root": User.objects.create_superuser("scope-root", password="x-Secret-123456"),
        "nobody": CitizenFactory(username="scope-nobody"),
        "resident": resident,
    }
    case = _case(
        w,
        resident,
        channel=SubmissionChannel.WINDOW,
        receiving_window=windows["sc"],
        pickup_window=windows["sc"],
    )
    with travel(DAY):
        _same_case_read(actors, case)
        assert command(windows["sc_clerk"], case.number, "accept").status_code == 200
        _same_case_read(actors, case)
        command(windows["hz_reviewer"], case.number, "review", outcome="approve", opinion="报省厅")
        _same_case_read(actors, case)
    with travel(dt.date(2025, 9, 10)):
        command(windows["zj_decider"], case.number, "decide", decision="approve", opinion="准予")
        _same_case_read(actors, case)
    with pytest.raises(NotFound):
        case_for_command(actor_for(windows["hz_reviewer"]), "SF-NO-SUCH-CASE")


def test_a_walk_in_without_an_account_is_never_delivered_to_a_space_it_does_not_have(w, windows):
    """An applicant recorded at the window without an account has no 申请人空间: 电子送达 is not
    offered on the case page and the service refuses it (the case used to read 已送达（电子送达至
    申请人空间）with nothing delivered anywhere); 窗口领取 closes the case."""
    person = walk_in_person(name="王窗口", id_number="330106198503151238", organisation=windows["sc"])
    case = _case(
        w, None, channel=SubmissionChannel.WINDOW, receiving_window=windows["sc"], applicant_person=person
    )
    clerk = windows["sc_clerk"]
    with travel(DAY):
        assert command(clerk, case.number, "accept").status_code == 200
        assert (
            command(
                windows["hz_reviewer"], case.number, "review", outcome="approve", opinion="报省厅"
            ).status_code
            == 200
        )
    with travel(dt.date(2025, 9, 10)):
        decided = command(windows["zj_decider"], case.number, "decide", decision="approve", opinion="准予")
        assert decided.status_code == 200, decided.json()
        page = _html(clerk, f"/workbench/cases/{case.number}/")
        assert 'value="pickup"' in page and 'value="electronic"' not in page
        assert "没有平台账户，不能电子送达" in page
        refused = command(clerk, case.number, "deliver", method="electronic")
        assert refused.status_code == 400, refused.json()
        assert "workflow.no_applicant_space" in refused.content.decode()
        assert Application.objects.get(pk=case.pk).status == ApplicationStatus.APPROVED
        delivered = command(clerk, case.number, "deliver", method="pickup")
        assert delivered.status_code == 200, delivered.json()
        assert delivered.json()["status"] == ApplicationStatus.DELIVERED


def test_delivery_waits_for_a_decision_letter_that_failed_to_issue(w, windows, resident):
    """While the 准予行政许可决定书 reads 出具失败，待重试 — or is still being issued — there is nothing
    to hand over: the case page does not offer 送达 and says why, the action page sends the clerk
    back, the API's ``allowed_commands`` do not list it and the service refuses it (409
    ``workflow.document_not_issued``); once it is issued, 送达 closes the case."""
    from sifa.workflow.models import CaseDocument, CaseDocumentKind, CaseDocumentStatus

    case = _case(w, resident, channel=SubmissionChannel.WINDOW, receiving_window=windows["sc"])
    clerk = windows["sc_clerk"]
    with travel(DAY):
        assert command(clerk, case.number, "accept").status_code == 200
        command(windows["hz_reviewer"], case.number, "review", outcome="approve", opinion="报省厅")
    with travel(dt.date(2025, 9, 10)):
        decided = command(windows["zj_decider"], case.number, "decide", decision="approve", opinion="准予")
        assert decided.status_code == 200, decided.json()
        letter = CaseDocument.objects.filter(application=case, kind=CaseDocumentKind.APPROVAL_DECISION)
        assert letter.update(status=CaseDocumentStatus.FAILED, last_error="印章服务不可用") == 1
        page = _html(clerk, f"/workbench/cases/{case.number}/")
        assert f"/workbench/cases/{case.number}/actions/deliver/" not in page
        assert 'value="pickup"' not in page
        assert "准予行政许可决定书出具失败，待重试，暂不能送达" in page
        assert _page(clerk, f"/workbench/cases/{case.number}/actions/deliver/") == 302
        # The API's allowed_commands follow the same rule (transitions.delivery_hold).
        assert "deliver" not in [c["command"] for c in _api(clerk, case.number).json()["allowed_commands"]]
        refused = command(clerk, case.number, "deliver", method="pickup")
        assert refused.status_code == 409, refused.json()
        assert refused.json()["code"] == "workflow.document_not_issued"
        assert "准予行政许可决定书出具失败" in refused.json()["message"]
        assert Application.objects.get(pk=case.pk).status == ApplicationStatus.APPROVED
        # Still being issued (the worker has not run yet): it holds 送达 too, saying so.
        letter.update(status=CaseDocumentStatus.PENDING, last_error="")
        page = _html(clerk, f"/workbench/cases/{case.number}/")
        assert 'value="pickup"' not in page
        assert "准予行政许可决定书正在出具，出具完成后方可送达" in page
        assert "deliver" not in [c["command"] for c in _api(clerk, case.number).json()["allowed_commands"]]
        refused = client_for(clerk).post(
            f"/api/v1/cases/{case.number}/commands/deliver/", {"method": "pickup"}, format="json"
        )
        assert refused.status_code == 409, refused.json()
        assert refused.json()["code"] == "workflow.document_not_issued"
        assert refused.json()["message"] == "准予行政许可决定书正在出具，出具完成后方可送达"
        letter.update(status=CaseDocumentStatus.ISSUED)  # as a successful issuance leaves it
        page = _html(clerk, f"/workbench/cases/{case.number}/")
        assert 'value="pickup"' in page and "暂不能送达" not in page and "正在出具" not in page
        assert "deliver" in [c["command"] for c in _api(clerk, case.number).json()["allowed_commands"]]
        delivered = command(clerk, case.number, "deliver", method="pickup")
        assert delivered.status_code == 200, delivered.json()
        assert delivered.json()["status"] == ApplicationStatus.DELIVERED
