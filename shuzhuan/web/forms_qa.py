from __future__ import annotations

from django import forms

QUESTION_MAX = 500


class AskForm(forms.Form):
    question = forms.CharField(
        label="您的问题",
        max_length=QUESTION_MAX,
        error_messages={"required": "请输入问题。", "max_length": f"问题请不超过 {QUESTION_MAX} 字。"},
        widget=forms.TextInput(
            attrs={"placeholder": "例如：我投了80万做AI大模型项目能补多少？", "autocomplete": "off"}
        ),
    )


class IngestForm(forms.Form):
    title = forms.CharField(
        label="标题（可选，仅单个文件时使用）",
        max_length=300,
        required=False,
        help_text="不填则取文件中的标题。",
    )


class FaqForm(forms.Form):
    question = forms.CharField(label="问题", max_length=500, error_messages={"required": "请填写问题。"})
    answer = forms.CharField(
        label="答复", widget=forms.Textarea(attrs={"rows": 5}), error_messages={"required": "请填写答复。"}
    )
    citations = forms.CharField(
        label="依据",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="文号、条款或文件名，一行一条。",
    )
    from_unanswered = forms.IntegerField(required=False, widget=forms.HiddenInput)
