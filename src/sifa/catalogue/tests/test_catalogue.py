"""The catalogue as a citizen, a provincial platform and a catalogue admin see it."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from sifa.audit.models import AuditEvent
from sifa.catalogue import services
from sifa.catalogue.identifiers import validate_implementation_code
from sifa.catalogue.models import ImplementationEntry, ItemVersion, Material, VersionStatus
from sifa.catalogue.services import generate_entries, load_items
from sifa.core.errors import ServiceError
from sifa.core.identifiers import uscc_is_valid
from sifa.organisations.models import Role
from sifa.testing import api_client, staff

LAWYER = "000100001000"
LAWYER_FULL_TIME = "000100001001"
LAWYER_PART_TIME = "000100001002"
LAWYER_REISSUE = "000100001003"  # 律师执业证书换发, a 即办件
LEGAL_AID = "002000001000"
MEDIATION = "002000002000"
API = "/api/v1/catalogue"


@pytest.fixture
def client():
    return APIClient()


@pytest.fixture
def admin(cat, django_user_model):
    return api_client(staff("catadmin", cat["orgs"]["ministry"], Role.CATALOGUE_ADMIN))


def _all(client, url):
    rows, page = [], f"{url}{'&' if '?' in url else '?'}page_size=200"
    while page:
        body = client.get(page).json()
        rows += body["results"]
        page = body["next"]
    return rows


def test_lists_at_least_15_real_items_with_code_type_basis_and_versions(cat, client):
    items = _all(client, f"{API}/items/")
    names = {item["name"] for item in items}
    assert len(items) >= 15
    for name in (
        "律师执业许可",
        "律师事务所设立许可",
        "法律援助申请",
        "人民调解申请",
        "外国律师事务所驻华代表机构设立许可",
        "公证员执业许可（任职）",
        "司法鉴定机构登记",
        "司法鉴定人执业登记",
        "基层法律服务工作者执业核准",
        "法律职业资格认定",
    ):
        assert name in names
    lawyer = next(item for item in items if item["basic_code"] == LAWYER)
    assert lawyer["type"] == "01" and lawyer["type_label"] == "行政许可"
    assert {"law": "中华人民共和国律师法", "article": "第六条"} in lawyer["legal_basis"]
    assert lawyer["versions"][0]["number"] == 1 and lawyer["versions"][0]["status"] == "published"


def test_lawyer_licence_shows_its_stages_and_the_four_statutory_materials(cat, client):
    body = client.get(f"{API}/items/{LAWYER}/").json()
    version = body["current_version"]
    limits = [(s["name"], s["limit_value"], s["limit_unit"]) for s in version["stages"]]
    assert limits[0][1:] == (20, "working_day") and "审查" in limits[0][0]
    assert limits[1][1:] == (10, "working_day") and "省级" in limits[1][0]
    assert [m["name"] for m in version["materials"]] == [
        "国家统一法律职业资格证书",
        "律师协会出具的申请人实习考核合格的材料",
        "申请人的身份证明",
        "律师事务所出具的同意接收申请人的证明",
        "无犯罪记录证明",
    ]
    # The four of 律师法 §6 are required; the §7 (二) check is optional (the police may answer it).
    assert [m["necessity"] for m in version["materials"]] == ["required"] * 4 + ["optional"]
    assert body["children"] == [LAWYER_FULL_TIME, LAWYER_PART_TIME, LAWYER_REISSUE]
    part_time = client.get(f"{API}/items/{LAWYER_PART_TIME}/").json()["current_version"]["materials"]
    assert len(part_time) == 6 and "兼职" in part_time[-1]["name"]


def test_every_implementation_code_embeds_a_valid_uscc_and_its_basic_code(cat):
    entries = list(ImplementationEntry.objects.select_related("item", "organisation"))
    assert len(entries) > 10
    for entry in entries:
        uscc, level, _basic = validate_implementation_code(
            entry.implementation_code, basic=entry.item.basic_code
        )
        assert uscc_is_valid(uscc) and uscc == entry.organisation.uscc and level == entry.exercise_level


def test_implementing_organisations_follow_the_law(cat):
    o = cat["orgs"]
    by_item = {}
    for entry in ImplementationEntry.objects.select_related("item"):
        by_item.setdefault(entry.item.basic_code, set()).add(
            (entry.organisation_id, entry.deciding_organisation_id)
        )
    # 律师法 §6: the city, or a 直辖市 district, accepts; the province decides.
    assert by_item[LAWYER_FULL_TIME] == {(o["hz"].pk, o["zj"].pk), (o["dc"].pk, o["bj"].pk)}
    assert LAWYER not in by_item  # a 主项 with 子项 is implemented through them
    assert {org for org, _ in by_item[LEGAL_AID]} == {o["xh_aid"].pk, o["dc_aid"].pk}
    assert {org for org, _ in by_item[MEDIATION]} == {o["xh_town"].pk, o["dc_town"].pk}


def test_services_for_my_township_include_higher_levels(cat, client):
    rows = _all(client, f"{API}/implementations/?region=330106001000")
    organisations = {row["organisation"] for row in rows}
    assert {"北山街道司法所", "杭州市西湖区法律援助中心", "杭州市司法局", "浙江省司法厅"} <= organisations
    assert "中华人民共和国司法部" in organisations  # 特许律师执业 serves the whole country
    assert not any(name.startswith("北京") or name == "东华门街道司法所" for name in organisations)
    code = rows[0]["implementation_code"]
    assert client.get(f"{API}/implementations/{code}/").json()["implementation_code"] == code


def test_services_for_my_county_include_the_townships_inside_it(cat, client):
    """Regression: a township item (人民调解) was not found by a county code, a dead end for a
    citizen who knows her district but not her street's 12-digit code."""
    rows = _all(client, f"{API}/implementations/?region=330106&item={MEDIATION}")
    assert {row["organisation"] for row in rows} == {"北山街道司法所"}
    rows = _all(client, f"{API}/implementations/?region=330106")
    organisations = {row["organisation"] for row in rows}
    assert {"北山街道司法所", "杭州市西湖区司法局", "杭州市司法局", "浙江省司法厅"} <= organisations
    assert "东华门街道司法所" not in organisations


