"""Chinese tokens for retrieval: jieba with the programme's dictionary, synonyms folded to one
canonical term, stopwords dropped — applied alike to passages and questions.

``segmenter()`` is the programme's; ``baseline_segmenter()`` is plain jieba (the same search-mode
cut and stopwords, without the user dictionary and synonyms), the benchmark's baseline.
The dictionary, synonyms and stopwords are text files in ``shuzhuan/qa/data``. jieba's dictionary
ships in its wheel; its prefix-dictionary cache goes under the var directory (or a private
temporary directory when that is not writable), never to a shared place, and it logs nothing
below WARNING.
"""

from __future__ import annotations

import logging
import re
import tempfile
import threading
import unicodedata
from functools import cache
from pathlib import Path

import jieba

DATA_DIR = Path(__file__).resolve().parent / "data"
USER_DICT = DATA_DIR / "userdict.txt"
SYNONYMS = DATA_DIR / "synonyms.txt"
STOPWORDS = DATA_DIR / "stopwords.txt"

_WORD = re.compile(r"[\w\u4e00-\u9fff]")  # a token must hold a letter, digit or Han character
_lock = threading.Lock()

jieba.setLogLevel(logging.WARNING)


def _data_lines(path: Path) -> list[str]:
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            lines.append(line)
    return lines


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


@cache
def synonym_table() -> dict[str, str]:
    """Each synonym (folded) → its group's canonical term (the first word of the line)."""
    table: dict[str, str] = {}
    for line in _data_lines(SYNONYMS):
        words = line.split()
        canonical = _fold(words[0])
        for word in words:
            table.setdefault(_fold(word), canonical)
    return table


@cache
def stopwords() -> frozenset[str]:
    return frozenset(_fold(w) for line in _data_lines(STOPWORDS) for w in line.split())


def user_dictionary() -> list[tuple[str, int | None, str | None]]:
    """(word, frequency, tag) of the programme's dictionary plus every synonym."""
    entries: list[tuple[str, int | None, str | None]] = []
    for line in _data_lines(USER_DICT):
        parts = line.split()
        freq = int(parts[1]) if len(parts) > 1 else None
        entries.append((parts[0], freq, parts[2] if len(parts) > 2 else None))
    for line in _data_lines(SYNONYMS):
        entries.extend((word, 2000, "n") for word in line.split() if len(word) > 1)
    return entries


def _cache_dir() -> str:
    from django.conf import settings

    try:
        path = Path(settings.VAR_DIR) / "cache" / "jieba"
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".writable"
        probe.touch()
        probe.unlink()
        return str(path)
    except (OSError, AttributeError):
        return tempfile.mkdtemp(prefix="shuzhuan-jieba-")


class Segmenter:
    """Turns text into retrieval tokens. Thread-safe once built."""

    def __init__(self, *, programme: bool) -> None:
        self.programme = programme
        tokenizer = jieba.Tokenizer()
        tokenizer.tmp_dir = _cache_dir()
        tokenizer.initialize()
        if programme:
            for word, freq, tag in user_dictionary():
                tokenizer.add_word(word, freq, tag)
        self._tokenizer = tokenizer
        self._synonyms = synonym_table() if programme else {}
        self._stopwords = stopwords()

    def words(self, text: str) -> list[str]:
        """jieba's search-mode cut (whole words and the dictionary words inside them)."""
        return [w for w in self._tokenizer.cut_for_search(unicodedata.normalize("NFKC", text)) if w.strip()]

    def tokens(self, text: str) -> list[str]:
        out = []
        for word in self.words(text):
            folded = word.lower()
            if not _WORD.search(folded) or folded in self._stopwords:
                continue
            out.append(self._synonyms.get(folded, folded))
        return out


_segmenters: dict[bool, Segmenter] = {}


def _segmenter(programme: bool) -> Segmenter:
    with _lock:
        seg = _segmenters.get(programme)
        if seg is None:
            seg = _segmenters[programme] = Segmenter(programme=programme)
        return seg


def segmenter() -> Segmenter:
    """The programme's segmenter (user dictionary, synonyms, stopwords), built once."""
    return _segmenter(True)


def baseline_segmenter() -> Segmenter:
    """Plain jieba with the same stopwords: no programme dictionary, no synonyms."""
    return _segmenter(False)
