"""Writes of 政策找人: runs (``run``), pushes and push preferences (``push``), 免申即享 grants
(``auto_grant``). Each takes ``acting_user`` (None: the system — the CLI operator or a
scheduled job) and writes its audit entries in the transactions of its changes."""

from shuzhuan.matching.services.auto_grant import AutoGrantReport, auto_grant_batch_code, match_auto_grant
from shuzhuan.matching.services.push import (
    PUSHED_STATUSES,
    PushReport,
    apply_path,
    current_run_required,
    match_push,
    open_batch_for,
    push_preference_set,
)
from shuzhuan.matching.services.run import (
    ENGINES,
    PHASES,
    ProgressFn,
    match_run,
    match_run_create,
    match_run_execute,
    match_run_start,
)

__all__ = [
    "ENGINES",
    "PHASES",
    "PUSHED_STATUSES",
    "AutoGrantReport",
    "ProgressFn",
    "PushReport",
    "apply_path",
    "auto_grant_batch_code",
    "current_run_required",
    "match_auto_grant",
    "match_push",
    "match_run",
    "match_run_create",
    "match_run_execute",
    "match_run_start",
    "open_batch_for",
    "push_preference_set",
]
