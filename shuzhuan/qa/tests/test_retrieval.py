"""Searching the corpus: a freshly migrated database answers from the shipped editions."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shuzhuan.qa.models import Document
from shuzhuan.qa.retrieval import Hit, baseline_retriever, retriever, retriever_reset
from shuzhuan.qa.services import qa_ingest
from shuzhuan.qa.tests.documents import docx_bytes, seed_files

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_index() -> None:
    retriever_reset()


def test_ai_question_finds_the_ai_model_passage() -> None:
    hits = retriever().search("AI项目", k=3)
    assert hits and hits[0].section == "人工智能大模型应用项目补助"
    assert isinstance(hits[0], Hit) and hits[0].score > 0
    assert hits[0].document_number.startswith("慈经信建〔")
    assert hits == sorted(hits, key=lambda h: -h.score)


def test_auto_parts_question_finds_the_key_industries() -> None:
    hits = retriever().search("汽车零部件企业", k=2)
    assert hits[0].section == "重点行业与政策叠加"


def test_colloquial_amount_question() -> None:
    hits = retriever().search("我投了80万做AI大模型项目能补多少？")
    assert hits[0].section == "人工智能大模型应用项目补助"
    assert len(hits) <= 5


def test_nothing_shared_nothing_found() -> None:
    assert retriever().search("天气预报") == []
    assert retriever().search("") == []
    assert retriever().search("AI项目", k=0) == []


def test_ingested_documents_are_searched_at_once() -> None:
    before = retriever()
    lines = ["答复函", "一、申报时间", "集中受理时间为每年三月至四月，过期不再受理。"]
    result = qa_ingest(acting_user=None, upload=SimpleUploadedFile("reply.docx", docx_bytes(lines)))
    after = retriever()
    assert after is not before and len(after) == len(before) + result.passages
    hit = after.search("什么时候集中受理")[0]
    assert hit.document_id == result.document.pk and hit.section == "一、申报时间"
    assert retriever() is after  # unchanged corpus: the same index


def test_seed_replies_answer_their_facts() -> None:
    for path in seed_files():
        qa_ingest(acting_user=None, path=path)
    hits = retriever().search("总包商 汽配 家电 标准化模块", k=5)
    assert any(Document.objects.get(pk=h.document_id).kind == Document.Kind.INGESTED for h in hits)


def test_baseline_misses_what_synonyms_find() -> None:
    # Plain jieba keeps "AI" as "ai", which no passage holds: only the synonyms find the clause.
    assert baseline_retriever().search("AI") == []
    assert retriever().search("AI")[0].section == "人工智能大模型应用项目补助"
    assert baseline_retriever().search("新一代信息技术项目")[0].section.startswith("新一代信息技术")
