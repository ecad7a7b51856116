"""常见问题 in the workbench: a consultant writes an entry (every problem in the error summary at
once), publishes it and withdraws it with plain forms; the menu shows it to consultants only; a
consultant of another jurisdiction, staff without the role and citizens get 404."""

from __future__ import annotations

import pytest

from sifa.consultation.models import Faq, FaqStatus
from sifa.consultation.services import create_faq
from sifa.laws.services import import_sample
from sifa.organisations.models import Role
from sifa.testing import tree
from sifa.workbench.tests import world as W

ENTRY = {
    "question": "律师证丢了怎么补办？",
    "answer": "律师执业证书遗失的，请通过执业的律师事务所向原发证机关申请补发。",
    "category": "practice",
    "keywords": "律师证 补办",
    "citations": "律师法第六条\n律师法第十条",
    "item_codes": "000100001003",
}


@pytest.fixture
def curators(w):
    import_sample()
    js = tree("js", on=w)["js"]
    return {
        "hz": W.staff("hz-consultant", (w["hz"], Role.CONSULTANT)),
        "zj": W.staff("zj-consultant", (w["zj"], Role.CONSULTANT)),
        "js": W.staff("js-consultant", (js, Role.CONSULTANT)),
        "hz_clerk": W.staff("hz-clerk-faq", (w["hz"], Role.WINDOW_CLERK)),
        "citizen": W.citizen("faq-citizen"),
    }


def test_a_consultant_writes_publishes_and_withdraws(login, w, curators) -> None:
    client = login(curators["hz"])
    menu = client.get("/workbench/").content.decode()
    assert 'href="/workbench/faq/"' in menu
    form = client.get("/workbench/faq/new/")
    body = form.content.decode()
    assert form.status_code == 200 and 'name="question"' in body
    assert (
        "全国常见问题" not in body.split('name="organisation"')[1].split("</select>")[0]
    )  # a city consultant
    response = client.post("/workbench/faq/new/", {**ENTRY, "organisation": str(w["hz"].pk)}, follow=True)
    assert response.status_code == 200, response.content.decode()
    faq = Faq.objects.get(question=ENTRY["question"])
    assert faq.status == FaqStatus.DRAFT and faq.organisation == w["hz"]
    assert "已保存为草稿" in response.content.decode()
    assert [c.label for c in faq.citations.all()] == ["律师法第六条", "律师法第十条"]
    published = client.post(f"/workbench/faq/{faq.public_id}/", {"action": "publish"}, follow=True)
    assert "已发布" in published.content.decode()
    faq.refresh_from_db()
    assert faq.status == FaqStatus.PUBLISHED
    assert client.get(f"/faq/{faq.public_id}/").status_code == 200
    listing = client.get("/workbench/faq/").content.decode()
    assert ENTRY["question"] in listing and "已发布" in listing
    client.post(f"/workbench/faq/{faq.public_id}/", {"action": "withdraw"})
    faq.refresh_from_db()
    assert faq.status == FaqStatus.WITHDRAWN
    edited = client.post(
        f"/workbench/faq/{faq.public_id}/",
        {**ENTRY, "action": "save", "keywords": "执业证 补发"},
        follow=True,
    )
    assert edited.status_code == 200
    faq.refresh_from_db()
    assert faq.keywords == "执业证 补发"


def test_every_problem_is_in_the_error_summary(login, w, curators) -> None:
    client = login(curators["hz"])
    response = client.post(
        "/workbench/faq/new/",
        {
            **ENTRY,
            "organisation": str(w["hz"].pk),
            "question": "短问题",
            "answer": "太短了",
            "citations": "律师法第九百条",
            "item_codes": "999999999999",
        },
    )
    body = response.content.decode()
    assert response.status_code == 400
    for text in ("请填写问题（5至200字）", "请填写解答（10至5000字）", "律师法第九百条", "999999999999"):
        assert text in body, text
    assert 'href="#id_citations"' in body and 'href="#id_item_codes"' in body
    assert not Faq.objects.filter(question="短问题").exists()
    missing = client.post("/workbench/faq/new/", {"organisation": str(w["hz"].pk)})
    assert missing.status_code == 400 and "请填写问题" in missing.content.decode()


def test_a_province_consultant_keeps_the_national_entries(login, w, curators) -> None:
    client = login(curators["zj"])
    assert "全国常见问题" in client.get("/workbench/faq/new/").content.decode()
    client.post("/workbench/faq/new/", {**ENTRY, "organisation": "national"})
    assert Faq.objects.get(question=ENTRY["question"]).organisation is None
    # A city consultant may not choose it (not among the choices).
    refused = login(curators["hz"]).post("/workbench/faq/new/", {**ENTRY, "organisation": "national"})
    assert refused.status_code == 400 and "请选择您可以维护的机构" in refused.content.decode()


def test_others_get_404(client, login, w, curators) -> None:
    faq = create_faq(curators["hz"], organisation=w["hz"], **{**ENTRY, "item_codes": ["000100001003"]})
    other = login(curators["js"])  # a consultant of 江苏: another jurisdiction
    assert other.get(f"/workbench/faq/{faq.public_id}/").status_code == 404
    assert other.post(f"/workbench/faq/{faq.public_id}/", {"action": "publish"}).status_code == 404
    assert ENTRY["question"] not in other.get("/workbench/faq/").content.decode()
    clerk = login(curators["hz_clerk"])  # staff without the role: no menu entry, 404
    assert 'href="/workbench/faq/"' not in clerk.get("/workbench/").content.decode()
    for url in ("/workbench/faq/", "/workbench/faq/new/", f"/workbench/faq/{faq.public_id}/"):
        assert clerk.get(url).status_code == 404
    client.logout()
    client.force_login(curators["citizen"])
    assert client.get("/workbench/faq/").status_code == 404
    faq.refresh_from_db()
    assert faq.status == FaqStatus.DRAFT
