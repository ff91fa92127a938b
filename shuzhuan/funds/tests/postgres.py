"""Helpers for the PostgreSQL-only tests (``test_postgres.py``, ``test_crash_server.py``), not a
test module: the skip mark, the test database's reference data, the four applications a crashed
disbursement run pays, the environment that points a subprocess at the test database, and the
wait for PostgreSQL to drop a killed client."""

from __future__ import annotations

import os
import time
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from shuzhuan.applications.models import Application, Status
from shuzhuan.applications.tests.factories import advance, open_batch
from shuzhuan.enterprises.models import Industry, QualificationType, Region
from shuzhuan.enterprises.reference import load_reference
from shuzhuan.enterprises.tests.factories import EnterpriseFactory
from shuzhuan.funds.tests.factories import allocate, pilot_draft
from shuzhuan.policies.models import PolicyEdition
from shuzhuan.policies.shipped import editions_load_shipped

REQUIRES_POSTGRES = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL (row locks and concurrent connections); set DATABASE_URL=postgres://…",
)
SPLIT = {"central": "0.50", "city": "0.25", "county": "0.25"}


def reference_data_load() -> None:
    """``transactional_db`` empties every table afterwards — the reference data and the stored
    editions that data migrations load included — so each test puts them back first."""
    if not Region.objects.exists():
        load_reference(Region, Industry, QualificationType)
    editions_load_shipped(PolicyEdition)


def four_disbursing(county: Any, roles: dict[str, Any]) -> tuple[list[Application], dict[int, Decimal]]:
    """Four pilot projects of four enterprises (the county's three and a fourth), 900,000 verified,
    each awarded 450,000.00 split by ``SPLIT`` and in disbursement: the applications, and their
    twelve shares (share id → amount)."""
    allocate()
    batch = open_batch(acting_user=roles["bureau"], funding_split=SPLIT)
    fourth = EnterpriseFactory.create(name="慈溪市丁模具有限公司")
    apps = []
    for i, enterprise in enumerate((county.own, county.neighbour, county.elsewhere, fourth)):
        who = {
            **roles,
            "firm": roles["firm"] if enterprise == county.own else None,
            "town": roles["town"] if enterprise.town_id == county.own.town_id else None,
        }
        app = pilot_draft(batch=batch, enterprise=enterprise, firm=who["firm"], project_name=f"改造项目{i}")
        apps.append(advance(app, Status.DISBURSING, **who, verified="900000"))
    return apps, {s.pk: s.amount for a in apps for s in a.award.shares.all()}


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
