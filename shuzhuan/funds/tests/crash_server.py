"""Test helper, not a test: serve the project with waitress and, when ``SHUZHUAN_CRASH_AT_PAYMENT``
is set, stop dead *inside* the N-th payment's transaction — with everything the payment writes
in it (ledger row, audit entry and, for an award's last share, the closing status change) and
only the COMMIT left — so that ``test_crash_server.py`` can SIGKILL the server there.

On reaching that point it writes the file ``SHUZHUAN_CRASH_MARKER`` and sleeps. The pause is
patched in here; the production code has no hook. Without ``SHUZHUAN_CRASH_AT_PAYMENT`` it is the
plain server. ``waitress.serve`` is called directly (``shuzhuan serve`` would first run
collectstatic into the shared ``var/static``; the test settings serve static files through the
finders anyway).

    python crash_server.py PORT
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import Any


def _patch_pause(pause_at: int, marker: Path) -> None:
    from django.db.backends.postgresql.base import DatabaseWrapper

    from shuzhuan.funds import services

    pending = threading.local()  # waitress serves each request on a thread of its own
    seen = 0
    lock = threading.Lock()
    real_audit, real_commit, real_rollback = (
        services.audit_record,
        DatabaseWrapper.commit,
        DatabaseWrapper.rollback,
    )

    def audit_record(**kwargs: Any) -> Any:
        entry = real_audit(**kwargs)
        if kwargs.get("action") == "funds.payment":
            pending.payment = True
        return entry

    def commit(self: DatabaseWrapper) -> None:
        nonlocal seen
        if getattr(pending, "payment", False):
            pending.payment = False
            with lock:
                seen += 1
                n = seen
            if n == pause_at:
                marker.write_text(f"paused inside payment {n}, before its commit\n", encoding="utf-8")
                time.sleep(120)  # the test kills us long before this ends
        real_commit(self)

    def rollback(self: DatabaseWrapper) -> None:
        pending.payment = False
        real_rollback(self)

    services.audit_record = audit_record
    DatabaseWrapper.commit = commit  # type: ignore[method-assign,assignment]
    DatabaseWrapper.rollback = rollback  # type: ignore[method-assign,assignment]


def main() -> int:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.django.test")
    django.setup()
    if os.environ.get("SHUZHUAN_CRASH_AT_PAYMENT"):
        _patch_pause(int(os.environ["SHUZHUAN_CRASH_AT_PAYMENT"]), Path(os.environ["SHUZHUAN_CRASH_MARKER"]))

    from waitress import serve

    from config.wsgi import application

    serve(application, host="127.0.0.1", port=int(sys.argv[1]), threads=4)
    return 0


if __name__ == "__main__":
    sys.exit(main())
