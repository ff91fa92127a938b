"""The report's tables as an .xlsx workbook, with openpyxl.

「汇总」 lists every footnoted figure: its number, key, label, the value as a number (money in
yuan to the fen, counts as integers), the text shown in the report, the query in words and the
records page. Then one sheet per figure holds the rows the value was computed from
(``figure_records``), money as numbers with two decimals so finance can sum them.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from shuzhuan.cockpit.figures import FEN, figure_records
from shuzhuan.cockpit.report.model import Footnote, Report

MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
SHEET_NAME_MAX = 31
SUMMARY = "汇总"
SUMMARY_HEADERS = (
    "注释",
    "口径代码",
    "指标",
    "统计期间",
    "数值",
    "单位",
    "报告中写作",
    "统计口径",
    "记录清单",
    "明细表",
)


def sheet_name(note: Footnote, taken: set[str]) -> str:
    """``<n> <key>`` cut to Excel's 31 characters, unique within the workbook."""
    base = f"{note.number} {note.figure.key}"[:SHEET_NAME_MAX]
    name, i = base, 2
    while name.lower() in taken:
        suffix = f"~{i}"
        name, i = base[: SHEET_NAME_MAX - len(suffix)] + suffix, i + 1
    taken.add(name.lower())
    return name


def _cell(value: Any, kind: str) -> tuple[Any, str | None]:
    if value is None or value == "":
        return None, None
    if kind == "money":
        return Decimal(value).quantize(FEN), MONEY_FORMAT
    if kind == "date" and isinstance(value, dt.date):
        return value, DATE_FORMAT
    if kind == "int":
        return int(value), None
    return value if isinstance(value, (int, Decimal, dt.date)) else str(value), None


def _widths(ws: Worksheet, widths: list[int]) -> None:
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width


def _records_sheet(wb: Workbook, note: Footnote, name: str) -> None:
    fig = note.figure
    table = figure_records(fig.key, scope=fig.scope, period=fig.period, filters=fig.filters)
    ws = wb.create_sheet(name)
    ws.append([f"[{note.number}] {fig.label}（{fig.period.label}，{fig.scope.label}）：{fig.display}"])
    ws["A1"].font = Font(bold=True)
    ws.append([fig.query])
    ws.append([c.label for c in table.columns])
    for cell in ws[3]:
        cell.font = Font(bold=True)
    for row in table.rows:
        values = [_cell(row.get(c.key), c.kind) for c in table.columns]
        ws.append([v for v, _ in values])
        for cell, (_, fmt) in zip(ws[ws.max_row], values, strict=False):
            if fmt:
                cell.number_format = fmt
    if not table.rows:
        ws.append(["（无记录）"])
    ws.freeze_panes = "A4"
    _widths(ws, [max(10, min(40, 2 * len(c.label) + 4)) for c in table.columns])


def report_xlsx(report: Report, *, progress: Callable[[int, int], None] | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SUMMARY
    ws.append([report.title])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([report.subtitle])
    ws.append(list(SUMMARY_HEADERS))
    for cell in ws[3]:
        cell.font = Font(bold=True)
    taken = {SUMMARY}
    names = [sheet_name(note, taken) for note in report.footnotes]
    for note, name in zip(report.footnotes, names, strict=True):
        fig = note.figure
        value: Decimal | int = fig.value.quantize(FEN) if fig.is_money else int(fig.value)
        ws.append(
            [
                note.number,
                fig.key,
                fig.label,
                fig.period.label,
                value,
                fig.unit,
                fig.display,
                fig.query,
                fig.url,
                name,
            ]
        )
        row = ws.max_row
        if fig.is_money:
            ws.cell(row=row, column=5).number_format = MONEY_FORMAT
        link = ws.cell(row=row, column=10)
        link.hyperlink = f"#'{name}'!A1"
        link.font = Font(color="0563C1", underline="single")
    ws.freeze_panes = "A4"
    _widths(ws, [6, 30, 34, 12, 16, 6, 14, 60, 50, 30])
    for done, (note, name) in enumerate(zip(report.footnotes, names, strict=True), start=1):
        _records_sheet(wb, note, name)
        if progress is not None:
            progress(done, len(report.footnotes))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
