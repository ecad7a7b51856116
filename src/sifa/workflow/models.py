"""The engine state per case and its queryable projection: one ``WorkItem`` per ready user task.

Worklists never touch the engine: they are plain indexed SQL over ``WorkItem`` (``status``,
``scope_path`` = the assigned organisation's path, ``warning_level``, ``due_on``). The projection is
rewritten by every command in the same transaction as the engine state (``sifa.workflow.services.projection``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from sifa.core.db import PathField
from sifa.deadlines.clocks import WarningLevel


class ProcessInstance(models.Model):
    """The SpiffWorkflow state of one case (JSON, without the process spec)."""

    data_class = "case"

    application = models.OneToOneField(
        "applications.Application", verbose_name="办件", on_delete=models.CASCADE, related_name="process"
    )
    bpmn_file = models.CharField("流程文件", max_length=200, help_text="ProcessDefinition.bpmn_file")
    process_id = models.CharField("流程标识", max_length=100)
    definition_digest = models.CharField(
        "流程文件摘要",
        max_length=64,
        help_text="SM3 of the BPMN file the case started with; a changed file is refused",
    )
    state = models.JSONField("引擎状态", help_text="SpiffWorkflow serializer output minus the spec")
    version = models.PositiveIntegerField("版本号", default=1, help_text="Bumped by every command")
    completed = models.BooleanField("流程已结束", default=False)
    resume_status = models.CharField(
        "恢复后的状态", max_length=24, blank=True, help_text="Status to return to when a §45 suspension ends"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

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
        "applications.Application", verbose_name="办件", on_delete=models.CASCADE, related_name="work_items"
    )
    task_id = models.CharField("引擎任务标识", max_length=64)
    task_name = models.CharField("流程节点", max_length=100, help_text="BPMN userTask id")
    title = models.CharField("环节", max_length=100)
    kind = models.CharField("环节类型", max_length=20)
    stage_order = models.PositiveSmallIntegerField("办理环节序号", null=True, blank=True)
    stage_name = models.CharField("办理环节", max_length=100, blank=True)
    organisation = models.ForeignKey(
        "organisations.Organisation", verbose_name="办理机构", on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField("岗位", max_length=30)
    scope_path = PathField("管辖路径", help_text="The assigned organisation's path")
    clock = models.ForeignKey(
        "deadlines.ClockState",
        verbose_name="时限",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The stage sub-clock (or the legal clock) the due date comes from",
    )
    due_on = models.DateField("截止日期", null=True, blank=True)
    warning_level = models.CharField(
        "预警等级", max_length=10, choices=WarningLevel.choices, default=WarningLevel.GREEN
    )
    status = models.CharField(
        "状态", max_length=10, choices=WorkItemStatus.choices, default=WorkItemStatus.OPEN
    )
    outcome = models.CharField("办理结果", max_length=20, blank=True)
    opinion = models.TextField("意见", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    completed_at = models.DateTimeField("办结时间", null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="办理人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = "待办事项"
        verbose_name_plural = "待办事项"
        ordering = ["application", "created_at", "id"]
        indexes = [
            models.Index(fields=["status", "scope_path"], name="workitem_open_scope"),
            models.Index(fields=["status", "warning_level", "due_on"], name="workitem_open_warning"),
            models.Index(fields=["application", "status"], name="workitem_case"),
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
    )
    kind = models.CharField("文书种类", max_length=30, choices=CaseDocumentKind.choices)
    key = models.CharField(
        "区分键", max_length=64, blank=True, help_text="Empty, or the correction notice's id (one per notice)"
    )
    organisation = models.ForeignKey(
        "organisations.Organisation", verbose_name="出具机关", on_delete=models.PROTECT, related_name="+"
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
        "成文日期", help_text="The date of the command, not of the (later) rendering"
    )
    status = models.CharField(
        "状态", max_length=10, choices=CaseDocumentStatus.choices, default=CaseDocumentStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    last_error = models.CharField("最近一次失败原因", max_length=500, blank=True)
    next_attempt_at = models.DateTimeField("下次重试时间", null=True, blank=True)
    document = models.ForeignKey(
        "documents.Document",
        verbose_name="文书",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    licence = models.ForeignKey(
        "licences.Licence",
        verbose_name="电子证照",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    issued_at = models.DateTimeField("出具时间", null=True, blank=True)

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
    )
    code = models.CharField(
        "错误代码", max_length=60, help_text="The ServiceError code, e.g. workflow.no_process"
    )
    message = models.CharField("原因", max_length=500)
    source = models.CharField(
        "发现环节",
        max_length=40,
        help_text="deemed_acceptance (§32 job) or ready_for_acceptance (pre-review)",
    )
    occurrences = models.PositiveIntegerField("发生次数", default=1)
    first_seen_at = models.DateTimeField("首次发现时间", auto_now_add=True)
    last_seen_at = models.DateTimeField("最近发现时间")
    resolved_at = models.DateTimeField("解除时间", null=True, blank=True)
    scope_path = PathField("管辖路径", db_index=True, help_text="The case's scope path")

    class Meta:
        verbose_name = "办件启动告警"
        verbose_name_plural = "办件启动告警"
        ordering = ["-last_seen_at", "id"]

    def __str__(self) -> str:
        return f"{self.application} · {self.code}"
