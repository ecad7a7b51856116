"""issue_document: every kind renders, is numbered, sealed, stored, audited and data-scoped."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest

from sifa.audit.models import AuditEvent
from sifa.core.errors import ServiceError
from sifa.core.identifiers import make_uscc
from sifa.documents.models import Document, DocumentKind
from sifa.documents.numbering import format_number
from sifa.documents.sealing import verify_sealed_pdf
from sifa.documents.selectors import document_for, documents_for, read_pdf
from sifa.documents.services import issue_document
from sifa.documents.services.issuing import KINDS
from sifa.documents.tests.conftest import needs_poppler
from sifa.organisations.models import (
    Organisation,
    OrganisationKind,
    OrganisationLevel,
    Region,
    Role,
)
from sifa.organisations.services import set_document_code
from sifa.testing import staff

BASE = {"applicant_name": "张三", "item_name": "律师执业许可", "application_number": "330106202611270001", "submitted_on": dt.date(2026, 11, 2)}  # fmt: skip
CONTEXTS = {
    DocumentKind.ACCEPTANCE_NOTICE: {**BASE, "time_limit": "二十个工作日"},
    DocumentKind.REFUSAL_NOTICE: {
        **BASE,
        "reasons": ["申请事项依法不需要取得行政许可"],
        "legal_basis": "《中华人民共和国行政许可法》第三十二条第一款第（一）项",
    },
    DocumentKind.CORRECTION_NOTICE: {
        **BASE,
        "items": [
            {"material": "身份证明", "problem": "照片页不清晰", "requirement": "重新上传清晰的彩色扫描件"},
            {"material": "律师协会考核意见", "problem": "缺少", "requirement": "补交实习考核合格意见"},
            {
                "material": "无犯罪记录证明",
                "problem": "已超过有效期",
                "requirement": "提交三个月内出具的证明",
            },
        ],
        "correction_deadline": dt.date(2026, 12, 2),
    },
    DocumentKind.APPROVAL_DECISION: {
        **BASE,
        "legal_basis": "《中华人民共和国律师法》第五条",
        "licence_name": "律师执业证",
    },
    DocumentKind.DENIAL_DECISION: {
        **BASE,
        "reasons": ["申请人受过刑事处罚（《中华人民共和国律师法》第七条第（一）项）"],
        "legal_basis": "《中华人民共和国律师法》第五条、第七条",
        "review_body": "杭州市西湖区人民政府",
        "court": "杭州市西湖区人民法院",
    },
    DocumentKind.LEGAL_AID_DENIAL: {
        **BASE,
        "item_name": "法律援助申请",
        "reasons": ["申请事项不属于法律援助范围（法律援助法第三十一条）"],
        "objection_body": "杭州市西湖区司法局",
    },
    DocumentKind.OBJECTION_DECISION: {
        **BASE,
        "item_name": "法律援助异议处理",
        "ruling": "correct",
        "reasons": ["申请人属于进城务工人员请求支付劳动报酬，免予核查经济困难状况（法律援助法第四十二条）"],
        "aid_centre": "杭州市西湖区法律援助中心",
        "original_decision": "不予法律援助决定（西司援不〔2026〕1号）",
        "received_on": dt.date(2026, 11, 23),
    },
    DocumentKind.MEDIATION_AGREEMENT: {
        "item_name": "人民调解申请",
        "application_number": "330106202611270002",
        "committee_name": "北山街道人民调解委员会",
        "parties": ["申请人：张三", "对方当事人：李四"],
        "mediators": ["王调解", "赵调解"],
        "facts": "相邻房屋漏水致楼下墙面受损，双方就维修费用发生争议。",
        "terms": ["李四于2026年12月10日前支付维修费3000元", "张三收到款项后不再就此事主张其他权利"],
        "effective_on": dt.date(2026, 11, 27),
        "confirmation_due": dt.date(2026, 12, 28),
    },
    DocumentKind.MEDIATION_TERMINATION: {
        "item_name": "人民调解申请",
        "committee_name": "北山街道人民调解委员会",
        "parties": ["申请人：张三", "对方当事人：李四"],
        "mediators": ["王调解"],
        "dispute": "相邻房屋漏水致楼下墙面受损，双方就维修费用发生争议。",
        "reason": "对方当事人明确拒绝继续调解（人民调解法第二十三条第（二）项）",
        "remedies": ["依法向人民法院提起诉讼"],
        "terminated_on": dt.date(2026, 11, 27),
    },
}
EXPECTED_TEXT = {
    DocumentKind.ACCEPTANCE_NOTICE: ["受理通知书", "予以受理", "二十个工作日"],
    DocumentKind.REFUSAL_NOTICE: ["不予受理通知书", "决定不予受理", "行政复议", "行政诉讼"],
    DocumentKind.CORRECTION_NOTICE: ["补正告知书", "一次性告知", "共3项", "照片页不清晰", "律师协会考核意见", "无犯罪记录证明"],
    DocumentKind.APPROVAL_DECISION: ["准予行政许可决定书", "决定准予行政许可", "律师执业证"],
    DocumentKind.DENIAL_DECISION: [
        "不予行政许可决定书", "受过刑事处罚", "杭州市西湖区人民政府", "六十日内", "杭州市西湖区人民法院", "六个月内", "口头申请",
    ],
    DocumentKind.LEGAL_AID_DENIAL: ["不予法律援助决定书", "决定不给予法律援助", "第四十九条", "五日内"],
    DocumentKind.OBJECTION_DECISION: ["法律援助异议审查决定书", "责令杭州市西湖区法律援助中心改正", "抄送"],
    DocumentKind.MEDIATION_AGREEMENT: ["人民调解协议书", "北山街道人民调解委员会", "3000", "三十日内", "司法确认", "强制执行"],
    DocumentKind.MEDIATION_TERMINATION: ["调解终止记录", "调解不成", "仲裁", "第二十六条"],
}  # fmt: skip


OWN_TEMPLATE = [k for k in DocumentKind if KINDS[k].template]
"""The kinds whose template is this app's (the 绩效通报's body is the indicators app's: its tests)."""


