"""Guides as a citizen sees them: the page with every national element, the checklist, PDF, JSON,
and the admin preview of a draft."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from django.test import Client

from sifa.catalogue import guides, services
from sifa.catalogue.models import ImplementationEntry
from sifa.organisations.models import Role
from sifa.testing import StaffFactory

LAWYER_FULL_TIME = "000100001001"
LAW_FIRM = "000100004000"
ELEMENT_NAMES = [label for _, _, label in guides.ELEMENTS]


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


def _entry(basic_code: str, org_name: str = "杭州市司法局") -> ImplementationEntry:
    return ImplementationEntry.objects.select_related("item").get(
        item__basic_code=basic_code, organisation__name=org_name
    )


def _no_inline_code(html: str) -> None:
    assert "style=" not in html and "<style" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline script"  # files (session.js) may load


def test_guide_page_shows_every_element_of_the_national_template(cat, client):
    entry = _entry(LAWYER_FULL_TIME)
    response = client.get(f"/guides/{entry.implementation_code}/")
    html = response.content.decode()
    assert response.status_code == 200
    for name in ELEMENT_NAMES:
        assert name in html, name
    assert entry.implementation_code in html and LAWYER_FULL_TIME in html
    assert "第1版" in html and "浙江省司法厅" in html  # the province decides (律师法 §6)
    assert "30个工作日" in html and "12348" in html and "12345" in html
    _no_inline_code(html)
    # The process diagram is an ordered list with the stages and their limits, in order.
    flow = re.search(r'<ol class="sifa-flow[^"]*".*?</ol>', html, re.S).group(0)
    steps = re.findall(r'<span class="sifa-flow__step">(.*?)</span>', flow)
    assert steps[0] == "提交申请" and steps[-1] == "办结" and len(steps) == 5
    assert "20个工作日" in flow and "10个工作日" in flow


def test_checklist_changes_with_the_applicants_situation(cat, client):
    url = f"/guides/{_entry(LAW_FIRM).implementation_code}/"
    everything = client.get(url).content.decode()
    assert "合伙协议" in everything and "视情形提交" in everything
    partnership = client.get(url, {"firm_form": "partnership"}).content.decode()
    assert "合伙协议" in partnership and 'value="partnership" checked' in partnership
    individual = client.get(url, {"firm_form": "individual"}).content.decode()
    assert "合伙协议" not in individual and "需要准备以下 5 项材料（共 6 项）" in individual


def test_a_bad_checklist_answer_is_a_form_error_not_a_crash(cat, client):
    response = client.get(f"/guides/{_entry(LAW_FIRM).implementation_code}/", {"firm_form": "<x>"})
    assert response.status_code == 400
    assert "选项无效" in response.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/guides/91330100MA2XXXXXX13000100001001/",  # malformed USCC
        "/guides/abc/",
        "/guides/11330100J000000170000100001001/guide.pdf",
        "/catalogue/999999999999/",
        "/catalogue/not-a-code/",
    ],
)
def test_unknown_codes_get_a_chinese_404_page(cat, client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "未找到" in response.content.decode() or "无效" in response.content.decode()


def test_unknown_code_in_json_gets_a_404_json(cat, client):
    valid_but_unknown = _entry(LAWYER_FULL_TIME).implementation_code.replace("001001", "009009")
    for url in (
        f"/guides/{valid_but_unknown}.json",
        f"/api/v1/catalogue/implementations/{valid_but_unknown}/guide/",
    ):
        response = client.get(url)
        assert response.status_code == 404
        assert response.json()["code"] == "catalogue.implementation_not_found"
    assert client.get("/guides/xyz.json").status_code == 404


def test_guide_json_carries_all_elements_on_both_urls(cat, client):
    code = _entry(LAWYER_FULL_TIME).implementation_code
    page_json = client.get(f"/guides/{code}.json").json()
    api_json = client.get(f"/api/v1/catalogue/implementations/{code}/guide/").json()
    assert page_json == api_json
    assert [(e["number"], e["label"]) for e in page_json["elements"]] == [
        (n, label) for _, n, label in guides.ELEMENTS
    ]
    values = {e["key"]: e["value"] for e in page_json["elements"]}
    assert values["time_limits"]["legal"] == "30个工作日"
    assert values["materials"][0]["name"] == "国家统一法律职业资格证书"
    assert [s["limit"] for s in values["process"]["stages"]] == ["20个工作日", "10个工作日", "10个工作日"]
    assert page_json["implementation_code"] == code and page_json["version"]["number"] == 1


def test_the_guide_says_whether_the_deciding_organisation_may_extend_the_limit(cat, client):
    """行政许可法 §42 applies unless the item's own law sets the limit (律师法 §6, 条例 §9)."""

    def limits(name: str, organisation: str) -> dict:
        entry = ImplementationEntry.objects.get(item__name=name, organisation=cat["orgs"][organisation])
        page = client.get(f"/guides/{entry.implementation_code}.json").json()
        return {e["key"]: e["value"] for e in page["elements"]}

    lawyer = limits("律师执业许可（专职律师执业）", "hz")["time_limits"]["extension"]
    assert lawyer.startswith("不适用延长") and "律师法第六条第三款" in lawyer
    foreign = limits("外国律师事务所驻华代表机构设立许可", "zj")["time_limits"]["extension"]
    assert foreign.startswith("不适用延长") and "管理条例第九条" in foreign
    change = limits("律师执业变更许可（变更执业机构）", "hz")["time_limits"]["extension"]
    assert change.startswith("可以延长十日") and "行政许可法第四十二条第一款" in change
    special = limits("特许律师执业许可", "ministry")
    assert special["process"]["stages"][0]["not_counted"] is True
    html = client.get(
        f"/guides/{ImplementationEntry.objects.get(item__name='特许律师执业许可').implementation_code}/"
    )
    assert "所需时间不计入办理期限" in html.content.decode() and "可以延长十日" in html.content.decode()
    assert limits("法律援助申请", "xh_aid")["time_limits"]["extension"] == ""


