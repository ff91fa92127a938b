"""qa_ask: FAQ first, then the policy engine, then retrieved passages; low confidence is logged."""

from __future__ import annotations

import datetime as dt
import json
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from conftest import County
from shuzhuan.audit.models import AuditEntry
from shuzhuan.core.errors import ApplicationError
from shuzhuan.qa import llm
from shuzhuan.qa.answer import NOT_FOUND, extract, qa_ask, similarity
from shuzhuan.qa.curation import faq_create, unanswered_record
from shuzhuan.qa.models import UnansweredQuestion
from shuzhuan.qa.services import qa_ingest

pytestmark = pytest.mark.django_db
TODAY = dt.date(2025, 6, 30)


def test_ai_amount_is_capped_and_explained_in_one_sentence() -> None:
    a = qa_ask(question="我投了80万做AI大模型项目能补多少", today=TODAY)
    assert a.amount == Decimal("300000.00")
    assert "按核定投入额80万元的50%计40万元，超过上限30万元，按30万元" in a.answer
    assert a.source == "engine" and a.confidence >= 0.8
    assert a.citations[0].document.startswith("慈经信建〔2025〕15号")
    assert "一(二)" in a.citations[0].passage


def test_amount_below_the_cap() -> None:
    a = qa_ask(question="汽配中小企业试点项目已验收，核定投入额八十万元，能补多少", today=TODAY)
    assert a.amount == Decimal("400000.00")
    assert "未超过上限50万元" in a.answer


def test_the_edition_of_the_year_asked_about() -> None:
    a = qa_ask(question="2024年AI大模型项目投了100万能补多少", today=TODAY)
    assert a.amount == Decimal("300000.00")
    assert a.citations[0].document.startswith("慈经信建〔2024〕18号")
    assert "没有生效" in qa_ask(question="2023年AI项目投了50万能补多少", today=TODAY).answer


def test_threshold_question_is_answered_from_the_policy_and_cited() -> None:
    a = qa_ask(question="新一代信息技术项目门槛是多少", today=TODAY)
    assert "30万元以上（含30万元）" in a.answer
    assert a.amount is None
    assert a.citations and "慈经信建〔2025〕15号" in a.citations[0].document


def test_ineligible_says_why_and_what_would_change_it() -> None:
    a = qa_ask(question="投了25万的新一代信息技术项目能不能申请", today=TODAY)
    assert a.amount is None
    assert "核定投入额不足30万元" in a.answer
    assert "还差5万元" in a.answer


def test_not_yet_accepted_gives_the_amount_after_acceptance_but_no_amount() -> None:
    a = qa_ask(question="信息化项目还没验收，投了120万，能拿多少", today=TODAY)
    assert a.amount is None
    assert "尚未验收" in a.answer and "验收通过后" in a.answer and "24万元" in a.answer


def test_sample_reward_is_found_in_the_edition_that_has_it() -> None:
    a = qa_ask(question="今年样本企业还有奖励吗", today=TODAY)
    assert "20万元" in a.answer and "慈经信建〔2024〕18号" in a.citations[0].document
    assert qa_ask(question="2024年被评为宁波市级样本企业，奖励多少", today=TODAY).amount == Decimal(
        "200000.00"
    )


def test_faq_takes_precedence(county: County) -> None:
    bureau = county.users["bureau_officer"]
    faq_create(
        acting_user=bureau,
        question="新一代信息技术项目门槛是多少",
        answer="以经信局最新通知为准，请咨询 89596676。",
        citations=["局办公室答复"],
    )
    a = qa_ask(question="新一代信息技术项目的门槛是多少？", today=TODAY)
    assert a.source == "faq"
    assert a.answer == "以经信局最新通知为准，请咨询 89596676。"
    assert a.citations[0].document == "局办公室答复"


def test_an_unrelated_faq_does_not_take_over(county: County) -> None:
    faq_create(
        acting_user=county.users["bureau_officer"], question="申报系统登录不了怎么办", answer="请重置密码。"
    )
    assert qa_ask(question="我投了80万做AI大模型项目能补多少", today=TODAY).source == "engine"


def test_low_confidence_is_logged_for_officers(county: County) -> None:
    user = county.users["enterprise"]
    a = qa_ask(question="食堂今天中午吃什么", user=user, today=TODAY)
    assert a.answer == NOT_FOUND and a.citations == [] and a.amount is None
    logged = UnansweredQuestion.objects.get()
    assert logged.question == "食堂今天中午吃什么" and logged.user == user


def test_no_log_when_asked_not_to() -> None:
    qa_ask(question="食堂今天中午吃什么", today=TODAY, log=False)
    assert not UnansweredQuestion.objects.exists()


def test_min_confidence_setting(settings: Any) -> None:
    settings.SHUZHUAN_QA_MIN_CONFIDENCE = 0.95
    assert qa_ask(question="新一代信息技术项目门槛是多少", today=TODAY).answer == NOT_FOUND


def test_answer_from_an_ingested_document(tmp_path: Path) -> None:
    path = tmp_path / "notice.txt"
    path.write_text(
        "关于数字化改造补助资金申报的通知\n慈经信建〔2026〕9号\n一、申报时间\n每年三月集中受理，逾期不予受理。\n"
        "二、申报方式\n企业通过浙里办在线提交材料，无需到窗口。\n",
        encoding="utf-8",
    )
    qa_ingest(acting_user=None, path=path)
    a = qa_ask(question="补助资金每年什么时候受理申报", today=TODAY)
    assert a.source == "passage"
    assert "三月" in a.answer
    assert a.citations[0].document.startswith("慈经信建〔2026〕9号")


