"""Background work of the registry. Tasks take ids and plain values and call services."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model

from shuzhuan.core.tasks import task, task_progress
from shuzhuan.enterprises.imports import enterprise_import
from shuzhuan.enterprises.models import Region

IMPORT_TASK = "enterprise_import"


@task(IMPORT_TASK)
def enterprise_import_task(task_id: uuid.UUID, params: dict[str, Any]) -> dict[str, Any]:
    """params: path (stored upload), filename, dry_run, user_id, allowed_town_ids (None = all)."""
    path = Path(params["path"])
    user_id = params.get("user_id")
    user = get_user_model().objects.filter(pk=user_id).first() if user_id is not None else None
    allowed_ids = params.get("allowed_town_ids")
    allowed = list(Region.objects.filter(pk__in=allowed_ids)) if allowed_ids is not None else None
    try:
        report = enterprise_import(
            acting_user=user,
            path=path,
            filename=params.get("filename"),
            dry_run=bool(params.get("dry_run")),
            allowed_towns=allowed,
            progress=lambda done, total: task_progress(task_id, done, total),
        )
    finally:
        path.unlink(missing_ok=True)
    return report.as_dict()
