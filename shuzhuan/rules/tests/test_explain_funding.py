"""三级资金 in the calculator: a ceiling split across central, city and county adds up to the
ceiling exactly, each share within a fen of its exact value and none negative — whatever the
ceiling and the shares; a policy's own funding_split overrides its edition's."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shuzhuan.rules.case import case_from_json
from shuzhuan.rules.explain import explain, explanation_as_dict
from shuzhuan.rules.funding import funding_shares
from shuzhuan.rules.loader import EDITIONS_DIR, load_rulebook

FEN = Decimal("0.01")
EVEN = {"central": Decimal("0.50"), "city": Decimal("0.25"), "county": Decimal("0.25")}


@st.composite
def shares(draw: st.DrawFn) -> dict[str, Decimal]:
    """Three shares of up to four decimals that sum to 1 (zeros and whole shares included)."""
    central = draw(st.integers(0, 10_000))
    city = draw(st.integers(0, 10_000 - central))
    scale = Decimal("0.0001")
    return {
        "central": central * scale,
        "city": city * scale,
        "county": (10_000 - central - city) * scale,
    }


@given(ceiling=st.integers(0, 10**11).map(lambda fen: fen * FEN), split=shares())
def test_the_split_adds_up_to_the_ceiling_exactly(ceiling: Decimal, split: dict[str, Decimal]) -> None:
    amounts = funding_shares(ceiling, split)
    assert list(amounts) == ["central", "city", "county"]
    assert sum(amounts.values()) == ceiling
    for level, amount in amounts.items():
        assert amount >= 0 and amount == amount.quantize(FEN)
        assert abs(amount - ceiling * split[level]) <= FEN, level  # the county may carry a fen more


@pytest.mark.parametrize(
    ("ceiling", "expected"),
    [
        ("350000.00", ("175000.00", "87500.00", "87500.00")),
        ("66666.67", ("33333.34", "16666.67", "16666.66")),  # the remainder goes to the county
        ("0.01", ("0.01", "0.00", "0.00")),
        ("0.03", ("0.02", "0.01", "0.00")),
        ("0.00", ("0.00", "0.00", "0.00")),
    ],
)
def test_even_split_examples(ceiling: str, expected: tuple[str, str, str]) -> None:
    assert tuple(str(v) for v in funding_shares(Decimal(ceiling), EVEN).values()) == expected


def test_no_level_goes_negative_when_the_county_share_is_under_a_fen() -> None:
    # central 0.005 → 0.01 and city 0.005 → 0.01 would overdraw 0.01 by a fen: the city gives it back.
    half = {"central": Decimal("0.5"), "city": Decimal("0.5"), "county": Decimal(0)}
    assert funding_shares(Decimal("0.01"), half) == {
        "central": Decimal("0.01"),
        "city": Decimal("0.00"),
        "county": Decimal("0.00"),
    }
    county_only = {"central": Decimal(0), "city": Decimal(0), "county": Decimal(1)}
    assert funding_shares(Decimal("123.45"), county_only)["county"] == Decimal("123.45")


def test_a_policy_split_overrides_the_edition_split_in_the_calculator(tmp_path: Path) -> None:
    book_dir = tmp_path / "editions"
    shutil.copytree(EDITIONS_DIR, book_dir)
    ai = book_dir / "cixi-2025" / "ai.yaml"
    ai.write_text(
        ai.read_text(encoding="utf-8") + 'funding_split: {central: "0", city: "0.4", county: "0.6"}\n',
        encoding="utf-8",
    )
    case = case_from_json(
        {
            "as_of": "2025-06-30",
            "enterprise": {"industry": "auto_parts", "is_sme": True},
            "project": {
                "kinds": ["ai_model", "pilot"],
                "in_pilot_plan": True,
                "accepted": True,
                "verified_investment": "100000.01",
            },
        }
    )
    out = explanation_as_dict(explain(load_rulebook(book_dir), case))
    by_policy = {r["policy"]: r for r in out["results"]}
    assert by_policy["cixi-2025-ai"]["funding"] == {
        "central": "0.00",
        "city": "20000.00",
        "county": "30000.01",
    }
    assert by_policy["cixi-2025-pilot"]["funding"] == {
        "central": "25000.01",
        "city": "12500.00",
        "county": "12500.00",
    }
    assert out["best"]["policy"] == "cixi-2025-pilot" and out["best"]["funding"]["central"] == "25000.01"
