"""The 律师执业许可 journey through the API: draft, materials, submit, pre-review, one notice, correction."""

from __future__ import annotations

import datetime as dt
import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from sifa.applications.models import (
    Application,
    ApplicationMaterial,
    ApplicationStatus,
    CorrectionNotice,
    IdempotencyRecord,
    MaterialProvenance,
)
from sifa.applications.signals import ready_for_acceptance
from sifa.audit.models import AuditEvent
from sifa.catalogue.models import Material

from .conftest import BAD_CHECK_DIGIT_ID, PDF, lawyer_form

API = "/api/v1/applications"


def _draft(world, **form_changes) -> dict:
    response = world["api"].post(
        f"{API}/drafts/",
        {"entry": world["entry"].implementation_code, "form_data": lawyer_form(**form_changes)},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def _upload(api, ref: str, material: int, *, name="证明.pdf", data=PDF, valid_until: str = ""):
    body = {"material": str(material), "file": SimpleUploadedFile(name, data, "application/pdf")}
    if valid_until:
        body["valid_until"] = valid_until
    return api.post(f"{API}/{ref}/materials/", body, format="multipart")


def _requested(draft: dict) -> list[int]:
    return [m["material"] for m in draft["materials"] if m["requested"] and m["necessity"] == "required"]


def _ready(world, draft, *, expired_first: bool = False) -> None:
    """Every requested material uploaded; ``expired_first``: the first one's 有效期至 passed while
    the draft waited (uploaded valid through today, the day then gone by), for pre-review to find."""
    today = timezone.localdate()
    for index, material in enumerate(_requested(draft)):
        expiring = expired_first and index == 0
        response = _upload(
            world["api"], draft["id"], material, valid_until=today.isoformat() if expiring else ""
        )
        assert response.status_code == 201, response.json()
        if expiring:
            ApplicationMaterial.objects.filter(pk=response.json()["id"]).update(
                valid_until=today - dt.timedelta(days=1)
            )


def test_a_material_already_expired_is_refused_at_upload_and_nothing_is_stored(world):
    """The applicant is told at once, on the date, and can upload one still valid; valid through
    today is accepted."""
    draft = _draft(world)
    material = _requested(draft)[0]
    before = ApplicationMaterial.objects.count()
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    refused = _upload(world["api"], draft["id"], material, valid_until=yesterday.isoformat())
    assert refused.status_code == 400, refused.json()
    (error,) = refused.json()["errors"]
    assert (error["field"], error["code"]) == ("valid_until", "material.expired")
    assert f"已于{yesterday.year}年{yesterday.month}月{yesterday.day}日过期" in error["message"]
    assert ApplicationMaterial.objects.count() == before
    today = _upload(world["api"], draft["id"], material, valid_until=timezone.localdate().isoformat())
    assert today.status_code == 201, today.json()


def test_identity_comes_from_partner_data_and_is_not_requested(world):
    draft = _draft(world)
    identity = next(m for m in draft["materials"] if m["name"] == "申请人的身份证明")
    assert identity["satisfied"] and not identity["requested"]
    assert identity["provenance"] == MaterialProvenance.PARTNER
    assert identity["source_label"].startswith("公安部门共享数据")
    assert len(_requested(draft)) == 3


def test_partner_offline_falls_back_to_asking(world):
    from sifa.applications.onceonly import registry

    partner = registry.get("partner")
    partner.available = False
    try:
        draft = _draft(world)
    finally:
        partner.available = True
    identity = next(m for m in draft["materials"] if m["name"] == "申请人的身份证明")
    assert identity["requested"]


def test_full_journey_two_findings_one_notice_corrected_then_ready(world, django_capture_on_commit_callbacks):
    received = []

    def receiver(sender, application, **kwargs):
        received.append(application.number)

    ready_for_acceptance.connect(receiver)
    try:
        draft = _draft(world, id_number=BAD_CHECK_DIGIT_ID)
        _ready(world, draft, expired_first=True)
        with django_capture_on_commit_callbacks(execute=True):
            response = world["api"].post(f"{API}/{draft['id']}/submit/", HTTP_IDEMPOTENCY_KEY="k-1")
        assert response.status_code == 201, response.json()
        number, code = response.json()["number"], response.json()["query_code"]
        assert number.startswith("SF330100") and len(number) == 22
        assert len(code) == 8

        # The automatic pre-review found both problems and did not reject on its own.
        detail = world["clerk_api"].get(f"{API}/{number}/").json()
        assert detail["status"] == ApplicationStatus.SUBMITTED
        codes = sorted(f["code"] for f in detail["findings"])
        assert codes == ["id_number.check_digit", "material.expired"], codes
        # ... and the window sees it: its acceptance work item is open, the findings on the case page.
        assert received == [number]
        from sifa.workflow.models import WorkItem, WorkItemStatus

        assert WorkItem.objects.filter(application__number=number, status=WorkItemStatus.OPEN).exists()

        # The clerk issues ONE notice listing both, plus nothing else.
        with django_capture_on_commit_callbacks(execute=True):
            notice = world["clerk_api"].post(f"{API}/{number}/correction-notice/", {}, format="json")
        assert notice.status_code == 201, notice.json()
        assert len(notice.json()["items"]) == 2
        assert notice.json()["document_number"].startswith("BZGZ330100")
        app = Application.objects.get(number=number)
        assert app.status == ApplicationStatus.CORRECTION_REQUIRED
        assert CorrectionNotice.objects.filter(application=app).count() == 1
        mine = world["api"].get(f"{API}/").json()["results"][0]
        assert mine["next_action"] == "提交补正材料"

        # The applicant corrects in place: replaces the expired material, fixes the ID number.
        expired = next(
            m for m in world["api"].get(f"{API}/{number}/").json()["materials"] if m["valid_until"]
        )
        assert _upload(world["api"], number, expired["material"]).status_code == 201
        with django_capture_on_commit_callbacks(execute=True):
            corrected = world["api"].post(
                f"{API}/{number}/correction/", {"form_data": lawyer_form()}, format="json"
            )
        assert corrected.status_code == 200, corrected.json()
        app.refresh_from_db()
        assert app.status == ApplicationStatus.PENDING_ACCEPTANCE
        assert received == [number, number]  # after the findings, and again once it passed
        assert app.correction_notices.get().answered_at is not None

        # Every step is on the public timeline, reachable with the query code, without staff names.
        track = world["api"].get(f"/api/v1/track/{number}/", {"code": code})
        assert track.status_code == 200
        events = [e["event"] for e in track.json()["timeline"]]
        assert events == [
            "submitted",
            "pre_review_findings",
            "correction_requested",
            "document_correction_notice",
            "corrected",
            "pre_review_passed",
        ]
        assert "hz-clerk" not in str(track.json())
        assert AuditEvent.objects.filter(action="application.correction.notice").count() == 1
    finally:
        ready_for_acceptance.disconnect(receiver)


def test_every_notice_item_names_a_material_or_a_field_of_the_case(world, django_capture_on_commit_callbacks):
    """§32: the applicant must be told what to correct and where. An item with only a message, a
    material of another item or a field the form does not have is refused (400), nothing issued."""
    draft = _draft(world)
    _ready(world, draft)
    with django_capture_on_commit_callbacks(execute=True):
        number = world["api"].post(f"{API}/{draft['id']}/submit/").json()["number"]
    app = Application.objects.get(number=number)
    mine = app.version.materials.order_by("order", "id").first()
    elsewhere = Material.objects.exclude(version=app.version).first()
    url = f"{API}/{number}/correction-notice/"

    def refused(items: list[dict]) -> dict:
        response = world["clerk_api"].post(url, {"items": items}, format="json")
        assert response.status_code == 400, response.json()
        return response.json()

    body = refused([{"message": "身份证明不清晰"}])
    assert body["code"] == "correction.item_unnamed" and "第1项" in body["message"]
    assert body["errors"][0]["field"] == "items[0].field"
    body = refused([{"field": "address", "message": "写明门牌号"}, {"field": "id", "message": "不清晰"}])
    assert (
        body["code"] == "correction.item_unknown_field"
        and "第2项" in body["message"]
        and "id" in body["message"]
    )
    assert (
        refused([{"field": "cert", "message": "缺少实习考核材料"}])["code"] == "correction.item_unknown_field"
    )
    assert refused([{"field": f"materials.{elsewhere.pk}", "message": "不清晰"}])["code"] == (
        "correction.item_unknown_material"
    )
    assert (
        refused([{"field": "materials.x", "message": "不清晰"}])["code"] == "correction.item_unknown_material"
    )
    # Every problem at once, in the order of the items.
    body = refused([{"message": "甲"}, {"field": "nope", "message": "乙"}])
    assert [e["code"] for e in body["errors"]] == ["correction.item_unnamed", "correction.item_unknown_field"]
    assert not CorrectionNotice.objects.filter(application=app).exists()

    items = [
        {"field": "address", "message": "通讯地址应写明门牌号"},
        {"field": f"materials.{mine.pk}", "message": f"{mine.name}不清晰，请重新上传"},
    ]
    with django_capture_on_commit_callbacks(execute=True):
        issued = world["clerk_api"].post(url, {"items": items}, format="json")
    assert issued.status_code == 201, issued.json()
    assert [i["field"] for i in issued.json()["items"]] == ["address", f"materials.{mine.pk}"]


def test_the_service_refuses_an_item_without_a_message(world, django_capture_on_commit_callbacks):
    from sifa.applications import services
    from sifa.core.errors import ServiceError

    draft = _draft(world)
    _ready(world, draft)
    with django_capture_on_commit_callbacks(execute=True):
        number = world["api"].post(f"{API}/{draft['id']}/submit/").json()["number"]
    app = Application.objects.get(number=number)
    with pytest.raises(ServiceError) as refused:
        services.issue_correction_notice(app, items=[{"field": "address", "message": " "}], actor=None)
    assert refused.value.code == "correction.item_message_required" and refused.value.status == 400
    with pytest.raises(ServiceError) as refused:
        services.issue_correction_notice(app, items=["通讯地址"], actor=None)
    assert refused.value.code == "correction.item_unnamed"
    with pytest.raises(ServiceError) as refused:
        services.issue_correction_notice(app, items=[], actor=None)
    assert refused.value.code == "correction.empty"


def test_submit_lists_every_problem_and_writes_nothing(world):
    draft = _draft(world, phone="123", law_firm="")
    response = world["api"].post(f"{API}/{draft['id']}/submit/", HTTP_IDEMPOTENCY_KEY="bad-1")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "application.invalid"
    fields = {e["field"] for e in body["errors"]}
    assert {"phone", "law_firm"} <= fields
    assert sum(e["code"] == "material.missing" for e in body["errors"]) == 3
    app = Application.objects.get(pk=draft["id"])
    assert app.status == ApplicationStatus.DRAFT and app.number is None
    assert not IdempotencyRecord.objects.exists()


def test_unknown_situation_answers_are_listed(world):
    draft = _draft(world)
    response = world["api"].patch(
        f"{API}/drafts/{draft['id']}/", {"situation_answers": {"nope": "yes"}}, format="json"
    )
    assert response.status_code == 200
    response = world["api"].post(f"{API}/{draft['id']}/submit/")
    assert response.status_code == 400
    assert "situation.unknown" in {e["code"] for e in response.json()["errors"]}


@pytest.mark.parametrize(
    ("name", "data", "status", "code"),
    [
        ("a.pdf", b"MZ\x90\x00" + b"\x00" * 200, 400, "upload.type_not_allowed"),
        ("a.exe", PDF, 400, "upload.extension_mismatch"),
        ("a.pdf", b"", 400, "upload.empty"),
    ],
)
def test_rejected_uploads_store_nothing_and_say_why(world, name, data, status, code):
    draft = _draft(world)
    response = _upload(world["api"], draft["id"], _requested(draft)[0], name=name, data=data)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert not ApplicationMaterial.objects.filter(application_id=draft["id"], provenance="upload").exists()


def test_oversize_upload_is_refused(world, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    draft = _draft(world)
    big = PDF + b"%" + b"x" * 4096 + b"\n"
    response = _upload(world["api"], draft["id"], _requested(draft)[0], data=big)
    assert response.status_code == 413
    assert response.json()["code"] == "upload.too_large"


def test_material_not_asked_for_is_refused(world):
    draft = _draft(world)
    response = _upload(world["api"], draft["id"], 999999)
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "material.unknown"


def test_files_only_in_scope_and_as_attachments(world):
    draft = _draft(world)
    row = _upload(world["api"], draft["id"], _requested(draft)[0]).json()
    url = row["url"]
    own = world["api"].get(url)
    assert own.status_code == 200
    assert own["Content-Disposition"].startswith("attachment")
    assert b"".join(own.streaming_content) == PDF
    assert world["other_api"].get(url).status_code == 404
    assert world["elsewhere_api"].get(url).status_code == 404


def test_reuses_a_still_valid_material_from_an_earlier_application(world, django_capture_on_commit_callbacks):
    first = _draft(world)
    _ready(world, first)
    with django_capture_on_commit_callbacks(execute=True):
        number = world["api"].post(f"{API}/{first['id']}/submit/").json()["number"]
    second = _draft(world)
    reused = [m for m in second["materials"] if m["provenance"] == MaterialProvenance.PREVIOUS]
    assert len(reused) == 3
    assert all(m["source_label"] == f"复用办件 {number} 的材料" for m in reused)
    assert _requested(second) == []


def test_the_earlier_applications_are_read_before_the_drafts_write_transaction(
    world, django_capture_on_commit_callbacks
):
    """On SQLite a transaction holds the one write lock from its start: the draft's reads (the
    applicant's earlier applications among them) come before it, the insert and the rows found
    in it; the answer is the reuse test's."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first = _draft(world)
    _ready(world, first)
    with django_capture_on_commit_callbacks(execute=True):
        world["api"].post(f"{API}/{first['id']}/submit/")
    with CaptureQueriesContext(connection) as captured:
        second = _draft(world)
    statements = [q["sql"] for q in captured.captured_queries]
    previous = next(i for i, sql in enumerate(statements) if "applications_applicationmaterial" in sql)
    insert = next(
        i for i, sql in enumerate(statements) if sql.startswith('INSERT INTO "applications_application"')
    )
    assert previous < insert
    assert len([m for m in second["materials"] if m["provenance"] == MaterialProvenance.PREVIOUS]) == 3


def test_answers_read_ahead_are_used_only_when_they_cover_every_material(world, monkeypatch):
    from sifa.applications.models import Application
    from sifa.applications.onceonly import registry

    first = _draft(world)
    application = Application.objects.select_related("version").get(pk=first["id"])
    materials = list(application.version.materials.all())
    read = {"previous": {m.pk: None for m in materials[:-1]}}
    asked = []
    provider = registry.get("previous")
    monkeypatch.setattr(
        provider, "find_many", lambda app, ms: asked.append(len(ms)) or {m.pk: None for m in ms}
    )
    registry.lookup_all(application, materials[:-1], without=("partner",), read=read)
    assert asked == []
    registry.lookup_all(application, materials, without=("partner",), read=read)
    assert asked == [len(materials)]


def test_the_submits_catalogue_reads_come_before_its_write_transaction(
    world, django_capture_on_commit_callbacks
):
    """On SQLite a transaction holds the one write lock from its start: the version's materials
    and 情形 questions (catalogue rows a published version does not change) are read before the
    idempotency record's insert, and not again in the transaction."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    draft = _draft(world)
    _ready(world, draft)
    # The pre-review's task (after the commit) not run: it reads the catalogue for its own checks.
    with CaptureQueriesContext(connection) as captured, django_capture_on_commit_callbacks(execute=False):
        response = world["api"].post(f"{API}/{draft['id']}/submit/", HTTP_IDEMPOTENCY_KEY="read-ahead-1")
    assert response.status_code == 201
    statements = [q["sql"] for q in captured.captured_queries]
    record = next(
        i for i, sql in enumerate(statements) if 'INSERT INTO "applications_idempotencyrecord"' in sql
    )
    for table in ("catalogue_material", "catalogue_situation"):
        reads = [
            i for i, sql in enumerate(statements) if sql.startswith("SELECT") and f'FROM "{table}"' in sql
        ]
        assert reads and all(i < record for i in reads), table


def test_the_row_lock_reads_what_the_orm_query_reads(world):
    """``drafts.lock`` (one statement compiled once) gives the instances the ``select_related``
    query gives: every column of the application and of each related row."""
    from django.db import transaction

    from sifa.applications.models import Application
    from sifa.applications.services import drafts

    draft = _draft(world)
    related = [
        "version",
        "entry__item",
        "accepting_organisation__region",
        "version__form",
        "version__process",
    ]
    expected = Application.objects.select_related(*related).get(pk=draft["id"])
    with transaction.atomic():
        locked = drafts.lock(Application(pk=uuid.UUID(draft["id"])), for_submit=True)
        plain = drafts.lock(Application(pk=uuid.UUID(draft["id"])))
    pairs = [
        (locked, expected),
        (locked.version, expected.version),
        (locked.entry, expected.entry),
        (locked.entry.item, expected.entry.item),
        (locked.accepting_organisation, expected.accepting_organisation),
        (locked.accepting_organisation.region, expected.accepting_organisation.region),
        (locked.version.form, expected.version.form),
        (locked.version.process, expected.version.process),
    ]
    for mine, theirs in pairs:
        assert type(mine) is type(theirs)
        for field in type(theirs)._meta.concrete_fields:
            assert getattr(mine, field.attname) == getattr(theirs, field.attname), field.name
    assert plain.pk == expected.pk and plain.entry.item_id == expected.entry.item_id
    with transaction.atomic(), pytest.raises(Application.DoesNotExist):
        drafts.lock(Application(pk=uuid.uuid4()))


def test_the_live_materials_read_is_the_orm_query(world):
    """``draft_materials.current_materials`` (one statement compiled once) gives the rows
    ``application.materials.filter(superseded=False)`` gives, every column, each knowing its
    application; a superseded upload is left out."""
    from sifa.applications.models import Application
    from sifa.applications.services import draft_materials

    draft = _draft(world)
    material = _requested(draft)[0]
    assert _upload(world["api"], draft["id"], material).status_code == 201
    assert _upload(world["api"], draft["id"], material).status_code == 201  # supersedes the first
    application = Application.objects.get(pk=draft["id"])
    expected = {row.material_id: row for row in application.materials.filter(superseded=False)}
    found = draft_materials.current_materials(application)
    assert set(found) == set(expected) and material in found
    for key, row in found.items():
        for field in type(row)._meta.concrete_fields:
            assert getattr(row, field.attname) == getattr(expected[key], field.attname), field.name
        assert row.application is application


def test_the_uploads_reads_are_the_orm_queries(world):
    """The upload's scoped application read (compiled once for an applicant) and its material read
    give what the ORM queries give: the same row, the same version, by id and by 办件编号; the
    same 404 for another citizen and for an unknown ref; no material outside the version."""
    from sifa.applications import selectors
    from sifa.applications.services import materials
    from sifa.core.errors import NotFound, ServiceError
    from sifa.organisations.scope import actor_for, scoped

    draft = _draft(world)
    mine, other = actor_for(world["citizen"]), actor_for(world["other"])
    application = Application.objects.get(pk=draft["id"])
    Application.objects.filter(pk=application.pk).update(number="SIFA-TEST-0001")
    for ref in (draft["id"], uuid.UUID(draft["id"]), "SIFA-TEST-0001"):
        found = selectors.application_with_version(mine, ref)
        expected = selectors._one_by_ref(scoped(Application.objects.select_related("version"), mine), ref)
        for field in Application._meta.concrete_fields:
            assert getattr(found, field.attname) == getattr(expected, field.attname), field.name
        for field in type(expected.version)._meta.concrete_fields:
            assert getattr(found.version, field.attname) == getattr(expected.version, field.attname)
        with pytest.raises(NotFound):
            selectors.application_with_version(other, ref)
    for ref in (str(uuid.uuid4()), "SIFA-TEST-0002", "", None):
        with pytest.raises(NotFound):
            selectors.application_with_version(mine, ref)
    wanted = _requested(draft)[0]
    assert materials._material_of(application, wanted) == Material.objects.get(pk=wanted)
    elsewhere = Material.objects.exclude(version_id=application.version_id).first()
    for material_id in (elsewhere.pk if elsewhere else -1, 2**70, "x", None):
        with pytest.raises(ServiceError):
            materials._material_of(application, material_id)


def test_a_just_submitted_drafts_facts_are_the_facts_read_in_full(world, django_capture_on_commit_callbacks):
    """The indicators' contribution of a draft just submitted skips the correction notices (it
    has none yet): the same facts as when they are read."""
    from sifa.applications.models import Application
    from sifa.indicators.services import facts

    draft = _draft(world)
    _ready(world, draft)
    with django_capture_on_commit_callbacks(execute=False):
        response = world["api"].post(f"{API}/{draft['id']}/submit/", HTTP_IDEMPOTENCY_KEY="facts-1")
    assert response.status_code == 201
    application = Application.objects.get(pk=draft["id"])
    assert facts.application_facts(application, just_submitted=True) == facts.application_facts(application)


def test_create_and_submit_in_one_call_when_complete(world, django_capture_on_commit_callbacks):
    first = _draft(world)
    _ready(world, first)
    with django_capture_on_commit_callbacks(execute=True):
        world["api"].post(f"{API}/{first['id']}/submit/")
    body = {"entry": world["entry"].implementation_code, "form_data": lawyer_form()}
    with django_capture_on_commit_callbacks(execute=True):
        response = world["api"].post(f"{API}/", body, format="json", HTTP_IDEMPOTENCY_KEY="one-call")
    assert response.status_code == 201, response.json()
    assert set(response.json()) >= {"number", "query_code", "status"}


def test_one_call_with_missing_materials_keeps_nothing(world):
    body = {"entry": world["entry"].implementation_code, "form_data": lawyer_form()}
    response = world["api"].post(f"{API}/", body, format="json")
    assert response.status_code == 400
    assert {e["code"] for e in response.json()["errors"]} == {"material.missing"}
    assert not Application.objects.exists()


def test_ten_retries_with_one_key_make_one_application(world, django_capture_on_commit_callbacks):
    first = _draft(world)
    _ready(world, first)
    with django_capture_on_commit_callbacks(execute=True):
        world["api"].post(f"{API}/{first['id']}/submit/")
    body = {"entry": world["entry"].implementation_code, "form_data": lawyer_form()}
    answers = []
    for _ in range(10):
        with django_capture_on_commit_callbacks(execute=True):
            answers.append(world["api"].post(f"{API}/", body, format="json", HTTP_IDEMPOTENCY_KEY="same"))
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["number"] for a in answers}) == 1
    assert len({a.json()["query_code"] for a in answers}) == 1
    assert Application.objects.exclude(pk=first["id"]).count() == 1
    assert (
        IdempotencyRecord.objects.get(key="same").response_body["query_code"]
        != answers[0].json()["query_code"]
    )

    changed = {**body, "form_data": lawyer_form(address="另一个地址")}
    reused = world["api"].post(f"{API}/", changed, format="json", HTTP_IDEMPOTENCY_KEY="same")
    assert reused.status_code == 422
    assert reused.json()["code"] == "idempotency.key_reused"


