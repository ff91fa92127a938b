"""Every worked example under ``tests/<edition>/*.yaml``: input → expected output.

An example's ``expect`` is a partial view of the calculator's JSON: ``edition``, ``best`` (a
policy id or null), ``total_ceiling``, and per policy ``eligible``, ``ceiling``, ``unmet``
(the exact list) and ``funding`` (the split across funding levels, or null). Whatever an example
expects, every eligible result's funding adds up to its ceiling exactly, and ``best`` carries the
best result's funding. ``absent`` lists policies that must not appear; ``error`` expects a refusal
whose message contains the text. No database is used.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from shuzhuan.rules.case import CaseError, case_from_json
from shuzhuan.rules.explain import explain, explanation_as_dict
from shuzhuan.rules.loader import default_rulebook
from shuzhuan.rules.model import NoEditionError

HERE = Path(__file__).parent
_EXPECT_KEYS = {"edition", "best", "total_ceiling", "results", "absent", "error"}


def _examples() -> list[Any]:
    params = []
    for file in sorted(HERE.glob("*/*.yaml")):
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
        assert set(data) == {"cases"}, f"{file}: top level must be `cases:`"
        for i, case in enumerate(data["cases"], 1):
            name = case.get("name") or f"case {i}"
            params.append(pytest.param(case, id=f"{file.parent.name}/{file.stem}: {name}"))
    return params


EXAMPLES = _examples()


def _jsonable(value: Any) -> Any:
    """YAML gives dates and floats; the calculator gets what JSON would carry."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        raise AssertionError(f"write amounts in worked examples as quoted text, not {value!r}")
    return value


def test_there_are_at_least_forty_worked_examples() -> None:
    assert len(EXAMPLES) >= 40


@pytest.mark.parametrize("example", EXAMPLES)
def test_worked_example(example: dict[str, Any]) -> None:
    expect = example["expect"]
    assert set(expect) <= _EXPECT_KEYS, f"unknown expect keys: {set(expect) - _EXPECT_KEYS}"
    raw = _jsonable({k: v for k, v in example.items() if k not in {"name", "expect"}})
    if "error" in expect:
        with pytest.raises((CaseError, NoEditionError)) as info:
            explain(default_rulebook(), case_from_json(raw))
        assert expect["error"] in str(info.value)
        return
    out = explanation_as_dict(explain(default_rulebook(), case_from_json(raw)))
    if "edition" in expect:
        assert out["edition"] == expect["edition"]
    if "best" in expect:
        assert (out["best"] or {}).get("policy") == expect["best"]
    if "total_ceiling" in expect:
        assert out["total_ceiling"] == expect["total_ceiling"]
        Decimal(out["total_ceiling"])  # a plain decimal string
    by_policy = {r["policy"]: r for r in out["results"]}
    for policy_id in expect.get("absent", []):
        assert policy_id not in by_policy
    for policy_id, want in (expect.get("results") or {}).items():
        got = by_policy[policy_id]
        for key, value in want.items():
            assert key in {"eligible", "ceiling", "unmet", "funding"}, key
            assert got[key] == value, f"{policy_id}.{key}: expected {value!r}, got {got[key]!r}"
    for got in by_policy.values():
        if got["eligible"]:
            assert got["unmet"] == [] and got["ceiling"] is not None
            assert list(got["funding"]) == ["central", "city", "county"]
            assert sum(Decimal(v) for v in got["funding"].values()) == Decimal(got["ceiling"])
        else:
            assert got["unmet"] and got["ceiling"] is None and got["funding"] is None
    if out["best"] is not None:
        assert out["best"]["funding"] == by_policy[out["best"]["policy"]]["funding"]
