"""Money is Decimal yuan with two places, rounded half-up — never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN = Decimal("0.01")
WAN = Decimal(10000)


def to_yuan(value: Decimal | int | str) -> Decimal:
    """Quantize to the fen, half-up. Floats are refused: they have already lost the fen."""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    try:
        amount = Decimal(value)
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not an amount: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def wan_to_yuan(value: Decimal | int | str) -> Decimal:
    """万元 → 元 (526.61万元 = 5,266,100.00)."""
    return to_yuan(Decimal(value) * WAN)


def yuan_to_wan(value: Decimal) -> Decimal:
    """元 → 万元, exact (no rounding beyond what the yuan value carries), normalised."""
    result = (value / WAN).normalize()
    # normalize() may produce an exponent form such as 1E+1; bring it back to plain digits.
    return result.quantize(Decimal(1)) if result == result.to_integral() else result


def format_yuan(value: Decimal) -> str:
    """12,345.60"""
    return f"{to_yuan(value):,.2f}"
