"""The data dictionary of the disclosure open data: every column of the notices and the monthly
statistics, its Chinese meaning and its type. The JSON files carry the same dictionary, the CSV
files exactly these columns in this order (a test compares them), and the page
``/disclosure/opendata/`` prints it."""

from __future__ import annotations

from dataclasses import dataclass

from sifa.evaluation.models import Level


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    kind: str


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    columns: tuple[Column, ...]


NOTICES = Dataset(
    "notices",
    "政务公开信息（已发布）",
    (
        Column("id", "信息标识（UUID，长期不变）", "文本"),
        Column("organisation_id", "发布机构ID（与 /disclosure/{机构ID}/ 相同）", "整数"),
        Column("organisation", "发布机构名称", "文本"),
        Column("category", "栏目代码：notice 通知公告，policy 政策解读，news 工作动态", "文本"),
        Column("category_label", "栏目名称", "文本"),
        Column("title", "标题", "文本"),
        Column("summary", "摘要（正文前120字，纯文本）", "文本"),
        Column("body", "正文（纯文本，可含 ## 小标题、- 列表、**加粗** 标记）", "文本"),
        Column("published_at", "发布时间（ISO 8601，北京时间）", "日期时间"),
        Column("url", "信息页面地址", "网址"),
    ),
)

STATISTICS = Dataset(
    "statistics",
    "月度统计（办件、好差评）",
    (
        Column("organisation_id", "机构ID（空：全平台）", "整数"),
        Column("organisation", "机构名称（统计范围为该机构及其下级机构）", "文本"),
        Column("period", "统计期间（YYYY-MM，只含已结束的月份）", "文本"),
        Column("period_start", "期间起始日", "日期"),
        Column("period_end", "期间截止日", "日期"),
        Column("received", "收件数（当月提交或窗口收件的办件，不含模拟办件）", "整数"),
        Column("accepted", "受理数（当月受理，含视为受理）", "整数"),
        Column("not_accepted", "不予受理数（当月作出不予受理决定）", "整数"),
        Column("decided", "办结决定数（当月作出准予或不予许可决定）", "整数"),
        Column("delivered", "送达数（当月送达结果）", "整数"),
        Column("complaints_received", "投诉举报收件数", "整数"),
        Column("legal_on_time_rate", "法定时限内办结率（0至1；无办结为空）", "小数"),
        Column("promised_on_time_rate", "承诺时限内办结率（0至1；无办结为空）", "小数"),
        Column("average_working_days", "平均办理用时（受理至决定，工作日；无办结为空）", "小数"),
        Column("instant_share", "即办件占比（即办件收件数 ÷ 收件数，0至1）", "小数"),
        Column("online_share", "网办率（网上及移动端收件数 ÷ 收件数，0至1）", "小数"),
        Column("once_only_share", "材料免提交率（免提交材料数 ÷ 材料总数，0至1）", "小数"),
        Column("correction_rate", "补正率（一次性告知补正的办件数 ÷ 收件数，0至1）", "小数"),
        Column("complaint_on_time_rate", "投诉按期答复率（按期答复数 ÷ 答复数，0至1）", "小数"),
        Column("ratings_total", "评价总数（不含经复核撤销的恶意差评）", "整数"),
        *(Column(f"ratings_{key}", f"{label}数", "整数") for key, label in Level.choices),
        Column(
            "satisfaction_rate", "满意率（非常满意、满意、基本满意之和 ÷ 评价总数，0至1；无评价为空）", "小数"
        ),
        Column("bad_ratings", "差评数（不满意、非常不满意）", "整数"),
        Column("rectified", "已整改差评数（整改情况已反馈或已办结）", "整数"),
        Column("rectification_rate", "整改率（已整改差评数 ÷ 差评数，0至1；无差评为空）", "小数"),
    ),
)

DATASETS = {d.name: d for d in (NOTICES, STATISTICS)}
