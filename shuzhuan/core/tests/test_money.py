from decimal import Decimal

import pytest

from shuzhuan.core.money import format_yuan, to_yuan, wan_to_yuan, yuan_to_wan


def test_half_up_to_the_fen() -> None:
    assert to_yuan("0.005") == Decimal("0.01")
    assert to_yuan("2.675") == Decimal("2.68")
    assert to_yuan(-1) == Decimal("-1.00")


def test_floats_are_refused() -> None:
    with pytest.raises(TypeError):
        to_yuan(0.1)  # type: ignore[arg-type]


def test_wan_round_trip() -> None:
    assert wan_to_yuan("526.61") == Decimal("5266100.00")
    assert yuan_to_wan(Decimal("5266100.00")) == Decimal("526.61")
    assert yuan_to_wan(Decimal("1000000.00")) == Decimal("100")
    assert format_yuan(Decimal("14230000")) == "14,230,000.00"


@pytest.mark.parametrize("bad", ["abc", "NaN", "Infinity"])
def test_not_an_amount(bad: str) -> None:
    with pytest.raises(ValueError):
        to_yuan(bad)
