"""Search the 智能应答 corpus: BM25 (bm25s) over the programme's Chinese tokens.

``retriever()`` returns the process's index, rebuilt when the corpus changed (passage count and
highest passage id, latest document — passages are only ever replaced with their document) after bringing the
edition and FAQ documents in step (``corpus_sync``). ``Retriever.search(query, k=5)`` returns the
best passages as ``Hit``s, best first, only those sharing at least one token with the query.
``baseline_retriever()`` is the same corpus indexed by plain jieba without the programme's
dictionary and synonyms — the benchmark's baseline.

bm25s's own tokenizer is bypassed: passages and queries are tokenized by ``shuzhuan.qa.tokens``
and handed to bm25s as token ids over our own vocabulary.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import bm25s
import numpy as np
from django.db.models import Count, Max

from shuzhuan.qa.models import Passage
from shuzhuan.qa.tokens import Segmenter, baseline_segmenter, segmenter

logging.getLogger("bm25s").setLevel(logging.WARNING)


@dataclass(frozen=True)
class Hit:
    passage_id: int
    document_id: int
    document_title: str
    document_number: str
    section: str
    text: str
    score: float


@dataclass(frozen=True)
class _Entry:
    passage_id: int
    document_id: int
    document_title: str
    document_number: str
    section: str
    text: str


class Retriever:
    """An in-memory BM25 index over a fixed list of passages. Thread-safe for search."""

    def __init__(self, entries: Sequence[_Entry], *, tokens: Segmenter) -> None:
        self._entries = list(entries)
        self._tokens = tokens
        self._vocab: dict[str, int] = {}
        corpus_ids = []
        for entry in self._entries:
            words = tokens.tokens(f"{entry.section} {entry.text}")
            corpus_ids.append([self._vocab.setdefault(w, len(self._vocab)) for w in words])
        self._bm25: Any = None
        if self._entries:
            self._vocab.setdefault("", len(self._vocab))  # bm25s scores empty passages with it
            self._bm25 = bm25s.BM25()
            self._bm25.index((corpus_ids, self._vocab), show_progress=False)

    def __len__(self) -> int:
        return len(self._entries)

    def query_tokens(self, query: str) -> list[str]:
        return self._tokens.tokens(query)

    def search(self, query: str, *, k: int = 5) -> list[Hit]:
        """The ``k`` best passages for the query, best first (ties by corpus order); empty when
        no passage shares a token with it."""
        if self._bm25 is None or k <= 0:
            return []
        ids = sorted({self._vocab[t] for t in self.query_tokens(query) if t in self._vocab})
        if not ids:
            return []
        scores = self._bm25.get_scores_from_ids(ids)
        k = min(k, len(self._entries))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        ranked = sorted(top.tolist(), key=lambda i: (-float(scores[i]), i))
        hits = []
        for i in ranked:
            score = float(scores[i])
            if score <= 0:
                break
            e = self._entries[i]
            hits.append(
                Hit(
                    e.passage_id, e.document_id, e.document_title, e.document_number, e.section, e.text, score
                )
            )
        return hits


_lock = threading.Lock()
_cache: dict[bool, tuple[tuple[Any, ...], Retriever]] = {}


def corpus_key() -> tuple[Any, ...]:
    """Changes whenever a document is added, replaced or removed: the passage count, the highest
    passage id and the latest document's time (ids alone can repeat after a rollback)."""
    agg = Passage.objects.aggregate(n=Count("pk"), top=Max("pk"), at=Max("document__ingested_at"))
    return int(agg["n"]), agg["top"], agg["at"]


def retriever_reset() -> None:
    """Forget the built indexes (tests; the next call rebuilds)."""
    with _lock:
        _cache.clear()


def _entries() -> list[_Entry]:
    rows = Passage.objects.order_by("pk").values_list(
        "pk", "document_id", "document__title", "document__number", "section", "text"
    )
    return [_Entry(*row) for row in rows]


def _retriever(programme: bool) -> Retriever:
    from shuzhuan.qa.services import corpus_sync

    corpus_sync()
    key = corpus_key()
    with _lock:
        cached = _cache.get(programme)
        if cached is not None and cached[0] == key:
            return cached[1]
    tokens = segmenter() if programme else baseline_segmenter()
    built = Retriever(_entries(), tokens=tokens)
    with _lock:
        _cache[programme] = (key, built)
    return built


def retriever() -> Retriever:
    """The programme's retriever over the current corpus (built on first use, rebuilt on change)."""
    return _retriever(True)


def baseline_retriever() -> Retriever:
    """Plain BM25 over jieba tokens, without the programme's dictionary and synonyms."""
    return _retriever(False)
