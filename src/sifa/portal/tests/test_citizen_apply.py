"""Apply through the pages, without JavaScript: steps with errors, materials, check, submit once."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sifa.applications.models import Application, ApplicationStatus
from sifa.catalogue.tests.conftest import build_tree, cat, loaded  # noqa: F401  (fixtures)

from .test_citizen_support import (
    OTHER_ID,
    PDF,
    VALID_ID,
    entry_with_situations,
    lawyer_entry,
    lawyer_form,
    person,
)


@pytest.fixture
def site(cat, client):  # noqa: F811
    citizen = person("张三", VALID_ID, "13800000001")
    client.force_login(citizen)
    return {"orgs": cat["orgs"], "citizen": citizen, "client": client, "entry": lawyer_entry(cat["orgs"])}


def _html(response) -> str:
    return response.content.decode()


def _start(site) -> Application:
    response = site["client"].post(f"/apply/{site['entry'].implementation_code}/")
    assert response.status_code == 302
    return Application.objects.get(applicant=site["citizen"])


def _fill_form(site, app: Application) -> None:
    """Post the whole form to every step: each step reads its own fields only."""
    client = site["client"]
    base = f"/apply/drafts/{app.pk}/form"
    form = lawyer_form()
    assert client.post(f"{base}/1/", form).status_code == 302
    assert client.post(f"{base}/2/", form)["Location"] == f"/apply/drafts/{app.pk}/materials/"


def _upload_all(site, app: Application) -> None:
    page = _html(site["client"].get(f"/apply/drafts/{app.pk}/materials/"))
    for material in re.findall(r'name="material" value="(\d+)"', page):
        response = site["client"].post(
            f"/apply/drafts/{app.pk}/materials/",
            {"material": material, "file": SimpleUploadedFile("证明.pdf", PDF, "application/pdf")},
        )
        assert response.status_code == 302, _html(response)


def test_start_page_needs_login_and_explains_the_steps(site, client):
    code = site["entry"].implementation_code
    client.logout()
    assert client.get(f"/apply/{code}/")["Location"].startswith("/accounts/login/?next=/apply/")
    client.force_login(site["citizen"])
    page = _html(client.get(f"/apply/{code}/"))
    assert "律师执业许可（专职律师执业）" in page and "开始新的申请" in page and "杭州市司法局" in page


def test_unknown_or_malformed_implementation_code_is_a_chinese_404(site):
    assert site["client"].get("/apply/NOPE/").status_code == 404
    assert "实施编码格式不正确" in _html(site["client"].get("/apply/NOPE/"))


def test_a_step_with_errors_shows_a_linked_summary_and_keeps_the_input(site):
    app = _start(site)
    prefilled = dict(app.form_data)  # from the account
    response = site["client"].post(
        f"/apply/drafts/{app.pk}/form/1/", {"applicant_name": "张三", "id_number": "123", "phone": ""}
    )
    page = _html(response)
    assert response.status_code == 400
    assert '<div class="sifa-error-summary"' in page and "请修改以下问题" in page
    assert '<a href="#f-id_number">公民身份号码的格式不正确</a>' in page
    assert '<a href="#f-phone">请填写联系电话</a>' in page
    assert 'id="f-id_number" name="id_number" value="123"' in page
    assert 'aria-describedby="f-id_number-hint f-id_number-error"' in page
    assert "<title>错误：" in page
    app.refresh_from_db()
    assert app.form_data == prefilled  # nothing saved while the step has errors


def test_material_checklist_shows_what_once_only_sources_already_provide(site):
    app = _start(site)
    page = _html(site["client"].get(f"/apply/drafts/{app.pk}/materials/"))
    assert "无需提交：公安部门共享数据：居民身份信息核验" in page
    assert page.count("需上传") == 3 and page.count('enctype="multipart/form-data"') == 3


def _upload_first(site, file, **fields):
    """(draft, the first material's id, the answer) after posting ``file`` for the first material."""
    app = _start(site)
    page = _html(site["client"].get(f"/apply/drafts/{app.pk}/materials/"))
    material = re.findall(r'name="material" value="(\d+)"', page)[0]
    response = site["client"].post(
        f"/apply/drafts/{app.pk}/materials/", {"material": material, "file": file, **fields}
    )
    return app, material, response


def test_a_rejected_upload_is_reported_on_its_input(site):
    app, material, response = _upload_first(
        site, SimpleUploadedFile("脚本.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")
    )
    page = _html(response)
    assert response.status_code == 400
    assert f'<a href="#m-{material}-file">' in page and "文件" in page
    assert f'id="m-{material}-error"' in page
    missing = site["client"].post(f"/apply/drafts/{app.pk}/materials/", {"material": material})
    assert "请选择要上传的文件" in _html(missing)


def test_an_expired_material_is_refused_on_its_date(site):
    """有效期至 already past: the refusal is on the date field, named for the material, nothing kept."""
    _, material, response = _upload_first(
        site, SimpleUploadedFile("证明.pdf", PDF, "application/pdf"), valid_until="2020-01-31"
    )
    page = _html(response)
    assert response.status_code == 400
    assert f'<a href="#m-{material}-valid-until">' in page
    assert f'id="m-{material}-date-error"' in page and "已于2020年1月31日过期，请上传有效期内的材料" in page
    assert "已上传" not in page


def test_check_page_lists_every_missing_piece_with_links_to_fix_it(site):
    app = _start(site)
    response = site["client"].post(f"/apply/drafts/{app.pk}/check/")
    page = _html(response)
    assert response.status_code == 400
    assert "申请材料或表单有误" in page
    assert f'href="/apply/drafts/{app.pk}/form/1/#f-applicant_name"' in page
    assert f"/apply/drafts/{app.pk}/materials/#m-" in page
    app.refresh_from_db()
    assert app.status == ApplicationStatus.DRAFT and app.number is None


def test_full_apply_shows_the_query_code_once_and_a_resubmit_never_files_twice(site):
    app = _start(site)
    _fill_form(site, app)
    _upload_all(site, app)
    check = _html(site["client"].get(f"/apply/drafts/{app.pk}/check/"))
    assert "核对您的申请" in check and "浙江某某律师事务所" in check and "已上传：证明.pdf" in check
    assert check.index("申请人姓名") < check.index("公民身份号码") < check.index("法律职业资格证书编号")
    response = site["client"].post(f"/apply/drafts/{app.pk}/check/")
    assert response["Location"] == f"/apply/drafts/{app.pk}/done/"
    done = _html(site["client"].get(response["Location"]))
    app.refresh_from_db()
    assert app.status == ApplicationStatus.SUBMITTED and app.number in done
    code = re.search(r'<code class="sifa-code">([A-Z0-9]{8})</code>', done).group(1)
    assert "查询码只显示这一次" in done
    assert "查询码已在提交后显示过一次" in _html(site["client"].get(response["Location"]))
    # A double click or a resent form replays the first answer: same application, same code.
    again = site["client"].post(f"/apply/drafts/{app.pk}/check/")
    assert again["Location"] == f"/apply/drafts/{app.pk}/done/"
    assert code in _html(site["client"].get(again["Location"]))
    assert Application.objects.filter(applicant=site["citizen"]).count() == 1
    # The code works on the public tracking page.
    site["client"].logout()
    tracked = _html(site["client"].post("/track/", {"number": app.number, "code": code.lower()}))
    assert "<strong>待受理</strong>" in tracked and "杭州市司法局" in tracked
    assert (
        "已提交（待预审）" not in tracked and "（预审）" not in tracked
    )  # plain words, stage on its own row


def test_situation_questions_decide_the_materials(cat, client):  # noqa: F811
    citizen = person("张三", VALID_ID, "13800000001")
    client.force_login(citizen)
    entry = entry_with_situations()
    client.post(f"/apply/{entry.implementation_code}/")
    app = Application.objects.get(applicant=citizen)
    url = f"/apply/drafts/{app.pk}/situations/"
    page = _html(client.get(url))
    for question in entry.version.situations.exclude(basis=""):
        # Plain question, its hint wired to the group, the article behind 了解更多.
        assert question.question in page and question.hint in page and question.basis in page
        assert f'aria-describedby="s-{question.code}-hint"' in page
    assert "<summary>了解更多" in page or not entry.version.situations.exclude(basis="").exists()
    response = client.post(url, {})
    assert response.status_code == 400 and "请选择：" in _html(response)
    answers = {q.code: str(q.options[0]["value"]) for q in entry.version.situations.all()}
    assert client.post(url, {f"s-{code}": value for code, value in answers.items()}).status_code == 302
    app.refresh_from_db()
    assert app.situation_answers == answers


def test_the_situations_page_of_an_item_without_situations_leads_to_the_form(site):
    """It answered 500 (the page looked itself up in a flow it is not part of)."""
    app = _start(site)
    response = site["client"].get(f"/apply/drafts/{app.pk}/situations/")
    assert response.status_code == 302 and response["Location"] == f"/apply/drafts/{app.pk}/form/1/"


def test_another_citizen_gets_404_on_my_draft_pages(site, client):
    app = _start(site)
    other = person("李四", OTHER_ID, "13800000002")
    client.force_login(other)
    for url in ("form/1/", "materials/", "check/", "done/", "situations/"):
        assert client.get(f"/apply/drafts/{app.pk}/{url}").status_code == 404
    assert client.post(f"/apply/drafts/{app.pk}/check/").status_code == 404
    assert client.get(f"/me/applications/{app.pk}/").status_code == 404


def test_staff_cannot_apply_as_a_citizen(site, client, django_user_model):
    staff = django_user_model.objects.create_user("clerk", "x-Secret-123", kind="staff")
    client.force_login(staff)
    response = client.get(f"/apply/{site['entry'].implementation_code}/")
    assert response.status_code == 403 and "工作人员" in _html(response)


def test_the_form_is_prefilled_from_the_account_and_masked_on_the_check_page(site):
    from sifa.core.masking import mask_id_number

    app = _start(site)
    data = app.form_data
    assert (data["applicant_name"], data["id_number"], data["phone"]) == ("张三", VALID_ID, "13800000001")
    assert data["address"].endswith("西湖区")  # the place the person lives: the start of the address
    page = _html(site["client"].get(f"/apply/drafts/{app.pk}/form/1/"))
    assert 'value="张三"' in page and f'value="{VALID_ID}"' in page and 'value="13800000001"' in page
    assert "已按您账户中的信息填好申请人信息" in page and "只显示部分数字" in page
    _fill_form(site, app)
    materials = _html(site["client"].get(f"/apply/drafts/{app.pk}/materials/"))
    # The rule, before any refusal: the size once; each material names its own formats.
    assert "文件不能超过 20 MB，格式以每项材料注明的为准" in materials and "OFD" not in materials
    _upload_all(site, app)
    check = _html(site["client"].get(f"/apply/drafts/{app.pk}/check/"))
    assert mask_id_number(VALID_ID) in check and VALID_ID not in check
    assert "138****0001" in check and "13800000001" not in check


def test_the_accounts_street_address_completes_the_prefilled_address_and_is_masked(site):
    """The 详细地址 given on 账户与安全 follows the region's names in the form's 通讯地址; the check
    page shows the places only."""
    from sifa.accounts.services import change_address

    change_address(site["citizen"], address="北山街道1号2幢301室")
    app = _start(site)
    assert app.form_data["address"] == "浙江省杭州市西湖区北山街道1号2幢301室"
    step = _html(site["client"].get(f"/apply/drafts/{app.pk}/form/1/"))
    assert "浙江省杭州市西湖区北山街道1号2幢301室" in step and "请补充街道和门牌号" not in step
    form = {**lawyer_form(), "address": app.form_data["address"]}
    base = f"/apply/drafts/{app.pk}/form"
    assert site["client"].post(f"{base}/1/", form).status_code == 302
    assert site["client"].post(f"{base}/2/", form).status_code == 302
    _upload_all(site, app)
    check = _html(site["client"].get(f"/apply/drafts/{app.pk}/check/"))
    assert "浙江省杭州市西湖区北山街道****" in check and "2幢301室" not in check


def test_an_address_typed_in_full_on_the_account_is_not_doubled(site):
    from sifa.accounts.services import change_address

    change_address(site["citizen"], address="杭州市西湖区文三路8号")
    assert _start(site).form_data["address"] == "杭州市西湖区文三路8号"
