"""同级比较: peer counties' figures imported from .xlsx, and our rank among them from data.

A statement such as "居宁波第一" is only as honest as the figures behind it. The city's or
province's published figures for the other counties are imported here (``peer_import``); our
own figure is never typed in but computed live (``shuzhuan.cockpit.figures.indicator_value``)
and ranked among theirs (``peer_rank``). A row the file holds for our own county is kept and
shown beside the live value (so a difference between what the city published and what the
system counts is visible), but it never takes part in the rank.

The file: one header row with 指标代码 (or 指标, the Chinese label), 年度, 比较范围, 地区, 数值;
one row per region. Every row is checked; a single bad row stores nothing, and every error
names its Excel row and column ("第5行「数值」：不是数字"). A good file is upserted in one
transaction with its audit entry, so importing a corrected file again updates the values.

A rank compares counties, so it is stated for the whole county only. A town officer's region
is a town: its own figures are a fraction of the county's, and ranking a town among counties
would be a false statement — ``peer_rank`` returns None and ``peer_ranks`` an empty list there.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import partial
from pathlib import Path
from typing import Any

import cn2an
from django.db import IntegrityError, transaction
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from shuzhuan.audit.services import audit_record
from shuzhuan.cockpit import figures
from shuzhuan.cockpit.models import PeerFigure
from shuzhuan.core.errors import ApplicationError
from shuzhuan.core.text import clean_cell, squash
from shuzhuan.enterprises.models import Region

FEN = Decimal("0.01")
YEAR_MIN, YEAR_MAX = 2000, 2100
VALUE_LIMIT = Decimal("1e16")  # DecimalField(18, 2): sixteen digits before the point
MAX_ROWS = 20_000
MAX_LISTED_ERRORS = 200
HEADER_SCAN_ROWS = 10
_ZIP_MAGIC = b"PK\x03\x04"

# Canonical column → the header texts accepted for it (compared after squash(), lower case).
CODE, LABEL, YEAR, GROUP, REGION, VALUE = "指标代码", "指标", "年度", "比较范围", "地区", "数值"
HEADERS = (CODE, YEAR, GROUP, REGION, VALUE)
_ALIASES: dict[str, tuple[str, ...]] = {
    CODE: ("指标代码", "代码", "indicator", "code"),
    LABEL: ("指标", "指标名称", "label"),
    YEAR: ("年度", "年份", "year"),
    GROUP: ("比较范围", "范围", "group"),
    REGION: ("地区", "县市区", "县(市、区)", "region"),
    VALUE: ("数值", "value"),
}
_HEADER_KEY = {alias.lower(): column for column, aliases in _ALIASES.items() for alias in aliases}
_UNIT_SUFFIX = re.compile(r"[(\[].*[)\]]$")  # "数值（元）" → "数值"
_THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")
_YEAR_TEXT = re.compile(r"^(\d{4})(年度?)?$")


# --- results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeerRowError:
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"第{self.row}行「{self.column}」：{self.reason}"


@dataclass
class PeerImportReport:
    """Created/updated/unchanged rows of a stored file; ``errors`` (and nothing stored) otherwise."""

    filename: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[PeerRowError] = field(default_factory=list)
    more_errors: int = 0  # errors beyond the first MAX_LISTED_ERRORS, not listed

    @property
    def ok(self) -> bool:
        return not self.errors

    def error_lines(self) -> list[str]:
        lines = [str(e) for e in self.errors]
        if self.more_errors:
            lines.append(f"……另有 {self.more_errors} 处错误未列出")
        return lines

    def summary(self) -> str:
        if not self.ok:
            return f"未导入：{len(self.errors) + self.more_errors} 处错误，请修改后重新上传（未写入任何数据）"
        return f"已导入 {self.rows} 行：新增 {self.created}，更新 {self.updated}，无变化 {self.unchanged}"


@dataclass(frozen=True)
class PeerRank:
    """Our live value ranked among the imported peers of one indicator, year and group.

    ``position`` is the competition rank (ties share a rank: 1, 2, 2, 4) and ``total`` counts
    the peers and us. ``imported_own`` is the value the file gave for our own region (None when
    it gave none); it never takes part in the rank, ``imported_own_matches`` says whether it
    equals the live value.
    """

    indicator: str
    label: str
    year: int
    group: str
    own_name: str
    own_value: Decimal
    position: int
    total: int
    tied: bool
    peers: list[tuple[str, Decimal]]  # highest first, then by name
    imported_own: Decimal | None
    phrase: str

    @property
    def imported_own_exists(self) -> bool:
        return self.imported_own is not None

    @property
    def imported_own_matches(self) -> bool | None:
        return None if self.imported_own is None else self.imported_own == self.own_value

    @property
    def standings(self) -> list[tuple[int, str, Decimal, bool]]:
        """(rank, name, value, is_us) for every region, us included, highest first."""
        rows = [*((name, value, False) for name, value in self.peers), (self.own_name, self.own_value, True)]
        rows.sort(key=lambda r: (-r[1], not r[2], r[0]))
        return [(1 + sum(1 for _, v, _ in rows if v > value), name, value, us) for name, value, us in rows]


def peer_phrase(*, group: str, position: int, total: int, tied: bool) -> str:
    """居宁波第一 · 居宁波第三（共10个县市区） · 并列宁波第二（共10个县市区）.

    The count is added whenever we are not first: "第三" means little without "of how many".
    """
    text = f"{'并列' if tied else '居'}{group}第{cn2an.an2cn(position)}"
    return text if position == 1 else f"{text}（共{total}个县市区）"


# --- reading the file ---------------------------------------------------------------------


class _CellError(ValueError):
    pass


@dataclass(frozen=True)
class _Row:
    number: int
    indicator: str
    year: int
    group: str
    region_name: str
    value: Decimal

    @property
    def key(self) -> tuple[str, int, str, str]:
        return (self.indicator, self.year, self.group, self.region_name)


def _header_column(cell: object) -> str | None:
    text = squash(cell).lower()
    if not text:
        return None
    return _HEADER_KEY.get(text) or _HEADER_KEY.get(_UNIT_SUFFIX.sub("", text))


def _open_rows(path: Path) -> Iterator[tuple[int, tuple[object, ...]]]:
    """(Excel row number, cell values) of the first visible worksheet, read-only."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        raise ApplicationError(f"无法读取文件（{exc.strerror}）", field="file") from None
    if head != _ZIP_MAGIC:
        raise ApplicationError(
            "不是 .xlsx 文件：请用 Excel 打开后“另存为”Excel 工作簿（.xlsx）再上传", field="file"
        )
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl: not a workbook, damaged parts, bad XML …
        detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise ApplicationError(
            f"Excel 文件已损坏或格式不正确（{detail}），请用 Excel 打开后另存为 .xlsx 再上传", field="file"
        ) from None
    try:
        sheet = next((ws for ws in workbook.worksheets if ws.sheet_state == "visible"), None)
        if sheet is None:
            raise ApplicationError("Excel 文件中没有可见的工作表", field="file")
        sheet.reset_dimensions()  # some writers state a wrong used range; read every row
        for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
            yield number, tuple(values)
    finally:
        workbook.close()


