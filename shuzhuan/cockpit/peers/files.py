"""The workbook format: writing peer figures and the blank template."""

from __future__ import annotations

import io
from collections.abc import Iterable
from decimal import Decimal

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from shuzhuan.cockpit import figures
from shuzhuan.cockpit.peers.reading import HEADERS


def peer_xlsx(rows: Iterable[tuple[str, int, str, str, Decimal | int | str]]) -> bytes:
    """A workbook in the import format: the data sheet, and the indicator codes and labels."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "同级比较"
    bold = Font(bold=True)
    ws.append(list(HEADERS))
    for row in rows:
        ws.append([row[0], row[1], row[2], row[3], Decimal(row[4])])
    for index, width in enumerate((40, 8, 10, 12, 16), start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
        ws.cell(row=1, column=index).font = bold
    ref = wb.create_sheet("指标代码")
    ref.append(["指标代码", "指标"])
    for code, label in figures.indicator_choices():
        ref.append([code, label])
    ref.column_dimensions["A"].width = 40
    ref.column_dimensions["B"].width = 36
    for index in (1, 2):
        ref.cell(row=1, column=index).font = bold
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def peer_template_xlsx() -> bytes:
    """The header row, one example row and, on a second sheet, every indicator code and label."""
    choices = figures.indicator_choices()
    code = choices[0][0] if choices else "library.enterprises"
    year = timezone.localdate().year - 1
    return peer_xlsx([(code, year, "宁波", "余姚市", 1234)])