@needs_poppler
@pytest.mark.parametrize("kind", OWN_TEMPLATE)
def test_every_kind_is_issued_sealed_and_readable(kind, orgs, citizen, tmp_path):
    document = issue_document(
        kind, organisation=orgs["county"], recipient=citizen, context=CONTEXTS[kind],
        related=("application", "330106202611270001"), issued_on=dt.date(2026, 11, 27),
    )  # fmt: skip
    pdf = read_pdf(document)
    assert document.size == len(pdf)
    assert verify_sealed_pdf(pdf, bytes(document.sm2_signature), document.sm2_key_id).valid
    (tmp_path / "d.pdf").write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(tmp_path / "d.pdf"), "-"], capture_output=True, text=True).stdout
    for expected in [
        *EXPECTED_TEXT[kind],
        document.number,
        "杭州市西湖区司法局",
        "2026年11月27日",
        "张三",
    ]:
        assert expected in text.replace("\n", ""), expected
    assert document.storage_key.startswith("documents/2026/")
    event = AuditEvent.objects.get(action="documents.issue", object_id=str(document.public_id))
    assert event.detail["number"] == document.number and event.scope_path == "/1/2/4/"


def test_numbers_follow_gbt9704_and_count_per_organisation_kind_and_year(orgs, citizen):
    def issue(kind, org="county", year=2026):
        return issue_document(
            kind,
            organisation=orgs[org],
            recipient=citizen,
            context=CONTEXTS[kind],
            issued_on=dt.date(year, 3, 1),
        ).number

    # GB/T 9704-2012 §7.2.5: 代字 + 〔full year〕 + sequence, no 第, no leading zeros, no 字.
    # The county bureau has no 代字 yet: its derived one (province stem + 西) is fixed on first use.
    assert issue(DocumentKind.APPROVAL_DECISION) == "浙西司许〔2026〕1号"
    assert issue(DocumentKind.APPROVAL_DECISION) == "浙西司许〔2026〕2号"
    assert issue(DocumentKind.ACCEPTANCE_NOTICE) == "浙西司受〔2026〕1号"
    assert issue(DocumentKind.APPROVAL_DECISION, year=2027) == "浙西司许〔2027〕1号"
    assert issue(DocumentKind.DENIAL_DECISION, org="province") == "浙司不许〔2026〕1号"
    orgs["county"].refresh_from_db()
    assert orgs["county"].document_code == "浙西司"


def test_two_bureaus_of_one_province_issue_different_numbers_on_the_same_day(
    orgs, citizen, django_user_model
):
    ningbo_region = Region.objects.create(
        code="330200", name="宁波市", level=2, parent_id="330000", vintage="test"
    )
    hangzhou = Organisation.objects.create(
        name="杭州市司法局", kind=OrganisationKind.BUREAU, level=OrganisationLevel.CITY,
        region_id="330100", parent=orgs["province"], path="/1/2/5/", uscc=make_uscc("1", "1", "330100", "J3301000"),
    )  # fmt: skip
    ningbo = Organisation.objects.create(
        name="宁波市司法局", kind=OrganisationKind.BUREAU, level=OrganisationLevel.CITY,
        region=ningbo_region, parent=orgs["province"], path="/1/2/6/", uscc=make_uscc("1", "1", "330200", "J3302000"),
    )  # fmt: skip
    context = CONTEXTS[DocumentKind.APPROVAL_DECISION]
    day = dt.date(2026, 12, 7)
    first = issue_document(
        DocumentKind.APPROVAL_DECISION, organisation=hangzhou, context=context, issued_on=day
    )
    second = issue_document(
        DocumentKind.APPROVAL_DECISION, organisation=ningbo, context=context, issued_on=day
    )
    assert (first.number, second.number) == ("杭司许〔2026〕1号", "宁司许〔2026〕1号")

    # 宁波's own 代字 is 甬司: a system administrator of the province sets it; the sequence goes on.
    admin = staff("zj-admin", orgs["province"], Role.SYSTEM_ADMIN)
    set_document_code(admin, ningbo.pk, "甬司")
    third = issue_document(
        DocumentKind.APPROVAL_DECISION, organisation=ningbo, context=context, issued_on=day
    )
    assert third.number == "甬司许〔2026〕2号"
    second.refresh_from_db()
    assert second.number == "宁司许〔2026〕1号"  # an issued document keeps its number
    assert len({d.number for d in Document.objects.all()}) == Document.objects.count()