def _blank(value: object) -> bool:
    return value is None or clean_cell(value) == ""


def _parse_year(value: object) -> int:
    if _blank(value):
        raise _CellError("未填写")
    if isinstance(value, bool):
        raise _CellError(f"“{value}”不是年份")
    if isinstance(value, int | float | Decimal):
        if value != int(value):
            raise _CellError(f"“{value}”不是年份")
        year = int(value)
    else:
        match = _YEAR_TEXT.match(squash(value))
        if match is None:
            raise _CellError(f"“{clean_cell(value)}”不是年份")
        year = int(match.group(1))
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise _CellError(f"{year} 不在 {YEAR_MIN}—{YEAR_MAX} 年之间")
    return year


def _parse_value(value: object) -> Decimal:
    """A non-negative number: a number cell, or text such as "1,234.5" / "１２３４" / " 56 "."""
    if _blank(value):
        raise _CellError("未填写")
    if isinstance(value, bool):
        raise _CellError("不是数字")
    if isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, str):
        text = squash(value)  # NFKC: full-width digits and "，" become half-width
        if "," in text:
            if not _THOUSANDS.match(text.lstrip("+-")):
                raise _CellError(f"“{clean_cell(value)}”不是数字（千位分隔符位置不对）")
            text = text.replace(",", "")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise _CellError(f"“{clean_cell(value)}”不是数字") from None
    else:  # a date, a time, an error cell …
        raise _CellError(f"“{clean_cell(value)}”不是数字")
    if not number.is_finite():
        raise _CellError(f"“{clean_cell(value)}”不是数字")
    if number < 0:
        raise _CellError(f"“{clean_cell(value)}”是负数，应为不小于 0 的数")
    number = number.quantize(FEN, rounding=ROUND_HALF_UP)
    if number >= VALUE_LIMIT:
        raise _CellError(f"“{clean_cell(value)}”超出合理范围")
    return number


