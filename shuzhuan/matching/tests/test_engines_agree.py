"""DuckDB and Spark (local mode) store identical matches for the same generated population."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from shuzhuan.applications.tests.factories import open_batch
from shuzhuan.matching import services as svc
from shuzhuan.matching.models import Match, MatchRun
from shuzhuan.matching.tests.factories import population

pytestmark = [pytest.mark.django_db, pytest.mark.spark]


def _stored(run: MatchRun) -> list[tuple[Any, ...]]:
    return list(
        Match.objects.filter(run=run)
        .order_by("enterprise_id", "policy_id")
        .values_list(
            "enterprise_id", "policy_id", "status", "ceiling", "project_id", "condition", "gap", "gap_text"
        )
    )


@pytest.mark.parametrize("on", [dt.date(2024, 6, 1), dt.date(2025, 6, 1)])
def test_duckdb_and_spark_store_identical_matches(county: Any, spark: Any, on: dt.date) -> None:
    population(batch=open_batch(), enterprises=300, projects=600)
    duck = svc.match_run(acting_user=None, engine="duckdb", on=on)
    sparked = svc.match_run(acting_user=None, engine="spark", on=on, spark=spark)
    assert sparked.engine == "spark" and sparked.status == MatchRun.Status.SUCCEEDED
    rows = _stored(duck)
    assert rows == _stored(sparked)
    assert duck.counts == sparked.counts
    # the population exercises every status, near misses with a gap in words and without
    assert all(duck.counts[s] > 0 for s in ("eligible", "prospect", "near_miss")), duck.counts
    gaps = [r for r in rows if r[2] == "near_miss" and r[6] is not None]
    assert gaps and all("万元门槛" in r[7] for r in gaps)
    # the second run found nothing new against the first
    assert (sparked.new_count, sparked.changed_count, sparked.gone_count) == (0, 0, 0)
    # the session belongs to the test: the run did not stop it
    assert spark.sparkContext._jsc is not None