def test_a_kind_with_the_callers_template_is_issued_once_per_subject(orgs):
    """The 绩效通报 (kind word 通) brings its own template and is issued once per related month."""
    report = DocumentKind.PERFORMANCE_REPORT
    context = CONTEXTS[DocumentKind.ACCEPTANCE_NOTICE]
    with pytest.raises(ServiceError) as refused:
        issue_document(
            report, organisation=orgs["province"], context=context, related=("performance_report", "2026-10")
        )
    assert refused.value.code == "documents.no_template"

    def issue(month: str):
        return issue_document(
            report, organisation=orgs["province"], context=context, template="documents/acceptance_notice.html",
            related=("performance_report", month), issued_on=dt.date(2026, 11, 2), title="浙江省司法厅2026年10月政务服务绩效通报",
        )  # fmt: skip

    first = issue("2026-10")
    assert first.number == "浙司通〔2026〕1号" and first.recipient is None
    with pytest.raises(ServiceError) as again:
        issue("2026-10")
    assert (again.value.code, again.value.status) == ("documents.already_issued", 409)
    assert issue("2026-09").number == "浙司通〔2026〕2号"  # the refused one used no number
    assert Document.objects.filter(kind=report).count() == 2


def test_format_number_writes_arabic_numerals_without_padding():
    assert format_number("京司", DocumentKind.CORRECTION_NOTICE, 2026, 12345) == "京司补〔2026〕12345号"
    assert format_number("浙司", DocumentKind.REFUSAL_NOTICE, 2026, 7) == "浙司不受〔2026〕7号"
    with pytest.raises(ValueError):
        format_number("", DocumentKind.REFUSAL_NOTICE, 2026, 7)
    with pytest.raises(ValueError):
        format_number("浙司", DocumentKind.REFUSAL_NOTICE, 2026, 0)


def test_a_failed_seal_uses_no_number(orgs, citizen, monkeypatch):
    def broken(*args, **kwargs):
        raise ServiceError("documents.bad_pdf", "坏")

    monkeypatch.setattr("sifa.documents.services.issuing.seal_pdf", broken)
    with pytest.raises(ServiceError):
        issue_document(DocumentKind.APPROVAL_DECISION, organisation=orgs["county"], context=CONTEXTS[DocumentKind.APPROVAL_DECISION])  # fmt: skip
    monkeypatch.undo()
    document = issue_document(
        DocumentKind.APPROVAL_DECISION, organisation=orgs["county"], context=CONTEXTS[DocumentKind.APPROVAL_DECISION],
        issued_on=dt.date(2026, 5, 1),
    )  # fmt: skip
    assert document.sequence == 1


def test_missing_fields_are_all_listed_in_chinese(orgs):
    with pytest.raises(ServiceError) as excinfo:
        issue_document(
            DocumentKind.CORRECTION_NOTICE, organisation=orgs["county"],
            context={"applicant_name": "张三", "items": [{"material": "身份证明"}, "x"]},
        )  # fmt: skip
    error = excinfo.value
    assert error.code == "documents.bad_context" and error.status == 400
    assert {e["field"] for e in error.errors} == {"item_name", "items[0]", "items[1]"}
    assert not Document.objects.exists()
    with pytest.raises(ServiceError) as excinfo:
        issue_document("licence", organisation=orgs["county"], context={})
    assert excinfo.value.code == "documents.bad_kind"


def test_an_organisation_without_uscc_gets_a_clear_error(orgs):
    with pytest.raises(ServiceError) as excinfo:
        issue_document(DocumentKind.APPROVAL_DECISION, organisation=orgs["ministry"], context=CONTEXTS[DocumentKind.APPROVAL_DECISION])  # fmt: skip
    assert excinfo.value.code == "documents.no_uscc"


def test_the_recipient_and_the_jurisdiction_see_the_document_others_do_not(
    orgs, citizen, other_citizen, county_staff
):
    document = issue_document(
        DocumentKind.ACCEPTANCE_NOTICE, organisation=orgs["county"], recipient=citizen,
        context=CONTEXTS[DocumentKind.ACCEPTANCE_NOTICE],
    )  # fmt: skip
    assert document_for(citizen, str(document.public_id)) == document
    assert list(documents_for(county_staff)) == [document]
    assert not documents_for(other_citizen).exists()
    with pytest.raises(ServiceError) as excinfo:
        document_for(other_citizen, str(document.public_id))
    assert excinfo.value.status == 404
    with pytest.raises(ServiceError):
        document_for(citizen, "not-a-uuid")
