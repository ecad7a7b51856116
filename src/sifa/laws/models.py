"""Statutes (法律、行政法规、司法解释 …), their headings (编/章/节) and articles (条).

A statute is one version of one act, as one source file: ``律师法(2017-09-01).md`` is the 律师法
as amended on 2017-09-01. Its ``slug`` (file name without the extension, the date joined with a
hyphen) is its stable address: ``/laws/律师法-2017-09-01/``. Articles are addressed by number
and 之N suffix: ``6`` is 第六条, ``6-1`` 第六条之一.
"""

from __future__ import annotations

from django.db import models
from django.urls import reverse


class Effectiveness(models.TextChoices):
    CURRENT = "current", "现行有效"
    AMENDED = "amended", "已修订"
    REPEALED = "repealed", "已废止"


class Statute(models.Model):
    data_class = "public"

    slug = models.CharField("地址标识", max_length=200, unique=True)
    title = models.CharField("标题", max_length=300)
    short_title = models.CharField(
        "简称", max_length=200, db_index=True, help_text="文件名中的名称，如“律师法”"
    )
    category = models.CharField(
        "类别", max_length=100, db_index=True, help_text="来源目录名，如“行政法”“行政法规”"
    )
    version_date = models.DateField("版本日期", null=True, blank=True)
    issuing_body = models.CharField("制定机关", max_length=300, blank=True)
    adopted_on = models.DateField("通过或公布日期", null=True, blank=True)
    amended_on = models.DateField("最近修改日期", null=True, blank=True)
    history = models.TextField("制定与修改沿革", blank=True)
    effectiveness = models.CharField(
        "时效性",
        max_length=20,
        choices=Effectiveness.choices,
        blank=True,
        help_text="来源文件注明时填写；库中另有同名较新版本的，标为已修订；否则留空（来源未说明）",
    )
    preamble = models.TextField("序言或说明", blank=True)
    source_path = models.CharField("来源文件", max_length=500, unique=True)
    source_hash = models.CharField(
        "来源文件摘要", max_length=64, help_text="SHA-256；未变化的文件重新导入时跳过"
    )
    article_count = models.PositiveIntegerField("条文数", default=0)
    imported_at = models.DateTimeField("导入时间", auto_now=True)

    class Meta:
        verbose_name = "法律法规"
        verbose_name_plural = "法律法规"
        ordering = ["category", "short_title", "-version_date"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("laws-statute", args=[self.slug])


class Heading(models.Model):
    """编、章、节 (or 一、二、 in interpretations): ``level`` 1 is the outermost heading."""

    data_class = "public"

    statute = models.ForeignKey(Statute, on_delete=models.CASCADE, related_name="headings")
    level = models.PositiveSmallIntegerField("层级")
    title = models.CharField("标题", max_length=300)
    position = models.PositiveIntegerField("顺序")

    class Meta:
        verbose_name = "章节"
        verbose_name_plural = "章节"
        ordering = ["statute", "position"]

    def __str__(self) -> str:
        return self.title

    @property
    def anchor(self) -> str:
        return f"h{self.position}"


class Article(models.Model):
    data_class = "public"

    statute = models.ForeignKey(Statute, on_delete=models.CASCADE, related_name="articles")
    heading = models.ForeignKey(
        Heading, on_delete=models.SET_NULL, null=True, blank=True, related_name="articles"
    )
    number = models.PositiveIntegerField("条号")
    suffix = models.PositiveSmallIntegerField("之几", default=0, help_text="第六条之一为 1；普通条文为 0")
    label = models.CharField("条文序号", max_length=40, help_text="如“第六条”“第六条之一”")
    text = models.TextField("条文", help_text="各款以换行分隔，不含条文序号")
    position = models.PositiveIntegerField("顺序")
    search_text = models.TextField("检索词", blank=True, editable=False)
    title_words = models.TextField(
        "标题检索词", blank=True, editable=False, help_text="所属法规标题的分词，排序时加权"
    )

    class Meta:
        verbose_name = "条文"
        verbose_name_plural = "条文"
        ordering = ["statute", "position"]
        indexes = [models.Index(fields=["statute", "number", "suffix"])]

    def __str__(self) -> str:
        return f"{self.statute.short_title}{self.label}"

    def get_absolute_url(self) -> str:
        return reverse("laws-article", args=[self.statute.slug, self.key])

    @property
    def key(self) -> str:
        """The article's part of the URL: ``6``, or ``6-1`` for 第六条之一."""
        return f"{self.number}-{self.suffix}" if self.suffix else str(self.number)

    @property
    def paragraphs(self) -> list[str]:
        return [p for p in self.text.split("\n") if p]


class LibraryVersion(models.Model):
    """The law library's version: one row (id 1) whose ``value`` the importer raises in the
    transaction of every import that changed a statute. Read models that render links to articles
    (the catalogue's guide pages) keep the value they were rendered under and are not served once
    it moved on."""

    data_class = "public"

    value = models.PositiveBigIntegerField("版本", default=0)
    changed_at = models.DateTimeField("变更时间", auto_now=True)

    class Meta:
        verbose_name = "法律法规库版本"
        verbose_name_plural = "法律法规库版本"

    def __str__(self) -> str:
        return str(self.value)
