"""The enterprise registry: regions (towns), industries, enterprises and their qualifications."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from shuzhuan.core.models import TimeStampedModel


class Region(models.Model):
    """A node of the administrative tree: province → city → county → town/street.

    ``path`` is the chain of codes from the root ("/zhejiang/ningbo/cixi/cixi-hushan/"), so a
    subtree is one ``path__startswith`` filter on an indexed column.
    """

    class Level(models.TextChoices):
        PROVINCE = "province", "省"
        CITY = "city", "市"
        COUNTY = "county", "县（市、区）"
        TOWN = "town", "镇（街道）"

    code = models.SlugField("代码", max_length=64, unique=True)
    name = models.CharField("名称", max_length=64)
    level = models.CharField("层级", max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField("路径", max_length=400, unique=True)
    aliases = models.JSONField("别名", default=list, blank=True)
    sort_order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"

    def __str__(self) -> str:
        return self.name

    def is_within(self, other: Region) -> bool:
        return self.path.startswith(other.path)


class Industry(models.Model):
    code = models.SlugField("代码", max_length=64, unique=True)
    name = models.CharField("名称", max_length=64, unique=True)
    synonyms = models.JSONField("同义词", default=list, blank=True)
    sort_order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = "行业"
        verbose_name_plural = "行业"

    def __str__(self) -> str:
        return self.name


class QualificationType(models.Model):
    class Level(models.TextChoices):
        NATIONAL = "national", "国家级"
        PROVINCIAL = "provincial", "省级"
        CITY = "city", "市级（宁波）"

    code = models.SlugField("代码", max_length=64, unique=True)
    name = models.CharField("名称", max_length=64, unique=True)
    level = models.CharField("级别", max_length=16, choices=Level.choices)
    category = models.CharField("类别", max_length=32)
    synonyms = models.JSONField("同义词", default=list, blank=True)
    sort_order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = "资质类型"
        verbose_name_plural = "资质类型"

    def __str__(self) -> str:
        return self.name


class Enterprise(TimeStampedModel):
    class Status(models.TextChoices):
        ACTIVE = "active", "存续"
        DEREGISTERED = "deregistered", "注销"
        REVOKED = "revoked", "吊销"
        MOVED_OUT = "moved_out", "迁出"

    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True)
    name = models.CharField("企业名称", max_length=200, db_index=True)
    town = models.ForeignKey(
        Region, verbose_name="所属镇（街道）", on_delete=models.PROTECT, related_name="enterprises"
    )
    industry = models.ForeignKey(
        Industry, verbose_name="所属行业", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_sme = models.BooleanField("中小企业", default=True)
    above_scale = models.BooleanField("规上工业企业", default=False)
    employees = models.PositiveIntegerField("从业人数", null=True, blank=True)
    revenue = models.DecimalField("营业收入（元）", max_digits=16, decimal_places=2, null=True, blank=True)
    has_rd_activity = models.BooleanField("有研发活动", default=False)
    status = models.CharField("经营状态", max_length=16, choices=Status.choices, default=Status.ACTIVE)

    class Meta:
        ordering = ["name", "uscc"]
        verbose_name = "企业"
        verbose_name_plural = "企业"
        indexes = [
            models.Index(fields=["town", "industry"], name="ent_town_industry"),
            models.Index(fields=["status"], name="ent_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(revenue__gte=0) | Q(revenue__isnull=True), name="ent_revenue_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.uscc}）"


# The registry fields a person keeps by hand, in page order, with the words forms, messages and the
# change history use (营业收入 without a unit: pages show 万元, the database and the API hold 元).
ENTERPRISE_FIELD_LABELS: dict[str, str] = {
    "uscc": "统一社会信用代码",
    "name": "企业名称",
    "town": "所属镇（街道）",
    "industry": "所属行业",
    "is_sme": "中小企业",
    "above_scale": "规上工业企业",
    "employees": "从业人数",
    "revenue": "营业收入",
    "has_rd_activity": "有研发活动",
    "status": "经营状态",
}


class Qualification(models.Model):
    enterprise = models.ForeignKey(
        Enterprise, verbose_name="企业", on_delete=models.CASCADE, related_name="qualifications"
    )
    type = models.ForeignKey(
        QualificationType, verbose_name="资质", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        ordering = ["-year", "type__sort_order"]
        verbose_name = "企业资质"
        verbose_name_plural = "企业资质"
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "type", "year"], name="qualification_unique_per_year"
            ),
            models.CheckConstraint(
                condition=Q(year__gte=1990) & Q(year__lte=2100), name="qualification_year_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type.name}（{self.year}）"
