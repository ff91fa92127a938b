"""Template filters for the pages: durations in Chinese, and the like."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django import template
from django.forms import BoundField

from shuzhuan.core.money import format_yuan, yuan_to_wan

register = template.Library()


@register.filter
def duration_zh(value: timedelta | None) -> str:
    """``timedelta(minutes=30)`` → ``30 分钟``; ``timedelta(hours=1, minutes=5)`` → ``1 小时 5 分钟``."""
    if not isinstance(value, timedelta):
        return ""
    minutes = max(round(value.total_seconds() / 60), 1) if value.total_seconds() > 0 else 0
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{n} {unit}" for n, unit in ((days, "天"), (hours, "小时"), (minutes, "分钟")) if n]
    return " ".join(parts) or "0 分钟"


@register.filter
def yuan(value: Decimal | None) -> str:
    """``Decimal("5266100")`` → ``5,266,100.00``; None → ``""``."""
    return "" if value is None else format_yuan(value)


@register.filter
def wan(value: Decimal | None) -> str:
    """Yuan shown in 万元, exactly: ``Decimal("5266100.00")`` → ``526.61``; None → ``""``."""
    return "" if value is None else f"{yuan_to_wan(value):f}"


_WIDGET_CLASS = {
    "CheckboxInput": "form-check-input",
    "Select": "form-select",
    "SelectMultiple": "form-select",
}


@register.filter
def widget(field: BoundField) -> str:
    """A form field's input with Bootstrap's classes, marked invalid (and described by its
    error) when it has errors."""
    css = _WIDGET_CLASS.get(type(field.field.widget).__name__, "form-control")
    attrs: dict[str, str | bool] = {"class": css + (" is-invalid" if field.errors else "")}
    if field.errors:
        attrs["aria-describedby"] = f"{field.auto_id}_error"
    return field.as_widget(attrs=attrs)


@register.filter
def yuan_zh(value: Decimal | None) -> str:
    """Money for people: ``Decimal("155555.55")`` → ``155,555.55 元``; None → ``—``."""
    return "—" if value is None else f"{format_yuan(value)} 元"


@register.filter
def get_item(mapping: dict[str, object], key: str) -> object:
    """``row|get_item:"amount"`` — a dict's value by a key held in a variable."""
    return mapping.get(key) if isinstance(mapping, dict) else None
