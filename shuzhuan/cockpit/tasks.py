"""Background tasks of the cockpit: report builds. Tasks take plain values and call the report code."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django.conf import settings

from shuzhuan.core.errors import ApplicationError
from shuzhuan.core.models import BackgroundTask
from shuzhuan.core.tasks import task, task_progress

REPORT_TASK = "cockpit.report"
_STEPS = 100  # the build takes the first half of the progress bar, writing the files the second
MAX_YEARS = 10


def report_dir(task_id: uuid.UUID | str) -> Path:
    return Path(settings.SHUZHUAN_REPORT_DIR) / str(task_id)


def report_scope_period(*, start: int, end: int, region_code: str | None) -> tuple[Any, Any]:
    """(Scope, Period) from plain values, or an ApplicationError fit to show."""
    from shuzhuan.cockpit.figures import FigureError, Period, Scope
    from shuzhuan.enterprises.models import Region

    try:
        period = Period(int(start), int(end))
    except (FigureError, TypeError, ValueError) as exc:
        raise ApplicationError(str(exc) if isinstance(exc, FigureError) else "统计年度须为整数") from None
    if period.end - period.start + 1 > MAX_YEARS:
        raise ApplicationError(f"统计期间最长{MAX_YEARS}年")
    region = None
    if region_code:
        region = Region.objects.filter(code=region_code).first()
        if region is None:
            raise ApplicationError(f"未知的地区代码：{region_code}", field="region")
    return Scope(region), period


@task(REPORT_TASK)
def report_task(task_id: uuid.UUID, params: dict[str, Any]) -> dict[str, Any]:
    """params: from, to (years), region (a region code, or None for the whole install).

    Progress: 100 steps building the report (per programme-year and section), then 100 writing
    the Word and PDF files and each figure's records sheet. The files go to
    ``SHUZHUAN_REPORT_DIR/<task id>/``; the result names them by format."""
    from shuzhuan.cockpit.report import report_build, report_write

    scope, period = report_scope_period(
        start=params["from"], end=params["to"], region_code=params.get("region")
    )

    def phase(index: int) -> Any:
        def progress(done: int, total: int) -> None:
            within = _STEPS * done // total if total else 0
            task_progress(task_id, index * _STEPS + min(within, _STEPS - 1), 2 * _STEPS)

        return progress

    report = report_build(scope, period, progress=phase(0))
    paths = report_write(report, report_dir(task_id), progress=phase(1))
    task_progress(task_id, 2 * _STEPS, 2 * _STEPS)
    return {
        "title": report.title,
        "files": {fmt: path.name for fmt, path in paths.items()},
        "figures": len(report.footnotes),
    }


def report_task_file(job: BackgroundTask, fmt: str) -> Path | None:
    """The file of format ``fmt`` a succeeded report task wrote, if it is still there."""
    if job.kind != REPORT_TASK or job.status != BackgroundTask.Status.SUCCEEDED or not job.result:
        return None
    name = (job.result.get("files") or {}).get(fmt)
    if not name or Path(name).name != name:
        return None
    path = report_dir(job.pk) / name
    return path if path.is_file() else None


def report_task_list(*, owner_id: int, limit: int = 10) -> list[BackgroundTask]:
    """The user's latest report tasks, newest first."""
    return list(
        BackgroundTask.objects.filter(kind=REPORT_TASK, owner_id=owner_id).order_by("-created_at")[:limit]
    )
