"""Code tables of the catalogue (GB/T 39046-2020 附录A and the national 实施清单 dictionaries).

Values are the official codes where a standard gives them (see docs/catalogue.md); where no code is
known the value is a readable Sifa code and the label says so.
"""

from __future__ import annotations

from django.db import models


class ItemType(models.TextChoices):
    """事项类型代码, GB/T 39046-2020 表A.1; "11" 行政备案 is Sifa's local code (国发〔2022〕5号 gives none)."""

    LICENSING = "01", "行政许可"
    PUNISHMENT = "02", "行政处罚"
    ENFORCEMENT = "03", "行政强制"
    LEVY = "04", "行政征收"
    BENEFIT = "05", "行政给付"
    INSPECTION = "06", "行政检查"
    CONFIRMATION = "07", "行政确认"
    AWARD = "08", "行政奖励"
    ADJUDICATION = "09", "行政裁决"
    OTHER_POWER = "10", "其他行政权力"
    FILING = "11", "行政备案"
    PUBLIC_SERVICE = "20", "公共服务"


class ItemLevel(models.IntegerChoices):
    """主项 → 子项 → 业务办理项 (国发〔2022〕5号; standards.md §1.2)."""

    MAIN = 1, "主项"
    SUB = 2, "子项"
    HANDLING = 3, "业务办理项"


class ExerciseLevel(models.TextChoices):
    """行使层级代码, GB/T 39046-2020 表A.2. The digit is also the 13th character of the 实施编码."""

    NATIONAL = "1", "国家级"
    PROVINCE = "2", "省级"
    CITY = "3", "市级"
    COUNTY = "4", "县级"
    TOWNSHIP = "5", "镇（乡、街道）级"
    VILLAGE = "6", "村（社区）级"
    TIERED = "7", "分级管理"


class ServiceObject(models.TextChoices):
    """服务对象代码, GB/T 39046-2020 表A.4."""

    NATURAL_PERSON = "1", "自然人"
    ENTERPRISE = "2", "企业法人"
    PUBLIC_INSTITUTION = "3", "事业法人"
    SOCIAL_ORGANISATION = "4", "社会组织法人"
    GOVERNMENT = "5", "行政机关"
    OTHER = "6", "其他组织"


class Topic(models.TextChoices):
    """服务主题. The national 自然人/法人主题 code lists are not public; these are Sifa's codes:
    ``P..`` 个人 (自然人) topics, ``C..`` 法人 topics."""

    P_QUALIFICATION = "P01", "个人·职业资格"
    P_PRACTICE = "P02", "个人·执业准入"
    P_LEGAL_AID = "P03", "个人·法律援助"
    P_MEDIATION = "P04", "个人·矛盾纠纷调解"
    C_ESTABLISHMENT = "C01", "法人·机构设立"
    C_CHANGE = "C02", "法人·变更注销"
    C_FOREIGN = "C03", "法人·涉外法律服务"
    C_MEDIATION = "C04", "法人·矛盾纠纷调解"


PERSONAL_TOPIC_PREFIX = "P"
CORPORATE_TOPIC_PREFIX = "C"


class HandlingForm(models.TextChoices):
    """办理形式代码, GB/T 39046-2020 表A.5."""

    WINDOW = "1", "窗口办理"
    ONLINE_PC = "2", "电脑端网上办理"
    ONLINE_MOBILE = "3", "移动端网上申请"
    POST = "4", "快递申请"
    OTHER = "9", "其他"


class CaseType(models.TextChoices):
    """办件类型代码, GB/T 39046-2020 表A.6."""

    IMMEDIATE = "1", "即办件"
    PROMISED = "2", "承诺件"
    OTHER = "9", "其他"


class OnlineDepthLevel(models.TextChoices):
    """网上办理深度星级 (provincial data-quality rules): Ⅳ级 = 全程网办, which needs 0 visits."""

    NONE = "", "不网办"
    I = "I", "Ⅰ级（网上咨询）"  # noqa: E741 — the Roman numeral is the published name
    II = "II", "Ⅱ级（网上预审）"
    III = "III", "Ⅲ级（网上受理、最多跑一次）"
    IV = "IV", "Ⅳ级（全程网办）"


