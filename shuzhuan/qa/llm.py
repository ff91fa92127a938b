"""Optional rephrasing by a language model behind an OpenAI-compatible endpoint (a locally hosted
Qwen or DeepSeek), off unless ``SHUZHUAN_QA_LLM_URL`` is set.

The model only rewords: every number in its text must appear in the source answer or in the
passages it was given, or the original answer is kept. Any failure (timeout, bad JSON, HTTP
error) keeps the original too. Plain urllib; the transport can be replaced in tests.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.request
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)

Transport = Callable[[str, dict[str, str], bytes, float], bytes]

SYSTEM_PROMPT = (
    "你是政策咨询助手。请把给定的答复改写得更通顺、简洁，保持原意。"
    "不得增加、删除或改动任何数字、金额、比例、年份和文号；只使用答复和依据段落中的信息。"
)

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*|[零〇一二两三四五六七八九十百千万亿]{2,}")


def _urllib_transport(url: str, headers: dict[str, str], body: bytes, timeout: float) -> bytes:
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"unsupported URL scheme: {url}")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - scheme checked above
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked above
        return bytes(response.read())


_transport: Transport = _urllib_transport


def transport_set(transport: Transport | None) -> None:
    """Replace the HTTP transport (tests); None restores urllib."""
    global _transport
    _transport = transport or _urllib_transport


def numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


def numbers_grounded(candidate: str, sources: Sequence[str]) -> bool:
    """Every number in ``candidate`` appears in one of ``sources``."""
    allowed: set[str] = set()
    for s in sources:
        allowed |= numbers(s)
    joined = "".join(sources).replace(",", "")
    return all(n in allowed or n in joined for n in numbers(candidate))


def llm_rephrase(*, question: str, answer: str, passages: Sequence[str]) -> str:
    url = getattr(settings, "SHUZHUAN_QA_LLM_URL", "")
    if not url:
        return answer
    model = getattr(settings, "SHUZHUAN_QA_LLM_MODEL", "") or "qwen"
    key = getattr(settings, "SHUZHUAN_QA_LLM_KEY", "")
    timeout = float(getattr(settings, "SHUZHUAN_QA_LLM_TIMEOUT", 10))
    context = "\n".join(f"[{i + 1}] {p}" for i, p in enumerate(passages))
    payload: dict[str, Any] = {
        "model": model,
        "temperature": 0,
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": f"问题：{question}\n依据：\n{context}\n答复：{answer}\n请改写答复："},
        ],
    }
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    endpoint = (
        url.rstrip("/") + "/chat/completions" if not url.rstrip("/").endswith("/chat/completions") else url
    )
    try:
        raw = _transport(endpoint, headers, json.dumps(payload, ensure_ascii=False).encode(), timeout)
        text = json.loads(raw)["choices"][0]["message"]["content"].strip()
    except Exception as exc:  # the model is optional: any failure keeps the original answer
        logger.warning("qa llm rephrase failed: %s", exc)
        return answer
    if not text or not numbers_grounded(text, [answer, *passages]):
        return answer
    return str(text)
