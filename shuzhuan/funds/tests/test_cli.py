"""`shuzhuan funds allocate | balances | disburse | inspect`. Bad input is one line naming the
option, exit 2."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from shuzhuan.applications.models import Status
from shuzhuan.applications.tests.factories import advance
from shuzhuan.cli import main
from shuzhuan.funds.models import LedgerEntry
from shuzhuan.funds.tests.factories import pilot_draft

pytestmark = pytest.mark.django_db


def _one_line_error(capsys: pytest.CaptureFixture[str], *words: str) -> None:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("错误 error: ") and all(w in err[0] for w in words), err[0]


def _allocate_seeds(capsys: pytest.CaptureFixture[str]) -> None:
    for level, amount in (("central", "14230000"), ("city", "6,848,100.00"), ("county", "5000000")):
        args = ["funds", "allocate", "--level", level, "--programme", "pilot", "--year", "2025"]
        assert main([*args, "--amount", amount, "--reference", f"下达-{level}"]) == 0
    capsys.readouterr()


def test_allocate_and_balances(county, capsys):
    args = ["funds", "allocate", "--level", "central", "--programme", "pilot", "--year", "2025"]
    assert main([*args, "--amount", "14230000", "--reference", "财建〔2025〕100号"]) == 0
    assert "14,230,000.00" in capsys.readouterr().out
    assert main(["funds", "allocate", "--level", "city", "--programme", "pilot", "--year", "2025",
                 "--amount", "6,848,100.00", "--reference", "甬财企〔2025〕50号"]) == 0  # fmt: skip
    capsys.readouterr()

    assert main(["funds", "balances", "--year", "2025", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["level"], r["allocated"], r["remaining"]) for r in rows] == [
        ("central", "14230000.00", "14230000.00"),
        ("city", "6848100.00", "6848100.00"),
    ]
    assert main(["funds", "balances"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 3 and "6,848,100.00" in out[2] and "宁波" in out[2]
    assert main(["funds", "balances", "--year", "2024", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


@pytest.mark.parametrize(
    ("change", "option"),
    [
        ({"--level": "province"}, "--level"),
        ({"--programme": "pliot"}, "--programme"),
        ({"--year": "1999"}, "--year"),
        ({"--amount": "abc"}, "--amount"),
        ({"--amount": "-5"}, "--amount"),
        ({"--amount": "1.234"}, "--amount"),
        ({"--reference": " "}, "--reference"),
    ],
)
def test_allocate_bad_input_is_one_line_naming_the_option_exit_2(county, capsys, change, option):
    values = {
        "--level": "central",
        "--programme": "pilot",
        "--year": "2025",
        "--amount": "100",
        "--reference": "x",
        **change,
    }
    argv = ["funds", "allocate"] + [x for kv in values.items() for x in kv]
    assert main(argv) == 2
    _one_line_error(capsys, option)
    assert not LedgerEntry.objects.exists()


def test_bad_options_of_the_other_commands(county, capsys):
    assert main(["funds", "balances", "--year", "99"]) == 2
    _one_line_error(capsys, "--year")
    assert main(["funds", "disburse", "--level", "town"]) == 2
    _one_line_error(capsys, "--level")
    assert main(["funds", "disburse", "--batch", "no-such-batch"]) == 2
    _one_line_error(capsys, "--batch")
    assert main(["funds", "inspect", "--year", "3000"]) == 2
    _one_line_error(capsys, "--year")
    assert main(["funds", "allocate", "--level", "central"]) == 2  # missing options: click's usage error


def test_disburse_pays_and_inspect_reports(county, batch, roles, capsys):
    _allocate_seeds(capsys)
    app = advance(
        pilot_draft(batch=batch, enterprise=county.own, firm=roles["firm"]),
        Status.DISBURSING,
        **roles,
        verified="900000",
    )
    assert main(["funds", "disburse", "--batch", batch.code]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "兑现完成：支付 3 笔共 450,000.00 元，跳过 0，失败 0"
    assert sum(line.startswith("已支付 " + app.number) for line in out) == 3
    app.refresh_from_db()
    assert app.status == Status.CLOSED

    assert main(["funds", "disburse", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["paid"] == []

    assert main(["funds", "balances", "--json"]) == 0
    rows = {r["level"]: r for r in json.loads(capsys.readouterr().out)}
    assert Decimal(rows["central"]["paid"]) == Decimal("225000.00")
    assert rows["central"]["outstanding"] == "0.00"

    assert main(["funds", "inspect", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"count": 0, "findings": []}
    LedgerEntry.objects.create(
        budget=app.award.shares.get(level="city").budget,
        kind=LedgerEntry.Kind.COMMITMENT,
        amount=Decimal("99999999.00"),
        at=app.updated_at,
    )  # written by hand, around the services
    assert main(["funds", "inspect", "--year", "2025"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("[budget_overcommitted] city：") and out[-1] == "自查完成：发现 1 个问题"