def test_stale_catalogue_version_is_refused_with_409(world):
    from sifa.catalogue import services as catalogue

    draft = _draft(world)
    _ready(world, draft)
    item = world["entry"].item
    new = catalogue.new_draft(item, system=True)
    catalogue.publish_version(new, system=True)
    response = world["api"].post(f"{API}/{draft['id']}/submit/")
    assert response.status_code == 409
    assert response.json()["code"] == "application.stale_version"
    assert Application.objects.get(pk=draft["id"]).status == ApplicationStatus.DRAFT


def test_filed_application_keeps_version_one_after_version_two(world, django_capture_on_commit_callbacks):
    from sifa.catalogue import services as catalogue

    draft = _draft(world)
    _ready(world, draft)
    with django_capture_on_commit_callbacks(execute=True):
        number = world["api"].post(f"{API}/{draft['id']}/submit/").json()["number"]
    before = world["api"].get(f"{API}/{number}/").json()
    new = catalogue.new_draft(world["entry"].item, system=True)
    catalogue.update_draft(new, {"form": {"type": "object", "properties": {}}}, system=True)
    catalogue.publish_version(new, system=True)
    after = world["api"].get(f"{API}/{number}/").json()
    assert after["version"] == before["version"] == 1
    assert after["form_data"] == before["form_data"]
    assert after["materials"] == before["materials"]


