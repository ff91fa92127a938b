"""智能应答: one question → a short answer with its sources, an amount when one was computed, and a
confidence.

The order: a curated active FAQ that matches the question well; then, when the question carries
an amount or asks about a policy's amount, threshold or eligibility, the policy engine (the
edition in force in the year asked about, else today) with its steps in one sentence and the
policy's clause; otherwise the best retrieved passage's sentences that contain the question's
terms. Below ``SHUZHUAN_QA_MIN_CONFIDENCE`` the answer says no exact basis was found and the
question is logged for officers. Every number in an answer comes from a passage or the engine;
the optional language model (``shuzhuan.qa.llm``) may only rephrase, and is overruled when it
introduces a number of its own.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone

from shuzhuan.qa.understand import AMOUNT, ELIGIBILITY, INDUSTRY_WORDS, THRESHOLD, Facts, understand
from shuzhuan.rules.case import Case, EnterpriseFacts, ProjectFacts
from shuzhuan.rules.explain import PolicyResult, explain_in
from shuzhuan.rules.model import Edition, NoEditionError, Policy, Rulebook

NOT_FOUND = "未找到确切依据，已转交工作人员。"
DEFAULT_MIN_CONFIDENCE = 0.35
FAQ_MIN_SIMILARITY = 0.6
SAMPLE_QUALIFICATION = "ningbo_sample_enterprise"

_STOP_BIGRAMS = frozenset(
    {
        "多少",
        "什么",
        "怎么",
        "如何",
        "可以",
        "能不",
        "不能",
        "是不",
        "不是",
        "请问",
        "我们",
        "你们",
        "一下",
        "有没",
        "没有",
    }
)


@dataclass(frozen=True)
class Citation:
    document: str  # 文号《标题》 or the ingested document's title
    passage: str  # the clause or passage the answer rests on


@dataclass(frozen=True)
class Answer:
    answer: str
    amount: Decimal | None
    citations: list[Citation] = field(default_factory=list)
    confidence: float = 0.0
    source: str = "none"  # faq | engine | passage | none

    def as_dict(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "amount": None if self.amount is None else f"{self.amount:.2f}",
            "citations": [{"document": c.document, "passage": c.passage} for c in self.citations],
            "confidence": round(self.confidence, 3),
        }


# ---------------------------------------------------------------- formatting numbers from the engine


def wan(value: Decimal) -> str:
    """80万元 / 1.5万元 / 800元 (a value from the engine or the question, never invented)."""
    if value >= 10_000:
        w = (value / 10_000).normalize()
        return f"{format(w, 'f')}万元"
    return f"{format(value.normalize(), 'f')}元"


def percent(rate: Decimal) -> str:
    return f"{format((rate * 100).normalize(), 'f')}%"


# ---------------------------------------------------------------- the policy engine


def _policy_topics(policy: Policy) -> set[str]:
    text = " ".join(c.expr.text for c in policy.conditions)
    topics = set(re.findall(r"has_kind\('([a-z_]+)'\)", text))
    if f"has_qualification('{SAMPLE_QUALIFICATION}')" in text:
        topics.add("sample")
    return topics


def _relevant(edition: Edition, topics: set[str]) -> list[Policy]:
    return [p for p in edition.policies if _policy_topics(p) & topics]


def _step(result: PolicyResult, name: str) -> Decimal | None:
    for s in result.steps:
        if s.name == name:
            return s.value
    return None


def policy_citation(policy: Policy) -> Citation:
    c = policy.citation
    return Citation(
        document=f"{c.document}《{c.title}》", passage=f"第{c.clause}条 {policy.title}：{policy.summary}"
    )


def _industry_labels(codes: tuple[str, ...]) -> str:
    return "、".join(INDUSTRY_WORDS.get(code, (code,))[0] for code in codes)


def _year_of(facts: Facts, today: dt.date) -> tuple[int, dt.date]:
    year = facts.year or today.year
    if year == today.year:
        return year, today
    return year, dt.date(year, 12, 31)


def _edition_label(edition: Edition) -> str:
    return (
        f"{edition.document}（{edition.effective_from.year}年起施行）"
        if edition.effective_to is None
        else edition.document
    )


def _case(
    facts: Facts, topics: set[str], as_of: dt.date, edition: Edition, user_facts: EnterpriseFacts | None
) -> tuple[Case, list[str]]:
    """The case the question describes; a fact the asker did not state is assumed met and said so."""
    assumed: list[str] = []
    base = user_facts or EnterpriseFacts()
    industry = facts.industry or base.industry
    if industry is None and "pilot" in topics and edition.key_industries:
        industry = edition.key_industries[0]
        assumed.append(f"企业属于重点行业（{_industry_labels(edition.key_industries)}）")
    is_sme = facts.is_sme if facts.is_sme is not None else (base.is_sme if user_facts else True)
    if facts.is_sme is None and user_facts is None and "pilot" in topics:
        assumed.append("企业为中小企业")
    quals = set(base.qualifications)
    if "sample" in topics and facts.sample_enterprise is not False:
        quals.add(SAMPLE_QUALIFICATION)
    elif facts.sample_enterprise is False:
        quals.discard(SAMPLE_QUALIFICATION)
    received = set(base.rewards_received)
    if facts.sample_received:
        received.add(SAMPLE_QUALIFICATION)
    enterprise = EnterpriseFacts(
        industry=industry,
        is_sme=is_sme,
        above_scale=facts.above_scale if facts.above_scale is not None else base.above_scale,
        qualifications=frozenset(quals),
        rewards_received=frozenset(received),
    )
    project_kinds = frozenset(t for t in topics if t != "sample")
    in_plan = facts.in_pilot_plan
    if in_plan is None:
        in_plan = "pilot" in project_kinds
        if in_plan:
            assumed.append("项目已列入试点计划")
    accepted = facts.accepted
    if accepted is None:
        accepted = True
        if project_kinds:
            assumed.append("项目已验收通过、核定投入额即所述投入")
    project = ProjectFacts(
        kinds=project_kinds,
        in_pilot_plan=in_plan,
        accepted=accepted,
        verified_investment=facts.investment,
    )
    return Case(as_of=as_of, enterprise=enterprise, project=project if project_kinds else None), assumed


def _steps_sentence(r: PolicyResult) -> str:
    """按核定投入额80万元的50%计40万元，超过上限30万元，按30万元。"""
    basis, rate, cap, ceiling = _step(r, "basis"), _step(r, "rate"), _step(r, "cap"), r.ceiling
    if ceiling is None:
        return ""
    if basis is None or rate is None:
        return f"：一次性奖励最高{wan(ceiling)}"
    raw = basis * rate
    parts = [f"按核定投入额{wan(basis)}的{percent(rate)}计{wan(raw)}"]
    if cap is not None and raw > cap:
        parts.append(f"超过上限{wan(cap)}，按{wan(cap)}")
    elif cap is not None:
        parts.append(f"未超过上限{wan(cap)}，补助最高{wan(ceiling)}")
    return "，".join(parts)


def _rule_sentence(policy: Policy) -> str:
    """The policy's parameters in words (a question without an amount)."""
    rate, cap, threshold = (policy.constant_step(n) for n in ("rate", "cap", "threshold"))
    parts = []
    if threshold is not None:
        parts.append(f"核定投入额{wan(threshold)}以上（含{wan(threshold)}）")
    if rate is not None:
        parts.append(f"按核定投入额的{percent(rate)}以内补助")
    if cap is not None:
        parts.append(f"单个项目最高{wan(cap)}" if policy.scope == "project" else f"一次性奖励最高{wan(cap)}")
    return "，".join(parts)


