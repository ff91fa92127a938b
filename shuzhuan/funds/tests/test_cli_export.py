"""`shuzhuan funds export --level L (--batch CODE | --year Y) --out FILE.xlsx`: the disbursement
list of one funding level. Bad input is one line naming the option, exit 2, and no file."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from shuzhuan.applications.models import Status
from shuzhuan.applications.tests.factories import advance, draft
from shuzhuan.cli import main
from shuzhuan.funds.tests.factories import allocate

pytestmark = pytest.mark.django_db


def _one_line_error(capsys: pytest.CaptureFixture[str], *words: str) -> None:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("错误 error: ") and all(w in err[0] for w in words), err[0]


@pytest.fixture
def closed(county: Any, batch: Any, roles: dict[str, Any]) -> Any:
    """own's new-IT application, 140,000.00 split 50/25/25, paid in full."""
    allocate(programme="new-it", acting_user=roles["bureau"])
    app = draft(batch=batch, enterprise=county.own, firm=roles["firm"])
    return advance(app, Status.CLOSED, **roles)


def test_export_by_batch_and_by_year(closed: Any, batch: Any, tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "宁波级兑现清单.xlsx"
    assert main(["funds", "export", "--level", "city", "--batch", batch.code, "--out", str(out)]) == 0
    message = capsys.readouterr().out.strip()
    assert message == (
        f"已导出{batch.name} 宁波级资金兑现清单：1 笔，本级分担 35,000.00 元（已支付 35,000.00，"
        f"待支付 0.00）→ {out}"
    )
    ws = load_workbook(io.BytesIO(out.read_bytes())).active
    assert ws is not None
    assert ws["A1"].value == f"{batch.name} 宁波级资金兑现清单"
    assert (ws["F4"].value, Decimal(str(ws["H4"].value)), ws["I4"].value) == (
        closed.number,
        Decimal("35000"),
        "已支付",
    )

    by_year = tmp_path / "central.xlsx"
    assert main(["funds", "export", "--level", "CENTRAL", "--year", "2025", "--out", str(by_year)]) == 0
    assert "2025年度 中央级资金兑现清单：1 笔，本级分担 70,000.00 元" in capsys.readouterr().out
    ws = load_workbook(io.BytesIO(by_year.read_bytes())).active
    assert ws is not None and ws["A1"].value == "2025年度 中央级资金兑现清单"


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--batch", "2025-digital"], "--level"),  # missing
        (["--level", "province", "--batch", "2025-digital"], "--level"),
        (["--level", "city", "--batch", "no-such-batch"], "--batch"),
        (["--level", "city", "--year", "1999"], "--year"),
        (["--level", "city", "--year", "2025", "--out", "LIST.csv"], "--out"),
        (["--level", "city", "--year", "2025", "--out", "no/such/dir/list.xlsx"], "--out"),
        (["--level", "city", "--year", "2025", "--out", None], "--out"),  # missing
    ],
)
def test_bad_input_is_one_line_naming_the_option_exit_2(
    batch: Any, tmp_path: Path, capsys: Any, args: list[Any], option: str
) -> None:
    target = tmp_path / "list.xlsx"
    argv = ["funds", "export", *args]
    if "--out" not in args:
        argv += ["--out", str(target)]
    elif args[-1] is None:
        argv = argv[:-2]
    else:
        argv[-1] = str(tmp_path / args[-1])
    assert main(argv) == 2
    _one_line_error(capsys, option)
    assert not target.exists()
