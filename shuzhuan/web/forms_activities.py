"""Forms of the 活动与人才 pages. They parse what was typed; the services in
``shuzhuan.activities.services`` decide what is valid and their refusals come back onto the field
they name (``ServiceErrors.apply_error``). Regions and enterprises are offered only within the
user's scope: a region outside it is not a choice, an enterprise outside it is not found."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from shuzhuan.activities.models import Event, SkillCertification, Trainee
from shuzhuan.enterprises.models import Enterprise, Region
from shuzhuan.web.forms_applications import DATE_WIDGET, ServiceErrors

_DATE_ERRORS = {"invalid": "日期格式应为 年-月-日，如 2024-06-30。"}
_REGION_ERRORS = {"invalid_choice": "所选地区不在您的管辖范围内。", "required": "请选择地区。"}
_ENTERPRISE_HELP = "统一社会信用代码或企业全称（须在您的管辖范围内），可留空"


class _RegionChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        region: Region = obj
        return region.name if region.level == Region.Level.TOWN else f"{region.name}（全市）"


def _region_field(label: str) -> _RegionChoice:
    return _RegionChoice(
        label=label, queryset=Region.objects.none(), to_field_name="code", error_messages=_REGION_ERRORS
    )


class _EnterpriseLookup:
    """Turn the typed USCC or name of ``field`` into an enterprise of ``enterprises`` (the user's)."""

    enterprise_fields: tuple[str, ...] = ()

    def _lookup(self, enterprises: QuerySet[Enterprise]) -> None:
        form: forms.Form = self  # type: ignore[assignment]
        for name in self.enterprise_fields:
            typed = (form.cleaned_data.get(name) or "").strip()
            if not typed:
                form.cleaned_data[name] = None
                continue
            found = enterprises.filter(uscc=typed.upper()).first() or enterprises.filter(name=typed).first()
            if found is None:
                form.add_error(name, f"没有找到企业“{typed}”，或该企业不在您的管辖范围内。")
            else:
                form.cleaned_data[name] = found


class EventForm(ServiceErrors, forms.Form):
    kind = forms.ChoiceField(label="活动类型", choices=Event.Kind.choices)
    title = forms.CharField(label="活动名称", max_length=200, help_text="如 观海卫镇数字化车间建设现场会")
    held_on = forms.DateField(label="举办日期", widget=DATE_WIDGET, error_messages=_DATE_ERRORS)
    region = _region_field("举办地区")
    venue = forms.CharField(label="地点", max_length=200, required=False)
    organiser = forms.CharField(label="主办单位", max_length=200, required=False)
    notes = forms.CharField(
        label="备注", required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, regions: QuerySet[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions  # type: ignore[attr-defined]


class RegistrationForm(ServiceErrors, _EnterpriseLookup, forms.Form):
    enterprise_fields = ("enterprise",)

    attendee_name = forms.CharField(label="参会人", max_length=64)
    attendee_phone = forms.CharField(label="联系电话", max_length=32, required=False)
    enterprise = forms.CharField(label="企业", max_length=200, required=False, help_text=_ENTERPRISE_HELP)
    attended = forms.BooleanField(label="已签到", required=False)

    def __init__(self, *args: Any, enterprises: QuerySet[Enterprise], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._enterprises = enterprises

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self._lookup(self._enterprises)
        return cleaned


class AttendanceForm(forms.Form):
    attended = forms.TypedChoiceField(
        label="签到", choices=[("1", "已签到"), ("0", "未签到")], coerce=lambda v: v == "1"
    )


class TrainingClassForm(ServiceErrors, forms.Form):
    name = forms.CharField(label="班级名称", max_length=200, help_text="如 数字化专员培训班（第四期）")
    region = _region_field("举办地区")
    starts_on = forms.DateField(label="开班日期", widget=DATE_WIDGET, error_messages=_DATE_ERRORS)
    ends_on = forms.DateField(label="结业日期", widget=DATE_WIDGET, error_messages=_DATE_ERRORS)
    partner = forms.CharField(
        label="合作单位", max_length=200, required=False, help_text="高校、协会或服务商"
    )
    notes = forms.CharField(
        label="备注", required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, regions: QuerySet[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions  # type: ignore[attr-defined]


class TraineeForm(ServiceErrors, _EnterpriseLookup, forms.Form):
    enterprise_fields = ("enterprise",)

    name = forms.CharField(label="姓名", max_length=64)
    origin = forms.ChoiceField(label="来源", choices=Trainee.Origin.choices)
    enterprise = forms.CharField(
        label="选派企业", max_length=200, required=False, help_text="企业人员填写；" + _ENTERPRISE_HELP
    )

    def __init__(self, *args: Any, enterprises: QuerySet[Enterprise], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._enterprises = enterprises

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self._lookup(self._enterprises)
        return cleaned


class OutcomeForm(ServiceErrors, _EnterpriseLookup, forms.Form):
    enterprise_fields = ("employer_enterprise",)

    completed = forms.BooleanField(label="已结业", required=False)
    employed = forms.BooleanField(label="签约就业/在岗", required=False)
    employer = forms.CharField(label="就业单位", max_length=200, required=False)
    employer_enterprise = forms.CharField(
        label="就业企业（企业库）", max_length=200, required=False, help_text=_ENTERPRISE_HELP
    )

    def __init__(self, *args: Any, enterprises: QuerySet[Enterprise], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._enterprises = enterprises

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self._lookup(self._enterprises)
        return cleaned


class CertificationForm(ServiceErrors, _EnterpriseLookup, forms.Form):
    enterprise_fields = ("enterprise",)

    person_name = forms.CharField(label="姓名", max_length=64)
    occupation = forms.CharField(
        label="职业（工种）", max_length=64, help_text="如 电子商务师、工业机器人系统运维员"
    )
    level = forms.TypedChoiceField(label="等级", choices=SkillCertification.Level.choices, coerce=int)
    certified_on = forms.DateField(label="认定日期", widget=DATE_WIDGET, error_messages=_DATE_ERRORS)
    body = forms.CharField(label="认定机构", max_length=200)
    region = _region_field("所属地区")
    enterprise = forms.CharField(label="所在企业", max_length=200, required=False, help_text=_ENTERPRISE_HELP)

    def __init__(
        self, *args: Any, regions: QuerySet[Region], enterprises: QuerySet[Enterprise], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions  # type: ignore[attr-defined]
        self._enterprises = enterprises

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self._lookup(self._enterprises)
        return cleaned


class EventFilterForm(forms.Form):
    """The overview's filters (a GET form): kind, region within scope, date range."""

    kind = forms.ChoiceField(
        label="活动类型", choices=[("", "全部类型"), *Event.Kind.choices], required=False
    )
    region = forms.ModelChoiceField(
        label="地区",
        queryset=Region.objects.none(),
        to_field_name="code",
        required=False,
        empty_label="全部地区",
        error_messages=_REGION_ERRORS,
    )
    start = forms.DateField(label="起始日期", required=False, widget=DATE_WIDGET, error_messages=_DATE_ERRORS)
    end = forms.DateField(label="截止日期", required=False, widget=DATE_WIDGET, error_messages=_DATE_ERRORS)

    def __init__(self, *args: Any, regions: QuerySet[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions  # type: ignore[attr-defined]


class CertificationFilterForm(forms.Form):
    year = forms.IntegerField(label="年度", required=False, min_value=1990, max_value=2100)
    occupation = forms.CharField(label="职业（工种）", required=False, max_length=64)
    level = forms.TypedChoiceField(
        label="等级",
        choices=[("", "全部等级"), *SkillCertification.Level.choices],
        coerce=int,
        required=False,
        empty_value=None,
    )