def test_tracking_wrong_code_and_unknown_number_are_the_same_404(world, django_capture_on_commit_callbacks):
    draft = _draft(world)
    _ready(world, draft)
    with django_capture_on_commit_callbacks(execute=True):
        number = world["api"].post(f"{API}/{draft['id']}/submit/").json()["number"]
    from rest_framework.test import APIClient

    anonymous = APIClient()
    wrong = anonymous.get(f"/api/v1/track/{number}/", {"code": "AAAAAAAA"})
    unknown = anonymous.get("/api/v1/track/SF33010020990101999999/", {"code": "AAAAAAAA"})
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json() == unknown.json()


def test_other_citizen_and_county_clerk_elsewhere_get_404(world):
    draft = _draft(world)
    for api in (world["other_api"], world["elsewhere_api"]):
        assert api.get(f"{API}/{draft['id']}/").status_code == 404
        assert api.post(f"{API}/{draft['id']}/submit/").status_code == 404
        assert api.get(f"{API}/{draft['id']}/findings/").status_code == 404
        assert api.get(f"{API}/").json()["results"] == []


def test_withdraw_before_acceptance(world):
    draft = _draft(world)
    response = world["api"].post(f"{API}/{draft['id']}/withdraw/")
    assert response.status_code == 200
    assert response.json()["status"] == ApplicationStatus.WITHDRAWN


