"""统计报告 (shuzhuan.cockpit.report): choose a period, build the report in the background, watch
its progress, download the Word, PDF and Excel files.

Who: Perm.REPORT_BUILD (bureau, town officers, auditors). The report covers the officer's own
region (``access_scope_region``): a town officer's report is their town's, without the county's
allocations. A report task is its starter's alone: anyone else's — or an unknown id — is a 404,
as with enterprise imports.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from shuzhuan.accounts.access import Perm, access_require, access_scope_region, access_view
from shuzhuan.cockpit.tasks import MAX_YEARS, REPORT_TASK, report_task_file, report_task_list
from shuzhuan.core.models import BackgroundTask
from shuzhuan.core.tasks import task_get, task_submit
from shuzhuan.web.downloads import PDF, XLSX, download_response

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FORMATS = {"docx": ("Word 文档", DOCX), "pdf": ("PDF", PDF), "xlsx": ("统计表（Excel）", XLSX)}
YEAR_MIN, YEAR_MAX = 2000, 2100


class ReportForm(forms.Form):
    """The period: ``from`` and ``to`` years (the names the cockpit page links with)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        messages = {
            "required": "请填写年度。",
            "invalid": "请填写四位数的年度。",
            "min_value": f"年度不能早于{YEAR_MIN}年。",
            "max_value": f"年度不能晚于{YEAR_MAX}年。",
        }
        for name, label in (("from", "起始年度"), ("to", "截止年度")):
            self.fields[name] = forms.IntegerField(
                label=label, min_value=YEAR_MIN, max_value=YEAR_MAX, error_messages=messages
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("from"), data.get("to")
        if start is not None and end is not None:
            if start > end:
                raise forms.ValidationError("起始年度不能晚于截止年度。")
            if end - start + 1 > MAX_YEARS:
                raise forms.ValidationError(f"统计期间最长{MAX_YEARS}年。")
        return data


def _initial(request: HttpRequest) -> dict[str, int]:
    """Last year to this year, or the period the cockpit page linked with (when it is sound)."""
    this_year = timezone.localdate().year
    initial = {"from": this_year - 1, "to": this_year}
    probe = ReportForm({k: request.GET.get(k, v) for k, v in initial.items()})
    return {k: probe.cleaned_data[k] for k in initial} if probe.is_valid() else initial


@require_http_methods(["GET", "POST"])
@access_view(Perm.REPORT_BUILD)
def cockpit_reports(request: HttpRequest) -> HttpResponse:
    """The period form and the user's recent reports; a valid POST starts a report task."""
    user = access_require(request.user, Perm.REPORT_BUILD)
    region = access_scope_region(user)
    if request.method == "POST":
        form = ReportForm(request.POST)
        if form.is_valid():
            job = task_submit(
                kind=REPORT_TASK,
                owner_id=user.pk,
                params={
                    "from": form.cleaned_data["from"],
                    "to": form.cleaned_data["to"],
                    "region": region.code if region is not None else None,
                },
            )
            return redirect("web:cockpit_report_task", task_id=job.pk)
    else:
        form = ReportForm(initial=_initial(request))
    context = {
        "form": form,
        "region": region,
        "jobs": report_task_list(owner_id=user.pk),
        "max_years": MAX_YEARS,
    }
    return render(request, "web/cockpit_reports.html", context)


def _own_task(request: HttpRequest, task_id: uuid.UUID) -> BackgroundTask:
    user = access_require(request.user, Perm.REPORT_BUILD)
    job = task_get(task_id)
    if job is None or job.kind != REPORT_TASK or job.owner_id != user.pk:
        raise Http404("没有找到该统计报告。")
    return job


@require_GET
@access_view(Perm.REPORT_BUILD)
def cockpit_report_task(request: HttpRequest, task_id: uuid.UUID) -> HttpResponse:
    """Progress of one report build (polled while it runs), then its downloads."""
    job = _own_task(request, task_id)
    files = []
    if job.status == BackgroundTask.Status.SUCCEEDED:
        for fmt, (label, _) in FORMATS.items():
            if report_task_file(job, fmt) is not None:
                files.append({"fmt": fmt, "label": label, "name": job.result["files"][fmt]})  # type: ignore[index]
    context = {"job": job, "files": files, "error": job.error}
    if request.headers.get("HX-Request"):
        return render(request, "web/_cockpit_report_progress.html", context)
    return render(request, "web/cockpit_report_task.html", context)


@require_GET
@access_view(Perm.REPORT_BUILD)
def cockpit_report_download(request: HttpRequest, task_id: uuid.UUID, fmt: str) -> HttpResponse:
    """One of the report's files, named after the report (Chinese, RFC 5987)."""
    job = _own_task(request, task_id)
    if fmt not in FORMATS:
        raise Http404("没有这种格式的报告文件。")
    path = report_task_file(job, fmt)
    if path is None:
        raise Http404("报告文件尚未生成或已被清理，请重新生成。")
    params = job.params or {}
    return download_response(
        path.read_bytes(),
        filename=path.name,
        fallback=f"report-{params.get('from', '')}-{params.get('to', '')}.{fmt}",
        content_type=FORMATS[fmt][1],
    )
