"""Reading a peer-figures workbook: headers, cells and rows, each error naming its row and column."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import partial
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from shuzhuan.cockpit import figures
from shuzhuan.cockpit.peers.results import MAX_LISTED_ERRORS, PeerImportReport, PeerRowError
from shuzhuan.core.errors import ApplicationError
from shuzhuan.core.text import clean_cell, squash

FEN = Decimal("0.01")
YEAR_MIN, YEAR_MAX = 2000, 2100
VALUE_LIMIT = Decimal("1e16")  # DecimalField(18, 2): sixteen digits before the point
MAX_ROWS = 20_000
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


def read_workbook(path: Path, report: PeerImportReport) -> list[_Row]:
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


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
