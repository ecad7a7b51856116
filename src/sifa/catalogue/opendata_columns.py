"""The data dictionary of the open-data CSV files: every column, its Chinese meaning and the
national element it carries (GB/T 39046-2020 表4; 实施清单 field names, standards.md §1.5, §2.3).

The Chinese meaning is the model field's verbose name, so the dictionary cannot drift from the
model; the national element is written here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from sifa.catalogue.models import CatalogueItem, Fee, ImplementationEntry, ItemVersion, Material, Stage


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    element: str


@dataclass(frozen=True)
class CsvFile:
    name: str
    title: str
    columns: tuple[Column, ...]


def _columns(
    model: type[models.Model], spec: tuple[tuple[str, str] | tuple[str, str, str], ...]
) -> tuple[Column, ...]:
    out = []
    for entry in spec:
        name, element = entry[0], entry[1]
        label = (
            entry[2] if len(entry) == 3 else str(model._meta.get_field(name.removesuffix("_id")).verbose_name)
        )
        out.append(Column(name, label, element))
    return tuple(out)


KEY_COLUMNS = (
    Column("basic_code", "基本编码", "基本编码 CATALOG_CODE"),
    Column("version", "版本号", "事项版本 TASK_VERSION"),
)

CSV_FILES: dict[str, CsvFile] = {
    "items.csv": CsvFile(
        "items.csv",
        "基本目录事项",
        _columns(
            CatalogueItem,
            (
                ("basic_code", "基本编码 CATALOG_CODE"),
                ("name", "事项名称 TASK_NAME"),
                ("item_type", "事项类型代码 TASK_TYPE（表A.1）"),
                ("parent", "主项/子项关系（国发〔2022〕5号）", "上级事项基本编码"),
                ("level", "事项层次：1主项 2子项 3业务办理项"),
                ("legal_basis", "设定依据 BY_LAW（JSON：law 法律名称、article 条款）"),
                ("exercise_levels", "行使层级代码 USE_LEVEL（表A.2，JSON 列表）"),
                ("service_objects", "服务对象代码 SERVER_TYPE（表A.4，JSON 列表）"),
                ("topics", "服务主题 USER_TOPIC_TYPE/CORP_TOPIC_TYPE（P..个人，C..法人）"),
                ("owner", "目录管理机构", "目录管理机构名称"),
                ("owner_uscc", "目录管理机构统一社会信用代码（GB 32100）", "目录管理机构统一社会信用代码"),
                ("source", "—（内容来源说明）"),
                ("updated_at", "—（最后更新时间，ISO 8601）"),
            ),
        ),
    ),
    "versions.csv": CsvFile(
        "versions.csv",
        "事项版本（当前发布版本的全部要素）",
        (
            KEY_COLUMNS[:1]
            + _columns(
                ItemVersion,
                (
                    ("number", "事项版本 TASK_VERSION"),
                    (
                        "status",
                        "事项状态 TASK_STATE：draft 草稿、published 已发布、superseded 已替代、withdrawn 已撤回",
                    ),
                    ("valid_from", "计划生效日期 PLAN_EFFECTIVE_DATE"),
                    ("valid_until", "计划取消日期 PLAN_CANCEL_DATE"),
                    ("published_at", "—（发布时间）"),
                    ("scope", "办事指南 适用范围（附录2 第1项）"),
                    ("review_type", "事项审查类型（附录2 第2项）"),
                    ("quantity_limit", "数量限制 LIMIT_EXPLAIN"),
                    ("application_conditions", "申请条件（附录2 第7项）"),
                    ("prohibitions", "禁止性要求（附录2 第8项）"),
                    ("accept_conditions", "受理条件 ACCEPT_CONDITION"),
                    ("intake", "申请接收（附录2 第10项）"),
                    ("handling_flow", "办理流程 HANDLE_FLOW"),
                    ("legal_limit_value", "法定办结时限 ANTICIPATE_DAY"),
                    (
                        "legal_limit_unit",
                        "法定时限单位 ANTICIPATE_TYPE（working_day 工作日、calendar_day 自然日、month 月）",
                    ),
                    ("legal_limit_note", "法定时限说明 ANTICIPATE_EXPLAIN"),
                    ("promised_limit_value", "承诺办结时限 PROMISE_DAY"),
                    ("promised_limit_unit", "承诺时限单位 PROMISE_TYPE"),
                    ("promised_limit_note", "承诺时限说明 PROMISE_EXPLAIN"),
                    ("case_type", "办件类型 PROJECT_TYPE（表A.6）"),
                    ("handling_forms", "办理形式 HANDLE_TYPE（表A.5，JSON 列表）"),
                    ("online_depth_level", "网上办理深度星级（Ⅰ–Ⅳ级）"),
                    ("online_depth_codes", "网上办理深度 ONLINE_HANDLE_DEPTH（1–8，JSON 列表）"),
                    ("visits_required", "到办事现场次数 LIMIT_SCENE_NUM"),
                    ("visits_reason", "必须现场办理原因说明 LIMIT_SCENE_EXPLAIN"),
                    ("across_scope", "通办范围 HANDLE_AREA（表4 第33项）"),
                    ("is_charged", "是否收费 IS_FEE（1是 0否）"),
                    ("result_name", "审批结果名称 RESULT_NAME"),
                    ("result_type", "审批结果类型 RESULT_TYPE"),
                    ("result_sample", "审批结果样本 RESULT_GUID"),
                    ("result_delivery", "结果送达（附录2 第16项）"),
                    (
                        "licence_effect",
                        "—（证照办理方式：issue 颁发新证照、reissue 换发现有证照、cancel 注销现有证照）",
                    ),
                    ("subject_licence_type", "—（换发、注销所针对的证照类型，GB/T 36902）"),
                    ("extension_applies", "—（可否依行政许可法第四十二条延长十日：1可以 0不适用）"),
                    ("extension_basis", "—（延长期限依据）"),
                    ("special_procedures", "特别程序 SPECIAL_PROCEDURE（表A.7）"),
                    ("rights", "依法享有的权利 RIGHT_ENJOY_BY_LAW"),
                    ("duties", "依法履行的义务 DUTY_PERFORM_BY_LAW"),
                    ("administrative_review", "行政复议 ADMINISTRATIVE_REVIEW_DEPT/ADDR/PHONE/URL（JSON）"),
                    (
                        "administrative_litigation",
                        "行政诉讼 ADMINISTRATIVE_LITIGATION_DEPT/ADDR/PHONE/URL（JSON）",
                    ),
                    ("consultation_phone", "咨询电话 CONSULT_PHONE"),
                    ("complaint_phone", "监督投诉电话 COMPLAIN_PHONE"),
                    ("office_hours", "办理时间 TRANSACT_TIME"),
                ),
            )
        ),
    ),
    "materials.csv": CsvFile(
        "materials.csv",
        "申请材料",
        KEY_COLUMNS
        + _columns(
            Material,
            (
                ("order", "排序 ORDER_NUM"),
                ("name", "材料名称 MATERIAL_NAME"),
                (
                    "source",
                    "来源渠道 SOURCE_TYPE（applicant 申请人自备、government 政府部门核发、other 其他）",
                ),
                ("issuing_body", "出具机构 SOURCE_EXPLAIN"),
                (
                    "necessity",
                    "材料必要性 IS_NEED（required 必要、optional 非必要、deferrable 容缺后补、pledge 告知承诺可免）",
                ),
                ("original_count", "原件份数 ORIGINALNUM"),
                ("copy_count", "复印件份数 COPIESNUM"),
                ("medium", "材料形式 MATERIAL_FORMAT（paper 纸质、electronic 电子化、both 纸质和电子化）"),
                ("file_format", "—（电子文件格式）"),
                ("page_size", "纸质规格 PAGE_FORMAT"),
                ("filling_notes", "填报须知 FILL_EXPLAIN"),
                ("blank_form", "空白表格 FORM_GUID"),
                ("sample", "示例样表 EXAMPLE_GUID"),
                ("legal_basis", "要求提供材料的依据 BY_LAW"),
                ("situations", "适用情形 HANDLE_CASE（JSON 列表：情形代码=选项值，空表示一律提交）"),
                (
                    "satisfiable_by_licence_type",
                    "—（可替代的电子证照类型，GB/T 36902；国务院令第716号第七条）",
                ),
                ("satisfiable_by_partner_data", "—（可替代的部门共享数据）"),
            ),
        ),
    ),
    "stages.csv": CsvFile(
        "stages.csv",
        "办理环节",
        KEY_COLUMNS
        + _columns(
            Stage,
            (
                ("order", "环节顺序（ml_matter_process_link）"),
                ("name", "环节名称"),
                ("organisation_level", "办理层级（表A.2 行使层级代码）"),
                ("limit_value", "环节办理时限"),
                ("limit_unit", "时限单位"),
                ("legal_basis", "—（时限依据）"),
                ("not_counted", "—（所需时间不计入办理期限，行政许可法第四十五条：1是 0否）"),
            ),
        ),
    ),
    "fees.csv": CsvFile(
        "fees.csv",
        "收费项目",
        KEY_COLUMNS
        + _columns(
            Fee,
            (
                ("order", "—（排序）"),
                ("name", "收费项目名称（ml_matter_charge）"),
                ("standard", "收费标准"),
                ("basis", "收费依据 FEE_BASIS"),
                ("waivable", "是否允许减免（1是 0否）"),
                ("waiver_basis", "允许减免的依据"),
            ),
        ),
    ),
    "implementations.csv": CsvFile(
        "implementations.csv",
        "实施清单事项",
        _columns(
            ImplementationEntry,
            (
                ("implementation_code", "实施编码 TASK_CODE（统一社会信用代码18位+行使层级1位+基本编码）"),
                ("basic_code", "基本编码 CATALOG_CODE", "基本编码"),
                ("version", "事项版本 TASK_VERSION", "实施的事项版本号"),
                ("organisation", "实施主体 DEPT_NAME", "实施主体名称"),
                ("organisation_uscc", "实施主体编码 DEPT_CODE（GB 32100）", "实施主体统一社会信用代码"),
                ("exercise_level", "行使层级代码（表A.2）"),
                ("implementer_nature", "实施主体性质 DEPT_TYPE（表A.3）"),
                ("accepting_organisation", "受理机构（办事指南 附录2 第4项）", "受理机构名称"),
                ("accepting_organisation_uscc", "受理机构统一社会信用代码", "受理机构统一社会信用代码"),
                ("deciding_organisation", "决定机构（办事指南 附录2 第5项）", "决定机构名称"),
                ("deciding_organisation_uscc", "决定机构统一社会信用代码", "决定机构统一社会信用代码"),
                ("region", "行政区划代码（GB/T 2260，空表示全国）", "服务区划代码"),
                ("legal_limit_value", "法定办结时限 ANTICIPATE_DAY（本级，空表示同事项版本）"),
                ("legal_limit_unit", "法定时限单位 ANTICIPATE_TYPE"),
                ("promised_limit_value", "承诺办结时限 PROMISE_DAY（本级）"),
                ("promised_limit_unit", "承诺时限单位 PROMISE_TYPE"),
                ("place", "办理地点 TRANSACT_ADDR"),
                ("office_hours", "办理时间 TRANSACT_TIME（空表示同事项版本）"),
                ("consultation_phone", "咨询电话 CONSULT_PHONE（空表示同事项版本）"),
                ("complaint_phone", "监督投诉电话 COMPLAIN_PHONE（空表示同事项版本）"),
                ("channels", "NET_CONSULT_WAY、CONSULT_MAIL、NET_COMPLAIN_WAY 等其他渠道（JSON）"),
                ("online_url", "网办地址 ONLINE_HANDLE_URL"),
                ("status", "状态（active 在用、withdrawn 已取消）"),
                ("updated_at", "—（最后更新时间，ISO 8601）"),
            ),
        ),
    ),
}
