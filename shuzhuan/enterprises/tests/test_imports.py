"""Import of the bureau's own spreadsheets, as officers actually fill them in, and export back."""

from __future__ import annotations

import csv
import json
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.styles import Alignment, Font

from shuzhuan.audit.models import AuditEntry
from shuzhuan.cli import main
from shuzhuan.core.errors import ApplicationError
from shuzhuan.enterprises.imports import ImportReport, enterprise_export_xlsx, enterprise_import
from shuzhuan.enterprises.imports.columns import COLUMNS
from shuzhuan.enterprises.imports.readers import RowSource
from shuzhuan.enterprises.models import Enterprise, Qualification
from shuzhuan.enterprises.tests.factories import EnterpriseFactory, add_qualification, industry, town
from shuzhuan.enterprises.uscc import uscc_make

pytestmark = pytest.mark.django_db


def code(n: int) -> str:
    return uscc_make(f"91330282MA2{n:06d}")


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def spaced(uscc: str) -> str:
    """Lower case, a space in the middle and an ideographic space at the end, as pasted from a PDF."""
    return f" {uscc[:9].lower()} {uscc[9:].lower()}\u3000"


G1, G2, G3, G4, G5 = (code(n) for n in (101, 102, 103, 104, 105))
WRONG_CHECK = code(106)[:17] + ("0" if code(106)[17] != "0" else "1")

HEADER = [
    "序号",
    "社会信用代码 ",
    "企业名称*",
    "所属镇（街道）",
    "行业",
    "是否中小企业",
    "是否规上",
    "从业人数",
    "营业收入（万元）",
    "有无研发活动",
    "经营状态",
    "资质",
    "备注",
]
KEYS = [
    "no",
    "uscc",
    "name",
    "town",
    "industry",
    "is_sme",
    "above_scale",
    "employees",
    "revenue",
    "rd",
    "status",
    "quals",
    "note",
]
HEADER_ROW = 3

# Excel row number → cells. Rows 6 and 18 are absent (never written), row 8 holds only spaces.
MESSY_ROWS: dict[int, dict[str, Any]] = {
    4: {
        "no": 1,
        "uscc": spaced(G1),
        "name": "\u3000慈溪市甲汽配有限公司 ",
        "town": "慈溪市观海卫镇",
        "industry": "汽车零部件",
        "is_sme": "是",
        "above_scale": "否",
        "employees": "1,234",
        "revenue": 526.61,
        "rd": "有",
        "status": "存续",
        "quals": "国家科技型中小企业(2024)；省级数字化车间2023",
        "note": "重点企业",
    },
    5: {
        "no": 2,
        "uscc": full_width(G2),
        "name": "慈溪市乙电器有限公司",
        "town": "观海卫",
        "industry": " 家用电器 ",
        "is_sme": "是",
        "above_scale": "是",
        "employees": full_width("120"),
        "revenue": "１，２３４．５０",
        "rd": "否",
        "status": "在业",
        "quals": "",
    },
    7: {"no": 3, "uscc": WRONG_CHECK, "name": "慈溪市丙轴承有限公司", "town": "观海卫镇", "industry": "轴承"},
    8: {"no": "  ", "uscc": "\u3000", "name": " ", "town": "", "note": "\u3000\u3000"},
    9: {"no": 4, "uscc": code(107), "name": " \u3000 ", "town": "观海卫镇", "industry": "模具"},
    10: {"no": 5, "uscc": code(108), "name": "慈溪市丁模具有限公司", "town": "火星镇", "industry": "模具"},
    11: {
        "no": 6,
        "uscc": G1,
        "name": "慈溪市甲汽配有限公司（重复）",
        "town": "周巷镇",
        "industry": "汽配",
        "employees": 9,
    },
    12: {"no": 7, "uscc": code(109), "name": "慈溪市戊五金有限公司", "town": "周巷", "employees": "约50人"},
    13: {"no": 8, "uscc": code(110), "name": "慈溪市己化工有限公司", "town": "周巷", "revenue": "1,2x3"},
    14: {
        "no": 9,
        "uscc": G3,
        "name": "慈溪市庚轴承有限公司",
        "town": "周巷镇",
        "industry": "轴承",
        "is_sme": "是",
        "above_scale": "是",
        "employees": 300,
        "revenue": 8000,
        "rd": "是",
        "status": "存续",
        "quals": "2023年省级智能工厂、宁波市级数字化车间(2022)",
    },
    15: {
        "no": 10,
        "uscc": G4,
        "name": "慈溪市ＡＢＣ科技有限公司",
        "town": "宗汉街道\u3000",
        "industry": "汽配",
        "above_scale": "否",
    },
    16: {"no": 11, "uscc": "9133028", "name": "", "town": "观海卫镇"},
    17: {
        "no": 12,
        "uscc": code(111)[:10] + "O" + code(111)[11:],
        "name": "慈溪市辛塑业有限公司",
        "town": "观海卫镇",
    },
    19: {
        "no": 13,
        "uscc": G5,
        "name": "慈溪市壬电子有限公司",
        "town": "慈溪市浒山街道",
        "industry": "家电",
        "is_sme": "否",
        "above_scale": "是",
        "employees": "2,345人",
        "revenue": " 2,345.678 ",
        "rd": "√",
        "status": "存续",
    },
    20: {"no": 14, "uscc": code(112), "name": "慈溪市癸纺织有限公司", "town": "周巷镇", "is_sme": "也许"},
}
GOOD = {4: G1, 5: G2, 14: G3, 15: G4, 19: G5}
BAD_REASONS = {
    7: ["校验位错误", f"第18位应为 {code(106)[17]}"],
    9: ["企业名称为空"],
    10: ["未知的镇（街道）", "火星镇"],
    11: ["重复", "第4行", G1],
    12: ["从业人数", "约50人"],
    13: ["营业收入", "1,2x3"],
    16: ["应为18位", "企业名称为空"],
    17: ["不允许的字符"],
    20: ["是否中小企业", "也许"],
}


