"""The programme helper and the split of an award into level shares (no database)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shuzhuan.funds.shares import award_split, programme_of

D = Decimal


@pytest.mark.parametrize(
    ("policy_id", "edition_id", "programme"),
    [
        ("cixi-2025-pilot", None, "pilot"),
        ("cixi-2025-pilot", "cixi-2025", "pilot"),
        ("cixi-2024-new-it", None, "new-it"),
        ("cixi-2024-new-it", "cixi-2024", "new-it"),
        ("cixi-2024-sample", None, "sample"),
        ("ningbo-beilun-2026-ai", None, "ai"),
        ("yuyao-2026b-ai", "yuyao-2026b", "ai"),
        ("pilot", None, "pilot"),
    ],
)
def test_programme_is_the_policy_without_its_edition_prefix(policy_id, edition_id, programme):
    assert programme_of(policy_id, edition_id=edition_id) == programme


def test_split_rounds_half_up_and_gives_the_remainder_to_the_county():
    split = {"central": "0.50", "city": "0.25", "county": "0.25"}
    assert award_split(D("333333.33"), split) == {
        "central": D("166666.67"),  # 166,666.665
        "city": D("83333.33"),  # 83,333.3325
        "county": D("83333.33"),  # the remainder
    }
    assert award_split(D("0.01"), split) == {"central": D("0.01"), "city": D("0.00"), "county": D("0.00")}
    thirds = {"central": "0.3333", "city": "0.3333", "county": "0.3334"}
    assert award_split(D("100.00"), thirds) == {
        "central": D("33.33"),
        "city": D("33.33"),
        "county": D("33.34"),
    }


def test_a_level_that_pays_nothing_has_no_share_and_the_county_may_take_a_fen():
    assert award_split(D("100.00"), {"central": "0.6", "city": "0.4", "county": "0"}) == {
        "central": D("60.00"),
        "city": D("40.00"),
    }
    # 0.035 + 0.035 would round to 0.08 of 0.07: the city takes what is left, never more.
    assert award_split(D("0.07"), {"central": "0.5", "city": "0.5"}) == {
        "central": D("0.04"),
        "city": D("0.03"),
    }


def test_a_split_that_does_not_sum_to_one_is_refused():
    with pytest.raises(ValueError):
        award_split(D("100"), {"central": "0.5", "city": "0.4"})


_ratios = st.lists(st.integers(min_value=0, max_value=10_000), min_size=2, max_size=2).filter(
    lambda xs: sum(xs) <= 10_000
)


@given(
    amount=st.integers(min_value=1, max_value=10**11).map(lambda fen: D(fen) / 100),
    parts=_ratios,
)
def test_shares_always_sum_to_the_amount_and_stay_within_a_fen(amount, parts):
    central, city = (D(p) / 10_000 for p in parts)
    county = 1 - central - city
    split = {"central": str(central), "city": str(city), "county": str(county)}
    shares = award_split(amount, split)
    assert sum(shares.values()) == amount
    assert all(v >= 0 and v == v.quantize(D("0.01")) for v in shares.values())
    for level, ratio in (("central", central), ("city", city), ("county", county)):
        assert abs(shares.get(level, D(0)) - amount * ratio) <= D("0.01")
