"""The real judicial-administration items Sifa ships (standards.md §6), loaded by ``sifa load-catalogue``.

Basic codes are Sifa's, built on the inferred national structure ``00`` + 事项类型 + 主项(5) + 子项(3)
(standards.md §1.3); no official 基本编码 of these items was available. ``implement`` says which
organisations implement an item and who decides (see ``sifa.catalogue.services.loader``). Time limits
written as "日" in a statute are published as 工作日 where 行政许可法 §82 applies (procedures under
that law) and as 自然日 otherwise; ``legal_limit_note`` quotes the statute.
"""

from __future__ import annotations

from sifa.catalogue.data.common import (
    CITY,
    LAWYER_BARS,
    LAWYERS_LAW,
    LICENSING_DEFAULTS,
    NO_EXTENSION_LAWYERS_LAW,
    applicant_form,
    material,
    org_form,
    ref,
    stage,
)
from sifa.catalogue.data.items_changes import CHANGE_ITEMS, FIRM_CHANGE_ITEMS
from sifa.catalogue.data.items_other import OTHER_ITEMS

LAWYER_CONDITIONS = "拥护中华人民共和国宪法；通过国家统一法律职业资格考试取得法律职业资格；在律师事务所实习满一年；品行良好（律师法第五条）"
LAWYER_STAGES = [
    stage(
        "设区的市级或者直辖市的区司法行政部门审查",
        "3",
        20,
        basis="律师法第六条第三款：自受理之日起二十日内予以审查",
    ),
    stage(
        "省级司法行政部门审核决定", "2", 10, basis="律师法第六条第三款：自收到报送材料之日起十日内予以审核"
    ),
    stage("颁发、送达律师执业证书", "2", 10, basis="行政许可法第四十四条"),
]
LAWYER_MATERIALS = [
    material(
        "国家统一法律职业资格证书",
        "government",
        issuing_body="司法部",
        satisfiable_by_licence_type="legal_qualification",
        legal_basis="律师法第六条第一款第（一）项",
        filling_notes="实行国家统一法律职业资格考试前取得的司法考试合格证书、律师资格凭证同等有效（律师法第五条第二款）",
    ),
    material(
        "律师协会出具的申请人实习考核合格的材料",
        "other",
        issuing_body="律师协会",
        legal_basis="律师法第六条第一款第（二）项",
    ),
    material(
        "申请人的身份证明",
        "government",
        issuing_body="公安机关",
        satisfiable_by_partner_data="police.identity",
        legal_basis="律师法第六条第一款第（三）项",
        original_count=0,
        copy_count=1,
    ),
    material(
        "律师事务所出具的同意接收申请人的证明",
        "other",
        issuing_body="拟执业的律师事务所",
        legal_basis="律师法第六条第一款第（四）项",
    ),
    # Not one of the four materials of 律师法 §6, so never required: the authority checks the
    # §7 (二) bar itself. With the applicant's consent the police answer for it over the exchange;
    # otherwise the applicant may upload a certificate or an explanation (docs/applications.md).
    material(
        "无犯罪记录证明",
        "government",
        necessity="optional",
        issuing_body="公安机关",
        satisfiable_by_partner_data="police.criminal_record",
        legal_basis="律师法第七条第（二）项",
        filling_notes="非律师法第六条规定的申请材料，不提交不影响受理；同意向公安机关核验的，无需提交。受过刑事处罚的（过失犯罪除外）不予颁发律师执业证书",
    ),
]
PART_TIME_MATERIAL = material(
    "所在单位同意申请人兼职从事律师职业的证明",
    "other",
    issuing_body="申请人所在的高等院校或者科研机构",
    legal_basis="律师法第六条第二款、第十二条",
)
LAWYER_FORM = applicant_form(
    {
        "law_firm": {"type": "string", "title": "拟执业律师事务所", "minLength": 2, "maxLength": 100},
        "qualification_number": {
            "type": "string",
            "title": "法律职业资格证书编号",
            "pattern": "^[A-Z0-9]{8,30}$",
            "description": "法律职业资格证书上的证书编号，8至30位大写字母或数字，如 A20191234567",
        },
    },
    ("law_firm", "qualification_number"),
)


