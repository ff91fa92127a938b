"""Cleaning of text as it arrives from spreadsheets typed by people."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def clean_cell(value: object) -> str:
    """Full-width → half-width (NFKC), no stray or inner whitespace at the ends, one space inside."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    text = text.replace("\u200b", "").replace("\ufeff", "")
    return _SPACES.sub(" ", text).strip()


def squash(value: object) -> str:
    """clean_cell without any whitespace at all — for codes and header matching."""
    return _SPACES.sub("", clean_cell(value))
