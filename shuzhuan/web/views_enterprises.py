"""The enterprise page, and keeping the registry by hand: new enterprise, edit, qualifications.

Thin like every view: ``access_*`` decides who and which record, the services in
``shuzhuan.enterprises.services`` decide what is valid, the forms only parse what was typed.
Every change ends in a success message. The qualification forms work as plain POST forms and,
with htmx, swap the qualification list (and the change history) in place.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from shuzhuan.accounts.access import (
    Perm,
    access_enterprise,
    access_has,
    access_require,
    access_towns,
    access_view,
)
from shuzhuan.core.errors import ApplicationError
from shuzhuan.enterprises.models import Enterprise
from shuzhuan.enterprises.selectors import (
    enterprise_history,
    enterprise_qualification_get,
    enterprise_qualifications,
    industry_list,
    qualification_type_list,
)
from shuzhuan.enterprises.services import (
    enterprise_create,
    enterprise_update,
    qualification_add,
    qualification_remove,
    qualification_year_range,
)
from shuzhuan.web.forms_enterprises import EnterpriseForm, QualificationForm

HISTORY_LIMIT = 20


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _detail_url(enterprise: Enterprise) -> str:
    return reverse("web:enterprise_detail", args=[enterprise.uscc])


def _qualification_form(data: Any = None) -> QualificationForm:
    return QualificationForm(data, types=qualification_type_list(), years=qualification_year_range())


def _records_context(
    request: HttpRequest, enterprise: Enterprise, form: QualificationForm | None = None
) -> dict[str, Any]:
    """What the qualification list and the change history need (also for the htmx fragment)."""
    user = request.user
    can_edit_qualifications = access_has(user, Perm.QUALIFICATION_EDIT)
    can_see_history = access_has(user, Perm.ENTERPRISE_HISTORY)
    return {
        "enterprise": enterprise,
        "qualifications": enterprise_qualifications(enterprise),
        "can_edit_qualifications": can_edit_qualifications,
        "qualification_form": (form or _qualification_form()) if can_edit_qualifications else None,
        "can_see_history": can_see_history,
        "history": enterprise_history(enterprise=enterprise, limit=HISTORY_LIMIT) if can_see_history else [],
        "history_limit": HISTORY_LIMIT,
    }


def _render_detail(
    request: HttpRequest, enterprise: Enterprise, form: QualificationForm | None = None
) -> HttpResponse:
    """The enterprise page, or for htmx only its records (with the messages, which the page
    itself shows in the layout)."""
    if _is_htmx(request):
        template = "web/_enterprise_records.html"
        context = {**_records_context(request, enterprise, form), "fragment": True}
    else:
        template = "web/enterprise_detail.html"
        context = {
            **_records_context(request, enterprise, form),
            "can_list": access_has(request.user, Perm.ENTERPRISE_LIST),
            "can_edit": access_has(request.user, Perm.ENTERPRISE_EDIT),
        }
    return render(request, template, context)


@access_view(Perm.ENTERPRISE_VIEW)
def enterprise_detail(request: HttpRequest, uscc: str) -> HttpResponse:
    return _render_detail(request, access_enterprise(request.user, uscc))


@require_http_methods(["GET", "POST"])
@access_view(Perm.ENTERPRISE_EDIT)
def enterprise_create_view(request: HttpRequest) -> HttpResponse:
    user = access_require(request.user, Perm.ENTERPRISE_EDIT)
    towns = access_towns(user)
    form = EnterpriseForm(
        request.POST if request.method == "POST" else None, towns=towns, industries=industry_list()
    )
    if request.method == "POST" and form.is_valid():
        try:
            enterprise = enterprise_create(
                acting_user=user,
                allowed_towns=towns,
                reason=form.cleaned_data["reason"],
                **form.registry_values(),
            )
        except ApplicationError as exc:
            form.apply_error(exc)
        else:
            messages.success(request, f"已新增企业：{enterprise.name}（{enterprise.uscc}）。")
            return redirect(_detail_url(enterprise))
    return render(request, "web/enterprise_form.html", {"form": form, "enterprise": None})


@require_http_methods(["GET", "POST"])
@access_view(Perm.ENTERPRISE_EDIT)
def enterprise_edit(request: HttpRequest, uscc: str) -> HttpResponse:
    user = access_require(request.user, Perm.ENTERPRISE_EDIT)
    enterprise = access_enterprise(user, uscc)
    towns = access_towns(user)
    form = EnterpriseForm(
        request.POST if request.method == "POST" else None,
        towns=towns,
        industries=industry_list(),
        enterprise=enterprise,
    )
    if request.method == "POST" and form.is_valid():
        changed = form.changed_labels()
        if not changed:
            messages.info(request, "没有修改任何内容。")
            return redirect(_detail_url(enterprise))
        try:
            enterprise = enterprise_update(
                acting_user=user,
                enterprise=enterprise,
                changes=form.registry_values(),
                allowed_towns=towns,
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as exc:
            form.apply_error(exc)
        else:
            messages.success(request, f"已保存对{enterprise.name}的修改：{'、'.join(changed)}。")
            return redirect(_detail_url(enterprise))
    return render(request, "web/enterprise_form.html", {"form": form, "enterprise": enterprise})


@require_POST
@access_view(Perm.QUALIFICATION_EDIT)
def qualification_add_view(request: HttpRequest, uscc: str) -> HttpResponse:
    """Success: back to the enterprise page (for htmx: its refreshed records). Refused: the page
    (or the records) again, with the form's errors."""
    user = access_require(request.user, Perm.QUALIFICATION_EDIT)
    enterprise = access_enterprise(user, uscc)
    form = _qualification_form(request.POST)
    if form.is_valid():
        try:
            qualification = qualification_add(
                acting_user=user,
                enterprise=enterprise,
                type=form.cleaned_data["type"],
                year=form.cleaned_data["year"],
                allowed_towns=access_towns(user),
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as exc:
            form.apply_error(exc)
        else:
            messages.success(request, f"已添加资质：{qualification.type.name}（{qualification.year}年度）。")
            if _is_htmx(request):
                return _render_detail(request, enterprise)
            return redirect(_detail_url(enterprise))
    return _render_detail(request, enterprise, form)


@require_POST
@access_view(Perm.QUALIFICATION_EDIT)
def qualification_remove_view(request: HttpRequest, uscc: str, type: str, year: int) -> HttpResponse:
    user = access_require(request.user, Perm.QUALIFICATION_EDIT)
    enterprise = access_enterprise(user, uscc)
    qualification = enterprise_qualification_get(enterprise=enterprise, type_code=type, year=year)
    if qualification is None:
        raise Http404("该企业没有这项资质记录。")
    try:
        qualification_remove(
            acting_user=user,
            enterprise=enterprise,
            type=type,
            year=year,
            allowed_towns=access_towns(user),
            reason=request.POST.get("reason", ""),
        )
    except ApplicationError as exc:
        messages.error(request, exc.message, extra_tags="danger")  # Bootstrap's alert-danger
    else:
        messages.success(request, f"已删除资质：{qualification.type.name}（{year}年度）。")
    if _is_htmx(request):
        return _render_detail(request, enterprise)
    return redirect(_detail_url(enterprise))
