"""A figure's records as an .xlsx sheet: the figure, its query in words, then the table."""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from shuzhuan.cockpit.figures import RecordTable

MONEY_FORMAT = "#,##0.00"


def records_sheet(ws: Worksheet, table: RecordTable) -> None:
    fig = table.figure
    ws.append([f"{fig.label}：{fig.display}"])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([f"口径：{fig.query}"])
    ws["A2"].alignment = Alignment(wrap_text=False)
    ws.append([f"共 {len(table.rows)} 条记录"])
    ws.append([c.label for c in table.columns])
    for cell in ws[4]:
        cell.font = Font(bold=True)
    for row in table.rows:
        ws.append([row.get(c.key) for c in table.columns])
    for col_idx, column in enumerate(table.columns, start=1):
        letter = get_column_letter(col_idx)
        ws.column_dimensions[letter].width = 14 if column.kind != "text" else 24
        if column.kind == "money":
            for r in range(5, 5 + len(table.rows)):
                ws.cell(row=r, column=col_idx).number_format = MONEY_FORMAT
        elif column.kind == "date":
            for r in range(5, 5 + len(table.rows)):
                ws.cell(row=r, column=col_idx).number_format = "yyyy-mm-dd"
    ws.freeze_panes = "A5"


def records_xlsx(table: RecordTable) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "记录清单"
    records_sheet(ws, table)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
