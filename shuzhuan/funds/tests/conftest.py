from __future__ import annotations

from typing import Any

import pytest

from shuzhuan.applications.models import PolicyBatch
from shuzhuan.applications.tests.factories import open_batch


@pytest.fixture
def batch(county: Any) -> PolicyBatch:
    """The 2025 batch, every cixi-2025 policy, split 50% central / 25% city / 25% county."""
    return open_batch(
        acting_user=county.users["bureau_officer"],
        funding_split={"central": "0.50", "city": "0.25", "county": "0.25"},
    )