def _text(value: object, *, limit: int) -> str:
    text = clean_cell(value)
    if not text:
        raise _CellError("未填写")
    if len(text) > limit:
        raise _CellError(f"超过 {limit} 个字")
    return text


class _Indicators:
    """Indicator codes, and their Chinese labels as officers type them."""

    def __init__(self) -> None:
        choices = figures.indicator_choices()
        self._codes = {code for code, _ in choices}
        self._by_label = {squash(label).lower(): code for code, label in reversed(choices)}
        # The label without its unit ("省级数字化车间（累计，家）" → "省级数字化车间"), where unambiguous.
        short: dict[str, set[str]] = {}
        for code, label in choices:
            short.setdefault(_UNIT_SUFFIX.sub("", squash(label).lower()), set()).add(code)
        for text, codes in short.items():
            if len(codes) == 1:
                self._by_label.setdefault(text, next(iter(codes)))

    def resolve(self, value: object) -> str:
        if _blank(value):
            raise _CellError("未填写")
        text = clean_cell(value)
        if text in self._codes:
            return text
        found = self._by_label.get(squash(text).lower())
        if found is None:
            raise _CellError(f"未知指标“{text}”（可用的指标见模板的“指标代码”工作表）")
        return found


def _find_header(rows: Iterator[tuple[int, tuple[object, ...]]]) -> tuple[int, dict[str, int]]:
    for number, cells in rows:
        columns: dict[str, int] = {}
        for index, cell in enumerate(cells):
            column = _header_column(cell)
            if column is not None and column not in columns:
                columns[column] = index
        if len(columns) >= 3:
            missing = [h for h in (YEAR, GROUP, REGION, VALUE) if h not in columns]
            if CODE not in columns and LABEL not in columns:
                missing.insert(0, f"{CODE}（或{LABEL}）")
            if missing:
                raise ApplicationError(f"第{number}行表头缺少列：{'、'.join(missing)}", field="header")
            return number, columns
        if number >= HEADER_SCAN_ROWS:
            break
    raise ApplicationError(f"没有找到表头：第一行应为 {'、'.join(HEADERS)}（可下载模板对照）", field="header")


def _read(path: Path, report: PeerImportReport) -> list[_Row]:
    indicators = _Indicators()
    rows = _open_rows(path)
    header_row, columns = _find_header(rows)
    indicator_column = CODE if CODE in columns else LABEL
    parsed: list[_Row] = []
    seen: dict[tuple[str, int, str, str], int] = {}
    errors: list[PeerRowError] = []

    def cell(cells: tuple[object, ...], column: str) -> object:
        index = columns.get(column)
        return cells[index] if index is not None and index < len(cells) else None

    for number, cells in rows:
        if all(_blank(c) for c in cells):
            continue
        if report.rows >= MAX_ROWS:
            raise ApplicationError(f"文件超过 {MAX_ROWS} 行，请拆分后分别导入", field="file")
        report.rows += 1
        values: dict[str, Any] = {}
        raw_indicator = cell(cells, CODE)
        if _blank(raw_indicator) and LABEL in columns:
            raw_indicator = cell(cells, LABEL)
        checks: tuple[tuple[str, str, Callable[[object], object], object], ...] = (
            (indicator_column, "indicator", indicators.resolve, raw_indicator),
            (YEAR, "year", _parse_year, cell(cells, YEAR)),
            (GROUP, "group", partial(_text, limit=32), cell(cells, GROUP)),
            (REGION, "region_name", partial(_text, limit=64), cell(cells, REGION)),
            (VALUE, "value", _parse_value, cell(cells, VALUE)),
        )
        row_errors = []
        for column, name, parse, raw in checks:
            try:
                values[name] = parse(raw)
            except _CellError as exc:
                row_errors.append(PeerRowError(number, column, str(exc)))
        if not row_errors:
            row = _Row(number=number, **values)
            if row.key in seen:
                row_errors.append(
                    PeerRowError(
                        number, REGION, f"与第{seen[row.key]}行重复（同一指标、年度、比较范围和地区）"
                    )
                )
            else:
                seen[row.key] = number
                parsed.append(row)
        errors.extend(row_errors)
    if report.rows == 0:
        raise ApplicationError(f"第{header_row}行表头之后没有数据行", field="file")
    report.errors = errors[:MAX_LISTED_ERRORS]
    report.more_errors = max(0, len(errors) - MAX_LISTED_ERRORS)
    return parsed


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- writes -------------------------------------------------------------------------------


