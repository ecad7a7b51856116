"""Changes to and cancellations of lawyers' and law firms' licences, the 即办 re-issue of a lawyer's
certificate, and 特许律师执业 (continued from items.py; same conventions).

A change (律师法 §10, §21; 行政许可法 §49) re-issues the holder's current e-licence as a new version;
a cancellation (行政许可法 §70) cancels it. The licence acted on is the one that satisfies the
material marked with ``subject_licence_type``, taken from the applicant's e-licence wallet.
律师法 §9 is about 撤销 (the province revokes its own decision to license) and is no basis for a
cancellation the holder applies for.
"""

from __future__ import annotations

from sifa.catalogue.data.common import (
    CERTIFICATES_RULES,
    CITY,
    DECISION_BASIS,
    DELIVERY_BASIS,
    LAWYER_BARS,
    LAWYERS_LAW,
    LICENSING_DEFAULTS,
    LICENSING_LAW,
    LOWER_REVIEW_BASIS,
    applicant_form,
    extension,
    material,
    org_form,
    ref,
    stage,
)

TWO_LEVEL_NOTE = (
    "{law}未规定期限：受理部门自受理之日起二十日内审查（行政许可法第四十三条），省级司法行政部门"
    "二十日内作出决定（第四十二条，经负责人批准可以延长十日）；按行政许可法第八十二条以工作日计算"
)
CITY_REVIEW = stage("设区的市级或者直辖市的区司法行政部门审查", "3", 20, basis=LOWER_REVIEW_BASIS)
WALLET_NOTE = (
    "由电子证照库调取申请人持有的有效证照，无需上传；证照库中没有的（如纸质证书），须先由颁发机关录入证照库"
)


def _wallet_licence(name: str, licence_type: str) -> dict:
    return material(
        name,
        "government",
        issuing_body="省级司法行政部门",
        satisfiable_by_licence_type=licence_type,
        filling_notes=WALLET_NOTE,
    )