def write_messy(path: Path, changes: dict[tuple[int, str], Any] | None = None) -> Path:
    rows = {n: dict(cells) for n, cells in MESSY_ROWS.items()}
    for (row, key), value in (changes or {}).items():
        rows[row][key] = value
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "2024年企业名单"
    ws["A1"] = "慈溪市2024年度中小企业数字化改造企业名单（第一批）"
    ws["A1"].font = Font(bold=True, size=16)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    ws["A2"] = "填报单位：观海卫镇人民政府　　　　单位：人、万元"
    ws.merge_cells("A2:F2")
    for col, text in enumerate(HEADER, start=1):
        ws.cell(row=HEADER_ROW, column=col, value=text).font = Font(bold=True)
    for number, cells in rows.items():
        for key, value in cells.items():
            ws.cell(row=number, column=KEYS.index(key) + 1, value=value)
    wb.save(path)
    return path


def make_enterprise(**kwargs: Any) -> Enterprise:
    enterprise = EnterpriseFactory(**kwargs)
    assert isinstance(enterprise, Enterprise)
    return enterprise


def run(path: Path, **kwargs: Any) -> ImportReport:
    return enterprise_import(acting_user=None, path=path, filename=path.name, **kwargs)


def counts() -> tuple[int, int, int]:
    return Enterprise.objects.count(), Qualification.objects.count(), AuditEntry.objects.count()


def quals_of(uscc: str) -> set[tuple[str, int]]:
    return set(Qualification.objects.filter(enterprise__uscc=uscc).values_list("type__code", "year"))


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    return write_messy(tmp_path / "企业名单.xlsx")


# --------------------------------------------------------------------------- the messy workbook


def test_messy_workbook_reports_every_bad_row_by_excel_row(messy: Path) -> None:
    report = run(messy)

    assert report.header_row == HEADER_ROW
    assert {r.row for r in report.rejected} == set(BAD_REASONS)
    assert [r.row for r in report.rejected] == sorted(BAD_REASONS)  # in file order
    for rejection in report.rejected:
        for fragment in BAD_REASONS[rejection.row]:
            assert fragment in rejection.reason, (rejection.row, rejection.reason)
    assert report.imported == len(GOOD)
    assert report.updated == 0
    assert report.unchanged == 0
    assert report.rows == len(GOOD) + len(BAD_REASONS)  # blank rows are not rows
    assert set(report.ignored_columns) == {"序号", "备注"}
    assert set(Enterprise.objects.values_list("uscc", flat=True)) == set(GOOD.values())


def test_messy_workbook_stores_typed_clean_values(messy: Path) -> None:
    run(messy)
    e = {x.uscc: x for x in Enterprise.objects.select_related("town", "industry")}

    g1 = e[G1]
    assert g1.name == "慈溪市甲汽配有限公司"  # stripped, and the duplicate in row 11 did not win
    assert g1.town.code == "cixi-guanhaiwei"  # "慈溪市观海卫镇"
    assert g1.industry is not None and g1.industry.code == "auto_parts"  # "汽车零部件"
    assert (g1.is_sme, g1.above_scale, g1.has_rd_activity) == (True, False, True)
    assert g1.employees == 1234  # "1,234"
    assert g1.revenue == Decimal("5266100.00")  # 526.61 万元
    assert g1.status == Enterprise.Status.ACTIVE
    assert quals_of(G1) == {("national_tech_sme", 2024), ("provincial_digital_workshop", 2023)}

    g2 = e[G2]
    assert g2.town.code == "cixi-guanhaiwei"  # "观海卫"
    assert g2.industry is not None and g2.industry.code == "home_appliances"  # " 家用电器 "
    assert g2.employees == 120  # full-width digits
    assert g2.revenue == Decimal("12345000.00")  # "１，２３４．５０" 万元
    assert (g2.above_scale, g2.has_rd_activity) == (True, False)
    assert quals_of(G2) == set()

    g3 = e[G3]
    assert g3.town.code == "cixi-zhouxiang"
    assert g3.employees == 300
    assert g3.revenue == Decimal("80000000.00")
    assert g3.has_rd_activity is True
    assert quals_of(G3) == {("provincial_smart_factory", 2023), ("ningbo_digital_workshop", 2022)}

    g4 = e[G4]  # mostly blank: defaults apply
    assert g4.name == "慈溪市ABC科技有限公司"
    assert g4.town.code == "cixi-zonghan"
    assert (g4.employees, g4.revenue) == (None, None)
    assert (g4.is_sme, g4.above_scale, g4.has_rd_activity) == (True, False, False)
    assert g4.status == Enterprise.Status.ACTIVE

    g5 = e[G5]
    assert g5.town.code == "cixi-hushan"
    assert g5.is_sme is False
    assert g5.employees == 2345  # "2,345人"
    assert g5.revenue == Decimal("23456780.00")  # " 2,345.678 " 万元
    assert g5.has_rd_activity is True  # "√"
    for value in (g1.revenue, g2.revenue, g3.revenue, g5.revenue):
        assert isinstance(value, Decimal)
        assert value.as_tuple().exponent == -2


def test_import_writes_one_audit_entry(messy: Path) -> None:
    run(messy)
    entry = AuditEntry.objects.get(action="enterprise.import")
    assert entry.payload["imported"] == len(GOOD)
    assert entry.payload["rejected"] == len(BAD_REASONS)
    assert entry.payload["file"] == "企业名单.xlsx"


def test_dry_run_writes_nothing_and_reports_the_same(messy: Path) -> None:
    before = counts()
    dry = run(messy, dry_run=True)
    assert counts() == before
    assert dry.dry_run is True

    real = run(messy)
    assert counts() != before
    assert {**dry.as_dict(), "dry_run": False} == real.as_dict()


def test_dry_run_of_an_update_reports_it_without_writing(messy: Path, tmp_path: Path) -> None:
    run(messy)
    changed = write_messy(tmp_path / "changed.xlsx", {(5, "revenue"): "1,300"})
    before = counts()
    report = run(changed, dry_run=True)
    assert (report.imported, report.updated, report.unchanged) == (0, 1, len(GOOD) - 1)
    assert counts() == before
    assert Enterprise.objects.get(uscc=G2).revenue == Decimal("12345000.00")


