"""Reads of the 智能应答 corpus for the pages: the ingested documents, the questions still waiting
for an officer, the curated answers, and the policies of the edition in force for the public page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, QuerySet

from shuzhuan.qa.models import FAQ, Document, UnansweredQuestion
from shuzhuan.rules.model import Edition, NoEditionError


def document_list() -> QuerySet[Document]:
    """Ingested files, newest first, with their passage counts."""
    return (
        Document.objects.filter(kind=Document.Kind.INGESTED)
        .select_related("ingested_by")
        .annotate(passage_count=Count("passages"))
        .order_by("-ingested_at", "-pk")
    )


def unanswered_list(*, resolved: bool = False) -> QuerySet[UnansweredQuestion]:
    """Logged questions: the open ones (no curated answer yet), or those already answered."""
    return UnansweredQuestion.objects.filter(resolved_faq__isnull=not resolved).select_related(
        "user", "resolved_faq"
    )


def unanswered_get(pk: int) -> UnansweredQuestion | None:
    return UnansweredQuestion.objects.filter(pk=pk).first()


def faq_list() -> QuerySet[FAQ]:
    return FAQ.objects.select_related("created_by")


@dataclass(frozen=True)
class PublicPolicy:
    title: str
    summary: str
    citation: str  # 文号 第…条《标题》
    cap: Decimal | None  # 单个项目（或企业）最高补助，元
    auto_grant: bool


def policy_public(*, today: dt.date | None = None) -> tuple[Edition | None, list[PublicPolicy]]:
    """The edition in force today and its published policies, for the public policy page."""
    from django.utils import timezone

    from shuzhuan.policies.selectors import edition_rulebook

    try:
        edition = edition_rulebook().edition_for(today or timezone.localdate())
    except NoEditionError:
        return None, []
    rows = []
    for policy in edition.policies:
        c = policy.citation
        citation = (
            c.document + (f" 第{c.clause}条" if c.clause else "") + (f"《{c.title}》" if c.title else "")
        )
        rows.append(
            PublicPolicy(
                title=policy.title,
                summary=policy.summary.strip(),
                citation=citation,
                cap=policy.constant_step("cap"),
                auto_grant=policy.auto_grant,
            )
        )
    return edition, rows