def peer_import(*, acting_user: Any | None, path: Path, filename: str) -> PeerImportReport:
    """Check every row of the .xlsx at ``path``; store all of them (upsert) or none.

    Raises ApplicationError for a file that cannot be read as .xlsx or lacks a column; returns
    a report whose ``errors`` name each bad row and column (and nothing stored) otherwise.
    """
    filename = (filename or path.name)[:255]
    if not filename.lower().endswith(".xlsx"):
        raise ApplicationError(f"“{filename}”不是 .xlsx 文件：只能导入 Excel 工作簿（.xlsx）", field="file")
    report = PeerImportReport(filename=filename)
    rows = _read(path, report)
    if report.errors:
        return report
    now = timezone.now()
    user = acting_user if getattr(acting_user, "pk", None) is not None else None
    try:
        with transaction.atomic():
            existing = {
                (f.indicator, f.year, f.group, f.region_name): f
                for f in PeerFigure.objects.select_for_update().filter(
                    indicator__in={r.indicator for r in rows}, year__in={r.year for r in rows}
                )
            }
            to_create: list[PeerFigure] = []
            to_update: list[PeerFigure] = []
            for row in rows:
                figure = existing.get(row.key)
                if figure is None:
                    to_create.append(
                        PeerFigure(
                            indicator=row.indicator,
                            year=row.year,
                            group=row.group,
                            region_name=row.region_name,
                            value=row.value,
                            source=filename,
                            imported_at=now,
                            imported_by=user,
                        )
                    )
                    continue
                if figure.value == row.value:
                    report.unchanged += 1
                else:
                    report.updated += 1
                figure.value, figure.source, figure.imported_at, figure.imported_by = (
                    row.value,
                    filename,
                    now,
                    user,
                )
                to_update.append(figure)
            PeerFigure.objects.bulk_create(to_create, batch_size=1000)
            PeerFigure.objects.bulk_update(
                to_update, ["value", "source", "imported_at", "imported_by"], batch_size=1000
            )
            report.created = len(to_create)
            audit_record(
                actor=user,
                action="peer.import",
                object_type="peer_figure_import",
                object_id=filename[:64],
                payload={
                    "file": filename,
                    "sha256": _sha256(path),
                    "rows": report.rows,
                    "created": report.created,
                    "updated": report.updated,
                    "unchanged": report.unchanged,
                    "indicators": sorted({r.indicator for r in rows}),
                    "years": sorted({r.year for r in rows}),
                },
            )
    except IntegrityError:
        raise ApplicationError("另一份同级比较数据正在同时导入，请稍后重试", field="file") from None
    return report


# --- reads --------------------------------------------------------------------------------


def _key(name: str) -> str:
    return squash(name).lower()


def _county() -> Region | None:
    return Region.objects.filter(level=Region.Level.COUNTY).order_by("sort_order", "code").first()


def _rank_scope(region: Region | None) -> tuple[bool, Region | None]:
    """(rankable, the region whose live value is ours): the whole install above county level."""
    if region is None:
        return True, None
    if region.level == Region.Level.TOWN:
        return False, None
    return True, (region if region.level == Region.Level.COUNTY else None)


