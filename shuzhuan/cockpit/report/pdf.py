"""The report as a printable A4 PDF, with ReportLab.

Like the public-notice list (``shuzhuan.applications.exports``) it uses the built-in Adobe-GB1
CID font STSong-Light, which PDF readers supply themselves: no font file is shipped or fetched.
Footnote markers are superscript numbers after each figure; the numbered notes close the
document (see ``word`` for why they are endnotes).
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from shuzhuan.cockpit.report.model import Paragraph as ReportParagraph
from shuzhuan.cockpit.report.model import Report
from shuzhuan.cockpit.report.word import NOTES_INTRO, NOTES_TITLE, marker

FONT = "STSong-Light"


def _markup(paragraph: ReportParagraph) -> str:
    # Paragraph text is markup: figure labels and URLs (with "&") must be escaped.
    parts = []
    for segment in paragraph.segments:
        parts.append(escape(segment.text))
        if segment.notes:
            parts.append(f"<super>{marker(segment.notes)}</super>")
    return "".join(parts)


def report_pdf(report: Report) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    base = {"fontName": FONT, "wordWrap": "CJK"}
    title = ParagraphStyle("title", fontSize=16, leading=24, alignment=1, spaceAfter=4, **base)
    subtitle = ParagraphStyle("subtitle", fontSize=9, leading=13, alignment=1, spaceAfter=10, **base)
    heading = ParagraphStyle("heading", fontSize=13, leading=20, spaceBefore=10, spaceAfter=4, **base)
    body = ParagraphStyle("body", fontSize=11, leading=19, firstLineIndent=22, spaceAfter=4, **base)
    note = ParagraphStyle("note", fontSize=8, leading=11, spaceAfter=3, **base)

    story: list[Any] = [Paragraph(escape(report.title), title), Paragraph(escape(report.subtitle), subtitle)]
    if not report.sections:
        story.append(Paragraph("统计期间内没有可报告的数据。", body))
    for section in report.sections:
        story.append(Paragraph(escape(section.title), heading))
        story += [Paragraph(_markup(p), body) for p in section.paragraphs]
    if report.footnotes:
        story += [
            Spacer(1, 4 * mm),
            Paragraph(escape(NOTES_TITLE), heading),
            Paragraph(escape(NOTES_INTRO), note),
        ]
        story += [Paragraph(escape(n.text), note) for n in report.footnotes]

    def page_number(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.drawCentredString(A4[0] / 2, 10 * mm, f"第 {doc.page} 页")
        canvas.restoreState()

    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=22 * mm,
        rightMargin=22 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=report.title,
    )
    doc.build(story, onFirstPage=page_number, onLaterPages=page_number)
    return out.getvalue()
