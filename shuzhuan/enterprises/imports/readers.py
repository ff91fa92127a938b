"""Reading rows out of .xlsx and .csv files, with the row numbers Excel shows."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from pathlib import Path

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from shuzhuan.core.errors import ApplicationError
from shuzhuan.enterprises.imports.columns import HEADER_SCAN_ROWS, header_key

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_DELIMITERS = (",", "\t", ";")


def sniff_kind(path: Path) -> str:
    """'xlsx' or 'csv', decided by the bytes, not the name."""
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise ApplicationError(f"无法读取文件：{path}（{exc.strerror}）", field="file") from None
    if head.startswith(_ZIP_MAGIC):
        return "xlsx"
    if head.startswith(_UTF16_BOMS):  # Excel's "Unicode 文本" export: UTF-16, tab-separated
        return "csv"
    if head.startswith(_OLE_MAGIC):
        raise ApplicationError("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 后再导入", field="file")
    if not head:
        raise ApplicationError("文件为空", field="file")
    if b"\x00" in head:
        raise ApplicationError("无法识别的文件类型：请上传 .xlsx 或 .csv 文件", field="file")
    return "csv"


class RowSource:
    """Iterates ``(excel_row_number, cells)``; ``total`` is an estimate for progress bars."""

    def __init__(self, path: Path):
        self.path = path
        self.kind = sniff_kind(path)
        self.total: int | None = None
        self._wb: openpyxl.Workbook | None = None

    def __iter__(self) -> Iterator[tuple[int, tuple[object, ...]]]:
        if self.kind == "xlsx":
            yield from self._xlsx_rows()
        else:
            yield from self._csv_rows()

    def close(self) -> None:
        if self._wb is not None:
            self._wb.close()
            self._wb = None

    def _xlsx_rows(self) -> Iterator[tuple[int, tuple[object, ...]]]:
        try:
            self._wb = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except (InvalidFileException, KeyError, OSError, ValueError) as exc:
            raise ApplicationError(f"无法打开 Excel 文件：{exc}", field="file") from None
        except Exception as exc:  # zipfile.BadZipFile and friends from a damaged file
            raise ApplicationError(
                f"Excel 文件已损坏或格式不正确：{type(exc).__name__}", field="file"
            ) from None
        ws = self._wb.worksheets[0] if self._wb.worksheets else None
        if ws is None:
            raise ApplicationError("Excel 文件中没有工作表", field="file")
        self.total = ws.max_row
        # In read-only mode a missing row is skipped, so number rows from the cells themselves.
        expected = 1
        for row in ws.iter_rows():
            number = next((getattr(c, "row", None) for c in row if getattr(c, "row", None)), None)
            if number is None:
                number = expected
            expected = number + 1
            yield number, tuple(c.value for c in row)
        self.close()

    def _csv_rows(self) -> Iterator[tuple[int, tuple[object, ...]]]:
        raw = self.path.read_bytes()
        text: str | None = None
        encodings = ("utf-16",) if raw.startswith(_UTF16_BOMS) else ("utf-8-sig", "gb18030")
        for encoding in encodings:
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        if text is None:
            raise ApplicationError("无法识别 CSV 文件的编码，请保存为 UTF-8 或 GBK 编码", field="file")
        del raw
        self.total = text.count("\n") + 1
        reader = csv.reader(io.StringIO(text), delimiter=_guess_delimiter(text))
        try:
            for number, row in enumerate(reader, start=1):
                yield number, tuple(row)
        except csv.Error as exc:
            raise ApplicationError(f"CSV 文件第{reader.line_num}行格式错误：{exc}", field="file") from None


def _guess_delimiter(text: str) -> str:
    """The delimiter under which the first rows contain the most recognised column headers.

    csv.Sniffer gives up on a sample with an empty line or a title row and then falls back to
    the comma, which splits a tab-separated file's "1,234" and loses its header; the headers
    themselves are a far better witness. Ties go to the comma.
    """
    head = text[:65536]
    best, best_score = ",", 0
    for delimiter in _DELIMITERS:
        reader = csv.reader(io.StringIO(head), delimiter=delimiter)
        score = 0
        try:
            for _, row in zip(range(HEADER_SCAN_ROWS), reader, strict=False):
                score = max(score, len({k for cell in row if (k := header_key(cell)) is not None}))
        except csv.Error:
            continue
        if score > best_score:
            best, best_score = delimiter, score
    return best
