"""政策: the editions in force, an edition's policies, and — for bureau officers — a new edition
copied as a draft, its parameters changed and published; the 政策计算器 page.

Thin like every view: ``access_*`` decides who and which edition, ``shuzhuan.policies.services``
decide what is valid (the rulebook's loader validates every document), the calculator page calls
the same ``policy_calc`` as the CLI and ``POST /api/policy/calc``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shuzhuan.accounts.access import Perm, access_edition, access_editions, access_has, access_view
from shuzhuan.core.errors import ApplicationError
from shuzhuan.enterprises.selectors import industry_list, qualification_type_list
from shuzhuan.policies.calc import policy_calc
from shuzhuan.policies.models import PolicyEdition
from shuzhuan.policies.selectors import (
    edition_built,
    edition_changes,
    edition_parameters,
    edition_setting_changes,
)
from shuzhuan.policies.services import (
    edition_draft_create,
    edition_draft_delete,
    edition_funding_split_set,
    edition_key_industries_set,
    edition_parameter_set,
    edition_publish,
)
from shuzhuan.rules.fields import FUNDING_LEVEL_LABELS, FUNDING_LEVELS, PROJECT_KINDS

KIND_LABELS = {"pilot": "数字化改造试点", "new_it": "新一代信息技术", "ai_model": "人工智能大模型"}


@require_GET
@access_view(Perm.POLICY_VIEW)
def policy_list(request: HttpRequest) -> HttpResponse:
    editions = access_editions(request.user).order_by("-effective_from")
    return render(
        request,
        "web/policy_list.html",
        {"editions": editions, "can_publish": access_has(request.user, Perm.POLICY_PUBLISH)},
    )


@require_GET
@access_view(Perm.POLICY_VIEW)
def edition_detail(request: HttpRequest, edition_id: str) -> HttpResponse:
    stored = access_edition(request.user, edition_id)
    return _render_edition(request, stored)


def _render_edition(
    request: HttpRequest,
    stored: PolicyEdition,
    error: ApplicationError | None = None,
    posted: dict[str, Any] | None = None,
) -> HttpResponse:
    """The edition's page; after a refused change, ``error`` and what was ``posted`` (a form of
    the edition's settings keeps the values typed, with the error beside the field at fault)."""
    edition = edition_built(stored)
    can_publish = access_has(request.user, Perm.POLICY_PUBLISH)
    editable = (
        {(p.policy, p.step) for p in edition_parameters(stored)} if stored.is_draft and can_publish else set()
    )
    policies = [
        {
            "policy": policy,
            "steps": [{"step": s, "editable": (policy.id, s.name) in editable} for s in policy.steps],
            "own_split": [(FUNDING_LEVEL_LABELS[k], policy.funding_split[k]) for k in FUNDING_LEVELS]
            if policy.funding_split != edition.funding_split
            else None,
        }
        for policy in edition.policies
    ]
    posted = posted or {}
    field = (error.field or "") if error else ""
    industries = list(industry_list())
    names = {i.code: i.name for i in industries}
    split_values = posted.get("funding_split") or {k: str(v) for k, v in edition.funding_split.items()}
    setup = {
        "key_industries": [(code, names.get(code, code)) for code in edition.key_industries],
        "industry_choices": [
            (i.code, i.name, i.code in set(posted.get("key_industries", edition.key_industries)))
            for i in industries
        ],
        "split_stored": [(FUNDING_LEVEL_LABELS[k], edition.funding_split[k]) for k in FUNDING_LEVELS],
        "split": [
            (
                level,
                FUNDING_LEVEL_LABELS[level],
                split_values.get(level, ""),
                field == f"funding_split.{level}",
            )
            for level in FUNDING_LEVELS
        ],
        "error_in": "key_industries"
        if field == "key_industries"
        else "funding_split"
        if field.startswith("funding_split")
        else "",
    }
    return render(
        request,
        "web/policy_edition.html",
        {
            "stored": stored,
            "edition": edition,
            "policies": policies,
            "funding_levels": FUNDING_LEVELS,
            "changes": edition_changes(stored) if stored.is_draft else [],
            "setting_changes": edition_setting_changes(stored) if stored.is_draft else [],
            "setup": setup,
            "can_edit": stored.is_draft and can_publish,
            "error": error,
        },
    )


