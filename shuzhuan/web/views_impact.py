"""影响测算 on an edition's page: what the edition's parameter changes — and, before saving, one
more change the officer is trying out — do to the budget over the current projects and
enterprises, compared with the edition it is based on (policies matched by their id without the
edition prefix).

Loaded by htmx into the draft's page (a plain GET: nothing is written); without JavaScript the
same URL answers with a whole page. Who may: whoever may edit editions (drafts are theirs only);
which population: the officer's region subtree (``access_scope_region``), as everywhere else.
The figures come from ``shuzhuan.rules.impact`` — the view only gathers its inputs.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from shuzhuan.accounts.access import Perm, access_edition, access_scope_region, access_view
from shuzhuan.applications.selectors import POPULATION_ENTERPRISES_SCHEMA, project_population
from shuzhuan.core.errors import ApplicationError
from shuzhuan.policies.selectors import (
    edition_built,
    edition_parameters,
    edition_reformed,
    edition_rulebook,
)
from shuzhuan.rules.batch import PROJECTS_SCHEMA
from shuzhuan.rules.fields import FUNDING_LEVEL_LABELS
from shuzhuan.rules.impact import impact
from shuzhuan.rules.parameters import ParameterError, parameter_assignment

TOP = 10


def _population(user: Any) -> tuple[Any, Any]:
    region = access_scope_region(user)
    if region is None:  # an officer without a region sees no registry records, so no population
        return POPULATION_ENTERPRISES_SCHEMA.empty_table(), PROJECTS_SCHEMA.empty_table()
    return project_population(rulebook=edition_rulebook(), region=region)


@require_GET
@access_view(Perm.POLICY_PUBLISH)
def edition_impact(request: HttpRequest, edition_id: str) -> HttpResponse:
    stored = access_edition(request.user, edition_id)
    base = stored.based_on or stored
    parameter = request.GET.get("parameter", "").strip()
    if not parameter and request.GET.get("policy") and request.GET.get("step"):  # the two spelled apart
        parameter = f"{request.GET['policy'].strip()}.{request.GET['step'].strip()}"
    value = request.GET.get("value", "").strip()
    context: dict[str, Any] = {
        "stored": stored,
        "base": base,
        "region": access_scope_region(request.user),
        "parameters": edition_parameters(stored),
        "q": {"parameter": parameter, "value": value},
        "report": None,
        "preview": [],
        "error": None,
    }
    try:
        assignments = []
        if parameter or value:
            if not parameter:
                raise ApplicationError("请选择要试算的参数", field="parameter")
            try:
                assignments.append(parameter_assignment(f"{parameter}={value}"))
            except ParameterError as exc:
                raise ApplicationError(exc.message, field=exc.field) from None
        reform, context["preview"] = edition_reformed(stored, assignments)
        enterprises, projects = _population(request.user)
        report = impact(edition_built(base), reform, enterprises=enterprises, projects=projects, top=TOP)
        context.update(
            report=report,
            levels=[(FUNDING_LEVEL_LABELS.get(lv.level, lv.level), lv) for lv in report.by_level],
            impact_groups=[
                ("镇（街道）", report.by_town, "impact-towns"),
                ("行业", report.by_industry, "impact-industries"),
            ],
        )
    except ApplicationError as exc:
        context["error"] = exc
    if request.headers.get("HX-Request"):
        return render(request, "web/_policy_impact.html", context)
    return render(request, "web/policy_impact.html", context)
