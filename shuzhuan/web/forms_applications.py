"""Forms for the application workflow pages. They parse what was typed and nothing more: amounts
stay text (the services read "1,234.50" and refuse "1.234" with a message naming the field), and a
service's ``ApplicationError`` comes back onto the field it names (``apply_error``)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone

from shuzhuan.accounts.models import User
from shuzhuan.applications.models import PolicyBatch
from shuzhuan.applications.scoring import SCORING_SHEET
from shuzhuan.applications.services import LEVEL_NAMES, MATERIAL_TYPES
from shuzhuan.core.errors import ApplicationError
from shuzhuan.rules.fields import FUNDING_LEVELS, PROJECT_KINDS

KIND_LABELS = {"pilot": "数字化改造试点", "new_it": "新一代信息技术", "ai_model": "人工智能大模型"}
ACCEPTED_FILES = ".pdf,.jpg,.jpeg,.png,.xlsx,.docx"
DEFAULT_MATERIALS = "plan 项目实施方案\ncontract 项目合同\nother_proof 其他证明材料（可选）"
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ServiceErrors:
    """Put a service's refusal onto the field it names; ``FIELD_MAP`` translates the service's
    field names ("scores.necessity") to the form's ("score_necessity"); anything else becomes a
    message for the whole form."""

    FIELD_MAP: Mapping[str, str] = {}

    def apply_error(self, exc: ApplicationError) -> None:
        form: forms.Form = self  # type: ignore[assignment]
        items = exc.extra.get("errors") or [{"field": exc.field, "message": exc.message}]
        for item in items:
            name = self.FIELD_MAP.get(item.get("field") or "", item.get("field"))
            form.add_error(name if name in form.fields else None, item["message"])


def _money_text(value: str) -> str:
    return (value or "").replace("，", ",").strip()


class ApplicationForm(ServiceErrors, forms.Form):
    project_name = forms.CharField(label="项目名称", max_length=200, required=False)
    project_summary = forms.CharField(
        label="项目简介", required=False, widget=forms.Textarea(attrs={"rows": 4}), max_length=4000
    )
    kinds = forms.MultipleChoiceField(
        label="项目类型",
        required=False,
        choices=[(k, KIND_LABELS.get(k, k)) for k in PROJECT_KINDS],
        widget=forms.CheckboxSelectMultiple,
    )
    in_pilot_plan = forms.BooleanField(label="已列入数字化改造试点计划", required=False)
    declared_investment = forms.CharField(
        label="申报投入额（元）", required=False, max_length=40, help_text="如 800,000.00"
    )

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["declared_investment"] = _money_text(data.get("declared_investment", ""))
        if not data["project_name"].strip():
            data["project_name"] = ""
        return data


class MaterialForm(ServiceErrors, forms.Form):
    kind = forms.ChoiceField(label="材料类型")
    file = forms.FileField(label="文件")

    def __init__(self, *args: Any, batch: PolicyBatch, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [
            (m["code"], m["label"] + ("" if m.get("required", True) else "（可选）"))
            for m in batch.required_materials
        ]
        field: forms.ChoiceField = self.fields["kind"]  # type: ignore[assignment]
        field.choices = [*choices, ("other", "其他")]
        self.fields["file"].help_text = "接受 " + "、".join(MATERIAL_TYPES.values())
        self.fields["file"].widget.attrs["accept"] = ACCEPTED_FILES


class InvoiceForm(ServiceErrors, forms.Form):
    number = forms.CharField(label="发票号码", max_length=64)
    issued_on = forms.DateField(label="开票日期", widget=DATE_WIDGET)
    amount = forms.CharField(label="金额（元）", max_length=40)
    seller = forms.CharField(label="销售方", max_length=200, required=False)


class ReasonForm(ServiceErrors, forms.Form):
    reason = forms.CharField(
        label="意见", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class SubmitForm(ServiceErrors, forms.Form):
    declaration = forms.BooleanField(
        label="本企业承诺：所填申报信息及上传材料真实、完整、有效，如有虚假愿承担相应责任。", required=False
    )


class AssignExpertsForm(ServiceErrors, forms.Form):
    experts = forms.MultipleChoiceField(label="评审专家", widget=forms.CheckboxSelectMultiple, required=False)

    def __init__(self, *args: Any, experts: Iterable[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: forms.MultipleChoiceField = self.fields["experts"]  # type: ignore[assignment]
        field.choices = [(str(u.pk), str(u)) for u in experts]
        field.error_messages["invalid_choice"] = "所选专家不在名册中。"


class AcceptForm(ServiceErrors, forms.Form):
    verified_investment = forms.CharField(label="核定投入额（元）", max_length=40, required=False)
    notes = forms.CharField(label="验收意见", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    accepted_on = forms.DateField(label="验收日期", widget=DATE_WIDGET, required=False)


class ApproveForm(ServiceErrors, forms.Form):
    amount = forms.CharField(label="核定补助金额（元）", max_length=40, required=False)
    reason = forms.CharField(
        label="低于上限的理由", required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class NoticeForm(ServiceErrors, forms.Form):
    starts_on = forms.DateField(
        label="公示开始日期", widget=DATE_WIDGET, help_text="公示在门户网站发布之日", required=False
    )


class ObjectionForm(ServiceErrors, forms.Form):
    content = forms.CharField(label="异议内容", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    received_on = forms.DateField(label="收到日期", widget=DATE_WIDGET, required=False)


class ObjectionResolveForm(ServiceErrors, forms.Form):
    upheld = forms.TypedChoiceField(
        label="处理结论",
        choices=[("no", "异议不成立"), ("yes", "异议成立")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "请选择异议是否成立。"},
    )
    resolution = forms.CharField(label="处理结果", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class PayShareForm(ServiceErrors, forms.Form):
    reference = forms.CharField(
        label="支付凭证号",
        max_length=128,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "支付凭证号"}),
    )
    # One key per rendered form: a double click or a retried POST pays once.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=128)

    @staticmethod
    def fresh_key() -> str:
        return f"web-{uuid.uuid4().hex}"


class ReviewForm(ServiceErrors, forms.Form):
    """The conflict-of-interest declaration, then the scoring sheet (one field per criterion)."""

    conflict = forms.ChoiceField(
        label="利益冲突声明",
        choices=[("none", "本人与该申报企业及项目无利益冲突"), ("conflict", "本人存在利益冲突，申请回避")],
        widget=forms.RadioSelect,
        error_messages={"required": "请先作出利益冲突声明。"},
    )
    conflict_reason = forms.CharField(
        label="回避理由", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    comment = forms.CharField(label="评审意见", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    FIELD_MAP = {f"scores.{c.code}": f"score_{c.code}" for c in SCORING_SHEET}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for c in SCORING_SHEET:
            self.fields[f"score_{c.code}"] = forms.CharField(
                label=f"{c.label}（满分 {c.max_points}）", required=False, max_length=10
            )
            self.fields[f"score_{c.code}"].widget.attrs.update(
                {"inputmode": "decimal", "data-max": str(c.max_points)}
            )

    def score_fields(self) -> list[forms.BoundField]:
        return [self[f"score_{c.code}"] for c in SCORING_SHEET]

    def scores(self) -> dict[str, str]:
        return {c.code: self.cleaned_data.get(f"score_{c.code}", "") for c in SCORING_SHEET}


class BatchForm(ServiceErrors, forms.Form):
    edition = forms.ChoiceField(
        label="政策版本", error_messages={"invalid_choice": "请选择已发布的政策版本。"}
    )
    policy_ids = forms.MultipleChoiceField(
        label="适用政策",
        widget=forms.CheckboxSelectMultiple,
        required=False,
        error_messages={"invalid_choice": "所选政策不在该版本中。"},
    )
    code = forms.CharField(
        label="批次编号", max_length=64, help_text="英文字母、数字和连字符，如 2025-digital-1"
    )
    name = forms.CharField(label="批次名称", max_length=200)
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    opens_on = forms.DateField(label="申报开始", widget=DATE_WIDGET)
    closes_on = forms.DateField(label="申报截止", widget=DATE_WIDGET)
    required_materials = forms.CharField(
        label="申报材料",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="每行一项：材料编号 空格 材料名称；名称后加“（可选）”表示非必交",
    )
    share_central = forms.CharField(label="中央分担比例", max_length=10)
    share_city = forms.CharField(label="宁波分担比例", max_length=10)
    share_county = forms.CharField(label="慈溪分担比例", max_length=10)
    notice_days = forms.IntegerField(label="公示天数", min_value=1, max_value=60, initial=7)
    FIELD_MAP = {
        "funding_split": "share_county",
        **{f"funding_split.{lv}": f"share_{lv}" for lv in FUNDING_LEVELS},
    }

    def __init__(
        self,
        *args: Any,
        editions: list[tuple[str, str]],
        policies: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        edition: forms.ChoiceField = self.fields["edition"]  # type: ignore[assignment]
        edition.choices = editions
        policy_field: forms.MultipleChoiceField = self.fields["policy_ids"]  # type: ignore[assignment]
        policy_field.choices = policies
        for level in FUNDING_LEVELS:
            self.fields[f"share_{level}"].label = f"{LEVEL_NAMES[level]}分担比例"
            self.fields[f"share_{level}"].widget.attrs["inputmode"] = "decimal"

    @staticmethod
    def initial_for(*, edition_id: str, split: Mapping[str, Decimal]) -> dict[str, Any]:
        today = timezone.localdate()
        return {
            "edition": edition_id,
            "year": today.year,
            "opens_on": today,
            "closes_on": today + dt.timedelta(days=30),
            "required_materials": DEFAULT_MATERIALS,
            "notice_days": 7,
            **{f"share_{lv}": format(split.get(lv, Decimal(0)), "f") for lv in FUNDING_LEVELS},
        }

    def materials(self) -> list[dict[str, Any]]:
        """ "plan 项目实施方案" → {"code": "plan", "label": "项目实施方案", "required": True}."""
        rows = []
        for n, line in enumerate(self.cleaned_data.get("required_materials", "").splitlines(), 1):
            line = line.strip()
            if not line:
                continue
            parts = re.split(r"[\s,，]+", line, maxsplit=1)
            if len(parts) != 2 or not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", parts[0]):
                raise ApplicationError(
                    f"申报材料第 {n} 行应为“材料编号 材料名称”，编号用英文字母、数字或下划线",
                    field="required_materials",
                )
            label = parts[1].strip()
            optional = label.endswith(("（可选）", "(可选)"))
            if optional:
                label = label.rsplit("（", 1)[0].rsplit("(", 1)[0].strip()
            rows.append({"code": parts[0], "label": label, "required": not optional})
        return rows

    def split(self) -> dict[str, str]:
        return {lv: self.cleaned_data[f"share_{lv}"].strip() for lv in FUNDING_LEVELS}


class AllocationForm(ServiceErrors, forms.Form):
    level = forms.ChoiceField(label="资金层级", choices=[(lv, LEVEL_NAMES[lv]) for lv in FUNDING_LEVELS])
    programme = forms.ChoiceField(label="资金项目")
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    amount = forms.CharField(label="下达金额（元）", max_length=40, help_text="如 14,230,000.00")
    reference = forms.CharField(label="下达文号", max_length=128, required=False)
    memo = forms.CharField(label="摘要", max_length=400, required=False)

    def __init__(self, *args: Any, programmes: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: forms.ChoiceField = self.fields["programme"]  # type: ignore[assignment]
        field.choices = programmes


class DisbursementRunForm(ServiceErrors, forms.Form):
    level = forms.ChoiceField(
        label="资金层级",
        required=False,
        choices=[("", "全部层级"), *((lv, LEVEL_NAMES[lv]) for lv in FUNDING_LEVELS)],
    )
    batch = forms.ChoiceField(label="申报批次", required=False)

    def __init__(self, *args: Any, batches: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: forms.ChoiceField = self.fields["batch"]  # type: ignore[assignment]
        field.choices = [("", "全部批次"), *batches]