def test_reimport_is_idempotent(messy: Path) -> None:
    run(messy)
    snapshot = list(Enterprise.objects.order_by("uscc").values())
    quals = Qualification.objects.count()

    again = run(messy)

    assert (again.imported, again.updated, again.unchanged) == (0, 0, len(GOOD))
    assert {r.row for r in again.rejected} == set(BAD_REASONS)
    assert list(Enterprise.objects.order_by("uscc").values()) == snapshot
    assert Qualification.objects.count() == quals


def test_changing_one_cell_updates_one_enterprise(messy: Path, tmp_path: Path) -> None:
    run(messy)
    before = Enterprise.objects.get(uscc=G2)
    report = run(
        write_messy(tmp_path / "v2.xlsx", {(5, "revenue"): "1,300", (5, "name"): "慈溪市乙电器有限公司"})
    )
    assert (report.imported, report.updated, report.unchanged) == (0, 1, len(GOOD) - 1)
    after = Enterprise.objects.get(uscc=G2)
    assert after.revenue == Decimal("13000000.00")
    assert after.updated_at > before.updated_at
    assert after.created_at == before.created_at


def test_a_new_qualification_counts_as_an_update_and_old_ones_are_kept(messy: Path, tmp_path: Path) -> None:
    run(messy)
    report = run(write_messy(tmp_path / "v2.xlsx", {(4, "quals"): "省级智能工厂(2025)"}))
    assert report.updated == 1
    assert quals_of(G1) == {
        ("national_tech_sme", 2024),
        ("provincial_digital_workshop", 2023),
        ("provincial_smart_factory", 2025),
    }


def test_a_blank_cell_does_not_erase_a_stored_value(messy: Path, tmp_path: Path) -> None:
    run(messy)
    blanked = write_messy(
        tmp_path / "blank.xlsx",
        {
            (4, "revenue"): None,
            (4, "employees"): "  ",
            (4, "industry"): "",
            (4, "rd"): "\u3000",
            (4, "status"): "—",
            (4, "quals"): None,
        },
    )
    report = run(blanked)
    assert (report.imported, report.updated, report.unchanged) == (0, 0, len(GOOD))
    g1 = Enterprise.objects.get(uscc=G1)
    assert (g1.revenue, g1.employees, g1.has_rd_activity) == (Decimal("5266100.00"), 1234, True)
    assert g1.industry == industry("auto_parts")
    assert len(quals_of(G1)) == 2


def test_duplicate_uscc_keeps_the_first_row(tmp_path: Path) -> None:
    path = write_rows(
        tmp_path / "dup.xlsx",
        ["统一社会信用代码", "企业名称", "镇街", "从业人数"],
        [
            [G1, "第一家", "观海卫镇", 10],
            [G2, "另一家", "周巷镇", 20],
            [G1.lower(), "第二家", "周巷镇", 30],
            [full_width(G1), "第三家", "周巷镇", 40],
        ],
    )
    report = run(path)
    assert report.imported == 2
    assert [(r.row, "与第2行重复" in r.reason) for r in report.rejected] == [(4, True), (5, True)]
    first = Enterprise.objects.get(uscc=G1)
    assert (first.name, first.employees, first.town.code) == ("第一家", 10, "cixi-guanhaiwei")


def test_allowed_towns_rejects_rows_outside_the_scope(messy: Path) -> None:
    report = run(messy, allowed_towns=[town("cixi-guanhaiwei")])
    outside = {14, 15, 19}  # 周巷镇, 宗汉街道, 浒山街道
    assert {r.row for r in report.rejected} == set(BAD_REASONS) | outside
    for r in report.rejected:
        if r.row in outside:
            assert "不在您的管辖范围内" in r.reason
    assert set(Enterprise.objects.values_list("uscc", flat=True)) == {G1, G2}


def test_export_then_reimport_changes_nothing(messy: Path, tmp_path: Path) -> None:
    run(messy)
    EnterpriseFactory(
        uscc=code(200), town=town("cixi-andong"), revenue=Decimal("12345678.91"), employees=None
    )
    add_qualification(Enterprise.objects.get(uscc=code(200)), "provincial_cloud_enterprise", 2024)
    snapshot = list(Enterprise.objects.order_by("uscc").values())
    quals = set(Qualification.objects.values_list("enterprise__uscc", "type__code", "year"))
    target = tmp_path / "export.xlsx"

    assert enterprise_export_xlsx(Enterprise.objects.all(), target) == len(GOOD) + 1

    ws = openpyxl.load_workbook(target, read_only=True).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == [c.header for c in COLUMNS]
    by_uscc = {r[0]: dict(zip([c.key for c in COLUMNS], r, strict=True)) for r in rows[1:]}
    assert by_uscc[G1]["town"] == "观海卫镇"
    assert by_uscc[G1]["industry"] == "汽配"
    assert by_uscc[G1]["revenue"] == pytest.approx(526.61)
    assert by_uscc[G1]["is_sme"] == "是"
    assert by_uscc[G1]["qualifications"] == "省级数字化车间(2023)；国家科技型中小企业(2024)"
    assert by_uscc[code(200)]["employees"] is None

    report = run(target)
    assert report.rejected == []
    assert (report.imported, report.updated, report.unchanged) == (0, 0, len(GOOD) + 1)
    assert list(Enterprise.objects.order_by("uscc").values()) == snapshot
    assert set(Qualification.objects.values_list("enterprise__uscc", "type__code", "year")) == quals


def test_export_into_an_empty_database_recreates_the_registry(messy: Path, tmp_path: Path) -> None:
    run(messy)
    target = tmp_path / "export.xlsx"
    enterprise_export_xlsx(Enterprise.objects.all(), target)
    fields = ["uscc", "name", "town_id", "industry_id", "is_sme", "above_scale", "employees", "revenue"]
    snapshot = list(Enterprise.objects.order_by("uscc").values(*fields, "has_rd_activity", "status"))
    Enterprise.objects.all().delete()

    report = run(target)
    assert report.imported == len(GOOD)
    assert list(Enterprise.objects.order_by("uscc").values(*fields, "has_rd_activity", "status")) == snapshot


# --------------------------------------------------------------------------- header variants


