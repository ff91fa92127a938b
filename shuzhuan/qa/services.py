"""Writes to the 智能应答 corpus: edition and FAQ documents kept in step with their sources, and
files an officer ingests.

``corpus_sync()`` is cheap when nothing changed (two small queries) and is called by
``shuzhuan.qa.retrieval.retriever()`` before every search, so a freshly migrated database answers
from the shipped editions and a newly published edition or FAQ is searchable at once — the
policies app need not know about the corpus (it stands below ``qa``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from shuzhuan.audit.services import audit_record
from shuzhuan.core.errors import ApplicationError
from shuzhuan.qa.ingest import MAX_BYTES, ParsedPassage, document_read
from shuzhuan.qa.models import FAQ, Document, Passage
from shuzhuan.rules.model import STACKING_RULES, Edition, Policy


@dataclass(frozen=True)
class IngestResult:
    document: Document
    created: bool  # False: the same file (by SHA-256) was ingested before; nothing written
    passages: int


def qa_ingest(
    *,
    acting_user: Any | None,
    path: Path | None = None,
    upload: UploadedFile | None = None,
    title: str = "",
) -> IngestResult:
    """Add one .txt/.docx/.pdf file to the corpus, split into passages. Idempotent by content:
    a file ingested before is not read again. A refused file raises ApplicationError (Chinese)
    and writes nothing."""
    if (path is None) == (upload is None):
        raise ApplicationError("请提供一个文件", field="file")
    if path is not None:
        if not path.is_file():
            raise ApplicationError(f"文件不存在：{path}", field="file")
        if path.stat().st_size > MAX_BYTES:
            raise ApplicationError(f"文件过大（超过 {MAX_BYTES // (1024 * 1024)} MB）", field="file")
        file_name, data = path.name, path.read_bytes()
    else:
        assert upload is not None
        if (upload.size or 0) > MAX_BYTES:
            raise ApplicationError(f"文件过大（超过 {MAX_BYTES // (1024 * 1024)} MB）", field="file")
        file_name, data = Path(upload.name or "upload").name, upload.read()
    sha256 = hashlib.sha256(data).hexdigest()
    existing = Document.objects.filter(kind=Document.Kind.INGESTED, sha256=sha256).first()
    if existing is not None:
        return IngestResult(existing, False, existing.passages.count())
    parsed = document_read(data, file_name=file_name, title=title)
    try:
        with transaction.atomic():
            document = Document.objects.create(
                kind=Document.Kind.INGESTED,
                title=parsed.title,
                number=parsed.number,
                file_name=file_name[:255],
                sha256=sha256,
                ingested_by=acting_user,
                ingested_at=timezone.now(),
            )
            _passages_create(document, parsed.passages)
            audit_record(
                actor=acting_user,
                action="qa.ingest",
                object_type="qa.document",
                object_id=document.pk,
                payload={
                    "file_name": file_name,
                    "sha256": sha256,
                    "title": parsed.title,
                    "number": parsed.number,
                    "passages": len(parsed.passages),
                },
            )
    except IntegrityError:  # the same file ingested at the same moment by someone else
        document = Document.objects.get(kind=Document.Kind.INGESTED, sha256=sha256)
        return IngestResult(document, False, document.passages.count())
    return IngestResult(document, True, len(parsed.passages))


def _passages_create(document: Document, passages: Iterable[ParsedPassage]) -> None:
    Passage.objects.bulk_create(
        Passage(document=document, order=i, section=p.section[:300], text=p.text)
        for i, p in enumerate(passages)
    )


# ------------------------------------------------------------------ policy editions


def _industry_labels() -> dict[str, str]:
    """Industry code → "汽配（汽车配件、汽车零部件…）" from the registry's industries."""
    from shuzhuan.enterprises.models import Industry

    labels = {}
    for code, name, synonyms in Industry.objects.values_list("code", "name", "synonyms"):
        extra = "、".join(str(s) for s in synonyms or [])
        labels[code] = f"{name}（{extra}）" if extra else name
    return labels


