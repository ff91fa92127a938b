"""Files handed to the browser as downloads, named in Chinese.

``Content-Disposition`` carries both names RFC 6266 asks for: an ASCII ``filename`` for old
clients and the real name as ``filename*=UTF-8''…`` (RFC 5987 percent-encoding), which every
current browser prefers. The response is never cached (the lists name enterprises and amounts)
and never sniffed.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from django.http import HttpResponse

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"

# Characters no file system or browser accepts in a name, and control characters.
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
_NOT_ASCII_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def download_filename(name: str) -> str:
    """``name`` with the characters a file name cannot hold replaced by ``_``."""
    return _UNSAFE.sub("_", name).strip(" .") or "download"


def content_disposition(filename: str, *, fallback: str) -> str:
    """``attachment; filename="<fallback>"; filename*=UTF-8''<filename percent-encoded>``."""
    ascii_name = _NOT_ASCII_SAFE.sub("_", fallback).strip("_") or "download"
    real = quote(download_filename(filename), safe="")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{real}"


def download_response(data: bytes, *, filename: str, fallback: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition(filename, fallback=fallback)
    response["Content-Length"] = str(len(data))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