def write_rows(path: Path, header: list[str], rows: list[list[Any]], *, title: str | None = None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    if title is not None:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


@pytest.mark.parametrize(
    "header",
    [
        [
            "统一社会信用代码",
            "企业名称",
            "所属镇(街道)",
            "所属行业",
            "是否中小企业",
            "是否规上",
            "从业人数",
            "营业收入(万元)",
        ],
        [
            "社会信用代码",
            "单位名称",
            "镇街",
            "行业",
            "是否为中小企业",
            "是否规上企业",
            "从业人员",
            "营业收入（万元）",
        ],
        [
            "＊统一社会信用代码：",
            "企业名称 *",
            "所属镇（街道）",
            "行业类别",
            "中小企业",
            "规上企业",
            "年末从业人数",
            "营业收入\n（万元）",
        ],
        [
            "信用代码",
            "企业全称",
            "镇（街道）",
            "所属行业",
            "是否中小企业",
            "是否规模以上",
            "员工人数",
            "主营业务收入（万元）",
        ],
    ],
    ids=["half-width", "short-variants", "noise-and-line-break", "more-variants"],
)
def test_header_variants(tmp_path: Path, header: list[str]) -> None:
    path = write_rows(
        tmp_path / "h.xlsx",
        header,
        [[G1, "慈溪市甲汽配有限公司", "观海卫镇", "汽车零部件", "否", "是", "1,200", "526.61"]],
        title="2024年企业名单",
    )
    report = run(path)
    assert (report.header_row, report.imported, report.rejected) == (2, 1, [])
    e = Enterprise.objects.get(uscc=G1)
    assert e.industry == industry("auto_parts")
    assert (e.is_sme, e.above_scale, e.employees, e.revenue) == (False, True, 1200, Decimal("5266100.00"))


def test_revenue_header_in_yuan_is_not_multiplied(tmp_path: Path) -> None:
    path = write_rows(
        tmp_path / "yuan.xlsx",
        ["统一社会信用代码", "企业名称", "镇街", "营业收入（元）"],
        [[G1, "甲", "观海卫", "5,266,100.5"]],
    )
    run(path)
    assert Enterprise.objects.get(uscc=G1).revenue == Decimal("5266100.50")


# --------------------------------------------------------------------------- other habits of real sheets


def test_template_rows_with_only_a_serial_number_are_blank(tmp_path: Path) -> None:
    path = write_rows(
        tmp_path / "template.xlsx",
        ["序号", "统一社会信用代码", "企业名称", "镇街", "备注"],
        [
            [1, G1, "甲", "观海卫镇", ""],
            [2, None, None, None, None],
            [3, "", " ", None, "待补"],
            [4, G2, "乙", "周巷", ""],
        ],
    )
    report = run(path)
    assert (report.imported, report.rejected, report.rows) == (2, [], 2)


def test_placeholder_name_is_missing(tmp_path: Path) -> None:
    path = write_rows(
        tmp_path / "dash.xlsx", ["统一社会信用代码", "企业名称", "镇街"], [[G1, "—", "观海卫镇"]]
    )
    report = run(path)
    assert [(r.row, r.reason) for r in report.rejected] == [(2, "企业名称为空")]
    assert not Enterprise.objects.exists()


@pytest.mark.parametrize(
    ("written", "town_code"),
    [
        ("慈溪市观海卫镇", "cixi-guanhaiwei"),
        ("慈溪观海卫", "cixi-guanhaiwei"),
        ("浙江省宁波市慈溪市观海卫镇", "cixi-guanhaiwei"),
        ("宁波慈溪 周巷镇", "cixi-zhouxiang"),
        ("白沙路", "cixi-baishalu"),
        ("cixi-andong", "cixi-andong"),
        ("观海卫镇\u3000", "cixi-guanhaiwei"),
    ],
)
def test_town_spellings(tmp_path: Path, written: str, town_code: str) -> None:
    path = write_rows(tmp_path / "t.xlsx", ["统一社会信用代码", "企业名称", "镇街"], [[G1, "甲", written]])
    assert run(path).rejected == []
    assert Enterprise.objects.get(uscc=G1).town.code == town_code


@pytest.mark.parametrize("written", ["宁波市", "慈溪市", "杭州市观海卫镇", "观海", "慈溪市慈溪市"])
def test_not_a_town(tmp_path: Path, written: str) -> None:
    path = write_rows(tmp_path / "t.xlsx", ["统一社会信用代码", "企业名称", "镇街"], [[G1, "甲", written]])
    assert [r.reason for r in run(path).rejected] == [f"未知的镇（街道）：{written}"]


@pytest.mark.parametrize(
    ("written", "status"),
    [
        ("存续（在营、开业、在册）", Enterprise.Status.ACTIVE),
        ("在营（开业）企业", Enterprise.Status.ACTIVE),
        ("吊销，未注销", Enterprise.Status.REVOKED),
        ("注销", Enterprise.Status.DEREGISTERED),
        ("迁出", Enterprise.Status.MOVED_OUT),
    ],
)
def test_status_as_the_credit_system_writes_it(tmp_path: Path, written: str, status: str) -> None:
    path = write_rows(
        tmp_path / "s.xlsx",
        ["统一社会信用代码", "企业名称", "镇街", "经营状态"],
        [[G1, "甲", "观海卫", written]],
    )
    assert run(path).rejected == []
    assert Enterprise.objects.get(uscc=G1).status == status


def test_qualifications_on_separate_lines_of_one_cell(tmp_path: Path) -> None:
    path = write_rows(
        tmp_path / "q.xlsx",
        ["统一社会信用代码", "企业名称", "镇街", "资质"],
        [
            [
                G1,
                "甲",
                "观海卫",
                "国家科技型中小企业（2024年）\n省级数字化车间 2023\r\n宁波市级智能工厂(2024年度)",
            ]
        ],
    )
    assert run(path).rejected == []
    assert quals_of(G1) == {
        ("national_tech_sme", 2024),
        ("provincial_digital_workshop", 2023),
        ("ningbo_smart_factory", 2024),
    }


@pytest.mark.parametrize(
    ("written", "fragment"),
    [
        ("国家科技型中小企业(1985)", "年度1985不在1990"),
        ("国家科技型中小企业(2099)", "年度2099不在1990"),
        ("国家科技型中小企业", "缺少年度"),
        ("国家级专精特新小巨人(2024)", "无法识别"),
    ],
)
def test_bad_qualification_rejects_the_row(tmp_path: Path, written: str, fragment: str) -> None:
    path = write_rows(
        tmp_path / "q.xlsx", ["统一社会信用代码", "企业名称", "镇街", "资质"], [[G1, "甲", "观海卫", written]]
    )
    report = run(path)
    assert [r.row for r in report.rejected] == [2]
    assert fragment in report.rejected[0].reason
    assert not Enterprise.objects.exists()
    assert not Qualification.objects.exists()


def test_headers_with_a_year_or_a_unit(tmp_path: Path) -> None:
    path = write_rows(
        tmp_path / "y.xlsx",
        [
            "统一社会信用代码",
            "企业名称",
            "镇街",
            "从业人数（人）",
            "2024年营业收入（万元）",
            "2024年度是否规上",
        ],
        [[G1, "甲", "观海卫", "1,200", "526.61", "是"]],
    )
    report = run(path)
    assert (report.rejected, report.ignored_columns) == ([], [])
    e = Enterprise.objects.get(uscc=G1)
    assert (e.employees, e.revenue, e.above_scale) == (1200, Decimal("5266100.00"), True)


def test_uscc_stored_as_a_number(tmp_path: Path) -> None:
    digits = uscc_make("91330282000000000")
    assert digits.isdigit()
    # Excel (and openpyxl) keep a number to 15 significant digits: the code is already lost.
    path = write_rows(
        tmp_path / "n.xlsx",
        ["统一社会信用代码", "企业名称", "镇街"],
        [[int(digits), "甲", "观海卫"], [G2, "乙", "观海卫"]],
    )
    report = run(path)
    assert [r.row for r in report.rejected] == [2]
    assert "存成了数字" in report.rejected[0].reason
    assert "文本" in report.rejected[0].reason
    assert list(Enterprise.objects.values_list("uscc", flat=True)) == [G2]


def test_unknown_industry_and_bad_flags_are_reported(tmp_path: Path) -> None:
    path = write_rows(
        tmp_path / "f.xlsx",
        [
            "统一社会信用代码",
            "企业名称",
            "镇街",
            "行业",
            "是否规上",
            "经营状态",
            "从业人数",
            "营业收入（万元）",
        ],
        [
            [G1, "甲", "观海卫", "航天", "是", "存续", 10, 1],
            [G2, "乙", "观海卫", "汽配", "规模以上", "存续", 10, 1],
            [G3, "丙", "观海卫", "汽配", "否", "歇业", 10, 1],
            [G4, "丁", "观海卫", "汽配", "否", "存续", "-5", 1],
            [G5, "戊", "观海卫", "汽配", "否", "存续", 10, "-1"],
            [code(120), "己", "观海卫", "汽配", "否", "存续", "12.5", 1],
        ],
    )
    reasons = {r.row: r.reason for r in run(path).rejected}
    assert set(reasons) == {2, 3, 4, 5, 6, 7}
    assert "未知的行业：航天" in reasons[2]
    assert "是否规上“规模以上”无法识别" in reasons[3]
    assert "经营状态“歇业”无法识别" in reasons[4]
    assert "从业人数“-5”应为非负整数" in reasons[5]
    assert "营业收入“-1”不能为负数" in reasons[6]
    assert "从业人数“12.5”应为非负整数" in reasons[7]


# --------------------------------------------------------------------------- CSV


CSV_HEADER = ["统一社会信用代码", "企业名称", "镇街", "所属行业", "从业人数", "营业收入（万元）", "资质"]
CSV_ROWS = [
    [
        G1,
        "慈溪市甲汽配有限公司",
        "观海卫镇",
        "汽车零部件",
        "1,234",
        "1,234.56",
        "国家科技型中小企业(2024)；省级数字化车间2023",
    ],
    ["", "", "", "", "", "", ""],
    [G2.lower(), "慈溪市乙电器有限公司", "慈溪市周巷镇", "家电", "88", "526.61", ""],
    [WRONG_CHECK, "慈溪市丙轴承有限公司", "观海卫镇", "轴承", "10", "1", ""],
]


def _check_csv_import(report: ImportReport, *, header_row: int) -> None:
    assert report.header_row == header_row
    assert [r.row for r in report.rejected] == [header_row + 4]
    assert "校验位错误" in report.rejected[0].reason
    assert report.imported == 2
    g1 = Enterprise.objects.get(uscc=G1)
    assert (g1.name, g1.employees, g1.revenue) == ("慈溪市甲汽配有限公司", 1234, Decimal("12345600.00"))
    assert g1.industry == industry("auto_parts")
    assert quals_of(G1) == {("national_tech_sme", 2024), ("provincial_digital_workshop", 2023)}
    g2 = Enterprise.objects.get(uscc=G2)
    assert (g2.name, g2.town.code, g2.revenue) == (
        "慈溪市乙电器有限公司",
        "cixi-zhouxiang",
        Decimal("5266100.00"),
    )


def test_csv_in_gbk(tmp_path: Path) -> None:
    path = tmp_path / "企业名单.csv"
    with path.open("w", encoding="gb18030", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["慈溪市企业名单（2024年）", "", "", "", "", "", ""])
        writer.writerow(CSV_HEADER)
        writer.writerows(CSV_ROWS)
    assert "企业".encode("gb18030") in path.read_bytes()  # really GBK, not UTF-8
    _check_csv_import(run(path), header_row=2)


def test_csv_in_utf8_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "企业名单.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_HEADER)
        writer.writerows(CSV_ROWS)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    _check_csv_import(run(path), header_row=1)
    assert run(path).unchanged == 2


def test_tab_separated_text_export_with_an_empty_line(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    lines = ["\t".join(CSV_HEADER), *("\t".join(r) if any(r) else "" for r in CSV_ROWS)]
    assert "" in lines
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    _check_csv_import(run(path), header_row=1)


def test_semicolon_separated_with_a_title_line(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    lines = ["慈溪市企业名单", ";".join(CSV_HEADER), *(";".join(r) for r in CSV_ROWS)]
    path.write_text("\n".join(lines), encoding="utf-8")
    _check_csv_import(run(path), header_row=2)


def test_excel_unicode_text_export(tmp_path: Path) -> None:
    """Excel's "Unicode 文本" is UTF-16 with a BOM, tab-separated."""
    path = tmp_path / "list.txt.csv"
    lines = ["\t".join(CSV_HEADER), *("\t".join(r) for r in CSV_ROWS)]
    path.write_bytes("\r\n".join(lines).encode("utf-16"))
    assert b"\x00" in path.read_bytes()[:8]
    _check_csv_import(run(path), header_row=1)


# --------------------------------------------------------------------------- files that cannot be read


def _assert_refused(path: Path, *fragments: str) -> None:
    EnterpriseFactory(uscc=code(300))
    before = counts()
    with pytest.raises(ApplicationError) as info:
        run(path)
    for fragment in fragments:
        assert fragment in info.value.message
    assert counts() == before
    with pytest.raises(ApplicationError):
        run(path, dry_run=True)
    assert counts() == before


def test_missing_required_column_is_refused(tmp_path: Path) -> None:
    path = write_rows(
        tmp_path / "no-town.xlsx",
        ["统一社会信用代码", "企业名称", "所属行业"],
        [[G1, "甲", "汽配"]],
        title="企业名单",
    )
    _assert_refused(path, "第2行表头缺少必填列", "所属镇（街道）")


def test_sheet_without_a_header_is_refused(tmp_path: Path) -> None:
    path = write_rows(tmp_path / "none.xlsx", ["名称", "地址"], [["甲", "慈溪"]])
    _assert_refused(path, "没有找到表头", "统一社会信用代码")


def test_old_excel_97_workbook_is_read(tmp_path: Path) -> None:
    """Bureaus still keep .xls files: they import like .xlsx, with the same Excel row numbers."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("名单")
    sheet.write_merge(0, 0, 0, 2, "2024年企业名单")
    for col, header in enumerate(["社会信用代码", "企业名称", "镇街", "从业人数"]):
        sheet.write(1, col, header)
    sheet.write(2, 0, G1)
    sheet.write(2, 1, "慈溪市甲有限公司")
    sheet.write(2, 2, "观海卫")
    sheet.write(2, 3, 120)
    bad = code(7)[:-1] + ("1" if code(7)[-1] != "1" else "2")  # wrong check character
    sheet.write(4, 0, bad)
    sheet.write(4, 1, "慈溪市乙有限公司")
    sheet.write(4, 2, "观海卫镇")
    path = tmp_path / "old.xls"
    book.save(str(path))
    report = run(path)
    assert (report.header_row, report.imported) == (2, 1)
    assert [r.row for r in report.rejected] == [5]
    assert Enterprise.objects.get(uscc=G1).employees == 120


def test_damaged_excel_97_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2048))
    _assert_refused(path, ".xls", ".xlsx")


def test_binary_garbage_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "garbage.xlsx"
    path.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 8)
    _assert_refused(path, "无法识别的文件类型")


def test_zip_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "not a workbook")
    _assert_refused(path, "Excel")


def test_truncated_workbook_is_refused(messy: Path, tmp_path: Path) -> None:
    path = tmp_path / "cut.xlsx"
    path.write_bytes(messy.read_bytes()[:2000])
    _assert_refused(path, "Excel")


def test_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    _assert_refused(path, "文件为空")


def test_corruption_inside_the_sheet_is_refused(messy: Path, tmp_path: Path) -> None:
    data = bytearray(messy.read_bytes())
    with zipfile.ZipFile(messy) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start + info.compress_size // 3, start + info.compress_size // 3 + 40):
        data[i] ^= 0x5A
    path = tmp_path / "damaged.xlsx"
    path.write_bytes(bytes(data))
    _assert_refused(path, "Excel 文件已损坏")


def test_password_protected_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "locked.xlsx"
    directory = "EncryptionInfo".encode("utf-16-le") + bytes(50) + "EncryptedPackage".encode("utf-16-le")
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1024) + directory + bytes(1024))
    _assert_refused(path, "打开密码")


# --------------------------------------------------------------------------- writing


def test_update_writes_every_kind_of_field(tmp_path: Path) -> None:
    stays = make_enterprise(uscc=code(400), employees=5, revenue=Decimal("1.00"))
    old = make_enterprise(
        uscc=G1,
        name="旧名称",
        town=town("cixi-andong"),
        industry=industry("textiles"),
        is_sme=True,
        above_scale=False,
        employees=10,
        revenue=Decimal("100.00"),
        has_rd_activity=False,
        status=Enterprise.Status.ACTIVE,
    )
    path = write_rows(
        tmp_path / "u.xlsx",
        [c.header for c in COLUMNS],
        [
            [G1, "新名称", "周巷", "汽配", "否", "是", "1,500", "526.61", "是", "吊销", ""],
            [G2, "新企业", "观海卫", "电子", "是", "否", 12, "0.5", "否", "迁出", "省级智能工厂(2024)"],
        ],
    )
    report = run(path)
    assert (report.imported, report.updated, report.unchanged, report.rejected) == (1, 1, 0, [])

    new = Enterprise.objects.select_related("town", "industry").get(uscc=G1)
    assert new.pk == old.pk
    assert new.created_at == old.created_at
    assert new.updated_at > old.updated_at
    assert (new.name, new.town.code, new.industry) == ("新名称", "cixi-zhouxiang", industry("auto_parts"))
    assert (new.is_sme, new.above_scale, new.has_rd_activity) == (False, True, True)
    assert (new.employees, new.revenue, new.status) == (
        1500,
        Decimal("5266100.00"),
        Enterprise.Status.REVOKED,
    )

    created = Enterprise.objects.get(uscc=G2)
    assert created.created_at == created.updated_at
    assert (created.employees, created.revenue, created.status) == (12, Decimal("5000.00"), "moved_out")
    assert quals_of(G2) == {("provincial_smart_factory", 2024)}

    untouched = Enterprise.objects.get(pk=stays.pk)
    assert (untouched.employees, untouched.revenue, untouched.updated_at) == (
        5,
        Decimal("1.00"),
        stays.updated_at,
    )


def test_more_rows_than_one_write_batch(tmp_path: Path) -> None:
    n = 2500  # more than one CHUNK of 2,000
    header = ["统一社会信用代码", "企业名称", "镇街", "营业收入（万元）"]
    path = write_rows(
        tmp_path / "big.xlsx", header, [[code(1000 + i), f"企业{i}", "周巷", i] for i in range(n)]
    )
    assert run(path).imported == n
    assert Enterprise.objects.count() == n
    assert Enterprise.objects.get(uscc=code(1000 + n - 1)).revenue == Decimal(n - 1) * 10000

    path = write_rows(
        tmp_path / "big2.xlsx", header, [[code(1000 + i), f"企业{i}", "周巷", i + 1] for i in range(n)]
    )
    assert run(path).updated == n
    assert Enterprise.objects.get(uscc=code(1000 + n - 1)).revenue == Decimal(n) * 10000
    assert Enterprise.objects.get(uscc=code(1000)).revenue == Decimal(10000)


# --------------------------------------------------------------------------- the .xlsx reader


def _blank_as_none(cell: object) -> object:
    """Empty and whitespace-only cells are all blank to the importer, whichever reader saw them."""
    return None if isinstance(cell, str) and not cell.strip() else cell


def _values_by_openpyxl(path: Path, sheet: str | None = None) -> list[tuple[int, tuple[object, ...]]]:
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    ws = wb[sheet] if sheet else wb.worksheets[0]
    rows: list[tuple[int, tuple[object, ...]]] = []
    for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
        values = [_blank_as_none(cell) for cell in row]
        while values and values[-1] is None:
            values.pop()
        if values:
            rows.append((number, tuple(values)))
    wb.close()
    return rows


def _values_by_reader(path: Path) -> list[tuple[int, tuple[object, ...]]]:
    """What the importer reads, with empty cells as None and blank rows left out, like openpyxl."""
    rows: list[tuple[int, tuple[object, ...]]] = []
    for number, cells in RowSource(path):
        values = [_blank_as_none(cell) for cell in cells]
        while values and values[-1] is None:
            values.pop()
        if values:
            rows.append((number, tuple(values)))
    return rows


def test_reader_agrees_with_openpyxl(messy: Path, tmp_path: Path) -> None:
    # The messy sheet is written with shared strings and a <dimension>; the export is
    # openpyxl's write-only format: inline strings, no <dimension>.
    assert _values_by_reader(messy) == _values_by_openpyxl(messy)
    run(messy)
    export = tmp_path / "export.xlsx"
    enterprise_export_xlsx(Enterprise.objects.all(), export)
    assert _values_by_reader(export) == _values_by_openpyxl(export)
    assert len(_values_by_reader(export)) == len(GOOD) + 1


MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"


def handmade_xlsx(
    path: Path, sheets: list[tuple[str, str, str]], strings: list[str], ns: str = MAIN_NS
) -> Path:
    """A workbook written by hand, for what openpyxl never writes: rich text with phonetic runs,
    cells without references, a hidden first sheet, the Strict namespace."""
    rel_ns = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    rels_ns = "http://schemas.openxmlformats.org/package/2006/relationships"
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{ct}.worksheet+xml"/>'
            for i in range(1, len(sheets) + 1)
        )
        zf.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{ct}.sharedStrings+xml"/>'
            f"{overrides}</Types>",
        )
        zf.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{rels_ns}"><Relationship Id="rId1" Target="xl/workbook.xml" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
            "</Relationships>",
        )
        sheet_tags = "".join(
            f'<sheet name="{name}" sheetId="{i}" state="{state}" r:id="rId{i}"/>'
            for i, (name, state, _) in enumerate(sheets, start=1)
        )
        zf.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{ns}" xmlns:r="{rel_ns}"><sheets>{sheet_tags}</sheets></workbook>',
        )
        rels = "".join(
            f'<Relationship Id="rId{i}" Target="/xl/worksheets/sheet{i}.xml" Type="{rel_ns}/worksheet"/>'
            for i in range(1, len(sheets) + 1)
        )
        rels += f'<Relationship Id="rId99" Target="sharedStrings.xml" Type="{rel_ns}/sharedStrings"/>'
        zf.writestr("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{rels_ns}">{rels}</Relationships>')
        zf.writestr("xl/sharedStrings.xml", f'<sst xmlns="{ns}">{"".join(strings)}</sst>')
        for i, (_, _, data) in enumerate(sheets, start=1):
            zf.writestr(
                f"xl/worksheets/sheet{i}.xml",
                f'<worksheet xmlns="{ns}"><sheetData>{data}</sheetData></worksheet>',
            )
    return path


HANDMADE_STRINGS = [
    "<si><t>统一社会信用代码</t></si>",
    "<si><t>企业名称</t></si>",
    "<si><t>镇街</t></si>",
    # Rich text in two runs, plus a phonetic guide that is not part of the value.
    '<si><r><rPr><b/></rPr><t>慈溪市</t></r><r><t xml:space="preserve">甲 公司</t></r>'
    '<rPh sb="0" eb="3"><t>cixishi</t></rPh><phoneticPr fontId="1"/></si>',
    "<si><t>观海卫镇</t></si>",
]
HANDMADE_SHEET = (
    '<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2" t="s"><v>1</v></c><c r="C2" t="s"><v>2</v></c>'
    '<c r="E2" t="inlineStr"><is><r><t>从业</t></r><r><t>人数</t></r></is></c></row>'
    f'<row><c t="inlineStr"><is><t>{G1}</t></is></c><c t="s"><v>3</v></c><c t="s"><v>4</v></c>'
    '<c r="E3"><v>1.5E2</v></c><c r="F3" t="b"><v>1</v></c></row>'
    '<row r="5"><c r="C5" t="str"><f>A1</f><v>公式结果</v></c><c r="D5" t="e"><v>#N/A</v></c>'
    '<c r="E5"><v>42</v></c><c r="F5" s="1"/></row>'
)


def test_reader_on_a_handmade_workbook(tmp_path: Path) -> None:
    path = handmade_xlsx(
        tmp_path / "hand.xlsx",
        [
            ("说明", "hidden", '<row r="1"><c r="A1" t="inlineStr"><is><t>填表说明</t></is></c></row>'),
            ("名单", "visible", HANDMADE_SHEET),
        ],
        HANDMADE_STRINGS,
    )
    rows = _values_by_reader(path)
    assert rows == [
        (2, ("统一社会信用代码", "企业名称", "镇街", None, "从业人数")),
        (3, (G1, "慈溪市甲 公司", "观海卫镇", None, 150.0, True)),
        (5, (None, None, "公式结果", None, 42)),  # an error cell (#N/A) reads as blank
    ]
    by_openpyxl = _values_by_openpyxl(path, "名单")
    assert rows[:2] == by_openpyxl[:2] and by_openpyxl[2][1][3] == "#N/A"

    report = run(path)
    assert (report.header_row, report.imported) == (2, 1)
    assert [(r.row, "未知的镇（街道）：公式结果" in r.reason) for r in report.rejected] == [(5, True)]
    e = Enterprise.objects.get(uscc=G1)
    assert (e.name, e.town.code, e.employees) == ("慈溪市甲 公司", "cixi-guanhaiwei", 150)


def test_reader_on_strict_open_xml(tmp_path: Path) -> None:
    path = handmade_xlsx(
        tmp_path / "strict.xlsx", [("名单", "visible", HANDMADE_SHEET)], HANDMADE_STRINGS, ns=STRICT_NS
    )
    assert _values_by_reader(path)[1] == (3, (G1, "慈溪市甲 公司", "观海卫镇", None, 150.0, True))


def test_workbook_with_only_a_chart_sheet_is_refused(tmp_path: Path) -> None:
    path = handmade_xlsx(tmp_path / "x.xlsx", [("名单", "visible", HANDMADE_SHEET)], HANDMADE_STRINGS)
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp_path / "chart.xlsx", "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"/worksheet", b"/chartsheet")
            dst.writestr(item, data)
    _assert_refused(tmp_path / "chart.xlsx", "没有可见的工作表")


# --------------------------------------------------------------------------- command line


def test_cli_import_json(messy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["enterprises", "import", str(messy), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["imported"] == len(GOOD)
    assert out["updated"] == 0
    assert [r["row"] for r in out["rejected"]] == sorted(BAD_REASONS)
    assert all(set(r) == {"row", "reason"} and r["reason"] for r in out["rejected"])
    assert "火星镇" in next(r["reason"] for r in out["rejected"] if r["row"] == 10)
    assert Enterprise.objects.count() == len(GOOD)

    assert main(["enterprises", "import", str(messy), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["imported"], again["updated"]) == (0, 0)


def test_cli_dry_run_writes_nothing(messy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["enterprises", "import", str(messy), "--dry-run", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["imported"] == len(GOOD)
    assert out["dry_run"] is True
    assert counts() == (0, 0, 0)


def test_cli_import_text_lists_rejected_rows(messy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["enterprises", "import", str(messy), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "试导入（未写入）" in out
    assert f"新增 {len(GOOD)}" in out
    assert "第10行：未知的镇（街道）：火星镇" in out


def test_cli_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["enterprises", "import", str(tmp_path / "nope.xlsx"), "--json"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert "nope.xlsx" in lines[0]
    assert "Traceback" not in captured.err


def test_cli_unreadable_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "old.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))
    assert main(["enterprises", "import", str(path)]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert ".xls" in err
    assert "Traceback" not in err


def test_cli_export(messy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(messy)
    target = tmp_path / "out.xlsx"
    assert main(["enterprises", "export", str(target)]) == 0
    assert f"已导出 {len(GOOD)} 家企业" in capsys.readouterr().out
    ws = openpyxl.load_workbook(target, read_only=True).worksheets[0]
    usccs = [r[0] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert sorted(usccs) == sorted(GOOD.values())  # type: ignore[type-var]
    assert not target.with_name(target.name + ".part").exists()

    assert main(["enterprises", "export", str(tmp_path / "zhouxiang.xlsx"), "--town", "cixi-zhouxiang"]) == 0
    ws = openpyxl.load_workbook(tmp_path / "zhouxiang.xlsx", read_only=True).worksheets[0]
    assert [r[0] for r in ws.iter_rows(min_row=2, values_only=True)] == [G3]


def test_cli_export_refuses_other_suffix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["enterprises", "export", str(tmp_path / "out.csv")]) == 1
    assert ".xlsx" in capsys.readouterr().err


def test_a_conflicting_concurrent_write_is_refused_cleanly(
    messy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If another import adds the same enterprise between reading and writing, nothing is half-written."""
    from django.db import IntegrityError

    from shuzhuan.enterprises.imports import service

    real = service._write_enterprises

    def racing(using: str, to_create: list[dict[str, object]], to_update: list[dict[str, object]]) -> None:
        real(using, to_create, to_update)
        raise IntegrityError("UNIQUE constraint failed: enterprises_enterprise.uscc")

    monkeypatch.setattr(service, "_write_enterprises", racing)
    before = counts()
    with pytest.raises(ApplicationError, match="重新导入"):
        run(messy)
    assert counts() == before


def test_revenue_beyond_one_trillion_yuan_is_rejected(tmp_path: Path) -> None:
    """1万亿元 and above cannot be stored to the fen on SQLite, so such a cell is refused."""
    path = write_rows(
        tmp_path / "big.xlsx",
        ["统一社会信用代码", "企业名称", "镇街", "营业收入（万元）"],
        [
            [G1, "慈溪市甲有限公司", "观海卫镇", "99999999.99"],
            [G2, "慈溪市乙有限公司", "观海卫镇", "100000000"],
        ],
    )
    report = run(path)
    assert report.imported == 1
    assert [(r.row, "营业收入" in r.reason) for r in report.rejected] == [(3, True)]
    assert Enterprise.objects.get(uscc=G1).revenue == Decimal("999999999900.00")
