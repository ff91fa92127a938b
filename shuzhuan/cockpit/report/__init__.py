"""统计报告: the programme's figures for a period as a Word document, a PDF and a workbook.

``report_build`` writes the prose (``build``); ``report_docx``, ``report_pdf`` and
``report_xlsx`` lay it out; ``report_write`` puts the three files in a folder (the background
task ``cockpit.report`` and ``shuzhuan report build`` both use it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from shuzhuan.cockpit.report.build import report_build, report_title, scope_place
from shuzhuan.cockpit.report.model import Footnote, Paragraph, Report, Section, Segment
from shuzhuan.cockpit.report.pdf import report_pdf
from shuzhuan.cockpit.report.word import report_docx
from shuzhuan.cockpit.report.workbook import report_xlsx

FORMATS = ("docx", "pdf", "xlsx")
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')

__all__ = [
    "FORMATS",
    "Footnote",
    "Paragraph",
    "Report",
    "Section",
    "Segment",
    "report_build",
    "report_docx",
    "report_filename",
    "report_pdf",
    "report_title",
    "report_write",
    "report_xlsx",
    "scope_place",
]


def report_filename(report: Report, fmt: str) -> str:
    stem = _UNSAFE.sub("_", report.title).strip(" .") or "report"
    return f"{stem}.{fmt}"


def report_write(
    report: Report, directory: Path, *, progress: Callable[[int, int], None] | None = None
) -> dict[str, Path]:
    """The three files in ``directory`` (created if needed), written whole or not at all:
    each goes to a ``.part`` file first and is renamed when complete. ``progress(done, total)``
    counts the Word and PDF files and then each figure's records sheet."""
    directory.mkdir(parents=True, exist_ok=True)
    total = 2 + len(report.footnotes)
    paths: dict[str, Path] = {}

    def put(fmt: str, data: bytes) -> None:
        target = directory / report_filename(report, fmt)
        part = target.with_name(target.name + ".part")
        part.write_bytes(data)
        part.replace(target)
        paths[fmt] = target

    put("docx", report_docx(report))
    if progress is not None:
        progress(1, total)
    put("pdf", report_pdf(report))
    if progress is not None:
        progress(2, total)
    sheets = None if progress is None else (lambda done, _n: progress(2 + done, total))
    put("xlsx", report_xlsx(report, progress=sheets))
    return {fmt: paths[fmt] for fmt in FORMATS}
