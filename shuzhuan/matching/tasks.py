"""Background work of 政策找人. Tasks take ids and plain values and call services."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from shuzhuan.core.errors import ApplicationError
from shuzhuan.core.tasks import task, task_progress
from shuzhuan.matching.models import MatchRun

logger = logging.getLogger(__name__)

MATCH_RUN_TASK = "matching.run"
_PHASES = tuple(MatchRun.Phase.values)
_STEPS = 100  # progress steps per phase


@task(MATCH_RUN_TASK)
def match_run_task(task_id: uuid.UUID, params: dict[str, Any]) -> dict[str, Any]:
    """params: run_id (a queued ``MatchRun``). Progress: 100 steps per phase (snapshot, match,
    store, diff); the run's ``phase`` names the one under way. A failure marks the run failed
    (the service does) and the task failed with the same message; there is no automatic retry —
    a run is started again by a person, as a new version."""
    from shuzhuan.matching.services import match_run_execute

    def progress(phase: str, done: int, total: int | None) -> None:
        within = _STEPS * done // total if total else 0
        task_progress(task_id, _PHASES.index(phase) * _STEPS + min(within, _STEPS - 1), len(_PHASES) * _STEPS)

    try:
        run = match_run_execute(run_id=int(params["run_id"]), progress=progress)
    except ApplicationError as exc:
        if exc.__cause__ is not None:  # an internal error: the run holds the message, the log the trace
            logger.error("matching run task %s failed", task_id, exc_info=exc.__cause__)
        raise
    task_progress(task_id, len(_PHASES) * _STEPS, len(_PHASES) * _STEPS)
    return {
        "run": run.version,
        "status": run.status,
        "counts": run.counts,
        "new": run.new_count,
        "changed": run.changed_count,
        "gone": run.gone_count,
        "timings": run.timings,
    }