def test_extract_keeps_the_sentences_with_the_question_terms() -> None:
    text, coverage = extract("什么时候受理", "企业须提交方案。每年三月集中受理。逾期不予受理。")
    assert "三月集中受理" in text and coverage > 0
    assert similarity("门槛是多少", "门槛是多少？") == 1.0


def test_faq_create_is_bureau_only_audited_and_resolves_the_question(county: County) -> None:
    logged = unanswered_record(question="厂房租金有补贴吗", user=county.users["enterprise"])
    with pytest.raises(PermissionDenied):
        faq_create(acting_user=county.users["town_officer"], question="厂房租金有补贴吗", answer="无。")
    with pytest.raises(ApplicationError):
        faq_create(acting_user=county.users["bureau_officer"], question=" ", answer="无。")
    faq = faq_create(
        acting_user=county.users["bureau_officer"],
        question="厂房租金有补贴吗",
        answer="本项政策不含厂房租金补贴。",
        citations="慈经信建〔2025〕15号\n",
        from_unanswered=logged,
    )
    logged.refresh_from_db()
    assert logged.resolved_faq == faq
    assert faq.citations == "慈经信建〔2025〕15号"
    entry = AuditEntry.objects.get(action="qa.faq_create")
    assert entry.object_id == str(faq.pk) and entry.payload["from_unanswered"] == logged.pk


# ---------------------------------------------------------------- the optional language model


def _reply(text: str) -> bytes:
    return json.dumps({"choices": [{"message": {"content": text}}]}, ensure_ascii=False).encode()


@pytest.fixture
def llm_on(settings: Any) -> Any:
    settings.SHUZHUAN_QA_LLM_URL = "http://llm.invalid/v1"
    settings.SHUZHUAN_QA_LLM_KEY = "k"
    yield settings
    llm.transport_set(None)


def test_llm_off_by_default() -> None:
    calls: list[str] = []

    def transport(url: str, headers: dict[str, str], body: bytes, timeout: float) -> bytes:
        calls.append(url)
        return b""

    llm.transport_set(transport)
    try:
        qa_ask(question="我投了80万做AI大模型项目能补多少", today=TODAY)
    finally:
        llm.transport_set(None)
    assert calls == []


def test_llm_rephrasing_with_grounded_numbers_is_used(llm_on: Any) -> None:
    seen: dict[str, Any] = {}

    def transport(url: str, headers: dict[str, str], body: bytes, timeout: float) -> bytes:
        seen.update(url=url, auth=headers.get("Authorization"), body=json.loads(body))
        return _reply("您的AI大模型项目投入80万元，按50%算是40万元，但封顶30万元，所以最多补30万元。")

    llm.transport_set(transport)
    a = qa_ask(question="我投了80万做AI大模型项目能补多少", today=TODAY)
    assert a.answer.startswith("您的AI大模型项目")
    assert a.amount == Decimal("300000.00")
    assert seen["url"] == "http://llm.invalid/v1/chat/completions" and seen["auth"] == "Bearer k"


def test_llm_number_not_in_the_sources_keeps_the_original(llm_on: Any) -> None:
    llm.transport_set(lambda url, headers, body, timeout: _reply("最多可以补45万元。"))
    a = qa_ask(question="我投了80万做AI大模型项目能补多少", today=TODAY)
    assert "按核定投入额80万元的50%计40万元" in a.answer


def test_llm_failure_keeps_the_original(llm_on: Any) -> None:
    def broken(url: str, headers: dict[str, str], body: bytes, timeout: float) -> bytes:
        raise TimeoutError("slow")

    llm.transport_set(broken)
    assert "超过上限30万元" in qa_ask(question="我投了80万做AI大模型项目能补多少", today=TODAY).answer


def test_llm_over_real_http(settings: Any) -> None:
    """urllib against a local fake OpenAI-compatible server."""
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"path": self.path, "body": json.loads(body)})
            out = _reply("按50%计算，封顶30万元。")
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        settings.SHUZHUAN_QA_LLM_URL = f"http://127.0.0.1:{server.server_port}/v1"
        a = qa_ask(question="我投了80万做AI大模型项目能补多少", today=TODAY)
    finally:
        server.shutdown()
        server.server_close()
    assert a.answer == "按50%计算，封顶30万元。"
    assert received[0]["path"] == "/v1/chat/completions"
    assert received[0]["body"]["messages"][1]["content"].startswith("问题：我投了80万")


def test_numbers_grounded() -> None:
    assert llm.numbers_grounded("补30万元", ["上限30万元"])
    assert not llm.numbers_grounded("补35万元", ["上限30万元"])
    assert not llm.numbers_grounded("补三十五万", ["上限30万元"])


def test_an_enterprise_users_registry_facts_count_unless_the_question_says_otherwise(county: County) -> None:
    from shuzhuan.enterprises.tests.factories import industry

    county.own.industry = industry("textiles")
    county.own.save(update_fields=["industry"])
    firm = type(county.users["enterprise"]).objects.get(pk=county.users["enterprise"].pk)
    question = "试点项目已验收，投了80万，能补多少"
    a = qa_ask(question=question, user=firm, today=TODAY)
    assert a.amount is None and "重点行业" in a.answer
    a = qa_ask(question="我们是汽配中小企业，" + question, user=firm, today=TODAY)
    assert a.amount == Decimal("400000.00")
