"""智能应答 pages: the 政策问答 chat panel for everyone signed in, the public policy page (the
policies of the edition in force and the same question form, no login, anonymous asks limited
per session), and the bureau's pages — ingesting documents, the questions no source answered
and the curated FAQ answers written for them.

Thin like every view: ``access_*`` decides the role, ``shuzhuan.qa.answer.qa_ask`` answers,
``shuzhuan.qa.services.qa_ingest`` and ``shuzhuan.qa.curation.faq_create`` write, and
``shuzhuan.qa.selectors`` says what there is to see. A question posted by htmx gets back only the
exchange (question and answer) to append to the panel; without JavaScript the whole page comes
back with it.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from shuzhuan.accounts.access import Perm, access_has, access_require, access_view
from shuzhuan.core.errors import ApplicationError
from shuzhuan.qa.answer import Answer, qa_ask
from shuzhuan.qa.curation import faq_create
from shuzhuan.qa.ingest import SUFFIXES
from shuzhuan.qa.models import UnansweredQuestion
from shuzhuan.qa.selectors import document_list, faq_list, policy_public, unanswered_get, unanswered_list
from shuzhuan.qa.services import qa_ingest
from shuzhuan.web.forms_qa import AskForm, FaqForm, IngestForm

PAGE_SIZE = 50
PUBLIC_ASKS_PER_MINUTE = 5  # anonymous visitors of the public page, per session
_SESSION_KEY = "qa_public_asks"
EXCERPT = 160


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[:EXCERPT] + "…"


def _exchange(question: str, answer: Answer) -> dict[str, Any]:
    return {
        "question": question,
        "answer": answer,
        "citations": [{"document": c.document, "passage": _excerpt(c.passage)} for c in answer.citations],
        "passed_on": answer.source == "none" and not answer.citations,
        "confidence_pct": round(answer.confidence * 100),
    }


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _ask(request: HttpRequest, template: str, context: dict[str, Any], *, limited: bool) -> HttpResponse:
    """The question form posted: the exchange (htmx) or the page with it."""
    form = AskForm(request.POST)
    exchange: dict[str, Any] | None = None
    refusal = ""
    if not form.is_valid():
        refusal = "；".join(str(e) for errors in form.errors.values() for e in errors)
    elif limited and not _public_allowance(request):
        refusal = "提问过于频繁，请一分钟后再试，或登录后提问。"
    else:
        question = form.cleaned_data["question"]
        user = request.user if request.user.is_authenticated else None
        exchange = _exchange(question, qa_ask(question=question, user=user))
    if _is_htmx(request):
        return render(request, "web/_qa_exchange.html", {"exchange": exchange, "refusal": refusal})
    if exchange is not None:
        form = AskForm()
    return render(request, template, {**context, "form": form, "exchange": exchange, "refusal": refusal})


def _public_allowance(request: HttpRequest) -> bool:
    """At most ``SHUZHUAN_QA_PUBLIC_ASKS_PER_MINUTE`` asks per minute in one anonymous session."""
    limit = int(getattr(settings, "SHUZHUAN_QA_PUBLIC_ASKS_PER_MINUTE", PUBLIC_ASKS_PER_MINUTE))
    now = time.time()
    recent = [t for t in request.session.get(_SESSION_KEY, []) if now - t < 60]
    if len(recent) >= limit:
        request.session[_SESSION_KEY] = recent
        return False
    request.session[_SESSION_KEY] = [*recent, now]
    return True


@require_http_methods(["GET", "POST"])
@access_view(Perm.QA_ASK)
def qa_chat(request: HttpRequest) -> HttpResponse:
    context: dict[str, Any] = {"active_nav": "qa", "can_curate": access_has(request.user, Perm.QA_CURATE)}
    if request.method == "POST":
        return _ask(request, "web/qa_chat.html", context, limited=False)
    return render(request, "web/qa_chat.html", {**context, "form": AskForm()})


@require_http_methods(["GET", "POST"])
def policy_qa(request: HttpRequest) -> HttpResponse:
    """The public policy page: no login; an anonymous visitor's asks are limited per session."""
    edition, policies = policy_public()
    context: dict[str, Any] = {"edition": edition, "policies": policies}
    if request.method == "POST":
        return _ask(request, "web/policy_qa.html", context, limited=not request.user.is_authenticated)
    return render(request, "web/policy_qa.html", {**context, "form": AskForm()})


# ---------------------------------------------------------------- the bureau's pages


@require_http_methods(["GET", "POST"])
@access_view(Perm.QA_CURATE)
def qa_documents(request: HttpRequest) -> HttpResponse:
    """Ingest .txt/.docx/.pdf files (several at once) and list what was ingested."""
    form = IngestForm(request.POST if request.method == "POST" else None)
    errors: list[str] = []
    if request.method == "POST":
        files = request.FILES.getlist("files")
        if not files:
            errors.append("请选择要导入的文件（.txt、.docx 或 .pdf）。")
        elif form.is_valid():
            title = form.cleaned_data["title"] if len(files) == 1 else ""
            done = []
            for upload in files:
                try:
                    result = qa_ingest(acting_user=request.user, upload=upload, title=title)
                except ApplicationError as exc:
                    errors.append(f"{upload.name}：{exc.message}")
                    continue
                if result.created:
                    done.append(f"已导入《{result.document.title}》（{upload.name}，{result.passages} 段）")
                else:
                    done.append(f"{upload.name}：与已导入的《{result.document.title}》内容相同，未重复导入")
            for line in done:
                messages.success(request, line)
            if not errors:
                return redirect("web:qa_documents")
    page = Paginator(document_list(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "web/qa_documents.html",
        {
            "active_nav": "qa_admin",
            "form": form,
            "errors": errors,
            "page": page,
            "accept": ",".join(SUFFIXES),
        },
    )


@require_GET
@access_view(Perm.QA_CURATE)
def qa_unanswered(request: HttpRequest) -> HttpResponse:
    resolved = request.GET.get("show") == "resolved"
    page = Paginator(unanswered_list(resolved=resolved), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "web/qa_unanswered.html",
        {"active_nav": "qa_admin", "page": page, "resolved": resolved, "faqs": faq_list()[:20]},
    )


def _unanswered(raw: str) -> UnansweredQuestion | None:
    return unanswered_get(int(raw)) if raw.strip().isdigit() else None


@require_http_methods(["GET", "POST"])
@access_view(Perm.QA_CURATE)
def qa_faq_create(request: HttpRequest) -> HttpResponse:
    """A curated answer, optionally for a logged question (``?from=<id>``), which it resolves."""
    user = access_require(request.user, Perm.QA_CURATE)
    if request.method == "POST":
        form = FaqForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                faq_create(
                    acting_user=user,
                    question=data["question"],
                    answer=data["answer"],
                    citations=data["citations"],
                    from_unanswered=data["from_unanswered"],
                )
            except ApplicationError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, "已添加常见问题答复，今后同类问题将优先采用此答复。")
                return redirect("web:qa_unanswered")
        unanswered = _unanswered(request.POST.get("from_unanswered", ""))
    else:
        unanswered = _unanswered(request.GET.get("from", ""))
        initial = {"question": unanswered.question, "from_unanswered": unanswered.pk} if unanswered else {}
        form = FaqForm(initial=initial)
    return render(
        request, "web/qa_faq_form.html", {"active_nav": "qa_admin", "form": form, "unanswered": unanswered}
    )
