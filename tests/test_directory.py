"""机构人员查询 on the demo world (docs/directory.md): search by name, kind and region; the demo
lawyer reads 有效 and, the moment the licence is suspended through the licences services, 停止执业 on
the page and in the API; nothing personal beyond what the law makes public; bad input is a 4xx."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from sifa.accounts.management.commands import _demo
from sifa.directory.api import DirectoryThrottle
from sifa.licences import services as licences
from sifa.licences.models import Licence
from sifa.mediation.models import MediationCommittee
from sifa.organisations.models import Organisation, OrganisationKind
from tests.probe_world import World

API = "/api/v1/directory/"


@pytest.fixture(scope="module")
def world(probe_world_module) -> World:
    return probe_world_module


@pytest.fixture
def lawyer(world, db) -> Licence:
    return Licence.objects.get(licence_type__key="lawyer_licence", holder=world.users["citizen"], version=1)


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content.decode()
    return response.json()["results"]


def names(response) -> list[str]:
    return [row["name"] for row in results(response)]


# --- Must show ------------------------------------------------------------------------------------


def test_the_demo_lawyer_reads_valid_then_suspended_at_once(world, lawyer) -> None:
    client = Client()
    [row] = [r for r in results(client.get(API, {"q": "陈明", "kind": "lawyer"})) if r["id"] == lawyer.number]
    assert (row["licence_status"], row["licence_status_label"]) == ("valid", "有效")
    assert row["organisation"] == _demo.COMPANY["name"]
    page = client.get(row["url"])
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    text = page.content.decode()
    assert "陈明" in text and "有效" in text and f"/verify/{lawyer.identifier}" in text
    firm = client.get(f"{API}lawyer/{lawyer.number}/").json()["organisation_url"]
    assert firm.startswith("/directory/law_firm/") and f'href="{firm}"' in text
    assert _demo.COMPANY["name"] in client.get(firm).content.decode()

    licences.suspend(lawyer, actor=world.users["staff-province"], reason="停止执业三个月")

    text = client.get(row["url"]).content.decode()
    assert "停止执业" in text and "sifa-tag--valid" not in text
    detail = client.get(f"{API}lawyer/{lawyer.number}/").json()
    assert (detail["licence_status"], detail["licence_status_label"]) == ("suspended", "停止执业")
    assert detail["licence"]["status_label"] == "停止执业"
    # The same label the public verification page shows.
    verify = client.get(detail["licence"]["verify_url"]).content.decode()
    assert "停止执业" in verify
    listed = results(client.get(API, {"q": "陈明"}))
    assert {r["licence_status"] for r in listed if r["id"] == lawyer.number} == {"suspended"}


# --- search ---------------------------------------------------------------------------------------


def test_search_by_name_kind_and_region(world, db) -> None:
    client = Client()
    firm = _demo.COMPANY["name"]
    assert "陈明" in names(client.get(API, {"q": "陈明"}))
    assert names(client.get(API, {"q": "明理", "kind": "law_firm"})) == [firm]
    # The firm's lawyers are found by the firm's name too (执业机构).
    assert "陈明" in names(client.get(API, {"q": "明理", "kind": "lawyer"}))
    assert firm in names(client.get(API, {"kind": "law_firm", "region": "西湖区"}))
    assert names(client.get(API, {"kind": "law_firm", "region": "北京"})) == []
    assert "陈明" in names(client.get(API, {"q": "陈明", "region": "杭州"}))
    assert "陈明" in names(client.get(API, {"q": "陈明", "region": "330100"}))
    assert names(client.get(API, {"q": "陈明", "kind": "notary"})) == []
    assert names(client.get(API, {"region": "没有这个地方"})) == []

    centre = Organisation.objects.filter(kind=OrganisationKind.LEGAL_AID_CENTRE, region_id="330106").first()
    rows = results(client.get(API, {"kind": "legal_aid_centre", "region": "西湖区"}))
    assert centre.name in [r["name"] for r in rows]
    detail = client.get(next(r["url"] for r in rows if r["name"] == centre.name))
    assert detail.status_code == 200 and centre.name in detail.content.decode()

    committee = MediationCommittee.objects.filter(is_active=True).order_by("pk").first()
    rows = results(client.get(API, {"kind": "mediation_committee", "region": "西湖区"}))
    assert committee.name in [r["name"] for r in rows]
    detail = client.get(f"{API}mediation_committee/{committee.pk}/").json()
    assert detail["licence_status"] is None and detail["mediators"]
    assert {"name", "position", "specialties"} == set(detail["mediators"][0])
    # A mediator's specialty finds the committee (field search).
    specialty = next(m["specialties"] for m in detail["mediators"] if m["specialties"])
    assert committee.name in names(client.get(API, {"q": specialty[:2], "kind": "mediation_committee"}))


def test_results_are_paginated(world, db) -> None:
    body = Client().get(API, {"page_size": 1}).json()
    assert body["count"] > 1 and len(body["results"]) == 1 and body["next"]
    assert Client().get(API, {"page": 999}).status_code == 404


# --- PIPL -----------------------------------------------------------------------------------------


def test_no_id_number_phone_or_home_address_in_any_answer(world, db) -> None:
    client = Client()
    citizen_id = _demo._id_number(_demo.CITIZEN)
    forbidden = [
        citizen_id,
        citizen_id[:6] + "*",
        citizen_id[-4:] + '"',
        _demo.CITIZEN["phone"],
        _demo.COMPANY["phone"],
        "北山街道1号",  # the lawyer's own address on his application
        "holder_code",
        _demo.COMPANY["representative"],
    ]
    everything = client.get(API, {"page_size": 200})
    bodies = [everything.content.decode(), client.get("/directory/", {"q": "明"}).content.decode()]
    for row in results(everything):
        bodies.append(client.get(f"{API}{row['kind']}/{row['id']}/").content.decode())
        bodies.append(client.get(row["url"]).content.decode())
    for body in bodies:
        for value in forbidden:
            assert value not in body
    firm = client.get(API, {"kind": "law_firm"}).json()["results"][0]
    assert client.get(f"{API}law_firm/{firm['id']}/").json()["address"] == "杭州市西湖区文三路1号"


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"kind": "judge"}, "directory.kind"),
        ({"q": "律" * 51}, "directory.query_too_long"),
        ({"q": "律" * 10_000}, "directory.query_too_long"),
        ({"region": "区" * 51}, "directory.query_too_long"),
        ({"q": "陈\x07明"}, "directory.query_invalid"),
        ({"q": "陈\x00明"}, "request.nul_character"),
    ],
)
def test_bad_queries_are_400_with_a_code(world, db, params, code) -> None:
    response = Client().get(API, params)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code
    page = Client().get("/directory/", params)
    assert page.status_code == 400
    if code.startswith("directory."):  # a NUL is refused before any view, by the middleware
        assert "请修改以下问题" in page.content.decode()


def test_a_region_text_matching_too_many_regions_is_refused(world, db, monkeypatch) -> None:
    monkeypatch.setattr("sifa.directory.selectors.MAX_REGION_MATCHES", 1)
    response = Client().get(API, {"region": "区"})
    assert response.status_code == 400 and response.json()["code"] == "directory.region_too_vague"
    assert "地区名称太宽泛" in Client().get("/directory/", {"region": "区"}).content.decode()


def test_unknown_kind_and_id(world, lawyer) -> None:
    client = Client()
    assert client.get(f"{API}judge/{lawyer.number}/").json()["code"] == "directory.kind"
    for path in (
        f"{API}lawyer/000/",
        f"{API}law_firm/{lawyer.number}/",
        f"{API}mediation_committee/99999999/",
        f"{API}mediation_committee/{'9' * 40}/",
        f"{API}legal_aid_centre/{'9' * 60}/",
        f"{API}legal_aid_centre/{'9' * 18}/",
    ):
        response = client.get(path)
        assert response.status_code == 404 and response.json()["code"] == "directory.not_found"
    page = client.get(f"/directory/lawyer/{'9' * 80}/")
    assert page.status_code == 404 and "机构人员名录中没有该条目" in page.content.decode()
    assert client.get("/directory/judge/1/").status_code == 400
    assert client.get("/directory/", {"page": "abc", "q": "陈"}).status_code == 400


def test_the_directory_is_rate_limited(world, db, monkeypatch) -> None:
    monkeypatch.setattr(DirectoryThrottle, "rate", "3/min")
    client = Client()
    codes = [client.get(API, {"q": "陈明"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert client.get(API, {"q": "陈明"}).json()["code"] == "rate_limited"
    assert client.get("/directory/", {"q": "陈明"}).status_code == 429


# --- the page -------------------------------------------------------------------------------------


def test_the_page_works_without_javascript_and_is_linked(world, db) -> None:
    client = Client()
    text = client.get("/directory/").content.decode()
    assert "<script" not in text
    assert 'method="get"' in text and 'lang="zh-Hans"' in text and 'name="viewport"' in text
    for field_id in ("id_q", "id_region", "id_kind"):
        assert f'for="{field_id}"' in text
    assert re.search(r'<option value="law_firm">律师事务所</option>', text)
    assert '<option value="杭州市">' in text  # the region picker suggests names
    found = client.get("/directory/", {"q": "陈明", "region": "杭州市", "kind": "lawyer"}).content.decode()
    assert "<script" not in found and "找到 1 条" in found and "有效" in found
    home = client.get("/").content.decode()
    assert 'href="/directory/"' in home and "机构人员查询" in home


def test_the_api_is_documented(world, db) -> None:
    schema = Client().get("/api/v1/schema/", {"format": "json"}).json()
    assert "/api/v1/directory/" in schema["paths"]
    detail = schema["paths"]["/api/v1/directory/{kind}/{entry_id}/"]["get"]
    assert {"200", "400", "404", "429"} <= set(detail["responses"])


# --- every kind can return rows -------------------------------------------------------------------


def test_every_licence_kind_returns_rows_once_such_a_licence_exists(world, db) -> None:
    """The notary, appraisal and grassroots kinds are offered because Sifa issues their licences:
    a paper-era licence entered into the register (``sifa import-licences``) is listed at once."""
    import datetime as dt

    from sifa.directory.selectors import KINDS, LICENCE_KINDS
    from sifa.licences.types import type_for
    from sifa.testing import id_number

    province = world.orgs["zj"]
    client = Client()
    for seq, kind in enumerate(sorted(LICENCE_KINDS - {"lawyer", "law_firm"}), start=1):
        licence_type = type_for(KINDS[kind].licence_types[0])
        person = licence_type.holder_kind == "person"
        number = f"3300001999{licence_type.code[-3:]}{seq:05d}"
        holder_code = id_number(f"33010619800101{seq:03d}") if person else _uscc(seq)
        licences.import_licence(
            licence_type,
            province,
            number=number,
            holder_name=f"名录测试{KINDS[kind].label}{seq}",
            holder_code=holder_code,
            issue_date=dt.date(2019, 1, 1),
            valid_from=dt.date(2019, 1, 1),
            valid_until=dt.date(2099, 1, 1) if licence_type.validity_years else None,
            actor=world.users["staff-province"],
        )
        rows = results(client.get(API, {"kind": kind, "q": "名录测试"}))
        assert [(r["id"], r["licence_status_label"]) for r in rows] == [(number, "有效")], kind
        detail = client.get(f"{API}{kind}/{number}/").json()
        assert holder_code not in str(detail) and detail["licence"]["number"] == number


def _uscc(seq: int) -> str:
    from sifa.core.identifiers import make_uscc

    return make_uscc("3", "9", "330106", f"MA2DTR{seq:02d}")
