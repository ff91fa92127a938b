"""Reading rows out of spreadsheets (.xlsx, .xls, .xlsm, .ods via python-calamine) and text files
(.csv/.tsv in UTF-8, GBK or UTF-16), with the row numbers Excel shows."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from shuzhuan.core.errors import ApplicationError
from shuzhuan.enterprises.imports.columns import HEADER_SCAN_ROWS, header_key

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_DELIMITERS = (",", "\t", ";")


def sniff_kind(path: Path) -> str:
    """'workbook' or 'csv', decided by the bytes, not the name."""
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise ApplicationError(f"无法读取文件：{path}（{exc.strerror}）", field="file") from None
    if head.startswith(_ZIP_MAGIC):
        return "workbook"
    if head.startswith(_UTF16_BOMS):  # Excel's "Unicode 文本" export: UTF-16, tab-separated
        return "csv"
    if head.startswith(_OLE_MAGIC):
        # A password-protected .xlsx is an OLE container too, holding an "EncryptedPackage" stream.
        if _is_encrypted_package(path):
            raise ApplicationError(
                "文件设置了打开密码，请在 Excel 中取消密码（文件 → 信息 → 保护工作簿）后再导入", field="file"
            )
        return "workbook"  # an Excel 97-2003 .xls
    if not head:
        raise ApplicationError("文件为空", field="file")
    if b"\x00" in head:
        raise ApplicationError("无法识别的文件类型：请上传 .xlsx、.xls 或 .csv 文件", field="file")
    return "csv"


def _is_encrypted_package(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            data = fh.read(64 << 20)
    except OSError:
        return False
    return "EncryptedPackage".encode("utf-16-le") in data


def _damaged(exc: BaseException) -> ApplicationError:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return ApplicationError(
        f"Excel 文件已损坏或格式不正确（{detail[:200]}），请用 Excel 打开后另存为 .xlsx 再导入", field="file"
    )


def _first_visible_worksheet(workbook: Any) -> Any:
    for index, meta in enumerate(workbook.sheets_metadata):
        if meta.typ == SheetTypeEnum.WorkSheet and meta.visible == SheetVisibleEnum.Visible:
            return workbook.get_sheet_by_index(index)
    raise ApplicationError("Excel 文件中没有可见的工作表", field="file")


class RowSource:
    """Iterates ``(excel_row_number, cells)``; ``total`` is an estimate for progress bars."""

    def __init__(self, path: Path):
        self.path = path
        self.kind = sniff_kind(path)
        self.total: int | None = None

    def __iter__(self) -> Iterator[tuple[int, tuple[object, ...]]]:
        if self.kind == "workbook":
            yield from self._workbook_rows()
        else:
            yield from self._csv_rows()

    def close(self) -> None:
        """Nothing stays open: the workbook is read in one go and the text file as bytes."""

    def _workbook_rows(self) -> Iterator[tuple[int, tuple[object, ...]]]:
        try:
            workbook = CalamineWorkbook.from_path(str(self.path))
            sheet = _first_visible_worksheet(workbook)
        except ApplicationError:
            raise
        except Exception as exc:  # calamine's errors: not a workbook, damaged parts, bad XML …
            raise _damaged(exc) from None
        self.total = sheet.end[0] + 1 if sheet.end else 0
        # Rows come from the sheet's first row (leading blank rows included), so the
        # position is the row number Excel shows.
        for number, row in enumerate(sheet.iter_rows(), start=1):
            yield number, tuple(row)

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