def test_loading_again_changes_nothing(cat):
    before = ImplementationEntry.objects.count()
    result = generate_entries(load_items())
    assert result.published == [] and result.entries_created == 0
    assert ImplementationEntry.objects.count() == before


def test_generated_implementation_entries_are_audited_per_item(cat):
    """Regression guard: the 实施清单 entries the loader generates leave an audit event per item (how
    many, for which item, at its owner), written in the transaction that creates them."""
    events = AuditEvent.objects.filter(action="catalogue.entries.generate")
    per_item = {e.object_id: e.detail["entries_created"] for e in events}
    assert per_item and sum(per_item.values()) == ImplementationEntry.objects.count()
    entries = ImplementationEntry.objects.filter(item__basic_code=LAWYER_FULL_TIME).order_by("pk")
    assert per_item[LAWYER_FULL_TIME] == entries.count() > 0
    event = events.get(object_id=LAWYER_FULL_TIME)
    assert event.object_type == "catalogue.CatalogueItem" and event.actor is None
    assert event.scope_path == cat["orgs"]["ministry"].path
    entries.last().delete()
    assert generate_entries().entries_created == 1
    assert events.filter(object_id=LAWYER_FULL_TIME).latest("seq").detail == {"entries_created": 1}
    generate_entries()  # nothing missing: nothing written, nothing audited
    assert events.all().count() == len(per_item) + 1


