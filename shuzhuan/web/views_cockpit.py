"""统计驾驶舱: KPI cards and ECharts charts over the programme's live figures, and for every figure
the list of records it was computed from (on the page and as .xlsx).

Thin like every view: ``access_*`` decides the role and the region — a town officer's cockpit is
their town's (``Scope``), and an officer without a region sees nothing; ``shuzhuan.cockpit``
computes everything. A figure key that does not exist, or one not available in the officer's
scope (allocations are county-wide), is a 404.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from shuzhuan.accounts.access import Perm, access_has, access_scope_region, access_view
from shuzhuan.cockpit.exports import records_xlsx
from shuzhuan.cockpit.figures import FigureError, Filters, Period, Scope, figure_records, records_url
from shuzhuan.cockpit.peers import peer_ranks
from shuzhuan.cockpit.selectors import cockpit_charts, cockpit_kpis
from shuzhuan.web.downloads import XLSX, download_response
from shuzhuan.web.forms_cockpit import PeriodForm

RECORDS_LIMIT = 500


def _scope(request: HttpRequest) -> Scope:
    region = access_scope_region(request.user)
    if region is None:
        raise PermissionDenied("您的账户未设置管辖区域。")
    return Scope(region)


def _period(request: HttpRequest) -> tuple[PeriodForm, Period, Filters]:
    form = PeriodForm(request.GET)
    this_year = timezone.localdate().year
    if form.is_valid():
        data = form.cleaned_data
        period = Period(data["start"], data["end"])
        filters = Filters(town=data["town"] or "", industry=data["industry"] or "", batch=data["batch"] or "")
    else:
        period, filters = Period.year(this_year), Filters()
    return form, period, filters


@require_GET
@access_view(Perm.COCKPIT_VIEW)
def cockpit(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    form, period, _ = _period(request)
    ranks = [
        (r, records_url(r.indicator, Period.year(r.year)))
        for r in (peer_ranks(period.end, scope.region) if scope.county_wide else [])
    ]
    context: dict[str, Any] = {
        "form": form,
        "period": period,
        "previous": period.previous(),
        "scope": scope,
        "kpis": cockpit_kpis(scope, period),
        "charts": cockpit_charts(scope, period),
        "ranks": ranks,
        "can_report": access_has(request.user, Perm.REPORT_BUILD),
        "can_peers": scope.county_wide,
        "years": list(range(timezone.localdate().year, 2019, -1)),
    }
    return render(request, "web/cockpit.html", context, status=200 if form.is_valid() else 400)


class _NoFigure(Exception):
    """A key that names no figure, or one not available in the user's scope (said on a 404 page)."""


def _table(request: HttpRequest, key: str) -> tuple[PeriodForm, Any]:
    scope = _scope(request)
    form, period, filters = _period(request)
    try:
        table = figure_records(key, scope=scope, period=period, filters=filters)
    except FigureError as exc:
        raise _NoFigure(str(exc)) from exc
    return form, table


def _missing(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "web/cockpit_missing.html", {"message": message}, status=404)


@require_GET
@access_view(Perm.COCKPIT_VIEW)
def cockpit_records(request: HttpRequest, key: str) -> HttpResponse:
    try:
        form, table = _table(request, key)
    except _NoFigure as exc:
        return _missing(request, str(exc))
    context = {
        "form": form,
        "table": table,
        "figure": table.figure,
        "rows": table.rows[:RECORDS_LIMIT],
        "truncated": len(table.rows) > RECORDS_LIMIT,
        "limit": RECORDS_LIMIT,
        "export_query": request.GET.urlencode(),
    }
    return render(request, "web/cockpit_records.html", context, status=200 if form.is_valid() else 400)


@require_GET
@access_view(Perm.COCKPIT_VIEW)
def cockpit_records_export(request: HttpRequest, key: str) -> HttpResponse:
    try:
        form, table = _table(request, key)
    except _NoFigure as exc:
        return _missing(request, str(exc))
    if not form.is_valid():
        raise Http404("统计期间不正确。")
    figure = table.figure
    return download_response(
        records_xlsx(table),
        filename=f"{figure.label}（{figure.period.label}，{figure.scope.label}）.xlsx",
        fallback=f"records-{figure.key}-{figure.period.start}-{figure.period.end}.xlsx",
        content_type=XLSX,
    )
