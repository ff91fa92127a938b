"""What-if over a small population whose every figure is worked out by hand below.

cixi-2025 (key industries 汽配/家电; pilot 50% ≤ 500,000; new-IT ≥ 300,000, 20% ≤ 300,000;
AI 50% ≤ 300,000; funding split 0.50/0.25/0.25):

    E1 汽配 SME, 观海卫镇 · E2 轴承 SME, 周巷镇 · E3 家电 not SME, 观海卫镇

    project  enterprise  kinds            verified     pilot     new-IT    AI          best
    P1       E1          pilot, ai        1,200,000    500,000   —         300,000     pilot 500,000
    P2       E2          ai, new_it         800,000    —         160,000   300,000     ai 300,000
    P3       E3          new_it             300,000    —          60,000   —           new-it 60,000
    P4       E1          ai                 123,456.78 —         —         61,728.39   ai 61,728.39
    P5       E2          ai (not accepted)  —          —         —         —           —

    budget 500,000 + 300,000 + 60,000 + 61,728.39 = 921,728.39
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest

from shuzhuan.rules.batch import ENTERPRISES_SCHEMA, PROJECTS_SCHEMA
from shuzhuan.rules.funding import funding_shares
from shuzhuan.rules.impact import Impact, impact
from shuzhuan.rules.loader import EDITIONS_DIR, edition_document, edition_from_document
from shuzhuan.rules.model import Edition
from shuzhuan.rules.parameters import (
    ParameterAssignment,
    ParameterError,
    document_parameter_set,
    document_parameters_set,
    parameter_assignment,
)

D = Decimal
POPULATION_SCHEMA = ENTERPRISES_SCHEMA.append(pa.field("town", pa.string())).append(
    pa.field("industry_name", pa.string())
)


def _enterprise(uscc: str, industry: str, town: str, name: str, **kw: Any) -> dict[str, Any]:
    return {
        "uscc": uscc,
        "industry": industry,
        "is_sme": kw.get("is_sme", True),
        "above_scale": False,
        "qualifications": kw.get("qualifications", []),
        "rewards_received": kw.get("rewards_received", []),
        "town": town,
        "industry_name": name,
    }


def _project(pid: str, uscc: str, kinds: list[str], verified: str | None, **kw: Any) -> dict[str, Any]:
    return {
        "project_id": pid,
        "uscc": uscc,
        "as_of": dt.date(2025, 6, 30),
        "kinds": kinds,
        "in_pilot_plan": kw.get("in_pilot_plan", False),
        "accepted": kw.get("accepted", True),
        "declared_investment": D(verified) if verified else None,
        "verified_investment": D(verified) if verified else None,
    }


ENTERPRISES = pa.Table.from_pylist(
    [
        _enterprise("E1", "auto_parts", "观海卫镇", "汽配"),
        _enterprise("E2", "bearings", "周巷镇", "轴承"),
        _enterprise("E3", "home_appliances", "观海卫镇", "家电", is_sme=False),
    ],
    schema=POPULATION_SCHEMA,
)
PROJECTS = pa.Table.from_pylist(
    [
        _project("P1", "E1", ["pilot", "ai_model"], "1200000", in_pilot_plan=True),
        _project("P2", "E2", ["ai_model", "new_it"], "800000"),
        _project("P3", "E3", ["new_it"], "300000"),
        _project("P4", "E1", ["ai_model"], "123456.78"),
        _project("P5", "E2", ["ai_model"], None, accepted=False),
    ],
    schema=PROJECTS_SCHEMA,
)


def _document(edition_id: str) -> dict[str, Any]:
    return edition_document(EDITIONS_DIR / edition_id)


def _edition(edition_id: str, *changes: str) -> Edition:
    document, _ = document_parameters_set(_document(edition_id), [parameter_assignment(c) for c in changes])
    return edition_from_document(document)


def _renamed(document: dict[str, Any], new_id: str) -> dict[str, Any]:
    """The document as a copy would carry it (policies renamed, as edition_draft_create does)."""
    old_id = document["id"]
    policies = [{**p, "id": f"{new_id}-{p['id'].removeprefix(old_id + '-')}"} for p in document["policies"]]
    return {**document, "id": new_id, "effective_from": "2026-01-01", "policies": policies}


def _levels(result: Impact) -> dict[str, tuple[Decimal, Decimal, Decimal]]:
    return {lv.level: (lv.budget.before, lv.budget.after, lv.budget.delta) for lv in result.by_level}


def _groups(groups: Any) -> list[tuple[Any, ...]]:
    return [(g.name, g.budget.before, g.budget.after, g.budget.delta, g.projects_changed) for g in groups]


BEFORE_LEVELS = {
    # 61,728.39: central 30,864.195 → 30,864.20, city 15,432.0975 → 15,432.10, county the rest 15,432.09
    "central": D("460864.20"),
    "city": D("230432.10"),
    "county": D("230432.09"),
}


def test_a_cap_change_that_changes_the_best_policy_of_a_project() -> None:
    # AI cap 300,000 → 600,000: P1's AI ceiling 600,000 now beats pilot's 500,000; P2 300,000 →
    # 400,000; P4 stays under both caps.
    result = impact(
        _edition("cixi-2025"),
        _edition("cixi-2025", "cixi-2025-ai.cap=600000"),
        enterprises=ENTERPRISES,
        projects=PROJECTS,
    )
    assert (result.projects, result.enterprises) == (5, 3)
    assert (result.projects_changed, result.projects_up, result.projects_down) == (2, 2, 0)
    assert (result.enterprises_affected, result.rewards_changed) == (2, 0)
    assert (result.budget.before, result.budget.after, result.budget.delta) == (
        D("921728.39"),
        D("1121728.39"),
        D("200000.00"),
    )
    assert _levels(result) == {
        "central": (BEFORE_LEVELS["central"], D("560864.20"), D("100000.00")),
        "city": (BEFORE_LEVELS["city"], D("280432.10"), D("50000.00")),
        "county": (BEFORE_LEVELS["county"], D("280432.09"), D("50000.00")),
    }
    assert sum(lv.budget.before for lv in result.by_level) == result.budget.before
    assert _groups(result.by_town) == [
        ("观海卫镇", D("621728.39"), D("721728.39"), D("100000.00"), 1),
        ("周巷镇", D("300000.00"), D("400000.00"), D("100000.00"), 1),
    ]
    assert _groups(result.by_industry) == [
        ("汽配", D("561728.39"), D("661728.39"), D("100000.00"), 1),
        ("轴承", D("300000.00"), D("400000.00"), D("100000.00"), 1),
        ("家电", D("60000.00"), D("60000.00"), D("0.00"), 0),
    ]
    policies = {
        p.key: (
            p.eligible_before,
            p.eligible_after,
            p.chosen_before,
            p.chosen_after,
            p.ceiling_before,
            p.ceiling_after,
        )
        for p in result.by_policy
    }
    assert policies == {
        "pilot": (1, 1, 1, 0, D("500000.00"), D("500000.00")),
        "new-it": (2, 2, 1, 1, D("220000.00"), D("220000.00")),
        "ai": (3, 3, 2, 3, D("661728.39"), D("1061728.39")),
    }
    assert [p.key for p in result.by_policy] == ["pilot", "new-it", "ai"]
    top = [
        (t.project_id, t.policy_before, t.ceiling_before, t.policy_after, t.ceiling_after) for t in result.top
    ]
    assert top == [
        ("P1", "cixi-2025-pilot", D("500000.00"), "cixi-2025-ai", D("600000.00")),
        ("P2", "cixi-2025-ai", D("300000.00"), "cixi-2025-ai", D("400000.00")),
    ]
    assert (result.top[0].town, result.top[0].industry_name, result.top[0].delta) == (
        "观海卫镇",
        "汽配",
        D("100000.00"),
    )


def test_a_threshold_change_drops_the_project_exactly_at_the_old_threshold() -> None:
    # New-IT threshold 300,000 → 300,000.01: P3 (exactly 300,000) no longer qualifies; P2 still does.
    result = impact(
        _edition("cixi-2025"),
        _edition("cixi-2025", "cixi-2025-new-it.threshold=300000.01"),
        enterprises=ENTERPRISES,
        projects=PROJECTS,
    )
    assert (result.projects_changed, result.projects_up, result.projects_down) == (1, 0, 1)
    assert result.enterprises_affected == 1
    assert result.budget.delta == D("-60000.00")
    assert {lv.level: lv.budget.delta for lv in result.by_level} == {
        "central": D("-30000.00"),
        "city": D("-15000.00"),
        "county": D("-15000.00"),
    }
    assert _groups(result.by_town)[0] == ("观海卫镇", D("621728.39"), D("561728.39"), D("-60000.00"), 1)
    assert ("家电", D("60000.00"), D("0.00"), D("-60000.00"), 1) in _groups(result.by_industry)
    new_it = next(p for p in result.by_policy if p.key == "new-it")
    assert (new_it.eligible_before, new_it.eligible_after) == (2, 1)
    assert (new_it.ceiling_before, new_it.ceiling_after) == (D("220000.00"), D("160000.00"))
    (p3,) = result.top
    assert (p3.project_id, p3.policy_before, p3.policy_after, p3.ceiling_after) == (
        "P3",
        "cixi-2025-new-it",
        None,
        D("0.00"),
    )


def test_no_change_is_zero_delta_everywhere() -> None:
    edition = _edition("cixi-2025")
    result = impact(edition, edition, enterprises=ENTERPRISES, projects=PROJECTS)
    assert (result.projects_changed, result.enterprises_affected, result.rewards_changed) == (0, 0, 0)
    assert result.budget.before == result.budget.after == D("921728.39")
    assert result.budget.delta == D("0.00")
    assert {lv.level: lv.budget.before for lv in result.by_level} == BEFORE_LEVELS
    assert all(lv.budget.delta == 0 for lv in result.by_level)
    assert all(
        g.budget.delta == 0 and g.projects_changed == 0 for g in (*result.by_town, *result.by_industry)
    )
    assert result.top == ()


def test_policies_of_a_copy_are_matched_without_the_edition_prefix() -> None:
    # A draft cixi-2026 copied from cixi-2025 with the AI cap raised: same figures as the in-place
    # change, with the policies named by their own edition.
    document, _ = document_parameter_set(
        _renamed(_document("cixi-2025"), "cixi-2026"), policy_id="cixi-2026-ai", step="cap", value="600000"
    )
    result = impact(
        _edition("cixi-2025"), edition_from_document(document), enterprises=ENTERPRISES, projects=PROJECTS
    )
    assert (result.base, result.reform) == ("cixi-2025", "cixi-2026")
    assert result.budget.delta == D("200000.00")
    ai = next(p for p in result.by_policy if p.key == "ai")
    assert (ai.base_policy, ai.reform_policy, ai.chosen_before, ai.chosen_after) == (
        "cixi-2025-ai",
        "cixi-2026-ai",
        2,
        3,
    )
    assert (result.top[0].policy_before, result.top[0].policy_after) == ("cixi-2025-pilot", "cixi-2026-ai")


def test_one_time_rewards_count_once_per_enterprise_and_not_when_already_received() -> None:
    # cixi-2024's sample-enterprise reward (200,000, once per enterprise), raised to 250,000.
    # R1 holds the qualification and has two projects: one reward, not two. R2 holds it but was
    # already rewarded. R3 holds it and has no project: rewarded all the same. R4 does not hold it.
    sample = ["ningbo_sample_enterprise"]
    enterprises = pa.Table.from_pylist(
        [
            _enterprise("R1", "auto_parts", "观海卫镇", "汽配", qualifications=sample),
            _enterprise(
                "R2", "auto_parts", "观海卫镇", "汽配", qualifications=sample, rewards_received=sample
            ),
            _enterprise("R3", "moulds", "周巷镇", "模具", qualifications=sample),
            _enterprise("R4", "moulds", "周巷镇", "模具"),
        ],
        schema=POPULATION_SCHEMA,
    )
    projects = pa.Table.from_pylist(
        [
            _project("Q1", "R1", ["new_it"], "100000"),  # under the threshold: nothing
            _project("Q2", "R1", ["new_it"], "100000"),
            _project("Q3", "R2", ["new_it"], "100000"),
        ],
        schema=PROJECTS_SCHEMA,
    )
    result = impact(
        _edition("cixi-2024"),
        _edition("cixi-2024", "cixi-2024-sample.cap=250000"),
        enterprises=enterprises,
        projects=projects,
    )
    assert (result.budget.before, result.budget.after) == (D("400000.00"), D("500000.00"))
    assert (result.projects_changed, result.rewards_changed, result.enterprises_affected) == (0, 2, 2)
    assert {lv.level: lv.budget.delta for lv in result.by_level} == {
        "central": D("50000.00"),
        "city": D("25000.00"),
        "county": D("25000.00"),
    }
    sample_row = next(p for p in result.by_policy if p.key == "sample")
    assert (sample_row.scope, sample_row.eligible_before, sample_row.ceiling_after) == (
        "enterprise",
        2,
        D("500000.00"),
    )
    assert _groups(result.by_town) == [  # equal changes: by name
        ("周巷镇", D("200000.00"), D("250000.00"), D("50000.00"), 0),
        ("观海卫镇", D("200000.00"), D("250000.00"), D("50000.00"), 0),
    ]
    assert [g.enterprises_affected for g in result.by_town] == [1, 1]
    assert result.top == ()


def test_each_amount_is_split_with_its_own_policys_funding_split() -> None:
    # AI carries its own split 0.40/0.35/0.25 in both editions; the others use the edition's.
    def with_ai_split(document: dict[str, Any]) -> dict[str, Any]:
        for p in document["policies"]:
            if p["id"].endswith("-ai"):
                p["funding_split"] = {"central": "0.40", "city": "0.35", "county": "0.25"}
        return document

    base = edition_from_document(with_ai_split(_document("cixi-2025")))
    document, _ = document_parameter_set(
        with_ai_split(_document("cixi-2025")), policy_id="cixi-2025-ai", step="rate", value="0.40"
    )
    # AI 40%: P1 AI 300,000 (cap) — pilot 500,000 stays best; P2 300,000 (cap); P4 61,728.39 →
    # 49,382.71 (49,382.712 half-up). Only P4 changes: −12,345.68.
    result = impact(base, edition_from_document(document), enterprises=ENTERPRISES, projects=PROJECTS)
    assert result.budget.delta == D("-12345.68")
    # P4 before: central 24,691.356 → 24,691.36, city 21,604.9365 → 21,604.94, county 15,432.09
    # P4 after: central 19,753.084 → 19,753.08, city 17,283.9485 → 17,283.95, county 12,345.68
    assert {lv.level: lv.budget.delta for lv in result.by_level} == {
        "central": D("-4938.28"),
        "city": D("-4320.99"),
        "county": D("-3086.41"),
    }


def test_an_empty_population_is_no_budget() -> None:
    empty_e = POPULATION_SCHEMA.empty_table()
    empty_p = PROJECTS_SCHEMA.empty_table()
    result = impact(
        _edition("cixi-2024"),
        _edition("cixi-2024", "cixi-2024-ai.cap=1"),
        enterprises=empty_e,
        projects=empty_p,
    )
    assert (result.projects, result.budget.before, result.budget.after) == (0, D("0.00"), D("0.00"))
    assert result.by_town == () and result.top == ()


def test_top_keeps_the_largest_changes() -> None:
    result = impact(
        _edition("cixi-2025"),
        _edition("cixi-2025", "cixi-2025-ai.cap=600000"),
        enterprises=ENTERPRISES,
        projects=PROJECTS,
        top=1,
    )
    assert [t.project_id for t in result.top] == ["P1"]
    assert result.projects_changed == 2


def test_as_dict_writes_money_as_text_with_two_places() -> None:
    data = impact(
        _edition("cixi-2025"),
        _edition("cixi-2025", "cixi-2025-ai.cap=600000"),
        enterprises=ENTERPRISES,
        projects=PROJECTS,
    ).as_dict()
    assert data["budget"] == {"before": "921728.39", "after": "1121728.39", "delta": "200000.00"}
    assert data["by_level"]["county"] == {"before": "230432.09", "after": "280432.09", "delta": "50000.00"}
    assert data["top"][0]["delta"] == "100000.00"
    assert data["by_town"][0]["name"] == "观海卫镇"


# --- funding shares -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "split", "expected"),
    [
        ("0.03", ("0.50", "0.25", "0.25"), ("0.02", "0.01", "0.00")),
        ("61728.39", ("0.50", "0.25", "0.25"), ("30864.20", "15432.10", "15432.09")),
        ("0.01", ("0.50", "0.50", "0"), ("0.01", "0.00", "0.00")),  # the last level with a share
        ("100.00", ("0", "0", "1"), ("0.00", "0.00", "100.00")),
        ("0.00", ("0.50", "0.25", "0.25"), ("0.00", "0.00", "0.00")),
        ("1.00", ("0.335", "0.335", "0.33"), ("0.34", "0.34", "0.32")),
    ],
)
def test_funding_shares_sum_to_the_amount(
    amount: str, split: tuple[str, ...], expected: tuple[str, ...]
) -> None:
    shares = funding_shares(D(amount), dict(zip(("central", "city", "county"), map(D, split), strict=True)))
    assert tuple(shares.values()) == tuple(map(D, expected))
    assert sum(shares.values()) == D(amount)
    assert all(s >= 0 for s in shares.values())


# --- --set changes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("cixi-2025-ai.cap", "应写成 政策编号.步骤=数值"),
        ("cixi-2025-ai=5", "应写成 政策编号.步骤=数值"),
        ("cixi-2025-ai.cap=abc", "请输入数字"),
        ("cixi-2025-ai.cap=-1", "数值不能为负数"),
        ("cixi-2025-ai.cap=NaN", "请输入数字"),
        ("cixi-2025-nope.cap=1", "没有政策 cixi-2025-nope"),
        ("cixi-2025-ai.floor=1", "cixi-2025-ai：没有步骤 floor"),
        ("cixi-2025-ai.ceiling=1", "cixi-2025-ai / ceiling：该步骤是公式"),
        ("cixi-2025-ai.rate=1.5", "cixi-2025-ai / rate：比例应在 0 与 1 之间"),
        ("cixi-2025-ai.cap=1.005", "cixi-2025-ai / cap：金额最多两位小数"),
    ],
)
def test_a_bad_change_is_refused_naming_it(item: str, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        change = parameter_assignment(item)
        document_parameters_set(_document("cixi-2025"), [change])


def test_changes_are_applied_in_order_to_a_copy() -> None:
    original = _document("cixi-2025")
    document, applied = document_parameters_set(
        original,
        [
            parameter_assignment("cixi-2025-ai.cap = 500,000"),
            ParameterAssignment("cixi-2025-ai", "rate", D("0.4")),
            parameter_assignment("cixi-2025-ai.cap=450000.50"),
        ],
    )
    assert [(a.step, a.unit, a.before, a.after) for a in applied] == [
        ("cap", "yuan", D(300000), D(500000)),
        ("rate", "ratio", D("0.50"), D("0.4")),
        ("cap", "yuan", D(500000), D("450000.50")),
    ]
    ai = edition_from_document(document).policy("cixi-2025-ai")
    assert {s.name: s.expr.text for s in ai.steps}["cap"] == "450000.5"
    assert {s.name: s.expr.text for s in ai.steps}["rate"] == "0.4"
    assert edition_from_document(original).policy("cixi-2025-ai").steps[2].expr.text == "300000"


def test_a_project_listed_twice_is_refused() -> None:
    twice = pa.concat_tables([PROJECTS, PROJECTS.slice(0, 1)])
    edition = _edition("cixi-2025")
    with pytest.raises(ValueError, match="project_id occurs more than once"):
        impact(edition, edition, enterprises=ENTERPRISES, projects=twice)
