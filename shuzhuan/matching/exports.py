"""The outreach list (走访名单): per policy, the matched enterprises that have not applied, as a
workbook for officers' visits."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from shuzhuan.enterprises.models import Region
from shuzhuan.matching.models import MatchRun
from shuzhuan.matching.selectors import policy_title, policy_unapplied

HEADERS = ("企业名称", "统一社会信用代码", "镇（街道）", "行业", "政策", "状态", "预计补助上限", "差距说明")
WIDTHS = (36, 22, 14, 10, 40, 10, 16, 48)


def policy_unapplied_rows(
    *, policy_id: str, region: Region | None = None, run: MatchRun | None = None, town: Region | None = None
) -> list[list[Any]]:
    """One row per match (amounts as Decimal yuan, blank when unknown)."""
    title = policy_title(policy_id)
    rows: list[list[Any]] = []
    for m in policy_unapplied(policy_id=policy_id, region=region, run=run, town=town).iterator(
        chunk_size=2_000
    ):
        e = m.enterprise
        rows.append(
            [
                e.name,
                e.uscc,
                e.town.name,
                e.industry.name if e.industry else "",
                title,
                m.get_status_display(),
                m.ceiling if m.ceiling is not None else "",
                m.gap_text,
            ]
        )
    return rows


def policy_unapplied_xlsx(
    *, policy_id: str, region: Region | None = None, run: MatchRun | None = None, town: Region | None = None
) -> bytes:
    """The outreach list as .xlsx (write-only workbook: large lists stream)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("走访名单")
    for i, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    bold = Font(bold=True)
    header = []
    for text in HEADERS:
        cell = WriteOnlyCell(ws, value=text)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    for row in policy_unapplied_rows(policy_id=policy_id, region=region, run=run, town=town):
        amount = WriteOnlyCell(ws, value=row[6])
        amount.number_format = "#,##0.00"
        ws.append([*row[:6], amount, row[7]])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
