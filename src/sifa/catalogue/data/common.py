"""Shared building blocks of the catalogue content (see items.py): defaults, references, forms."""

from __future__ import annotations

from typing import Any

LAWYERS_LAW = "中华人民共和国律师法"
NOTARY_LAW = "中华人民共和国公证法"
LEGAL_AID_LAW = "中华人民共和国法律援助法"
LICENSING_LAW = "中华人民共和国行政许可法"
MEDIATION_LAW = "中华人民共和国人民调解法"
FOREIGN_FIRMS_REG = "外国律师事务所驻华代表机构管理条例"
APPRAISAL_DECISION = "全国人民代表大会常务委员会关于司法鉴定管理问题的决定"
CERTIFICATES_RULES = "律师和律师事务所执业证书管理办法（司法部令第119号，司法部令第143号修改）"

# Who implements an item and who decides (see sifa.catalogue.services.loader).
CITY = {"implementer": "prefecture_bureaus", "decider": "province"}
PROVINCE_TO_MINISTRY = {"implementer": "province_bureaus", "decider": "ministry"}
# 所在地的司法行政部门 (county or city bureau) receives and reports upwards (公证法 §9, §21).
LOCAL_TO_PROVINCE = {"implementer": "local_bureaus", "decider": "province"}
LOCAL_TO_MINISTRY = {"implementer": "local_bureaus", "decider": "ministry"}

LAWYER_BARS = "无民事行为能力或者限制民事行为能力的；受过刑事处罚的（过失犯罪的除外）；被开除公职或者被吊销律师、公证员执业证书的，不予颁发律师执业证书（律师法第七条）"

# Provenance (an editors' note, not public text): the articles the items cite from 律师法, 公证法,
# 法律援助法, 行政许可法, 人民调解法, 行政复议法 and 外国律师事务所驻华代表机构管理条例 were checked
# against LawRefBook/Laws (commit 2f4c5c2). Until 2026-12-07 seventeen items' 内容来源 (``source``,
# shown to the public) ended with “法律条文核对自 LawRefBook/Laws（2f4c5c2）”; it is kept here and in
# docs/catalogue.md ("Content sources") instead.


def ref(law: str, *articles: str) -> list[dict[str, str]]:
    """Structured 设定依据: one reference per article (an empty article = the whole act)."""
    return [{"law": law, "article": article} for article in (articles or ("",))]


def material(name: str, source: str = "applicant", **extra: Any) -> dict[str, Any]:
    row = {
        "name": name,
        "source": source,
        "original_count": 1,
        "copy_count": 0,
        "medium": "both",
        "page_size": "A4",
        "file_format": "pdf,jpg,png",
    }
    row.update(extra)
    return row


def stage(
    name: str,
    level: str,
    value: int | None,
    unit: str = "working_day",
    basis: str = "",
    *,
    not_counted: bool = False,
) -> dict[str, Any]:
    return {
        "name": name,
        "organisation_level": level,
        "limit_value": value,
        "limit_unit": unit if value is not None else "",
        "legal_basis": basis,
        "not_counted": not_counted,
    }


# 行政许可法 §43 (a lower level reviews within 20 days), §42 (the deciding level decides within
# 20 days), §44 (the licence is issued and delivered within 10 days): the stages of a licensing item
# whose own law sets no time limit.
LOWER_REVIEW_BASIS = "行政许可法第四十三条：下级行政机关自其受理（收到）申请之日起二十日内审查完毕"
DECISION_BASIS = "行政许可法第四十二条第一款：二十日内作出决定"
DELIVERY_BASIS = "行政许可法第四十四条：自作出决定之日起十日内颁发、送达"


def extension(applies: bool, basis: str) -> dict[str, Any]:
    """Whether the deciding organisation may extend the limit under 行政许可法 §42, and why."""
    return {"extension_applies": applies, "extension_basis": basis}


EXTENSION_42 = extension(
    True,
    "行政许可法第四十二条第一款：二十日内不能作出决定的，经本行政机关负责人批准，可以延长十日，"
    "并应当将延长期限的理由告知申请人。由作出决定的机关在其审查决定环节批准，下级机关的审查期限不延长",
)
NO_EXTENSION_LAWYERS_LAW = extension(
    False,
    "律师法第六条第三款（律师事务所：第十八条）规定了受理部门二十日、省级十日的期限，属于行政许可法"
    "第四十二条第一款“法律、法规另有规定的，依照其规定”，不适用延长",
)
NO_EXTENSION_SERVICE = extension(False, "非行政许可事项，不适用行政许可法第四十二条")


