"""`shuzhuan applications cycle --batch CODE [--json]` and `shuzhuan applications notice-list
--batch CODE --out FILE.xlsx|.pdf`. Bad input is one line naming the option, exit 2."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from shuzhuan.applications.models import PolicyBatch, Status
from shuzhuan.applications.tests.factories import advance, draft, open_batch
from shuzhuan.applications.tests.test_cycle import _spread
from shuzhuan.cli import main
from shuzhuan.funds.tests.factories import allocate

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _materials(settings: Any, tmp_path: Path) -> None:
    settings.MATERIALS_DIR = tmp_path / "materials"


@pytest.fixture
def batch(county: Any) -> PolicyBatch:
    return open_batch(acting_user=county.users["bureau_officer"])


def _one_line_error(capsys: pytest.CaptureFixture[str], *words: str) -> None:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("错误 error: ") and all(w in err[0] for w in words), err[0]


def test_cycle_as_text_and_json(county: Any, batch: PolicyBatch, roles: dict[str, Any], capsys: Any) -> None:
    app = advance(draft(batch=batch, enterprise=county.own, firm=roles["firm"]), Status.ACCEPTED, **roles)
    _spread(app, [0, 2, 5, 15, 16, 60, 70])  # as in test_cycle: 2 days pre-review, 3 formal, 10 expert
    assert main(["applications", "cycle", "--batch", batch.code, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["batch"] == batch.code
    stages = {s["code"]: s for s in data["stages"]}
    assert stages["town_review"] == {
        "code": "town_review",
        "label": "镇街预审",
        "count": 1,
        "median_days": "2.0",
        "p90_days": "2.0",
    }
    assert stages["expert_review"]["median_days"] == "10.0"
    assert stages["approval"] == {**stages["approval"], "count": 0, "median_days": None, "p90_days": None}
    assert data["end_to_end"]["count"] == 0 and data["government"]["code"] == "government"

    assert main(["applications", "cycle", "--batch", batch.code.upper()]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{batch.name}（{batch.code}）审批周期，单位：天"
    assert len(out) == 2 + 7 + 2  # title, header, seven stages, government and end to end
    town = next(line for line in out if "town_review" in line)
    assert town.split()[-3:] == ["1", "2.0", "2.0"]
    assert next(line for line in out if "approval" in line).split()[-3:] == ["0", "—", "—"]


def test_notice_list_xlsx_and_pdf(
    county: Any, batch: PolicyBatch, roles: dict[str, Any], tmp_path: Path, capsys: Any
) -> None:
    allocate(programme="new-it", acting_user=roles["bureau"])
    advance(draft(batch=batch, enterprise=county.own, firm=roles["firm"]), Status.PUBLIC_NOTICE, **roles)
    xlsx = tmp_path / "公示名单.xlsx"
    assert main(["applications", "notice-list", "--batch", batch.code, "--out", str(xlsx)]) == 0
    assert capsys.readouterr().out.strip() == f"已导出公示名单：1 个项目 → {xlsx}"
    ws = load_workbook(io.BytesIO(xlsx.read_bytes())).active
    assert ws is not None and ws["B3"].value == county.own.name
    pdf = tmp_path / "公示名单.PDF"
    assert main(["applications", "notice-list", "--batch", batch.code, "--out", str(pdf)]) == 0
    assert pdf.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["applications", "cycle"], "--batch"),
        (["applications", "cycle", "--batch", "no-such-batch"], "--batch"),
        (["applications", "notice-list", "--out", "{tmp}/x.xlsx"], "--batch"),
        (["applications", "notice-list", "--batch", "no-such-batch", "--out", "{tmp}/x.xlsx"], "--batch"),
        (["applications", "notice-list", "--batch", "2025-digital"], "--out"),
        (["applications", "notice-list", "--batch", "2025-digital", "--out", "{tmp}/x.docx"], "--out"),
        (["applications", "notice-list", "--batch", "2025-digital", "--out", "{tmp}/none/x.pdf"], "--out"),
    ],
)
def test_bad_input_is_one_line_naming_the_option_exit_2(
    batch: PolicyBatch, tmp_path: Path, capsys: Any, argv: list[str], option: str
) -> None:
    assert main([a.replace("{tmp}", str(tmp_path)) for a in argv]) == 2
    _one_line_error(capsys, option)
    assert not (tmp_path / "x.xlsx").exists()
