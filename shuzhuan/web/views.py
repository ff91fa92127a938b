"""Server-rendered pages. Thin: each asks ``access_*`` and calls a selector or service."""

from __future__ import annotations

import uuid
from io import BytesIO
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods, require_POST

from shuzhuan.accounts.access import (
    Perm,
    access_enterprises,
    access_has,
    access_require,
    access_scope_region,
    access_towns,
    access_view,
)
from shuzhuan.accounts.models import Role
from shuzhuan.accounts.selectors import login_attempts_left
from shuzhuan.core.tasks import task_get, task_submit
from shuzhuan.enterprises.imports import enterprise_export_xlsx
from shuzhuan.enterprises.models import Enterprise
from shuzhuan.enterprises.selectors import (
    EnterpriseFilter,
    enterprise_filter,
    industry_list,
    qualification_type_list,
)
from shuzhuan.enterprises.tasks import IMPORT_TASK
from shuzhuan.matching.selectors import enterprise_matches, match_run_current, push_opted_out
from shuzhuan.web.templatetags.shuzhuan_web import duration_zh


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "用户名或密码错误。还可尝试 %(left)s 次，连续输错 %(limit)s 次将锁定账户 %(cooloff)s。",
        "inactive": "该账户已停用。",
    }

    def get_invalid_login_error(self) -> forms.ValidationError:
        username = self.cleaned_data.get("username") or ""
        left = login_attempts_left(self.request, username) if self.request is not None else None
        limit = settings.AXES_FAILURE_LIMIT
        return forms.ValidationError(
            self.error_messages["invalid_login"]
            % {
                "left": limit if left is None else left,
                "limit": limit,
                "cooloff": duration_zh(settings.AXES_COOLOFF_TIME),
            },
            code="invalid_login",
        )


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["failure_limit"] = settings.AXES_FAILURE_LIMIT
        context["cooloff"] = duration_zh(settings.AXES_COOLOFF_TIME)
        return context


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("web:login")


@access_view(Perm.DASHBOARD)
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    context: dict[str, Any] = {"scope": access_scope_region(user)}
    if access_has(user, Perm.ENTERPRISE_LIST):
        visible = access_enterprises(user)
        context["enterprise_count"] = visible.count()
        context["above_scale_count"] = visible.filter(above_scale=True).count()
        context["by_town"] = (
            visible.values("town__code", "town__name")
            .annotate(n=Count("id"))
            .order_by("-n", "town__name")[:25]
        )
        context["by_industry"] = (
            visible.values("industry__code", "industry__name")
            .annotate(n=Count("id"))
            .order_by("-n", "industry__name")
        )
    elif getattr(user, "role", None) == Role.ENTERPRISE:
        context["enterprise"] = enterprise = access_enterprises(user).first()
        if enterprise is not None and access_has(user, Perm.MATCH_MINE):
            # 为您匹配的政策: the current run's matches, each with where to apply
            context["match_run"] = match_run_current()
            context["matches"] = enterprise_matches(enterprise=enterprise)
            context["push_opted_out"] = push_opted_out(enterprise)
    if access_has(user, Perm.MATCH_VIEW):
        context["can_view_matching"] = True
        context["match_run"] = match_run_current()
    return render(request, "web/home.html", context)


def _filters_from(request: HttpRequest) -> EnterpriseFilter:
    year_raw = request.GET.get("year", "").strip()
    return EnterpriseFilter(
        q=request.GET.get("q", ""),
        town=request.GET.get("town", ""),
        industry=request.GET.get("industry", ""),
        qualification=request.GET.get("qualification", ""),
        year=int(year_raw) if year_raw.isdigit() else None,
        status=request.GET.get("status", ""),
    )


