"""The public-notice list (公示名单) of a batch, as a workbook and as a printable A4 PDF.

The list holds the applications under public notice (by default; any statuses may be asked
for), ordered by town and enterprise, with the proposed award and the notice period, and a total
line. The PDF uses ReportLab's built-in Adobe-GB1 CID font (STSong-Light), which PDF readers
supply themselves: no font file is shipped or fetched.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from decimal import Decimal
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from shuzhuan.applications.models import Application, PolicyBatch, Status
from shuzhuan.enterprises.models import Region
from shuzhuan.policies.selectors import edition_built

HEADERS = (
    "序号",
    "企业名称",
    "统一社会信用代码",
    "所属镇（街道）",
    "项目名称",
    "政策",
    "核定投入额（元）",
    "拟补助金额（元）",
    "公示期",
)


def _yuan(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def public_notice_rows(
    *,
    batch: PolicyBatch,
    statuses: Iterable[str] = (Status.PUBLIC_NOTICE,),
    region: Region | None = None,
) -> list[list[str]]:
    """One row of strings per application (amounts as ``1,234.56``); with ``region``, only the
    enterprises within its subtree (an officer's scope)."""
    titles = {p.id: p.title for p in edition_built(batch.edition).policies}
    apps = (
        Application.objects.filter(batch=batch, status__in=list(statuses))
        .select_related("enterprise__town")
        .order_by("enterprise__town__sort_order", "enterprise__name", "number")
    )
    if region is not None:
        apps = apps.filter(enterprise__town__path__startswith=region.path)
    rows = []
    for i, a in enumerate(apps, start=1):
        period = f"{a.notice_starts_on} 至 {a.notice_ends_on}" if a.notice_starts_on else ""
        rows.append(
            [
                str(i),
                a.enterprise.name,
                a.enterprise.uscc,
                a.enterprise.town.name,
                a.project_name,
                titles.get(a.policy_id, a.policy_id),
                _yuan(a.verified_investment),
                _yuan(a.approved_amount),
                period,
            ]
        )
    return rows


def _total(rows: list[list[str]]) -> Decimal:
    return sum((Decimal(r[7].replace(",", "")) for r in rows if r[7]), Decimal("0.00"))


def public_notice_xlsx(
    *,
    batch: PolicyBatch,
    statuses: Iterable[str] = (Status.PUBLIC_NOTICE,),
    region: Region | None = None,
) -> bytes:
    rows = public_notice_rows(batch=batch, statuses=statuses, region=region)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "公示名单"
    ws.append([f"{batch.name} 拟补助项目公示名单"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append(list(HEADERS))
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for r in rows:
        # amounts go in as numbers so finance can sum them; shown with two places
        ws.append(
            [
                int(r[0]),
                *r[1:6],
                Decimal(r[6].replace(",", "")) if r[6] else None,
                Decimal(r[7].replace(",", "")) if r[7] else None,
                r[8],
            ]
        )
    ws.append(["合计", f"{len(rows)} 个项目", "", "", "", "", None, _total(rows), ""])
    for row in ws.iter_rows(min_row=3, min_col=7, max_col=8):
        for cell in row:
            cell.number_format = "#,##0.00"
    for i, width in enumerate((6, 34, 22, 14, 34, 30, 16, 16, 24), start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def public_notice_pdf(
    *,
    batch: PolicyBatch,
    statuses: Iterable[str] = (Status.PUBLIC_NOTICE,),
    region: Region | None = None,
) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = "STSong-Light"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    rows = public_notice_rows(batch=batch, statuses=statuses, region=region)
    cell = ParagraphStyle("cell", fontName=font, fontSize=8, leading=10)
    title = ParagraphStyle("title", fontName=font, fontSize=15, leading=20, alignment=1)
    # Paragraph text is markup: a name such as "A<B" must be escaped, or the build fails.
    data: list[list[object]] = [[Paragraph(escape(h), cell) for h in HEADERS]]
    data += [[Paragraph(escape(v), cell) for v in r] for r in rows]
    data.append(
        [
            Paragraph(escape(v), cell)
            for v in ("合计", f"{len(rows)} 个项目", "", "", "", "", "", f"{_total(rows):,.2f}", "")
        ]
    )
    widths = [v * mm for v in (10, 48, 34, 20, 48, 40, 24, 24, 28)]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=landscape(A4),
        leftMargin=10 * mm,
        rightMargin=10 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=f"{batch.name} 公示名单",
    )
    doc.build([Paragraph(escape(f"{batch.name} 拟补助项目公示名单"), title), Spacer(1, 6 * mm), table])
    return out.getvalue()