class OnlineDepthCode(models.TextChoices):
    """网上办理深度 ``ONLINE_HANDLE_DEPTH`` (national 实施清单, multi-value)."""

    CONSULT = "1", "互联网咨询"
    RECEIVE = "2", "互联网收件"
    PRE_REVIEW = "3", "互联网预审"
    ACCEPT = "4", "互联网受理"
    HANDLE = "5", "互联网办理"
    RESULT_FEEDBACK = "6", "互联网办理结果信息反馈"
    LICENCE_FEEDBACK = "7", "互联网电子证照反馈"
    OTHER = "8", "其他"


class TimeUnit(models.TextChoices):
    """时限单位 (``ANTICIPATE_TYPE``/``PROMISE_TYPE``). 行政许可法 §82: that law's periods are 工作日."""

    WORKING_DAY = "working_day", "工作日"
    CALENDAR_DAY = "calendar_day", "自然日"
    MONTH = "month", "月"


class LimitStart(models.TextChoices):
    """时限起算: the day a statutory limit counts from (the day itself not counted, 民法典 §201).

    The 行政许可法 counts from 受理 (§42, §43), and so does every limit unless the item's own statute
    says otherwise; 法律援助法 §43 (审查决定) and §49 (异议审查) count from 收到申请（异议）之日.
    """

    ACCEPTANCE = "acceptance", "自受理之日起"
    RECEIPT = "receipt", "自收到申请之日起"


class AcrossScope(models.TextChoices):
    """通办范围, GB/T 39046-2020 表4 第33项 (no codes published; labels are the values)."""

    NONE = "", "不通办"
    NATIONAL = "national", "全国"
    CROSS_PROVINCE = "cross_province", "跨省"
    CROSS_CITY = "cross_city", "跨市"
    CROSS_COUNTY = "cross_county", "跨县"


class ReviewType(models.TextChoices):
    """事项审查类型 (行政许可标准化指引 附录2 第2项)."""

    NONE = "", "不适用"
    REVIEW_THEN_APPROVE = "review_then_approve", "前审后批"
    IMMEDIATE = "immediate", "即审即批"


class ResultType(models.TextChoices):
    """审批结果类型 (national 实施清单 ``RESULT_TYPE``)."""

    LICENCE = "licence", "证照"
    APPROVAL = "approval", "批文"
    OTHER = "other", "其他"


class LicenceEffect(models.TextChoices):
    """What an approval does to e-licences (Sifa's): issue a new one, re-issue the holder's current
    one as a new version (换发, e.g. 律师法 §10), or cancel it (注销, 行政许可法 §70)."""

    ISSUE = "issue", "颁发新证照"
    REISSUE = "reissue", "换发现有证照（新版本）"
    CANCEL = "cancel", "注销现有证照"


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "已发布"
    SUPERSEDED = "superseded", "已被替代"
    WITHDRAWN = "withdrawn", "已撤回"


class MaterialSource(models.TextChoices):
    """来源渠道 ``SOURCE_TYPE`` (labels stored; numeric codes differ between systems, standards.md §2.3)."""

    APPLICANT = "applicant", "申请人自备"
    GOVERNMENT = "government", "政府部门核发"
    OTHER = "other", "其他"


class MaterialNecessity(models.TextChoices):
    """材料必要性 ``IS_NEED`` plus the provincial 容缺后补 and 告知承诺 (国办发〔2020〕42号) values."""

    REQUIRED = "required", "必要"
    OPTIONAL = "optional", "非必要"
    DEFERRABLE = "deferrable", "容缺后补"
    PLEDGE = "pledge", "告知承诺可免"


class MaterialMedium(models.TextChoices):
    """材料形式 ``MATERIAL_FORMAT``."""

    PAPER = "paper", "纸质"
    ELECTRONIC = "electronic", "电子化"
    BOTH = "both", "纸质和电子化"


class EntryStatus(models.TextChoices):
    ACTIVE = "active", "在用"
    WITHDRAWN = "withdrawn", "已取消"


class ImplementerNature(models.TextChoices):
    """实施主体性质代码, GB/T 39046-2020 表A.3."""

    STATUTORY = "1", "法定机关"
    AUTHORISED = "2", "授权组织"
    ENTRUSTED = "3", "受委托组织"
    OTHER = "9", "其他"
