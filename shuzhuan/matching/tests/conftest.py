"""Matching fixtures: run snapshots under the test's temporary directory and the one local
SparkSession (the rules tests' fixture, reused); ``county`` and ``roles`` are the root conftest's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shuzhuan.rules.tests.conftest import spark  # noqa: F401 - the session-wide SparkSession fixture


@pytest.fixture(autouse=True)
def _match_dir(settings: Any, tmp_path: Path) -> None:
    settings.SHUZHUAN_MATCH_DIR = str(tmp_path / "matching")
    settings.MATERIALS_DIR = tmp_path / "materials"
