"""The cockpit's stored data: figures of peer counties imported from .xlsx (同级比较).

Our own figures are never stored here: they are computed live (``shuzhuan.cockpit.figures``).
A peer figure is what the city or province published for another county (or for us), so a
rank such as "居宁波第一" can be stated from data rather than asserted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class PeerFigure(models.Model):
    """One published figure of one region: indicator × year × comparison group × region."""

    indicator = models.CharField("指标代码", max_length=96)
    year = models.PositiveSmallIntegerField("年度")
    group = models.CharField("比较范围", max_length=32, help_text="如“宁波”“全省”")
    region_name = models.CharField("地区", max_length=64, help_text="如“余姚市”")
    value = models.DecimalField("数值", max_digits=18, decimal_places=2)
    source = models.CharField("来源文件", max_length=255)
    imported_at = models.DateTimeField("导入时间")
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="导入人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["indicator", "-year", "group", "-value", "region_name"]
        verbose_name = "同级比较数据"
        verbose_name_plural = "同级比较数据"
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "year", "group", "region_name"], name="peer_figure_one_per_region"
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="peer_figure_value_not_negative"),
            models.CheckConstraint(
                condition=Q(year__gte=2000, year__lte=2100), name="peer_figure_year_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.group} {self.region_name} {self.indicator} = {self.value}"
