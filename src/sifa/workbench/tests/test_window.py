"""窗口受理 in the workbench with the Django test client (no JavaScript): a county clerk registers a
walk-in applicant for a city item, fills the portal's form, uploads scans, submits twice (one
application) and opens the receipt; every bad input comes back on the page and writes nothing."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sifa.accounts import consents
from sifa.accounts.models import ConsentChannel, ConsentRecord, NaturalPerson
from sifa.applications.models import Application, ApplicationStatus, MaterialProvenance, SubmissionChannel
from sifa.applications.tests.conftest import PDF, id_number
from sifa.audit.models import AuditEvent
from sifa.catalogue.models import CatalogueItem, ImplementationEntry, ProcessDefinition
from sifa.organisations.models import Role
from sifa.workbench.tests import world as W

pytestmark = pytest.mark.django_db

WALK_IN_ID = id_number("33010619700202001")
LAWYER_CODE = "000100001001"
CONSENT = consents.current(consents.REGISTER_ID_NUMBER)
IDENTITY = {
    "kind": "person",
    "name": "王五",
    "id_number": WALK_IN_ID,
    "phone": "13900001111",
    "id_number_consent": "on",
    "id_number_consent_version": CONSENT.version,
}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PUBLIC_URL = "https://sifa.example.cn"


@pytest.fixture
def clerk(w, login):
    """A window clerk at 西湖区司法局, a county below the city that receives 律师执业许可."""
    user = W.staff("xh-window", (w["xh"], Role.WINDOW_CLERK))
    return user, login(user)


def _html(response) -> str:
    return response.content.decode()


def _entry(w, organisation_key: str = "hz") -> ImplementationEntry:
    return ImplementationEntry.objects.get(item__basic_code=LAWYER_CODE, organisation=w[organisation_key])


def _start(client, w, **changes):
    body = {"item": LAWYER_CODE, "entry": _entry(w).implementation_code, **IDENTITY, **changes}
    return client.post("/workbench/window/new/", body)


def test_the_menu_offers_the_window_to_window_clerks_only(w, clerk, login):
    _user, client = clerk
    assert "窗口受理" in _html(client.get("/workbench/"))
    reviewer = login(W.staff("xh-reviewer-only", (w["xh"], Role.REVIEWER)))
    assert "窗口受理" not in _html(reviewer.get("/workbench/"))
    assert "您没有窗口受理岗位" in _html(reviewer.get("/workbench/window/"))


def test_the_start_page_offers_the_items_this_window_may_receive(w, clerk):
    _user, client = clerk
    page = _html(client.get("/workbench/window/"))
    assert "律师执业许可（专职律师执业）" in page and "新建窗口申请" in page
    # The item's receiving organisations for this window: the city above it, not 宁波.
    new = _html(client.get("/workbench/window/new/", {"item": LAWYER_CODE}))
    assert "杭州市司法局" in new and "宁波市司法局" not in new
    assert f'value="{_entry(w).implementation_code}"' in new and "checked" in new  # the only choice


def test_an_item_without_a_shipped_process_is_not_offered(w, clerk):
    """No dead end at the window either: an item whose version names no shipped process file is not
    on the list, and asking for it is the unknown-item error (a draft would be 409 no_process)."""
    _user, client = clerk
    part_time = "000100001002"
    assert "律师执业许可（兼职律师执业）" in _html(client.get("/workbench/window/"))
    ProcessDefinition.objects.filter(version__item__basic_code=part_time).update(bpmn_file="no_such.bpmn")
    page = _html(client.get("/workbench/window/"))
    assert "律师执业许可（兼职律师执业）" not in page and "律师执业许可（专职律师执业）" in page
    response = client.get("/workbench/window/new/", {"item": part_time})
    assert response.status_code == 400 and "请选择有效的办理事项" in _html(response)


def test_an_unknown_item_is_a_form_error_not_a_500(clerk):
    _user, client = clerk
    response = client.get("/workbench/window/new/", {"item": "000999999999"})
    assert response.status_code == 400
    assert "请选择有效的办理事项" in _html(response)


def test_identity_errors_are_listed_at_once_and_nothing_is_written(w, clerk):
    _user, client = clerk
    response = _start(client, w, name="", id_number="", phone="123")
    assert response.status_code == 400
    page = _html(response)
    for message in ("请填写申请人姓名或单位名称", "请填写公民身份号码", "联系电话应为11位中国大陆手机号"):
        assert message in page
    assert 'href="#id_name"' in page and 'href="#id_id_number"' in page
    bad = _start(client, w, id_number=WALK_IN_ID[:-1] + ("0" if WALK_IN_ID[-1] != "0" else "1"))
    assert bad.status_code == 400 and "公民身份号码校验位错误" in _html(bad)
    company = _start(client, w, kind="company", uscc="", id_number="")
    assert company.status_code == 400 and "请填写统一社会信用代码" in _html(company)
    assert not Application.objects.exists()
    assert not NaturalPerson.objects.filter(user__isnull=True).exists()


def test_the_walk_in_consents_in_person_to_the_id_number_and_the_clerk_records_it(w, clerk):
    """个人信息保护法 §29 at the counter: the identity page shows the same separate-consent text and
    version as online registration, unticked; unticked (or a text changed meanwhile) is a listed
    error and writes nothing; ticked, the consent is recorded — channel 窗口, the clerk as recorder,
    the walk-in person (no account) as who gave it — and audited."""
    user, client = clerk
    page = _html(client.get("/workbench/window/new/", {"item": LAWYER_CODE}))
    assert CONSENT.text in page and CONSENT.version in page
    box = re.search(r'<input type="checkbox" name="id_number_consent"[^>]*>', page).group(0)
    assert "checked" not in box
    unticked = _start(client, w, id_number_consent="")
    assert unticked.status_code == 400
    refused = _html(unticked)
    assert (
        "请申请人阅读“公民身份号码的单独同意”，同意后勾选" in refused
        and 'href="#id_id_number_consent"' in refused
    )
    stale = _start(client, w, id_number_consent_version="2020-01-v0")
    assert stale.status_code == 400 and "同意书内容已更新" in _html(stale)
    assert not Application.objects.exists() and not ConsentRecord.objects.exists()
    assert not NaturalPerson.objects.filter(user__isnull=True).exists()
    assert _start(client, w).status_code == 302
    app = Application.objects.get(submitted_by=user)
    record = ConsentRecord.objects.get()
    assert (record.code, record.version, record.channel) == (
        consents.REGISTER_ID_NUMBER,
        CONSENT.version,
        ConsentChannel.COUNTER,
    )
    assert (record.person, record.user, record.recorded_by) == (app.applicant_person, None, user)
    assert record.scope_path == app.applicant_person.scope_path
    event = AuditEvent.objects.get(action="consent.given")
    assert event.actor_id == user.pk and event.detail["channel"] == "counter"
    # The same person again, the same text: the standing consent is not recorded twice.
    assert _start(client, w).status_code == 302
    assert ConsentRecord.objects.count() == 1


def test_an_organisation_this_window_may_not_receive_for_is_refused(w, clerk):
    _user, client = clerk
    response = _start(client, w, entry=_entry(w, "nb").implementation_code)
    assert response.status_code == 400
    assert "请选择有效的受理机构" in _html(response)
    assert not Application.objects.exists()


def _walk_through(client, app: Application) -> None:
    """Post every form step (each reads its own fields), then upload a scan for every material."""
    form = {
        "address": "杭州市西湖区北山街道1号",
        "law_firm": "浙江某某律师事务所",
        "qualification_number": "A20201234567",
    }
    for step in (1, 2):
        page = client.get(f"/workbench/window/{app.pk}/form/{step}/")
        assert page.status_code == 200
        values = dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', _html(page)))
        assert client.post(f"/workbench/window/{app.pk}/form/{step}/", {**values, **form}).status_code == 302
    page = _html(client.get(f"/workbench/window/{app.pk}/materials/"))
    assert "请扫描申请人提交的纸质材料" in page
    for material in re.findall(r'name="material" value="(\d+)"', page):
        upload = SimpleUploadedFile("扫描件.pdf", PDF, "application/pdf")
        response = client.post(
            f"/workbench/window/{app.pk}/materials/", {"material": material, "file": upload}
        )
        assert response.status_code == 302


def test_a_walk_in_application_from_identity_to_receipt(w, clerk, login):
    user, client = clerk
    response = _start(client, w)
    assert response.status_code == 302
    app = Application.objects.get(submitted_by=user)
    assert response["Location"] == f"/workbench/window/{app.pk}/form/1/"
    assert app.channel == SubmissionChannel.WINDOW and app.applicant_person.name == "王五"
    # The identity is already in the form for the clerk to check.
    assert (app.form_data["applicant_name"], app.form_data["id_number"], app.form_data["phone"]) == (
        "王五",
        WALK_IN_ID,
        "13900001111",
    )
    step1 = _html(client.get(f"/workbench/window/{app.pk}/form/1/"))
    assert "申请人：王五" in step1 and 'value="王五"' in step1

    _walk_through(client, app)
    scans = app.materials.filter(superseded=False, uploaded_by=user)
    assert scans.exists() and all(m.provenance == MaterialProvenance.WINDOW_SCAN for m in scans)
    scan_url = f"/workbench/window/{app.pk}/materials/{scans.first().pk}/"
    assert scan_url in _html(client.get(f"/workbench/window/{app.pk}/materials/"))
    assert client.get(scan_url)["Content-Disposition"].startswith("attachment")
    check = _html(client.get(f"/workbench/window/{app.pk}/check/"))
    assert "已扫描上传：扫描件.pdf" in check and "确认提交并打印回执" in check

    # A double click: the second POST replays the first answer.
    first = client.post(f"/workbench/window/{app.pk}/check/")
    second = client.post(f"/workbench/window/{app.pk}/check/")
    assert first["Location"] == second["Location"] == f"/workbench/window/{app.pk}/receipt/"
    app.refresh_from_db()
    assert Application.objects.count() == 1 and app.status != ApplicationStatus.DRAFT
    assert AuditEvent.objects.filter(action="application.submit", object_id=app.number).count() == 1

    receipt = client.get(f"/workbench/window/{app.pk}/receipt/")
    page = _html(receipt)
    code = re.search(r'class="wb-receipt__code">([2-9A-Z]{8})<', page).group(1)
    for text in (
        "申请材料收件回执",
        app.number,
        "律师执业许可（专职律师执业）",
        "王五",
        "杭州市司法局",
        "收件窗口</dt><dd>杭州市西湖区司法局",
        "扫描件.pdf",
        "窗口扫描",
        "法定办结时限",
        "不是受理凭证",
        "第三十二条",
        "https://sifa.example.cn/track/",
        "workbench/print.js",
    ):
        assert text in page, text
    assert WALK_IN_ID not in page  # the ID number is masked on paper
    assert "法定办结时限自受理之日起计算" in page  # 行政许可法 §42
    # An item whose statute counts from receipt (法律援助法 §43) says so instead; the test changes
    # the published version's row itself.
    from sifa.catalogue.models import ItemVersion, LimitStart

    ItemVersion.objects.filter(pk=app.version_id).update(limit_start=LimitStart.RECEIPT)
    received = f"{app.received_at.astimezone(ZoneInfo('Asia/Shanghai')):%Y年%-m月%-d日}"
    page = _html(client.get(f"/workbench/window/{app.pk}/receipt/"))
    assert f"法定办结时限自收到申请之日起计算（收件时间 {received}，当日不计入）" in page
    ItemVersion.objects.filter(pk=app.version_id).update(limit_start=LimitStart.ACCEPTANCE)
    # The code on the receipt is the application's query code, and it survives a reload.
    from sifa.applications import selectors

    assert selectors.track(app.number, code) == app
    assert code in _html(client.get(f"/workbench/window/{app.pk}/receipt/"))
    # Another clerk of the same window reprints it without the code; a draft page now leads here.
    colleague = login(W.staff("xh-window-2", (w["xh"], Role.WINDOW_CLERK)))
    other = _html(colleague.get(f"/workbench/window/{app.pk}/receipt/"))
    assert app.number in other and code not in other and "查询码只打印在提交时的回执上" in other
    assert colleague.get(f"/workbench/window/{app.pk}/form/1/")["Location"].endswith("/receipt/")


def test_submit_with_missing_materials_lists_them_with_links(w, clerk):
    user, client = clerk
    _start(client, w)
    app = Application.objects.get(submitted_by=user)
    response = client.post(f"/workbench/window/{app.pk}/check/")
    assert response.status_code == 400
    page = _html(response)
    assert "请提交材料" in page and f"/workbench/window/{app.pk}/materials/#m-" in page
    app.refresh_from_db()
    assert app.status == ApplicationStatus.DRAFT and app.number is None


def test_the_situations_page_of_an_item_without_situations_leads_to_the_form(w, clerk):
    """It answered 500 (the page looked itself up in a flow it is not part of)."""
    user, client = clerk
    _start(client, w)
    app = Application.objects.get(submitted_by=user)
    response = client.get(f"/workbench/window/{app.pk}/situations/")
    assert response.status_code == 302 and response["Location"] == f"/workbench/window/{app.pk}/form/1/"


def test_walk_in_pages_are_closed_to_other_windows_and_citizens(w, clerk, login, client):
    user, clerk_client = clerk
    _start(clerk_client, w)
    app = Application.objects.get(submitted_by=user)
    material = re.search(
        r'name="material" value="(\d+)"', _html(clerk_client.get(f"/workbench/window/{app.pk}/materials/"))
    )
    upload = SimpleUploadedFile("扫描件.pdf", PDF, "application/pdf")
    clerk_client.post(
        f"/workbench/window/{app.pk}/materials/", {"material": material.group(1), "file": upload}
    )
    scan = app.materials.exclude(storage_key="").get()
    assert clerk_client.get(f"/workbench/window/{app.pk}/materials/{scan.pk}/").status_code == 200
    urls = [
        f"/workbench/window/{app.pk}/form/1/",
        f"/workbench/window/{app.pk}/check/",
        f"/workbench/window/{app.pk}/materials/{scan.pk}/",
    ]
    ningbo = login(W.staff("nb-window", (w["nb"], Role.WINDOW_CLERK)))  # the same test client
    for url in [*urls, f"/workbench/window/{app.pk}/materials/not-a-uuid/"]:
        assert ningbo.get(url).status_code == 404, url
    ningbo.logout()
    client.force_login(W.citizen("walkin-citizen"))
    assert client.get(f"/workbench/window/{app.pk}/form/1/").status_code == 404
    assert client.get("/workbench/window/").status_code == 404


def test_window_pages_need_no_inline_code(w, clerk):
    user, client = clerk
    _start(client, w)
    app = Application.objects.get(submitted_by=user)
    for url in (
        "/workbench/window/",
        f"/workbench/window/{app.pk}/form/1/",
        f"/workbench/window/{app.pk}/check/",
    ):
        page = _html(client.get(url))
        assert "<script>" not in page and "style=" not in page and "onclick" not in page


def test_a_walk_in_company_for_a_city_item(w, clerk):
    user, client = clerk
    firm_item = CatalogueItem.objects.get(name="律师事务所设立许可")
    entry = ImplementationEntry.objects.get(item=firm_item, organisation=w["hz"])
    from sifa.accounts.tests.factories import uscc

    code = uscc("330106")
    body = {
        "item": firm_item.basic_code,
        "entry": entry.implementation_code,
        "kind": "company",
        "name": "浙江新设律师事务所",
        "uscc": code,
        "legal_representative": "周律",
        "phone": "13900002222",
    }
    response = client.post("/workbench/window/new/", body)
    assert response.status_code == 302, _html(response)
    app = Application.objects.get(submitted_by=user)
    assert app.applicant_company.uscc == code
    assert app.form_data.get("organisation_name") == "浙江新设律师事务所"


def test_the_service_lists_an_unticked_consent_with_the_identitys_errors(w, clerk):
    """``start_draft`` (also the API's ``applicant.id_number_consent``): an empty version is a field
    error listed with the identity's own; a person's walk-in without the key passes only when the
    person's consent already stands (given at a window before, or online), and records nothing new;
    without one it is the same field error (个人信息保护法第二十九条)."""
    from sifa.applications import services
    from sifa.core.errors import ServiceError

    user, _client = clerk
    walk_in = {"kind": "person", "name": "", "id_number": WALK_IN_ID, "id_number_consent": ""}
    with pytest.raises(ServiceError) as refused:
        services.start_draft(_entry(w), actor=user, walk_in=walk_in)
    fields = {e["field"]: e["code"] for e in refused.value.errors}
    assert fields == {"applicant.name": "field.required", "applicant.id_number_consent": "consent.required"}
    unasked = {"kind": "person", "name": "王五", "id_number": WALK_IN_ID}
    with pytest.raises(ServiceError) as refused:
        services.start_draft(_entry(w), actor=user, walk_in=unasked)
    assert [(e["field"], e["code"]) for e in refused.value.errors] == [
        ("applicant.id_number_consent", "consent.required")
    ]
    assert not NaturalPerson.objects.filter(name="王五").exists()  # rolled back with the command
    walk_in = {**walk_in, "name": "王五", "id_number_consent": CONSENT.version}
    app = services.start_draft(_entry(w), actor=user, walk_in=walk_in)
    assert ConsentRecord.objects.get().person == app.applicant_person
    again = services.start_draft(_entry(w), actor=user, walk_in=unasked)  # the consent stands
    assert again.applicant_person == app.applicant_person and ConsentRecord.objects.count() == 1


def test_the_window_answers_a_correction_notice_for_its_walk_in(w, clerk, login):
    """A walk-in recorded without an account cannot log in to answer a 一次性告知书: the case sat in
    需补正材料 with no action anywhere. The window that received it enters the scans and the
    corrected form on one page (the receipt and the start page link to it); pre-review runs again."""
    from sifa.applications.services import issue_correction_notice
    from sifa.testing.cases import material_item

    user, client = clerk
    _start(client, w)
    app = Application.objects.get(submitted_by=user)
    _walk_through(client, app)
    assert client.post(f"/workbench/window/{app.pk}/check/").status_code == 302
    app.refresh_from_db()
    assert app.applicant_id is None
    # Nothing to correct yet: the page sends the clerk back to the receipt.
    assert client.get(f"/workbench/window/{app.pk}/correction/")["Location"].endswith("/receipt/")
    item = material_item(app, "申请书未签名，请补充签名后的申请书")
    issue_correction_notice(app, items=[item], actor=user)
    app.refresh_from_db()
    assert app.status == ApplicationStatus.CORRECTION_REQUIRED
    url = f"/workbench/window/{app.pk}/correction/"
    assert url in _html(client.get(f"/workbench/window/{app.pk}/receipt/"))
    assert url in _html(client.get("/workbench/window/"))
    page = _html(client.get(url))
    assert "录入补正材料" in page and "申请书未签名，请补充签名后的申请书" in page
    material = item["field"].split(".", 1)[1]
    form = dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', page))
    upload = SimpleUploadedFile("补正.pdf", PDF, "application/pdf")
    response = client.post(url, {**form, f"file-{material}": upload})
    assert response.status_code == 302, _html(response)[:2000]
    assert response["Location"] == f"/workbench/window/{app.pk}/receipt/"
    app.refresh_from_db()
    assert app.status != ApplicationStatus.CORRECTION_REQUIRED
    assert app.materials.filter(superseded=False, material_id=material, display_name="补正.pdf").exists()
    assert AuditEvent.objects.filter(action="application.correction.submit", actor=user).exists()
    # Another window, or a citizen, gets the same 404 as on every walk-in page.
    ningbo = login(W.staff("nb-window", (w["nb"], Role.WINDOW_CLERK)))  # the same test client
    assert ningbo.get(url).status_code == 404