def _gap_advice(r: PolicyResult, facts: Facts, edition: Edition) -> list[str]:
    advice = []
    threshold, basis = _step(r, "threshold"), _step(r, "basis")
    if threshold is not None and basis is not None and basis < threshold:
        advice.append(f"核定投入额还差{wan(threshold - basis)}达到{wan(threshold)}的门槛")
    unmet = " ".join(r.unmet)
    if "验收" in unmet:
        advice.append("项目验收通过、投入额核定后即可按核定投入额计算")
    if "试点" in unmet:
        advice.append("项目需先列入数字化改造试点计划")
    if "重点行业" in unmet:
        advice.append(f"本期重点行业为{_industry_labels(edition.key_industries)}")
    return advice


def _engine_answer(
    facts: Facts, today: dt.date, rulebook: Rulebook, user_facts: EnterpriseFacts | None
) -> Answer | None:
    topics = set(facts.kinds)
    if facts.sample_topic:
        topics.add("sample")
    if not topics:
        return None
    if facts.investment is None and (facts.aggregate or facts.intent not in {AMOUNT, THRESHOLD, ELIGIBILITY}):
        return None
    year, as_of = _year_of(facts, today)
    try:
        edition = rulebook.edition_for(as_of)
    except NoEditionError:
        return Answer(
            answer=f"{year}年没有生效的补助政策版本，无法按{year}年计算。",
            amount=None,
            confidence=0.6,
            source="engine",
        )
    policies = _relevant(edition, topics)
    if not policies:
        return _not_in_edition(topics, edition, year, rulebook)
    case, assumed = _case(facts, topics, as_of, edition, user_facts)
    explanation = explain_in(edition, case)
    results = [r for r in explanation.results if r.policy in policies]
    citations = [policy_citation(r.policy) for r in results]
    head = f"依据{_edition_label(edition)}"
    assumption = f"（按{'、'.join(assumed)}估算）" if assumed else ""

    if facts.intent == THRESHOLD and facts.investment is None:
        lines = [f"{r.policy.title}：{_rule_sentence(r.policy) or r.policy.summary}" for r in results]
        no_threshold = [r.policy.title for r in results if r.policy.constant_step("threshold") is None]
        text = f"{head}，" + "；".join(lines) + "。"
        if no_threshold and len(results) == 1:
            text += "该项政策没有投入额门槛，需满足的条件见所引条款。"
        return Answer(answer=text, amount=None, citations=citations, confidence=0.85, source="engine")

    has_numbers = facts.investment is not None or "sample" in topics
    if not has_numbers:
        lines = [f"{r.policy.title}：{_rule_sentence(r.policy) or r.policy.summary}" for r in results]
        return Answer(
            answer=f"{head}，" + "；".join(lines) + "。",
            amount=None,
            citations=citations,
            confidence=0.8,
            source="engine",
        )

    eligible = [r for r in results if r.eligible and r.ceiling is not None]
    project = [r for r in eligible if r.policy.scope == "project"]
    best = max(project, key=lambda r: r.ceiling or Decimal(0)) if project else None
    chosen = [best] if best else []
    chosen += [r for r in eligible if r.policy.scope == "enterprise"]
    if chosen:
        amount = sum((r.ceiling or Decimal(0) for r in chosen), Decimal(0))
        sentences = [f"{r.policy.title}{_steps_sentence(r)}" for r in chosen]
        text = f"{head}，" + "；".join(sentences) + f"{assumption}。"
        if len(project) > 1:
            text += "一个项目只享受一项项目类政策，取金额最高者。"
        text += "以上为补助上限，实际金额以审核核定为准。"
        cited = [policy_citation(r.policy) for r in chosen]
        return Answer(answer=text, amount=amount, citations=cited, confidence=0.9, source="engine")

    reasons = []
    for r in results:
        why = "；".join(r.unmet)
        advice = _gap_advice(r, facts, edition)
        reasons.append(f"{r.policy.title}：{why}" + (f"（{'；'.join(advice)}）" if advice else ""))
    text = f"{head}，按所述情况暂不符合：" + "。".join(reasons) + "。"
    if facts.accepted is False and case.project is not None and facts.investment is not None:
        after = explain_in(edition, replace(case, project=replace(case.project, accepted=True)))
        later = [r for r in after.results if r.policy in policies and r.eligible and r.ceiling is not None]
        if later:
            r = max(later, key=lambda r: r.ceiling or Decimal(0))
            text += f"验收通过后，{r.policy.title}{_steps_sentence(r)}。"
    return Answer(answer=text, amount=None, citations=citations, confidence=0.85, source="engine")