def _own_names(scope: Region | None, own_name: str | None) -> tuple[str, set[str]]:
    if own_name:
        return own_name, {_key(own_name)}
    county = scope or _county()
    if county is None:
        return "本地", set()
    return county.name, {_key(n) for n in (county.name, *county.aliases) if n}


def peer_rank(
    indicator: str,
    *,
    year: int,
    group: str,
    region: Region | None = None,
    own_name: str | None = None,
) -> PeerRank | None:
    """Our live value among the peers imported for ``indicator``/``year``/``group``.

    None when there are no peers, no live value, an unknown indicator, or ``region`` is a town
    (a town is not ranked among counties). A region above county level is the whole install.
    """
    rankable, scope = _rank_scope(region)
    label = figures.indicator_label(indicator)
    if not rankable or label is None:
        return None
    rows = list(
        PeerFigure.objects.filter(indicator=indicator, year=year, group=group).values_list(
            "region_name", "value"
        )
    )
    if not rows:
        return None
    name, own_keys = _own_names(scope, own_name)
    peers = sorted(((n, v) for n, v in rows if _key(n) not in own_keys), key=lambda p: (-p[1], p[0]))
    imported_own = next((v for n, v in rows if _key(n) in own_keys), None)
    if not peers:
        return None
    live = figures.indicator_value(indicator, year=year, region=scope)
    if live is None:
        return None
    own_value = Decimal(live).quantize(FEN, rounding=ROUND_HALF_UP)
    position = 1 + sum(1 for _, v in peers if v > own_value)
    tied = any(v == own_value for _, v in peers)
    total = len(peers) + 1
    return PeerRank(
        indicator=indicator,
        label=label,
        year=year,
        group=group,
        own_name=name,
        own_value=own_value,
        position=position,
        total=total,
        tied=tied,
        peers=peers,
        imported_own=imported_own,
        phrase=peer_phrase(group=group, position=position, total=total, tied=tied),
    )


def peer_ranks(year: int, region: Region | None = None) -> list[PeerRank]:
    """A rank for every indicator and group with peer rows in ``year``, in the registry's order.

    [] for a town: its figures are part of the county's and cannot be ranked among counties.
    """
    rankable, _ = _rank_scope(region)
    if not rankable:
        return []
    order = {code: i for i, (code, _) in enumerate(figures.indicator_choices())}
    pairs = sorted(
        set(PeerFigure.objects.filter(year=year).values_list("indicator", "group")),
        key=lambda p: (order.get(p[0], len(order)), p[0], p[1]),
    )
    ranks = (peer_rank(indicator, year=year, group=group, region=region) for indicator, group in pairs)
    return [r for r in ranks if r is not None]


def peer_years() -> list[int]:
    """Years with imported peer figures, latest first."""
    return sorted(set(PeerFigure.objects.values_list("year", flat=True)), reverse=True)


def peer_figures(*, year: int) -> list[PeerFigure]:
    return list(PeerFigure.objects.filter(year=year).select_related("imported_by"))


# --- the file format ----------------------------------------------------------------------


def peer_xlsx(rows: Iterable[tuple[str, int, str, str, Decimal | int | str]]) -> bytes:
    """A workbook in the import format: the data sheet, and the indicator codes and labels."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "同级比较"
    bold = Font(bold=True)
    ws.append(list(HEADERS))
    for row in rows:
        ws.append([row[0], row[1], row[2], row[3], Decimal(row[4])])
    for index, width in enumerate((40, 8, 10, 12, 16), start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
        ws.cell(row=1, column=index).font = bold
    ref = wb.create_sheet("指标代码")
    ref.append(["指标代码", "指标"])
    for code, label in figures.indicator_choices():
        ref.append([code, label])
    ref.column_dimensions["A"].width = 40
    ref.column_dimensions["B"].width = 36
    for index in (1, 2):
        ref.cell(row=1, column=index).font = bold
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def peer_template_xlsx() -> bytes:
    """The header row, one example row and, on a second sheet, every indicator code and label."""
    choices = figures.indicator_choices()
    code = choices[0][0] if choices else "library.enterprises"
    year = timezone.localdate().year - 1
    return peer_xlsx([(code, year, "宁波", "余姚市", 1234)])
