"""Issued documents (文书) and their number sequences.

A document's PDF lives in file storage (``MEDIA_ROOT/documents/…`` by default); the row keeps its
storage key, its SM3 digest and the detached SM2 signature with its key id, so anyone holding the
file can check it against the row (docs/documents.md).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from sifa.core.db import PathField


class DocumentKind(models.TextChoices):
    ACCEPTANCE_NOTICE = "acceptance_notice", "受理通知书"
    REFUSAL_NOTICE = "refusal_notice", "不予受理通知书"
    CORRECTION_NOTICE = "correction_notice", "补正告知书"
    APPROVAL_DECISION = "approval_decision", "准予行政许可决定书"
    DENIAL_DECISION = "denial_decision", "不予行政许可决定书"
    LEGAL_AID_DENIAL = "legal_aid_denial", "不予法律援助决定书"
    OBJECTION_DECISION = "objection_decision", "法律援助异议审查决定书"
    MEDIATION_AGREEMENT = "mediation_agreement", "人民调解协议书"
    MEDIATION_TERMINATION = "mediation_termination", "调解终止记录"
    PERFORMANCE_REPORT = "performance_report", "绩效通报"


ONCE_PER_SUBJECT = (DocumentKind.PERFORMANCE_REPORT,)
"""Kinds an organisation issues at most once per related object (one *current* 通报 per month): the
database refuses a second one not withdrawn (``document_once_per_subject``), so two concurrent
issuers cannot both win; once the first is withdrawn (已撤销) a corrected one may be issued."""

CIRCULATED_KINDS = (DocumentKind.PERFORMANCE_REPORT,)
"""Kinds addressed to the organisations below the issuer (a 通报 通报-s its subtree): staff of any
organisation in the issuer's subtree read them, not only the issuer's own (``selectors``)."""

WITHDRAWABLE_KINDS = (DocumentKind.PERFORMANCE_REPORT,)
"""Kinds that may be withdrawn (撤销) when wrong: marked 已撤销 with reason, who and when, never deleted."""


class DocumentNumberSequence(models.Model):
    """The last number used per issuing organisation, kind and year (发文字号, GB/T 9704-2012 §7.2.5)."""

    data_class = "internal"

    organisation = models.ForeignKey(
        "organisations.Organisation", verbose_name="发文机关", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField("文书种类", max_length=30, choices=DocumentKind.choices)
    year = models.PositiveSmallIntegerField("年度")
    last_number = models.PositiveIntegerField("已用最大序号", default=0)

    class Meta:
        verbose_name = "文号序列"
        verbose_name_plural = "文号序列"
        constraints = [
            models.UniqueConstraint(fields=["organisation", "kind", "year"], name="document_sequence_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id}·{self.kind}·{self.year}: {self.last_number}"


class Document(models.Model):
    """One sealed document issued to a recipient about a case (e.g. an application)."""

    data_class = "case"

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField("文书种类", max_length=30, choices=DocumentKind.choices, db_index=True)
    title = models.CharField("标题", max_length=100)
    number = models.CharField(
        "文号", max_length=64, help_text="e.g. 浙司许〔2026〕1号 (GB/T 9704-2012 §7.2.5)"
    )
    year = models.PositiveSmallIntegerField("年度")
    sequence = models.PositiveIntegerField("序号")
    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="发文机关",
        on_delete=models.PROTECT,
        related_name="documents",
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="送达对象",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="documents",
    )
    related_type = models.CharField("关联对象类型", max_length=50, blank=True, help_text="e.g. application")
    related_id = models.CharField(
        "关联对象标识", max_length=64, blank=True, help_text="e.g. the application number"
    )
    storage_key = models.CharField("文件存储键", max_length=255)
    size = models.PositiveIntegerField("文件大小（字节）")
    sm3 = models.CharField(
        "SM3 摘要", max_length=64, db_index=True, help_text="GB/T 32905, hex, of the sealed PDF"
    )
    sm2_signature = models.BinaryField(
        "SM2 签名",
        help_text="GB/T 32918.2 DER signature over the 32-byte SM3 digest (distid 1234567812345678)",
    )
    sm2_key_id = models.CharField("签名密钥标识", max_length=64)
    seal_certificate_serial = models.CharField("印章证书序列号", max_length=40, help_text="hex")
    scope_path = PathField("管辖路径", db_index=True)
    created_at = models.DateTimeField("出具时间", default=timezone.now, db_index=True)
    withdrawn_at = models.DateTimeField(
        "撤销时间",
        null=True,
        blank=True,
        help_text="set when a wrong 通报 is withdrawn (已撤销); never deleted",
    )
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="撤销人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    withdrawal_reason = models.TextField("撤销理由", blank=True)

    class Meta:
        verbose_name = "文书"
        verbose_name_plural = "文书"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "number"], name="document_number_unique"),
            models.UniqueConstraint(
                fields=["organisation", "kind", "year", "sequence"], name="document_sequence_number_unique"
            ),
            models.UniqueConstraint(
                fields=["organisation", "kind", "related_type", "related_id"],
                condition=models.Q(kind__in=ONCE_PER_SUBJECT, withdrawn_at__isnull=True),
                name="document_once_per_subject",
            ),
        ]
        indexes = [models.Index(fields=["related_type", "related_id"], name="document_related")]

    def __str__(self) -> str:
        return f"{self.title} {self.number}"

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def status_label(self) -> str:
        return "已撤销" if self.withdrawn_at is not None else "有效"
