"""Test helper, not a test: run ``shuzhuan funds disburse`` and stop dead *inside* the N-th
payment's transaction — after its ledger row and audit entry are written, before the commit — so
that ``test_postgres.py`` can SIGKILL the process there, deterministically.

The pause is patched in here (``SHUZHUAN_CRASH_AT_PAYMENT``); the production code has no hook.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any


def main() -> int:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.django.test")
    django.setup()
    from shuzhuan.cli import main as cli_main
    from shuzhuan.funds import services

    real = services.audit_record
    pause_at = int(os.environ["SHUZHUAN_CRASH_AT_PAYMENT"])
    seen = 0

    def audit_then_pause(**kwargs: Any) -> Any:
        nonlocal seen
        entry = real(**kwargs)
        if kwargs.get("action") == "funds.payment":
            seen += 1
            if seen == pause_at:
                print(f"PAUSED-IN-PAYMENT {seen}", flush=True)
                time.sleep(120)  # the test kills us long before this ends
        return entry

    services.audit_record = audit_then_pause
    return cli_main(["funds", "disburse"])


if __name__ == "__main__":
    sys.exit(main())