@require_http_methods(["GET", "POST"])
@access_view(Perm.POLICY_PUBLISH)
def edition_create(request: HttpRequest) -> HttpResponse:
    editions = access_editions(request.user).order_by("-effective_from")
    values = {
        "based_on": request.POST.get("based_on", request.GET.get("based_on", "")),
        "edition_id": request.POST.get("edition_id", ""),
        "effective_from": request.POST.get("effective_from", ""),
        "document_number": request.POST.get("document_number", ""),
        "title": request.POST.get("title", ""),
    }
    error: ApplicationError | None = None
    if request.method == "POST":
        try:
            based_on = editions.filter(edition_id=values["based_on"]).first()
            if based_on is None:
                raise ApplicationError("请选择作为基础的版本", field="based_on")
            try:
                start = dt.date.fromisoformat(values["effective_from"].strip())
            except ValueError:
                raise ApplicationError("请输入生效日期，格式如 2026-01-01", field="effective_from") from None
            draft = edition_draft_create(
                acting_user=request.user,  # type: ignore[arg-type]
                based_on=based_on,
                edition_id=values["edition_id"],
                effective_from=start,
                document_number=values["document_number"],
                title=values["title"],
            )
        except ApplicationError as exc:
            error = exc
        else:
            messages.success(request, f"已创建草稿 {draft.edition_id}（基于 {based_on.edition_id}）")
            return redirect("web:policy_edition", edition_id=draft.edition_id)
    return render(
        request,
        "web/policy_edition_new.html",
        {"editions": editions, "values": values, "error": error},
    )


@require_POST
@access_view(Perm.POLICY_PUBLISH)
def edition_parameter(request: HttpRequest, edition_id: str) -> HttpResponse:
    stored = access_edition(request.user, edition_id)
    policy, step = request.POST.get("policy", ""), request.POST.get("step", "")
    try:
        edition_parameter_set(
            acting_user=request.user,  # type: ignore[arg-type]
            draft=stored,
            policy_id=policy,
            step=step,
            value=request.POST.get("value", ""),
        )
    except ApplicationError as exc:
        return _render_edition(request, stored, error=exc)
    messages.success(request, f"已修改 {policy} 的 {step}")
    return redirect("web:policy_edition", edition_id=stored.edition_id)


@require_POST
@access_view(Perm.POLICY_PUBLISH)
def edition_publish_view(request: HttpRequest, edition_id: str) -> HttpResponse:
    stored = access_edition(request.user, edition_id)
    try:
        published = edition_publish(acting_user=request.user, draft=stored)  # type: ignore[arg-type]
    except ApplicationError as exc:
        return _render_edition(request, stored, error=exc)
    messages.success(
        request, f"已发布 {published.edition_id}，自 {published.effective_from.isoformat()} 起生效"
    )
    return redirect("web:policy_edition", edition_id=published.edition_id)


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


@require_POST
@access_view(Perm.POLICY_PUBLISH)
def edition_delete_view(request: HttpRequest, edition_id: str) -> HttpResponse:
    """Delete a draft. The button asks first (htmx ``hx-confirm``), so its request comes from htmx
    and is answered with ``HX-Redirect``; a plain form post (no JavaScript) gets a redirect."""
    stored = access_edition(request.user, edition_id)
    try:
        edition_draft_delete(acting_user=request.user, draft=stored)  # type: ignore[arg-type]
    except ApplicationError as exc:
        if _is_htmx(request):
            messages.error(request, exc.message, extra_tags="danger")
            return HttpResponse(headers={"HX-Redirect": reverse("web:policy_edition", args=[edition_id])})
        return _render_edition(request, stored, error=exc)
    messages.success(request, f"已删除草稿 {edition_id}")
    if _is_htmx(request):
        return HttpResponse(headers={"HX-Redirect": reverse("web:policy_list")})
    return redirect("web:policy_list")