def _not_in_edition(topics: set[str], edition: Edition, year: int, rulebook: Rulebook) -> Answer | None:
    """The asked policy is not in the edition in force; say where it was."""
    for other in reversed(rulebook.editions):
        policies = _relevant(other, topics)
        if policies:
            p = policies[0]
            rule = _rule_sentence(p)
            text = (
                f"{year}年施行的{edition.document}未列入{p.title}；"
                f"该项政策见{other.document}（{other.effective_from.year}年）：{rule or p.summary}。"
            )
            return Answer(
                answer=text,
                amount=None,
                citations=[policy_citation(p)],
                confidence=0.8,
                source="engine",
            )
    return None


# ---------------------------------------------------------------- FAQ and retrieval


def bigrams(text: str) -> set[str]:
    chars = re.sub(r"[\s，。？！、；：,.?!;:“”\"'（）()《》]+", "|", text)
    grams: set[str] = set()
    for chunk in chars.split("|"):
        grams.update(chunk[i : i + 2] for i in range(len(chunk) - 1))
        if len(chunk) == 1:
            grams.add(chunk)
    return grams - _STOP_BIGRAMS


def similarity(a: str, b: str) -> float:
    x, y = bigrams(a), bigrams(b)
    if not x or not y:
        return 0.0
    return 2 * len(x & y) / (len(x) + len(y))


