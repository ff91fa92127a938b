"""The report as a Word document (.docx), with python-docx.

python-docx has no API for Word's native footnotes (footnotes.xml), so a figure is followed by a
superscript marker such as ``[3]`` and the numbered notes close the document under
「注释（数据来源）」: the same numbers, each naming the query behind the figure, its exact value
and the page listing its records. The text stays selectable and a reader of the printout finds
every source at the end, as with endnotes.
"""

from __future__ import annotations

import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.styles.style import ParagraphStyle

from shuzhuan.cockpit.report.model import Report

FONT = "宋体"
HEADING_FONT = "黑体"
NOTES_TITLE = "注释（数据来源）"
NOTES_INTRO = (
    "正文数字右上角的编号对应下列注释。金额以万元表示，四舍五入保留两位小数；"
    "精确到分的数值见各注释及统计表（.xlsx）。"
)


def marker(notes: tuple[int, ...]) -> str:
    return "[" + ",".join(str(n) for n in notes) + "]"


def _east_asian(style: ParagraphStyle, font: str) -> None:
    style.font.name = font
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)


def report_docx(report: Report) -> bytes:
    doc = Document()
    doc.core_properties.title = report.title
    normal = doc.styles["Normal"]
    assert isinstance(normal, ParagraphStyle)
    _east_asian(normal, FONT)
    normal.font.size = Pt(12)
    for name in ("Title", "Heading 1"):
        style = doc.styles[name]
        assert isinstance(style, ParagraphStyle)
        _east_asian(style, HEADING_FONT)

    title = doc.add_heading(report.title, level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    subtitle = doc.add_paragraph(report.subtitle)
    subtitle.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if not report.sections:
        doc.add_paragraph("统计期间内没有可报告的数据。")
    for section in report.sections:
        doc.add_heading(section.title, level=1)
        for paragraph in section.paragraphs:
            p = doc.add_paragraph()
            p.paragraph_format.first_line_indent = Pt(24)
            for segment in paragraph.segments:
                if segment.text:
                    p.add_run(segment.text)
                if segment.notes:
                    p.add_run(marker(segment.notes)).font.superscript = True
    if report.footnotes:
        doc.add_heading(NOTES_TITLE, level=1)
        doc.add_paragraph(NOTES_INTRO).runs[0].font.size = Pt(9)
        for note in report.footnotes:
            run = doc.add_paragraph().add_run(note.text)
            run.font.size = Pt(9)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
