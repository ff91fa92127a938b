"""The officers' side of 智能应答: questions no source answered well enough are logged, and a
bureau officer writes a curated FAQ answer (optionally resolving a logged question) that then
takes precedence over every other source.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from shuzhuan.accounts.access import Perm, access_require
from shuzhuan.audit.services import audit_record
from shuzhuan.core.errors import ApplicationError
from shuzhuan.qa.models import FAQ, UnansweredQuestion


def unanswered_record(*, question: str, user: Any = None, confidence: float = 0.0) -> UnansweredQuestion:
    """Log a question for officers (not audited: it changes no decision)."""
    asker = user if user is not None and getattr(user, "is_authenticated", False) else None
    return UnansweredQuestion.objects.create(question=question[:2000], user=asker, confidence=confidence)


def faq_create(
    *,
    acting_user: Any,
    question: str,
    answer: str,
    citations: Sequence[str] | str = (),
    from_unanswered: UnansweredQuestion | int | None = None,
) -> FAQ:
    """A curated answer (bureau only, audited); resolves the logged question it answers."""
    user = access_require(acting_user, Perm.QA_CURATE)
    question, answer = question.strip(), answer.strip()
    if not question:
        raise ApplicationError("请填写问题。", field="question")
    if not answer:
        raise ApplicationError("请填写答复。", field="answer")
    lines = citations.splitlines() if isinstance(citations, str) else list(citations)
    cited = "\n".join(line.strip() for line in lines if line.strip())
    with transaction.atomic():
        unanswered: UnansweredQuestion | None = None
        if from_unanswered is not None:
            pk = from_unanswered if isinstance(from_unanswered, int) else from_unanswered.pk
            unanswered = UnansweredQuestion.objects.select_for_update().filter(pk=pk).first()
            if unanswered is None:
                raise ApplicationError("未找到该未解答问题。", field="from_unanswered")
        faq = FAQ.objects.create(question=question, answer=answer, citations=cited, created_by=user)
        if unanswered is not None:
            unanswered.resolved_faq = faq
            unanswered.save(update_fields=["resolved_faq"])
        audit_record(
            actor=user,
            action="qa.faq_create",
            object_type="faq",
            object_id=faq.pk,
            payload={
                "question": question,
                "citations": cited.splitlines(),
                "from_unanswered": unanswered.pk if unanswered else None,
            },
        )
    return faq
