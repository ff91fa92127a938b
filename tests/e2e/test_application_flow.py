"""One application from draft to closed, in a real browser, through every role that touches it.

The bureau officer opens a batch for the 2025 new-IT policy (funding split 40% central, 35%
Ningbo, 25% Cixi) and records the three levels' allocations; the enterprise drafts, uploads a
PDF, enters an invoice and submits; the town officer passes the pre-review; the bureau passes
the formal review and assigns the expert; the expert declares no conflict and scores; the bureau
includes the project; the enterprise starts it and requests acceptance; the bureau accepts with
a verified investment of 777,777.77, approves the ceiling the engine computes (20%:
155,555.55), starts the public notice, starts disbursement and pays each level's share. The
ledger then holds exactly the expected shares, to the fen, and the application is 已办结.

About the 7-day notice period: the bureau records the notice as having started 8 days ago, in
the start-notice form's "公示开始日期" field (an officer records the date the notice was
published). So the period (7 days, the start day included) ended yesterday, and disbursement
may start today — no clock is faked and no row is written behind the pages' back.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Page, expect

from shuzhuan.applications.models import Application, Status
from shuzhuan.applications.tests.factories import PDF_BYTES
from shuzhuan.audit.services import audit_verify
from shuzhuan.funds.models import LedgerEntry
from shuzhuan.funds.selectors import budget_balances
from tests.e2e.conftest import nav, sign_in_as

if TYPE_CHECKING:
    from pytest_django.live_server_helper import LiveServer

    from conftest import County

SPLIT = {"central": Decimal("0.40"), "city": Decimal("0.35"), "county": Decimal("0.25")}
ALLOCATIONS: dict[str, str] = {"central": "1,000,000.00", "city": "800,000.00", "county": "600,000.00"}
LEVEL_LABELS = {"central": "中央", "city": "宁波", "county": "慈溪"}
VERIFIED = Decimal("777777.77")
FEN = Decimal("0.01")


pytestmark = pytest.mark.usefixtures("shipped_editions")


@pytest.fixture(autouse=True)
def _materials(settings: Any, tmp_path: Path) -> None:
    settings.MATERIALS_DIR = tmp_path / "materials"


def _open_application(page: Page, number: str) -> None:
    page.get_by_role("link", name=number).click()
    expect(page.get_by_test_id("application-number")).to_have_text(number)


def _act(page: Page, action: str, button: str) -> None:
    with page.expect_navigation():
        page.get_by_test_id(f"action-{action}").get_by_role("button", name=button).click()


def _status(page: Page, label: str) -> None:
    expect(page.get_by_test_id("application-status")).to_have_text(label)


def _expected_shares(amount: Decimal) -> dict[str, Decimal]:
    """Each level's share rounded half-up to the fen, Cixi (the county) taking the remainder."""
    central = (amount * SPLIT["central"]).quantize(FEN, rounding=ROUND_HALF_UP)
    city = (amount * SPLIT["city"]).quantize(FEN, rounding=ROUND_HALF_UP)
    return {"central": central, "city": city, "county": amount - central - city}


