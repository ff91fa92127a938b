"""The disbursement list (资金兑现清单) of one funding level, as the workbook an officer hands to
finance: one line per award share of that level that is due or paid — the applications in
disbursement (兑现中) and those closed — with the enterprise, the project, the approved award,
this level's share, and whether it was paid (the payment's reference and date, from the ledger).

A share counts as paid while its payment has not been reversed (冲正); a reversed payment puts the
line back to 待支付. Amounts are ``Decimal`` yuan from the database to the cell; the workbook stores
them as numbers with the ``#,##0.00`` format, so finance can sum them.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

from shuzhuan.applications.models import PolicyBatch, Status
from shuzhuan.core.errors import ApplicationError
from shuzhuan.enterprises.models import Region
from shuzhuan.funds.models import AwardShare, LedgerEntry, Level
from shuzhuan.funds.shares import LEVEL_LABELS

HEADERS = (
    "序号",
    "企业名称",
    "统一社会信用代码",
    "所属镇（街道）",
    "项目名称",
    "申报编号",
    "核定补助金额（元）",
    "本级分担金额（元）",
    "支付状态",
    "支付凭证号",
    "支付日期",
)
WIDTHS = (6, 34, 22, 14, 34, 16, 18, 18, 10, 20, 12)
MONEY = "#,##0.00"
PAID, DUE = "已支付", "待支付"
# Past public notice: the shares finance pays, or has paid.
LISTED_STATUSES = (Status.DISBURSING, Status.CLOSED)
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class DisbursementRow:
    enterprise: str
    uscc: str
    town: str
    project: str
    number: str
    award_amount: Decimal
    share_amount: Decimal
    paid: bool
    reference: str
    paid_on: dt.date | None

    @property
    def status_label(self) -> str:
        return PAID if self.paid else DUE


@dataclass(frozen=True)
class DisbursementList:
    level: str
    title: str
    rows: tuple[DisbursementRow, ...]

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS[self.level]

    @property
    def award_total(self) -> Decimal:
        return sum((r.award_amount for r in self.rows), ZERO)

    @property
    def share_total(self) -> Decimal:
        return sum((r.share_amount for r in self.rows), ZERO)

    @property
    def paid_total(self) -> Decimal:
        return sum((r.share_amount for r in self.rows if r.paid), ZERO)

    @property
    def due_total(self) -> Decimal:
        return self.share_total - self.paid_total


def disbursement_level(value: str) -> str:
    """A funding level code (central | city | county), or a refusal naming ``level``."""
    level = (value or "").strip().lower()
    if level not in Level.values:
        raise ApplicationError(f"未知的资金层级：{value}（可选 central、city、county）", field="level")
    return level


def disbursement_title(*, level: str, batch: PolicyBatch | None = None, year: int | None = None) -> str:
    scope = batch.name if batch is not None else f"{year}年度" if year is not None else "全部年度"
    return f"{scope} {LEVEL_LABELS[level]}级资金兑现清单"


def disbursement_list(
    *,
    level: str,
    batch: PolicyBatch | None = None,
    year: int | None = None,
    region: Region | None = None,
) -> DisbursementList:
    """The shares of ``level`` due or paid, optionally of one batch and/or one budget year and of
    enterprises within ``region``'s subtree, ordered by town, enterprise and application."""
    level = disbursement_level(level)
    shares = (
        AwardShare.objects.filter(
            level=level, amount__gt=0, award__application__status__in=list(LISTED_STATUSES)
        )
        .select_related("award__application__enterprise__town")
        .prefetch_related(
            Prefetch(
                "entries",
                queryset=LedgerEntry.objects.filter(
                    kind=LedgerEntry.Kind.PAYMENT, reversed_by__isnull=True
                ).order_by("at", "pk"),
                to_attr="payments",
            )
        )
        .order_by(
            "award__application__enterprise__town__sort_order",
            "award__application__enterprise__name",
            "award__application__number",
        )
    )
    if batch is not None:
        shares = shares.filter(award__application__batch=batch)
    if year is not None:
        shares = shares.filter(budget__year=year)
    if region is not None:
        shares = shares.filter(award__application__enterprise__town__path__startswith=region.path)
    rows = []
    for share in shares:
        app = share.award.application
        payment = share.payments[0] if share.payments else None
        rows.append(
            DisbursementRow(
                enterprise=app.enterprise.name,
                uscc=app.enterprise.uscc,
                town=app.enterprise.town.name,
                project=app.project_name,
                number=app.number,
                award_amount=share.award.amount,
                share_amount=share.amount,
                paid=payment is not None,
                reference=payment.reference if payment is not None else "",
                paid_on=timezone.localdate(payment.at) if payment is not None else None,
            )
        )
    return DisbursementList(
        level=level, title=disbursement_title(level=level, batch=batch, year=year), rows=tuple(rows)
    )


def disbursement_xlsx(
    *,
    level: str,
    batch: PolicyBatch | None = None,
    year: int | None = None,
    region: Region | None = None,
) -> bytes:
    """``disbursement_list`` as a workbook (``disbursement_workbook``)."""
    return disbursement_workbook(disbursement_list(level=level, batch=batch, year=year, region=region))


def disbursement_workbook(found: DisbursementList) -> bytes:
    """The list as a workbook: the title, a line giving the level and the date it was drawn up,
    the header, one row per share, the total and the paid / due subtotals."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = f"{found.level_label}级兑现清单"
    n = len(HEADERS)
    ws.append([found.title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=n)
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append(
        [
            f"资金层级：{found.level_label}（{found.level}）    制表日期：{timezone.localdate():%Y-%m-%d}    单位：元"
        ]
    )
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=n)
    ws.append(list(HEADERS))
    for cell in ws[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for i, r in enumerate(found.rows, start=1):
        ws.append(
            [
                i,
                r.enterprise,
                r.uscc,
                r.town,
                r.project,
                r.number,
                r.award_amount,
                r.share_amount,
                r.status_label,
                r.reference,
                r.paid_on,
            ]
        )
    ws.append(["合计", f"{len(found.rows)} 个项目", "", "", "", "", found.award_total, found.share_total])
    total_row = ws.max_row
    ws.append(["", f"其中{PAID}", "", "", "", "", None, found.paid_total])
    ws.append(["", f"其中{DUE}", "", "", "", "", None, found.due_total])
    for row in ws.iter_rows(min_row=4, min_col=7, max_col=8):
        for cell in row:
            cell.number_format = MONEY
    for row in ws.iter_rows(min_row=4, max_row=total_row - 1, min_col=11, max_col=11):
        for cell in row:
            cell.number_format = "yyyy-mm-dd"
    thin = Side(style="thin")
    for row in ws.iter_rows(min_row=3, max_row=total_row, max_col=n):
        for cell in row:
            cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for cell in ws[total_row]:
        cell.font = Font(bold=True)
    for i, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A4"
    ws.print_title_rows = "3:3"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
