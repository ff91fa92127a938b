"""Export the registry to .xlsx with the same columns the import reads."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import IO, Any

from django.db.models import QuerySet
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from shuzhuan.core.money import yuan_to_wan
from shuzhuan.enterprises.imports.columns import COLUMNS
from shuzhuan.enterprises.models import Enterprise, Qualification

CHUNK = 2000


def _yes_no(value: bool) -> str:
    return "是" if value else "否"


def enterprise_export_xlsx(queryset: QuerySet[Enterprise], target: Path | IO[bytes]) -> int:
    """Write ``queryset`` (already scoped by the caller) to ``target``; returns the row count."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("企业名单")
    bold = Font(bold=True)
    header = []
    for col in COLUMNS:
        cell = WriteOnlyCell(ws, value=col.header)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    status_label = dict(Enterprise.Status.choices)
    count = 0
    ids = list(queryset.order_by("town__sort_order", "name", "uscc").values_list("id", flat=True))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        quals: dict[int, list[str]] = defaultdict(list)
        for q in (
            Qualification.objects.filter(enterprise_id__in=chunk)
            .select_related("type")
            .order_by("year", "type__sort_order")
        ):
            quals[q.enterprise_id].append(f"{q.type.name}({q.year})")
        rows = Enterprise.objects.filter(id__in=chunk).select_related("town", "industry").in_bulk()
        for pk in chunk:
            e = rows[pk]
            values: dict[str, Any] = {
                "uscc": e.uscc,
                "name": e.name,
                "town": e.town.name,
                "industry": e.industry.name if e.industry else "",
                "is_sme": _yes_no(e.is_sme),
                "above_scale": _yes_no(e.above_scale),
                "employees": e.employees,
                "revenue": yuan_to_wan(e.revenue) if e.revenue is not None else None,
                "has_rd_activity": _yes_no(e.has_rd_activity),
                "status": status_label.get(e.status, e.status),
                "qualifications": "；".join(quals.get(pk, [])),
            }
            ws.append([values[c.key] for c in COLUMNS])
            count += 1
    wb.save(target)
    return count