def test_upload_is_streamed_not_read_whole(world):
    draft = _draft(world)
    handle = io.BytesIO(PDF)
    handle.name = "证明.pdf"
    response = world["api"].post(
        f"{API}/{draft['id']}/materials/",
        {"material": str(_requested(draft)[0]), "file": handle},
        format="multipart",
    )
    assert response.status_code == 201


def _work_files(settings) -> list:
    incoming = settings.MEDIA_ROOT / "uploads" / ".incoming"
    return list(incoming.iterdir()) if incoming.exists() else []


def test_upload_is_written_once_straight_into_the_store(world, settings, monkeypatch):
    """One copy: the request body goes to the store's work folder as it arrives, hashed on the
    way (SM3); the gate checks that file in place and moves it, never copying it again."""
    from sifa.applications.uploads import gate
    from sifa.core.crypto import sm3_hex

    def copied(*args, **kwargs):
        raise AssertionError("the upload was copied a second time")

    monkeypatch.setattr(gate, "_spool", copied)
    draft = _draft(world)
    response = _upload(world["api"], draft["id"], _requested(draft)[0])
    assert response.status_code == 201, response.json()
    assert response.json()["sm3"] == sm3_hex(PDF)
    assert response.json()["size"] == len(PDF)
    assert _work_files(settings) == []