def _lawyer_version(scope: str) -> dict:
    return {
        **LICENSING_DEFAULTS,
        **NO_EXTENSION_LAWYERS_LAW,
        "scope": scope,
        "application_conditions": LAWYER_CONDITIONS,
        "prohibitions": LAWYER_BARS,
        "accept_conditions": "向设区的市级或者直辖市的区人民政府司法行政部门提出申请，申请材料齐全、符合法定形式（律师法第六条）",
        "handling_flow": "申请→受理→市级（直辖市的区）司法行政部门审查→报送省级司法行政部门审核→作出决定→颁发律师执业证书",
        "legal_limit_value": 30,
        "legal_limit_unit": "working_day",
        "legal_limit_note": "律师法第六条第三款：受理部门二十日内审查，省级司法行政部门十日内审核决定；按行政许可法第八十二条以工作日计算",
        "promised_limit_value": 30,
        "promised_limit_unit": "working_day",
        "result_name": "律师执业证书",
    }


ITEMS: list[dict] = [
    {
        "code": ("01", 1, 0),
        "name": "律师执业许可",
        "level": 1,
        "legal_basis": ref(LAWYERS_LAW, "第五条", "第六条", "第七条"),
        "levels": ["2", "3", "4"],
        "objects": ["1"],
        "topics": ["P02"],
        "implement": None,
        "source": "律师法第五条至第七条。分为专职、兼职两个子项",
        "version": _lawyer_version("申请在律师事务所执业的人员"),
        "materials": LAWYER_MATERIALS,
        "stages": LAWYER_STAGES,
        "form": LAWYER_FORM,
        "bpmn": "lawyer_licence.bpmn",
    },
    {
        "code": ("01", 1, 1),
        "name": "律师执业许可（专职律师执业）",
        "level": 2,
        "parent": ("01", 1, 0),
        "legal_basis": ref(LAWYERS_LAW, "第五条", "第六条", "第七条"),
        "levels": ["2", "3", "4"],
        "objects": ["1"],
        "topics": ["P02"],
        "implement": CITY,
        "source": "律师法第五条至第七条",
        "version": _lawyer_version("申请专职律师执业的人员"),
        "materials": LAWYER_MATERIALS,
        "stages": LAWYER_STAGES,
        "form": LAWYER_FORM,
        "bpmn": "lawyer_licence.bpmn",
    },
    {
        "code": ("01", 1, 2),
        "name": "律师执业许可（兼职律师执业）",
        "level": 2,
        "parent": ("01", 1, 0),
        "legal_basis": ref(LAWYERS_LAW, "第五条", "第六条", "第七条", "第十二条"),
        "levels": ["2", "3", "4"],
        "objects": ["1"],
        "topics": ["P02"],
        "implement": CITY,
        "source": "律师法第六条第二款、第十二条（高等院校、科研机构中从事法学教育、研究工作的人员）",
        "version": _lawyer_version(
            "高等院校、科研机构中从事法学教育、研究工作，经所在单位同意申请兼职律师执业的人员（律师法第十二条）"
        ),
        "materials": [*LAWYER_MATERIALS, PART_TIME_MATERIAL],
        "stages": LAWYER_STAGES,
        "form": LAWYER_FORM,
        "bpmn": "lawyer_licence.bpmn",
    },
    *CHANGE_ITEMS,
    {
        "code": ("01", 4, 0),
        "name": "律师事务所设立许可",
        "level": 1,
        "legal_basis": ref(LAWYERS_LAW, "第十四条", "第十五条", "第十六条", "第十七条", "第十八条"),
        "levels": ["2", "3", "4"],
        "objects": ["6"],
        "topics": ["C01"],
        "implement": CITY,
        "source": "律师法第十四条至第十八条",
        "version": {
            **LICENSING_DEFAULTS,
            **NO_EXTENSION_LAWYERS_LAW,
            "scope": "申请设立合伙、个人或者国家出资律师事务所",
            "application_conditions": "有自己的名称、住所和章程；有符合律师法规定的律师；设立人应当是具有一定的执业经历，且三年内未受过停止执业处罚的律师；有符合国务院司法行政部门规定数额的资产（律师法第十四条）。合伙所应有三名以上合伙人，设立人具有三年以上执业经历（第十五条）；个人所设立人具有五年以上执业经历（第十六条）",
            "prohibitions": "设立人三年内受过停止执业处罚的，不予设立（律师法第十四条第（三）项）",
            "accept_conditions": "向设区的市级或者直辖市的区人民政府司法行政部门提出申请（律师法第十八条）",
            "handling_flow": "申请→受理→市级（直辖市的区）审查→报省级审核决定→颁发律师事务所执业证书",
            "legal_limit_value": 30,
            "legal_limit_unit": "working_day",
            "legal_limit_note": "律师法第十八条：二十日内审查，十日内审核决定",
            "promised_limit_value": 30,
            "promised_limit_unit": "working_day",
            "result_name": "律师事务所执业证书",
        },
        "situations": [
            {
                "code": "firm_form",
                "question": "拟设立的律师事务所组织形式是？",
                "options": [
                    {"value": "partnership", "label": "合伙律师事务所"},
                    {"value": "individual", "label": "个人律师事务所"},
                    {"value": "state", "label": "国家出资设立的律师事务所"},
                ],
            }
        ],
        "materials": [
            material("申请书", legal_basis="律师法第十七条第（一）项"),
            material("律师事务所的名称、章程", legal_basis="律师法第十七条第（二）项"),
            material("律师的名单、简历、身份证明、律师执业证书", legal_basis="律师法第十七条第（三）项"),
            material("住所证明", legal_basis="律师法第十七条第（四）项"),
            material("资产证明", legal_basis="律师法第十七条第（五）项"),
            material("合伙协议", legal_basis="律师法第十七条第二款", situations=["firm_form=partnership"]),
        ],
        "stages": [
            stage("市级（直辖市的区）审查", "3", 20, basis="律师法第十八条"),
            stage("省级审核决定", "2", 10, basis="律师法第十八条"),
            stage("颁发、送达执业证书", "2", 10, basis="行政许可法第四十四条"),
        ],
        # 组织形式 is the 情形 above (it decides 合伙协议): the form does not ask it again.
        "form": org_form(),
        "bpmn": "law_firm_licence.bpmn",
    },
    {
        "code": ("01", 5, 0),
        "name": "律师事务所分所设立许可",
        "level": 1,
        "legal_basis": ref(LAWYERS_LAW, "第十九条", "第十八条"),
        "levels": ["2", "3", "4"],
        "objects": ["6"],
        "topics": ["C01"],
        "implement": CITY,
        "source": "律师法第十九条（依照第十八条程序办理，由分所所在地省级审核）",
        "version": {
            **LICENSING_DEFAULTS,
            **NO_EXTENSION_LAWYERS_LAW,
            "scope": "成立三年以上并具有二十名以上执业律师的合伙律师事务所设立分所",
            "application_conditions": "成立三年以上并具有二十名以上执业律师的合伙律师事务所（律师法第十九条）",
            "prohibitions": "个人律师事务所、国家出资设立的律师事务所不得设立分所",
            "accept_conditions": "向拟设立分所所在地设区的市级或者直辖市的区司法行政部门提出",
            "handling_flow": "申请→受理→审查→报分所所在地省级司法行政部门审核决定→颁发分所执业证书",
            "legal_limit_value": 30,
            "legal_limit_unit": "working_day",
            "legal_limit_note": "律师法第十九条、第十八条",
            "promised_limit_value": 30,
            "promised_limit_unit": "working_day",
            "result_name": "律师事务所分所执业证书",
        },
        "materials": [
            material("设立分所申请书"),
            material("分所的名称及律师事务所章程"),
            material("拟派驻分所律师的名单、简历、身份证明、律师执业证书"),
            material("分所住所证明"),
            material("资产证明"),
            material("律师事务所合伙人会议同意设立分所的决议", "other", issuing_body="律师事务所"),
        ],
        "stages": [
            stage("市级（直辖市的区）审查", "3", 20, basis="律师法第十八条"),
            stage("省级审核决定", "2", 10, basis="律师法第十八条"),
            stage("颁发、送达执业证书", "2", 10, basis="行政许可法第四十四条"),
        ],
        "form": org_form(),
        "bpmn": "law_firm_licence.bpmn",
    },
    *FIRM_CHANGE_ITEMS,
    *OTHER_ITEMS,
]
