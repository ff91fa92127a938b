from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction

from shuzhuan.demo import demo_load
from shuzhuan.demo_programme import demo_programme_load


@pytest.fixture(scope="package")
def programme(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """A county built to the seed letters' figures: 600 enterprises with qualifications, the 2024
    new-IT batch (38 enterprises paid 5,266,100.00), the 2025 first pilot batch (29 enterprises,
    8,715,800.00 over three levels; central 14,230,000.00 and Ningbo 6,848,100.00 handed down) and
    a 2026 batch with applications in every state — all through the real services.

    Loaded once for this package's test modules (figures, pages, reports) inside a transaction
    that is rolled back at the end (about 10 s on SQLite, 30 s on PostgreSQL); each test still
    runs in its own savepoint (``db``), so no test sees another's writes."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            demo_load(size=600, seed=11)
            report = demo_programme_load(seed=11)
            assert not report.skipped, report.reason
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
