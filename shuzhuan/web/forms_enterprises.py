"""Forms for keeping the registry by hand. They parse what was typed; the services decide what is
allowed and their ``ApplicationError`` comes back onto the field it names (``apply_error``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet

from shuzhuan.core.errors import ApplicationError
from shuzhuan.core.money import wan_to_yuan, yuan_to_wan
from shuzhuan.enterprises.models import (
    ENTERPRISE_FIELD_LABELS,
    Enterprise,
    Industry,
    QualificationType,
    Region,
)

LABELS = ENTERPRISE_FIELD_LABELS


class ServiceErrorsMixin:
    """Put a service's refusal onto the fields it names (every field when it names several)."""

    def apply_error(self, exc: ApplicationError) -> None:
        form: forms.Form = self  # type: ignore[assignment]
        items = exc.extra.get("errors") or [{"field": exc.field, "message": exc.message}]
        for item in items:
            name = item.get("field")
            form.add_error(name if name in form.fields else None, item["message"])


class EnterpriseForm(ServiceErrorsMixin, forms.Form):
    uscc = forms.CharField(
        label=LABELS["uscc"],
        max_length=30,
        help_text="18位，登记后不能修改",
        widget=forms.TextInput(attrs={"autocomplete": "off", "class": "font-monospace"}),
    )
    name = forms.CharField(label=LABELS["name"], max_length=200)
    town = forms.ChoiceField(
        label=LABELS["town"], error_messages={"invalid_choice": "所选镇（街道）不在您的管辖范围内。"}
    )
    industry = forms.ChoiceField(label=LABELS["industry"], required=False)
    is_sme = forms.BooleanField(label=LABELS["is_sme"], required=False, initial=True)
    above_scale = forms.BooleanField(label=LABELS["above_scale"], required=False)
    employees = forms.IntegerField(
        label=LABELS["employees"], required=False, min_value=0, max_value=10_000_000
    )
    revenue = forms.DecimalField(
        label="营业收入（万元）",
        required=False,
        min_value=Decimal(0),
        max_digits=16,
        decimal_places=6,  # 0.000001 万元 is one fen
        help_text="单位万元，如 526.61",
    )
    has_rd_activity = forms.BooleanField(label=LABELS["has_rd_activity"], required=False)
    status = forms.ChoiceField(label=LABELS["status"], choices=Enterprise.Status.choices, initial="active")
    reason = forms.CharField(
        label="说明（可选）",
        required=False,
        max_length=500,
        help_text="写入变更记录，如“依据2024年统计年报更新”",
    )

    def __init__(
        self,
        *args: Any,
        towns: QuerySet[Region],
        industries: QuerySet[Industry],
        enterprise: Enterprise | None = None,
        **kwargs: Any,
    ) -> None:
        if enterprise is not None:
            kwargs.setdefault("initial", self.initial_for(enterprise))
        super().__init__(*args, **kwargs)
        self.enterprise = enterprise
        if enterprise is not None:
            del self.fields["uscc"]  # the USCC of a registered enterprise never changes
        town_field: forms.ChoiceField = self.fields["town"]  # type: ignore[assignment]
        town_field.choices = [("", "请选择"), *((t.code, t.name) for t in towns)]
        industry_field: forms.ChoiceField = self.fields["industry"]  # type: ignore[assignment]
        industry_field.choices = [("", "未分类"), *((i.code, i.name) for i in industries)]

    @staticmethod
    def initial_for(enterprise: Enterprise) -> dict[str, Any]:
        return {
            "name": enterprise.name,
            "town": enterprise.town.code,
            "industry": enterprise.industry.code if enterprise.industry is not None else "",
            "is_sme": enterprise.is_sme,
            "above_scale": enterprise.above_scale,
            "employees": enterprise.employees,
            "revenue": yuan_to_wan(enterprise.revenue) if enterprise.revenue is not None else None,
            "has_rd_activity": enterprise.has_rd_activity,
            "status": enterprise.status,
        }

    def registry_values(self) -> dict[str, Any]:
        """The cleaned fields as the services take them (revenue in yuan, blank industry → None)."""
        data = self.cleaned_data
        revenue = data.get("revenue")
        values = {
            "name": data["name"],
            "town": data["town"],
            "industry": data.get("industry") or None,
            "is_sme": data["is_sme"],
            "above_scale": data["above_scale"],
            "employees": data.get("employees"),
            "revenue": wan_to_yuan(revenue) if revenue is not None else None,
            "has_rd_activity": data["has_rd_activity"],
            "status": data["status"],
        }
        if "uscc" in self.fields:
            values["uscc"] = data["uscc"]
        return values

    def changed_labels(self) -> list[str]:
        return [LABELS[name] for name in self.changed_data if name in LABELS]


class QualificationForm(ServiceErrorsMixin, forms.Form):
    type = forms.ChoiceField(label="资质", error_messages={"invalid_choice": "请选择资质类型。"})
    year = forms.IntegerField(label="年度")
    reason = forms.CharField(
        label="依据或说明（可选）", required=False, max_length=500, help_text="如认定文件的文号"
    )

    def __init__(
        self, *args: Any, types: QuerySet[QualificationType], years: tuple[int, int], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        type_field: forms.ChoiceField = self.fields["type"]  # type: ignore[assignment]
        type_field.choices = [("", "请选择"), *((t.code, t.name) for t in types)]
        year_field: forms.IntegerField = self.fields["year"]  # type: ignore[assignment]
        year_field.widget.attrs.update({"min": years[0], "max": years[1]})
        self.fields["year"].initial = years[1] - 1  # the year most often recorded: this one
