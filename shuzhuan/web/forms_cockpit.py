"""The cockpit's period (a range of years) and narrowing filters, read from the query string."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

MAX_YEARS = 10


class PeriodForm(forms.Form):
    """起止年度; both default to the current year. Errors name the field, in Chinese."""

    start = forms.IntegerField(
        label="起始年度",
        required=False,
        min_value=2000,
        max_value=2100,
        error_messages={
            "invalid": "请填写四位数的年度",
            "min_value": "年度不能早于2000年",
            "max_value": "年度不能晚于2100年",
        },
    )
    end = forms.IntegerField(
        label="截止年度",
        required=False,
        min_value=2000,
        max_value=2100,
        error_messages={
            "invalid": "请填写四位数的年度",
            "min_value": "年度不能早于2000年",
            "max_value": "年度不能晚于2100年",
        },
    )
    town = forms.SlugField(required=False, max_length=64)
    industry = forms.SlugField(required=False, max_length=64)
    batch = forms.SlugField(required=False, max_length=64)

    def __init__(self, data: Any = None, **kwargs: Any) -> None:
        if data is not None:  # the query string says from/to; "from" is a Python keyword
            data = data.copy()
            for src, dst in (("from", "start"), ("to", "end")):
                if src in data and dst not in data:
                    data[dst] = data[src]
        super().__init__(data, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        this_year = timezone.localdate().year
        start, end = cleaned.get("start"), cleaned.get("end")
        if "start" in self.errors or "end" in self.errors:
            return cleaned
        end = end or start or this_year
        start = start or end
        if start > end:
            self.add_error("start", "起始年度不能晚于截止年度")
        elif end - start + 1 > MAX_YEARS:
            self.add_error("start", f"统计期间最多{MAX_YEARS}年")
        cleaned["start"], cleaned["end"] = start, end
        return cleaned
