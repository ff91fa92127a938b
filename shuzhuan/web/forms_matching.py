"""Forms of the 政策找人 pages. They parse what was typed; the services decide what is valid and
their refusals come back onto the field they name (``ServiceErrors.apply_error``)."""

from __future__ import annotations

from django import forms

from shuzhuan.matching.models import MatchRun
from shuzhuan.web.forms_applications import DATE_WIDGET, ServiceErrors


class MatchRunForm(ServiceErrors, forms.Form):
    engine = forms.ChoiceField(
        label="计算引擎",
        choices=MatchRun.Engine.choices,
        initial=MatchRun.Engine.DUCKDB,
        help_text="DuckDB：本机内嵌，适用于县、省规模；Spark：集群，适用于全国规模。",
        error_messages={
            "invalid_choice": "请选择计算引擎：DuckDB 或 Spark。",
            "required": "请选择计算引擎。",
        },
    )
    on = forms.DateField(
        label="匹配日期",
        required=False,
        widget=DATE_WIDGET,
        help_text="按该日生效的政策版本匹配；留空为今天。",
        error_messages={"invalid": "匹配日期格式应为 年-月-日，如 2025-06-30。"},
    )


class RunChoiceForm(ServiceErrors, forms.Form):
    """The run a push or an auto-grant acts on: the version the officer saw on the page, so an
    action taken from a page a newer run has overtaken is refused rather than applied to it."""

    run = forms.IntegerField(
        label="匹配运行",
        min_value=1,
        error_messages={"required": "请选择匹配运行。", "invalid": "匹配运行的版本应为正整数。"},
    )
