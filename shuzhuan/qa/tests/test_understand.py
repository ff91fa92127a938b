"""Question understanding: amounts in both numeral systems, roles, kinds, years, facts, intent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from shuzhuan.qa.understand import (
    AMOUNT,
    ELIGIBILITY,
    OTHER,
    PROCESS,
    THRESHOLD,
    parse_amounts,
    understand,
)

TODAY = dt.date(2025, 6, 30)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("我投了80万", "800000.00"),
        ("投入八十万元", "800000.00"),
        ("投入1,200,000元", "1200000.00"),
        ("花了一百二十万", "1200000.00"),
        ("投资0.8百万", "800000.00"),
        ("投了1.5亿", "150000000.00"),
        ("投了一千二百万", "12000000.00"),
        ("投了两百万元", "2000000.00"),
        ("投了三十五万块", "350000.00"),
        ("投了80w", "800000.00"),
        ("投了 45 万元", "450000.00"),
        ("投入５０万", "500000.00"),  # full-width digits
        ("投了3000元", "3000.00"),
        ("投了1千万", "10000000.00"),
    ],
)
def test_amounts_in_both_numeral_systems(text: str, value: str) -> None:
    amounts = parse_amounts(text)
    assert [a.value for a in amounts] == [Decimal(value)]


@pytest.mark.parametrize(
    "text",
    ["2024年的政策", "补助比例50%", "第327号建议", "一次性奖励", "38家企业", "前三期培训"],
)
def test_years_percents_counts_are_not_amounts(text: str) -> None:
    assert parse_amounts(text) == ()


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("我投了80万", "investment"),
        ("核定投入额120万", "investment"),
        ("门槛是不是30万", "threshold"),
        ("投入要达到30万以上才行吗", "threshold"),
        ("30万起步吗", "threshold"),
        ("能拿20万吗", "award"),
        ("80万的项目", "other"),
    ],
)
def test_amount_roles(text: str, role: str) -> None:
    assert [a.role for a in parse_amounts(text)] == [role]


def test_investment_prefers_the_stated_one_over_a_threshold() -> None:
    facts = understand("门槛30万以上的话，我投了50万的信息化项目能补多少", today=TODAY)
    assert facts.threshold == Decimal("300000.00")
    assert facts.investment == Decimal("500000.00")


def test_an_unknown_amount_alone_is_the_investment() -> None:
    assert understand("80万的AI项目能补多少", today=TODAY).investment == Decimal("800000.00")


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("AI大模型项目", {"ai_model"}),
        ("ai项目", {"ai_model"}),
        ("人工智能应用", {"ai_model"}),
        ("用了大模型做客服", {"ai_model"}),
        ("新一代信息技术改造", {"new_it"}),
        ("信息化项目", {"new_it"}),
        ("工业互联网平台", {"new_it"}),
        ("上了MES", {"new_it"}),
        ("列入试点的项目", {"pilot"}),
        ("试点项目用了大模型", {"pilot", "ai_model"}),
        ("EMAIL系统", set()),
        ("怎么申请", set()),
    ],
)
def test_project_kinds(text: str, kinds: set[str]) -> None:
    assert understand(text, today=TODAY).kinds == kinds


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("2024年的AI项目", 2024),
        ("2025版政策", 2025),
        ("24年的项目", 2024),
        ("去年的项目", 2024),
        ("今年还有吗", 2025),
        ("前年", 2023),
        ("明年", 2026),
        ("慈经信建〔2024〕18号怎么规定", 2024),
        ("投了80万", None),
    ],
)
def test_years(text: str, year: int | None) -> None:
    assert understand(text, today=TODAY).year == year


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("项目已列入试点计划", "in_pilot_plan", True),
        ("纳入了试点", "in_pilot_plan", True),
        ("没有列入试点计划", "in_pilot_plan", False),
        ("还没进试点", "in_pilot_plan", False),
        ("已验收", "accepted", True),
        ("验收通过了", "accepted", True),
        ("通过验收", "accepted", True),
        ("还没验收", "accepted", False),
        ("尚未验收", "accepted", False),
        ("验收没通过", "accepted", False),
        ("项目还在实施", "accepted", False),
        ("我们是宁波市级样本企业", "sample_enterprise", True),
        ("被认定为样本企业", "sample_enterprise", True),
        ("我们不是样本企业", "sample_enterprise", False),
        ("中小企业", "is_sme", True),
        ("我们不是中小企业", "is_sme", False),
        ("大企业", "is_sme", False),
        ("规上企业", "above_scale", True),
        ("规模以下", "above_scale", False),
        ("汽配厂", "industry", "auto_parts"),
        ("汽车零部件企业", "industry", "auto_parts"),
        ("做家电的", "industry", "home_appliances"),
        ("纺织企业", "industry", "textiles"),
        ("轴承厂", "industry", "bearings"),
        ("能补多少", "industry", None),
        ("能补多少", "accepted", None),
    ],
)
def test_stated_facts(text: str, field: str, value: object) -> None:
    assert getattr(understand(text, today=TODAY), field) == value


def test_sample_topic_and_reward_already_received() -> None:
    facts = understand("我们已经领过样本企业奖励了，还能再拿吗", today=TODAY)
    assert facts.sample_topic and facts.sample_received is True
    assert understand("新一代信息技术项目能补多少", today=TODAY).sample_topic is False


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("我投了80万做AI大模型项目能补多少", AMOUNT),
        ("试点项目最高补多少", AMOUNT),
        ("补助比例是多少", AMOUNT),
        ("补贴咋算", AMOUNT),
        ("新一代信息技术项目门槛是多少", THRESHOLD),
        ("最低要投多少才能申请", THRESHOLD),
        ("投入要达到30万以上才行吗", THRESHOLD),
        ("纺织企业能不能申请", ELIGIBILITY),
        ("今年样本企业还有奖励吗", ELIGIBILITY),
        ("有没有奖励", ELIGIBILITY),
        ("怎么申请补助", PROCESS),
        ("需要哪些材料", PROCESS),
        ("什么时候兑现", PROCESS),
        ("你好", OTHER),
        ("投了50万的AI项目", AMOUNT),
    ],
)
def test_intent(text: str, intent: str) -> None:
    assert understand(text, today=TODAY).intent == intent


def test_programme_figures_are_aggregate_questions() -> None:
    assert understand("2024年一共兑现了多少补助资金", today=TODAY).aggregate
    assert not understand("我投了80万能补多少", today=TODAY).aggregate


def test_a_full_question() -> None:
    facts = understand(
        "我们是汽配中小企业，项目列入试点计划，已验收，核定投入额一百二十万元，能补多少？", today=TODAY
    )
    assert facts.intent == AMOUNT
    assert facts.investment == Decimal("1200000.00")
    assert facts.kinds == {"pilot"}
    assert (facts.industry, facts.is_sme, facts.in_pilot_plan, facts.accepted) == (
        "auto_parts",
        True,
        True,
        True,
    )