def test_upload_refused_before_the_gate_leaves_no_work_file(world, settings):
    draft = _draft(world)
    assert _upload(world["api"], draft["id"], 999999).status_code == 400
    too_big = PDF + b"%" + b"x" * 4096 + b"\n"
    settings.UPLOAD_MAX_BYTES = 1024
    assert _upload(world["api"], draft["id"], _requested(draft)[0], data=too_big).status_code == 413
    assert _work_files(settings) == []


def test_eicar_is_found_across_the_streamed_chunks(world):
    """The signature split between two 64 KB chunks of the request body is still found."""
    eicar = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
    data = PDF[:-6] + b"%" * (64 * 1024) + eicar + b"\n%%EOF\n"
    draft = _draft(world)
    response = _upload(world["api"], draft["id"], _requested(draft)[0], data=data)
    assert response.status_code == 400
    assert response.json()["code"] == "upload.malware"


def test_tracking_is_rate_limited(world):
    from rest_framework.test import APIClient

    from sifa.core import limits

    limits.clear()
    anonymous = APIClient()
    codes = [
        anonymous.get("/api/v1/track/SF33010020990101999999/", {"code": "X"}).status_code for _ in range(31)
    ]
    assert codes[:30] == [404] * 30
    assert codes[30] == 429
    limits.clear()


