"""政策找人: the match of every enterprise against the edition in force, worked by hand, then the
three runners (match_case looped, DuckDB, Spark) agreeing row for row on generated populations.

cixi-2025 (key industries 汽配/家电): pilot — key industry, SME, pilot kind in the pilot plan,
accepted: 50% ≤ 500,000; new-IT — new_it kind, accepted, verified ≥ 300,000: 20% ≤ 300,000;
AI — ai_model kind, accepted: 50% ≤ 300,000. cixi-2024 adds the sample-enterprise reward
(200,000, once per enterprise).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shuzhuan.rules import match
from shuzhuan.rules.batch import ENTERPRISES_SCHEMA, PROJECTS_SCHEMA, tables_from_cases
from shuzhuan.rules.case import EnterpriseFacts, ProjectFacts
from shuzhuan.rules.expr import compile_expr
from shuzhuan.rules.fields import Type, base_environment
from shuzhuan.rules.loader import default_rulebook
from shuzhuan.rules.model import Condition, Edition, NoEditionError, Rulebook
from shuzhuan.rules.tests.test_runners_agree import DATES, population

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

BOOK = default_rulebook()
D = Decimal
ON_2025 = dt.date(2025, 6, 30)
ON_2024 = dt.date(2024, 6, 30)
E2025 = BOOK.edition_for(ON_2025)
E2024 = BOOK.edition_for(ON_2024)
THRESHOLD = D(300000)

Population = Sequence[tuple[EnterpriseFacts, Sequence[tuple[str, ProjectFacts]]]]


def _sme(uscc: str, industry: str | None = "auto_parts", **kw: Any) -> EnterpriseFacts:
    return EnterpriseFacts(uscc=uscc, industry=industry, is_sme=kw.pop("is_sme", True), **kw)


def _project(*kinds: str, verified: str | None = None, accepted: bool = True, **kw: Any) -> ProjectFacts:
    return ProjectFacts(
        kinds=frozenset(kinds),
        accepted=accepted,
        verified_investment=None if verified is None else D(verified),
        **kw,
    )


def _tables(population: Population) -> tuple[pa.Table, pa.Table]:
    enterprises, projects = [], []
    for e, mine in population:
        enterprises.append(
            {
                "uscc": e.uscc,
                "industry": e.industry,
                "is_sme": e.is_sme,
                "above_scale": e.above_scale,
                "qualifications": sorted(e.qualifications),
                "rewards_received": sorted(e.rewards_received),
            }
        )
        for pid, p in mine:
            projects.append(
                {
                    "project_id": pid,
                    "uscc": e.uscc,
                    "as_of": dt.date(2024, 1, 1),  # not read: the edition is chosen by ``on``
                    "kinds": sorted(p.kinds),
                    "in_pilot_plan": p.in_pilot_plan,
                    "accepted": p.accepted,
                    "declared_investment": p.declared_investment,
                    "verified_investment": p.verified_investment,
                }
            )
    return (
        pa.Table.from_pylist(enterprises, schema=ENTERPRISES_SCHEMA),
        pa.Table.from_pylist(projects, schema=PROJECTS_SCHEMA),
    )


def _by_case(population: Population, edition: Edition) -> pa.Table:
    rows = [r for e, mine in population for r in match.match_case(edition, e, mine)]
    return match.sorted_rows(match.rows_table(rows))


def _one(rows: list[match.MatchRow], policy: str) -> match.MatchRow:
    (row,) = [r for r in rows if r.policy == policy]
    return row


# --- hand-worked ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gap", "words"),
    [
        ("0.01", "0.01 元"),
        ("0.05", "0.05 元"),
        ("5000", "5000 元"),
        ("1234.50", "1234.5 元"),
        ("9999.99", "9999.99 元"),
        ("10000", "1 万元"),
        ("12345.67", "1.23 万元"),
        ("12355", "1.24 万元"),  # 1.2355 half-up
        ("50000", "5 万元"),
        ("100000", "10 万元"),
        ("299999.99", "30 万元"),  # 29.999999 half-up
    ],
)
def test_amount_text(gap: str, words: str) -> None:
    assert match.amount_text(D(gap)) == words


def test_plan_reads_thresholds_caps_and_what_can_change() -> None:
    pilot, new_it, ai = match.plan_edition(E2025)
    assert [c.enterprise_only for c in pilot.conditions] == [True, True, False, False]
    # a kind test is not actionable: a project is the kind it is
    assert [c.actionable for c in pilot.conditions] == [False, False, False, True]
    assert [c.actionable for c in new_it.conditions] == [False, True, True]
    assert new_it.conditions[2].threshold == match.Threshold(
        "verified_investment", THRESHOLD, False, "核定投入额"
    )
    assert (pilot.prospect, pilot.cap) == (True, D("500000.00"))
    assert (new_it.prospect, ai.prospect) == (False, False)  # no condition on the enterprise


def test_new_it_threshold_exactly_and_one_fen_below() -> None:
    e = _sme("E1", industry="bearings")
    at = match.match_case(E2025, e, [("P1", _project("new_it", verified="300000"))])
    assert [(r.policy, r.status, r.ceiling, r.project_id) for r in at] == [
        ("cixi-2025-new-it", "eligible", D("60000.00"), "P1")
    ]
    assert (at[0].condition, at[0].gap, at[0].gap_text) == (None, None, None)
    below = _one(
        match.match_case(E2025, e, [("P1", _project("new_it", verified="299999.99"))]), "cixi-2025-new-it"
    )
    assert below == match.MatchRow(
        uscc="E1",
        edition="cixi-2025",
        policy="cixi-2025-new-it",
        scope="project",
        status="near_miss",
        ceiling=D("60000.00"),  # 20% of 299,999.99 as it stands, to the fen
        project_id="P1",
        condition=2,
        gap=D("0.01"),
        gap_text="核定投入额还差 0.01 元即达 30 万元门槛",
    )
    five = _one(
        match.match_case(E2025, e, [("P1", _project("new_it", verified="250000"))]), "cixi-2025-new-it"
    )
    assert (five.gap, five.gap_text, five.ceiling) == (
        D("50000.00"),
        "核定投入额还差 5 万元即达 30 万元门槛",
        D("50000.00"),
    )


def test_unknown_amount_and_not_accepted_are_near_misses_in_the_conditions_words() -> None:
    e = _sme("E1", industry="bearings")
    unknown = match.match_case(E2025, e, [("P1", _project("new_it"))])
    assert [(r.status, r.condition, r.gap, r.gap_text, r.ceiling) for r in unknown] == [
        ("near_miss", 2, None, "核定投入额不足30万元", None)
    ]
    waiting = match.match_case(E2025, e, [("P1", _project("ai_model", verified="80000", accepted=False))])
    assert [(r.policy, r.status, r.condition, r.gap, r.gap_text, r.ceiling) for r in waiting] == [
        ("cixi-2025-ai", "near_miss", 1, None, "项目尚未验收通过（核定投入额在验收时确定）", D("40000.00"))
    ]
    # two things unmet (not accepted, under the threshold): not a near miss
    assert match.match_case(E2025, e, [("P1", _project("new_it", verified="1", accepted=False))]) == []


def test_a_kind_or_an_enterprise_condition_is_never_the_near_miss() -> None:
    # accepted, big enough, but not a new-IT project: nothing under new-IT
    rows = match.match_case(
        E2025, _sme("E1", industry="bearings"), [("P1", _project("pilot", verified="900000"))]
    )
    assert rows == []
    # a key-industry pilot project in the plan, accepted, but the enterprise is not an SME
    big = _sme("E2", is_sme=False)
    assert (
        match.match_case(E2025, big, [("P1", _project("pilot", verified="900000", in_pilot_plan=True))]) == []
    )


def test_prospect_for_a_key_industry_sme_without_projects_and_nothing_outside_the_key_industries() -> None:
    rows = match.match_case(E2025, _sme("E1"), [])
    assert [(r.policy, r.status, r.ceiling, r.project_id, r.condition) for r in rows] == [
        ("cixi-2025-pilot", "prospect", D("500000.00"), None, None)
    ]
    assert match.match_case(E2025, _sme("E2", industry="bearings"), []) == []
    assert match.match_case(E2025, _sme("E3", is_sme=False), []) == []
    # a pilot project that is not yet accepted: the near miss replaces the prospect
    pilot = _project("pilot", verified="100000", accepted=False, in_pilot_plan=True)
    (row,) = match.match_case(E2025, _sme("E1"), [("P9", pilot)])
    assert (row.status, row.project_id, row.gap_text) == ("near_miss", "P9", "项目尚未验收通过")


def test_the_sample_reward_once_per_enterprise() -> None:
    sample = _sme("E1", industry="bearings", qualifications=frozenset({"ningbo_sample_enterprise"}))
    rows = match.match_case(E2024, sample, [])
    assert [(r.policy, r.scope, r.status, r.ceiling, r.project_id) for r in rows] == [
        ("cixi-2024-sample", "enterprise", "eligible", D("200000.00"), None)
    ]
    paid = dataclasses.replace(sample, rewards_received=frozenset({"ningbo_sample_enterprise"}))
    assert match.match_case(E2024, paid, []) == []
    assert match.match_case(E2025, sample, []) == []  # the 2025 edition has no sample reward


def test_the_best_project_is_chosen() -> None:
    e = _sme("E1", industry="bearings")
    projects = [
        ("P3", _project("ai_model", verified="200000")),  # 100,000
        ("P2", _project("ai_model", verified="900000")),  # 300,000 (capped)
        ("P1", _project("ai_model", verified="600000")),  # 300,000: ties go to the smaller id
        ("P0", _project("ai_model", verified="5", accepted=False)),  # a near miss loses to any eligible
        ("P4", _project("new_it", verified="280000")),  # new-IT near misses: 2 万元 short
        ("P5", _project("new_it", verified="299000")),  # 1,000 元 short: the nearest
        ("P6", _project("new_it", verified="299000")),
        ("P7", _project("new_it", accepted=False, verified="400000")),  # not accepted: gap unknown, last
    ]
    rows = {r.policy: r for r in match.match_case(E2025, e, projects)}
    assert (rows["cixi-2025-ai"].status, rows["cixi-2025-ai"].project_id) == ("eligible", "P1")
    assert rows["cixi-2025-ai"].ceiling == D("300000.00")
    near = rows["cixi-2025-new-it"]
    assert (near.status, near.project_id, near.gap, near.gap_text) == (
        "near_miss",
        "P5",
        D("1000.00"),
        "核定投入额还差 1000 元即达 30 万元门槛",
    )
    # the same project may head two policies: stacking is the application's business
    both = match.match_case(E2025, e, [("P1", _project("ai_model", "new_it", verified="600000"))])
    assert [(r.policy, r.project_id, r.ceiling) for r in both] == [
        ("cixi-2025-new-it", "P1", D("120000.00")),
        ("cixi-2025-ai", "P1", D("300000.00")),
    ]


def _strict_edition() -> Edition:
    """cixi-2025 with two more policies: new-IT with a strict threshold written the other way
    round, and the sample reward with a condition on a project field (unknown for an enterprise
    alone, so it is always that reward's near miss)."""
    new_it = E2025.policy("cixi-2025-new-it")
    env = dict(base_environment()) | {s.name: Type.NUMBER for s in new_it.steps}
    strict = compile_expr("threshold < verified_investment", env, expect=Type.BOOL)
    above = dataclasses.replace(
        new_it,
        id="x-strict",
        conditions=(*new_it.conditions[:2], Condition(strict, "核定投入额须超过30万元")),
    )
    sample = E2024.policy("cixi-2024-sample")
    invested = compile_expr("verified_investment >= 300000", base_environment(), expect=Type.BOOL)
    reward = dataclasses.replace(
        sample,
        id="x-reward",
        conditions=(*sample.conditions, Condition(invested, "须有核定投入额30万元以上的项目")),
    )
    return dataclasses.replace(E2025, id="x-edition", policies=(*E2025.policies, above, reward))


def test_a_strict_threshold_written_the_other_way_round() -> None:
    edition = _strict_edition()
    (plan,) = [p for p in match.plan_edition(edition) if p.policy.id == "x-strict"]
    assert plan.conditions[2].threshold == match.Threshold(
        "verified_investment", THRESHOLD, True, "核定投入额"
    )
    e = _sme("E1", industry="bearings")
    rows = {
        r.policy: r for r in match.match_case(edition, e, [("P1", _project("new_it", verified="300000"))])
    }
    assert rows["cixi-2025-new-it"].status == "eligible"
    assert (rows["x-strict"].status, rows["x-strict"].gap, rows["x-strict"].gap_text) == (
        "near_miss",
        D("0.01"),
        "核定投入额还差 0.01 元即达 30 万元门槛",
    )
    assert "x-reward" not in rows  # no sample qualification
    sample = dataclasses.replace(e, qualifications=frozenset({"ningbo_sample_enterprise"}))
    (reward,) = [r for r in match.match_case(edition, sample, []) if r.policy == "x-reward"]
    assert (reward.scope, reward.status, reward.ceiling, reward.condition, reward.gap, reward.gap_text) == (
        "enterprise",
        "near_miss",
        D("200000.00"),
        1,
        None,
        "须有核定投入额30万元以上的项目",
    )
    paid = dataclasses.replace(sample, rewards_received=frozenset({"ningbo_sample_enterprise"}))
    assert [r.policy for r in match.match_case(edition, paid, [])] == []


def _hand_population() -> Population:
    """The hand-worked cases above, and a gap of every shape the words take, as one population."""
    gaps = ["0.01", "0.05", "5000", "1234.50", "9999.99", "10000", "12345.67", "12355", "50000", "299999.99"]
    pop: list[tuple[EnterpriseFacts, list[tuple[str, ProjectFacts]]]] = [
        (_sme(f"G{i:02d}", industry="bearings"), [("P1", _project("new_it", verified=str(THRESHOLD - D(g))))])
        for i, g in enumerate(gaps)
    ]
    pop += [
        (_sme("H01"), []),
        (_sme("H02", industry="bearings"), []),
        (_sme("H03", industry=None, qualifications=frozenset({"ningbo_sample_enterprise"})), []),
        (
            _sme(
                "H04",
                qualifications=frozenset({"ningbo_sample_enterprise"}),
                rewards_received=frozenset({"ningbo_sample_enterprise"}),
            ),
            [("P1", _project("pilot", verified="120000", in_pilot_plan=True, accepted=False))],
        ),
        (
            _sme("H05", industry="bearings"),
            [
                ("P3", _project("ai_model", verified="200000")),
                ("P2", _project("ai_model", verified="900000")),
                ("P1", _project("ai_model", verified="600000")),
                ("P0", _project("ai_model", verified="5", accepted=False)),
                ("P4", _project("new_it", verified="280000")),
                ("P5", _project("new_it", verified="299000")),
                ("P6", _project("new_it", verified="299000")),
                ("P7", _project("new_it", accepted=False, verified="400000")),
            ],
        ),
        (
            _sme("H06"),
            [("P1", _project("new_it")), ("P2", _project("ai_model", "new_it", verified="600000"))],
        ),
        (_sme("H07", is_sme=False), [("P1", _project("pilot", verified="900000", in_pilot_plan=True))]),
        (_sme("H08", industry="bearings"), [("P1", _project("new_it"))]),
    ]
    return pop


def test_duckdb_and_the_per_case_loop_agree_on_the_hand_worked_population() -> None:
    pop = _hand_population()
    enterprises, projects = _tables(pop)
    for on in (ON_2024, ON_2025):
        edition = BOOK.edition_for(on)
        expected = _by_case(pop, edition)
        got = match.sorted_rows(match.run_duckdb(BOOK, enterprises=enterprises, projects=projects, on=on))
        assert got.schema == match.MATCH_SCHEMA
        assert got.to_pylist() == expected.to_pylist()
        looped = match.sorted_rows(match.run_python(BOOK, enterprises=enterprises, projects=projects, on=on))
        assert looped.equals(expected)
    texts = {r["uscc"]: r["gap_text"] for r in got.to_pylist() if r["policy"] == "cixi-2025-new-it"}
    assert texts["G00"] == "核定投入额还差 0.01 元即达 30 万元门槛"
    assert texts["G06"] == "核定投入额还差 1.23 万元即达 30 万元门槛"
    assert texts["G08"] == "核定投入额还差 5 万元即达 30 万元门槛"
    assert texts["H06"] is None  # P2 is eligible: it wins over P1's near miss
    assert texts["H08"] == "核定投入额不足30万元"
    strict = Rulebook(editions=(_strict_edition(),))
    expected = _by_case(pop, strict.editions[0])
    got = match.sorted_rows(match.run_duckdb(strict, enterprises=enterprises, projects=projects, on=ON_2025))
    assert got.equals(expected)
    assert {"x-strict", "x-reward"} <= set(got.column("policy").to_pylist())


def test_duckdb_reads_parquet_ignores_orphan_projects_and_refuses_a_day_without_an_edition(
    tmp_path: Path,
) -> None:
    pop = _hand_population()
    enterprises, projects = _tables(pop)
    orphan = _tables(
        [(_sme("ORPHAN", industry="bearings"), [("P1", _project("ai_model", verified="1000"))])]
    )[1]
    pq.write_table(enterprises, tmp_path / "enterprises.parquet")
    pq.write_table(pa.concat_tables([projects, orphan]), tmp_path / "projects.parquet")
    kw: dict[str, Any] = {
        "enterprises": tmp_path / "enterprises.parquet",
        "projects": tmp_path / "projects.parquet",
    }
    got = match.sorted_rows(match.run_duckdb(BOOK, on=ON_2025, **kw))
    assert got.equals(_by_case(pop, E2025))
    assert match.sorted_rows(match.run_python(BOOK, on=ON_2025, **kw)).equals(got)
    with pytest.raises(NoEditionError):
        match.run_duckdb(BOOK, on=dt.date(2023, 12, 31), **kw)


# --- generated populations -----------------------------------------------------------------------


def _generated(seed: int, size: int) -> tuple[pa.Table, pa.Table]:
    """``population`` (enterprises with one or more projects, amounts at and around every
    threshold) plus as many enterprises without projects."""
    cases = population(seed, size)
    enterprises, projects = tables_from_cases(cases, project_ids=[f"P{i:05d}" for i in range(size)])
    rng = random.Random(seed)
    alone = [
        {
            "uscc": f"X{i:05d}",
            "industry": rng.choice(["auto_parts", "home_appliances", "bearings", None]),
            "is_sme": rng.choice([True, True, False, None]),
            "above_scale": rng.random() < 0.5,
            "qualifications": ["ningbo_sample_enterprise"] if rng.random() < 0.3 else [],
            "rewards_received": ["ningbo_sample_enterprise"] if rng.random() < 0.3 else None,
        }
        for i in range(size)
    ]
    return pa.concat_tables([enterprises, pa.Table.from_pylist(alone, schema=ENTERPRISES_SCHEMA)]), projects


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), size=st.integers(1, 150), on=st.sampled_from(DATES))
def test_duckdb_agrees_with_the_per_case_loop(seed: int, size: int, on: dt.date) -> None:
    enterprises, projects = _generated(seed, size)
    expected = match.sorted_rows(match.run_python(BOOK, enterprises=enterprises, projects=projects, on=on))
    got = match.sorted_rows(match.run_duckdb(BOOK, enterprises=enterprises, projects=projects, on=on))
    assert got.to_pylist() == expected.to_pylist()


@pytest.mark.spark
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), on=st.sampled_from(DATES))
def test_spark_agrees_with_duckdb_and_the_per_case_loop(spark: SparkSession, seed: int, on: dt.date) -> None:
    enterprises, projects = _generated(seed, 120)
    expected = match.sorted_rows(match.run_python(BOOK, enterprises=enterprises, projects=projects, on=on))
    frame = match.run_spark(spark, BOOK, enterprises=enterprises, projects=projects, on=on)
    got = match.spark_to_arrow(frame)
    assert got.to_pylist() == expected.to_pylist()
    duck = match.sorted_rows(match.run_duckdb(BOOK, enterprises=enterprises, projects=projects, on=on))
    assert got.equals(duck)


@pytest.mark.spark
def test_spark_on_the_hand_worked_population(spark: SparkSession) -> None:
    pop = _hand_population()
    enterprises, projects = _tables(pop)
    strict = Rulebook(editions=(_strict_edition(),))
    got = match.spark_to_arrow(
        match.run_spark(spark, strict, enterprises=enterprises, projects=projects, on=ON_2025)
    )
    assert got.schema == match.MATCH_SCHEMA
    assert got.to_pylist() == _by_case(pop, strict.editions[0]).to_pylist()
