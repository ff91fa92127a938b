"""Helpers for the PostgreSQL-only tests (``test_postgres.py``, ``test_crash_server.py``), not a
test module: the skip mark, the test database's reference data, the environment that points a
subprocess at the test database, and the wait for PostgreSQL to drop a killed client."""

from __future__ import annotations

import os
import time
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from shuzhuan.enterprises.models import Industry, QualificationType, Region
from shuzhuan.enterprises.reference import load_reference
from shuzhuan.policies.models import PolicyEdition
from shuzhuan.policies.shipped import editions_load_shipped

REQUIRES_POSTGRES = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL (row locks and concurrent connections); set DATABASE_URL=postgres://…",
)


def reference_data_load() -> None:
    """``transactional_db`` empties every table afterwards — the reference data and the stored
    editions that data migrations load included — so each test puts them back first."""
    if not Region.objects.exists():
        load_reference(Region, Industry, QualificationType)
    editions_load_shipped(PolicyEdition)


def database_url() -> str:
    """The URL of the test database (not the development one), for a subprocess."""
    s = connection.settings_dict
    auth = quote(s["USER"] or "")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"])
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def subprocess_env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "config.django.test",
        "PYTHONPATH": str(settings.BASE_DIR),
        **extra,
    }


def wait_for_dead_clients(timeout: float = 10) -> None:
    """Until PostgreSQL has noticed a killed client and rolled back its open transaction."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND state LIKE 'idle in transaction%%'",
                [connection.settings_dict["NAME"]],
            )
            (open_transactions,) = cursor.fetchone()
        if not open_transactions:
            return
        time.sleep(0.05)
    raise AssertionError(f"a killed client's transaction was still open after {timeout} s")
