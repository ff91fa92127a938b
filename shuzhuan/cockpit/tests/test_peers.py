"""同级比较: the .xlsx import (all rows or none, errors by row and column), the rank of our live
value among the peers (competition ranking, our own imported row left out), the page, the CLI."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook, load_workbook

from shuzhuan.audit.models import AuditEntry
from shuzhuan.cli import main
from shuzhuan.cockpit import figures
from shuzhuan.cockpit.models import PeerFigure
from shuzhuan.cockpit.peers import (
    HEADERS,
    peer_import,
    peer_phrase,
    peer_rank,
    peer_ranks,
    peer_template_xlsx,
)
from shuzhuan.core.errors import ApplicationError
from shuzhuan.enterprises.models import Region

pytestmark = pytest.mark.django_db

WORKSHOP = "qual_total.provincial_digital_workshop"
LIBRARY = "library.enterprises"
PAID = "paid.amount"
Own = dict[tuple[str, int], Decimal]


@pytest.fixture
def own(monkeypatch: pytest.MonkeyPatch) -> Own:
    """Our live values, set by each test (the real figures are tested with the figures)."""
    values: Own = {}

    def fake(code: str, *, year: int, region: Region | None = None) -> Decimal | None:
        assert region is None or region.level == Region.Level.COUNTY
        return values.get((code, year))

    monkeypatch.setattr(figures, "indicator_value", fake)
    return values


def _xlsx(
    folder: Path, rows: list[list[Any]], *, header: tuple[str, ...] = HEADERS, name: str = "peers.xlsx"
) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(list(header))
    for row in rows:
        ws.append(row)
    path = folder / name
    wb.save(path)
    return path


GOOD = [
    [WORKSHOP, 2025, "宁波", "余姚市", 12],
    [WORKSHOP, 2025, "宁波", "鄞州区", "15"],
    [LIBRARY, 2025, "宁波", "北仑区", "1,234"],
]


def _stored() -> set[tuple[str, int, str, str, Decimal]]:
    return set(PeerFigure.objects.values_list("indicator", "year", "group", "region_name", "value"))


# --- import -------------------------------------------------------------------------------


def test_good_import_stores_every_row_with_an_audit_entry(tmp_path: Path, county: Any) -> None:
    bureau = county.users["bureau_officer"]
    report = peer_import(acting_user=bureau, path=_xlsx(tmp_path, GOOD), filename="宁波2025.xlsx")
    assert report.ok and (report.rows, report.created, report.updated, report.unchanged) == (3, 3, 0, 0)
    assert _stored() == {
        (WORKSHOP, 2025, "宁波", "余姚市", Decimal("12.00")),
        (WORKSHOP, 2025, "宁波", "鄞州区", Decimal("15.00")),
        (LIBRARY, 2025, "宁波", "北仑区", Decimal("1234.00")),
    }
    figure = PeerFigure.objects.get(region_name="余姚市")
    assert figure.source == "宁波2025.xlsx" and figure.imported_by == bureau
    entry = AuditEntry.objects.get(action="peer.import")
    assert entry.actor_id == bureau.pk and entry.payload["created"] == 3


def test_the_chinese_label_may_stand_for_the_code_and_numbers_come_as_text(tmp_path: Path) -> None:
    label = figures.indicator_label(WORKSHOP)
    assert label is not None
    header = ("指标", "年度", "比较范围", "地区", "数值（家）")
    rows: list[list[Any]] = [
        [label, "2024年", "全省", " 余姚市 ", "１，２３４.５"],
        [label.split("（")[0], 2024.0, "全省", "海曙区", 7.0],  # without its unit, a float cell
    ]
    report = peer_import(acting_user=None, path=_xlsx(tmp_path, rows, header=header), filename="p.xlsx")
    assert report.ok, report.error_lines()
    assert _stored() == {
        (WORKSHOP, 2024, "全省", "余姚市", Decimal("1234.50")),
        (WORKSHOP, 2024, "全省", "海曙区", Decimal("7.00")),
    }


BAD_ROWS = [
    ([["no.such.indicator", 2025, "宁波", "余姚市", 1]], "第2行「指标代码」：未知指标“no.such.indicator”"),
    ([[WORKSHOP, 1999, "宁波", "余姚市", 1]], "第2行「年度」：1999 不在 2000—2100 年之间"),
    ([[WORKSHOP, "二〇二五", "宁波", "余姚市", 1]], "第2行「年度」：“二〇二五”不是年份"),
    ([[WORKSHOP, 2025, "宁波", "", 1]], "第2行「地区」：未填写"),
    ([[WORKSHOP, 2025, "", "余姚市", 1]], "第2行「比较范围」：未填写"),
    ([[WORKSHOP, 2025, "宁波", "余姚市", "十二"]], "第2行「数值」：“十二”不是数字"),
    ([[WORKSHOP, 2025, "宁波", "余姚市", -3]], "第2行「数值」：“-3”是负数"),
    ([[WORKSHOP, 2025, "宁波", "余姚市", "1,23"]], "第2行「数值」：“1,23”不是数字（千位分隔符位置不对）"),
    ([[WORKSHOP, 2025, "宁波", "余姚市", None]], "第2行「数值」：未填写"),
    (
        [[WORKSHOP, 2025, "宁波", "余姚市", 1], [], [WORKSHOP, 2025, "宁波", "余姚市", 2]],
        "第4行「地区」：与第2行重复",
    ),
]


@pytest.mark.parametrize(("rows", "message"), BAD_ROWS, ids=[m for _, m in BAD_ROWS])
def test_a_bad_row_names_row_and_column_and_nothing_is_stored(
    tmp_path: Path, rows: list[list[Any]], message: str
) -> None:
    peer_import(acting_user=None, path=_xlsx(tmp_path, GOOD, name="good.xlsx"), filename="good.xlsx")
    before = _stored()
    # the good rows first: a bad row anywhere keeps every row of the file out
    rows = [[LIBRARY, 2025, "宁波", "象山县", 99], *rows]
    report = peer_import(acting_user=None, path=_xlsx(tmp_path, rows, name="bad.xlsx"), filename="bad.xlsx")
    assert not report.ok and report.created == report.updated == 0
    expected = message.replace("第2行", "第3行").replace("第4行", "第5行")
    assert any(line.startswith(expected) for line in report.error_lines()), report.error_lines()
    assert _stored() == before  # the earlier good import stands, nothing of this file


def test_every_bad_cell_of_a_row_is_reported(tmp_path: Path) -> None:
    report = peer_import(
        acting_user=None, path=_xlsx(tmp_path, [["x", 1800, "宁波", "", "abc"]]), filename="p.xlsx"
    )
    assert [(e.row, e.column) for e in report.errors] == [
        (2, "指标代码"),
        (2, "年度"),
        (2, "地区"),
        (2, "数值"),
    ]


def test_a_file_that_is_not_xlsx_or_lacks_a_column_is_refused(tmp_path: Path) -> None:
    csv = tmp_path / "peers.csv"
    csv.write_text("指标代码,年度,比较范围,地区,数值\n", encoding="utf-8")
    with pytest.raises(ApplicationError, match=r"不是 \.xlsx"):
        peer_import(acting_user=None, path=csv, filename="peers.csv")
    fake = tmp_path / "fake.xlsx"
    fake.write_text("指标代码,年度\n", encoding="utf-8")
    with pytest.raises(ApplicationError, match=r"不是 \.xlsx"):
        peer_import(acting_user=None, path=fake, filename="fake.xlsx")
    no_value = _xlsx(tmp_path, [[WORKSHOP, 2025, "宁波", "余姚市"]], header=HEADERS[:4])
    with pytest.raises(ApplicationError, match="第1行表头缺少列：数值"):
        peer_import(acting_user=None, path=no_value, filename="peers.xlsx")
    empty = _xlsx(tmp_path, [], name="empty.xlsx")
    with pytest.raises(ApplicationError, match="没有数据行"):
        peer_import(acting_user=None, path=empty, filename="empty.xlsx")
    assert not PeerFigure.objects.exists()


def test_importing_again_updates_the_values(tmp_path: Path) -> None:
    peer_import(acting_user=None, path=_xlsx(tmp_path, GOOD), filename="v1.xlsx")
    changed = [[*GOOD[0][:4], 13], GOOD[1], [WORKSHOP, 2025, "宁波", "北仑区", 9]]
    report = peer_import(acting_user=None, path=_xlsx(tmp_path, changed, name="v2.xlsx"), filename="v2.xlsx")
    assert (report.created, report.updated, report.unchanged) == (1, 1, 1)
    yuyao = PeerFigure.objects.get(indicator=WORKSHOP, region_name="余姚市")
    assert yuyao.value == Decimal("13.00") and yuyao.source == "v2.xlsx"
    assert PeerFigure.objects.count() == 4


# --- rank ---------------------------------------------------------------------------------


def _peers(tmp_path: Path, values: dict[str, Any], *, code: str = WORKSHOP, group: str = "宁波") -> None:
    rows = [[code, 2025, group, name, value] for name, value in values.items()]
    report = peer_import(
        acting_user=None, path=_xlsx(tmp_path, rows, name=f"{code}{group}.xlsx"), filename="p.xlsx"
    )
    assert report.ok, report.error_lines()


@pytest.mark.parametrize(
    ("ours", "position", "tied", "phrase"),
    [
        (12, 1, False, "居宁波第一"),
        (10, 1, True, "并列宁波第一"),
        (9, 2, False, "居宁波第二（共5个县市区）"),
        (8, 2, True, "并列宁波第二（共5个县市区）"),
        (7, 4, False, "居宁波第四（共5个县市区）"),
        (0, 5, False, "居宁波第五（共5个县市区）"),
    ],
)
def test_competition_rank_among_the_peers(
    tmp_path: Path, own: Own, ours: int, position: int, tied: bool, phrase: str
) -> None:
    _peers(tmp_path, {"鄞州区": 10, "余姚市": 8, "北仑区": 8, "象山县": 5})
    own[(WORKSHOP, 2025)] = Decimal(ours)
    rank = peer_rank(WORKSHOP, year=2025, group="宁波")
    assert rank is not None
    assert (rank.position, rank.total, rank.tied, rank.phrase) == (position, 5, tied, phrase)
    assert rank.own_name == "慈溪市" and rank.own_value == Decimal(ours)
    assert rank.peers == [
        ("鄞州区", Decimal("10.00")),
        ("余姚市", Decimal("8.00")),  # ties: by name
        ("北仑区", Decimal("8.00")),
        ("象山县", Decimal("5.00")),
    ]
    by_name = {name: p for p, name, _, _ in rank.standings}
    assert by_name["余姚市"] == by_name["北仑区"] and by_name["慈溪市"] == position  # ties share a rank
    assert by_name["象山县"] == (5 if ours > 5 else 4)  # … and the next rank is skipped: 1, 2, 2, 4


def test_our_own_imported_row_is_shown_but_never_ranked(tmp_path: Path, own: Own) -> None:
    _peers(tmp_path, {"余姚市": 8, "慈溪市": 100, "鄞州区": 6})
    own[(WORKSHOP, 2025)] = Decimal(7)
    rank = peer_rank(WORKSHOP, year=2025, group="宁波")
    assert rank is not None
    assert (rank.position, rank.total, rank.phrase) == (2, 3, "居宁波第二（共3个县市区）")
    assert [n for n, _ in rank.peers] == ["余姚市", "鄞州区"]
    assert rank.imported_own == Decimal("100.00")
    assert rank.imported_own_exists and rank.imported_own_matches is False
    own[(WORKSHOP, 2025)] = Decimal(100)
    again = peer_rank(WORKSHOP, year=2025, group="宁波")
    assert again is not None and again.imported_own_matches is True and again.phrase == "居宁波第一"
    # an alias of the county ("慈溪") is our own row too; another own name can be given
    _peers(tmp_path, {"慈溪": 3, "余姚市": 8}, group="全省")
    in_province = peer_rank(WORKSHOP, year=2025, group="全省")
    assert in_province is not None and in_province.total == 2 and in_province.imported_own == Decimal("3.00")
    renamed = peer_rank(WORKSHOP, year=2025, group="全省", own_name="余姚市")
    assert (
        renamed is not None and renamed.own_name == "余姚市" and renamed.peers == [("慈溪", Decimal("3.00"))]
    )


def test_no_rank_without_peers_or_own_value_and_none_for_a_town(tmp_path: Path, own: Own) -> None:
    assert peer_rank(WORKSHOP, year=2025, group="宁波") is None  # no peer rows
    _peers(tmp_path, {"余姚市": 8, "慈溪市": 9})
    assert peer_rank(WORKSHOP, year=2025, group="宁波") is None  # no live value
    own[(WORKSHOP, 2025)] = Decimal(9)
    assert peer_rank(WORKSHOP, year=2025, group="宁波") is not None
    town = Region.objects.get(code="cixi-guanhaiwei")
    assert peer_rank(WORKSHOP, year=2025, group="宁波", region=town) is None
    assert peer_ranks(2025, town) == []
    county_region = Region.objects.get(code="cixi")
    assert [r.phrase for r in peer_ranks(2025, county_region)] == ["居宁波第一"]
    _peers(tmp_path, {"余姚市": 8})  # the other group-less indicator: only rows with peers count
    own[(LIBRARY, 2025)] = Decimal(1)
    _peers(tmp_path, {"北仑区": 5, "镇海区": 1}, code=LIBRARY)
    assert [(r.indicator, r.phrase) for r in peer_ranks(2025)] == [
        (WORKSHOP, "居宁波第一"),
        (LIBRARY, "并列宁波第二（共3个县市区）"),
    ]
    assert peer_ranks(2024) == []


def test_phrase_numerals() -> None:
    assert peer_phrase(group="宁波", position=1, total=10, tied=False) == "居宁波第一"
    assert peer_phrase(group="宁波", position=3, total=10, tied=False) == "居宁波第三（共10个县市区）"
    assert peer_phrase(group="全省", position=12, total=90, tied=True) == "并列全省第十二（共90个县市区）"


# --- page, template, CLI ------------------------------------------------------------------


def _upload(client: Client, path: Path, name: str = "peers.xlsx") -> Any:
    return client.post("/cockpit/peers/", {"file": SimpleUploadedFile(name, path.read_bytes())})


def test_page_upload_lists_the_figures_with_our_rank(tmp_path: Path, county: Any, own: Own) -> None:
    own[(WORKSHOP, 2025)] = Decimal(20)
    client = Client()
    client.force_login(county.users["bureau_officer"])
    assert "尚未导入同级比较数据" in client.get("/cockpit/peers/").content.decode()
    response = _upload(client, _xlsx(tmp_path, GOOD))
    assert response.status_code == 302 and response["Location"] == "/cockpit/peers/"
    page = client.get("/cockpit/peers/").content.decode()
    assert "已导入 3 行" in page and "慈溪市居宁波第一" in page and "余姚市" in page
    bad = _xlsx(tmp_path, [[WORKSHOP, 2025, "宁波", "象山县", "很多"]], name="bad.xlsx")
    response = _upload(client, bad, "bad.xlsx")
    html = response.content.decode()
    assert response.status_code == 200 and "第2行「数值」：“很多”不是数字" in html
    assert not PeerFigure.objects.filter(region_name="象山县").exists()
    response = _upload(client, bad, "bad.csv")
    assert response.status_code == 200 and "只支持 Excel 工作簿" in response.content.decode()

    auditor = Client()
    auditor.force_login(county.users["auditor"])
    html = auditor.get("/cockpit/peers/?year=2025").content.decode()
    assert "慈溪市居宁波第一" in html and 'data-testid="peer-upload"' not in html
    assert _upload(auditor, _xlsx(tmp_path, GOOD)).status_code == 403
    town = Client()
    town.force_login(county.users["town_officer"])
    assert town.get("/cockpit/peers/").status_code == 403


def test_the_template_is_importable_and_lists_the_indicators(tmp_path: Path, county: Any) -> None:
    client = Client()
    client.force_login(county.users["bureau_officer"])
    response = client.get("/cockpit/peers/template.xlsx")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    wb = load_workbook(BytesIO(response.content))
    assert wb.sheetnames == ["同级比较", "指标代码"]
    assert [c.value for c in wb["同级比较"][1]] == list(HEADERS)
    codes = {row[0] for row in wb["指标代码"].iter_rows(min_row=2, values_only=True)}
    assert {WORKSHOP, LIBRARY, PAID} <= codes
    path = tmp_path / "template.xlsx"
    path.write_bytes(peer_template_xlsx())
    assert peer_import(acting_user=None, path=path, filename="template.xlsx").created == 1


def test_cli_import_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cockpit", "peers-import", str(_xlsx(tmp_path, GOOD))]) == 0
    assert "新增 3" in capsys.readouterr().out
    bad = _xlsx(tmp_path, [[WORKSHOP, 2025, "宁波", "", "x"]], name="bad.xlsx")
    assert main(["cockpit", "peers-import", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].endswith("第2行「地区」：未填写") and err[1].endswith("第2行「数值」：“x”不是数字")
    assert len(err) == 3 and "Traceback" not in "".join(err)
    assert main(["cockpit", "peers-import", str(tmp_path / "missing.xlsx")]) == 2
    assert PeerFigure.objects.count() == 3


def test_demo_peers_are_labelled_ranked_by_computation_and_idempotent(own: Own) -> None:
    from shuzhuan.demo_peers import DEMO_FILENAME, REGIONS, demo_peers_load

    own.update({(LIBRARY, 2024): Decimal(40), (LIBRARY, 2025): Decimal(30), (PAID, 2025): Decimal(5_266_100)})
    first = demo_peers_load()
    assert first.report is not None and first.report.created == 3 * len(REGIONS)
    assert first.indicators == [LIBRARY, PAID]  # the others have no value of ours: left out
    assert "非真实数据" in first.line() and "非真实数据" in DEMO_FILENAME
    assert set(PeerFigure.objects.values_list("source", flat=True)) == {DEMO_FILENAME}
    assert set(PeerFigure.objects.values_list("region_name", flat=True)) == set(REGIONS)
    rank = peer_rank(LIBRARY, year=2025, group="宁波")
    assert rank is not None and first.phrases[0] == f"2025年{rank.label}：慈溪市{rank.phrase}"
    again = demo_peers_load()
    assert again.report is not None and (again.report.created, again.report.updated) == (0, 0)
    assert PeerFigure.objects.count() == 3 * len(REGIONS)
