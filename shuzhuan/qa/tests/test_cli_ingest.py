"""``shuzhuan qa ingest FILE…``: one line per file, exit status 2 when a file is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from shuzhuan.cli import main
from shuzhuan.qa.models import Document
from shuzhuan.qa.tests.documents import NOTICE_LINES, pdf_bytes

pytestmark = pytest.mark.django_db


def test_ingest_files_one_line_each(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    txt = tmp_path / "notice.txt"
    txt.write_text("\n".join(NOTICE_LINES), encoding="utf-8")
    pdf = tmp_path / "notice.pdf"
    pdf.write_bytes(pdf_bytes())
    assert main(["qa", "ingest", str(txt), str(pdf)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and all(line.startswith("已导入") for line in out)
    assert "慈经信建〔2026〕3号" in out[0] and "2 段" in out[0]
    assert main(["qa", "ingest", str(txt)]) == 0
    assert capsys.readouterr().out.startswith("已存在")
    assert Document.objects.filter(kind=Document.Kind.INGESTED).count() == 2


def test_bad_input_exits_2_and_keeps_the_good(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.txt"
    good.write_text("\n".join(NOTICE_LINES), encoding="utf-8")
    bad = tmp_path / "table.xlsx"
    bad.write_bytes(b"x")
    assert main(["qa", "ingest", str(bad), str(good), str(tmp_path / "missing.txt")]) == 2
    captured = capsys.readouterr()
    assert captured.out.count("\n") == 1 and "已导入" in captured.out
    assert "不支持的文件类型" in captured.err and "文件不存在" in captured.err
    assert "2 个文件未导入" in captured.err
    assert Document.objects.filter(kind=Document.Kind.INGESTED).count() == 1