def _faq_answer(question: str) -> Answer | None:
    from shuzhuan.qa.models import FAQ

    best: tuple[float, Any] | None = None
    for faq in FAQ.objects.filter(active=True).only("question", "answer", "citations"):
        score = similarity(question, faq.question)
        if best is None or score > best[0]:
            best = (score, faq)
    if best is None or best[0] < FAQ_MIN_SIMILARITY:
        return None
    score, faq = best
    cites = [
        Citation(document=line.strip(), passage=faq.question)
        for line in faq.citations.splitlines()
        if line.strip()
    ]
    if not cites:
        cites = [Citation(document="常见问题", passage=faq.question)]
    return Answer(
        answer=faq.answer,
        amount=None,
        citations=cites,
        confidence=round(min(1.0, 0.5 + score / 2), 3),
        source="faq",
    )


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[。；！？!?;])|\n", text) if s and s.strip()]


def extract(question: str, text: str, limit: int = 2) -> tuple[str, float]:
    """The passage's sentences that share most terms with the question (in order) and the share of
    the question's terms they cover."""
    q = bigrams(question)
    sentences = _sentences(text)
    if not sentences or not q:
        return text[:200], 0.0
    scored = sorted(((len(q & bigrams(s)), i) for i, s in enumerate(sentences)), reverse=True)
    picked = sorted(i for score, i in scored[:limit] if score > 0) or [scored[0][1]]
    chosen = "".join(sentences[i] for i in picked)
    coverage = len(q & bigrams(chosen)) / len(q)
    return chosen, coverage


def _retrieval_answer(question: str, *, baseline: bool = False) -> Answer:
    from shuzhuan.qa.retrieval import baseline_retriever, retriever

    hits = (baseline_retriever() if baseline else retriever()).search(question, k=5)
    if not hits:
        return Answer(answer=NOT_FOUND, amount=None, confidence=0.0)
    top = hits[0]
    second = hits[1].score if len(hits) > 1 else 0.0
    margin = (top.score - second) / top.score if top.score > 0 else 0.0
    text, coverage = extract(question, top.text)
    confidence = round(0.7 * coverage + 0.3 * margin, 3)
    document = f"{top.document_number}《{top.document_title}》" if top.document_number else top.document_title
    passage = f"{top.section} {text}".strip() if top.section else text
    return Answer(
        answer=text,
        amount=None,
        citations=[Citation(document=document, passage=passage)],
        confidence=confidence,
        source="passage",
    )


# ---------------------------------------------------------------- the entry point


def _user_facts(user: Any) -> EnterpriseFacts | None:
    """An enterprise user's own registry facts (industry, SME, above scale); None for other users.
    What the question states overrides them."""
    enterprise = getattr(user, "enterprise", None) if user is not None else None
    if enterprise is None:
        return None
    industry = getattr(enterprise, "industry", None)
    return EnterpriseFacts(
        industry=getattr(industry, "code", None),
        is_sme=bool(getattr(enterprise, "is_sme", False)),
        above_scale=bool(getattr(enterprise, "above_scale", False)),
    )


def _min_confidence() -> float:
    return float(getattr(settings, "SHUZHUAN_QA_MIN_CONFIDENCE", DEFAULT_MIN_CONFIDENCE))


def qa_ask(
    *,
    question: str,
    user: Any = None,
    today: dt.date | None = None,
    log: bool = True,
    baseline: bool = False,
) -> Answer:
    """Answer one question (see the module docstring for the order). ``baseline`` searches the
    passages with the plain BM25 baseline instead of the programme's retriever (benchmarks)."""
    from shuzhuan.policies.selectors import edition_rulebook

    question = question.strip()
    today = today or timezone.localdate()
    if not question:
        return Answer(answer="请输入问题。", amount=None, confidence=0.0)
    answer = _faq_answer(question)
    if answer is None:
        facts = understand(question, today=today)
        answer = _engine_answer(facts, today, edition_rulebook(), _user_facts(user))
    if answer is None:
        answer = _retrieval_answer(question, baseline=baseline)
    if answer.confidence < _min_confidence():
        if log:
            from shuzhuan.qa.curation import unanswered_record

            unanswered_record(question=question, user=user, confidence=answer.confidence)
        return Answer(
            answer=NOT_FOUND, amount=None, citations=[], confidence=answer.confidence, source="none"
        )
    if answer.source in {"passage", "engine"}:
        from shuzhuan.qa.llm import llm_rephrase

        rephrased = llm_rephrase(
            question=question, answer=answer.answer, passages=[c.passage for c in answer.citations]
        )
        if rephrased != answer.answer:
            answer = replace(answer, answer=rephrased)
    return answer