@require_POST
@access_view(Perm.POLICY_PUBLISH)
def edition_key_industries_view(request: HttpRequest, edition_id: str) -> HttpResponse:
    stored = access_edition(request.user, edition_id)
    chosen = request.POST.getlist("key_industries")
    try:
        edition_key_industries_set(acting_user=request.user, draft=stored, industries=chosen)  # type: ignore[arg-type]
    except ApplicationError as exc:
        return _render_edition(request, stored, error=exc, posted={"key_industries": chosen})
    messages.success(request, f"已修改 {stored.edition_id} 的重点行业")
    return redirect("web:policy_edition", edition_id=stored.edition_id)


@require_POST
@access_view(Perm.POLICY_PUBLISH)
def edition_funding_split_view(request: HttpRequest, edition_id: str) -> HttpResponse:
    stored = access_edition(request.user, edition_id)
    shares = {level: request.POST.get(level, "") for level in FUNDING_LEVELS}
    try:
        edition_funding_split_set(acting_user=request.user, draft=stored, shares=shares)  # type: ignore[arg-type]
    except ApplicationError as exc:
        return _render_edition(request, stored, error=exc, posted={"funding_split": shares})
    messages.success(request, f"已修改 {stored.edition_id} 的三级资金分担比例")
    return redirect("web:policy_edition", edition_id=stored.edition_id)


def _calc_input(query: Any) -> dict[str, Any]:
    """The calculator form → the contract's JSON (the same the API takes)."""
    enterprise: dict[str, Any] = {
        "industry": query.get("industry") or None,
        "is_sme": query.get("is_sme") == "on",
        "qualifications": query.getlist("qualifications"),
    }
    if query.get("uscc", "").strip():
        enterprise["uscc"] = query["uscc"].strip()
    project: dict[str, Any] = {
        "kinds": query.getlist("kinds"),
        "in_pilot_plan": query.get("in_pilot_plan") == "on",
        "accepted": query.get("accepted") == "on",
    }
    for name in ("declared_investment", "verified_investment"):
        raw = query.get(name, "").replace(",", "").strip()
        if raw:
            project[name] = raw
    return {"as_of": query.get("as_of", "").strip(), "enterprise": enterprise, "project": project}


def _funding_values(funding: dict[str, str] | None) -> list[tuple[str, Decimal]] | None:
    """The contract's funding split as (中央/市级/县级, amount) for the page."""
    if funding is None:
        return None
    return [(FUNDING_LEVEL_LABELS[level], Decimal(funding[level])) for level in FUNDING_LEVELS]


@require_GET
@access_view(Perm.POLICY_CALC)
def policy_calc_view(request: HttpRequest) -> HttpResponse:
    result: dict[str, Any] | None = None
    error: ApplicationError | None = None
    query = request.GET
    if "as_of" in query:
        try:
            result = policy_calc(data=_calc_input(query))
        except ApplicationError as exc:
            error = exc
        else:
            for r in result["results"]:
                r["ceiling_value"] = None if r["ceiling"] is None else Decimal(r["ceiling"])
                r["funding_values"] = _funding_values(r["funding"])
                for s in r["steps"]:
                    s["number"] = None if s["value"] is None else Decimal(s["value"])
            result["total_value"] = Decimal(result["total_ceiling"])
            if result["best"] is not None:
                result["best"]["funding_values"] = _funding_values(result["best"]["funding"])
    return render(
        request,
        "web/policy_calc.html",
        {
            "q": query,
            "kinds": [(k, KIND_LABELS.get(k, k)) for k in PROJECT_KINDS],
            "industries": industry_list(),
            "qualification_types": qualification_type_list(),
            "result": result,
            "error": error,
        },
    )
