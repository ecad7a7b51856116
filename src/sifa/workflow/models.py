"""The engine state per case and its queryable projection: one ``WorkItem`` per ready user task.

Worklists never touch the engine: they are plain indexed SQL over ``WorkItem`` (``status``,
``scope_path`` = the assigned organisation's path, ``warning_level``, ``due_on``). The projection is
rewritten by every command in the same transaction as the engine state (``sifa.workflow.services.projection``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from sifa.core.db import PathField
from sifa.deadlines.clocks import WarningLevel


class ProcessInstance(models.Model):
    """The SpiffWorkflow state of one case (JSON, without the process spec)."""

    data_class = "case"

    application = models.OneToOneField(
        "applications.Application",
        verbose_name="办件",
        on_delete=models.CASCADE,
        related_name="process",
        help_text="One process per 办件 (GB/T 39046 表5 办件编号), started when it waits for acceptance",
    )
    bpmn_file = models.CharField(
        "流程文件",
        max_length=200,
        help_text="ProcessDefinition.bpmn_file of the pinned catalogue version (docs/workflow.md)",
    )
    process_id = models.CharField("流程标识", max_length=100, help_text="The BPMN process id in that file")
    definition_digest = models.CharField(
        "流程文件摘要",
        max_length=64,
        help_text="SM3 of the BPMN file the case started with; a changed file is refused",
    )
    state = models.JSONField("引擎状态", help_text="SpiffWorkflow serializer output minus the spec")
    version = models.PositiveIntegerField("版本号", default=1, help_text="Bumped by every command")
    completed = models.BooleanField(
        "流程已结束", default=False, help_text="The engine reached an end event, or the case was withdrawn"
    )
    resume_status = models.CharField(
        "恢复后的状态",
        max_length=24,
        blank=True,
        help_text="行政许可法 §45 (GB/T 39046 表7 特别程序): the status to return to when a suspension ends",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True, help_text="When the process started")
    updated_at = models.DateTimeField("更新时间", auto_now=True, help_text="The last command on the case")

    class Meta:
        verbose_name = "流程实例"
        verbose_name_plural = "流程实例"

    def __str__(self) -> str:
        return f"{self.application} · {self.process_id}"


class WorkItemStatus(models.TextChoices):
    OPEN = "open", "待办"
    DONE = "done", "已办"
    CANCELLED = "cancelled", "已取消"


class WorkItem(models.Model):
    """A ready user task of a case, assigned to an organisation and a role."""

    data_class = "case"

    application = models.ForeignKey(
        "applications.Application",
        verbose_name="办件",
        db_index=False,  # workitem_case leads with it
        on_delete=models.CASCADE,
        related_name="work_items",
        help_text="GB/T 39046 表7 事项办理: the case this 环节 belongs to (办件编号)",
    )
    task_id = models.CharField(
        "引擎任务标识", max_length=64, help_text="SpiffWorkflow's id of the ready user task (per case)"
    )
    task_name = models.CharField("流程节点", max_length=100, help_text="BPMN userTask id")
    title = models.CharField("环节", max_length=100, help_text="GB/T 39046 表7 环节名称 (the task's name)")
    kind = models.CharField(
        "环节类型",
        max_length=20,
        help_text="sifa:kind — accept, accept_decide, review, decide, assign, deliver, rule, mediate "
        "(which commands act on it: sifa.workflow.transitions)",
    )
    stage_order = models.PositiveSmallIntegerField(
        "办理环节序号",
        null=True,
        blank=True,
        help_text="sifa:stage — the order of the pinned version's 办理环节 whose sub-clock the task runs under",
    )
    stage_name = models.CharField("办理环节", max_length=100, blank=True, help_text="That 办理环节's name")
    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="办理机构",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="GB/T 39046 表7 处理单位 (+统一社会信用代码): the organisation of the task's lane",
    )
    role = models.CharField(
        "岗位",
        max_length=30,
        help_text="The role that acts, at that organisation itself (window work also from below: 一窗受理)",
    )
    scope_path = PathField("管辖路径", help_text="The assigned organisation's path")
    clock = models.ForeignKey(
        "deadlines.ClockState",
        verbose_name="时限",
        null=True,
        blank=True,
        db_index=False,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The stage sub-clock (or the legal clock) the due date comes from",
    )
    due_on = models.DateField(
        "截止日期",
        null=True,
        blank=True,
        help_text="The clock's due date (行政许可法 §42–§44 or the item's own law), copied for indexed worklists",
    )
    warning_level = models.CharField(
        "预警等级",
        max_length=10,
        choices=WarningLevel.choices,
        default=WarningLevel.GREEN,
        help_text="GB/T 39046 表11 预警类型: the clock's level, copied by sifa refresh-workitems",
    )
    status = models.CharField(
        "状态",
        max_length=10,
        choices=WorkItemStatus.choices,
        default=WorkItemStatus.OPEN,
        help_text="GB/T 39046 表7 环节办理状态 (1 待办 = open, 2 已办 = done); cancelled when the case ends otherwise",
    )
    outcome = models.CharField(
        "办理结果",
        max_length=20,
        blank=True,
        help_text="GB/T 39046 表7 业务动作 (通过/退回/其他): approve, return, accept, deny, refuse, …",
    )
    opinion = models.TextField("意见", blank=True, help_text="GB/T 39046 表7 环节处理意见 (internal)")
    created_at = models.DateTimeField("创建时间", auto_now_add=True, help_text="GB/T 39046 表7 环节开始时间")
    completed_at = models.DateTimeField(
        "办结时间", null=True, blank=True, help_text="GB/T 39046 表7 环节结束时间"
    )
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="办理人",
        null=True,
        blank=True,
        db_index=False,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="GB/T 39046 表7 环节处理人 (empty: the system, e.g. 行政许可法 §32 deemed acceptance)",
    )

    class Meta:
        verbose_name = "待办事项"
        verbose_name_plural = "待办事项"
        ordering = ["application", "created_at", "id"]
        indexes = [
            models.Index(fields=["status", "scope_path"], name="workitem_open_scope"),
            models.Index(fields=["status", "warning_level", "due_on"], name="workitem_open_warning"),
            models.Index(fields=["application", "status"], name="workitem_case"),
            # Indexed where set: an open item (no one has completed it) enters no entry here.
            models.Index(fields=["clock"], name="workitem_clock_set", condition=Q(clock__isnull=False)),
            models.Index(
                fields=["completed_by"],
                name="workitem_completed_by_set",
                condition=Q(completed_by__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application} · {self.title}"


class CaseDocumentKind(models.TextChoices):
    """What a case document job produces: a notice or decision letter (sifa.documents), or only the
    e-licence (an approved non-licensing item whose result is a licence, e.g. 法律援助决定书)."""

    ACCEPTANCE_NOTICE = "acceptance_notice", "受理通知书"
    REFUSAL_NOTICE = "refusal_notice", "不予受理通知书"
    CORRECTION_NOTICE = "correction_notice", "补正告知书"
    APPROVAL_DECISION = "approval_decision", "准予行政许可决定书"
    DENIAL_DECISION = "denial_decision", "不予行政许可决定书"
    LICENCE = "licence", "电子证照"
    LEGAL_AID_DENIAL = "legal_aid_denial", "不予法律援助决定书"
    OBJECTION_DECISION = "objection_decision", "法律援助异议审查决定书"
    MEDIATION_AGREEMENT = "mediation_agreement", "人民调解协议书"
    MEDIATION_TERMINATION = "mediation_termination", "调解终止记录"


class CaseDocumentStatus(models.TextChoices):
    PENDING = "pending", "待出具"
    FAILED = "failed", "出具失败，待重试"
    ISSUED = "issued", "已出具"


class CaseDocument(models.Model):
    """A document (and for approvals the e-licence) a workflow command owes the applicant.

    Written in the command's transaction, so the decision and the promise to issue its documents
    commit together; rendering and sealing (~0.5 s) happen afterwards in a task. The unique key
    (application, kind, key) makes issuance idempotent: a retried task finds the row issued.
    """

    data_class = "case"

    application = models.ForeignKey(
        "applications.Application",
        verbose_name="办件",
        on_delete=models.CASCADE,
        related_name="case_documents",
        help_text="The case that owes the document",
    )
    kind = models.CharField(
        "文书种类",
        max_length=30,
        choices=CaseDocumentKind.choices,
        help_text="受理/不予受理通知书 and 补正告知书 (行政许可法 §32), 准予/不予决定书 (§38), 电子证照 (§39) …",
    )
    key = models.CharField(
        "区分键", max_length=64, blank=True, help_text="Empty, or the correction notice's id (one per notice)"
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="出具机关",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Whose seal it bears (行政许可法 §32(2): 加盖本行政机关专用印章; §39: 加盖本行政机关印章)",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="作出决定的人员",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The licence is signed on this decision maker's authority (None: the system)",
    )
    context = models.JSONField(
        "文书内容", default=dict, blank=True, help_text="Command input the letter cites, e.g. reasons"
    )
    issued_on = models.DateField(
        "成文日期",
        help_text="GB/T 9704-2012 成文日期: the date of the command, not of the (later) rendering",
    )
    status = models.CharField(
        "状态",
        max_length=10,
        choices=CaseDocumentStatus.choices,
        default=CaseDocumentStatus.PENDING,
        help_text="pending → issued; a failure is marked failed (and audited) and retried",
    )
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0, help_text="Failed attempts so far")
    last_error = models.CharField(
        "最近一次失败原因", max_length=500, blank=True, help_text="Why the last attempt failed, for staff"
    )
    next_attempt_at = models.DateTimeField(
        "下次重试时间",
        null=True,
        blank=True,
        help_text="When sifa issue-pending-documents tries again (back-off doubles, at most an hour)",
    )
    document = models.ForeignKey(
        "documents.Document",
        verbose_name="文书",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The sealed document; its 文号 is GB/T 39046 表6 受理文书编号 for an acceptance notice",
    )
    licence = models.ForeignKey(
        "licences.Licence",
        verbose_name="电子证照",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="GB/T 39046 表8 结果证照: the licence issued, re-issued or cancelled by the decision",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True, help_text="When the command owed it")
    issued_at = models.DateTimeField(
        "出具时间", null=True, blank=True, help_text="When it was sealed and delivered to the applicant"
    )

    class Meta:
        verbose_name = "办件文书"
        verbose_name_plural = "办件文书"
        ordering = ["application", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["application", "kind", "key"], name="case_document_once"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="case_document_pending")]

    def __str__(self) -> str:
        return f"{self.application} · {self.get_kind_display()}"


class StartAlert(models.Model):
    """A case whose process could not be started (e.g. its version names no shipped process file).

    Nobody can act on such a case, so it must not sit unseen: the §32 job and the start after
    pre-review record it here (and in the log) instead of failing, the workbench shows it to staff
    whose jurisdiction covers the case, and a later successful start resolves it.
    """

    data_class = "case"

    application = models.OneToOneField(
        "applications.Application",
        verbose_name="办件",
        on_delete=models.CASCADE,
        related_name="start_alert",
        help_text="The case whose process could not be started (one alert per case)",
    )
    code = models.CharField(
        "错误代码", max_length=60, help_text="The ServiceError code, e.g. workflow.no_process"
    )
    message = models.CharField(
        "原因", max_length=500, help_text="The reason in Chinese, shown in the workbench"
    )
    source = models.CharField(
        "发现环节",
        max_length=40,
        help_text="deemed_acceptance (§32 job) or ready_for_acceptance (pre-review)",
    )
    occurrences = models.PositiveIntegerField("发生次数", default=1, help_text="How often the start failed")
    first_seen_at = models.DateTimeField("首次发现时间", auto_now_add=True, help_text="The first failure")
    last_seen_at = models.DateTimeField("最近发现时间", help_text="The latest failure")
    resolved_at = models.DateTimeField(
        "解除时间", null=True, blank=True, help_text="When the case started after all (empty: still open)"
    )
    scope_path = PathField("管辖路径", db_index=True, help_text="The case's scope path")

    class Meta:
        verbose_name = "办件启动告警"
        verbose_name_plural = "办件启动告警"
        ordering = ["-last_seen_at", "id"]

    def __str__(self) -> str:
        return f"{self.application} · {self.code}"
