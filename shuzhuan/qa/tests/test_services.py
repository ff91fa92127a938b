"""Ingesting files and keeping the edition and FAQ documents in step, through the services."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shuzhuan.accounts.models import Role
from shuzhuan.accounts.tests.factories import make_user
from shuzhuan.audit.models import AuditEntry
from shuzhuan.core.errors import ApplicationError
from shuzhuan.policies.models import PolicyEdition
from shuzhuan.policies.services import edition_draft_create, edition_key_industries_set, edition_publish
from shuzhuan.qa.models import FAQ, Document, Passage
from shuzhuan.qa.services import corpus_sync, corpus_sync_editions, qa_ingest
from shuzhuan.qa.tests.documents import NOTICE_LINES, docx_bytes, pdf_bytes, seed_files

pytestmark = pytest.mark.django_db


def test_ingest_txt_keeps_title_number_sections_and_audits(tmp_path: Path) -> None:
    officer = make_user(Role.BUREAU_OFFICER)
    path = tmp_path / "notice.txt"
    path.write_text("\n".join(NOTICE_LINES), encoding="gbk")
    result = qa_ingest(acting_user=officer, path=path)
    doc = result.document
    assert result.created and result.passages == 2
    assert (doc.kind, doc.title, doc.number, doc.file_name) == (
        Document.Kind.INGESTED,
        "关于人工智能大模型应用项目补助的问答",
        "慈经信建〔2026〕3号",
        "notice.txt",
    )
    assert doc.ingested_by == officer and len(doc.sha256) == 64
    assert list(doc.passages.values_list("order", "section")) == [(0, "一、补助标准"), (1, "二、申报时间")]
    entry = AuditEntry.objects.get(action="qa.ingest")
    assert entry.object_id == str(doc.pk) and entry.payload["passages"] == 2


def test_ingest_is_idempotent_by_content(tmp_path: Path) -> None:
    first = tmp_path / "a.docx"
    first.write_bytes(docx_bytes())
    again = tmp_path / "copy-of-a.docx"
    again.write_bytes(docx_bytes())
    one = qa_ingest(acting_user=None, path=first)
    two = qa_ingest(acting_user=None, path=first)
    assert one.created and not two.created and two.document == one.document
    assert two.passages == one.passages
    if again.read_bytes() == first.read_bytes():  # python-docx writes the same bytes twice
        assert not qa_ingest(acting_user=None, path=again).created
    assert Document.objects.filter(kind=Document.Kind.INGESTED).count() == 1
    assert AuditEntry.objects.filter(action="qa.ingest").count() == 1


def test_ingest_upload_pdf_and_docx() -> None:
    pdf = qa_ingest(acting_user=None, upload=SimpleUploadedFile("通知.pdf", pdf_bytes()))
    docx = qa_ingest(acting_user=None, upload=SimpleUploadedFile("问答.docx", docx_bytes()))
    assert pdf.document.file_name == "通知.pdf" and pdf.document.number == "慈经信建〔2026〕3号"
    assert docx.document.number == "慈经信建〔2026〕3号"
    assert pdf.document.sha256 != docx.document.sha256


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("a.xls", b"x", "不支持的文件类型"),
        ("a.txt", b"", "文件为空"),
        ("a.docx", b"PK broken", "无法读取 Word 文件"),
        ("a.pdf", b"%PDF-1.7 nothing", "无法读取 PDF 文件"),
    ],
)
def test_bad_file_refused_and_nothing_written(name: str, data: bytes, message: str) -> None:
    with pytest.raises(ApplicationError) as caught:
        qa_ingest(acting_user=None, upload=SimpleUploadedFile(name, data))
    assert message in caught.value.message
    assert not Document.objects.filter(kind=Document.Kind.INGESTED).exists()
    assert not AuditEntry.objects.filter(action="qa.ingest").exists()


def test_missing_path_refused(tmp_path: Path) -> None:
    with pytest.raises(ApplicationError, match="文件不存在"):
        qa_ingest(acting_user=None, path=tmp_path / "none.txt")


def test_seed_replies_ingest() -> None:
    for path in seed_files():
        result = qa_ingest(acting_user=None, path=path)
        assert result.created and result.passages > 5
        assert result.document.number.startswith("慈经信建〔")


def test_fresh_database_holds_the_shipped_editions() -> None:
    corpus_sync()
    published = set(
        PolicyEdition.objects.filter(status=PolicyEdition.Status.PUBLISHED).values_list(
            "edition_id", flat=True
        )
    )
    docs = Document.objects.filter(kind=Document.Kind.EDITION)
    assert set(docs.values_list("edition_id", flat=True)) == published
    doc = docs.get(edition_id="cixi-2025")
    assert doc.number == "慈经信建〔2025〕15号"
    texts = list(doc.passages.values_list("section", "text"))
    ai = next(text for section, text in texts if section == "人工智能大模型应用项目补助")
    assert "单个项目最高30万元" in ai and "项目尚未验收通过" in ai
    key = next(text for section, text in texts if section == "重点行业与政策叠加")
    assert "汽配" in key and "家电" in key and "就高不重复" in key
    assert corpus_sync_editions() == 0  # nothing changed: nothing rebuilt


def test_publishing_an_edition_rebuilds_its_documents() -> None:
    corpus_sync()
    officer = make_user(Role.BUREAU_OFFICER)
    base = PolicyEdition.objects.get(edition_id="cixi-2025")
    draft = edition_draft_create(
        acting_user=officer, based_on=base, edition_id="cixi-2027", effective_from=dt.date(2027, 1, 1)
    )
    corpus_sync()
    assert not Document.objects.filter(edition_id="cixi-2027").exists()  # drafts are not answered from
    draft = edition_key_industries_set(
        acting_user=officer, draft=draft, industries=["auto_parts", "textiles"]
    )
    edition_publish(acting_user=officer, draft=draft)
    assert corpus_sync_editions() >= 2  # the new edition, and cixi-2025 now closed
    doc = Document.objects.get(kind=Document.Kind.EDITION, edition_id="cixi-2027")
    assert doc.passages.filter(text__contains="纺织").exists()
    closed = Document.objects.get(kind=Document.Kind.EDITION, edition_id="cixi-2025")
    assert closed.passages.filter(text__contains="2026年12月31日止").exists()


def test_active_faqs_become_documents() -> None:
    faq = FAQ.objects.create(
        question="申报材料交到哪里？", answer="在线提交，无需纸质材料。", citations="办事指南"
    )
    corpus_sync()
    passage = Passage.objects.get(document__faq=faq)
    assert "无需纸质材料" in passage.text and "办事指南" in passage.text
    faq.active = False
    faq.save()
    corpus_sync()
    assert not Document.objects.filter(kind=Document.Kind.FAQ).exists()
