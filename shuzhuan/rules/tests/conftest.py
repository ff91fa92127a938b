"""Rulebook fixtures: one local SparkSession for the whole test session.

Spark needs Java 17+. Without it the ``spark`` tests are skipped with the reason — except under
CI=true, where a missing Java fails them (as scripts/test.sh does for a missing service)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def _java_problem() -> str | None:
    java = shutil.which("java") or (
        os.path.join(os.environ["JAVA_HOME"], "bin", "java") if os.environ.get("JAVA_HOME") else None
    )
    if java is None or not os.path.exists(java):
        return (
            "no Java on PATH or JAVA_HOME (PySpark needs Java 17+: apt-get install openjdk-17-jre-headless)"
        )
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"cannot run {java} -version: {exc}"
    if out.returncode != 0:
        return f"{java} -version failed: {out.stderr.strip()[:200]}"
    return None


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    problem = _java_problem()
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{problem} (CI=true: a missing Java is a failure)")
        pytest.skip(problem)
    from shuzhuan.rules.batch_spark import local_session

    session = local_session(cores=2, shuffle_partitions=2)
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
