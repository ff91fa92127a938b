"""Policy editions held in the database, so officers can copy, edit and publish them on the web.

``document`` is the validated edition as one mapping — the shape ``shuzhuan.rules.loader``
builds from an edition directory (``edition_document``) and validates (``edition_from_document``).
The effective dates are also columns (kept equal to the document's) so the edition in force can
be found by a query. The shipped editions (``shuzhuan/rules/editions``) are loaded, published,
by the data migration ``0002_load_shipped_editions``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class PolicyEdition(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        PUBLISHED = "published", "已发布"

    edition_id = models.SlugField("版本编号", max_length=64, unique=True)
    document = models.JSONField("版本内容")
    effective_from = models.DateField("生效日期")
    effective_to = models.DateField("失效日期", null=True, blank=True)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.DRAFT)
    based_on = models.ForeignKey(
        "self", verbose_name="基于版本", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="创建人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="发布人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        ordering = ["-effective_from", "edition_id"]
        verbose_name = "政策版本"
        verbose_name_plural = "政策版本"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(effective_to__isnull=True)
                | models.Q(effective_to__gte=models.F("effective_from")),
                name="policy_edition_dates_in_order",
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft") | models.Q(published_at__isnull=False),
                name="policy_edition_published_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.edition_id} ({self.get_status_display()})"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT
