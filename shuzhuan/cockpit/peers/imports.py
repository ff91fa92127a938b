"""Storing a checked workbook: all rows or none, upserted, audited."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from shuzhuan.audit.services import audit_record
from shuzhuan.cockpit.models import PeerFigure
from shuzhuan.cockpit.peers.reading import file_sha256, read_workbook
from shuzhuan.cockpit.peers.results import PeerImportReport
from shuzhuan.core.errors import ApplicationError


def peer_import(*, acting_user: Any | None, path: Path, filename: str) -> PeerImportReport:
    """Check every row of the .xlsx at ``path``; store all of them (upsert) or none.

    Raises ApplicationError for a file that cannot be read as .xlsx or lacks a column; returns
    a report whose ``errors`` name each bad row and column (and nothing stored) otherwise.
    """
    filename = (filename or path.name)[:255]
    if not filename.lower().endswith(".xlsx"):
        raise ApplicationError(f"“{filename}”不是 .xlsx 文件：只能导入 Excel 工作簿（.xlsx）", field="file")
    report = PeerImportReport(filename=filename)
    rows = read_workbook(path, report)
    if report.errors:
        return report
    now = timezone.now()
    user = acting_user if getattr(acting_user, "pk", None) is not None else None
    try:
        with transaction.atomic():
            existing = {
                (f.indicator, f.year, f.group, f.region_name): f
                for f in PeerFigure.objects.select_for_update().filter(
                    indicator__in={r.indicator for r in rows}, year__in={r.year for r in rows}
                )
            }
            to_create: list[PeerFigure] = []
            to_update: list[PeerFigure] = []
            for row in rows:
                figure = existing.get(row.key)
                if figure is None:
                    to_create.append(
                        PeerFigure(
                            indicator=row.indicator,
                            year=row.year,
                            group=row.group,
                            region_name=row.region_name,
                            value=row.value,
                            source=filename,
                            imported_at=now,
                            imported_by=user,
                        )
                    )
                    continue
                if figure.value == row.value:
                    report.unchanged += 1
                else:
                    report.updated += 1
                figure.value, figure.source, figure.imported_at, figure.imported_by = (
                    row.value,
                    filename,
                    now,
                    user,
                )
                to_update.append(figure)
            PeerFigure.objects.bulk_create(to_create, batch_size=1000)
            PeerFigure.objects.bulk_update(
                to_update, ["value", "source", "imported_at", "imported_by"], batch_size=1000
            )
            report.created = len(to_create)
            audit_record(
                actor=user,
                action="peer.import",
                object_type="peer_figure_import",
                object_id=filename[:64],
                payload={
                    "file": filename,
                    "sha256": file_sha256(path),
                    "rows": report.rows,
                    "created": report.created,
                    "updated": report.updated,
                    "unchanged": report.unchanged,
                    "indicators": sorted({r.indicator for r in rows}),
                    "years": sorted({r.year for r in rows}),
                },
            )
    except IntegrityError:
        raise ApplicationError("另一份同级比较数据正在同时导入，请稍后重试", field="file") from None
    return report
