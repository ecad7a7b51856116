"""The monthly figures of 绩效考核: one list of metrics, the months they fall in, and what each fact adds.

Every figure is a **sum or a count** (ratios are computed when read). A fact — an application, a
rating, a rectification, a complaint — *contributes* to the figures of one organisation (the leaf it
belongs to) in the month of each of its events (Asia/Shanghai). :func:`contribution` is a pure
function of the fact's rows: the incremental maintenance records the difference between a fact's
contribution now and what it last recorded, and the rebuild sums the contributions of all facts, so
the two agree by construction (docs/indicators.md, docs/adr/0005-indicator-roll-ups.md).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

from sifa.evaluation.models import BAD_LEVELS as EVALUATION_BAD_LEVELS
from sifa.evaluation.models import GOOD_LEVELS

SHANGHAI = ZoneInfo("Asia/Shanghai")

METRICS: tuple[tuple[str, str], ...] = (
    ("received", "收件数"),
    ("accepted", "受理数"),
    ("not_accepted", "不予受理数"),
    ("decided", "办结决定数"),
    ("approved", "准予数"),
    ("denied", "不予准予数"),
    ("delivered", "送达数"),
    ("legal_on_time", "法定时限内办结数"),
    ("legal_overdue", "超法定时限办结数"),
    ("promised_on_time", "承诺时限内办结数"),
    ("promised_overdue", "超承诺时限办结数"),
    ("decision_days", "受理至决定工作日合计"),
    ("decision_days_counted", "计入平均用时的办件数"),
    ("instant", "即办件收件数"),
    ("online", "网上（含移动端）收件数"),
    ("materials", "材料总数"),
    ("materials_once_only", "免提交材料数"),
    ("corrected", "一次性告知补正的办件数"),
    ("ratings", "评价数"),
    ("ratings_satisfied", "满意评价数（非常满意、满意、基本满意）"),
    ("ratings_bad", "差评数（不满意、非常不满意）"),
    ("rectifications_opened", "差评整改发起数"),
    ("rectifications_closed", "差评整改办结数"),
    ("rectifications_closed_on_time", "按期办结的差评整改数"),
    ("rectifications_overdue", "逾期升级的差评整改数"),
    ("complaints_received", "投诉举报收件数"),
    ("complaints_replied", "投诉举报答复数"),
    ("complaints_replied_on_time", "按期答复的投诉举报数"),
    ("complaints_overdue", "逾期升级的投诉举报数"),
    ("checks_done", "随机抽查已评查办件数"),
    ("checks_with_issues", "随机抽查发现问题的办件数"),
)
METRIC_NAMES: tuple[str, ...] = tuple(name for name, _label in METRICS)
METRIC_LABELS: dict[str, str] = dict(METRICS)

ONLINE_CHANNELS = ("online", "mobile")
SATISFIED_LEVELS = tuple(str(level) for level in GOOD_LEVELS)
"""The same levels as the 好差评 public statistics count as satisfied (非常满意、满意、基本满意)."""
BAD_LEVELS = tuple(str(level) for level in EVALUATION_BAD_LEVELS)

Key = tuple[int, dt.date]
"""(leaf organisation id, first day of the month)."""
Contribution = dict[Key, Counter]


def month_of(moment: dt.datetime | dt.date) -> dt.date:
    """The first day of the month (Asia/Shanghai) that ``moment`` falls in."""
    if isinstance(moment, dt.datetime):
        if moment.tzinfo is not None:
            moment = moment.astimezone(SHANGHAI)
        moment = moment.date()
    return moment.replace(day=1)


def local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(SHANGHAI).date() if moment.tzinfo is not None else moment.date()


def parse_month(value: object) -> dt.date | None:
    """``YYYY-MM`` → the month's first day; None when it is not such a month (2000-2999)."""
    text = str(value or "").strip()
    if len(text) != 7 or text[4] != "-" or not (text[:4].isdigit() and text[5:].isdigit()):
        return None
    year, month = int(text[:4]), int(text[5:])
    if not (2000 <= year <= 2999 and 1 <= month <= 12):
        return None
    return dt.date(year, month, 1)


