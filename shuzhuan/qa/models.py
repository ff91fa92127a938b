"""The 智能应答 corpus: documents split into passages (what retrieval searches), curated FAQ
answers, and the questions no passage answered well enough (for officers to follow up).

A document is one of three kinds: a published policy edition (built from the edition's data by
``corpus_sync_editions``, rebuilt when the edition changes), a file an officer ingested
(``qa_ingest``; one document per file content, keyed by its SHA-256), or an active FAQ entry.
Passages are only ever replaced with their document, never edited in place, so the highest
passage id and the passage count together say whether the search index is current.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class FAQ(models.Model):
    question = models.CharField("问题", max_length=500)
    answer = models.TextField("答复")
    citations = models.TextField("依据", blank=True, help_text="文号、条款或文件名，一行一条")
    active = models.BooleanField("启用", default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="创建人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "常见问题"
        verbose_name_plural = "常见问题"

    def __str__(self) -> str:
        return self.question


class Document(models.Model):
    class Kind(models.TextChoices):
        EDITION = "edition", "政策版本"
        INGESTED = "ingested", "导入文件"
        FAQ = "faq", "常见问题"

    kind = models.CharField("来源", max_length=16, choices=Kind.choices)
    title = models.CharField("标题", max_length=300)
    number = models.CharField("文号", max_length=64, blank=True)
    file_name = models.CharField("文件名", max_length=255, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    edition_id = models.CharField("政策版本", max_length=64, blank=True)
    faq = models.OneToOneField(
        FAQ, verbose_name="常见问题", null=True, blank=True, on_delete=models.CASCADE, related_name="document"
    )
    # What the document was built from (an edition's or FAQ's updated_at), to tell when to rebuild.
    source_key = models.CharField("来源版本", max_length=64, blank=True)
    ingested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="导入人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    ingested_at = models.DateTimeField("导入时间", default=timezone.now)

    class Meta:
        ordering = ["kind", "pk"]
        verbose_name = "文档"
        verbose_name_plural = "文档"
        constraints = [
            models.UniqueConstraint(
                fields=["sha256"], condition=models.Q(kind="ingested"), name="qa_document_unique_file"
            ),
            models.UniqueConstraint(
                fields=["edition_id"], condition=models.Q(kind="edition"), name="qa_document_unique_edition"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}".strip()


class Passage(models.Model):
    document = models.ForeignKey(
        Document, verbose_name="文档", on_delete=models.CASCADE, related_name="passages"
    )
    order = models.PositiveIntegerField("顺序")
    section = models.CharField("章节", max_length=300, blank=True)
    text = models.TextField("内容")

    class Meta:
        ordering = ["document", "order"]
        verbose_name = "段落"
        verbose_name_plural = "段落"
        constraints = [models.UniqueConstraint(fields=["document", "order"], name="qa_passage_unique_order")]

    def __str__(self) -> str:
        return f"{self.document_id}#{self.order} {self.section}".strip()


class UnansweredQuestion(models.Model):
    question = models.TextField("问题")
    asked_at = models.DateTimeField("提问时间", default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="提问人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    confidence = models.FloatField("置信度", default=0.0)
    resolved_faq = models.ForeignKey(
        FAQ, verbose_name="解答", null=True, blank=True, on_delete=models.SET_NULL, related_name="resolves"
    )

    class Meta:
        ordering = ["-asked_at", "-pk"]
        verbose_name = "未解答问题"
        verbose_name_plural = "未解答问题"
        indexes = [models.Index(fields=["resolved_faq", "asked_at"], name="qa_unanswered_open")]

    def __str__(self) -> str:
        return self.question[:50]