CHANGE_ITEMS: list[dict] = [
    {
        # A 即办件 (GB/T 39046 办件类型 1): decided at the window from the licence register.
        "code": ("01", 1, 3),
        "name": "律师执业证书换发（证书损毁、记载事项变更）",
        "level": 3,
        "parent": ("01", 1, 0),
        "legal_basis": ref(LAWYERS_LAW, "第六条", "第十条") + ref(CERTIFICATES_RULES, "第十条"),
        "levels": ["2"],
        "objects": ["1"],
        "topics": ["P02"],
        "implement": {"implementer": "province_bureaus", "decider": "self"},
        "source": (
            "律师和律师事务所执业证书管理办法第十条（律师因执业证书损毁等原因导致执业证书无法使用的，应当申请换发）；"
            "即办件依据：辽宁省司法厅在辽宁政务服务网公布的“律师执业证（工作证）信息变更”办事指南（事项编码 "
            "11210000001100230L200011200200006，事项审查类型“即审即办”，受理机构司法厅审批处，决定机构辽宁省司法厅，"
            "适用于证件损毁、需换发新证的：https://zwfw.chaoyang.gov.cn/webSite/repertory/view.do?itemId="
            "8909e55b-a1e7-4e56-bae7-bf6905d8a25f&itemcode=11210000001100230L200011200200006），同厅同类事项"
            "（事项编码 11210000001100230L200011200200009）公布“办理类型 即办件、承诺时限 即办”："
            "https://center.lnzwfw.gov.cn/api/web/matter/getContent?id=ee96339e-9719-4ec9-9b90-c20aaaf21da9"
        ),
        "version": {
            **LICENSING_DEFAULTS,
            "scope": "律师执业证书损毁无法使用，或者执业证记载事项（姓名等）已依法变更、需要换发新证的执业律师",
            "review_type": "immediate",
            "application_conditions": "持有省级司法行政部门颁发的有效律师执业证书；因证书损毁等原因导致执业证书无法使用，或者记载事项已依法变更（律师和律师事务所执业证书管理办法第十条）",
            "prohibitions": "律师执业证书已被注销、吊销或者正在停止执业期间的，不予换发",
            "accept_conditions": "向颁发律师执业证书的省级司法行政部门（原发证机关）提出；换发的律师执业证书由电子证照库调取，须为该机关颁发的有效证书",
            "intake": "通过司法行政一体化网上政务服务平台在线提交，或到原发证机关政务服务窗口提交；材料齐全、符合法定形式的，当场换发",
            "handling_flow": "申请→窗口核对证照库中的有效律师执业证书→当场作出准予换发决定→换发电子证照（新版本，原版本同时失效）→送达",
            "legal_limit_value": 10,
            "legal_limit_unit": "working_day",
            "legal_limit_note": "律师和律师事务所执业证书管理办法第十条：原发证机关自收到申请之日起十日内完成审查；本事项承诺即办（当场办结）",
            **extension(False, "即办件：受理时当场作出决定，不需要延长期限（行政许可法第四十二条第一款）"),
            "case_type": "1",
            "visits_required": 0,
            "visits_reason": "",
            "online_depth_level": "IV",
            "online_depth_codes": ["1", "2", "3", "4", "5", "6", "7"],
            "result_name": "律师执业证书（换发）",
            "licence_effect": "reissue",
            "subject_licence_type": "lawyer_licence",
            "result_delivery": "当场作出决定，换发的电子证照即时推送至申请人账户；原证书版本同时失效，任何人可通过证照标识核验",
        },
        "materials": [
            material("律师执业证书换发申请表"),
            _wallet_licence("律师执业证书", "lawyer_licence"),
            material(
                "损毁的律师执业证书或者记载事项变更的证明材料",
                "applicant",
                legal_basis="律师和律师事务所执业证书管理办法第十条",
                filling_notes="证书损毁的，提交损毁证书的照片或者扫描件；记载事项变更的，提交变更证明",
            ),
        ],
        "stages": [stage("受理并当场换发", "2", None, basis="即办件：当场作出决定")],
        "form": applicant_form(
            {
                "reissue_reason": {
                    "type": "string",
                    "title": "换发原因",
                    "enum": ["damaged", "particulars_changed"],
                    "x-ui": {"widget": "radio", "labels": ["证书损毁、无法使用", "执业证记载事项变更"]},
                },
                "new_name": {
                    "type": "string",
                    "title": "变更后的姓名",
                    "minLength": 2,
                    "maxLength": 50,
                    "description": "姓名已依法变更的填写，换发的执业证书记载变更后的姓名；其他情形不填",
                },
            },
            ("reissue_reason",),
        ),
        "bpmn": "immediate_decision.bpmn",
    },
    {
        "code": ("01", 2, 0),
        "name": "律师执业变更许可（变更执业机构）",
        "level": 1,
        "legal_basis": ref(LAWYERS_LAW, "第十条") + ref(LICENSING_LAW, "第四十九条"),
        "levels": ["2", "3", "4"],
        "objects": ["1"],
        "topics": ["P02"],
        "implement": CITY,
        "source": "律师法第十条：律师变更执业机构的，应当申请换发律师执业证书；行政许可法第四十九条（变更）、第四十二条至第四十四条（期限）",
        "version": {
            **LICENSING_DEFAULTS,
            "scope": "变更执业机构的执业律师",
            "application_conditions": "持有有效的律师执业证书；律师只能在一个律师事务所执业，变更执业机构的，应当申请换发律师执业证书（律师法第十条）",
            "prohibitions": "正在受到停止执业处罚或者涉嫌违法违纪正在接受调查的，不予变更",
            "accept_conditions": "向拟变更的执业机构所在地设区的市级或者直辖市的区司法行政部门提出，申请材料齐全、符合法定形式；律师执业证书由颁发该证书的省级司法行政部门换发",
            "handling_flow": "申请→受理→市级（直辖市的区）司法行政部门审查→报送省级司法行政部门审核决定→换发律师执业证书（新版本记载变更后的执业机构）",
            "legal_limit_value": 40,
            "legal_limit_unit": "working_day",
            "legal_limit_note": TWO_LEVEL_NOTE.format(law="律师法第十条"),
            "promised_limit_value": 40,
            "promised_limit_unit": "working_day",
            "result_name": "律师执业证书（换发）",
            "licence_effect": "reissue",
            "subject_licence_type": "lawyer_licence",
            "result_delivery": "准予变更的，自作出决定之日起十日内换发、送达律师执业证书（行政许可法第四十四条）；电子证照以记载新执业机构的新版本替换原版本，原版本显示为“已换发新版本”",
        },
        "materials": [
            material("律师执业变更申请表"),
            material(
                "原执业律师事务所出具的同意变更（解除聘用）的证明", "other", issuing_body="原执业律师事务所"
            ),
            material(
                "拟变更的律师事务所同意接收的证明",
                "other",
                issuing_body="拟变更的律师事务所",
                legal_basis="律师法第十条",
            ),
            _wallet_licence("律师执业证书", "lawyer_licence"),
        ],
        "stages": [
            CITY_REVIEW,
            stage("省级司法行政部门审核决定", "2", 20, basis=DECISION_BASIS),
            stage("换发、送达律师执业证书", "2", 10, basis=DELIVERY_BASIS),
        ],
        "form": applicant_form(
            {
                "law_firm": {
                    "type": "string",
                    "title": "变更后的执业机构（律师事务所）",
                    "minLength": 2,
                    "maxLength": 100,
                }
            },
            ("law_firm",),
        ),
        "bpmn": "lawyer_licence_change.bpmn",
    },
    {
        "code": ("01", 3, 0),
        "name": "律师执业注销",
        "level": 1,
        "legal_basis": ref(LICENSING_LAW, "第七十条"),
        "levels": ["2", "3", "4"],
        "objects": ["1"],
        "topics": ["P02"],
        "implement": CITY,
        "source": "行政许可法第七十条（应当依法办理注销手续的情形）；律师法第九条只规定撤销准予执业决定后的注销，不是申请注销的依据",
        "version": {
            **LICENSING_DEFAULTS,
            "scope": "终止执业、依法应当注销律师执业证书的律师",
            "application_conditions": "持有有效的律师执业证书，有行政许可法第七十条规定的应当注销的情形，或者律师本人不再从事律师职业申请注销",
            "prohibitions": "正在接受立案调查的，调查结束前不予注销",
            "accept_conditions": "由律师本人向设区的市级或者直辖市的区司法行政部门提出；注销由颁发律师执业证书的省级司法行政部门决定",
            "handling_flow": "申请→受理→市级（直辖市的区）审查→报送省级司法行政部门作出注销决定→电子证照状态变更为“已注销”→送达注销决定书",
            "legal_limit_value": 40,
            "legal_limit_unit": "working_day",
            "legal_limit_note": TWO_LEVEL_NOTE.format(law="行政许可法第七十条"),
            "promised_limit_value": 40,
            "promised_limit_unit": "working_day",
            "result_type": "approval",
            "result_name": "注销律师执业证书的决定",
            "licence_effect": "cancel",
            "subject_licence_type": "lawyer_licence",
            "result_delivery": "作出注销决定后送达注销行政许可决定书；电子证照即时显示为“已注销”，任何人可在本平台核验",
        },
        "materials": [
            material("律师执业注销申请书"),
            _wallet_licence("律师执业证书", "lawyer_licence"),
            material("律师事务所出具的意见", "other", issuing_body="律师执业的律师事务所"),
        ],
        "stages": [CITY_REVIEW, stage("省级司法行政部门注销决定", "2", 20, basis=DECISION_BASIS)],
        "form": applicant_form(
            {
                "cancel_reason": {
                    "type": "string",
                    "title": "申请注销的原因",
                    "minLength": 2,
                    "maxLength": 500,
                    "x-ui": {"widget": "textarea"},
                }
            },
            ("cancel_reason",),
        ),
        "bpmn": "lawyer_licence_cancel.bpmn",
    },
]