def month_label(month: dt.date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def _add(out: Contribution, organisation_id: int, moment: dt.datetime | None, **values: int) -> None:
    if moment is None:
        return
    bucket = out.setdefault((organisation_id, month_of(moment)), Counter())
    for name, value in values.items():
        if value:
            bucket[name] += int(value)


def application_contribution(facts: dict) -> Contribution:
    """What one application adds. ``facts`` (see ``services.facts.application_facts``):

    organisation_id, is_mock, channel, instant, submitted_at, first_correction_at, accepted_at,
    materials, materials_once_only, status, closed_at, decided_at, outcome ('approve' | 'deny' |
    ''), legal_due, promised_due, decision_days (working days or None).
    """
    out: Contribution = {}
    if facts["is_mock"] or facts["submitted_at"] is None:
        return out
    org = facts["organisation_id"]
    _add(
        out,
        org,
        facts["submitted_at"],
        received=1,
        online=facts["channel"] in ONLINE_CHANNELS,
        instant=facts["instant"],
    )
    _add(out, org, facts["first_correction_at"], corrected=1)
    _add(
        out,
        org,
        facts["accepted_at"],
        accepted=1,
        materials=facts["materials"],
        materials_once_only=facts["materials_once_only"],
    )
    if facts["status"] == "not_accepted":
        _add(out, org, facts["closed_at"], not_accepted=1)
    decided_at = facts["decided_at"]
    if decided_at is not None:
        day = local_date(decided_at)
        legal, promised = facts["legal_due"], facts["promised_due"]
        days = facts["decision_days"]
        _add(
            out,
            org,
            decided_at,
            decided=1,
            approved=facts["outcome"] == "approve",
            denied=facts["outcome"] == "deny",
            legal_on_time=legal is not None and day <= legal,
            legal_overdue=legal is not None and day > legal,
            promised_on_time=promised is not None and day <= promised,
            promised_overdue=promised is not None and day > promised,
            decision_days=max(days, 0) if days is not None else 0,
            decision_days_counted=days is not None,
        )
    if facts["status"] == "delivered":
        _add(out, org, facts["closed_at"], delivered=1)
    return out


def rating_contribution(facts: dict) -> Contribution:
    """organisation_id, excluded (set aside, or of a mock case), level, created_at."""
    out: Contribution = {}
    if facts["excluded"]:
        return out
    _add(
        out,
        facts["organisation_id"],
        facts["created_at"],
        ratings=1,
        ratings_satisfied=facts["level"] in SATISFIED_LEVELS,
        ratings_bad=facts["level"] in BAD_LEVELS,
    )
    return out


def rectification_contribution(facts: dict) -> Contribution:
    """organisation_id, excluded, created_at, status, closed_at, due_date, escalated_at."""
    out: Contribution = {}
    if facts["excluded"]:
        return out
    org = facts["organisation_id"]
    _add(out, org, facts["created_at"], rectifications_opened=1)
    if facts["status"] == "closed" and facts["closed_at"] is not None:
        _add(
            out,
            org,
            facts["closed_at"],
            rectifications_closed=1,
            rectifications_closed_on_time=local_date(facts["closed_at"]) <= facts["due_date"],
        )
    _add(out, org, facts["escalated_at"], rectifications_overdue=1)
    return out


def complaint_contribution(facts: dict) -> Contribution:
    """organisation_id, excluded, created_at, replied_at, due_date, overdue_at."""
    out: Contribution = {}
    if facts["excluded"]:
        return out
    org = facts["organisation_id"]
    _add(out, org, facts["created_at"], complaints_received=1)
    if facts["replied_at"] is not None:
        _add(
            out,
            org,
            facts["replied_at"],
            complaints_replied=1,
            complaints_replied_on_time=local_date(facts["replied_at"]) <= facts["due_date"],
        )
    _add(out, org, facts["overdue_at"], complaints_overdue=1)
    return out


def encode(contribution: Contribution) -> dict[str, dict[str, int]]:
    """JSON form for the ledger: {"<org>|<YYYY-MM-DD>": {metric: n}}."""
    return {
        f"{org}|{month.isoformat()}": {k: int(v) for k, v in sorted(counts.items()) if v}
        for (org, month), counts in sorted(contribution.items())
        if any(counts.values())
    }


def decode(data: dict | None) -> Contribution:
    out: Contribution = {}
    for key, counts in (data or {}).items():
        org, month = key.split("|")
        out[(int(org), dt.date.fromisoformat(month))] = Counter(counts)
    return out


def difference(new: Contribution, old: Contribution) -> Contribution:
    """new − old per key, keeping only non-zero metrics."""
    out: Contribution = {}
    for key in set(new) | set(old):
        delta = Counter(new.get(key, Counter()))
        delta.subtract(old.get(key, Counter()))
        delta = Counter({k: v for k, v in delta.items() if v})
        if delta:
            out[key] = delta
    return out


def check_contribution(facts: dict) -> Contribution:
    """What one sampled case of a random check (随机抽查) adds once its finding is recorded:
    organisation_id (the case's accepting organisation), period (the first day of the month the
    check covers), checked (a finding recorded), with_issues (the finding found problems)."""
    out: Contribution = {}
    if not facts["checked"]:
        return out
    _add(
        out, facts["organisation_id"], facts["period"], checks_done=1, checks_with_issues=facts["with_issues"]
    )
    return out
