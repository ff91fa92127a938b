"""Field types the JSON API's routers share."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import PlainSerializer

from shuzhuan.core.money import to_yuan

# Yuan out: a string with two decimals ("800000.00"), never a float.
Yuan = Annotated[Decimal, PlainSerializer(lambda v: f"{to_yuan(v):.2f}", return_type=str)]

# Yuan in: a JSON number or a string ("800000", "1,234.50"); the service checks it
# (shuzhuan.applications.services.money: non-negative, at most two decimals).
AmountIn = Decimal | str
AMOUNT_HELP = '金额（元），数字或文本均可，最多两位小数，如 800000、"800000.00"、"1,234.50"'
