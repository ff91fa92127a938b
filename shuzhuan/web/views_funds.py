"""资金: budgets per funding level, programme and year with what was allocated, committed
(approved, not yet paid), paid and what remains — every figure derived from the append-only
ledger — the allocation form (下达) and the disbursement run.

Thin like every view: ``access_*`` decides who, ``shuzhuan.funds.services`` decide what is valid
and move the money; refusals come back as the service's message on the field it names.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from shuzhuan.accounts.access import Perm, access_has, access_require, access_scope_region, access_view
from shuzhuan.applications.selectors import batch_list
from shuzhuan.core.errors import ApplicationError
from shuzhuan.funds.exports import disbursement_title, disbursement_xlsx
from shuzhuan.funds.models import Level
from shuzhuan.funds.selectors import BudgetBalance, budget_balances, ledger_entries
from shuzhuan.funds.services import allocation_record, disbursement_run, known_programmes
from shuzhuan.funds.shares import LEVEL_LABELS, LEVEL_ORDER, PROGRAMME_LABELS
from shuzhuan.web.downloads import XLSX, download_response
from shuzhuan.web.forms_applications import AllocationForm, DisbursementRunForm

LEDGER_LIMIT = 50
FIGURES = ("allocated", "committed", "paid", "outstanding", "remaining")


def _programmes() -> list[tuple[str, str]]:
    return [(p, f"{PROGRAMME_LABELS.get(p, p)}（{p}）") for p in sorted(known_programmes())]


def _batches(request: HttpRequest) -> list[tuple[str, str]]:
    return [(b.code, b.name) for b in batch_list(region=access_scope_region(request.user))]


def _year(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None


def _overview(
    request: HttpRequest,
    *,
    allocation: AllocationForm | None = None,
    run: DisbursementRunForm | None = None,
    report: Any = None,
) -> HttpResponse:
    year = _year(request.GET.get("year"))
    balances = budget_balances(year=year)
    groups: dict[tuple[int, str], list[BudgetBalance]] = {}
    for b in balances:
        groups.setdefault((b.year, b.programme), []).append(b)
    tables = [
        {
            "year": y,
            "programme": p,
            "label": PROGRAMME_LABELS.get(p, p),
            "rows": rows,
            "total": {f: sum((getattr(r, f) for r in rows), Decimal("0.00")) for f in FIGURES},
        }
        for (y, p), rows in groups.items()
    ]
    can_allocate = access_has(request.user, Perm.FUNDS_ALLOCATE)
    can_disburse = access_has(request.user, Perm.DISBURSE)
    if can_allocate and allocation is None:
        allocation = AllocationForm(
            prefix="allocation", programmes=_programmes(), initial={"year": timezone.localdate().year}
        )
    if can_disburse and run is None:
        run = DisbursementRunForm(prefix="run", batches=_batches(request))
    return render(
        request,
        "web/funds.html",
        {
            "tables": tables,
            "year": year,
            "years": sorted({b.year for b in budget_balances()}, reverse=True),
            "entries": list(ledger_entries(year=year).reverse()[:LEDGER_LIMIT]),
            "ledger_limit": LEDGER_LIMIT,
            "allocation": allocation if can_allocate else None,
            "run": run if can_disburse else None,
            "report": report,
            "export_levels": [(level, LEVEL_LABELS[level]) for level in LEVEL_ORDER],
        },
    )


@require_GET
@access_view(Perm.FUNDS_VIEW)
def funds_overview(request: HttpRequest) -> HttpResponse:
    return _overview(request)


@require_POST
@access_view(Perm.FUNDS_ALLOCATE)
def allocation_create_view(request: HttpRequest) -> HttpResponse:
    user = access_require(request.user, Perm.FUNDS_ALLOCATE)
    form = AllocationForm(request.POST, prefix="allocation", programmes=_programmes())
    if form.is_valid():
        data = form.cleaned_data
        try:
            entry = allocation_record(
                acting_user=user,
                level=data["level"],
                programme=data["programme"],
                year=data["year"],
                amount=data["amount"].replace("，", ","),
                reference=data.get("reference", ""),
                memo=data.get("memo", ""),
            )
        except ApplicationError as exc:
            form.apply_error(exc)
        else:
            messages.success(
                request, f"已登记下达：{entry.budget.name} {entry.amount:,.2f} 元（{entry.reference}）。"
            )
            return redirect("web:funds")
    return _overview(request, allocation=form)


@require_POST
@access_view(Perm.DISBURSE)
def disbursement_run_view(request: HttpRequest) -> HttpResponse:
    """Pay every unpaid share of the applications in disbursement (of one level or batch);
    the page shows what was paid, skipped and refused."""
    user = access_require(request.user, Perm.DISBURSE)
    batches = batch_list(region=access_scope_region(user))
    form = DisbursementRunForm(request.POST, prefix="run", batches=[(b.code, b.name) for b in batches])
    if not form.is_valid():
        return _overview(request, run=form)
    batch = batches.filter(code=form.cleaned_data["batch"]).first() if form.cleaned_data["batch"] else None
    try:
        report = disbursement_run(acting_user=user, level=form.cleaned_data["level"] or None, batch=batch)
    except ApplicationError as exc:
        form.apply_error(exc)
        return _overview(request, run=form)
    if report.failed:
        messages.warning(
            request, f"兑现完成：支付 {len(report.paid)} 笔，{len(report.failed)} 笔未能支付，见下方明细。"
        )
    else:
        messages.success(
            request,
            f"兑现完成：支付 {len(report.paid)} 笔，共 {report.paid_total:,.2f} 元；跳过 {len(report.skipped)} 笔。",
        )
    return _overview(
        request,
        run=DisbursementRunForm(prefix="run", batches=[(b.code, b.name) for b in batches]),
        report=report,
    )


@require_GET
@access_view(Perm.FUNDS_VIEW)
def disbursement_export_view(request: HttpRequest, level: str) -> HttpResponse:
    """兑现清单 of one funding level (.xlsx), optionally ``?year=`` and/or ``?batch=CODE``: the
    shares due or paid to the enterprises within the reader's region."""
    user = access_require(request.user, Perm.FUNDS_VIEW)
    region = access_scope_region(user)
    if region is None:
        raise PermissionDenied("您的账户未设置管辖区域。")
    if level not in Level.values:
        raise Http404("没有该资金层级。")
    raw_year = request.GET.get("year", "").strip()
    if raw_year and not (raw_year.isdigit() and 2000 <= int(raw_year) <= 2100):
        return HttpResponseBadRequest(
            "年度应为 2000 至 2100 之间的四位数字。", content_type="text/plain; charset=utf-8"
        )
    year = int(raw_year) if raw_year else None
    code = request.GET.get("batch", "").strip()
    batch = batch_list(region=region).filter(code=code).first() if code else None
    if code and batch is None:
        raise Http404("没有找到该申报批次。")
    title = disbursement_title(level=level, batch=batch, year=year)
    scope = batch.code if batch is not None else str(year) if year is not None else "all"
    return download_response(
        disbursement_xlsx(level=level, batch=batch, year=year, region=region),
        filename=f"{title}.xlsx",
        fallback=f"disbursements-{level}-{scope}.xlsx",
        content_type=XLSX,
    )