def applicant_form(extra: dict[str, Any] | None = None, required: tuple[str, ...] = ()) -> dict[str, Any]:
    """A form schema (draft 2020-12) with the applicant block every item needs plus item fields."""
    properties: dict[str, Any] = {
        "applicant_name": {
            "type": "string",
            "title": "申请人姓名",
            "minLength": 2,
            "maxLength": 50,
            "x-ui": {"widget": "text", "autocomplete": "name"},
        },
        "id_number": {
            "type": "string",
            "title": "公民身份号码",
            "pattern": "^[0-9]{17}[0-9X]$",
            "description": "18位公民身份号码，末位为X的请大写",
            "x-ui": {"widget": "id-number"},
        },
        "phone": {
            "type": "string",
            "title": "联系电话",
            "pattern": "^1[3-9][0-9]{9}$",
            "description": "11位手机号码，用于接收办理进度短信",
            "x-ui": {"widget": "tel"},
        },
        "address": {"type": "string", "title": "通讯地址", "maxLength": 200, "x-ui": {"widget": "textarea"}},
    }
    properties.update(extra or {})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "title": "申请表",
        "properties": properties,
        # PostgreSQL's jsonb does not keep key order: the form's field order is stated explicitly.
        "x-ui": {"order": list(properties)},
        "required": ["applicant_name", "id_number", "phone", *required],
        "additionalProperties": False,
    }


def org_form(extra: dict[str, Any] | None = None, required: tuple[str, ...] = ()) -> dict[str, Any]:
    """The form of an organisation applicant (law firm, notary office, appraisal institution)."""
    properties: dict[str, Any] = {
        "organisation_name": {
            "type": "string",
            "title": "机构名称",
            "minLength": 2,
            "maxLength": 100,
            "x-ui": {"widget": "text"},
        },
        "contact_name": {"type": "string", "title": "联系人", "minLength": 2, "maxLength": 50},
        "phone": {
            "type": "string",
            "title": "联系电话",
            "pattern": "^1[3-9][0-9]{9}$",
            "description": "11位手机号码，用于接收办理进度短信",
            "x-ui": {"widget": "tel"},
        },
        "address": {"type": "string", "title": "住所", "maxLength": 200, "x-ui": {"widget": "textarea"}},
    }
    properties.update(extra or {})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "title": "申请表",
        "properties": properties,
        "x-ui": {"order": list(properties)},
        "required": ["organisation_name", "contact_name", "phone", "address", *required],
        "additionalProperties": False,
    }


REVIEW = {
    "dept": "作出决定的司法行政部门的本级人民政府；对司法部作出的决定不服的，向司法部申请",
    "basis": "行政复议法（2023）第二十条、第二十四条、第二十五条：自知道该行政行为之日起六十日内提出",
}
LITIGATION = {
    "dept": "有管辖权的人民法院",
    "basis": "行政诉讼法第四十六条：自知道或者应当知道作出行政行为之日起六个月内提出",
}

LICENSING_DEFAULTS: dict[str, Any] = {
    **EXTENSION_42,
    "review_type": "review_then_approve",
    "quantity_limit": "无数量限制",
    "intake": "通过司法行政一体化网上政务服务平台在线提交，或到受理机构政务服务窗口提交纸质材料；材料不齐全或者不符合法定形式的，当场或者在五日内一次告知需要补正的全部内容（行政许可法第三十二条）",
    "case_type": "2",
    "handling_forms": ["1", "2", "3", "4"],
    "online_depth_level": "III",
    "online_depth_codes": ["1", "2", "3", "4", "6", "7"],
    "visits_required": 1,
    "visits_reason": "领取纸质证书时需到现场一次；选择邮寄送达的无需到现场",
    "across_scope": "",
    "is_charged": False,
    "result_type": "licence",
    "result_delivery": "准予许可的，自作出决定之日起十日内颁发、送达（行政许可法第四十四条）；可窗口领取或邮寄送达，电子证照同步推送至申请人账户",
    "special_procedures": "依法需要听证、检验、检测、鉴定和专家评审的，所需时间不计算在期限内，并书面告知申请人（行政许可法第四十五条）",
    "rights": "依法提出申请、陈述和申辩；要求对公示内容予以说明、解释；不服决定的，依法申请行政复议或者提起行政诉讼（行政许可法第七条）",
    "duties": "如实提交有关材料和反映真实情况，并对申请材料实质内容的真实性负责（行政许可法第三十一条）",
    "administrative_review": REVIEW,
    "administrative_litigation": LITIGATION,
    "consultation_phone": "12348",
    "complaint_phone": "12345",
    "office_hours": "工作日 上午9:00—12:00，下午13:30—17:00（法定节假日除外）",
}

SERVICE_DEFAULTS: dict[str, Any] = {
    **LICENSING_DEFAULTS,
    **NO_EXTENSION_SERVICE,
    "review_type": "",
    "quantity_limit": "",
    "result_type": "other",
    "special_procedures": "",
    "administrative_review": {},
    "administrative_litigation": {},
    "rights": "依法提出申请，了解办理进度和结果，对服务进行评价（好差评）",
    "duties": "如实提供有关情况和材料",
}