def test_one_application_from_draft_to_closed(
    page: Page, live_server: LiveServer, county: County, tmp_path: Path
) -> None:
    today = dt.date.today()
    year = today.year

    # --- the bureau opens a batch and records the allocations --------------------------------
    sign_in_as(page, live_server, "bureau")
    nav(page, "申报批次")
    page.get_by_test_id("create-batch").click()
    form = page.get_by_test_id("batch-form")
    form.get_by_label("新一代信息技术数字化改造项目补助（cixi-2025-new-it）").check()
    form.get_by_label("批次编号").fill("e2e-new-it")
    form.get_by_label("批次名称").fill(f"{year}年度新一代信息技术项目（浏览器测试）")
    form.get_by_label("年度").fill(str(year))
    form.get_by_label("申报材料").fill("plan 项目实施方案")
    form.get_by_label("中央分担比例").fill("0.40")
    form.get_by_label("宁波分担比例").fill("0.35")
    form.get_by_label("慈溪分担比例").fill("0.25")
    with page.expect_navigation():
        form.get_by_role("button", name="新建批次").click()
    expect(page.get_by_test_id("batch-status")).to_have_text("未开放")
    expect(page.get_by_test_id("funding-split")).to_contain_text("中央 0.4")
    with page.expect_navigation():
        page.get_by_role("button", name="开放申报").click()
    expect(page.get_by_test_id("batch-status")).to_have_text("申报中")

    nav(page, "资金")
    for level, allocated_text in ALLOCATIONS.items():
        form = page.get_by_test_id("allocation-form")
        form.get_by_label("资金层级").select_option(level)
        form.get_by_label("资金项目").select_option("new-it")
        form.get_by_label("年度").fill(str(year))
        form.get_by_label("下达金额（元）").fill(allocated_text)
        form.get_by_label("下达文号").fill(f"E2E〔{year}〕{level}号")
        with page.expect_navigation():
            form.get_by_role("button", name="登记下达").click()
        expect(page.locator(".alert-success")).to_contain_text(f"{allocated_text} 元")
    rows = page.get_by_test_id("budget-table").filter(has_text="新一代信息技术").get_by_test_id("budget-row")
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text="中央").get_by_test_id("allocated")).to_have_text("1,000,000.00 元")

    # --- the enterprise drafts, uploads, enters an invoice and submits -----------------------
    sign_in_as(page, live_server, "firm")
    nav(page, "我的申报")
    batch = page.get_by_test_id("open-batch").filter(has_text="浏览器测试")
    batch.get_by_role("link", name="申报 新一代信息技术数字化改造项目补助").click()
    form = page.get_by_test_id("application-form")
    form.get_by_label("项目名称").fill("智能仓储与数据中台建设")
    form.get_by_label("项目简介").fill("WMS、AGV 调度与生产数据中台")
    form.get_by_label("新一代信息技术", exact=True).check()
    form.get_by_label("申报投入额（元）").fill("800,000.00")
    with page.expect_navigation():
        form.get_by_role("button", name="保存草稿").click()
    _status(page, "草稿")
    number = page.get_by_test_id("application-number").inner_text()
    precheck = page.get_by_test_id("precheck")
    expect(precheck.get_by_test_id("estimated-ceiling")).to_have_text("160,000.00 元")
    expect(precheck.get_by_test_id("missing")).to_contain_text("缺少申报材料：项目实施方案")

    plan = tmp_path / "项目实施方案.pdf"
    plan.write_bytes(PDF_BYTES)
    form = page.get_by_test_id("material-form")
    form.get_by_label("材料类型").select_option("plan")
    form.get_by_label("文件").set_input_files(str(plan))
    with page.expect_navigation():
        form.get_by_role("button", name="上传").click()
    expect(page.get_by_test_id("material-row")).to_contain_text("项目实施方案.pdf")
    with page.expect_download() as download:
        page.get_by_test_id("material-link").click()
    assert download.value.suggested_filename == "项目实施方案.pdf"
    assert Path(download.value.path()).read_bytes() == PDF_BYTES

    form = page.get_by_test_id("invoice-form")
    form.get_by_label("发票号码").fill("33022500001234")
    form.get_by_label("开票日期").fill((today - dt.timedelta(days=20)).isoformat())
    form.get_by_label("金额（元）").fill("800,000.00")
    form.get_by_label("销售方").fill("宁波某软件有限公司")
    with page.expect_navigation():
        form.get_by_role("button", name="录入发票").click()
    expect(page.get_by_test_id("invoice-row")).to_contain_text("800,000.00 元")
    expect(page.get_by_test_id("nothing-missing")).to_be_visible()

    page.get_by_test_id("action-submit").get_by_label(re.compile("本企业承诺")).check()
    _act(page, "submit", "提交申报")
    _status(page, "待镇街预审")

    # --- the town officer passes the pre-review ----------------------------------------------
    sign_in_as(page, live_server, "town")
    nav(page, "申报预审")
    _open_application(page, number)
    _act(page, "town_pass", "预审通过")
    _status(page, "形式审查中")

    # --- the bureau passes the formal review and assigns the expert --------------------------
    sign_in_as(page, live_server, "bureau")
    nav(page, "申报受理")
    _open_application(page, number)
    _act(page, "formal_pass", "形式审查通过")
    _status(page, "专家评审中")
    form = page.get_by_test_id("action-experts")
    form.get_by_label("expert", exact=True).check()
    with page.expect_navigation():
        form.get_by_role("button", name="指派专家").click()
    expect(page.get_by_test_id("review-row")).to_contain_text("待评审")

    # --- the expert declares no conflict and scores ------------------------------------------
    sign_in_as(page, live_server, "expert")
    nav(page, "我的评审")
    page.get_by_role("link", name=f"评审 {number}").click()
    form = page.get_by_test_id("review-form")
    form.get_by_label("本人与该申报企业及项目无利益冲突").check()
    for label, points in (
        ("项目必要性与改造需求", "18"),
        ("技术方案与实施路径", "26.5"),
        ("投入合理性与资金使用", "17"),
        ("预期成效与示范带动", "16"),
        ("企业基础与保障措施", "8"),
    ):
        form.get_by_label(re.compile(f"^{label}")).fill(points)
    form.get_by_label("评审意见").fill("方案可行，投入合理")
    with page.expect_navigation():
        form.get_by_role("button", name="提交评审").click()
    expect(page.locator(".alert-success")).to_contain_text("总分 85.50")

    # --- the bureau includes the project in the library -------------------------------------
    sign_in_as(page, live_server, "bureau")
    nav(page, "申报受理")
    _open_application(page, number)
    _act(page, "include", "入库")
    _status(page, "已入库")
    expect(page.get_by_test_id("expert-score")).to_have_text("85.50")

    # --- the enterprise starts the project and requests acceptance ---------------------------
    sign_in_as(page, live_server, "firm")
    nav(page, "我的申报")
    _open_application(page, number)
    _act(page, "start", "开始实施")
    _status(page, "实施中")
    _act(page, "request_acceptance", "申请验收")
    _status(page, "待验收")

    # --- the bureau accepts, approves the ceiling, runs the notice and pays ------------------
    sign_in_as(page, live_server, "bureau")
    nav(page, "申报受理")
    _open_application(page, number)
    form = page.get_by_test_id("action-accept")
    form.get_by_label("核定投入额（元）").fill("777,777.77")
    form.get_by_label("验收意见").fill("现场核查：系统已上线运行，发票与合同一致")
    form.get_by_label("验收日期").fill(today.isoformat())
    _act(page, "accept", "验收通过")
    _status(page, "验收通过")
    ceiling = (VERIFIED * Decimal("0.20")).quantize(FEN, rounding=ROUND_HALF_UP)
    assert ceiling == Decimal("155555.55")
    expect(page.get_by_test_id("ceiling")).to_contain_text("155,555.55 元")

    form = page.get_by_test_id("action-approve")
    expect(form.get_by_label("核定补助金额（元）")).to_have_value("155,555.55")  # the ceiling
    _act(page, "approve", "核定金额")
    _status(page, "金额已核定")
    expect(page.get_by_test_id("approved")).to_contain_text("155,555.55 元")

    # The notice is recorded as published 8 days ago: the 7-day period ended yesterday.
    started = today - dt.timedelta(days=8)
    page.get_by_test_id("action-start_notice").get_by_label("公示开始日期").fill(started.isoformat())
    _act(page, "start_notice", "开始公示")
    _status(page, "公示中")
    ended = started + dt.timedelta(days=6)
    expect(page.get_by_test_id("notice-period")).to_contain_text(
        f"{started.isoformat()} 至 {ended.isoformat()}"
    )
    _act(page, "start_disbursement", "进入兑现")
    _status(page, "兑现中")

    expected = _expected_shares(ceiling)
    assert expected == {
        "central": Decimal("62222.22"),
        "city": Decimal("54444.44"),
        "county": Decimal("38888.89"),
    }
    for level, amount in expected.items():
        row = page.get_by_test_id("share-row").and_(page.locator(f'[data-level="{level}"]'))
        expect(row.get_by_test_id("share-amount")).to_have_text(f"{amount:,.2f} 元")
        row.get_by_label(f"{LEVEL_LABELS[level]}支付凭证号").fill(f"GK{year}-{level}-0001")
        with page.expect_navigation():
            row.get_by_role("button", name=f"兑现{LEVEL_LABELS[level]}资金").click()
        expect(page.locator(".alert-success")).to_contain_text(f"{amount:,.2f} 元")
    _status(page, "已办结")
    expect(page.get_by_test_id("share-paid")).to_have_count(3)

    # --- the ledger equals the expected shares to the fen ------------------------------------
    app = Application.objects.get(number=number)
    assert app.status == Status.CLOSED and app.approved_amount == ceiling
    payments = LedgerEntry.objects.filter(share__award__application=app, kind=LedgerEntry.Kind.PAYMENT)
    assert {e.budget.level: e.amount for e in payments} == expected
    commitments = LedgerEntry.objects.filter(share__award__application=app, kind=LedgerEntry.Kind.COMMITMENT)
    assert {e.budget.level: e.amount for e in commitments} == expected
    assert sum(expected.values()) == ceiling
    balances = {b.level: b for b in budget_balances(year=year, programme="new-it")}
    for level, amount in expected.items():
        allocated = Decimal(ALLOCATIONS[level].replace(",", ""))
        assert balances[level].paid == amount
        assert balances[level].outstanding == Decimal("0.00")
        assert balances[level].remaining == allocated - amount
    assert audit_verify().ok

    # The enterprise followed it all in its inbox.
    sign_in_as(page, live_server, "firm")
    unread = app.notices.filter(read_at__isnull=True).count()
    assert unread == app.status_changes.count() == 11  # one notice per move, submit → close
    expect(page.get_by_test_id("unread-count")).to_have_text(str(unread))
    nav(page, "通知")
    latest = page.get_by_test_id("notice").first
    expect(latest).to_contain_text(f"申报 {number} 已办结")
    with page.expect_navigation():
        latest.get_by_role("button", name=f"查看申报 {number}").click()
    _status(page, "已办结")
    expect(page.get_by_test_id("unread-count")).to_have_text(str(unread - 1))