def _wants_fragment(request: HttpRequest) -> bool:
    """An htmx request for the result rows only (a history restore needs the whole page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


@access_view(Perm.ENTERPRISE_LIST)
def enterprise_list(request: HttpRequest) -> HttpResponse:
    filters = _filters_from(request)
    qs = enterprise_filter(access_enterprises(request.user), filters)
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "filters": filters,
        "towns": access_towns(request.user),
        "industries": industry_list(),
        "qualification_types": qualification_type_list(),
        "statuses": Enterprise.Status.choices,
        "query": query.urlencode(),
        "can_export": access_has(request.user, Perm.ENTERPRISE_EXPORT),
        "can_import": access_has(request.user, Perm.ENTERPRISE_IMPORT),
        "can_create": access_has(request.user, Perm.ENTERPRISE_EDIT),
    }
    template = "web/_enterprise_rows.html" if _wants_fragment(request) else "web/enterprise_list.html"
    response = render(request, template, context)
    # The same URL answers with the rows or the whole page: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request", "HX-History-Restore-Request"])
    return response


@access_view(Perm.ENTERPRISE_VIEW)
def my_enterprise(request: HttpRequest) -> HttpResponse:
    enterprise = access_enterprises(request.user).first()
    if getattr(request.user, "role", None) != Role.ENTERPRISE or enterprise is None:
        return redirect("web:enterprise_list")
    return HttpResponseRedirect(reverse("web:enterprise_detail", args=[enterprise.uscc]))


@access_view(Perm.ENTERPRISE_EXPORT)
def enterprise_export(request: HttpRequest) -> FileResponse:
    qs = enterprise_filter(access_enterprises(request.user), _filters_from(request))
    buffer = BytesIO()
    enterprise_export_xlsx(qs, buffer)
    buffer.seek(0)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return FileResponse(buffer, as_attachment=True, filename=f"enterprises-{stamp}.xlsx")


IMPORT_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv", ".tsv", ".txt")


class ImportForm(forms.Form):
    file = forms.FileField(label="企业名单（.xlsx、.xls 或 .csv）")
    dry_run = forms.BooleanField(label="仅检查，不写入（试导入）", required=False, initial=True)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        name = upload.name.lower()
        if not name.endswith(IMPORT_SUFFIXES):
            raise forms.ValidationError("只支持 .xlsx、.xlsm、.xls、.csv、.tsv 或 .txt 文件。")
        if upload.size > settings.SHUZHUAN_IMPORT_MAX_BYTES:
            limit = settings.SHUZHUAN_IMPORT_MAX_BYTES // (1024 * 1024)
            raise forms.ValidationError(f"文件超过 {limit} MB 上限。")
        return upload


@require_http_methods(["GET", "POST"])
@access_view(Perm.ENTERPRISE_IMPORT)
def enterprise_import_view(request: HttpRequest) -> HttpResponse:
    """Upload → stored outside the web root → background import task → its progress page."""
    user = access_require(request.user, Perm.ENTERPRISE_IMPORT)
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            folder = Path(settings.UPLOAD_DIR) / "imports"
            folder.mkdir(parents=True, exist_ok=True)
            stored = folder / f"{uuid.uuid4().hex}{Path(upload.name).suffix.lower()}"
            with stored.open("wb") as fh:
                for chunk in upload.chunks():
                    fh.write(chunk)
            job = task_submit(
                kind=IMPORT_TASK,
                owner_id=user.pk,
                params={
                    "path": str(stored),
                    "filename": upload.name,
                    "dry_run": form.cleaned_data["dry_run"],
                    "user_id": user.pk,
                    "allowed_town_ids": list(access_towns(user).values_list("pk", flat=True)),
                },
            )
            return redirect("web:enterprise_import_task", task_id=job.pk)
    else:
        form = ImportForm()
    context = {"form": form, "max_mb": settings.SHUZHUAN_IMPORT_MAX_BYTES // (1024 * 1024)}
    return render(request, "web/enterprise_import.html", context)


@require_http_methods(["GET"])
@access_view(Perm.ENTERPRISE_IMPORT)
def enterprise_import_task(request: HttpRequest, task_id: uuid.UUID) -> HttpResponse:
    """Progress of one import, then its row report. Only the officer who started it sees it."""
    user = access_require(request.user, Perm.ENTERPRISE_IMPORT)
    job = task_get(task_id)
    if job is None or job.kind != IMPORT_TASK or job.owner_id != user.pk:
        raise Http404("没有找到该导入任务。")
    context = {"job": job, "report": job.result if job.finished else None, "error": job.error}
    if request.headers.get("HX-Request"):
        return render(request, "web/_import_progress.html", context)
    return render(request, "web/enterprise_import_task.html", context)
