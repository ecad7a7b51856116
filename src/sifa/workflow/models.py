"""The engine state per case and its queryable projection: one ``WorkItem`` per ready user task.

Worklists never touch the engine: they are plain indexed SQL over ``WorkItem`` (``status``,
``scope_path`` = the assigned organisation's path, ``warning_level``, ``due_on``). The projection is
rewritten by every command in the same transaction as the engine state (``sifa.workflow.projection``).
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
