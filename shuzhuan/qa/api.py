"""智能应答 API: ``POST /api/qa/ask``.

Decided: the API is for signed-in users (any role, session or token), like the rest of the API.
Anonymous visitors are served by the public policy page, which calls ``qa_ask`` server-side
behind the page's own throttling; an open JSON endpoint would let anyone fill the officers'
unanswered-question log.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Router, Schema

from shuzhuan.accounts.access import Perm, access_require
from shuzhuan.qa.answer import qa_ask

router = Router(tags=["智能应答"])


class AskIn(Schema):
    question: str = Field(min_length=1, max_length=500, description="问题（中文）")


class CitationOut(Schema):
    document: str = Field(description="文号《标题》或文件标题")
    passage: str = Field(description="所依据的条款或段落")


class AnswerOut(Schema):
    answer: str
    amount: str | None = Field(description="计算出的补助上限（元，两位小数）；未计算时为 null")
    citations: list[CitationOut]
    confidence: float = Field(description="0–1；低于阈值时答复为“未找到确切依据”并转交工作人员")


@router.post("/ask", response=AnswerOut, operation_id="qa_ask", summary="智能应答：提问并获得有依据的答复")
def qa_ask_endpoint(request: HttpRequest, payload: AskIn) -> dict[str, object]:
    user = access_require(request.auth, Perm.QA_ASK)  # type: ignore[attr-defined]
    return qa_ask(question=payload.question, user=user).as_dict()
