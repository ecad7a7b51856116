"""The working-day calendar table, calendar-data alerts, and the stored state of statutory clocks."""

from __future__ import annotations

from importlib.metadata import version

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from sifa.core.db import PathField
from sifa.deadlines.calendar import TimeLimit, TimeUnit
from sifa.deadlines.clocks import Clock, Extension, Suspension, WarningLevel

CHINESE_CALENDAR_SOURCE = f"chinese-calendar {version('chinese_calendar')}"
"""The data vintage recorded on seeded days, e.g. "chinese-calendar 1.11.0"."""


class DayKind(models.TextChoices):
    WORKDAY = "workday", "工作日"
    WEEKEND = "weekend", "周末"
    HOLIDAY = "holiday", "法定节假日"
    MAKEUP_WORKDAY = "makeup_workday", "调休上班日"


class CalendarDay(models.Model):
    """One day of the working-day calendar (《全国年节及纪念日放假办法》 + 国务院办公厅年度放假安排)."""

    data_class = "public"

    date = models.DateField("日期", primary_key=True)
    is_workday = models.BooleanField(
        "是否工作日", help_text="行政许可法 §82: 期限以工作日计算，不含法定节假日"
    )
    kind = models.CharField("类型", max_length=20, choices=DayKind.choices)
    holiday_name = models.CharField("节日名称", max_length=60, blank=True)
    source = models.CharField(
        "数据来源", max_length=60, help_text="chinese-calendar 版本（官方放假安排）或 manual（管理员录入）"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="修改人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = "工作日历"
        verbose_name_plural = "工作日历"
        ordering = ["date"]
        constraints = [
            models.CheckConstraint(
                name="deadlines_day_kind_matches_workday",
                condition=(
                    models.Q(is_workday=True, kind__in=["workday", "makeup_workday"])
                    | models.Q(is_workday=False, kind__in=["weekend", "holiday"])
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.get_kind_display()}"

    def clean(self) -> None:
        """The kind says whether the day is worked (the database checks the same): 工作日 and 调休上班日
        are worked, 周末 and 法定节假日 are not."""
        worked = self.kind in (DayKind.WORKDAY, DayKind.MAKEUP_WORKDAY)
        if self.kind and bool(self.is_workday) != worked:
            raise ValidationError(
                {"kind": f"“{self.get_kind_display()}”{'是' if worked else '不是'}工作日，与“是否工作日”不符"}
            )


class CalendarYear(models.Model):
    """Whether a year's calendar is complete. A year without a complete row has no calendar data:
    deadlines that reach it raise ``CalendarDataMissing`` instead of guessing."""

    data_class = "public"

    year = models.PositiveSmallIntegerField("年份", primary_key=True)
    complete = models.BooleanField("数据完整", default=False)
    source = models.CharField("数据来源", max_length=60)
    revision = models.PositiveIntegerField(
        "修订号", default=1, help_text="Bumped on every edit, so cached copies of the year are reloaded"
    )
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = "日历年度"
        verbose_name_plural = "日历年度"
        ordering = ["year"]

    def __str__(self) -> str:
        return f"{self.year} 年（{'完整' if self.complete else '不完整'}）"


class CalendarAlert(models.Model):
    """A deadline needed a year with no calendar data. One row per year; repeats only count."""

    data_class = "internal"

    year = models.PositiveSmallIntegerField("缺失年份", unique=True)
    message = models.CharField("说明", max_length=200)
    first_raised_at = models.DateTimeField("首次发生")
    last_raised_at = models.DateTimeField("最近发生")
    occurrences = models.PositiveIntegerField("发生次数", default=1)
    resolved_at = models.DateTimeField("解决时间", null=True, blank=True)

    class Meta:
        verbose_name = "日历缺失告警"
        verbose_name_plural = "日历缺失告警"
        ordering = ["year"]

    def __str__(self) -> str:
        return f"{self.year} 年日历缺失"


class ClockPurpose(models.TextChoices):
    NOTICE_WINDOW = "notice_window", "一次性告知期（行政许可法 §32）"
    LEGAL = "legal", "法定办结时限"
    PROMISED = "promised", "承诺办结时限"
    STAGE = "stage", "环节时限"


class ClockState(models.Model):
    """A statutory clock of one subject (a case, later): its start, limit and recorded events, plus
    the derived due date and warning level kept fresh by ``sifa refresh-deadlines``.

    The events are the record; the derived columns are a cache for indexed worklists and are always
    recomputed from the events by ``sifa.deadlines.clocks``.
    """

    data_class = "case"

    subject_type = models.CharField("对象类型", max_length=40)
    subject_id = models.CharField("对象标识", max_length=64)
    purpose = models.CharField("时限类型", max_length=20, choices=ClockPurpose.choices)
    stage = models.CharField("环节", max_length=60, blank=True, help_text="Sub-clock name, e.g. 市级审查")
    scope_path = PathField("管辖路径", db_index=True)
    started_on = models.DateField("起算日期", help_text="民法典 §201: 开始的当日不计入，自下一日开始计算")
    limit_value = models.PositiveIntegerField("时限")
    limit_unit = models.CharField("时限单位", max_length=20, choices=TimeUnit.choices)
    suspensions = models.JSONField("中止记录", default=list, blank=True, help_text="行政许可法 §45")
    extensions = models.JSONField("延长记录", default=list, blank=True, help_text="行政许可法 §42")
    stopped_on = models.DateField("办结日期", null=True, blank=True)
    version = models.PositiveIntegerField("版本", default=1)
    due_on = models.DateField("截止日期", null=True, blank=True)
    working_days_left = models.IntegerField("剩余工作日", null=True, blank=True)
    warning_level = models.CharField(
        "预警等级", max_length=10, choices=WarningLevel.choices, default=WarningLevel.GREEN
    )
    paused = models.BooleanField("已中止", default=False)
    provisional = models.BooleanField(
        "暂定",
        default=False,
        help_text="截止日期计入了尚未公布放假安排的年度（按《全国年节及纪念日放假办法》推算），公布后可能变动",
    )
    refreshed_on = models.DateField("预警计算日期", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "办理时限"
        verbose_name_plural = "办理时限"
        constraints = [
            models.UniqueConstraint(
                fields=["subject_type", "subject_id", "purpose", "stage"],
                name="deadlines_one_clock_per_stage",
            )
        ]
        indexes = [
            models.Index(fields=["subject_type", "subject_id"], name="deadlines_clock_subject"),
            models.Index(fields=["stopped_on", "id"], name="deadlines_clock_open"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_type}:{self.subject_id} {self.get_purpose_display()} {self.stage}".strip()

    @property
    def limit(self) -> TimeLimit:
        return TimeLimit(self.limit_value, TimeUnit(self.limit_unit))

    def _clock_key(self) -> tuple:
        return (
            self.started_on,
            self.limit_value,
            self.limit_unit,
            self.stopped_on,
            self.suspensions,
            self.extensions,
        )

    def _keep_clock(self, clock: Clock) -> None:
        started_on, value, unit, stopped_on, suspensions, extensions = self._clock_key()
        snapshot = (
            started_on,
            value,
            unit,
            stopped_on,
            [dict(s) for s in suspensions],
            [dict(e) for e in extensions],
        )
        self.__dict__[_CLOCK] = (snapshot, clock)

    def to_clock(self) -> Clock:
        """The clock of the stored events. Built once per state of the columns it reads and kept on
        this row (a case command's guard, its change, the recomputation and its answer all ask for
        it): built again as soon as one of them differs by value from what it was built from, an
        event changed in place included. ``Clock`` is immutable."""
        kept = self.__dict__.get(_CLOCK)
        if kept is not None and kept[0] == self._clock_key():
            return kept[1]
        clock = Clock(
            started_on=self.started_on,
            limit=self.limit,
            suspensions=tuple(Suspension.from_dict(s) for s in self.suspensions),
            extensions=tuple(Extension.from_dict(e) for e in self.extensions),
            stopped_on=self.stopped_on,
        )
        self._keep_clock(clock)
        return clock

    def store_clock(self, clock: Clock) -> None:
        """Copy a clock's events back (the caller saves and bumps ``version``); ``to_clock`` gives
        ``clock`` itself from then on (reading the stored events back gives an equal clock)."""
        self.suspensions = [s.as_dict() for s in clock.suspensions]
        self.extensions = [e.as_dict() for e in clock.extensions]
        self.stopped_on = clock.stopped_on
        self._keep_clock(clock)


_CLOCK = "_clock"
"""Where ``ClockState.to_clock`` keeps the clock it built, with the columns it was built from."""


class NoticeStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "已发布"
    SUPERSEDED = "superseded", "已被新通知替代"


class CalendarNotice(models.Model):
    """The State Council's notice of a year's holidays (国务院办公厅关于XXXX年部分节假日安排的通知),
    as the calendar administrator entered it: every rest day of the breaks with its holiday's name
    and every make-up working day (调休上班日). Publishing it makes the year official."""

    data_class = "internal"

    year = models.PositiveSmallIntegerField("年度")
    document_number = models.CharField(
        "文号", max_length=60, help_text="如 国办发明电〔2026〕7号（GB/T 9704 六角括号）"
    )
    issued_on = models.DateField("发文日期")
    holidays = models.JSONField(
        "放假日期", default=list, help_text='[{"date": "2027-01-01", "name": "元旦"}, …]'
    )
    makeup_workdays = models.JSONField(
        "调休上班日期", default=list, help_text='[{"date": "2027-02-20", "name": "春节"}, …]'
    )
    status = models.CharField("状态", max_length=20, choices=NoticeStatus.choices, default=NoticeStatus.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="录入人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("录入时间", auto_now_add=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="发布人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    recomputed_at = models.DateTimeField("重算完成时间", null=True, blank=True)
    clocks_examined = models.PositiveIntegerField("重算时限数", null=True, blank=True)
    clocks_moved = models.PositiveIntegerField("截止日期变动数", null=True, blank=True)

    class Meta:
        verbose_name = "放假安排通知"
        verbose_name_plural = "放假安排通知"
        ordering = ["-year", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["year"],
                condition=models.Q(status="draft"),
                name="deadlines_one_draft_notice_per_year",
            )
        ]

    def __str__(self) -> str:
        return f"{self.year} 年放假安排（{self.document_number}）"

    @property
    def title(self) -> str:
        return f"国务院办公厅关于{self.year}年部分节假日安排的通知"
