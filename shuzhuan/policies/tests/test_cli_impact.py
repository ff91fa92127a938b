"""``shuzhuan policy impact``: the stored edition against itself with ``--set`` changes (or against
another stored edition), over the applications in the database.

Population (cixi-2025, AI 50% ≤ 300,000): ``own`` (观海卫镇) an AI project verified at 1,000,000
→ 300,000; ``elsewhere`` (周巷镇) one at 400,000 → 200,000. Raising the cap to 500,000 lifts the
first to 500,000: +200,000 (central +100,000, city and county +50,000 each at 0.50/0.25/0.25).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from shuzhuan.applications.models import Application
from shuzhuan.cli import main
from shuzhuan.policies.tests.factories import draft_2026, impact_projects

if TYPE_CHECKING:
    from conftest import County

pytestmark = pytest.mark.django_db


@pytest.fixture
def projects(county: County) -> list[Application]:
    return impact_projects(county)


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["policy", "impact", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_report(projects: list[Application], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "--edition", "cixi-2025", "--set", "cixi-2025-ai.cap=500000", "--json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert data["changes"] == [
        {"policy": "cixi-2025-ai", "step": "cap", "unit": "yuan", "before": "300000", "after": "500000"}
    ]
    assert data["budget"] == {"before": "500000.00", "after": "700000.00", "delta": "200000.00"}
    assert data["by_level"]["central"]["delta"] == "100000.00"
    assert data["by_level"]["county"]["delta"] == "50000.00"
    assert (
        data["projects"],
        data["projects_changed"],
        data["projects_up"],
        data["enterprises_affected"],
    ) == (
        2,
        1,
        1,
        1,
    )
    assert [(t["name"], t["delta"]) for t in data["by_town"]] == [
        ("观海卫镇", "200000.00"),
        ("周巷镇", "0.00"),
    ]
    assert data["top"][0]["project_id"] == projects[0].number


def test_readable_table(projects: list[Application], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--edition", "cixi-2025", "--set", "cixi-2025-ai.cap=500000")
    assert code == 0
    assert "改动 change: cixi-2025-ai.cap 300,000.00 → 500,000.00" in out
    assert "上限变化的项目 projects changed: 1" in out
    total = next(line for line in out.splitlines() if "合计 total" in line)
    assert total.split()[-3:] == ["500,000.00", "700,000.00", "+200,000.00"]
    assert projects[0].number in out


def test_region_scopes_the_population(
    projects: list[Application], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(
        capsys,
        "--edition",
        "cixi-2025",
        "--set",
        "cixi-2025-ai.cap=500000",
        "--region",
        "cixi-zhouxiang",
        "--json",
    )
    data = json.loads(out)
    assert (code, data["projects"], data["budget"]["delta"]) == (0, 1, "0.00")


def test_against_a_draft(
    county: County, projects: list[Application], capsys: pytest.CaptureFixture[str]
) -> None:
    draft_2026(county)
    code, out, _ = _run(
        capsys, "--edition", "cixi-2025", "--against", "cixi-2026", "--set", "cixi-2026-ai.rate=0.6", "--json"
    )
    data = json.loads(out)
    assert (code, data["base"], data["reform"]) == (0, "cixi-2025", "cixi-2026")
    assert data["budget"]["delta"] == "240000.00"  # 500,000 (+200,000) and 240,000 (+40,000)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "cixi-2025-ai.cap"], "--set cixi-2025-ai.cap: "),
        (["--set", "cixi-2025-ai.cap=-5"], "--set cixi-2025-ai.cap=-5: 数值不能为负数"),
        (["--set", "cixi-2025-ai.cap=1", "--set", "cixi-2025-ai.rate=1.5"], "--set cixi-2025-ai.rate=1.5: "),
        (["--set", "cixi-2025-nope.cap=1"], "--set cixi-2025-nope.cap=1: cixi-2025：没有政策 cixi-2025-nope"),
        (["--set", "cixi-2025-ai.cap=1.001"], "金额最多两位小数"),
        (["--region", "atlantis"], "--region atlantis: unknown region code"),
        (["--top", "-1"], "--top"),
    ],
)
def test_bad_input_exits_2_with_one_line_naming_it(
    projects: list[Application], capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = _run(capsys, "--edition", "cixi-2025", *args)
    assert (code, out) == (2, "")
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_unknown_edition(db: None, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "--edition", "cixi-1999")
    assert code == 2 and "--edition cixi-1999: no such edition" in err