FIRM_CHANGE_ITEMS: list[dict] = [
    {
        "code": ("01", 6, 0),
        "name": "律师事务所变更许可",
        "level": 1,
        "legal_basis": ref(LAWYERS_LAW, "第二十一条") + ref(LICENSING_LAW, "第四十九条"),
        "levels": ["2", "3", "4"],
        "objects": ["6"],
        "topics": ["C02"],
        "implement": CITY,
        "source": "律师法第二十一条：变更名称、负责人、章程、合伙协议的，应当报原审核部门批准；行政许可法第四十九条",
        "version": {
            **LICENSING_DEFAULTS,
            "scope": "变更名称、负责人、章程、合伙协议的律师事务所",
            "application_conditions": "持有有效的律师事务所执业证书；变更名称、负责人、章程、合伙协议（律师法第二十一条第一款）。变更住所、合伙人的，自变更之日起十五日内报原审核部门备案（第二款），不属于本事项",
            "prohibitions": "变更后不符合法定设立条件的，不予批准",
            "accept_conditions": "向设区的市级或者直辖市的区司法行政部门提出，由其审查后报原审核部门（省级司法行政部门）批准",
            "handling_flow": "申请→受理→市级（直辖市的区）审查→报原审核部门批准→变更名称、负责人的，换发律师事务所执业证书",
            "legal_limit_value": 40,
            "legal_limit_unit": "working_day",
            "legal_limit_note": TWO_LEVEL_NOTE.format(law="律师法第二十一条"),
            "promised_limit_value": 40,
            "promised_limit_unit": "working_day",
            "result_name": "律师事务所执业证书（换发）",
            "licence_effect": "reissue",
            "subject_licence_type": "law_firm_licence",
            "result_delivery": "准予变更的，送达准予变更行政许可决定书；变更名称、负责人的，自作出决定之日起十日内换发律师事务所执业证书（行政许可法第四十四条），电子证照以新版本替换原版本",
        },
        "materials": [
            material("变更申请书"),
            _wallet_licence("律师事务所执业证书", "law_firm_licence"),
            material("合伙人会议或者律师事务所同意变更的决议", "other", issuing_body="律师事务所"),
        ],
        "stages": [
            CITY_REVIEW,
            stage("原审核部门（省级司法行政部门）批准", "2", 20, basis=DECISION_BASIS),
            stage("换发、送达执业证书", "2", 10, basis=DELIVERY_BASIS),
        ],
        "form": org_form(
            {
                "change_description": {
                    "type": "string",
                    "title": "变更事项及内容",
                    "description": "写明变更名称、负责人、章程或者合伙协议的哪些内容",
                    "minLength": 4,
                    "maxLength": 1000,
                    "x-ui": {"widget": "textarea"},
                },
                "new_name": {
                    "type": "string",
                    "title": "变更后的名称（变更名称的填写）",
                    "minLength": 2,
                    "maxLength": 100,
                },
                "new_principal": {
                    "type": "string",
                    "title": "变更后的负责人（变更负责人的填写）",
                    "minLength": 2,
                    "maxLength": 50,
                },
            },
            ("change_description",),
        ),
        "bpmn": "law_firm_change.bpmn",
    },
    {
        "code": ("01", 7, 0),
        "name": "律师事务所注销",
        "level": 1,
        "legal_basis": ref(LAWYERS_LAW, "第二十二条") + ref(LICENSING_LAW, "第七十条"),
        "levels": ["2", "3", "4"],
        "objects": ["6"],
        "topics": ["C02"],
        "implement": CITY,
        "source": "律师法第二十二条：律师事务所终止的，由颁发执业证书的部门注销该律师事务所的执业证书；行政许可法第七十条第（三）项",
        "version": {
            **LICENSING_DEFAULTS,
            "scope": "依法终止的律师事务所",
            "application_conditions": "持有律师事务所执业证书，有律师法第二十二条第一款规定的终止情形",
            "prohibitions": "未完成清算或者未妥善处理尚未办结业务的，不予注销",
            "accept_conditions": "向设区的市级或者直辖市的区司法行政部门提出；注销由颁发执业证书的省级司法行政部门决定",
            "handling_flow": "申请→受理→市级（直辖市的区）审查→颁发执业证书的部门作出注销决定→电子证照状态变更为“已注销”→送达注销决定书",
            "legal_limit_value": 40,
            "legal_limit_unit": "working_day",
            "legal_limit_note": TWO_LEVEL_NOTE.format(law="律师法第二十二条"),
            "promised_limit_value": 40,
            "promised_limit_unit": "working_day",
            "result_type": "approval",
            "result_name": "注销律师事务所执业证书的决定",
            "licence_effect": "cancel",
            "subject_licence_type": "law_firm_licence",
            "result_delivery": "作出注销决定后送达注销行政许可决定书；电子证照即时显示为“已注销”，任何人可在本平台核验",
        },
        "materials": [
            material("注销申请书"),
            _wallet_licence("律师事务所执业证书", "law_firm_licence"),
            material("清算报告", "other", issuing_body="清算组"),
        ],
        "stages": [CITY_REVIEW, stage("颁发执业证书的部门注销决定", "2", 20, basis=DECISION_BASIS)],
        "form": org_form(
            {
                "termination_reason": {
                    "type": "string",
                    "title": "终止的情形",
                    "description": "律师法第二十二条第一款规定的终止情形，如自行决定解散",
                    "minLength": 2,
                    "maxLength": 500,
                    "x-ui": {"widget": "textarea"},
                }
            },
            ("termination_reason",),
        ),
        "bpmn": "law_firm_cancel.bpmn",
    },
    {
        "code": ("01", 8, 0),
        "name": "特许律师执业许可",
        "level": 1,
        "legal_basis": ref(LAWYERS_LAW, "第八条"),
        "levels": ["1"],
        "objects": ["1"],
        "topics": ["P02"],
        "implement": {"implementer": "ministry", "decider": "self"},
        "source": "律师法第八条（经国务院司法行政部门考核合格，准予执业）；行政许可法第四十二条、第四十五条；司法部审批项目编码09001",
        "version": {
            **LICENSING_DEFAULTS,
            "scope": "在法律服务人员紧缺领域从事专业工作满十五年的人员申请专职律师执业",
            "application_conditions": "具有高等院校本科以上学历，在法律服务人员紧缺领域从事专业工作满十五年，具有高级职称或者同等专业水平并具有相应的专业法律知识（律师法第八条）",
            "prohibitions": LAWYER_BARS,
            "accept_conditions": "向司法部提出申请，申请材料齐全、符合法定形式",
            "handling_flow": "申请→司法部受理→考核（所需时间不计入办理期限）→审查决定→颁发律师执业证书",
            "legal_limit_value": 20,
            "legal_limit_unit": "working_day",
            "legal_limit_note": "律师法第八条未规定期限：司法部自受理之日起二十日内作出决定（行政许可法第四十二条，经负责人批准可以延长十日）；考核所需时间依行政许可法第四十五条不计算在期限内，考核期间办理期限自动中止计算，考核结束的次日起恢复计算",
            "promised_limit_value": 20,
            "promised_limit_unit": "working_day",
            "special_procedures": "考核（律师法第八条）所需时间不计算在办理期限内，考核期间办理期限中止计算（行政许可法第四十五条）；依法需要听证、检验、检测、鉴定和专家评审的，所需时间同样不计算在期限内，并书面告知申请人",
            "result_name": "律师执业证书",
        },
        "materials": [
            material("特许律师执业申请书"),
            material(
                "本科以上学历证明",
                "government",
                issuing_body="教育主管部门",
                satisfiable_by_partner_data="education.degree",
            ),
            material("在法律服务人员紧缺领域从事专业工作满十五年的证明", "other", issuing_body="工作单位"),
            material("高级职称证书或者同等专业水平证明", "government", issuing_body="职称评审机构"),
            material("律师事务所出具的同意接收申请人的证明", "other", issuing_body="拟执业的律师事务所"),
        ],
        "stages": [
            stage(
                "考核",
                "1",
                None,
                basis="律师法第八条；行政许可法第四十五条：所需时间不计算在期限内",
                not_counted=True,
            ),
            stage("审查决定", "1", 20, basis=DECISION_BASIS),
            stage("颁发、送达律师执业证书", "1", 10, basis=DELIVERY_BASIS),
        ],
        "form": applicant_form(
            {"law_firm": {"type": "string", "title": "拟执业律师事务所", "minLength": 2, "maxLength": 100}},
            ("law_firm",),
        ),
        "bpmn": "special_lawyer_licence.bpmn",
    },
]