def test_a_lone_surrogate_in_a_drafts_form_data_is_refused_not_a_500(world):
    """Issue 14: ``{"applicant_name": "\\ud800x"}`` answered 500 on PostgreSQL."""
    draft = _draft(world)
    raw = '{"form_data": {"applicant_name": "\\ud800x"}}'
    response = world["api"].generic(
        "PATCH", f"{API}/drafts/{draft['id']}/", raw, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["code"] == "request.invalid_text"
    assert Application.objects.get(pk=draft["id"]).form_data["applicant_name"] == "张三"


def test_a_format_the_material_does_not_take_is_refused_at_upload(world, settings):
    """An OFD for a material of 电子文件格式 ``pdf,jpg,png`` is refused when chosen — stored nothing,
    audited — rather than taken and then sent back by pre-review; the other kinds still pass."""
    from .upload_corpus.samples import make_zip

    draft = _draft(world)
    material_id = _requested(draft)[0]
    material = Material.objects.get(pk=material_id)
    assert material.file_format == "pdf,jpg,png"
    stored_before = ApplicationMaterial.objects.count()
    response = _upload(world["api"], draft["id"], material_id, name="营业执照.ofd", data=make_zip({}))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "material.format"
    assert (
        body["message"]
        == "该材料仅接收 PDF、JPG、PNG 格式的文件，所选文件是 OFD 文件，请转换格式后重新上传。"
    )
    assert ApplicationMaterial.objects.count() == stored_before
    assert _work_files(settings) == []
    event = AuditEvent.objects.filter(action="application.material.upload_rejected").latest("seq")
    assert event.detail["code"] == "material.format"

    # A file of no kind the gate takes: the refusal names the material's formats, not the gate's four.
    response = _upload(
        world["api"], draft["id"], material_id, name="营业执照.pdf", data=b"MZ\x90\x00" + bytes(200)
    )
    assert response.status_code == 400
    assert response.json()["code"] == "upload.type_not_allowed"
    assert response.json()["message"] == (
        "该材料仅接收 PDF、JPG、PNG 格式的文件，该文件的实际内容不属于这些类型，请转换格式后重新上传。"
    )

    # A published version cannot be edited through the catalogue; the test changes the row itself.
    Material.objects.filter(pk=material_id).update(file_format="pdf,ofd")
    response = _upload(world["api"], draft["id"], material_id, name="营业执照.ofd", data=make_zip({}))
    assert response.status_code == 201, response.json()


def test_the_upload_fields_offer_the_material_formats():
    from sifa.applications.uploads.sniff import FileKind, accept_attribute, kinds_of
    from sifa.web.templatetags.sifa_uploads import upload_accept, upload_formats

    assert kinds_of("pdf,jpg,png") == {FileKind.PDF, FileKind.JPEG, FileKind.PNG}
    assert kinds_of(" PDF ， .ofd") == {FileKind.PDF, FileKind.OFD}
    assert kinds_of("doc") == frozenset() and kinds_of("") == frozenset()
    assert accept_attribute(kinds_of("pdf,jpg,png")) == ".pdf,.jpg,.jpeg,.png"
    assert upload_accept("pdf,jpg,png") == ".pdf,.jpg,.jpeg,.png"
    assert upload_accept("") == ".pdf,.jpg,.jpeg,.png,.ofd"
    assert upload_formats("pdf,jpg,png") == "PDF、JPG、PNG"
    assert upload_formats("doc") == "PDF、JPG、PNG、OFD"
