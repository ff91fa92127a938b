"""Matching fixtures: run snapshots under the test's temporary directory, the roles of the
shared ``county`` fixture, and the one local SparkSession (the rules tests' fixture, reused)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shuzhuan.rules.tests.conftest import spark  # noqa: F401 - the session-wide SparkSession fixture


@pytest.fixture(autouse=True)
def _match_dir(settings: Any, tmp_path: Path) -> None:
    settings.SHUZHUAN_MATCH_DIR = str(tmp_path / "matching")
    settings.MATERIALS_DIR = tmp_path / "materials"


@pytest.fixture
def roles(county: Any) -> dict[str, Any]:
    u = county.users
    return {
        "firm": u["enterprise"],
        "town": u["town_officer"],
        "bureau": u["bureau_officer"],
        "expert": u["expert"],
    }