def edition_passages(edition: Edition, *, industries: dict[str, str] | None = None) -> list[ParsedPassage]:
    """The passages an edition contributes: one per policy (title, summary, citation, what makes
    an asker ineligible, the calculation's steps) and one for the edition's key industries and
    stacking rule."""
    industries = industries or {}
    period = f"自{_day(edition.effective_from)}起施行"
    if edition.effective_to is not None:
        period += f"，至{_day(edition.effective_to)}止"
    passages = [_policy_passage(edition, policy) for policy in edition.policies]
    key = "、".join(industries.get(code, code) for code in edition.key_industries) or "未限定"
    stacking = STACKING_RULES.get(edition.stacking, edition.stacking)
    passages.append(
        ParsedPassage(
            "重点行业与政策叠加",
            f"{edition.title}（{edition.document}，政策版本 {edition.id}，{period}）。"
            f"重点行业：{key}。政策叠加：{stacking}。",
        )
    )
    return passages


def _day(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _policy_passage(edition: Edition, policy: Policy) -> ParsedPassage:
    c = policy.citation
    where = f"{c.document}" + (f" 第{c.clause}条" if c.clause else "") + (f"《{c.title}》" if c.title else "")
    parts = [f"{policy.title}（依据{where}，政策版本 {edition.id}）。", policy.summary.strip()]
    unmet = "；".join(cond.unmet for cond in policy.conditions if cond.unmet)
    if unmet:
        parts.append(f"不符合的情形：{unmet}。")
    notes = "；".join(step.note for step in policy.steps if step.note)
    if notes:
        parts.append(f"计算：{notes}。")
    if policy.auto_grant:
        parts.append("免申即享：符合条件的企业无需申报。")
    return ParsedPassage(policy.title, "".join(parts))


def _published_editions() -> dict[str, str]:
    from shuzhuan.policies.models import PolicyEdition

    rows = PolicyEdition.objects.filter(status=PolicyEdition.Status.PUBLISHED).values_list(
        "edition_id", "updated_at"
    )
    return {edition_id: updated.isoformat() for edition_id, updated in rows}


def corpus_sync_editions() -> int:
    """Build (or rebuild) the documents of the published policy editions, and drop those of
    editions no longer published. Returns the number of documents written or removed."""
    wanted = _published_editions()
    have = dict(Document.objects.filter(kind=Document.Kind.EDITION).values_list("edition_id", "source_key"))
    if wanted == have:
        return 0
    from shuzhuan.policies.selectors import edition_rulebook

    rulebook = edition_rulebook()
    industries = _industry_labels()
    changed = 0
    try:
        with transaction.atomic():
            stale = [e for e, key in have.items() if wanted.get(e) != key]
            changed += len(stale)
            Document.objects.filter(kind=Document.Kind.EDITION, edition_id__in=stale).delete()
            for edition_id, key in wanted.items():
                if have.get(edition_id) == key:
                    continue
                edition = rulebook.edition(edition_id)
                document = Document.objects.create(
                    kind=Document.Kind.EDITION,
                    title=edition.title,
                    number=edition.document,
                    edition_id=edition_id,
                    source_key=key,
                )
                _passages_create(document, edition_passages(edition, industries=industries))
                changed += 1
    except IntegrityError:  # another process synced the same editions first
        return 0
    return changed


# ------------------------------------------------------------------ curated FAQ answers


def corpus_sync_faqs() -> int:
    """One document (and passage) per active FAQ entry, rebuilt when the entry changes."""
    wanted = {
        pk: updated.isoformat()
        for pk, updated in FAQ.objects.filter(active=True).values_list("pk", "updated_at")
    }
    have = dict(Document.objects.filter(kind=Document.Kind.FAQ).values_list("faq_id", "source_key"))
    if wanted == have:
        return 0
    changed = 0
    try:
        with transaction.atomic():
            stale = [pk for pk, key in have.items() if wanted.get(pk) != key]
            changed += len(stale)
            Document.objects.filter(kind=Document.Kind.FAQ, faq_id__in=stale).delete()
            for faq in FAQ.objects.filter(pk__in=[pk for pk, key in wanted.items() if have.get(pk) != key]):
                document = Document.objects.create(
                    kind=Document.Kind.FAQ,
                    title=f"常见问题：{faq.question}"[:300],
                    number="",
                    faq=faq,
                    source_key=wanted[faq.pk],
                )
                text = f"问：{faq.question} 答：{faq.answer}"
                if faq.citations.strip():
                    text += f" 依据：{'；'.join(faq.citations.split())}"
                _passages_create(document, [ParsedPassage("常见问题", text)])
                changed += 1
    except IntegrityError:
        return 0
    return changed


def corpus_sync() -> int:
    """Bring edition and FAQ documents in step with their sources (no-op when they are)."""
    return corpus_sync_editions() + corpus_sync_faqs()