def test_published_version_is_immutable_in_services_models_and_api(cat, admin):
    live = ItemVersion.objects.get(item__basic_code=LAWYER, status=VersionStatus.PUBLISHED)
    with pytest.raises(ServiceError) as exc:
        services.update_draft(live, {"scope": "改"}, system=True)
    assert exc.value.status == 409 and exc.value.code == "catalogue.version_immutable"
    live.scope = "直接改"
    with pytest.raises(ServiceError):
        live.save()
    material = live.materials.first()
    material.name = "改名"
    with pytest.raises(ServiceError):
        material.save()
    with pytest.raises(ServiceError):
        material.delete()
    response = admin.patch(f"{API}/items/{LAWYER}/drafts/1/", {"scope": "改"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "catalogue.version_immutable"


def test_v1_keeps_its_content_after_v2_is_published(cat, admin):
    v1 = ItemVersion.objects.get(item__basic_code=LAWYER, number=1)
    v1_materials = list(v1.materials.values_list("name", flat=True))
    created = admin.post(f"{API}/items/{LAWYER}/drafts/")
    assert created.status_code == 201 and created.json()["number"] == 2
    draft = ItemVersion.objects.get(item__basic_code=LAWYER, number=2)
    services.remove_child(draft.materials.get(name="申请人的身份证明"), system=True)
    services.add_child(
        draft,
        "material",
        {"name": "申请人身份证明（可由电子证照替代）", "source": "government", "order": 3},
        system=True,
    )
    published = admin.post(f"{API}/items/{LAWYER}/drafts/2/publish/")
    assert published.status_code == 200, published.json()
    v1.refresh_from_db()
    assert v1.status == VersionStatus.SUPERSEDED and v1.valid_until is not None
    assert list(Material.objects.filter(version=v1).values_list("name", flat=True)) == v1_materials
    assert (
        ImplementationEntry.objects.filter(item__basic_code=LAWYER_FULL_TIME)
        .exclude(version__number=1)
        .count()
        == 0
    )


def test_quality_gate_lists_every_violation_at_once(cat, admin):
    admin.post(f"{API}/items/{LEGAL_AID}/drafts/")
    response = admin.patch(
        f"{API}/items/{LEGAL_AID}/drafts/2/",
        {
            "online_depth_level": "IV",
            "visits_required": 2,
            "is_charged": True,
            "promised_limit_value": 10,
            "complaint_phone": "12348",
            "handling_flow": "",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    draft = ItemVersion.objects.get(item__basic_code=LEGAL_AID, number=2)
    services.add_child(draft, "material", {"name": "无来源材料", "source": ""}, system=True)
    response = admin.post(f"{API}/items/{LEGAL_AID}/drafts/2/publish/")
    body = response.json()
    assert response.status_code == 400 and body["code"] == "catalogue.quality_gate"
    codes = {e["code"] for e in body["errors"]}
    assert {
        "catalogue.quality.depth_iv_visits",
        "catalogue.quality.fee_missing",
        "catalogue.quality.promised_exceeds_legal",
        "catalogue.quality.material_source_missing",
        "catalogue.quality.same_phones",
        "catalogue.quality.missing_element",
    } <= codes
    assert all("\u4e00" <= e["message"][0] <= "\u9fff" for e in body["errors"])


def test_only_catalogue_admins_of_the_owner_or_above_may_write(cat, django_user_model):
    api = api_client(staff("cityadmin", cat["orgs"]["hz"], Role.CATALOGUE_ADMIN))
    assert api.post(f"{API}/items/{LAWYER}/drafts/").status_code == 403
    assert APIClient().post(f"{API}/items/{LAWYER}/drafts/").status_code in (401, 403)


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        ("/items/?type=99", 400, "catalogue.filter.type"),
        ("/items/?level=9", 400, "catalogue.filter.level"),
        ("/items/?topic=nope", 400, "catalogue.filter.topic"),
        ("/items/?changed_since=yesterday", 400, "catalogue.filter.changed_since"),
        ("/items/?changed_since=2026-13-45T99:00:00", 400, "catalogue.filter.changed_since"),
        ("/items/?page=999", 404, "not_found"),
        ("/items/bad-code!/", 400, "catalogue.basic_code.format"),
        ("/items/009900099000/", 404, "catalogue.item_not_found"),
        ("/implementations/?region=33", 400, "catalogue.filter.region"),
        ("/implementations/?region=990000", 400, "catalogue.filter.region_unknown"),
        ("/implementations/?org=abc", 400, "catalogue.filter.org"),
        ("/implementations/?item=%25%25", 400, "catalogue.basic_code.format"),
        ("/implementations/123/", 400, "catalogue.implementation_code.format"),
        ("/implementations/11330100J00000010A3000100001001/", 400, "catalogue.implementation_code.uscc"),
    ],
)
def test_bad_input_gets_a_chinese_4xx(cat, client, url, status, code):
    response = client.get(f"{API}{url}")
    assert response.status_code == status, response.content
    assert response.json()["code"] == code


def test_bad_writes_get_a_4xx(cat, admin):
    assert admin.post(f"{API}/items/{LAWYER}/drafts/").status_code == 201
    assert admin.post(f"{API}/items/{LAWYER}/drafts/").json()["code"] == "catalogue.draft_exists"
    bad_json = admin.generic(
        "PATCH", f"{API}/items/{LAWYER}/drafts/2/", "{not json", content_type="application/json"
    )
    assert bad_json.status_code == 400 and bad_json.json()["code"] == "parse_error"
    unknown = admin.patch(
        f"{API}/items/{LAWYER}/drafts/2/", {"nope": 1, "case_type": "7"}, format="json"
    ).json()
    assert {e["field"] for e in unknown["errors"]} == {"nope", "case_type"}
    assert admin.patch(f"{API}/items/{LAWYER}/drafts/x/", {"scope": "a"}, format="json").status_code == 404
    assert admin.patch(f"{API}/items/{LAWYER}/drafts/2/", [1, 2], format="json").status_code == 400
    bad_form = admin.patch(f"{API}/items/{LAWYER}/drafts/2/", {"form": {"type": 5}}, format="json").json()
    assert bad_form["errors"][0]["code"] == "catalogue.form.invalid_schema"


def test_a_too_long_bpmn_file_name_is_a_400_not_a_500(cat, admin):
    """Regression: the name went unchecked into a 200-character column — a 500 on PostgreSQL."""
    assert admin.post(f"{API}/items/{LAWYER}/drafts/").status_code == 201
    response = admin.patch(f"{API}/items/{LAWYER}/drafts/2/", {"bpmn_file": "x" * 201}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "bpmn_file", "code": "field.too_long", "message": response.json()["errors"][0]["message"]}
    ]


def test_filters_and_changed_since(cat, client):
    personal = {i["basic_code"] for i in _all(client, f"{API}/items/?topic=personal")}
    assert LAWYER in personal and "000100004000" not in personal
    assert {i["basic_code"] for i in _all(client, f"{API}/items/?q=律师&type=01&level=3")} >= {
        LAWYER,
        "000100004000",
    }
    assert _all(client, f"{API}/items/?changed_since=2999-01-01T00:00:00") == []
    assert _all(client, f"{API}/implementations/?item={MEDIATION}&changed_since=2999-01-01T00:00:00Z") == []
