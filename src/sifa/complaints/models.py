"""投诉举报: a complaint (投诉) or report (举报) and its supervision (督办).

* ``Complaint`` — about a case (办件编号), a service or a staff member's conduct, named or
  anonymous (followed by a tracking code). Handled by the supervisors (监督人员) of the
  organisation complained about, or of the nearest bureau above that has supervisors; replied to
  within ``SIFA_COMPLAINT_REPLY_DAYS`` working days. The complainant's name, phone number, the
  text and the reply are sealed (SM4-GCM) with the row's UUID; lists show masked copies, and
  never to the staff member complained about.
* ``Supervision`` — 督办 by a level above the handling organisation: a deadline and, when asked,
  a report (情况报告) the handling organisation owes.
* ``ComplaintEvent`` — the history, without personal data.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from sifa.core.crypto import field_cipher
from sifa.core.db import PathField
from sifa.organisations.history import HistoryEvent


def sealed_aad(model: str, public_id: uuid.UUID, field: str) -> str:
    return f"complaints.{model}:{public_id}:{field}"


class Kind(models.TextChoices):
    COMPLAINT = "complaint", "投诉"
    REPORT = "report", "举报"


class SubjectKind(models.TextChoices):
    CASE = "case", "办件"
    SERVICE = "service", "服务"
    CONDUCT = "conduct", "工作人员行为"


class Status(models.TextChoices):
    SUBMITTED = "submitted", "待受理"
    ACCEPTED = "accepted", "办理中"
    REPLIED = "replied", "已答复"
    CLOSED = "closed", "已办结"


OPEN_STATUSES = (Status.SUBMITTED, Status.ACCEPTED)


def current_reply_days() -> int:
    """``SIFA_COMPLAINT_REPLY_DAYS`` now: the limit a complaint opened now is given (and, once, the
    limit migration 0002 gave the complaints that existed before the limit was stored)."""
    return int(settings.COMPLAINT_REPLY_DAYS)


class Complaint(models.Model):
    """投诉举报件."""

    data_class = "personal"

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(
        "投诉编号",
        max_length=30,
        unique=True,
        help_text="TS + region code of the handling organisation + yyyymmdd + 6-digit daily sequence",
    )
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    subject_kind = models.CharField("投诉对象", max_length=10, choices=SubjectKind.choices)
    application = models.ForeignKey(
        "applications.Application",
        verbose_name="所涉办件",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="被投诉机构",
        on_delete=models.PROTECT,
        related_name="+",
    )
    handler = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="办理机构",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The organisation whose supervisors handle it: the one complained about, or the "
        "nearest bureau above with supervisors",
    )
    scope_path = PathField("管辖路径", db_index=True, help_text="The handling organisation's path")
    staff_member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="被投诉工作人员",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Never shown the complainant's identity",
    )
    complainant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="投诉人账户",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
        help_text="Empty when anonymous: followed by number and tracking code",
    )
    anonymous = models.BooleanField("匿名", default=False)
    name_enc = models.BinaryField("姓名（密文）", null=True, editable=False)
    name_masked = models.CharField("姓名（脱敏）", max_length=60, blank=True, editable=False)
    phone_enc = models.BinaryField("联系电话（密文）", null=True, editable=False)
    phone_masked = models.CharField("联系电话（脱敏）", max_length=20, blank=True, editable=False)
    wants_sms = models.BooleanField("短信告知办理结果", default=False)
    tracking_code_digest = models.CharField("查询码摘要", max_length=64, blank=True, editable=False)
    tracking_code_enc = models.BinaryField("查询码（密文）", null=True, editable=False)
    text_enc = models.BinaryField("投诉内容（密文）", editable=False)
    reply_enc = models.BinaryField("答复（密文）", null=True, editable=False)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    reply_days = models.PositiveSmallIntegerField(
        "答复时限（工作日）",
        default=current_reply_days,
        help_text="SIFA_COMPLAINT_REPLY_DAYS when it was made; a change of the working calendar "
        "counts the due date again with this limit, never with a later setting",
    )
    due_date = models.DateField("答复期限")
    due_provisional = models.BooleanField("期限暂定", default=False)
    overdue_at = models.DateTimeField("逾期升级时间", null=True, blank=True)
    accepted_at = models.DateTimeField("受理时间", null=True, blank=True)
    replied_at = models.DateTimeField("答复时间", null=True, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    idempotency_owner = models.CharField("幂等键所有人", max_length=80, blank=True, editable=False)
    idempotency_key = models.CharField("幂等键", max_length=200, blank=True, editable=False)
    request_digest = models.CharField("请求摘要", max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField("提出时间", default=timezone.now)
    updated_at = models.DateTimeField("更新时间", default=timezone.now)

    class Meta:
        verbose_name = "投诉举报"
        verbose_name_plural = "投诉举报"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "due_date"], name="complaint_status_due")]
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_owner", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="complaint_idempotency_once",
            )
        ]

    def __str__(self) -> str:
        return self.number

    def _open(self, blob: bytes | memoryview | None, field: str) -> str:
        return field_cipher().open(blob, sealed_aad("Complaint", self.public_id, field)) if blob else ""

    def reveal_text(self) -> str:
        return self._open(self.text_enc, "text")

    def reveal_reply(self) -> str:
        return self._open(self.reply_enc, "reply")

    def reveal_name(self) -> str:
        return self._open(self.name_enc, "name")

    def reveal_phone(self) -> str:
        return self._open(self.phone_enc, "phone")

    def reveal_tracking_code(self) -> str:
        return self._open(self.tracking_code_enc, "tracking_code")

    @property
    def is_overdue(self) -> bool:
        return self.status in OPEN_STATUSES and self.due_date < timezone.localdate()


class Supervision(models.Model):
    """督办: a level above the handling organisation sets a deadline and may require a report."""

    data_class = "case"

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="supervisions")
    organisation = models.ForeignKey(
        "organisations.Organisation", verbose_name="督办机构", on_delete=models.PROTECT, related_name="+"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="督办人", on_delete=models.PROTECT, related_name="+"
    )
    instruction = models.CharField("督办意见", max_length=500)
    deadline = models.DateField("督办期限")
    requires_report = models.BooleanField("要求报告办理情况", default=True)
    report = models.TextField("情况报告", blank=True)
    reported_at = models.DateTimeField("报告时间", null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="报告人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField("督办时间", default=timezone.now)

    class Meta:
        verbose_name = "督办"
        verbose_name_plural = "督办"
        ordering = ["complaint", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.complaint_id}:{self.deadline}"

    @property
    def is_overdue(self) -> bool:
        return self.requires_report and self.reported_at is None and self.deadline < timezone.localdate()


class EventKind(models.TextChoices):
    SUBMITTED = "submitted", "提出"
    ROUTED = "routed", "分派办理机构"
    ACCEPTED = "accepted", "受理"
    SUPERVISED = "supervised", "督办"
    REPORTED = "reported", "报告办理情况"
    REPLIED = "replied", "答复"
    SMS_SENT = "sms", "短信告知办理结果"
    OVERDUE = "overdue", "逾期提示上级"
    DUE_MOVED = "due_moved", "答复期限调整"
    OVERDUE_WITHDRAWN = "overdue_withdrawn", "撤销逾期提示"
    CLOSED = "closed", "办结"


class ComplaintEvent(HistoryEvent):
    """One step of a complaint's history (``at``, ``actor``, ``organisation``, ``note`` from
    ``HistoryEvent``); ``note`` holds no personal data."""

    data_class = "case"

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField("事项", max_length=20, choices=EventKind.choices)

    class Meta:
        verbose_name = "投诉举报记录"
        verbose_name_plural = "投诉举报记录"
        ordering = ["complaint", "at", "id"]
