"""Test documents built on the fly: a .docx (python-docx) and a .pdf (reportlab), and the seed
replies read from /work/shared/seeds (never copied into the repository)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

SEEDS = Path("/work/shared/seeds")

NOTICE_LINES = [
    "关于人工智能大模型应用项目补助的问答",
    "慈经信建〔2026〕3号",
    "一、补助标准",
    "对应用人工智能大模型的数字化项目，按核定投入额的50%给予补助，单个项目最高30万元。",
    "二、申报时间",
    "每年三月至四月集中受理，逾期不予受理。",
]


def docx_bytes(lines: list[str] = NOTICE_LINES, *, headings: tuple[str, ...] = ()) -> bytes:
    import docx

    document = docx.Document()
    for line in lines:
        if line in headings:
            document.add_heading(line, level=1)
        else:
            document.add_paragraph(line)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def pdf_bytes(lines: list[str] = NOTICE_LINES) -> bytes:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    page = canvas.Canvas(buf)
    page.setFont("STSong-Light", 11)
    y = 800
    for line in lines:
        page.drawString(40, y, line)
        y -= 18
    page.save()
    return buf.getvalue()


def seed_files() -> list[Path]:
    files = sorted(SEEDS.glob("*.txt"))
    if not files:
        pytest.skip("the seed documents are not available")
    return files
