"""人民调解 at the township judicial office (司法所): the roster and the handling of one application.

* ``MediationCommittee`` / ``Mediator`` — the roster (人民调解委员会 and its 人民调解员, 人民调解法
  §7–§9, §13–§14) of each 司法所, kept by its staff. Public: anyone applying may read it to choose
  mediators (§23(1)); it holds no personal identifiers.
* ``MediationCase`` — one application's mediation: the committee and mediators assigned (§19), the
  mediators the applicant asked for and why staff did not follow the request, the outcome — an
  agreement (§28–§29, with the §33 judicial-confirmation window) or a termination (§26).
* ``MediationSession`` — each mediation held: date, place, mediators and parties present, what
  happened (§27: 人民调解员应当记录调解情况).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from sifa.core.db import PathField


class CommitteeKind(models.TextChoices):
    """Who set the committee up (人民调解法 §8, §34)."""

    VILLAGE = "village", "村民委员会人民调解委员会"
    RESIDENTS = "residents", "居民委员会人民调解委员会"
    ENTERPRISE = "enterprise", "企业事业单位人民调解委员会"
    TOWNSHIP = "township", "乡镇（街道）人民调解委员会"
    SECTOR = "sector", "行业性、专业性人民调解委员会"


class MediatorPosition(models.TextChoices):
    """人民调解法 §8 (主任、副主任、委员) and §13 (委员会聘任的人员)."""

    DIRECTOR = "director", "主任"
    DEPUTY = "deputy", "副主任"
    MEMBER = "member", "委员"
    APPOINTED = "appointed", "聘任的人民调解员"


class MediationCommittee(models.Model):
    """A 人民调解委员会 on the roster of the 司法所 that guides it (人民调解法 §5, §10)."""

    data_class = "public"

    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="指导的司法所",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="人民调解法 §5, §10: the judicial office (司法所) whose roster the committee is on",
    )
    name = models.CharField(
        "名称", max_length=100, help_text="人民调解法 §7: the committee's name, unique on the office's roster"
    )
    kind = models.CharField(
        "类别",
        max_length=20,
        choices=CommitteeKind.choices,
        help_text="人民调解法 §8, §34: who set it up (村民委员会、居民委员会、企业事业单位、乡镇（街道）、行业性专业性)",
    )
    is_active = models.BooleanField(
        "在册", default=True, help_text="Off the roster: no longer offered or assignable; its cases keep it"
    )
    created_at = models.DateTimeField(
        "登记时间", auto_now_add=True, help_text="When it was put on the roster"
    )

    class Meta:
        verbose_name = "人民调解委员会"
        verbose_name_plural = "人民调解委员会"
        ordering = ["organisation", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="mediation_committee_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Mediator(models.Model):
    """A 人民调解员 (§13: committee members and mediators the committee appoints)."""

    data_class = "public"

    committee = models.ForeignKey(
        MediationCommittee,
        verbose_name="人民调解委员会",
        on_delete=models.PROTECT,
        related_name="mediators",
        help_text="人民调解法 §13: 人民调解员由人民调解委员会委员和人民调解委员会聘任的人员担任",
    )
    name = models.CharField("姓名", max_length=50, help_text="Public: applicants choose by name (§23(1))")
    position = models.CharField(
        "职务",
        max_length=20,
        choices=MediatorPosition.choices,
        help_text="人民调解法 §8 (主任、副主任、委员) or §13 (委员会聘任的人员)",
    )
    specialties = models.CharField(
        "擅长调解的纠纷",
        max_length=200,
        blank=True,
        help_text="Shown to applicants choosing a mediator (§23(1))",
    )
    is_active = models.BooleanField(
        "在册",
        default=True,
        help_text="Off the roster: no longer offered or assignable; sessions keep the name",
    )
    created_at = models.DateTimeField(
        "登记时间", auto_now_add=True, help_text="When they were put on the roster"
    )

    class Meta:
        verbose_name = "人民调解员"
        verbose_name_plural = "人民调解员"
        ordering = ["committee", "name", "id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.committee.name}）"


class MediationOutcome(models.TextChoices):
    OPEN = "", "调解中"
    AGREEMENT = "agreement", "达成调解协议"
    TERMINATED = "terminated", "调解不成，终止调解"


class MediationCase(models.Model):
    """The mediation of one 人民调解申请 (created when the 司法所 accepts it)."""

    data_class = "case"

    application = models.OneToOneField(
        "applications.Application",
        verbose_name="办件",
        on_delete=models.CASCADE,
        related_name="mediation",
        help_text="The 人民调解申请 (人民调解法 §17: 当事人可以向人民调解委员会申请调解), once accepted",
    )
    scope_path = PathField("管辖路径", db_index=True, help_text="The application's scope path (the 司法所)")
    committee = models.ForeignKey(
        MediationCommittee,
        verbose_name="调解的人民调解委员会",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        help_text="人民调解法 §19: the committee whose mediators were assigned (one per dispute)",
    )
    mediators = models.ManyToManyField(
        Mediator,
        verbose_name="指定的人民调解员",
        blank=True,
        related_name="cases",
        help_text="人民调解法 §19: 指定一名或者数名人民调解员进行调解",
    )
    preferred = models.JSONField(
        "申请人选择的调解员",
        default=list,
        blank=True,
        help_text="人民调解法 §23(1) 选择或者接受人民调解员: the names the applicant gave in the form",
    )
    preference_note = models.TextField(
        "未按申请人选择指定的说明",
        blank=True,
        help_text="人民调解法 §23(1): required when a mediator the applicant chose is not assigned",
    )
    outcome = models.CharField(
        "调解结果",
        max_length=20,
        choices=MediationOutcome.choices,
        default=MediationOutcome.OPEN,
        blank=True,
        help_text="人民调解法 §28 调解协议 or §26 调解不成的，应当终止调解; empty while mediating",
    )
    concluded_on = models.DateField(
        "结案日期", null=True, blank=True, help_text="The day the mediation ended"
    )
    facts = models.TextField(
        "纠纷的主要事实、争议事项以及各方当事人的责任",
        blank=True,
        help_text="人民调解法第二十九条第一款第（二）项（调解协议书载明的事项）",
    )
    terms = models.JSONField(
        "协议内容、履行方式和期限",
        default=list,
        blank=True,
        help_text="人民调解法第二十九条第一款第（三）项：当事人达成调解协议的内容，履行的方式、期限 — one line per term",
    )
    effective_on = models.DateField(
        "协议生效日期",
        null=True,
        blank=True,
        help_text="人民调解法第二十九条第二款：自各方当事人签名、盖章或者按指印，人民调解员签名并加盖人民调解委员会印章之日起生效",
    )
    confirmation_due = models.DateField(
        "申请司法确认的截止日期",
        null=True,
        blank=True,
        help_text="人民调解法 §33: 自调解协议生效之日起三十日内; 民法典 §203 moves a last day that is a rest day",
    )
    confirmation_due_exact = models.BooleanField(
        "截止日期已按工作日历确定",
        default=False,
        help_text="False while the calendar of that year is missing: the date is the plain 30th day",
    )
    confirmation_due_provisional = models.BooleanField(
        "截止日期暂定",
        default=False,
        help_text="The date counts a year whose holiday notice is not entered (provisional calendar): "
        "暂定 until it is, then recomputed by sifa remind-judicial-confirmation",
    )
    termination_reason = models.TextField(
        "终止调解的原因",
        blank=True,
        help_text="人民调解法 §26 调解不成; or a party refused or asked to end it (§17, §23(2))",
    )
    notified_at = models.DateTimeField(
        "司法确认告知时间",
        null=True,
        blank=True,
        help_text="When the applicant was told of the §33 window, with the agreement",
    )
    reminded_at = models.DateTimeField(
        "司法确认提醒时间",
        null=True,
        blank=True,
        help_text="When the §33 reminder was sent (a week before the last day; once)",
    )

    class Meta:
        verbose_name = "人民调解案件"
        verbose_name_plural = "人民调解案件"
        indexes = [
            models.Index(fields=["outcome", "reminded_at", "confirmation_due"], name="mediation_reminders")
        ]

    def __str__(self) -> str:
        return f"{self.application} · {self.get_outcome_display()}"


class MediationSession(models.Model):
    """One mediation held (§22, §27)."""

    data_class = "case"

    case = models.ForeignKey(
        MediationCase,
        verbose_name="调解案件",
        on_delete=models.CASCADE,
        related_name="sessions",
        help_text="人民调解法 §27: 人民调解员应当记录调解情况",
    )
    number = models.PositiveSmallIntegerField("次序", help_text="1, 2, … within the case")
    held_on = models.DateField(
        "调解日期",
        help_text="Between the acceptance and the day it is recorded (人民调解法 §21: 及时、就地进行)",
    )
    place = models.CharField("调解地点", max_length=200, help_text="人民调解法 §21: 就地进行")
    mediators = models.ManyToManyField(
        Mediator,
        verbose_name="参加调解的人民调解员",
        related_name="+",
        help_text="The assigned mediators who took part (人民调解法 §19)",
    )
    parties_present = models.CharField(
        "到场当事人及其他参加人员",
        max_length=300,
        help_text="Parties present and others who took part (人民调解法 §20: 在征得当事人的同意后，可以邀请当事人的亲属、邻里、同事等参与调解)",
    )
    summary = models.TextField(
        "调解情况", help_text="人民调解法 §22, §27: what was heard and proposed (internal)"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="记录人",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The staff member who recorded it",
    )
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True, help_text="When it was recorded")

    class Meta:
        verbose_name = "调解记录"
        verbose_name_plural = "调解记录"
        ordering = ["case", "number"]
        constraints = [models.UniqueConstraint(fields=["case", "number"], name="mediation_session_number")]

    def __str__(self) -> str:
        return f"{self.case.application} 第{self.number}次调解"