def _pdf_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} (poppler-utils) is not installed; cannot inspect the PDF")
    return path


def test_guide_pdf_embeds_cjk_fonts_and_its_text_extracts(cat, client, var_dir):
    pdffonts, pdftotext = _pdf_tool("pdffonts"), _pdf_tool("pdftotext")
    entry = _entry(LAWYER_FULL_TIME)
    response = client.get(f"/api/v1/catalogue/implementations/{entry.implementation_code}/guide.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf_file = var_dir / "guide.pdf"
    pdf_file.write_bytes(b"".join(response.streaming_content))
    fonts = subprocess.run([pdffonts, str(pdf_file)], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk, fonts
    # Columns: name type encoding emb sub uni object ID — "emb" must say yes for every CJK font.
    assert all(line.split()[-5] == "yes" for line in cjk), fonts
    text = subprocess.run([pdftotext, str(pdf_file), "-"], capture_output=True, text=True, check=True).stdout
    assert "律师执业许可（专职律师执业）" in text and "申请材料目录" in text
    assert entry.implementation_code in text


def test_guide_pdf_is_cached_and_a_new_version_renders_afresh(cat, client, var_dir, monkeypatch):
    admin = cat["orgs"]["ministry"]
    entry = _entry(LAWYER_FULL_TIME)
    url = f"/guides/{entry.implementation_code}/guide.pdf"
    assert client.get(url).status_code == 200
    cached = list((var_dir / "cache" / "guides").glob("*.pdf"))
    assert len(cached) == 1 and "-v1-" in cached[0].name
    from sifa.catalogue import pdf as guide_pdf_module

    renders = []
    real_render = guide_pdf_module.render
    monkeypatch.setattr(guide_pdf_module, "render", lambda guide: renders.append(1) or real_render(guide))
    assert client.get(url).status_code == 200
    assert renders == []  # served from the cache, not rendered again
    draft = services.new_draft(entry.item, system=True)
    services.update_draft(draft, {"scope": "新版本的适用范围"}, system=True)
    services.publish_version(draft, system=True)
    assert admin is not None
    response = client.get(url)
    assert response.status_code == 200
    cached = list((var_dir / "cache" / "guides").glob("*.pdf"))
    assert len(cached) == 1 and "-v2-" in cached[0].name


def test_the_guide_pdf_prints_the_address_the_server_runs_on(cat, client, var_dir, settings):
    """网上办理地址 is SIFA_PUBLIC_URL; a run on another port (`PORT=8765 make run`) does not get the
    PDF cached on the previous one."""
    entry = _entry(LAWYER_FULL_TIME)
    url = f"/guides/{entry.implementation_code}/guide.pdf"
    settings.PUBLIC_URL = "http://localhost:8000"
    assert client.get(url).status_code == 200
    settings.PUBLIC_URL = "http://localhost:8765"
    assert client.get(url).status_code == 200
    [cached] = (var_dir / "cache" / "guides").glob("*.pdf")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(cached), "-"], capture_output=True, text=True).stdout
        assert "http://localhost:8765" in text and "localhost:8000" not in text


@pytest.fixture
def staff(cat, django_user_model):
    def make(username: str, org_key: str | None, role: str = Role.CATALOGUE_ADMIN) -> Client:
        memberships = [(cat["orgs"][org_key], role)] if org_key else []
        user = StaffFactory(username=username, memberships=memberships)
        browser = Client()
        browser.force_login(user)
        return browser

    return make


def test_catalogue_admins_preview_a_draft_and_nobody_else_sees_it(cat, client, staff):
    entry = _entry(LAWYER_FULL_TIME)
    draft = services.new_draft(entry.item, system=True)
    services.update_draft(draft, {"scope": "草稿中的新适用范围"}, system=True)
    url = f"/guides/preview/{LAWYER_FULL_TIME}/{draft.number}/"
    response = staff("ministry-admin", "ministry").get(url)
    html = response.content.decode()
    assert response.status_code == 200 and "预览" in html and "草稿中的新适用范围" in html
    assert response["Cache-Control"] == "private, no-store"
    _no_inline_code(html)
    # The public guide still shows the live version.
    assert "草稿中的新适用范围" not in client.get(f"/guides/{entry.implementation_code}/").content.decode()
    for browser in (
        client,
        staff("city-admin", "hz"),
        staff("ministry-clerk", "ministry", Role.WINDOW_CLERK),
    ):
        assert browser.get(url).status_code == 404
    assert (
        staff("ministry-admin2", "ministry").get(f"/guides/preview/{LAWYER_FULL_TIME}/x/").status_code == 404
    )


def test_a_withdrawn_item_has_no_public_guide(cat, client):
    entry = _entry(LAWYER_FULL_TIME)
    services.withdraw_version(services.current_version(entry.item), system=True)
    response = client.get(f"/guides/{entry.implementation_code}/")
    assert response.status_code == 404 and "停止办理" in response.content.decode()
