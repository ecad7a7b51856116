"""What the applications API answers (read side). Writes go through ``services``."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from sifa.applications import selectors
from sifa.applications.models import (
    Application,
    ApplicationMaterial,
    ApplicationStatus,
    MaterialProvenance,
    SubmissionChannel,
)
from sifa.applications.services.common import INVALID, INVALID_MESSAGE
from sifa.applications.services.draft_materials import applicable_materials, current_materials
from sifa.core.api.bodies import StrictSerializer
from sifa.core.api.schema import EnumField


def _material_file(app: Application, row: ApplicationMaterial) -> dict[str, Any] | None:
    if not row.storage_key:
        return None
    ref = app.number or app.pk
    return {
        "id": str(row.pk),
        "display_name": row.display_name,
        "content_type": row.content_type,
        "size": row.size,
        "sm3": row.sm3,
        "url": f"/api/v1/applications/{ref}/materials/{row.pk}/file/",
    }


def materials_checklist(app: Application) -> list[dict[str, Any]]:
    have = current_materials(app)
    notices = app.once_only_notices or {}
    out = []
    for material in applicable_materials(app.version, app.situation_answers):
        row = have.get(material.pk)
        out.append(
            {
                "material": material.pk,
                "name": material.name,
                "necessity": material.necessity,
                "file_format": material.file_format,
                "satisfied": row is not None,
                "requested": row is None,
                "provenance": row.provenance if row else None,
                "source_label": row.source_label if row else "",
                "partner_answer": (
                    {"answer_id": row.partner_answer_id, "answered_at": row.partner_answered_at}
                    if row and row.partner_answer_id
                    else None
                ),
                "valid_until": row.valid_until if row else None,
                "file": _material_file(app, row) if row else None,
                "notice": (notices.get(str(material.pk)) or {}).get("message", "") if row is None else "",
            }
        )
    return out


def partner_consent(app: Application) -> dict[str, Any] | None:
    """The consent to the police checks, offered on a draft that can use them (and kept visible
    once given)."""
    from sifa.applications import partner_data

    if app.partner_consent_at is None and not (
        app.status == ApplicationStatus.DRAFT and partner_data.consent_offered(app)
    ):
        return None
    return partner_data.consent_notice(app)


def timeline(app: Application) -> list[dict[str, Any]]:
    return [
        {
            "occurred_at": entry.occurred_at,
            "event": entry.event,
            "title": entry.title,
            "detail": entry.detail,
            "organisation": entry.organisation.name if entry.organisation else "",
        }
        for entry in selectors.public_timeline(app)
    ]


def summary(app: Application) -> dict[str, Any]:
    return {
        "id": str(app.pk),
        "number": app.number,
        "item": app.entry.item.name,
        "implementation_code": app.entry.implementation_code,
        "status": app.status,
        "status_label": app.status_label,
        "stage": selectors.STAGES.get(app.status, ""),
        "next_action": selectors.NEXT_ACTIONS.get(app.status, ""),
        "channel": app.channel,
        "agent": {"public_id": str(app.agent.public_id), "display_name": app.agent.display_name}
        if app.agent_id
        else None,
        "accepting_organisation": app.accepting_organisation.name,
        "created_at": app.created_at,
        "submitted_at": app.submitted_at,
    }


def detail(app: Application, *, staff: bool, new: bool = False) -> dict[str, Any]:
    """``new``: ``app`` was created by this request (``start_draft``). Nothing writes a correction
    notice, a timeline entry, a clock or a finding before the submit, so they are not read."""
    body = summary(app)
    body.update(
        {
            "version": app.version.number,
            "form_data": app.form_data,
            "situation_answers": app.situation_answers,
            "received_at": app.received_at,
            "materials": materials_checklist(app),
            "correction_notices": [
                {
                    "document_number": n.document_number,
                    "issued_at": n.issued_at,
                    "answered_at": n.answered_at,
                    "items": n.items,
                }
                for n in ([] if new else app.correction_notices.order_by("issued_at"))
            ],
            "timeline": [] if new else timeline(app),
            "deadline": None if new else selectors.deadline(app),
            "partner_consent": partner_consent(app),
            "pickup_window": (
                {"id": app.pickup_window_id, "name": app.pickup_window.name} if app.pickup_window_id else None
            ),
        }
    )
    if staff:
        body["findings"] = [] if new else [finding(f) for f in app.findings.order_by("id")]
    return body


def finding(row) -> dict[str, Any]:
    return {
        "id": row.pk,
        "source": row.source,
        "field": row.field,
        "code": row.code,
        "message": row.message,
        "resolved": row.resolved,
        "created_at": row.created_at,
    }


def tracking(app: Application) -> dict[str, Any]:
    """The public page: no personal data, no staff names."""
    organisation = app.current_organisation or app.accepting_organisation
    return {
        "number": app.number,
        "item": app.entry.item.name,
        "status": app.status,
        "status_label": app.status_label,
        "stage": selectors.STAGES.get(app.status, ""),
        "organisation": organisation.name,
        "submitted_at": app.submitted_at,
        "deadline": selectors.deadline(app),
        "timeline": timeline(app),
    }


# --- OpenAPI shapes ----------------------------------------------------------------------------------
# The functions above build the answers; these classes only describe them (and the request bodies)
# for ``/api/v1/schema/``; ``sifa/api/tests/test_openapi_answers.py`` checks real answers against them.


class MaterialFileSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    display_name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField(help_text="字节数")
    sm3 = serializers.CharField(help_text="文件的 SM3 摘要（十六进制）")
    url = serializers.CharField(help_text="下载地址（仅本人及管辖范围内的工作人员）")


class PartnerAnswerSerializer(serializers.Serializer):
    answer_id = serializers.CharField(help_text="部门应答编号（共享数据交换的应答标识）")
    answered_at = serializers.DateTimeField(help_text="部门应答时间")


class ChecklistMaterialSerializer(serializers.Serializer):
    material = serializers.IntegerField(help_text="事项材料ID（上传时的 material）")
    name = serializers.CharField()
    necessity = serializers.CharField(help_text="必要性（GB/T 39046 材料必要性）")
    file_format = serializers.CharField(help_text="电子文件格式，如 pdf,jpg")
    satisfied = serializers.BooleanField(help_text="已提供（上传或免提交来源）")
    requested = serializers.BooleanField(help_text="仍需提供")
    provenance = EnumField(MaterialProvenance, allow_null=True, help_text="材料来源；未提供时为空")
    source_label = serializers.CharField(help_text="来源说明，如 电子证照库：律师执业证")
    partner_answer = PartnerAnswerSerializer(
        allow_null=True, help_text="部门共享数据的应答（仅当合作部门确实应答时才有；否则材料须由申请人提交）"
    )
    valid_until = serializers.DateField(allow_null=True)
    file = MaterialFileSerializer(allow_null=True)
    notice = serializers.CharField(
        help_text="未能由部门数据替代的原因（如 公安部门数据暂时无法核验，请上传……）；无则为空"
    )


class PublicTimelineEntrySerializer(serializers.Serializer):
    occurred_at = serializers.DateTimeField()
    event = serializers.CharField()
    title = serializers.CharField()
    detail = serializers.CharField()
    organisation = serializers.CharField()


class DeadlineSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="法定时限 / 承诺时限 / 告知期限")
    due_on = serializers.DateField(
        allow_null=True, help_text="截止日期；计时中从不为空，仅中止期间（paused）为空"
    )
    expected_on = serializers.DateField(
        allow_null=True,
        help_text="预计办结日期：计时中即截止日期；中止期间为“明日恢复计时”时的截止日期；无日历数据时为空",
    )
    working_days_left = serializers.IntegerField(allow_null=True)
    paused = serializers.BooleanField(help_text="中止中（时限暂停）")
    expected_provisional = serializers.BooleanField(
        help_text="预计办结日期为暂定：provisional 或 paused（中止结束的日期未定）"
    )
    provisional = serializers.BooleanField(
        help_text="暂定：截止日期计入了国务院办公厅尚未公布放假安排的年度，按《全国年节及纪念日放假办法》推算，公布后可能变动"
    )


class AgentSerializer(serializers.Serializer):
    public_id = serializers.UUIDField(help_text="受托人账户的公开标识")
    display_name = serializers.CharField(help_text="受托人姓名或单位名称")


class ApplicationSummarySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    number = serializers.CharField(allow_null=True, help_text="办件编号（GB/T 39046）；草稿为空")
    item = serializers.CharField(help_text="事项名称")
    implementation_code = serializers.CharField(help_text="实施编码")
    status = EnumField(ApplicationStatus)
    status_label = serializers.CharField()
    stage = serializers.CharField()
    next_action = serializers.CharField(help_text="下一步该谁做什么")
    channel = EnumField(SubmissionChannel)
    agent = AgentSerializer(
        allow_null=True, help_text="委托代办时的受托人（代办人）；本人申请或窗口受理时为空"
    )
    accepting_organisation = serializers.CharField()
    created_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)


class CorrectionItemSerializer(StrictSerializer):
    """一次性告知的一项补正内容。"""

    field = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text=(
            "所涉及的材料（materials.<材料ID>，该事项的申请材料之一）或申请表字段（如 address、address.city）；"
            "发出补正告知时必填"
        ),
    )
    code = serializers.CharField(required=False, allow_blank=True, max_length=80, help_text="问题代码")
    message = serializers.CharField(
        max_length=500,
        error_messages={"required": "请填写补正要求", "blank": "请填写补正要求"},
        help_text="补正要求（行政许可法第三十二条：一次告知申请人需要补正的全部内容）",
    )


class CorrectionNoticeSerializer(serializers.Serializer):
    document_number = serializers.CharField(help_text="补正告知书文号")
    issued_at = serializers.DateTimeField()
    answered_at = serializers.DateTimeField(allow_null=True)
    items = CorrectionItemSerializer(many=True, help_text="一次性告知的全部补正内容（行政许可法第三十二条）")


class FindingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    source = serializers.ChoiceField([("auto", "自动预审"), ("staff", "人工预审")])
    field = serializers.CharField()
    code = serializers.CharField()
    message = serializers.CharField()
    resolved = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class PartnerCheckSerializer(serializers.Serializer):
    material = serializers.CharField(help_text="材料名称")
    service = serializers.CharField(help_text="核验服务")
    partner = serializers.CharField(help_text="被询问的机关")
    purpose = serializers.CharField(help_text="用途")
    legal_basis = serializers.CharField(help_text="法律依据")


class PartnerConsentSerializer(serializers.Serializer):
    label = serializers.CharField(help_text="同意事项：只核验身份的事项不含无犯罪记录")
    version = serializers.CharField(help_text="告知文本版本（已同意的，为同意时所见的版本）")
    sensitive = serializers.BooleanField(
        help_text="是否涉及敏感个人信息（无犯罪记录）而需单独同意（个人信息保护法第二十九条）"
    )
    organisation = serializers.CharField(help_text="发起核验的机关（受理机关）")
    checks = PartnerCheckSerializer(many=True)
    data = serializers.CharField(help_text="提供的个人信息种类")
    given_at = serializers.DateTimeField(allow_null=True, help_text="同意时间；未同意或已撤回时为空")


class PickupWindowSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="机构ID")
    name = serializers.CharField(help_text="机构名称")


class ApplicationDetailSerializer(ApplicationSummarySerializer):
    version = serializers.IntegerField(help_text="申请时的事项版本号")
    form_data = serializers.JSONField(help_text="按事项表单（JSON Schema）填写的内容")
    situation_answers = serializers.DictField(child=serializers.CharField(), help_text="情形选项的回答")
    received_at = serializers.DateTimeField(allow_null=True)
    materials = ChecklistMaterialSerializer(many=True)
    correction_notices = CorrectionNoticeSerializer(many=True)
    timeline = PublicTimelineEntrySerializer(many=True)
    deadline = DeadlineSerializer(allow_null=True)
    findings = FindingSerializer(many=True, required=False, help_text="预审意见；仅管辖范围内的工作人员可见")
    partner_consent = PartnerConsentSerializer(
        allow_null=True, help_text="向公安机关核验的单独同意；本申请无需核验时为空"
    )
    pickup_window = PickupWindowSerializer(
        allow_null=True, help_text="申请人选择的领取窗口（受理机构或其下级机构）；未选择时为空"
    )


class TrackingSerializer(serializers.Serializer):
    """The public tracking answer: no personal data, no staff names."""

    number = serializers.CharField()
    item = serializers.CharField()
    status = EnumField(ApplicationStatus)
    status_label = serializers.CharField()
    stage = serializers.CharField()
    organisation = serializers.CharField(help_text="当前办理机构")
    submitted_at = serializers.DateTimeField(allow_null=True)
    deadline = DeadlineSerializer(allow_null=True)
    timeline = PublicTimelineEntrySerializer(many=True)


class SubmittedSerializer(serializers.Serializer):
    number = serializers.CharField(help_text="办件编号")
    query_code = serializers.CharField(help_text="查询码：凭编号和查询码免登录查询进度；只返回这一次")
    status = EnumField(ApplicationStatus)
    id = serializers.UUIDField()


class ApplicationBody(StrictSerializer):
    # A request body of the applications API: bad input answers ``application.invalid`` with every
    # problem listed, as the services do. (A comment, not a docstring: the schema would show it.)
    invalid_code = INVALID
    invalid_message = INVALID_MESSAGE


class WalkInApplicantSerializer(StrictSerializer):
    codes = {"kind": "applicant.kind"}

    kind = serializers.ChoiceField(
        [("person", "自然人"), ("company", "法人或其他组织")], required=False, help_text="默认 person"
    )
    name = serializers.CharField(max_length=200, help_text="申请人姓名或单位名称（已登记的须一致）")
    id_number = serializers.CharField(
        required=False, allow_blank=True, max_length=30, help_text="自然人：公民身份号码（GB 11643）"
    )
    uscc = serializers.CharField(
        required=False, allow_blank=True, max_length=30, help_text="法人：统一社会信用代码（GB 32100）"
    )
    legal_representative = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="法人：法定代表人或负责人（首次登记该单位时必填）",
    )
    id_number_consent = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text=(
            "自然人：申请人当面阅读并单独同意处理其公民身份号码（个人信息保护法第二十九条）时所示告知文本的版本"
            "（与网上注册相同，register.id_number）；记为窗口渠道、由本窗口人员记录。空值为未同意"
            "（applicant.id_number_consent 错误）；不传时，申请人须已同意且未撤回（此前在窗口或网上注册时），否则同为该错误"
        ),
    )


def _situation_answers() -> serializers.DictField:
    return serializers.DictField(
        child=serializers.CharField(max_length=100),
        required=False,
        help_text="情形选项的回答：{情形代码: 选项代码}",
    )


class ApplicationStartSerializer(ApplicationBody):
    entry = serializers.CharField(max_length=64, help_text="实施编码（实施清单事项）")
    form_data = serializers.DictField(
        required=False, help_text="表单内容（JSON对象，按事项表单的 JSON Schema）"
    )
    situation_answers = _situation_answers()
    on_behalf_of = serializers.UUIDField(
        required=False, help_text="委托人的 public_id（代办时，须有有效委托）"
    )
    applicant = WalkInApplicantSerializer(required=False, help_text="窗口代录的申请人（窗口人员）")
    channel = EnumField(SubmissionChannel, required=False, help_text="默认 online")
    pickup_window = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=20,
        help_text="领取窗口：受理机构或其下级机构的机构ID（该窗口只在送达环节看到本办件）；空字符串为不选",
    )


class ApplicationChangeSerializer(ApplicationBody):
    form_data = serializers.DictField(required=False, help_text="表单内容（JSON对象，整体替换）")
    situation_answers = _situation_answers()
    partner_consent = serializers.BooleanField(
        required=False,
        help_text="申请人同意向公安机关核验（true），或撤回同意（false）：核验身份信息，事项需要时还有无犯罪记录"
        "（partner_consent.label 为所同意的文本）；见 partner_consent.checks 的用途和法律依据",
    )
    pickup_window = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=20,
        help_text="领取窗口：受理机构或其下级机构的机构ID（该窗口只在送达环节看到本办件）；空字符串为不选",
    )


class MaterialUploadSerializer(ApplicationBody):
    material = serializers.IntegerField(
        min_value=1,
        max_value=2**31 - 1,
        error_messages={"required": "请指明上传的是哪项材料"},
        help_text="事项材料ID（见 materials[].material）",
    )
    file = serializers.FileField(
        allow_empty_file=True,  # the upload gate answers an empty file with its own code
        error_messages={"required": "请选择要上传的文件"},
        help_text="文件（类型按内容识别，大小受限）",
    )
    valid_until = serializers.DateField(required=False, help_text="证明材料的有效期，YYYY-MM-DD")


class FindingCreateSerializer(ApplicationBody):
    field = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="相关字段；整体性意见为空"
    )
    message = serializers.CharField(
        max_length=500,
        error_messages={"required": "请填写需补正的问题说明", "blank": "请填写需补正的问题说明"},
        help_text="预审意见",
    )
    code = serializers.CharField(required=False, allow_blank=True, max_length=80, help_text="问题代码")


class CorrectionNoticeCreateSerializer(ApplicationBody):
    items = CorrectionItemSerializer(
        many=True, required=False, help_text="另行补充的补正内容；未解决的预审意见总会一并列入"
    )


class FindingListSerializer(serializers.Serializer):
    results = FindingSerializer(many=True)


class CorrectionNoticeIssuedSerializer(serializers.Serializer):
    document_number = serializers.CharField()
    issued_at = serializers.DateTimeField()
    items = CorrectionItemSerializer(many=True)
